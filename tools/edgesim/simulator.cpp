#include "tools/edgesim/simulator.h"

#include "shared/codec.h"

#include <QJsonArray>
#include <QWebSocket>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qedge::edgesim {

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    const size_t k =
        std::min(values.size() - 1, size_t(std::ceil(p * double(values.size()))) - (p > 0 ? 1 : 0));
    std::nth_element(values.begin(), values.begin() + long(k), values.end());
    return values[k];
}

Simulator::Simulator(const SimOptions &options, std::vector<edgeclient::Identity> identities, QObject *parent)
    : QObject(parent), m_options(options), m_identities(std::move(identities))
{
    m_reportContent = "{\"status\":\"" + QByteArray(qMax(0, m_options.payloadBytes - 14), 'x') + "\"}";
    const int silent = int(std::lround(m_options.silentFraction * m_options.nodes));
    for (int i = 0; i < m_options.nodes; ++i) {
        auto n = std::make_unique<Node>();
        n->index = i;
        n->name = QStringLiteral("%1-%2").arg(m_options.nodePrefix).arg(i, 5, 10, QLatin1Char('0'));
        // Spread the silent nodes over the fleet rather than taking the first ones.
        n->silent = silent > 0 && (i % qMax(1, m_options.nodes / silent)) == 0 &&
                    i / qMax(1, m_options.nodes / silent) < silent;
        m_nodes.push_back(std::move(n));
    }
    m_tick.setInterval(100);
    connect(&m_tick, &QTimer::timeout, this, &Simulator::tick);
    m_pumpTimer.setInterval(10);
    connect(&m_pumpTimer, &QTimer::timeout, this, &Simulator::pump);
}

Simulator::~Simulator() = default;

void Simulator::start()
{
    m_clock.start();
    for (const auto &n : m_nodes)
        m_waiting.push_back(n->index);
    m_tick.start();
    m_pumpTimer.start();
    pump();
}

void Simulator::pump()
{
    const double allowed = m_options.rampPerSec > 0 ? m_options.rampPerSec * nowMs() / 1000.0 + 1 : 1e18;
    while (!m_waiting.empty() && m_inFlight < m_options.maxInFlight) {
        Node &n = *m_nodes[size_t(m_waiting.front())];
        const bool initial = !n.socket;
        if (initial && m_started >= allowed)
            break;
        m_waiting.pop_front();
        if (initial)
            ++m_started;
        connectNode(n);
    }
}

void Simulator::connectNode(Node &n)
{
    if (n.connected || n.connecting || m_finished)
        return;
    if (n.socket) {
        n.socket->disconnect(this);
        n.socket->deleteLater();
    }
    n.socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    n.socket->setSslConfiguration(
        edgeclient::sslConfiguration(m_identities[size_t(n.index) % m_identities.size()]));
    n.connecting = true;
    ++m_inFlight;
    Node *np = &n;
    connect(n.socket, &QWebSocket::connected, this, [this, np] { onConnected(*np); });
    connect(n.socket, &QWebSocket::disconnected, this, [this, np] { onDisconnected(*np); });
    connect(n.socket, &QWebSocket::textMessageReceived, this,
            [this, np](const QString &t) { onText(*np, t); });
    n.socket->open(edgeclient::sessionRequest(m_options.host, m_options.port, n.name));
}

void Simulator::onConnected(Node &n)
{
    n.connecting = false;
    n.connected = true;
    --m_inFlight;
    ++m_connected;
    ++m_connects;
    // Spread keepalives over the interval so they do not arrive in bursts.
    n.nextKeepaliveMs = nowMs() + qint64(m_rng.bounded(qMax(1, m_options.keepaliveSec * 1000)));
    if (m_connected == m_options.nodes) {
        if (m_fullAtMs < 0) {
            m_fullAtMs = nowMs();
            if (!m_options.quiet)
                std::printf("all %d nodes connected after %.2f s\n", m_options.nodes, m_fullAtMs / 1000.0);
        }
        if (m_dropAtMs >= 0) {
            const double secs = (nowMs() - m_dropAtMs) / 1000.0;
            m_recoveries.push_back(secs);
            m_dropAtMs = -1;
            if (!m_options.quiet)
                std::printf("fleet whole again %.2f s after the drop\n", secs);
            if (m_options.stopAfterRecoveries > 0 &&
                int(m_recoveries.size()) >= m_options.stopAfterRecoveries)
                QTimer::singleShot(0, this, &Simulator::finish);
        }
        std::fflush(stdout);
    }
    pump();
}

void Simulator::onDisconnected(Node &n)
{
    if (n.connecting) {
        n.connecting = false;
        --m_inFlight;
        ++m_connectFailures;
    } else if (n.connected) {
        n.connected = false;
        --m_connected;
        ++m_disconnects;
        if (m_fullAtMs >= 0 && m_dropAtMs < 0)
            m_dropAtMs = nowMs();
    }
    if (m_finished)
        return;
    // Reconnect like an edge does: after a delay with jitter, through the handshake limit.
    const int delay = m_options.reconnectDelayMs + int(m_rng.bounded(qMax(1, m_options.reconnectDelayMs)));
    const int index = n.index;
    QTimer::singleShot(delay, this, [this, index] {
        m_waiting.push_back(index);
        pump();
    });
}

