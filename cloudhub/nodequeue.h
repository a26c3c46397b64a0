#pragma once

#include "shared/message.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace qedge::cloud {

/// Tunables of a node queue (defaults mirror KubeEdge: 5 s x 5 writes, then back off).
struct NodeQueueConfig
{
    int window = 100;              ///< max ack-required messages in flight per node
    qint64 retryIntervalMs = 5000; ///< re-write an unacked message after this long
    int writesBeforeBackoff = 5;   ///< writes of one msg_id before it backs off
    qint64 backoffBaseMs = 30000;  ///< first backoff delay, doubled per round
    qint64 backoffCapMs = 300000;  ///< longest backoff delay
    int noAckLimit = 1000;         ///< no-ack messages kept while offline; oldest dropped
};

/// One object change for one node, as the dispatcher hands it to the queue.
struct QueueChange
{
    QString uid;       ///< dedup key (metadata.uid)
    QString resource;  ///< edge form "<ns>/<type>/<name>"
    QString operation; ///< insert, update or delete
    quint64 resourceVersion = 0;
    QByteArray object; ///< raw JSON of the whole object
    QString source;    ///< edgecontroller, or devicecontroller for device objects
    QString msgId;     ///< fixed at enqueue; empty: the queue makes one
    QString parentMsgId; ///< set for a query response: the query's msg_id
    qint64 enqueuedMs = 0;
    quint64 origin = 0; ///< the stored change this entry came from (0: not durable); kept by a replacement
};

/// What enqueue() did with a change (KubeEdge's dedup rules, reference §4.5).
enum class EnqueueResult {
    Queued,         ///< nothing was queued for the uid: appended
    Replaced,       ///< a queued entry for the uid was replaced; the key keeps its FIFO position
    DroppedOlder,   ///< RV not newer than the queued one or the acked one
    DroppedDeleted, ///< a delete is queued for the uid: an update never replaces it
};

/// Where an entry is in its life.
enum class EntryState { Pending, InFlight, Backoff };

/// One queued ack-required object message.
struct QueueEntry
{
    qint64 seq = 0;
    quint64 origin = 0; ///< stored change that set the FIFO position (see QueueChange::origin)
    QString uid;
    QString resource;
    QString operation;
    quint64 resourceVersion = 0;
    QByteArray object;
    QString source;
    QString msgId;
    QString parentMsgId;
    int writes = 0;      ///< writes of this msg_id since enqueue (all rounds)
    int roundWrites = 0; ///< writes in the current round (reset by backoff and reconnect)
    int backoffRounds = 0;
    qint64 enqueuedMs = 0;
    qint64 firstWriteMs = 0;
    qint64 lastWriteMs = 0;
    qint64 dueMs = 0; ///< in flight: next re-write; backoff: next attempt
    EntryState state = EntryState::Pending;
    bool ackRequired = true;
};

/// What an ack settled; the dispatcher records (node, uid) -> resourceVersion from it.
struct AckOutcome
{
    QString uid;
    QString operation;
    quint64 resourceVersion = 0;
    QString msgId;
    qint64 roundTripMs = 0;    ///< ack time minus the last write of that msg_id
    qint64 sinceEnqueueMs = 0; ///< ack time minus the enqueue time
    bool superseded = false;   ///< the acked msg_id was replaced meanwhile; a newer entry stays queued
    quint64 origin = 0;        ///< the entry's QueueEntry::origin (not superseded: the entry is gone)
};

/// One node's ordered delivery queue. Pure logic: no I/O, no clock (callers pass nowMs), not thread-safe.
///
/// Dedup follows KubeEdge (key = uid): newer RV replaces, older/equal dropped, a queued delete is never
/// replaced by an update, a delete always replaces; with nothing queued the acked RV decides.
/// A replacement keeps the key's FIFO position, as a client-go workqueue does for a key that is
/// already queued; it gets a new msg_id, and if the old msg_id was in flight its slot is freed and a
/// late ack for it still counts for the older RV.
class NodeQueue
{
public:
    static constexpr qint64 Never = std::numeric_limits<qint64>::max();

    explicit NodeQueue(NodeQueueConfig config = {});

    /// Applies the dedup rules and queues the change; see EnqueueResult.
    EnqueueResult enqueue(QueueChange change);
    /// What enqueue() would do, without changing anything.
    EnqueueResult classify(const QString &uid, const QString &operation, quint64 rv) const;
    /// Queues a no-ack message (written once per connection); returns false when an older one was dropped.
    bool enqueueNoAck(const Message &message);

    /// Messages to write now: re-writes that are due, then new ones while the window has room, then no-ack
    /// ones. uids, if given, receives the uid of each message (empty for no-ack ones).
    QList<Message> takeDue(qint64 nowMs, QStringList *uids = nullptr);
    /// When takeDue() has something next: <= now means at once, Never means nothing scheduled.
    qint64 nextWakeMs(qint64 nowMs) const;

    /// Settles the entry written with parentMsgId; nullopt (and counted) for unknown ids.
    std::optional<AckOutcome> ack(const QString &parentMsgId, qint64 nowMs);
    /// The link dropped: in-flight and backing-off entries go back to pending with the same msg_id.
    void connectionLost();

    /// Sync records: (this node, uid) -> acked RV, loaded at start and kept current by ack().
    void setAcked(const QString &uid, quint64 rv);
    quint64 ackedVersion(const QString &uid) const { return m_acked.value(uid, 0); }
    const QHash<QString, quint64> &ackedVersions() const { return m_acked; }

    int depth() const { return int(m_entries.size()); }
    int inFlight() const { return m_inFlight; }
    int noAckDepth() const { return int(m_noAck.size()); }
    /// Entries in FIFO order (for the admin API).
    QList<QueueEntry> entries() const;
    const QueueEntry *entry(const QString &uid) const;

    quint64 unknownAcks() const { return m_unknownAcks; }
    quint64 noAckDropped() const { return m_noAckDropped; }
    quint64 retries() const { return m_retries; }
    quint64 backoffs() const { return m_backoffs; }

    const NodeQueueConfig &config() const { return m_config; }

private:
    struct Superseded
    {
        QString uid;
        QString operation;
        quint64 rv = 0;
        qint64 enqueuedMs = 0;
        qint64 lastWriteMs = 0;
    };
    using Timer = std::pair<qint64, qint64>; // (dueMs, seq)

    Message toMessage(const QueueEntry &e, qint64 nowMs) const;
    void write(QueueEntry &e, qint64 nowMs, QList<Message> &out, QStringList *uids);
    void leaveState(QueueEntry &e);
    void remove(qint64 seq);

    NodeQueueConfig m_config;
    std::map<qint64, QueueEntry> m_entries; // by seq: FIFO order
    QHash<QString, qint64> m_byUid;
    QHash<QString, qint64> m_byMsgId;
    std::set<qint64> m_pending;
    std::set<Timer> m_inFlightTimers;
    std::set<Timer> m_backoffTimers;
    QHash<QString, Superseded> m_superseded; // old msg_id -> what it carried
    std::deque<QString> m_supersededOrder;
    QHash<QString, quint64> m_acked;
    std::deque<Message> m_noAck;
    qint64 m_nextSeq = 1;
    int m_inFlight = 0;
    quint64 m_unknownAcks = 0;
    quint64 m_noAckDropped = 0;
    quint64 m_retries = 0;
    quint64 m_backoffs = 0;
};

/// True for messages that KubeEdge sends without waiting for an ack (reference §4.4).
bool isNoAckMessage(const Message &message);

} // namespace qedge::cloud
