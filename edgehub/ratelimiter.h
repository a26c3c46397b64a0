#pragma once

#include <QElapsedTimer>

namespace qedge {

/// Token bucket (client-go flowcontrol.NewTokenBucketRateLimiter): `qps` tokens a second, at most `burst`
/// saved.
class RateLimiter
{
public:
    RateLimiter(double qps, int burst);

    /// Takes a token if one is there.
    bool tryTake();
    /// Milliseconds until the next token (0 when one is there now).
    int msUntilToken();

private:
    void refill();

    double m_qps;
    double m_burst;
    double m_tokens;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
};

} // namespace qedge
