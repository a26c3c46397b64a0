#include "cloudhub/deliverystore.h"

#include "shared/message.h"
#include "shared/storage.h"

#include "cloudhub/hublogging.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace qedge::cloud {

namespace {

const QString SchemaName = QStringLiteral("delivery");

QList<QStringList> schemaSteps()
{
    return {
        {
            // A one-row counter: the UPDATE's row lock orders writers, also across PostgreSQL replicas.
            QStringLiteral(
                "CREATE TABLE delivery_version (id {{bigint}} PRIMARY KEY, value {{bigint}} NOT NULL)"),
            QStringLiteral("INSERT INTO delivery_version (id, value) VALUES (1, 0)"),
            QStringLiteral(
                "CREATE TABLE delivery_resources (uid {{text}} PRIMARY KEY, namespace {{text}} NOT NULL, "
                "type {{text}} NOT NULL, name {{text}} NOT NULL, rv {{bigint}} NOT NULL, "
                "object {{blob}} NOT NULL, source {{text}} NOT NULL, deleted {{bool}} NOT NULL)"),
            QStringLiteral("CREATE INDEX delivery_resources_name ON delivery_resources (namespace, type, name)"),
            // Step 1 kept a row per (node, object) in these two; step 2 folds them into one row per
            // resource and one per change (a fleet-wide apply to 1,000 nodes wrote 2,000 rows).
            QStringLiteral("CREATE TABLE delivery_targets (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                           "delete_rv {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
            QStringLiteral("CREATE INDEX delivery_targets_uid ON delivery_targets (uid)"),
            QStringLiteral("CREATE TABLE delivery_queue (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                           "seq {{bigint}} NOT NULL, msg_id {{text}} NOT NULL, operation {{text}} NOT NULL, "
                           "rv {{bigint}} NOT NULL, enqueued_ms {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
            QStringLiteral("CREATE TABLE delivery_sync (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                           "rv {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
        },
        {
            // targets: JSON {"node": delete_rv, ...} (0: delivered or on its way; > 0: that delete pending).
            QStringLiteral("ALTER TABLE delivery_resources ADD COLUMN targets {{text}} NOT NULL DEFAULT '{}'"),
            // targets: JSON {"insert": [nodes], "update": [...], "delete": [...]}.
            QStringLiteral("CREATE TABLE delivery_changes (rv {{bigint}} PRIMARY KEY, uid {{text}} NOT NULL, "
                           "msg_base {{text}} NOT NULL, enqueued_ms {{bigint}} NOT NULL, "
                           "targets {{text}} NOT NULL)"),
            QStringLiteral("DROP TABLE delivery_queue"),
            QStringLiteral("DROP TABLE delivery_targets"),
        },
        {
            // Keyed by object first: the acks of one fleet-wide change land side by side, so a batch of
            // them rewrites a few pages instead of one page per node, and a purge by uid is a range.
            QStringLiteral("CREATE TABLE delivery_sync_by_uid (uid {{text}} NOT NULL, node {{text}} NOT NULL, "
                           "rv {{bigint}} NOT NULL, PRIMARY KEY (uid, node)) {{without_rowid}}"),
            QStringLiteral("INSERT INTO delivery_sync_by_uid (uid, node, rv) SELECT uid, node, rv FROM delivery_sync"),
            QStringLiteral("DROP TABLE delivery_sync"),
            QStringLiteral("ALTER TABLE delivery_sync_by_uid RENAME TO delivery_sync"),
        },
    };
}

Status fail(const Error &e)
{
    return Status(e);
}

QByteArray encodeResourceTargets(const QHash<QString, quint64> &targets)
{
    QJsonObject o;
    for (auto it = targets.cbegin(); it != targets.cend(); ++it)
        o.insert(it.key(), QString::number(it.value()));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QHash<QString, quint64> decodeResourceTargets(const QByteArray &text)
{
    QHash<QString, quint64> out;
    const QJsonObject o = QJsonDocument::fromJson(text).object();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it)
        out.insert(it.key(), it.value().toString().toULongLong());
    return out;
}

QByteArray encodeChangeTargets(const QList<ChangeTarget> &targets)
{
    QHash<QString, QJsonArray> byOp;
    for (const ChangeTarget &t : targets)
        byOp[t.operation].append(t.node);
    QJsonObject o;
    for (auto it = byOp.cbegin(); it != byOp.cend(); ++it)
        o.insert(it.key(), it.value());
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QList<ChangeTarget> decodeChangeTargets(const QByteArray &text)
{
    QList<ChangeTarget> out;
    const QJsonObject o = QJsonDocument::fromJson(text).object();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it)
        for (const QJsonValue &n : it.value().toArray())
            out.append(ChangeTarget{n.toString(), it.key()});
    return out;
}

/// What a step-1 store held beyond the tables step 2 keeps: read before the step drops it.
struct LegacyRows
{
    QHash<QString, QHash<QString, quint64>> targets; // uid -> node -> delete_rv
    QMap<quint64, ChangeRow> changes;                // one per version still queued somewhere
};

Result<LegacyRows> readLegacy(Database &db)
{
    LegacyRows out;
    auto t = db.exec(QStringLiteral("SELECT node, uid, delete_rv FROM delivery_targets"));
    if (!t)
        return t.error();
    while (t->next())
        out.targets[t->value(1).toString()].insert(t->value(0).toString(), quint64(t->value(2).toLongLong()));
    auto q = db.exec(QStringLiteral("SELECT node, uid, operation, rv, enqueued_ms FROM delivery_queue"));
    if (!q)
        return q.error();
    while (q->next()) {
        const quint64 rv = quint64(q->value(3).toLongLong());
        ChangeRow &c = out.changes[rv];
        if (c.targets.isEmpty()) {
            c.resourceVersion = rv;
            c.uid = q->value(1).toString();
            c.msgBase = QUuid::createUuid().toString(QUuid::WithoutBraces);
            c.enqueuedMs = q->value(4).toLongLong();
        }
        c.targets.append(ChangeTarget{q->value(0).toString(), q->value(2).toString()});
    }
    return out;
}

const QString InsertChange = QStringLiteral(
    "INSERT INTO delivery_changes (rv, uid, msg_base, enqueued_ms, targets) VALUES (?, ?, ?, ?, ?)");

} // namespace

DeliveryStore::DeliveryStore(Database &db) : m_db(db)
{}

QString DeliveryStore::msgIdFor(const QString &msgBase, const QString &node)
{
    // A SHA-1 of (random base, node) is as unpredictable as a random UUID; it is marked version 4
    // because PROTOCOL.md promises the edge random v4 msg_ids.
    QUuid id = QUuid::createUuidV5(QUuid(msgBase), node);
    id.data3 = ushort((id.data3 & 0x0fff) | 0x4000);
    return id.toString(QUuid::WithoutBraces);
}

Status DeliveryStore::migrate()
{
    const int before = m_db.schemaVersion(SchemaName);
    if (before != 1)
        return m_db.migrate(SchemaName, schemaSteps());
    // A step-1 store: its per-node rows become per-resource and per-change rows in the same
    // transaction as the step that drops them. The queued changes keep their versions and order;
    // their msg_ids are new (the edge applies a resourceVersion once, whatever the msg_id).
    return m_db.transaction([&]() -> Status {
        auto legacy = readLegacy(m_db);
        if (!legacy)
            return fail(legacy.error());
        if (Status st = m_db.migrate(SchemaName, schemaSteps()); !st)
            return st;
        for (auto it = legacy->targets.cbegin(); it != legacy->targets.cend(); ++it) {
            auto w = m_db.execWrite(QStringLiteral("UPDATE delivery_resources SET targets = ? WHERE uid = ?"),
                                    {QString::fromUtf8(encodeResourceTargets(it.value())), it.key()});
            if (!w)
                return fail(w.error());
        }
        for (const ChangeRow &c : std::as_const(legacy->changes)) {
            auto w = m_db.execWrite(InsertChange, {qint64(c.resourceVersion), c.uid, c.msgBase, c.enqueuedMs,
                                                   QString::fromUtf8(encodeChangeTargets(c.targets))});
            if (!w)
                return fail(w.error());
        }
        qCInfo(lcHubStore) << "delivery store upgraded:" << legacy->changes.size() << "queued changes for"
                           << legacy->targets.size() << "resources kept";
        return Status();
    });
}

Result<quint64> DeliveryStore::lastVersion()
{
    auto q = m_db.exec(QStringLiteral("SELECT value FROM delivery_version WHERE id = 1"));
    if (!q)
        return q.error();
    if (!q->next())
        return Result<quint64>::failure(QStringLiteral("storage"),
                                        QStringLiteral("delivery_version row is missing"));
    return quint64(q->value(0).toLongLong());
}

Result<DeliverySnapshot> DeliveryStore::load()
{
    DeliverySnapshot snap;
    const auto last = lastVersion();
    if (!last)
        return last.error();
    snap.lastVersion = last.value();
    {
        auto q = m_db.exec(QStringLiteral("SELECT uid, namespace, type, name, rv, object, source, deleted, "
                                          "targets FROM delivery_resources"));
        if (!q)
            return q.error();
        while (q->next()) {
            StoredResource r;
            r.uid = q->value(0).toString();
            r.namespaceName = q->value(1).toString();
            r.type = q->value(2).toString();
            r.name = q->value(3).toString();
            r.resourceVersion = quint64(q->value(4).toLongLong());
            r.json = q->value(5).toByteArray();
            r.source = q->value(6).toString();
            r.deleted = q->value(7).toBool();
            r.targets = decodeResourceTargets(q->value(8).toString().toUtf8());
            snap.resources.append(std::move(r));
        }
    }
    {
        auto q = m_db.exec(QStringLiteral(
            "SELECT rv, uid, msg_base, enqueued_ms, targets FROM delivery_changes ORDER BY rv"));
        if (!q)
            return q.error();
        while (q->next()) {
            ChangeRow c;
            c.resourceVersion = quint64(q->value(0).toLongLong());
            c.uid = q->value(1).toString();
            c.msgBase = q->value(2).toString();
            c.enqueuedMs = q->value(3).toLongLong();
            c.targets = decodeChangeTargets(q->value(4).toString().toUtf8());
            snap.changes.append(std::move(c));
        }
    }
    {
        auto q = m_db.exec(QStringLiteral("SELECT node, uid, rv FROM delivery_sync"));
        if (!q)
            return q.error();
        while (q->next())
            snap.sync.append(
                SyncRow{q->value(0).toString(), q->value(1).toString(), quint64(q->value(2).toLongLong())});
    }
    return snap;
}

Result<ChangeRow> DeliveryStore::commit(
    ResourcePlan &plan, qint64 nowMs,
    const std::function<QList<ChangeTarget>(const ResourcePlan &)> &queueTargets)
{
    ChangeRow change;
    const Status st = m_db.transaction([&]() -> Status {
        auto bumped =
            m_db.execWrite(QStringLiteral("UPDATE delivery_version SET value = value + 1 WHERE id = 1"));
        if (!bumped)
            return fail(bumped.error());
        const auto last = lastVersion();
        if (!last)
            return fail(last.error());
        change.resourceVersion = last.value();
        ResourceStore::finalize(plan, change.resourceVersion);

        // The targets as they will be once this change is taken in (put() of plan.next).
        const StoredResource &r = plan.next;
        auto upserted = m_db.execWrite(
            QStringLiteral("INSERT INTO delivery_resources (uid, namespace, type, name, rv, object, source, "
                           "deleted, targets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE "
                           "SET rv = excluded.rv, object = excluded.object, source = excluded.source, "
                           "deleted = excluded.deleted, targets = excluded.targets"),
            {r.uid, r.namespaceName, r.type, r.name, qint64(r.resourceVersion), r.json, r.source, r.deleted,
             QString::fromUtf8(encodeResourceTargets(r.targets))});
        if (!upserted)
            return fail(upserted.error());

        change.uid = r.uid;
        change.targets = queueTargets(plan);
        if (change.targets.isEmpty())
            return Status();
        change.msgBase = QUuid::createUuid().toString(QUuid::WithoutBraces);
        change.enqueuedMs = nowMs;
        auto inserted =
            m_db.execWrite(InsertChange, {qint64(change.resourceVersion), change.uid, change.msgBase,
                                          change.enqueuedMs, QString::fromUtf8(encodeChangeTargets(change.targets))});
        return inserted ? Status() : fail(inserted.error());
    });
    if (!st)
        return st.error();
    return change;
}

Status DeliveryStore::recordAcks(const QList<AckRecord> &acks)
{
    // Every ack moves the sync record, a delete's too: at start a change is replayed to a node only
    // if its version is newer than what the node acked.
    QList<QVariantList> syncUpserts, changeDrops, resourceDrops;
    for (const AckRecord &a : acks) {
        switch (a.kind) {
        case AckRecord::Kind::Ack:
            syncUpserts.append({a.uid, a.node, qint64(a.resourceVersion)});
            break;
        case AckRecord::Kind::DropChange:
            changeDrops.append(QVariantList{qint64(a.resourceVersion)});
            break;
        case AckRecord::Kind::DropResource:
            resourceDrops.append(QVariantList{a.uid});
            break;
        }
    }
    return m_db.transaction([&]() -> Status {
        const auto batch = [&](const QString &sql, const QList<QVariantList> &rows) {
            return rows.isEmpty() ? Status() : m_db.execBatch(sql, rows);
        };
        Status s = batch(QStringLiteral("INSERT INTO delivery_sync (uid, node, rv) VALUES (?, ?, ?) "
                                        "ON CONFLICT (uid, node) DO UPDATE SET rv = excluded.rv "
                                        "WHERE excluded.rv > delivery_sync.rv"),
                         syncUpserts);
        if (!s)
            return s;
        s = batch(QStringLiteral("DELETE FROM delivery_changes WHERE rv = ?"), changeDrops);
        if (!s)
            return s;
        // A tombstone no node waits for any more goes with its sync records.
        s = batch(QStringLiteral("DELETE FROM delivery_sync WHERE uid = ?"), resourceDrops);
        if (!s)
            return s;
        return batch(QStringLiteral("DELETE FROM delivery_resources WHERE uid = ? AND deleted = ?"), [&] {
            QList<QVariantList> rows;
            for (const QVariantList &p : resourceDrops)
                rows.append({p.at(0), true});
            return rows;
        }());
    });
}

} // namespace qedge::cloud
