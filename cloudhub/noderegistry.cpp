#include "cloudhub/noderegistry.h"

#include "cloudhub/hublogging.h"
#include "cloudhub/nodesession.h"
#include "shared/storage.h"

#include <QJsonDocument>

namespace qedge::cloud {

namespace {

// How long a connect or disconnect waits for others to share its commit.
constexpr int ConnectFlushDelayMs = 200;
// Past this many queued changes they are written without waiting.
constexpr int MaxQueuedChanges = 2000;

const QString Columns =
    QStringLiteral("id, first_seen, last_seen, online, remote_address, cert_serial, cert_expiry, labels");

qint64 toMs(const QDateTime &t)
{
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

QDateTime fromMs(const QVariant &v)
{
    const qint64 ms = v.toLongLong();
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC) : QDateTime();
}

NodeRegistry::Node readNode(const QSqlQuery &q)
{
    NodeRegistry::Node n;
    n.id = q.value(0).toString();
    n.firstSeen = fromMs(q.value(1));
    n.lastSeen = fromMs(q.value(2));
    n.online = q.value(3).toBool();
    n.remoteAddress = q.value(4).toString();
    n.certSerial = q.value(5).toString();
    n.certExpiry = fromMs(q.value(6));
    n.labels = QJsonDocument::fromJson(q.value(7).toByteArray()).object();
    return n;
}

} // namespace

NodeRegistry::NodeRegistry(Database *db, int flushIntervalMs, QObject *parent) : QObject(parent), m_db(db)
{
    m_flushTimer.setInterval(flushIntervalMs);
    auto flushNow = [this] {
        if (Status s = flush(); !s)
            qCWarning(lcHubStore).noquote() << "node registry: write failed:" << s.errorMessage();
    };
    connect(&m_flushTimer, &QTimer::timeout, this, flushNow);
    m_soonTimer.setSingleShot(true);
    m_soonTimer.setInterval(ConnectFlushDelayMs);
    connect(&m_soonTimer, &QTimer::timeout, this, flushNow);
}

NodeRegistry::~NodeRegistry()
{
    if (Status s = flush(); !s)
        qCWarning(lcHubStore).noquote() << "node registry: final flush failed:" << s.errorMessage();
}

Result<std::unique_ptr<NodeRegistry>> NodeRegistry::open(Database *db, int flushIntervalMs, QObject *parent)
{
    const QList<QStringList> steps = {
        {QStringLiteral("CREATE TABLE nodes (id {{text}} PRIMARY KEY, first_seen {{bigint}} NOT NULL, "
                        "last_seen {{bigint}} NOT NULL, online {{bool}} NOT NULL, remote_address {{text}}, "
                        "cert_serial {{text}}, cert_expiry {{bigint}}, labels {{text}} NOT NULL)")},
    };
    if (Status s = db->migrate(QStringLiteral("cloudhub_nodes"), steps); !s)
        return s.error();
    if (auto r = db->exec(QStringLiteral("UPDATE nodes SET online = ? WHERE online = ?"), {false, true}); !r)
        return r.error();
    std::unique_ptr<NodeRegistry> reg(new NodeRegistry(db, flushIntervalMs, parent));
    reg->m_flushTimer.start();
    return reg;
}

void NodeRegistry::queue(Change change)
{
    m_changes.append(std::move(change));
    if (m_changes.size() >= MaxQueuedChanges) {
        if (Status s = flush(); !s)
            qCWarning(lcHubStore).noquote() << "node registry: write failed:" << s.errorMessage();
    } else if (!m_soonTimer.isActive()) {
        m_soonTimer.start();
    }
}

void NodeRegistry::recordConnected(const SessionInfo &info)
{
    m_pendingSeen.remove(info.node);
    const qint64 now = toMs(info.connectedAt.isValid() ? info.connectedAt : QDateTime::currentDateTimeUtc());
    queue({QStringLiteral("INSERT INTO nodes (") + Columns +
               QStringLiteral(") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                              "last_seen = excluded.last_seen, online = excluded.online, "
                              "first_seen = CASE WHEN nodes.first_seen = 0 THEN excluded.first_seen "
                              "ELSE nodes.first_seen END, "
                              "remote_address = excluded.remote_address, "
                              "cert_serial = excluded.cert_serial, cert_expiry = excluded.cert_expiry"),
           {info.node, now, now, true, info.remoteAddress.toString(), info.certSerial, toMs(info.certExpiry),
            QStringLiteral("{}")}});
}

void NodeRegistry::recordDisconnected(const QString &node, const QDateTime &at)
{
    m_pendingSeen.remove(node);
    queue(
        {QStringLiteral("UPDATE nodes SET online = ?, last_seen = ? WHERE id = ?"), {false, toMs(at), node}});
}

void NodeRegistry::touch(const QString &node)
{
    m_pendingSeen.insert(node, QDateTime::currentMSecsSinceEpoch());
}

void NodeRegistry::flushBeforeRead() const
{
    // Readers (the admin API) must see the connects and disconnects still queued for the batch.
    if (Status s = const_cast<NodeRegistry *>(this)->flush(); !s)
        qCWarning(lcHubStore).noquote() << "node registry: write failed:" << s.errorMessage();
}

Status NodeRegistry::flush()
{
    m_soonTimer.stop();
    if (m_changes.isEmpty() && m_pendingSeen.isEmpty())
        return {};
    const QList<Change> changes = std::exchange(m_changes, {});
    const QHash<QString, qint64> seen = std::exchange(m_pendingSeen, {});
    return m_db->transaction([&]() -> Status {
        for (const Change &c : changes) {
            if (auto r = m_db->exec(c.sql, c.binds); !r)
                return r.error();
        }
        for (auto it = seen.cbegin(); it != seen.cend(); ++it) {
            if (auto r = m_db->exec(QStringLiteral("UPDATE nodes SET last_seen = ? WHERE id = ?"),
                                    {it.value(), it.key()});
                !r)
                return r.error();
        }
        return {};
    });
}

Result<QList<NodeRegistry::Node>> NodeRegistry::nodes() const
{
    flushBeforeRead();
    auto q = m_db->exec(QStringLiteral("SELECT ") + Columns + QStringLiteral(" FROM nodes ORDER BY id"));
    if (!q)
        return q.error();
    QList<Node> out;
    while (q->next())
        out.append(readNode(q.value()));
    return out;
}

Result<std::optional<NodeRegistry::Node>> NodeRegistry::node(const QString &id) const
{
    flushBeforeRead();
    auto q =
        m_db->exec(QStringLiteral("SELECT ") + Columns + QStringLiteral(" FROM nodes WHERE id = ?"), {id});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<Node>();
    return std::optional<Node>(readNode(q.value()));
}

Status NodeRegistry::provision(const QString &id)
{
    auto r = m_db->exec(QStringLiteral("INSERT INTO nodes (") + Columns
                            + QStringLiteral(") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"),
                        {id, qint64(0), qint64(0), false, QString(), QString(), qint64(0), QStringLiteral("{}")});
    if (!r)
        return r.error();
    return {};
}

Status NodeRegistry::setLabels(const QString &id, const QJsonObject &labels)
{
    auto r = m_db->exec(QStringLiteral("UPDATE nodes SET labels = ? WHERE id = ?"),
                        {QString::fromUtf8(QJsonDocument(labels).toJson(QJsonDocument::Compact)), id});
    if (!r)
        return r.error();
    if (r->numRowsAffected() == 0)
        return Status::failure(QStringLiteral("not_found"), QStringLiteral("no node ") + id);
    return {};
}

} // namespace qedge::cloud
