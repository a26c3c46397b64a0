#include "edgehub/metamanager.h"

#include "edgehub/edgedb.h"
#include "edgehub/edgelogging.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"
#include "shared/resource.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace qedge {

namespace {
const QString Upsert = QStringLiteral("upsert");
const QString Removed = QStringLiteral("delete");

QString typeOf(const QString &key)
{
    const auto parts = resource::parseEdge(key);
    return parts ? parts->type : QString();
}

/// A remote query answer may wrap the object as {"Object":…,"Err":…} (metamanager process.go).
QByteArray unwrapObject(const Message &m)
{
    const QJsonValue v = m.content();
    if (v.isObject() && v.toObject().contains(QLatin1String("Object"))) {
        const QJsonValue obj = v.toObject().value(QLatin1String("Object"));
        if (obj.isObject())
            return QJsonDocument(obj.toObject()).toJson(QJsonDocument::Compact);
        if (obj.isArray())
            return QJsonDocument(obj.toArray()).toJson(QJsonDocument::Compact);
    }
    return m.contentData();
}
} // namespace

MetaManager::MetaManager(QSqlDatabase db, const Settings &settings, QObject *parent)
    : Module(edge::MetaModule, edge::MetaGroup, parent), m_db(std::move(db)), m_settings(settings)
{
    qRegisterMetaType<ResourceChange>();
    m_batchTimer.setSingleShot(true);
    connect(&m_batchTimer, &QTimer::timeout, this, &MetaManager::flush);
}

Status MetaManager::open()
{
    // `meta` is edgecore's table (reference §8.1); `meta_sync` is ours: what was applied per key,
    // so a resent msg_id or an older resourceVersion never takes a row backwards.
    for (const char *sql : {"CREATE TABLE IF NOT EXISTS meta (key VARCHAR(256) NOT NULL PRIMARY KEY, "
                            "type VARCHAR(32) NOT NULL DEFAULT '', value TEXT)",
                            "CREATE TABLE IF NOT EXISTS meta_sync (key VARCHAR(256) NOT NULL PRIMARY KEY, "
                            "resource_version TEXT NOT NULL DEFAULT '', msg_id TEXT NOT NULL DEFAULT '', "
                            "deleted INTEGER NOT NULL DEFAULT 0)"}) {
        if (Status s = execSql(m_db, QString::fromLatin1(sql)); !s)
            return s;
    }
    return {};
}

bool MetaManager::isRemoteQueryType(const QString &type)
{
    static const QStringList types = {QStringLiteral("configmap"),
                                      QStringLiteral("secret"),
                                      QStringLiteral("persistentvolume"),
                                      QStringLiteral("persistentvolumeclaim"),
                                      QStringLiteral("volumeattachment"),
                                      QStringLiteral("serviceaccounttoken"),
                                      QStringLiteral("lease"),
                                      QStringLiteral("certificatesigningrequest"),
                                      QStringLiteral("k8s/ca.crt")};
    return types.contains(type);
}

bool MetaManager::fromCloud(const Message &m) const
{
    static const QStringList local = {QStringLiteral("edged"),      QStringLiteral("twin"),
                                      QStringLiteral("eventbus"),   QStringLiteral("servicebus"),
                                      QStringLiteral("metaserver"), QStringLiteral("localapi"),
                                      QStringLiteral("edgehub"),    edge::MetaModule};
    return !local.contains(m.source());
}

void MetaManager::handleMessage(const Message &m)
{
    if (m.resource() == edge::ConnectionResource) {
        m_connected = m.contentText() == edge::CloudConnected;
        return;
    }
    const QString op = m.operation();
    if (op == op::Query) {
        handleQuery(m);
        return;
    }
    if (op == op::Insert || op == op::Update || op == QLatin1String("patch") || op == op::Response ||
        op == op::Delete) {
        m_pending.push_back(m);
        if (int(m_pending.size()) >= m_settings.maxBatch)
            flush();
        else if (!m_batchTimer.isActive())
            m_batchTimer.start(m_settings.batchWindowMs);
        return;
    }
    qCDebug(lcEdgeMeta) << "unsupported operation, ignored:" << m;
}

void MetaManager::cleanup()
{
    m_batchTimer.stop();
    flush();
}

