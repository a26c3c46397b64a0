#include "cloudhub/dispatcher.h"

#include "cloudhub/ackwriter.h"
#include "cloudhub/deliverystore.h"
#include "cloudhub/hublogging.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QThread>
#include <QTimer>

#include <algorithm>

namespace qedge::cloud {

namespace {

QString reasonOf(EnqueueResult r)
{
    return r == EnqueueResult::DroppedDeleted ? QStringLiteral("delete-queued") : QStringLiteral("older");
}

} // namespace

Dispatcher::Dispatcher(DispatcherConfig config, QObject *parent)
    : QObject(parent), m_config(config), m_timer(new QTimer(this)),
      m_clock([] { return QDateTime::currentMSecsSinceEpoch(); })
{
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, [this] {
        m_armedFor = NodeQueue::Never;
        pump();
    });
}

Dispatcher::~Dispatcher()
{
    if (m_ackThread) {
        flushAcks();
        m_ackThread->quit();
        m_ackThread->wait();
        delete m_ackWriter;
    }
}

Status Dispatcher::open(Database *db)
{
    if (m_store)
        return Status::failure(QStringLiteral("state"), QStringLiteral("the delivery store is already open"));
    m_store = std::make_unique<DeliveryStore>(*db);
    Status st = m_store->migrate();
    QList<AckRecord> drops;
    if (st)
        st = loadFrom(*m_store, drops);
    if (!st) {
        m_store.reset();
        return st;
    }
    m_ackThread = new QThread(this);
    m_ackThread->setObjectName(QStringLiteral("delivery-acks"));
    m_ackWriter = new AckWriter(*m_store, m_config.ackFlushIntervalMs, m_config.ackBatchMax);
    m_ackWriter->moveToThread(m_ackThread);
    m_ackThread->start();
    for (AckRecord &d : drops)
        m_ackWriter->add(std::move(d));
    return Status();
}

Status Dispatcher::loadFrom(DeliveryStore &store, QList<AckRecord> &drops)
{
    auto snap = store.load();
    if (!snap)
        return snap.error();
    m_memoryVersion = snap->lastVersion;
    QHash<QString, QHash<QString, quint64>> synced; // node -> uid -> acked version
    for (const SyncRow &s : snap->sync)
        synced[s.node].insert(s.uid, s.resourceVersion);
    const auto ackedBy = [&](const QString &node, const QString &uid) {
        const auto n = synced.constFind(node);
        return n == synced.constEnd() ? quint64(0) : n->value(uid, 0);
    };
    for (StoredResource &r : snap->resources) {
        // A delete the node acked is settled, although the row may still name it.
        for (auto t = r.targets.begin(); t != r.targets.end();)
            t = (*t != 0 && ackedBy(t.key(), r.uid) >= *t) ? r.targets.erase(t) : std::next(t);
        if (r.deleted && r.targets.isEmpty()) {
            drops.append(AckRecord::dropResource(r.uid));
            continue;
        }
        m_resources.put(std::move(r));
    }
    // As live: a settled delete leaves no acked version behind in the node's queue.
    for (const SyncRow &s : snap->sync) {
        const StoredResource *r = m_resources.byUid(s.uid);
        if (r && r->targets.contains(s.node))
            queueFor(s.node).setAcked(s.uid, s.resourceVersion);
    }
    // Replaying the changes in version order through the same dedup rules rebuilds each queue as
    // it was, FIFO positions included; what a node acked is left out.
    int loaded = 0;
    for (const ChangeRow &change : snap->changes) {
        const StoredResource *r = m_resources.byUid(change.uid);
        if (r) {
            const QByteArray object = change.resourceVersion == r->resourceVersion
                                          ? r->json
                                          : ResourceStore::withVersion(r->json, change.resourceVersion);
            for (const ChangeTarget &t : change.targets) {
                if (ackedBy(t.node, change.uid) >= change.resourceVersion)
                    continue;
                QueueChange c;
                c.uid = change.uid;
                c.resource = r->edgeResource();
                c.operation = t.operation;
                c.resourceVersion = change.resourceVersion;
                c.object = object;
                c.source = r->source;
                c.msgId = DeliveryStore::msgIdFor(change.msgBase, t.node);
                c.enqueuedMs = change.enqueuedMs;
                c.origin = change.resourceVersion;
                const EnqueueResult res = enqueueStored(queueFor(t.node), std::move(c));
                if (res == EnqueueResult::Queued)
                    ++loaded;
            }
        }
        if (!m_changeRefs.contains(change.resourceVersion))
            drops.append(AckRecord::dropChange(change.resourceVersion));
    }
    qCInfo(lcHubDelivery) << "loaded" << m_resources.size() << "resources," << loaded << "queued messages for"
                          << m_queues.size() << "nodes from" << snap->changes.size()
                          << "stored changes, last resourceVersion" << m_memoryVersion;
    return Status();
}

