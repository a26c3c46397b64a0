#include "shared/requesttracker.h"

#include "shared/messagebus.h"

#include <QDeadlineTimer>
#include <QThread>

#include <vector>

namespace qedge {

namespace {
qint64 monotonicMs()
{
    return QDeadlineTimer::current(Qt::PreciseTimer).deadline();
}
} // namespace

RequestTracker::RequestTracker(TimeoutHook onTimeout) : m_onTimeout(std::move(onTimeout)) {}

RequestTracker::~RequestTracker()
{
    QHash<QString, Pending> left;
    {
        QMutexLocker lock(&m_mutex);
        m_stopping = true;
        m_wake.wakeAll();
    }
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
    {
        QMutexLocker lock(&m_mutex);
        left.swap(m_pending);
        m_deadlines.clear();
    }
    for (auto it = left.begin(); it != left.end(); ++it) {
        it->done(Result<Message>::failure(
            QStringLiteral("cancelled"),
            QStringLiteral("request %1 to module '%2' cancelled: the message bus is shutting down")
                .arg(it.key(), it->module)));
    }
}

bool RequestTracker::add(const QString &id, const QString &module, int timeoutMs, Completion done)
{
    QMutexLocker lock(&m_mutex);
    if (m_stopping || m_pending.contains(id))
        return false;
    Pending p;
    p.module = module;
    p.timeoutMs = timeoutMs;
    p.deadline = monotonicMs() + timeoutMs;
    p.done = std::move(done);
    const auto where = m_deadlines.emplace(p.deadline, id);
    m_pending.insert(id, std::move(p));
    if (!m_thread) {
        m_thread = QThread::create([this] { run(); });
        m_thread->setObjectName(QStringLiteral("qedge-bus-timeouts"));
        m_thread->start();
    } else if (where == m_deadlines.begin()) {
        m_wake.wakeOne(); // the sleeping thread waits for a later deadline
    }
    return true;
}

RequestTracker::Pending RequestTracker::take(QHash<QString, Pending>::iterator it)
{
    const auto range = m_deadlines.equal_range(it->deadline);
    for (auto d = range.first; d != range.second; ++d) {
        if (d->second == it.key()) {
            m_deadlines.erase(d);
            break;
        }
    }
    Pending p = std::move(*it);
    m_pending.erase(it);
    return p;
}

bool RequestTracker::resolve(const Message &reply)
{
    Pending p;
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_pending.find(reply.parentId());
        if (it == m_pending.end()) {
            m_late.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        p = take(it);
    }
    p.done(reply);
    return true;
}

void RequestTracker::fail(const QString &id, const Error &error)
{
    Pending p;
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_pending.find(id);
        if (it == m_pending.end())
            return;
        p = take(it);
    }
    p.done(error);
}

int RequestTracker::waiting() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_pending.size());
}

void RequestTracker::run()
{
    QMutexLocker lock(&m_mutex);
    while (!m_stopping) {
        if (m_deadlines.empty()) {
            m_wake.wait(&m_mutex);
            continue;
        }
        const qint64 now = monotonicMs();
        const qint64 first = m_deadlines.begin()->first;
        if (first > now) {
            m_wake.wait(&m_mutex, QDeadlineTimer(first - now, Qt::PreciseTimer));
            continue;
        }
        std::vector<std::pair<QString, Pending>> expired;
        while (!m_deadlines.empty() && m_deadlines.begin()->first <= now) {
            const QString id = m_deadlines.begin()->second;
            const auto it = m_pending.find(id);
            if (it == m_pending.end()) { // cannot happen: both maps change together
                m_deadlines.erase(m_deadlines.begin());
                continue;
            }
            expired.emplace_back(id, take(it));
        }
        lock.unlock();
        for (auto &[id, p] : expired) {
            m_timeouts.fetch_add(1, std::memory_order_relaxed);
            if (m_onTimeout)
                m_onTimeout(p.module);
            qCDebug(lcBus) << "request" << id << "to" << p.module << "timed out after"
                           << p.timeoutMs << "ms";
            p.done(Result<Message>::failure(
                QStringLiteral("timeout"),
                QStringLiteral("no reply from module '%1' within %2 ms (request %3)")
                    .arg(p.module)
                    .arg(p.timeoutMs)
                    .arg(id)));
        }
        lock.relock();
    }
}

} // namespace qedge
