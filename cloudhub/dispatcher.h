#pragma once

#include "cloudhub/nodequeue.h"
#include "cloudhub/resourcestore.h"
#include "shared/message.h"
#include "shared/result.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <utility>

class QThread;
class QTimer;

namespace qedge {
class Database;
}

namespace qedge::cloud {

class AckWriter;
class DeliveryStore;
struct AckRecord;

/// Tunables of the delivery path.
struct DispatcherConfig
{
    NodeQueueConfig queue;
    int ackFlushIntervalMs = 5; ///< acks are committed this long after the first of a batch...
    int ackBatchMax = 1000;     ///< ...or as soon as this many are waiting
};

/// Figures for /metrics.
struct DeliveryCounters
{
    /// Upper bounds (ms) of the ack latency buckets (write -> ack); one more bucket for +Inf.
    static constexpr std::array<qint64, 12> LatencyBoundsMs{1,   5,   10,   25,   50,   100,
                                                            250, 500, 1000, 2500, 5000, 10000};

    QHash<QString, quint64> messagesOut; ///< writes by operation (re-writes included)
    quint64 retries = 0;
    quint64 backoffs = 0;
    quint64 acks = 0;
    quint64 staleAcks = 0; ///< acks of a msg_id a newer change replaced
    quint64 unknownAcks = 0;
    quint64 writeFailures = 0;
    quint64 noAckDropped = 0;
    quint64 ackLatencySumMs = 0;
    std::array<quint64, LatencyBoundsMs.size() + 1> ackLatencyBuckets{}; ///< per bucket, not cumulative
    quint64 queueDepthTotal = 0;
    quint64 queueDepthMax = 0;
    quint64 inFlightTotal = 0;
    quint64 acksPersisted = 0;
};

/// The delivery core of the hub: the API the admin side and the sessions call.
/// Owns the resource model, one NodeQueue per node, the write path to the DeliveryStore and the ack
/// writer thread. Lives in one thread: call it from there (sessions on other threads post to it);
/// the write functions are called in that thread too.
class Dispatcher : public QObject
{
    Q_OBJECT
public:
    /// Writes one message to a node's session; false when the session cannot take it.
    using WriteFn = std::function<bool(const Message &)>;
    /// Pushes what the writes put in the session's buffers onto the wire now.
    using FlushFn = std::function<void()>;

    explicit Dispatcher(DispatcherConfig config = {}, QObject *parent = nullptr);
    ~Dispatcher() override;

    /// Makes the delivery path durable on db: migrates, loads queues and sync records, starts the ack
    /// writer thread. Without it everything lives in memory (tests, benchmarks).
    Status open(Database *db);

    /// Creates or updates an object on nodes (empty: where it already is); returns the stored object.
    Result<QJsonObject> apply(const QStringList &nodes, const QJsonObject &object, const QString &type = {});
    /// Deletes an object from nodes (empty or all of them: deletes the object); returns it as deleted.
    Result<QJsonObject> remove(const QStringList &nodes, const QString &namespaceName, const QString &type,
                               const QString &name);
    std::optional<QJsonObject> get(const QString &node, const QString &namespaceName, const QString &type,
                                   const QString &name) const;
    QList<QJsonObject> list(const QString &node, const QString &type = {}) const;
    /// Answers an edge's query with a stored object: operation response, parent = the query's msg_id,
    /// ack-required like KubeEdge's query responses, but kept in memory only (a lost answer is asked again).
    void respond(const QString &node, const Message &query, const QByteArray &object, quint64 resourceVersion);
    /// Queues a message that needs no ack (written once on the node's next connection; not durable).
    void sendNoAck(const QString &node, const Message &message);

    /// Session hooks.
    /// flush, if given, is called after each batch of writes to the node (see pump()).
    void nodeConnected(const QString &node, WriteFn write, FlushFn flush = {});
    void nodeDisconnected(const QString &node);
    /// An upstream `response`: settles the message whose msg_id is its parent_msg_id.
    void handleAck(const QString &node, const Message &response);

    bool isConnected(const QString &node) const { return m_sessions.contains(node); }
    /// The node's queue (nullptr if nothing was ever queued for it), for the admin API.
    const NodeQueue *queue(const QString &node) const;
    QStringList nodes() const { return m_queues.keys(); }
    DeliveryCounters counters() const;
    const ResourceStore &resources() const { return m_resources; }
    /// Commits the acks waiting for the ack writer now (tests, shutdown).
    void flushAcks();

    /// The clock all queue timing uses (ms since the epoch); tests may replace it.
    void setClock(std::function<qint64()> clock) { m_clock = std::move(clock); }

signals:
    void queued(const QString &node, const QString &uid, qulonglong resourceVersion);
    void delivered(const QString &node, const QString &uid, qulonglong resourceVersion, const QString &msgId);
    void acked(const QString &node, const QString &uid, qulonglong resourceVersion, qint64 latencyMs);
    void dropped(const QString &node, const QString &uid, const QString &reason);

private:
    Result<QJsonObject> commitPlan(ResourcePlan plan);
    NodeQueue &queueFor(const QString &node);
    void schedule(const QString &node);
    void pump();
    void arm();
    /// Rebuilds resources and queues from the store; drops collects rows nothing needs any more.
    Status loadFrom(DeliveryStore &store, QList<AckRecord> &drops);
    /// enqueue() that keeps the count of queue entries holding each stored change.
    EnqueueResult enqueueStored(NodeQueue &q, QueueChange change);
    void holdChange(quint64 change);
    /// The last entry holding a change let go of it: its row is dropped.
    void releaseChange(quint64 change);

    DispatcherConfig m_config;
    ResourceStore m_resources;
    QHash<QString, std::shared_ptr<NodeQueue>> m_queues;
    struct SessionHooks
    {
        WriteFn write;
        FlushFn flush;
    };
    QHash<QString, SessionHooks> m_sessions;
    /// A small integer per node name, so the wake schedule compares integers, not strings.
    int nodeId(const QString &node);
    QHash<QString, int> m_nodeIds;
    QStringList m_nodeNames; // by id
    std::set<std::pair<qint64, int>> m_wakes; // (when, node id) for connected nodes
    QHash<QString, qint64> m_wakeOf;
    QTimer *m_timer;
    qint64 m_armedFor = NodeQueue::Never;
    bool m_pumping = false;
    quint64 m_memoryVersion = 0;
    QHash<quint64, int> m_changeRefs; // stored change -> queue entries holding it
    std::function<qint64()> m_clock;
    DeliveryCounters m_counters;

    std::unique_ptr<DeliveryStore> m_store;
    QThread *m_ackThread = nullptr;
    AckWriter *m_ackWriter = nullptr;
};

} // namespace qedge::cloud
