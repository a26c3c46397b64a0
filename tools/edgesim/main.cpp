// qedge-edgesim: simulates a fleet of edge nodes against a QEdge (or KubeEdge) cloudhub.
#include "shared/servicemain.h"
#include "tools/edgesim/edgeclient.h"
#include "tools/edgesim/simulator.h"

#include "shared/shutdown.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>

#include <cstdio>

using namespace qedge;

namespace {

/// Cached identities from --cert-cache, bootstrapping the missing ones with the token.
bool loadIdentities(const edgesim::SimOptions &o, const QString &cacheDir, const QUrl &bootstrapUrl,
                    const QString &token, std::vector<edgeclient::Identity> *out)
{
    QNetworkAccessManager nam;
    std::optional<crypto::Certificate> ca;
    QElapsedTimer clock;
    clock.start();
    int issued = 0;
    for (int i = 0; i < o.nodes; ++i) {
        const QString node = QStringLiteral("%1-%2").arg(o.nodePrefix).arg(i, 5, 10, QLatin1Char('0'));
        if (!cacheDir.isEmpty()) {
            auto cached = edgeclient::loadIdentity(cacheDir, node);
            if (cached) {
                out->push_back(cached.value());
                continue;
            }
        }
        if (token.isEmpty()) {
            std::fprintf(stderr, "no cached certificate for %s and no --token\n", qPrintable(node));
            return false;
        }
        if (!ca) {
            auto pinned = edgeclient::fetchPinnedCa(bootstrapUrl, token, &nam);
            if (!pinned) {
                std::fprintf(stderr, "bootstrap: %s\n", qPrintable(pinned.errorMessage()));
                return false;
            }
            ca = pinned.value();
        }
        auto id = edgeclient::bootstrap(bootstrapUrl, *ca, token, node, &nam);
        if (!id) {
            std::fprintf(stderr, "bootstrap of %s: %s\n", qPrintable(node), qPrintable(id.errorMessage()));
            return false;
        }
        if (!cacheDir.isEmpty()) {
            if (Status s = edgeclient::saveIdentity(cacheDir, node, id.value()); !s) {
                std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
                return false;
            }
        }
        out->push_back(id.value());
        if (++issued % 500 == 0 && !o.quiet) {
            std::printf("bootstrapped %d certificates (%.0f/s)\n", issued,
                        issued / (clock.elapsed() / 1000.0));
            std::fflush(stdout);
        }
    }
    if (issued > 0 && !o.quiet)
        std::printf("bootstrapped %d certificates in %.1f s\n", issued, clock.elapsed() / 1000.0);
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    qedge::preferScalableEventDispatcher();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("qedge-edgesim"));
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Simulates N KubeEdge edge nodes (mTLS WebSocket sessions, "
                                               "keepalives, acks, status reports, churn)."));
    auto opt = [](const char *name, const char *help, const char *def = nullptr) {
        return def ? QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help),
                                        QStringLiteral("v"), QString::fromLatin1(def))
                   : QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help));
    };
    p.addOptions({
        opt("host", "Hub address.", "127.0.0.1"),
        opt("port", "Hub WebSocket port.", "10000"),
        opt("bootstrap-url", "Certificate bootstrap server.", "https://127.0.0.1:10002"),
        opt("token", "Join token (needed for nodes without a cached certificate).", ""),
        opt("token-file", "Read the join token from this file.", ""),
        opt("cert-cache", "Directory that keeps each node's certificate for reruns.", ""),
        opt("nodes", "Number of nodes.", "100"),
        opt("node-prefix", "Node names are <prefix>-00000...", "sim"),
        opt("ramp-per-sec", "New connections per second at start (0: as fast as the handshake limit).", "0"),
        opt("max-in-flight", "Concurrent TLS handshakes.", "64"),
        opt("duration", "Seconds to run (0: until --stop-after-recoveries, or SIGINT/SIGTERM).", "60"),
        opt("keepalive", "Keepalive interval in seconds.", "15"),
        opt("ack-delay-ms", "Ack downstream messages after this delay (-1: never).", "0"),
        opt("silent-fraction", "Fraction of nodes that never ack.", "0"),
        opt("report-rate", "Upstream status reports per second, whole fleet, once every node is connected.",
            "0"),
        opt("payload-bytes", "Size of a status report's content.", "256"),
        opt("churn-per-sec", "Random disconnects (each reconnects) per second once all are connected.", "0"),
        opt("reconnect-delay-ms", "Reconnect after this delay plus up to the same again.", "1000"),
        opt("stop-after-recoveries", "Stop once the fleet was whole again this many times after a drop.",
            "0"),
        opt("json", "Write the final summary as JSON to this file.", ""),
        opt("quiet", "No progress lines."),
    });
    p.addHelpOption();
    p.process(app);

    edgesim::SimOptions o;
    o.host = p.value(QStringLiteral("host"));
    o.port = quint16(p.value(QStringLiteral("port")).toUInt());
    o.nodes = qMax(1, p.value(QStringLiteral("nodes")).toInt());
    o.nodePrefix = p.value(QStringLiteral("node-prefix"));
    o.rampPerSec = p.value(QStringLiteral("ramp-per-sec")).toDouble();
    o.maxInFlight = qMax(1, p.value(QStringLiteral("max-in-flight")).toInt());
    o.durationSec = p.value(QStringLiteral("duration")).toDouble();
    o.keepaliveSec = qMax(1, p.value(QStringLiteral("keepalive")).toInt());
    o.ackDelayMs = p.value(QStringLiteral("ack-delay-ms")).toInt();
    o.silentFraction = qBound(0.0, p.value(QStringLiteral("silent-fraction")).toDouble(), 1.0);
    o.reportRate = p.value(QStringLiteral("report-rate")).toDouble();
    o.payloadBytes = qMax(16, p.value(QStringLiteral("payload-bytes")).toInt());
    o.churnPerSec = p.value(QStringLiteral("churn-per-sec")).toDouble();
    o.reconnectDelayMs = qMax(1, p.value(QStringLiteral("reconnect-delay-ms")).toInt());
    o.stopAfterRecoveries = p.value(QStringLiteral("stop-after-recoveries")).toInt();
    o.quiet = p.isSet(QStringLiteral("quiet"));

    QString token = p.value(QStringLiteral("token"));
    if (const QString tf = p.value(QStringLiteral("token-file")); !tf.isEmpty()) {
        QFile f(tf);
        if (!f.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "cannot read %s\n", qPrintable(tf));
            return 2;
        }
        token = QString::fromUtf8(f.readAll().trimmed());
    }
    std::vector<edgeclient::Identity> ids;
    if (!loadIdentities(o, p.value(QStringLiteral("cert-cache")),
                        QUrl(p.value(QStringLiteral("bootstrap-url"))), token, &ids))
        return 1;

    edgesim::Simulator sim(o, std::move(ids));
    QObject::connect(&sim, &edgesim::Simulator::finished, &app, &QCoreApplication::quit);
    // SIGINT/SIGTERM end the run like --duration does, so whoever stops the fleet still gets the summary.
    ShutdownWatcher shutdown;
    QObject::connect(&shutdown, &ShutdownWatcher::shutdownRequested, &sim, &edgesim::Simulator::finish);
    sim.start();
    app.exec();

    const QJsonObject s = sim.summary();
    std::printf(
        "summary: nodes=%d connected=%d all-connected=%.2fs handshakes/s=%.0f received=%.0f (%.0f/s) "
        "acked=%.0f reports=%.0f (%.0f/s) latency p50=%.1fms p99=%.1fms p999=%.1fms disconnects=%.0f\n",
        s.value(QStringLiteral("nodes")).toInt(), s.value(QStringLiteral("connected")).toInt(),
        s.value(QStringLiteral("all_connected_seconds")).toDouble(),
        s.value(QStringLiteral("handshakes_per_sec")).toDouble(),
        s.value(QStringLiteral("received")).toDouble(),
        s.value(QStringLiteral("received_per_sec")).toDouble(), s.value(QStringLiteral("acked")).toDouble(),
        s.value(QStringLiteral("reports")).toDouble(), s.value(QStringLiteral("reports_per_sec")).toDouble(),
        s.value(QStringLiteral("latency_ms_p50")).toDouble(),
        s.value(QStringLiteral("latency_ms_p99")).toDouble(),
        s.value(QStringLiteral("latency_ms_p999")).toDouble(),
        s.value(QStringLiteral("disconnects")).toDouble());
    if (const QString json = p.value(QStringLiteral("json")); !json.isEmpty()) {
        QFile f(json);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(QJsonDocument(s).toJson()) < 0) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(json));
            return 1;
        }
    }
    return 0;
}
