#include "cloudhub/nodequeue.h"

#include "shared/resource.h"

#include <QJsonObject>

#include <algorithm>

namespace qedge::cloud {

namespace {

const QString GroupResource = QStringLiteral("resource");

bool isDelete(const QString &operation)
{
    return operation == op::Delete;
}

} // namespace

NodeQueue::NodeQueue(NodeQueueConfig config) : m_config(config)
{
    m_config.window = std::max(1, m_config.window);
    m_config.writesBeforeBackoff = std::max(1, m_config.writesBeforeBackoff);
    m_config.noAckLimit = std::max(1, m_config.noAckLimit);
    m_config.retryIntervalMs = std::max<qint64>(1, m_config.retryIntervalMs);
    m_config.backoffBaseMs = std::max<qint64>(1, m_config.backoffBaseMs);
}

EnqueueResult NodeQueue::classify(const QString &uid, const QString &operation, quint64 rv) const
{
    const bool del = isDelete(operation);
    // KubeEdge drops a non-delete change without a resourceVersion.
    if (rv == 0 && !del)
        return EnqueueResult::DroppedOlder;
    const auto it = m_byUid.constFind(uid);
    if (it != m_byUid.constEnd()) {
        if (del)
            return EnqueueResult::Replaced;
        const QueueEntry &queued = m_entries.at(*it);
        if (isDelete(queued.operation))
            return EnqueueResult::DroppedDeleted;
        return rv > queued.resourceVersion ? EnqueueResult::Replaced : EnqueueResult::DroppedOlder;
    }
    if (del)
        return EnqueueResult::Queued;
    const auto acked = m_acked.constFind(uid);
    if (acked != m_acked.constEnd() && rv <= *acked)
        return EnqueueResult::DroppedOlder;
    return EnqueueResult::Queued;
}

EnqueueResult NodeQueue::enqueue(QueueChange change)
{
    const EnqueueResult result = classify(change.uid, change.operation, change.resourceVersion);
    if (result == EnqueueResult::DroppedOlder || result == EnqueueResult::DroppedDeleted)
        return result;
    if (change.msgId.isEmpty())
        change.msgId = Message::newId();

    if (result == EnqueueResult::Replaced) {
        QueueEntry &e = m_entries.at(m_byUid.value(change.uid));
        if (e.writes > 0) {
            // The edge may still ack the old msg_id; that ack records the older RV.
            m_superseded.insert(
                e.msgId, Superseded{e.uid, e.operation, e.resourceVersion, e.enqueuedMs, e.lastWriteMs});
            m_supersededOrder.push_back(e.msgId);
            const int cap = std::max(1024, m_config.window * 4);
            while (m_superseded.size() > cap && !m_supersededOrder.empty()) {
                m_superseded.remove(m_supersededOrder.front());
                m_supersededOrder.pop_front();
            }
            if (int(m_supersededOrder.size()) > 2 * cap) {
                std::deque<QString> live;
                for (const QString &id : m_supersededOrder)
                    if (m_superseded.contains(id))
                        live.push_back(id);
                m_supersededOrder.swap(live);
            }
        }
        leaveState(e);
        m_byMsgId.remove(e.msgId);
        e.resource = std::move(change.resource);
        e.operation = std::move(change.operation);
        e.resourceVersion = change.resourceVersion;
        e.object = std::move(change.object);
        e.source = std::move(change.source);
        e.msgId = std::move(change.msgId);
        e.parentMsgId = std::move(change.parentMsgId);
        e.enqueuedMs = change.enqueuedMs;
        e.writes = e.roundWrites = e.backoffRounds = 0;
        e.firstWriteMs = e.lastWriteMs = e.dueMs = 0;
        e.state = EntryState::Pending;
        m_pending.insert(e.seq);
        m_byMsgId.insert(e.msgId, e.seq);
        return result;
    }

    const qint64 seq = m_nextSeq++;
    QueueEntry e;
    e.seq = seq;
    e.origin = change.origin;
    e.uid = std::move(change.uid);
    e.resource = std::move(change.resource);
    e.operation = std::move(change.operation);
    e.resourceVersion = change.resourceVersion;
    e.object = std::move(change.object);
    e.source = std::move(change.source);
    e.msgId = std::move(change.msgId);
    e.parentMsgId = std::move(change.parentMsgId);
    e.enqueuedMs = change.enqueuedMs;
    m_byUid.insert(e.uid, seq);
    m_byMsgId.insert(e.msgId, seq);
    m_pending.insert(seq);
    m_entries.emplace(seq, std::move(e));
    return result;
}

bool NodeQueue::enqueueNoAck(const Message &message)
{
    bool keptAll = true;
    while (int(m_noAck.size()) >= m_config.noAckLimit) {
        m_noAck.pop_front();
        ++m_noAckDropped;
        keptAll = false;
    }
    m_noAck.push_back(message);
    return keptAll;
}

void NodeQueue::leaveState(QueueEntry &e)
{
    switch (e.state) {
    case EntryState::Pending:
        m_pending.erase(e.seq);
        break;
    case EntryState::InFlight:
        m_inFlightTimers.erase({e.dueMs, e.seq});
        --m_inFlight;
        break;
    case EntryState::Backoff:
        m_backoffTimers.erase({e.dueMs, e.seq});
        break;
    }
}

void NodeQueue::remove(qint64 seq)
{
    const auto it = m_entries.find(seq);
    if (it == m_entries.end())
        return;
    leaveState(it->second);
    m_byUid.remove(it->second.uid);
    m_byMsgId.remove(it->second.msgId);
    m_entries.erase(it);
}

Message NodeQueue::toMessage(const QueueEntry &e, qint64 nowMs) const
{
    Message m;
    m.header().id = e.msgId;
    m.header().timestamp = nowMs;
    m.header().resourceVersion = QString::number(e.resourceVersion);
    m.header().parentId = e.parentMsgId;
    m.route().source = e.source;
    m.route().group = GroupResource;
    m.route().operation = e.operation;
    m.route().resource = e.resource;
    m.setRawContent(e.object);
    return m;
}

void NodeQueue::write(QueueEntry &e, qint64 nowMs, QList<Message> &out, QStringList *uids)
{
    if (e.state != EntryState::InFlight) {
        leaveState(e);
        e.state = EntryState::InFlight;
        ++m_inFlight;
    } else {
        m_inFlightTimers.erase({e.dueMs, e.seq});
        ++m_retries;
    }
    ++e.writes;
    ++e.roundWrites;
    if (e.firstWriteMs == 0)
        e.firstWriteMs = nowMs;
    e.lastWriteMs = nowMs;
    e.dueMs = nowMs + m_config.retryIntervalMs;
    m_inFlightTimers.insert({e.dueMs, e.seq});
    out.append(toMessage(e, nowMs));
    if (uids)
        uids->append(e.uid);
}

QList<Message> NodeQueue::takeDue(qint64 nowMs, QStringList *uids)
{
    QList<Message> out;
    // Re-writes (or backoff) of in-flight entries whose ack is overdue.
    while (!m_inFlightTimers.empty() && m_inFlightTimers.begin()->first <= nowMs) {
        QueueEntry &e = m_entries.at(m_inFlightTimers.begin()->second);
        if (e.roundWrites < m_config.writesBeforeBackoff) {
            write(e, nowMs, out, uids);
            continue;
        }
        leaveState(e);
        ++e.backoffRounds;
        ++m_backoffs;
        qint64 delay = m_config.backoffBaseMs;
        for (int i = 1; i < e.backoffRounds && delay < m_config.backoffCapMs; ++i)
            delay *= 2;
        e.state = EntryState::Backoff;
        e.dueMs = nowMs + std::min(delay, m_config.backoffCapMs);
        m_backoffTimers.insert({e.dueMs, e.seq});
    }
    while (!m_backoffTimers.empty() && m_backoffTimers.begin()->first <= nowMs) {
        QueueEntry &e = m_entries.at(m_backoffTimers.begin()->second);
        leaveState(e);
        e.state = EntryState::Pending;
        e.roundWrites = 0;
        m_pending.insert(e.seq);
    }
    while (m_inFlight < m_config.window && !m_pending.empty())
        write(m_entries.at(*m_pending.begin()), nowMs, out, uids);
    for (const Message &m : m_noAck) {
        out.append(m);
        if (uids)
            uids->append(QString());
    }
    m_noAck.clear();
    return out;
}

qint64 NodeQueue::nextWakeMs(qint64 nowMs) const
{
    if (!m_noAck.empty() || (!m_pending.empty() && m_inFlight < m_config.window))
        return nowMs;
    qint64 next = Never;
    if (!m_inFlightTimers.empty())
        next = std::min(next, m_inFlightTimers.begin()->first);
    if (!m_backoffTimers.empty())
        next = std::min(next, m_backoffTimers.begin()->first);
    return next;
}

std::optional<AckOutcome> NodeQueue::ack(const QString &parentMsgId, qint64 nowMs)
{
    const auto it = m_byMsgId.constFind(parentMsgId);
    if (it != m_byMsgId.constEnd()) {
        const qint64 seq = *it;
        const QueueEntry &e = m_entries.at(seq);
        AckOutcome out;
        out.uid = e.uid;
        out.operation = e.operation;
        out.resourceVersion = e.resourceVersion;
        out.msgId = e.msgId;
        out.origin = e.origin;
        out.roundTripMs = e.lastWriteMs > 0 ? nowMs - e.lastWriteMs : 0;
        out.sinceEnqueueMs = nowMs - e.enqueuedMs;
        remove(seq);
        if (isDelete(out.operation))
            m_acked.remove(out.uid);
        else
            setAcked(out.uid, out.resourceVersion);
        return out;
    }
    const auto old = m_superseded.constFind(parentMsgId);
    if (old != m_superseded.constEnd()) {
        AckOutcome out;
        out.uid = old->uid;
        out.operation = old->operation;
        out.resourceVersion = old->rv;
        out.msgId = parentMsgId;
        out.roundTripMs = nowMs - old->lastWriteMs;
        out.sinceEnqueueMs = nowMs - old->enqueuedMs;
        out.superseded = true;
        m_superseded.erase(old);
        // A superseded delete was replaced by a newer delete, which still has to settle the record.
        if (!isDelete(out.operation))
            setAcked(out.uid, out.resourceVersion);
        return out;
    }
    ++m_unknownAcks;
    return std::nullopt;
}

void NodeQueue::connectionLost()
{
    for (auto &[seq, e] : m_entries) {
        if (e.state == EntryState::Pending)
            continue;
        e.state = EntryState::Pending;
        e.roundWrites = 0;
        e.backoffRounds = 0;
        e.dueMs = 0;
        m_pending.insert(seq);
    }
    m_inFlightTimers.clear();
    m_backoffTimers.clear();
    m_inFlight = 0;
    m_superseded.clear();
    m_supersededOrder.clear();
}

void NodeQueue::setAcked(const QString &uid, quint64 rv)
{
    quint64 &slot = m_acked[uid];
    slot = std::max(slot, rv);
}

QList<QueueEntry> NodeQueue::entries() const
{
    QList<QueueEntry> out;
    out.reserve(qsizetype(m_entries.size()));
    for (const auto &kv : m_entries)
        out.append(kv.second);
    return out;
}

const QueueEntry *NodeQueue::entry(const QString &uid) const
{
    const auto it = m_byUid.constFind(uid);
    return it == m_byUid.constEnd() ? nullptr : &m_entries.at(*it);
}

bool isNoAckMessage(const Message &m)
{
    const QString &res = m.route().resource;
    const QString &operation = m.route().operation;
    for (const char *part :
         {"podlist", "membership", "twin/cloud_updated", "serviceaccounttoken", "k8s/ca.crt"})
        if (res.contains(QLatin1String(part)))
            return true;
    for (const char *o : {"createvolume", "deletevolume", "controllerpublishvolume",
                          "controllerunpublishvolume", "applicationResponse"})
        if (operation == QLatin1String(o))
            return true;
    if (m.route().group == QLatin1String("user"))
        return true;
    if (m.route().source == QLatin1String("taskmanager") ||
        m.route().source == QLatin1String("nodeupgradejobcontroller"))
        return true;
    if (operation == op::Response) {
        const QJsonValue c = m.content();
        if (c.isString() && c.toString() == QLatin1String("OK"))
            return true;
        if (c.isObject() && (c.toObject().isEmpty() || c.toObject().contains(QLatin1String("ErrStatus"))))
            return true;
    }
    if (m.route().source == QLatin1String("edgecontroller")) {
        const auto parts = resource::parseEdge(resource::trimmed(res));
        const QString type = parts ? parts->type : QString();
        if (type == QLatin1String("node"))
            return operation != op::Update;
        for (const char *t : {"lease", "nodepatch", "podpatch", "podstatus", "certificatesigningrequest"})
            if (type == QLatin1String(t))
                return true;
        if (type == QLatin1String("pod") && operation == op::Response)
            return true;
    }
    return false;
}

} // namespace qedge::cloud
