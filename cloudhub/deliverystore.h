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

/// One persisted queue entry: the newest change of (node, uid) not yet acked. The content is the
/// resource row's object (with metadata.resourceVersion = rv), so a fleet-wide apply writes the
/// object once and a small row per node.
struct QueueRow
{
    QString node;
    QString uid;
    QString msgId;
    QString operation;
    quint64 resourceVersion = 0;
    qint64 seq = 0;
    qint64 enqueuedMs = 0;
};

/// Sync record: the newest resourceVersion of uid that node acked.
struct SyncRow
{
    QString node;
    QString uid;
    quint64 resourceVersion = 0;
};

/// An ack to record: settles the queue row written with msgId and advances the sync record.
struct AckRecord
{
    QString node;
    QString uid;
    QString msgId;
    QString operation;
    quint64 resourceVersion = 0;
    bool superseded = false; ///< a newer change replaced it: only the sync record moves
};

/// Everything the delivery path needs back after a restart.
struct DeliverySnapshot
{
    quint64 lastVersion = 0;
    QList<StoredResource> resources; ///< with their targets
    QList<QueueRow> queue;           ///< ordered by node, then seq
    QList<SyncRow> sync;
};

/// Persistence of resources, targets, per-node queues, sync records and the global
/// resourceVersion counter on qedge::Database (SQLite or PostgreSQL, same SQL).
/// Thread-safe as far as Database is: each thread uses its own connection.
class DeliveryStore
{
public:
    explicit DeliveryStore(Database &db);

    /// Creates or upgrades the delivery tables.
    Status migrate();
    /// Reads everything back (start-up).
    Result<DeliverySnapshot> load();

    /// One write transaction: takes the next global resourceVersion, calls stamp(rv) to finish the plan
    /// and name its queue rows, then writes the resource, its changed targets and the queue rows.
    /// Returns the version once committed.
    Result<quint64> commit(ResourcePlan &plan,
                           const std::function<QList<QueueRow>(const ResourcePlan &)> &queueRows);
    /// Records a batch of acks in one transaction (the ack writer thread calls this).
    Status recordAcks(const QList<AckRecord> &acks);
    /// The last resourceVersion handed out.
    Result<quint64> lastVersion();

private:
    Database &m_db;
};

} // namespace qedge::cloud
