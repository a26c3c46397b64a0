#include "cloudhub/deliverystore.h"

#include "shared/message.h"
#include "shared/storage.h"

#include <QHash>
#include <QSqlQuery>
#include <QVariant>

namespace qedge::cloud {

namespace {

const QString SchemaName = QStringLiteral("delivery");

QList<QStringList> schemaSteps()
{
    return {{
        // A one-row counter: the UPDATE's row lock orders writers, also across PostgreSQL replicas.
        QStringLiteral(
            "CREATE TABLE delivery_version (id {{bigint}} PRIMARY KEY, value {{bigint}} NOT NULL)"),
        QStringLiteral("INSERT INTO delivery_version (id, value) VALUES (1, 0)"),
        QStringLiteral(
            "CREATE TABLE delivery_resources (uid {{text}} PRIMARY KEY, namespace {{text}} NOT NULL, "
            "type {{text}} NOT NULL, name {{text}} NOT NULL, rv {{bigint}} NOT NULL, "
            "object {{blob}} NOT NULL, source {{text}} NOT NULL, deleted {{bool}} NOT NULL)"),
        QStringLiteral("CREATE INDEX delivery_resources_name ON delivery_resources (namespace, type, name)"),
        // delete_rv = 0: delivered or on its way; > 0: the delete of that version is pending.
        QStringLiteral("CREATE TABLE delivery_targets (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                       "delete_rv {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
        QStringLiteral("CREATE INDEX delivery_targets_uid ON delivery_targets (uid)"),
        QStringLiteral("CREATE TABLE delivery_queue (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                       "seq {{bigint}} NOT NULL, msg_id {{text}} NOT NULL, operation {{text}} NOT NULL, "
                       "rv {{bigint}} NOT NULL, enqueued_ms {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
        QStringLiteral("CREATE TABLE delivery_sync (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                       "rv {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
    }};
}

Status fail(const Error &e)
{
    return Status(e);
}

} // namespace

DeliveryStore::DeliveryStore(Database &db) : m_db(db)
{}

Status DeliveryStore::migrate()
{
    return m_db.migrate(SchemaName, schemaSteps());
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

    QHash<QString, qsizetype> index;
    {
        auto q = m_db.exec(QStringLiteral("SELECT uid, namespace, type, name, rv, object, source, deleted "
                                          "FROM delivery_resources"));
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
            index.insert(r.uid, snap.resources.size());
            snap.resources.append(std::move(r));
        }
    }
    {
        auto q = m_db.exec(QStringLiteral("SELECT node, uid, delete_rv FROM delivery_targets"));
        if (!q)
            return q.error();
        while (q->next()) {
            const auto it = index.constFind(q->value(1).toString());
            if (it != index.constEnd())
                snap.resources[*it].targets.insert(q->value(0).toString(), quint64(q->value(2).toLongLong()));
        }
    }
    {
        auto q = m_db.exec(QStringLiteral("SELECT node, uid, seq, msg_id, operation, rv, enqueued_ms "
                                          "FROM delivery_queue ORDER BY node, seq"));
        if (!q)
            return q.error();
        while (q->next()) {
            QueueRow r;
            r.node = q->value(0).toString();
            r.uid = q->value(1).toString();
            r.seq = q->value(2).toLongLong();
            r.msgId = q->value(3).toString();
            r.operation = q->value(4).toString();
            r.resourceVersion = quint64(q->value(5).toLongLong());
            r.enqueuedMs = q->value(6).toLongLong();
            snap.queue.append(std::move(r));
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

Result<quint64> DeliveryStore::commit(ResourcePlan &plan,
                                      const std::function<QList<QueueRow>(const ResourcePlan &)> &queueRows)
{
    quint64 rv = 0;
    const Status st = m_db.transaction([&]() -> Status {
        auto bumped =
            m_db.execWrite(QStringLiteral("UPDATE delivery_version SET value = value + 1 WHERE id = 1"));
        if (!bumped)
            return fail(bumped.error());
        const auto last = lastVersion();
        if (!last)
            return fail(last.error());
        rv = last.value();
        ResourceStore::finalize(plan, rv);

        const StoredResource &r = plan.next;
        auto upserted = m_db.execWrite(
            QStringLiteral(
                "INSERT INTO delivery_resources (uid, namespace, type, name, rv, object, source, deleted) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET rv = excluded.rv, "
                "object = excluded.object, source = excluded.source, deleted = excluded.deleted"),
            {r.uid, r.namespaceName, r.type, r.name, qint64(r.resourceVersion), r.json, r.source, r.deleted});
        if (!upserted)
            return fail(upserted.error());

        // Updates leave a target as it was; only new targets and deletes change rows.
        QList<QVariantList> targets;
        for (const NodeChange &c : plan.changes)
            if (c.operation != op::Update)
                targets.append({c.node, r.uid, qint64(c.operation == op::Delete ? c.resourceVersion : 0)});
        if (!targets.isEmpty()) {
            const Status t = m_db.execBatch(
                QStringLiteral("INSERT INTO delivery_targets (node, uid, delete_rv) VALUES (?, ?, ?) "
                               "ON CONFLICT (node, uid) DO UPDATE SET delete_rv = excluded.delete_rv"),
                targets);
            if (!t)
                return t;
        }

        QList<QVariantList> rows;
        for (const QueueRow &q : queueRows(plan))
            rows.append(
                {q.node, q.uid, q.seq, q.msgId, q.operation, qint64(q.resourceVersion), q.enqueuedMs});
        if (rows.isEmpty())
            return Status();
        // The same dedup as NodeQueue (a delete always replaces; a queued delete is kept; newer RV wins);
        // seq is kept so a replaced key holds its FIFO position.
        return m_db.execBatch(
            QStringLiteral("INSERT INTO delivery_queue (node, uid, seq, msg_id, operation, rv, enqueued_ms) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node, uid) DO UPDATE SET "
                           "msg_id = excluded.msg_id, operation = excluded.operation, rv = excluded.rv, "
                           "enqueued_ms = excluded.enqueued_ms WHERE excluded.operation = 'delete' OR "
                           "(delivery_queue.operation <> 'delete' AND excluded.rv > delivery_queue.rv)"),
            rows);
    });
    if (!st)
        return st.error();
    return rv;
}

Status DeliveryStore::recordAcks(const QList<AckRecord> &acks)
{
    QList<QVariantList> syncUpserts, queueDeletes, deleteSettles, purges;
    for (const AckRecord &a : acks) {
        const bool del = a.operation == op::Delete;
        if (!a.superseded)
            queueDeletes.append({a.node, a.uid, a.msgId});
        if (!del)
            syncUpserts.append({a.node, a.uid, qint64(a.resourceVersion)});
        else if (!a.superseded) {
            deleteSettles.append({a.node, a.uid});
            purges.append({a.uid});
        }
    }
    return m_db.transaction([&]() -> Status {
        const auto batch = [&](const QString &sql, const QList<QVariantList> &rows) {
            return rows.isEmpty() ? Status() : m_db.execBatch(sql, rows);
        };
        Status s = batch(QStringLiteral("INSERT INTO delivery_sync (node, uid, rv) VALUES (?, ?, ?) "
                                        "ON CONFLICT (node, uid) DO UPDATE SET rv = excluded.rv "
                                        "WHERE excluded.rv > delivery_sync.rv"),
                         syncUpserts);
        if (!s)
            return s;
        s = batch(QStringLiteral("DELETE FROM delivery_queue WHERE node = ? AND uid = ? AND msg_id = ?"),
                  queueDeletes);
        if (!s)
            return s;
        s = batch(QStringLiteral("DELETE FROM delivery_sync WHERE node = ? AND uid = ?"), deleteSettles);
        if (!s)
            return s;
        s = batch(
            QStringLiteral("DELETE FROM delivery_targets WHERE node = ? AND uid = ? AND delete_rv <> 0"),
            deleteSettles);
        if (!s)
            return s;
        // A tombstone goes once no node still waits for its delete.
        return batch(
            QStringLiteral("DELETE FROM delivery_resources WHERE uid = ? AND deleted = ? AND NOT EXISTS "
                           "(SELECT 1 FROM delivery_targets t WHERE t.uid = delivery_resources.uid)"),
            [&] {
                QList<QVariantList> rows;
                for (const QVariantList &p : purges)
                    rows.append({p.at(0), true});
                return rows;
            }());
    });
}

} // namespace qedge::cloud
