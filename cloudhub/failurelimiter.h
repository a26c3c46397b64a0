#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <deque>

namespace qedge::cloud {

/// Counts failed attempts per source address over a sliding minute; past the limit callers answer 429.
/// Bounded: at most maxAddresses are tracked, the oldest forgotten first.
class FailureLimiter
{
public:
    explicit FailureLimiter(int perMinute, int maxAddresses = 100000);

    bool blocked(const QHostAddress &addr);
    void recordFailure(const QHostAddress &addr);
    /// Seconds until the oldest failure of that address leaves the window (for Retry-After).
    int retryAfterSeconds(const QHostAddress &addr);

private:
    void expire(std::deque<qint64> &times, qint64 now) const;

    int m_perMinute;
    int m_maxAddresses;
    QElapsedTimer m_clock;
    QHash<QHostAddress, std::deque<qint64>> m_failures;
};

} // namespace qedge::cloud