MetaManager::Outcome MetaManager::applyOne(const Message &m, ResourceChange *change)
{
    const QString key = m.resource();
    const auto parts = resource::parseEdge(key);
    if (!parts || parts->name.isEmpty()) {
        qCWarning(lcEdgeMeta).noquote() << "message" << m.id() << "has no object resource:" << key;
        return Outcome::Invalid;
    }
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT resource_version, msg_id, deleted FROM meta_sync WHERE key = :k"));
    q.bindValue(QStringLiteral(":k"), key);
    if (!q.exec())
        return Outcome::Failed;
    bool existed = false;
    if (q.next()) {
        existed = q.value(2).toInt() == 0;
        const QString storedRv = q.value(0).toString();
        if (q.value(1).toString() == m.id())
            return Outcome::Duplicate;
        if (!m.resourceVersion().isEmpty() && !storedRv.isEmpty() &&
            resource::compareVersions(m.resourceVersion(), storedRv) <= 0)
            return Outcome::Stale;
    }
    q.finish();

    const bool remove = m.operation() == op::Delete;
    StoredResource row{key, parts->type, {}, m.resourceVersion()};
    QSqlQuery w(m_db);
    if (remove) {
        w.prepare(QStringLiteral("DELETE FROM meta WHERE key = :k"));
        w.bindValue(QStringLiteral(":k"), key);
    } else {
        row.value = m.operation() == op::Response ? unwrapObject(m) : m.contentData();
        w.prepare(
            QStringLiteral("INSERT INTO meta (key, type, value) VALUES (:k, :t, :v) "
                           "ON CONFLICT(key) DO UPDATE SET type = excluded.type, value = excluded.value"));
        w.bindValue(QStringLiteral(":k"), key);
        w.bindValue(QStringLiteral(":t"), row.type);
        w.bindValue(QStringLiteral(":v"), QString::fromUtf8(row.value));
    }
    if (!w.exec())
        return Outcome::Failed;
    QSqlQuery s(m_db);
    s.prepare(QStringLiteral(
        "INSERT INTO meta_sync (key, resource_version, msg_id, deleted) VALUES (:k, :r, :m, :d) "
        "ON CONFLICT(key) DO UPDATE SET resource_version = excluded.resource_version, "
        "msg_id = excluded.msg_id, deleted = excluded.deleted"));
    s.bindValue(QStringLiteral(":k"), key);
    s.bindValue(QStringLiteral(":r"), m.resourceVersion());
    s.bindValue(QStringLiteral(":m"), m.id());
    s.bindValue(QStringLiteral(":d"), remove ? 1 : 0);
    if (!s.exec())
        return Outcome::Failed;
    *change = {remove ? Removed : Upsert, row, existed};
    return Outcome::Applied;
}

void MetaManager::flush()
{
    if (m_pending.empty())
        return;
    std::vector<Message> batch;
    batch.swap(m_pending);

    std::vector<ResourceChange> changes;
    std::vector<const Message *> acks;
    bool ok = m_db.transaction();
    for (const Message &m : batch) {
        if (!ok)
            break;
        ResourceChange change;
        switch (applyOne(m, &change)) {
        case Outcome::Applied:
            ++m_counters.applied;
            changes.push_back(change);
            acks.push_back(&m);
            break;
        case Outcome::Duplicate:
            ++m_counters.duplicates;
            acks.push_back(&m);
            break;
        case Outcome::Stale:
            ++m_counters.stale;
            acks.push_back(&m);
            break;
        case Outcome::Invalid:
            break;
        case Outcome::Failed:
            ok = false;
            break;
        }
    }
    if (ok)
        ok = m_db.commit();
    if (!ok) {
        // No ack: the cloud writes the same msg_id again later and we try again.
        qCWarning(lcEdgeMeta).noquote()
            << "commit of" << batch.size() << "changes failed:" << m_db.lastError().text();
        m_db.rollback();
        ++m_counters.commitFailures;
        return;
    }
    for (const ResourceChange &c : changes)
        emit changed(c);
    for (const Message *m : acks) {
        if (!fromCloud(*m)) {
            reply(*m, Message::responseTo(*m, QStringLiteral("OK")));
            continue;
        }
        if (bus() && bus()->send(edge::LinkModule, Message::responseTo(*m, QStringLiteral("OK"))))
            ++m_counters.acked;
    }
}

void MetaManager::handleQuery(const Message &m)
{
    const auto parts = resource::parseEdge(m.resource());
    if (!parts || !m_connected || !isRemoteQueryType(parts->type) || !bus()) {
        answerLocally(m);
        return;
    }
    ++m_counters.remoteQueries;
    // The cloud sees a fresh id so its answer can't be mistaken for the local request's (processRemote).
    const Message up = m.cloneWithNewId();
    const QString key = m.resource();
    const bool single = !parts->name.isEmpty();
    bus()->request(edge::LinkModule, up, m_settings.remoteQueryTimeoutMs, this,
                   [this, m, key, single](Result<Message> r) {
                       if (!r) {
                           reply(m, Message::errorFor(
                                        m, QStringLiteral("remote query failed: %1").arg(r.errorMessage())));
                           return;
                       }
                       const Message &answer = r.value();
                       if (answer.operation() == op::Error) {
                           reply(m, Message::errorFor(m, answer.contentText()));
                           return;
                       }
                       if (single) {
                           if (Status s = storeRemoteAnswer(answer, key); !s)
                               qCWarning(lcEdgeMeta).noquote()
                                   << "storing the answer for" << key << "failed:" << s.errorMessage();
                       }
                       if (bus()->send(edge::LinkModule, Message::responseTo(answer, QStringLiteral("OK"))))
                           ++m_counters.acked;
                       reply(m, Message::responseTo(m, answer.content()));
                   });
}