EnqueueResult Dispatcher::enqueueStored(NodeQueue &q, QueueChange change)
{
    const QueueEntry *old = q.entry(change.uid);
    const quint64 oldOrigin = old ? old->origin : 0;
    const quint64 oldVersion = old ? old->resourceVersion : 0;
    const quint64 version = change.resourceVersion;
    const bool stored = change.origin != 0;
    const EnqueueResult r = q.enqueue(std::move(change));
    if (!stored)
        return r;
    // A queue entry holds the change that gave it its FIFO position and the one it carries now.
    if (r == EnqueueResult::Queued) {
        holdChange(version);
    } else if (r == EnqueueResult::Replaced) {
        if (oldOrigin != 0 && oldVersion != oldOrigin)
            releaseChange(oldVersion);
        if (version != oldOrigin)
            holdChange(version);
    }
    return r;
}

void Dispatcher::holdChange(quint64 change)
{
    ++m_changeRefs[change];
}

void Dispatcher::releaseChange(quint64 change)
{
    const auto it = m_changeRefs.find(change);
    if (it == m_changeRefs.end())
        return;
    if (--*it > 0)
        return;
    m_changeRefs.erase(it);
    if (m_ackWriter)
        m_ackWriter->add(AckRecord::dropChange(change));
}

NodeQueue &Dispatcher::queueFor(const QString &node)
{
    auto &slot = m_queues[node];
    if (!slot)
        slot = std::make_shared<NodeQueue>(m_config.queue);
    return *slot;
}

const NodeQueue *Dispatcher::queue(const QString &node) const
{
    return m_queues.value(node).get();
}

Result<QJsonObject> Dispatcher::apply(const QStringList &nodes, const QJsonObject &object,
                                      const QString &type)
{
    auto plan = m_resources.planApply(nodes, object, type);
    if (!plan)
        return plan.error();
    return commitPlan(std::move(plan.value()));
}

Result<QJsonObject> Dispatcher::remove(const QStringList &nodes, const QString &namespaceName,
                                       const QString &type, const QString &name)
{
    auto plan = m_resources.planRemove(nodes, namespaceName, type, name);
    if (!plan)
        return plan.error();
    return commitPlan(std::move(plan.value()));
}

Result<QJsonObject> Dispatcher::commitPlan(ResourcePlan plan)
{
    const qint64 now = m_clock();
    // Decide per node before writing, so the change row names exactly the queues that take it.
    QList<std::pair<QString, EnqueueResult>> drops;
    const auto queueTargets = [&](const ResourcePlan &p) {
        QList<ChangeTarget> targets;
        drops.clear();
        for (const NodeChange &c : p.changes) {
            const EnqueueResult r = queueFor(c.node).classify(p.next.uid, c.operation, c.resourceVersion);
            if (r == EnqueueResult::DroppedOlder || r == EnqueueResult::DroppedDeleted)
                drops.append({c.node, r});
            else
                targets.append(ChangeTarget{c.node, c.operation});
        }
        return targets;
    };

    ChangeRow change;
    if (m_store) {
        auto committed = m_store->commit(plan, now, queueTargets);
        if (!committed) {
            qCWarning(lcHubStore).noquote()
                << "committing" << plan.next.edgeResource() << "failed:" << committed.errorMessage();
            return Error{QStringLiteral("storage"), committed.errorMessage()};
        }
        change = std::move(committed.value());
        m_memoryVersion = std::max(m_memoryVersion, change.resourceVersion);
    } else {
        ResourceStore::finalize(plan, ++m_memoryVersion);
        change.resourceVersion = m_memoryVersion;
        change.uid = plan.next.uid;
        change.enqueuedMs = now;
        change.targets = queueTargets(plan);
    }

    const QString resource = plan.next.edgeResource();
    QHash<QString, const NodeChange *> byNode;
    byNode.reserve(plan.changes.size());
    for (const NodeChange &c : plan.changes)
        byNode.insert(c.node, &c);
    for (const ChangeTarget &t : std::as_const(change.targets)) {
        QueueChange c;
        c.uid = change.uid;
        c.resource = resource;
        c.operation = t.operation;
        c.resourceVersion = change.resourceVersion;
        c.object = byNode.value(t.node)->json;
        c.source = plan.next.source;
        c.msgId = m_store ? DeliveryStore::msgIdFor(change.msgBase, t.node) : Message::newId();
        c.enqueuedMs = change.enqueuedMs;
        c.origin = m_store ? change.resourceVersion : 0;
        enqueueStored(queueFor(t.node), std::move(c));
        emit queued(t.node, change.uid, change.resourceVersion);
        schedule(t.node);
    }
    for (const auto &[node, why] : drops)
        emit dropped(node, plan.next.uid, reasonOf(why));

    QJsonObject stored =
        QJsonDocument::fromJson(plan.kind == ResourcePlan::Kind::RemoveSome ? plan.changes.first().json
                                                                            : plan.next.json)
            .object();
    m_resources.put(std::move(plan.next));
    return stored;
}

