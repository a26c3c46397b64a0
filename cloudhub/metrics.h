#pragma once

#include <QByteArray>
#include <QHash>

#include <deque>

namespace qedge::cloud {

class Dispatcher;
class EdgeServer;
class EventLog;
class EventStream;
class SessionManager;
class UpstreamRouter;

/// Per-second rates of a few counters over a sliding window of samples.
class RateMeter
{
public:
    struct Rates
    {
        double sentPerSec = 0;
        double ackedPerSec = 0;
        double receivedPerSec = 0;
    };

    explicit RateMeter(qint64 windowMs = 10000) : m_windowMs(windowMs) {}
    /// Adds a sample of the cumulative counters; samples older than the window are forgotten.
    void sample(qint64 nowMs, quint64 sent, quint64 acked, quint64 received);
    /// Rates between the oldest and the newest sample (zero with fewer than two).
    Rates rates() const;

private:
    struct Sample
    {
        qint64 ms;
        quint64 sent, acked, received;
    };
    qint64 m_windowMs;
    std::deque<Sample> m_samples;
};

/// GET /metrics: Prometheus text exposition (version 0.0.4) of the hub's counters and gauges.
class Metrics
{
public:
    struct Sources
    {
        Dispatcher *dispatcher = nullptr;
        SessionManager *sessions = nullptr;
        UpstreamRouter *upstream = nullptr;
        EdgeServer *edge = nullptr; ///< optional: rejected connections by reason
        EventStream *stream = nullptr;
        EventLog *log = nullptr;
    };

    explicit Metrics(Sources sources) : m_s(sources) {}
    QByteArray render() const;

private:
    Sources m_s;
};

} // namespace qedge::cloud