Status MetaManager::storeRemoteAnswer(const Message &answer, const QString &key)
{
    const QByteArray value = unwrapObject(answer);
    QSqlQuery e(m_db);
    e.prepare(QStringLiteral("SELECT 1 FROM meta WHERE key = :k"));
    e.bindValue(QStringLiteral(":k"), key);
    const bool existed = e.exec() && e.next();
    e.finish();
    QSqlQuery w(m_db);
    w.prepare(QStringLiteral("INSERT INTO meta (key, type, value) VALUES (:k, :t, :v) "
                             "ON CONFLICT(key) DO UPDATE SET type = excluded.type, value = excluded.value"));
    w.bindValue(QStringLiteral(":k"), key);
    w.bindValue(QStringLiteral(":t"), typeOf(key));
    w.bindValue(QStringLiteral(":v"), QString::fromUtf8(value));
    if (!w.exec())
        return Status::failure(QStringLiteral("meta.sql"), w.lastError().text());
    emit changed({Upsert, {key, typeOf(key), value, answer.resourceVersion()}, existed});
    return {};
}

void MetaManager::answerLocally(const Message &m)
{
    ++m_counters.localQueries;
    const auto parts = resource::parseEdge(m.resource());
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (parts && !parts->name.isEmpty()) {
        q.prepare(QStringLiteral("SELECT value FROM meta WHERE key = :k"));
        q.bindValue(QStringLiteral(":k"), m.resource());
    } else if (parts) {
        // "<namespace>/<type>": every object of that type in that namespace.
        q.prepare(QStringLiteral(
            "SELECT value FROM meta WHERE type = :t AND substr(key, 1, :n) = :p ORDER BY key"));
        const QString prefix = parts->namespaceName + u'/' + parts->type + u'/';
        q.bindValue(QStringLiteral(":t"), parts->type);
        q.bindValue(QStringLiteral(":n"), int(prefix.size()));
        q.bindValue(QStringLiteral(":p"), prefix);
    } else {
        reply(m, Message::errorFor(m, QStringLiteral("bad resource \"%1\"").arg(m.resource())));
        return;
    }
    if (!q.exec()) {
        reply(m, Message::errorFor(m, q.lastError().text()));
        return;
    }
    QJsonArray values;
    while (q.next())
        values.append(q.value(0).toString());
    reply(m, Message::responseTo(m, values));
}

void MetaManager::reply(const Message &request, const Message &answer)
{
    Message out = answer;
    out.setSource(edge::MetaModule);
    if (!bus())
        return;
    if (request.header().sync && bus()->respond(out))
        return;
    if (!request.source().isEmpty() && request.source() != edge::MetaModule)
        bus()->send(request.source(), out);
}

Result<QList<StoredResource>> MetaManager::list(const QString &type) const
{
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    const QString base = QStringLiteral(
        "SELECT meta.key, meta.type, meta.value, COALESCE(meta_sync.resource_version, '') FROM meta "
        "LEFT JOIN meta_sync ON meta_sync.key = meta.key");
    if (type.isEmpty()) {
        q.prepare(base + QStringLiteral(" ORDER BY meta.key"));
    } else {
        q.prepare(base + QStringLiteral(" WHERE meta.type = :t ORDER BY meta.key"));
        q.bindValue(QStringLiteral(":t"), type);
    }
    if (!q.exec())
        return Result<QList<StoredResource>>::failure(QStringLiteral("meta.sql"), q.lastError().text());
    QList<StoredResource> out;
    while (q.next())
        out.append({q.value(0).toString(), q.value(1).toString(), q.value(2).toString().toUtf8(),
                    q.value(3).toString()});
    return out;
}

Result<std::optional<StoredResource>> MetaManager::get(const QString &key) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral(
        "SELECT meta.key, meta.type, meta.value, COALESCE(meta_sync.resource_version, '') FROM meta "
        "LEFT JOIN meta_sync ON meta_sync.key = meta.key WHERE meta.key = :k"));
    q.bindValue(QStringLiteral(":k"), key);
    if (!q.exec())
        return Result<std::optional<StoredResource>>::failure(QStringLiteral("meta.sql"),
                                                              q.lastError().text());
    if (!q.next())
        return std::optional<StoredResource>();
    return std::optional<StoredResource>(StoredResource{
        q.value(0).toString(), q.value(1).toString(), q.value(2).toString().toUtf8(), q.value(3).toString()});
}

} // namespace qedge