std::optional<QJsonObject> Dispatcher::get(const QString &node, const QString &namespaceName,
                                           const QString &type, const QString &name) const
{
    return m_resources.get(node, namespaceName, type, name);
}

QList<QJsonObject> Dispatcher::list(const QString &node, const QString &type) const
{
    return m_resources.list(node, type);
}

void Dispatcher::respond(const QString &node, const Message &query, const QByteArray &object,
                         quint64 resourceVersion)
{
    QueueChange c;
    // Its own dedup key, so an answer never replaces (or is replaced by) a change of the object.
    c.uid = QStringLiteral("response/") + query.id();
    c.resource = query.resource();
    c.operation = op::Response;
    c.resourceVersion = resourceVersion;
    c.object = object;
    c.source = QStringLiteral("edgecontroller");
    c.parentMsgId = query.id();
    c.enqueuedMs = m_clock();
    const EnqueueResult r = queueFor(node).enqueue(std::move(c));
    if (r != EnqueueResult::Queued && r != EnqueueResult::Replaced)
        return;
    emit queued(node, QStringLiteral("response/") + query.id(), resourceVersion);
    schedule(node);
}

void Dispatcher::sendNoAck(const QString &node, const Message &message)
{
    if (!queueFor(node).enqueueNoAck(message))
        emit dropped(node, QString(), QStringLiteral("no-ack-overflow"));
    schedule(node);
}

void Dispatcher::nodeConnected(const QString &node, WriteFn write, FlushFn flush)
{
    // A new connection evicts the old one: what was in flight there is written again here.
    if (m_sessions.contains(node))
        queueFor(node).connectionLost();
    m_sessions.insert(node, SessionHooks{std::move(write), std::move(flush)});
    queueFor(node);
    schedule(node);
}

void Dispatcher::nodeDisconnected(const QString &node)
{
    if (!m_sessions.remove(node))
        return;
    queueFor(node).connectionLost();
    const auto w = m_wakeOf.find(node);
    if (w != m_wakeOf.end()) {
        m_wakes.erase({*w, nodeId(node)});
        m_wakeOf.erase(w);
    }
}

void Dispatcher::handleAck(const QString &node, const Message &response)
{
    const auto q = m_queues.value(node);
    if (!q) {
        ++m_counters.unknownAcks;
        return;
    }
    const qint64 now = m_clock();
    const auto outcome = q->ack(response.parentId(), now);
    if (!outcome)
        return; // counted by the queue
    ++m_counters.acks;
    if (outcome->superseded)
        ++m_counters.staleAcks;
    const qint64 latency = std::max<qint64>(0, outcome->roundTripMs);
    m_counters.ackLatencySumMs += quint64(latency);
    const auto bucket = std::lower_bound(DeliveryCounters::LatencyBoundsMs.begin(),
                                         DeliveryCounters::LatencyBoundsMs.end(), latency);
    ++m_counters.ackLatencyBuckets[size_t(bucket - DeliveryCounters::LatencyBoundsMs.begin())];

    // Query answers are not durable: nothing to record for them.
    if (m_ackWriter && outcome->operation != op::Response)
        m_ackWriter->add(AckRecord{node, outcome->uid, outcome->msgId, outcome->operation,
                                   outcome->resourceVersion, outcome->superseded});
    if (!outcome->superseded && outcome->origin != 0) {
        releaseChange(outcome->origin);
        if (outcome->resourceVersion != outcome->origin)
            releaseChange(outcome->resourceVersion);
    }
    if (outcome->operation == op::Delete && !outcome->superseded) {
        m_resources.settleDelete(node, outcome->uid);
        if (m_ackWriter && !m_resources.byUid(outcome->uid))
            m_ackWriter->add(AckRecord::dropResource(outcome->uid));
    }
    emit acked(node, outcome->uid, outcome->resourceVersion, latency);
    schedule(node); // a window slot is free
}

