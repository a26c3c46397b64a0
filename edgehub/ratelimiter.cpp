#include "edgehub/ratelimiter.h"

#include <algorithm>
#include <cmath>

namespace qedge {

RateLimiter::RateLimiter(double qps, int burst)
    : m_qps(std::max(qps, 0.001)), m_burst(std::max(burst, 1)), m_tokens(m_burst)
{
    m_clock.start();
}

void RateLimiter::refill()
{
    const qint64 now = m_clock.nsecsElapsed();
    m_tokens = std::min(m_burst, m_tokens + double(now - m_lastNs) * m_qps / 1e9);
    m_lastNs = now;
}

bool RateLimiter::tryTake()
{
    refill();
    if (m_tokens < 1.0)
        return false;
    m_tokens -= 1.0;
    return true;
}

int RateLimiter::msUntilToken()
{
    refill();
    if (m_tokens >= 1.0)
        return 0;
    return std::max(1, int(std::ceil((1.0 - m_tokens) * 1000.0 / m_qps)));
}

} // namespace qedge
