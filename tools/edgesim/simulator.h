#pragma once

#include "tools/edgesim/edgeclient.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QRandomGenerator>
#include <QTimer>

#include <deque>
#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QWebSocket;
QT_END_NAMESPACE

namespace qedge::edgesim {

/// What the simulated fleet does; the command-line flags of qedge-edgesim.
struct SimOptions
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 10000;
    int nodes = 100;
    QString nodePrefix = QStringLiteral("sim");
    double rampPerSec = 0;   ///< new connections started per second at start (0: as fast as allowed)
    int maxInFlight = 64;    ///< concurrent TLS handshakes
    double durationSec = 60; ///< 0: until stopAfterRecoveries or forever
    int keepaliveSec = 15;
    int ackDelayMs = 0;          ///< < 0 never acks
    double silentFraction = 0;   ///< nodes that never ack
    double reportRate = 0;       ///< upstream status reports per second, whole fleet
    int payloadBytes = 256;      ///< size of a report's content
    double churnPerSec = 0;      ///< random disconnects (and reconnects) per second
    int reconnectDelayMs = 1000; ///< plus up to the same again at random
    int stopAfterRecoveries = 0; ///< stop once the fleet was whole again this many times after a drop
    bool quiet = false;
};

/// N simulated edge nodes over real mTLS WebSocket sessions in one event loop.
class Simulator : public QObject
{
    Q_OBJECT
public:
    Simulator(const SimOptions &options, std::vector<edgeclient::Identity> identities,
              QObject *parent = nullptr);
    ~Simulator() override;

    /// Starts connecting; finished() follows after the duration (or the recoveries).
    void start();
    /// Stops now (a signal, or whoever runs the fleet decided it is done); finished() follows.
    void finish();
    /// Totals, rates and latency percentiles of the run so far.
    QJsonObject summary() const;

signals:
    void finished();

private:
    struct Node
    {
        int index = 0;
        QString name;
        QWebSocket *socket = nullptr;
        bool connected = false;
        bool connecting = false;
        bool silent = false;
        qint64 nextKeepaliveMs = 0;
    };

    void pump();
    void connectNode(Node &n);
    void onConnected(Node &n);
    void onDisconnected(Node &n);
    void onText(Node &n, const QString &text);
    void tick();
    void sendReports(double count);
    void churn(double count);
    qint64 nowMs() const { return m_clock.elapsed(); }

    SimOptions m_options;
    std::vector<edgeclient::Identity> m_identities;
    std::vector<std::unique_ptr<Node>> m_nodes;
    std::deque<int> m_waiting; ///< nodes to connect, in order
    QTimer m_tick;
    QTimer m_pumpTimer;
    QElapsedTimer m_clock;
    QRandomGenerator m_rng{20261123};
    QByteArray m_reportContent;
    int m_inFlight = 0;
    int m_connected = 0;
    int m_started = 0; ///< initial connects started (ramp)
    double m_reportCarry = 0;
    double m_churnCarry = 0;
    int m_reportCursor = 0;
    bool m_finished = false;

    // totals
    quint64 m_received = 0, m_acked = 0, m_reports = 0, m_keepalives = 0;
    quint64 m_connects = 0, m_connectFailures = 0, m_disconnects = 0, m_churned = 0;
    std::vector<double> m_latencies;     ///< all downstream latencies, ms
    std::vector<double> m_windowLatency; ///< this second's
    quint64 m_lastReceived = 0, m_lastAcked = 0, m_lastReports = 0;
    qint64 m_fullAtMs = -1;           ///< first time every node was connected
    qint64 m_dropAtMs = -1;           ///< the fleet stopped being whole (after it was)
    std::vector<double> m_recoveries; ///< seconds from a drop to whole again
    qint64 m_lastTickMs = 0;
};

/// p in [0, 1]; sorts a copy.
double percentile(std::vector<double> values, double p);

} // namespace qedge::edgesim