void Dispatcher::schedule(const QString &node)
{
    if (!m_sessions.contains(node))
        return;
    const qint64 now = m_clock();
    const qint64 wake = queueFor(node).nextWakeMs(now);
    const auto old = m_wakeOf.find(node);
    if (old != m_wakeOf.end()) {
        if (*old == wake)
            return;
        m_wakes.erase({*old, nodeId(node)});
        m_wakeOf.erase(old);
    }
    if (wake == NodeQueue::Never)
        return;
    m_wakes.insert({wake, nodeId(node)});
    m_wakeOf.insert(node, wake);
    if (!m_pumping)
        arm();
}

int Dispatcher::nodeId(const QString &node)
{
    const auto it = m_nodeIds.constFind(node);
    if (it != m_nodeIds.constEnd())
        return *it;
    m_nodeNames.append(node);
    return *m_nodeIds.insert(node, int(m_nodeNames.size() - 1));
}

void Dispatcher::arm()
{
    if (m_wakes.empty()) {
        m_timer->stop();
        m_armedFor = NodeQueue::Never;
        return;
    }
    const qint64 due = m_wakes.begin()->first;
    if (m_timer->isActive() && m_armedFor <= due)
        return;
    m_armedFor = due;
    m_timer->start(int(std::clamp<qint64>(due - m_clock(), 0, 24 * 3600 * 1000)));
}

void Dispatcher::pump()
{
    m_pumping = true;
    const qint64 now = m_clock();
    QStringList uids;
    while (!m_wakes.empty() && m_wakes.begin()->first <= now) {
        const QString node = m_nodeNames.at(m_wakes.begin()->second);
        m_wakes.erase(m_wakes.begin());
        m_wakeOf.remove(node);
        const auto session = m_sessions.constFind(node);
        if (session == m_sessions.constEnd())
            continue;
        const SessionHooks hooks = *session; // the callback may disconnect the node
        NodeQueue &q = queueFor(node);
        uids.clear();
        const QList<Message> out = q.takeDue(now, &uids);
        for (qsizetype i = 0; i < out.size(); ++i) {
            const Message &m = out.at(i);
            if (!hooks.write(m)) {
                // The session is going away; nodeDisconnected() will put these back to pending.
                m_counters.writeFailures += quint64(out.size() - i);
                qCDebug(lcHubDelivery)
                    << "write to" << node << "failed;" << out.size() - i << "messages wait";
                break;
            }
            ++m_counters.messagesOut[m.operation()];
            if (!uids.at(i).isEmpty())
                emit delivered(node, uids.at(i), m.resourceVersion().toULongLong(), m.id());
            if (!m_sessions.contains(node))
                break; // disconnected from inside the write: the rest went back to pending
        }
        // One flush per node and pass: this node's frames leave now, as one TLS write, while the
        // next nodes are written, instead of after the whole fan-out in a later loop iteration.
        if (hooks.flush && !out.isEmpty() && m_sessions.contains(node))
            hooks.flush();
        schedule(node);
    }
    m_pumping = false;
    arm();
}

void Dispatcher::flushAcks()
{
    if (m_ackWriter)
        QMetaObject::invokeMethod(m_ackWriter, &AckWriter::flush, Qt::BlockingQueuedConnection);
}

DeliveryCounters Dispatcher::counters() const
{
    DeliveryCounters c = m_counters;
    for (const auto &q : m_queues) {
        c.queueDepthTotal += quint64(q->depth());
        c.queueDepthMax = std::max(c.queueDepthMax, quint64(q->depth()));
        c.inFlightTotal += quint64(q->inFlight());
        c.unknownAcks += q->unknownAcks();
        c.noAckDropped += q->noAckDropped();
        c.retries += q->retries();
        c.backoffs += q->backoffs();
    }
    if (m_ackWriter)
        c.acksPersisted = m_ackWriter->written();
    return c;
}

} // namespace qedge::cloud
