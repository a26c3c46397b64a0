#include "cloudhub/failurelimiter.h"

namespace qedge::cloud {

namespace {
constexpr qint64 WindowMs = 60 * 1000;
}

FailureLimiter::FailureLimiter(int perMinute, int maxAddresses)
    : m_perMinute(perMinute), m_maxAddresses(maxAddresses)
{
    m_clock.start();
}

void FailureLimiter::expire(std::deque<qint64> &times, qint64 now) const
{
    while (!times.empty() && now - times.front() >= WindowMs)
        times.pop_front();
}

bool FailureLimiter::blocked(const QHostAddress &addr)
{
    auto it = m_failures.find(addr);
    if (it == m_failures.end())
        return false;
    expire(*it, m_clock.elapsed());
    if (it->empty()) {
        m_failures.erase(it);
        return false;
    }
    return int(it->size()) >= m_perMinute;
}

void FailureLimiter::recordFailure(const QHostAddress &addr)
{
    if (m_failures.size() >= m_maxAddresses && !m_failures.contains(addr)) {
        // Forget addresses whose failures have all expired; if none, forget an arbitrary one.
        const qint64 now = m_clock.elapsed();
        for (auto it = m_failures.begin(); it != m_failures.end();) {
            expire(*it, now);
            it = it->empty() ? m_failures.erase(it) : std::next(it);
        }
        if (m_failures.size() >= m_maxAddresses)
            m_failures.erase(m_failures.begin());
    }
    auto &times = m_failures[addr];
    times.push_back(m_clock.elapsed());
    while (int(times.size()) > m_perMinute)
        times.pop_front();
}

int FailureLimiter::retryAfterSeconds(const QHostAddress &addr)
{
    auto it = m_failures.find(addr);
    if (it == m_failures.end() || it->empty())
        return 0;
    const qint64 left = WindowMs - (m_clock.elapsed() - it->front());
    return int(qMax<qint64>(1, (left + 999) / 1000));
}

} // namespace qedge::cloud