void Simulator::onText(Node &n, const QString &text)
{
    auto decoded = codec::decode(text.toUtf8());
    if (!decoded)
        return;
    const Message &m = decoded.value();
    if (m.operation() == op::Response)
        return; // answers to our own control messages
    ++m_received;
    const double latency = double(Message::nowMs() - m.header().timestamp);
    m_latencies.push_back(latency);
    m_windowLatency.push_back(latency);
    if (n.silent || m_options.ackDelayMs < 0)
        return;
    const Message ack = edgeclient::ackFor(m);
    QWebSocket *socket = n.socket;
    auto sendAck = [this, socket, ack] {
        socket->sendTextMessage(QString::fromUtf8(codec::encode(ack)));
        ++m_acked;
    };
    if (m_options.ackDelayMs == 0)
        sendAck();
    else
        QTimer::singleShot(m_options.ackDelayMs, socket, sendAck);
}

void Simulator::tick()
{
    const qint64 now = nowMs();
    const double dt = (now - m_lastTickMs) / 1000.0;
    const bool secondPassed = now / 1000 != m_lastTickMs / 1000;
    m_lastTickMs = now;

    for (const auto &n : m_nodes) {
        if (n->connected && now >= n->nextKeepaliveMs) {
            n->socket->sendTextMessage(QString::fromUtf8(codec::encode(edgeclient::keepalive())));
            n->nextKeepaliveMs = now + m_options.keepaliveSec * 1000;
            ++m_keepalives;
        }
    }
    // Reports start once the fleet is whole, so connecting never competes with them.
    if (m_options.reportRate > 0 && m_fullAtMs >= 0)
        sendReports(m_options.reportRate * dt);
    if (m_options.churnPerSec > 0 && m_fullAtMs >= 0)
        churn(m_options.churnPerSec * dt);

    if (secondPassed && !m_options.quiet) {
        std::printf("t=%3llds connected=%d/%d msgs/s=%llu acks/s=%llu reports/s=%llu p50=%.1fms p99=%.1fms "
                    "disconnects=%llu\n",
                    (long long)(now / 1000), m_connected, m_options.nodes,
                    (unsigned long long)(m_received - m_lastReceived),
                    (unsigned long long)(m_acked - m_lastAcked),
                    (unsigned long long)(m_reports - m_lastReports), percentile(m_windowLatency, 0.5),
                    percentile(m_windowLatency, 0.99), (unsigned long long)m_disconnects);
        std::fflush(stdout);
    }
    if (secondPassed) {
        m_lastReceived = m_received;
        m_lastAcked = m_acked;
        m_lastReports = m_reports;
        m_windowLatency.clear();
    }
    if (m_options.durationSec > 0 && now >= qint64(m_options.durationSec * 1000))
        finish();
}

void Simulator::sendReports(double count)
{
    m_reportCarry += count;
    int budget = int(m_reportCarry);
    m_reportCarry -= budget;
    for (int tries = 0; budget > 0 && m_connected > 0 && tries < m_options.nodes; ++tries) {
        Node &n = *m_nodes[size_t(m_reportCursor)];
        m_reportCursor = (m_reportCursor + 1) % m_options.nodes;
        if (!n.connected)
            continue;
        // An edgecore node status update (reference §3): upstream to the hub's store.
        const Message m = Message::create(QStringLiteral("edged"), QStringLiteral("resource"), op::Update,
                                          QStringLiteral("default/nodestatus/") + n.name, m_reportContent);
        n.socket->sendTextMessage(QString::fromUtf8(codec::encode(m)));
        ++m_reports;
        --budget;
        tries = 0;
    }
}

void Simulator::churn(double count)
{
    m_churnCarry += count;
    int budget = int(m_churnCarry);
    m_churnCarry -= budget;
    for (int tries = 0; budget > 0 && m_connected > 0 && tries < 100; ++tries) {
        Node &n = *m_nodes[m_rng.bounded(quint32(m_options.nodes))];
        if (!n.connected)
            continue;
        ++m_churned;
        --budget;
        n.socket->abort();
    }
}

void Simulator::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_tick.stop();
    m_pumpTimer.stop();
    emit finished();
}

QJsonObject Simulator::summary() const
{
    const double secs = qMax(0.001, m_clock.elapsed() / 1000.0);
    QJsonArray recoveries;
    for (double r : m_recoveries)
        recoveries.append(r);
    return QJsonObject{
        {QStringLiteral("nodes"), m_options.nodes},
        {QStringLiteral("seconds"), secs},
        {QStringLiteral("connected"), m_connected},
        {QStringLiteral("all_connected_seconds"), m_fullAtMs < 0 ? -1.0 : m_fullAtMs / 1000.0},
        {QStringLiteral("handshakes_per_sec"),
         m_fullAtMs <= 0 ? 0.0 : m_options.nodes / (m_fullAtMs / 1000.0)},
        {QStringLiteral("recoveries_seconds"), recoveries},
        {QStringLiteral("connects"), double(m_connects)},
        {QStringLiteral("connect_failures"), double(m_connectFailures)},
        {QStringLiteral("disconnects"), double(m_disconnects)},
        {QStringLiteral("churned"), double(m_churned)},
        {QStringLiteral("received"), double(m_received)},
        {QStringLiteral("acked"), double(m_acked)},
        {QStringLiteral("reports"), double(m_reports)},
        {QStringLiteral("keepalives"), double(m_keepalives)},
        {QStringLiteral("received_per_sec"), m_received / secs},
        {QStringLiteral("reports_per_sec"), m_reports / secs},
        {QStringLiteral("latency_ms_p50"), percentile(m_latencies, 0.5)},
        {QStringLiteral("latency_ms_p99"), percentile(m_latencies, 0.99)},
        {QStringLiteral("latency_ms_p999"), percentile(m_latencies, 0.999)},
    };
}

} // namespace qedge::edgesim
