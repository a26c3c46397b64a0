#pragma once

#include "cloudhub/resourcestore.h"
#include "shared/result.h"

#include <QList>
#include <QString>

#include <functional>

namespace qedge {
class Database;
}

namespace qedge::cloud {

/// One node's part of a stored change: the node and the operation queued for it.
struct ChangeTarget
{
    QString node;
    QString operation;
};

/// One committed change as stored: a row per commit, whatever the fan-out. The message content is
/// the resource row's object (with metadata.resourceVersion = rv); each node's msg_id is derived from
/// msgBase and the node (msgIdFor), so it is the same on every write, also after a restart.
struct ChangeRow
{
    quint64 resourceVersion = 0; ///< the commit's global version, also the change's key
    QString uid;
    QString msgBase;
    qint64 enqueuedMs = 0;
    QList<ChangeTarget> targets; ///< the nodes whose queues took the change
};

/// Sync record: the newest resourceVersion of uid that node acked (a delete's too).
struct SyncRow
{
    QString node;
    QString uid;
    quint64 resourceVersion = 0;
};

/// A write for the ack writer: an ack, or the removal of a change or a tombstone nothing needs.
struct AckRecord
{
    enum class Kind { Ack, DropChange, DropResource };
    QString node;
    QString uid;
    QString msgId;
    QString operation;
    quint64 resourceVersion = 0; ///< Ack: the acked version; DropChange: the change's key
    bool superseded = false;     ///< a newer change replaced it: only the sync record moves
    Kind kind = Kind::Ack;

    static AckRecord dropChange(quint64 change)
    {
        AckRecord r;
        r.kind = Kind::DropChange;
        r.resourceVersion = change;
        return r;
    }
    static AckRecord dropResource(const QString &uid)
    {
        AckRecord r;
        r.kind = Kind::DropResource;
        r.uid = uid;
        return r;
    }
};

/// Everything the delivery path needs back after a restart.
struct DeliverySnapshot
{
    quint64 lastVersion = 0;
    QList<StoredResource> resources; ///< with their targets, settled deletes included
    QList<ChangeRow> changes;        ///< ordered by resourceVersion
    QList<SyncRow> sync;
};

/// Persistence of resources (with their targets), changes, sync records and the global
/// resourceVersion counter on qedge::Database (SQLite or PostgreSQL, same SQL).
/// A commit writes two rows whatever its fan-out (the resource and the change); the per-node queues
/// are rebuilt at start by replaying the changes not yet acked, in version order, through the same
/// dedup rules that built them. Thread-safe as far as Database is: each thread uses its own connection.
class DeliveryStore
{
public:
    explicit DeliveryStore(Database &db);

    /// Creates or upgrades the delivery tables.
    Status migrate();
    /// Reads everything back (start-up).
    Result<DeliverySnapshot> load();

    /// One write transaction: takes the next global resourceVersion, finalizes the plan with it, asks
    /// queueTargets which nodes' queues take the change, then writes the resource (with its targets)
    /// and, when some queue takes it, the change row. Returns the change as written (no targets:
    /// nothing queued) once committed.
    Result<ChangeRow> commit(ResourcePlan &plan, qint64 nowMs,
                             const std::function<QList<ChangeTarget>(const ResourcePlan &)> &queueTargets);
    /// Records a batch of acks and drops in one transaction (the ack writer thread calls this).
    Status recordAcks(const QList<AckRecord> &acks);

    /// The msg_id of a change for one node: derived from (msgBase, node), laid out as a v4 UUID.
    static QString msgIdFor(const QString &msgBase, const QString &node);
    /// The last resourceVersion handed out.
    Result<quint64> lastVersion();

private:
    Database &m_db;
};

} // namespace qedge::cloud
