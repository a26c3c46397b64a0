#include "cloudhub/metrics.h"

#include "cloudhub/dispatcher.h"
#include "cloudhub/edgeserver.h"
#include "cloudhub/eventlog.h"
#include "cloudhub/eventstream.h"
#include "cloudhub/sessionmanager.h"
#include "cloudhub/upstreamrouter.h"

#include <QStringList>

#include <algorithm>

namespace qedge::cloud {

void RateMeter::sample(qint64 nowMs, quint64 sent, quint64 acked, quint64 received)
{
    m_samples.push_back({nowMs, sent, acked, received});
    while (m_samples.size() > 2 && m_samples.front().ms < nowMs - m_windowMs)
        m_samples.pop_front();
}

RateMeter::Rates RateMeter::rates() const
{
    Rates r;
    if (m_samples.size() < 2)
        return r;
    const Sample &a = m_samples.front();
    const Sample &b = m_samples.back();
    const double secs = double(b.ms - a.ms) / 1000.0;
    if (secs <= 0)
        return r;
    r.sentPerSec = double(b.sent - a.sent) / secs;
    r.ackedPerSec = double(b.acked - a.acked) / secs;
    r.receivedPerSec = double(b.received - a.received) / secs;
    return r;
}

namespace {

/// Builds the exposition text; each family's HELP and TYPE come once, before its samples.
class Writer
{
public:
    void family(const char *name, const char *type, const char *help)
    {
        m_out += "# HELP ";
        m_out += name;
        m_out += ' ';
        m_out += help;
        m_out += "\n# TYPE ";
        m_out += name;
        m_out += ' ';
        m_out += type;
        m_out += '\n';
    }
    void sample(const char *name, double value, const QByteArray &labels = {})
    {
        m_out += name;
        if (!labels.isEmpty()) {
            m_out += '{';
            m_out += labels;
            m_out += '}';
        }
        m_out += ' ';
        m_out += QByteArray::number(value, 'g', 17);
        m_out += '\n';
    }
    void one(const char *name, const char *type, const char *help, double value)
    {
        family(name, type, help);
        sample(name, value);
    }
    void byLabel(const char *name, const char *type, const char *help, const char *label,
                 const QHash<QString, quint64> &values)
    {
        family(name, type, help);
        QStringList keys = values.keys();
        keys.sort();
        for (const QString &k : std::as_const(keys))
            sample(name, double(values.value(k)), QByteArray(label) + "=\"" + escape(k) + '"');
    }
    static QByteArray escape(const QString &v)
    {
        QByteArray out;
        for (const char c : v.toUtf8()) {
            if (c == '\\' || c == '"')
                out += '\\';
            if (c == '\n') {
                out += "\\n";
                continue;
            }
            out += c;
        }
        return out;
    }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
};

} // namespace

QByteArray Metrics::render() const
{
    Writer w;
    if (m_s.sessions) {
        w.one("qedge_cloudhub_sessions", "gauge", "Live edge sessions.", m_s.sessions->count());
        w.one("qedge_cloudhub_node_limit", "gauge", "Most sessions the hub accepts.", m_s.sessions->nodeLimit());
        w.one("qedge_cloudhub_session_evictions_total", "counter",
              "Sessions replaced by a newer connection of the same node.", double(m_s.sessions->evictions()));
    }
    if (m_s.dispatcher) {
        const DeliveryCounters c = m_s.dispatcher->counters();
        w.byLabel("qedge_cloudhub_messages_out_total", "counter", "Messages written to edges, by operation.",
                  "operation", c.messagesOut);
        w.one("qedge_cloudhub_queue_depth", "gauge", "Queued ack-required messages over all nodes.",
              double(c.queueDepthTotal));
        w.one("qedge_cloudhub_queue_depth_max", "gauge", "Deepest node queue.", double(c.queueDepthMax));
        w.one("qedge_cloudhub_in_flight", "gauge", "Messages written and not yet acked.", double(c.inFlightTotal));
        w.one("qedge_cloudhub_retries_total", "counter", "Re-writes of an unacked msg_id.", double(c.retries));
        w.one("qedge_cloudhub_backoffs_total", "counter", "Messages that backed off after their writes.",
              double(c.backoffs));
        w.one("qedge_cloudhub_acks_total", "counter", "Acks that settled a message.", double(c.acks));
        w.one("qedge_cloudhub_acks_unknown_total", "counter", "Acks of no known msg_id.", double(c.unknownAcks));
        w.one("qedge_cloudhub_acks_persisted_total", "counter", "Sync records committed.", double(c.acksPersisted));
        w.one("qedge_cloudhub_write_failures_total", "counter", "Messages a session could not take.",
              double(c.writeFailures));
        w.one("qedge_cloudhub_noack_dropped_total", "counter", "No-ack messages dropped while a node was offline.",
              double(c.noAckDropped));
        w.family("qedge_cloudhub_ack_latency_seconds", "histogram", "Last write of a message to its ack.");
        quint64 cumulative = 0;
        for (size_t i = 0; i < c.ackLatencyBuckets.size(); ++i) {
            cumulative += c.ackLatencyBuckets[i];
            const QByteArray le = i < DeliveryCounters::LatencyBoundsMs.size()
                                      ? QByteArray::number(double(DeliveryCounters::LatencyBoundsMs[i]) / 1000.0)
                                      : QByteArray("+Inf");
            w.sample("qedge_cloudhub_ack_latency_seconds_bucket", double(cumulative), "le=\"" + le + '"');
        }
        w.sample("qedge_cloudhub_ack_latency_seconds_sum", double(c.ackLatencySumMs) / 1000.0);
        w.sample("qedge_cloudhub_ack_latency_seconds_count", double(cumulative));
    }
    if (m_s.upstream) {
        w.byLabel("qedge_cloudhub_messages_in_total", "counter", "Messages received from edges, by operation.",
                  "operation", m_s.upstream->received());
        w.one("qedge_cloudhub_upstream_errors_total", "counter", "Upstream error messages.",
              double(m_s.upstream->errors()));
        w.one("qedge_cloudhub_upstream_dropped_total", "counter", "Upstream messages with a cloud module source.",
              double(m_s.upstream->droppedCloudSource()));
        w.one("qedge_cloudhub_queries_answered_total", "counter", "Edge queries answered from the store.",
              double(m_s.upstream->queriesAnswered()));
        w.one("qedge_cloudhub_queries_failed_total", "counter", "Edge queries for objects the hub does not have.",
              double(m_s.upstream->queriesFailed()));
    }
    if (m_s.edge) {
        QHash<QString, quint64> rejected = m_s.edge->rejections();
        const QHash<QString, quint64> tls = m_s.edge->tlsRejections();
        for (auto it = tls.cbegin(); it != tls.cend(); ++it)
            rejected[it.key()] += it.value();
        w.byLabel("qedge_cloudhub_rejected_connections_total", "counter", "Edge connections refused, by reason.",
                  "reason", rejected);
    }
    if (m_s.stream) {
        w.one("qedge_cloudhub_event_stream_clients", "gauge", "Admin event stream clients.",
              m_s.stream->clientCount());
        w.one("qedge_cloudhub_event_stream_dropped_total", "counter", "Events not sent to slow stream clients.",
              double(m_s.stream->droppedTotal()));
    }
    if (m_s.log)
        w.one("qedge_cloudhub_events_stored_total", "counter", "Upstream events stored.", double(m_s.log->stored()));
    return w.take();
}

} // namespace qedge::cloud
