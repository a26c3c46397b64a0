// bench_sessions: TLS handshakes/s and hub RSS per idle mTLS WebSocket session.
//
//   bench_sessions [--levels 1000,5000] [--concurrency 64]
//
// Starts the real cloudhub (temp data dir, ports 0), issues one certificate per node with the
// hub's own CA files, then for each level starts a load-generator process (this program with
// --load) that opens the additional sessions and stays idle. Prints, per level, the handshake rate
// seen by the generator and the hub's VmRSS growth per session (/proc/<pid>/status).
#include "shared/crypto/certauthority.h"
#include "shared/crypto/csr.h"
#include "shared/crypto/sslconfig.h"
#include "tests/support/testsupport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>
#include <QWebSocket>

#include <cstdio>
#include <unistd.h>

using namespace qedge;

namespace {

const QString Project = QStringLiteral("e632aba927ea4ac2b575ec1603d56f10");

qint64 rssKiB(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

// utime + stime of a process in milliseconds (/proc/<pid>/stat fields 14 and 15).
qint64 cpuMs(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    const qint64 ticks = fields.value(11).toLongLong() + fields.value(12).toLongLong();
    return ticks * 1000 / sysconf(_SC_CLK_TCK);
}

// ---- load generator (separate process) -------------------------------------------------------

int runLoad(quint16 port, const QString &dir, int from, int to, int concurrency)
{
    QFile caFile(dir + QStringLiteral("/ca.pem")), keyFile(dir + QStringLiteral("/key.pem"));
    if (!caFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly))
        return 2;
    const auto ca = crypto::Certificate::fromPem(caFile.readAll());
    const auto key = crypto::PrivateKey::fromPem(keyFile.readAll());
    if (!ca || !key)
        return 2;

    int next = from, inFlight = 0, connected = 0, failed = 0;
    QElapsedTimer clock;
    clock.start();
    std::function<void()> launch;
    auto done = [&] {
        if (connected + failed == to - from) {
            const double secs = clock.nsecsElapsed() / 1e9;
            std::printf("LOAD connected=%d failed=%d seconds=%.3f\n", connected, failed, secs);
            std::fflush(stdout);
        }
    };
    launch = [&] {
        while (inFlight < concurrency && next < to) {
            const int i = next++;
            QFile certFile(dir + QStringLiteral("/node-%1.pem").arg(i));
            if (!certFile.open(QIODevice::ReadOnly)) {
                ++failed;
                continue;
            }
            const auto cert = crypto::Certificate::fromPem(certFile.readAll());
            auto *ws = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, qApp);
            ws->setSslConfiguration(crypto::clientSslConfiguration(ca.value(), &cert.value(), &key.value()));
            const QString node = QStringLiteral("bench-%1").arg(i);
            QNetworkRequest req(
                QUrl(QStringLiteral("wss://127.0.0.1:%1/%2/%3/events").arg(port).arg(Project, node)));
            req.setRawHeader("node_id", node.toUtf8());
            req.setRawHeader("project_id", Project.toUtf8());
            req.setRawHeader("ConnectionUse", "msg");
            ++inFlight;
            auto settled = std::make_shared<bool>(false);
            QObject::connect(ws, &QWebSocket::connected, ws, [&, settled] {
                if (*settled)
                    return;
                *settled = true;
                --inFlight;
                ++connected;
                done();
                launch();
            });
            QObject::connect(ws, &QWebSocket::disconnected, ws, [&, settled, ws] {
                if (*settled)
                    return;
                *settled = true;
                --inFlight;
                ++failed;
                ws->deleteLater();
                done();
                launch();
            });
            ws->open(req);
        }
    };
    QTimer::singleShot(0, launch);
    return QCoreApplication::exec();
}

// ---- orchestrator ------------------------------------------------------------------------------

bool issueCertificates(const QString &hubDir, const QString &outDir, int count)
{
    auto ca = crypto::CertAuthority::fromFiles(hubDir + QStringLiteral("/pki/ca.crt"),
                                               hubDir + QStringLiteral("/pki/ca.key"));
    if (!ca) {
        std::fprintf(stderr, "CA: %s\n", qPrintable(ca.errorMessage()));
        return false;
    }
    // One key for every node keeps issuing fast; the hub's per-session cost does not depend on it.
    auto key = crypto::PrivateKey::generateP256();
    QFile keyFile(outDir + QStringLiteral("/key.pem")), caFile(outDir + QStringLiteral("/ca.pem"));
    if (!key || !keyFile.open(QIODevice::WriteOnly) || !caFile.open(QIODevice::WriteOnly))
        return false;
    keyFile.write(key->toPem());
    caFile.write(ca->certificate().toPem());
    for (int i = 0; i < count; ++i) {
        auto csr = crypto::createCsrDer(key.value(), QStringLiteral("system:node:bench-%1").arg(i),
                                        {QStringLiteral("system:nodes")});
        auto cert = csr ? ca->signCsr(csr.value(), 24 * 3600) : Result<crypto::Certificate>(csr.error());
        QFile f(outDir + QStringLiteral("/node-%1.pem").arg(i));
        if (!cert || !f.open(QIODevice::WriteOnly))
            return false;
        f.write(cert->toPem());
    }
    return true;
}

int runOrchestrator(const QList<int> &levels, int concurrency)
{
    QTemporaryDir tmp;
    const QString hubDir = tmp.filePath(QStringLiteral("hub"));
    const QString certDir = tmp.filePath(QStringLiteral("certs"));
    QDir().mkpath(certDir);

    QProcess hub;
    hub.setProcessChannelMode(QProcess::MergedChannels);
    // QEDGE_BENCH_HUB_WRAPPER="heaptrack -o /tmp/hub" runs the hub under a profiler.
    QStringList wrapper = qEnvironmentVariable("QEDGE_BENCH_HUB_WRAPPER").split(u' ', Qt::SkipEmptyParts);
    QStringList hubArgs = wrapper.mid(1);
    const QString hubProgram = wrapper.isEmpty() ? test::binaryPath(QStringLiteral("cloudhub")) : wrapper.first();
    if (!wrapper.isEmpty())
        hubArgs << test::binaryPath(QStringLiteral("cloudhub"));
    hub.start(hubProgram,
              hubArgs + QStringList{QStringLiteral("--data-dir"), hubDir, QStringLiteral("--bind"), QStringLiteral("127.0.0.1"),
               QStringLiteral("--websocket-port"), QStringLiteral("0"), QStringLiteral("--https-port"),
               QStringLiteral("0"), QStringLiteral("--admin-port"), QStringLiteral("0"),
               QStringLiteral("--node-limit"), QStringLiteral("100000"),
               QStringLiteral("--keepalive-interval"), QStringLiteral("3600"), QStringLiteral("--log-rules"),
               QStringLiteral("qedge.cloudhub.session.info=false")});
    QString out;
    const QRegularExpression ready(QStringLiteral("cloudhub ready: edge wss://[^:]+:(\\d+)"));
    quint16 port = 0;
    QElapsedTimer wait;
    wait.start();
    while (port == 0 && wait.elapsed() < 20000 && hub.state() != QProcess::NotRunning) {
        hub.waitForReadyRead(200);
        out += QString::fromUtf8(hub.readAll());
        const auto m = ready.match(out);
        if (m.hasMatch())
            port = quint16(m.captured(1).toUInt());
    }
    if (port == 0) {
        std::fprintf(stderr, "cloudhub did not start:\n%s\n", qPrintable(out));
        return 1;
    }
    // Keep the hub's log pipe drained.
    QObject::connect(&hub, &QProcess::readyRead, &hub, [&hub] { hub.readAll(); });

    const int total = levels.isEmpty() ? 0 : levels.last();
    QElapsedTimer issue;
    issue.start();
    if (!issueCertificates(hubDir, certDir, total))
        return 1;
    std::printf("issued %d certificates in %.1f s\n", total, issue.elapsed() / 1000.0);
    const qint64 baseRss = rssKiB(hub.processId());
    std::printf("hub RSS with no sessions: %lld KiB\n", baseRss);
    std::printf("%-10s %-14s %-18s %-16s %-16s %-10s\n", "sessions", "handshakes/s", "hub CPU ms/hs",
                "hub RSS (KiB)", "KiB/session", "failed");

    std::vector<std::unique_ptr<QProcess>> loads;
    int from = 0;
    for (int level : levels) {
        const qint64 cpuBefore = cpuMs(hub.processId());
        auto load = std::make_unique<QProcess>();
        load->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        load->start(QCoreApplication::applicationFilePath(),
                    {QStringLiteral("--load"), QStringLiteral("--port"), QString::number(port),
                     QStringLiteral("--dir"), certDir, QStringLiteral("--from"), QString::number(from),
                     QStringLiteral("--to"), QString::number(level), QStringLiteral("--concurrency"),
                     QString::number(concurrency)});
        QString loadOut;
        const QRegularExpression line(
            QStringLiteral("LOAD connected=(\\d+) failed=(\\d+) seconds=([0-9.]+)"));
        QRegularExpressionMatch m;
        QElapsedTimer t;
        t.start();
        while (!(m = line.match(loadOut)).hasMatch() && t.elapsed() < 600000 &&
               load->state() != QProcess::NotRunning) {
            load->waitForReadyRead(500);
            loadOut += QString::fromUtf8(load->readAllStandardOutput());
            hub.readAll();
        }
        if (!m.hasMatch()) {
            std::fprintf(stderr, "load generator failed: %s\n", qPrintable(loadOut));
            return 1;
        }
        // Let the hub settle (registry writes, freed handshake buffers) before reading its RSS.
        QElapsedTimer settle;
        settle.start();
        while (settle.elapsed() < 3000) {
            hub.waitForReadyRead(100);
            hub.readAll();
        }
        const qint64 cpuUsed = cpuMs(hub.processId()) - cpuBefore;
        const int connected = m.captured(1).toInt();
        const int failed = m.captured(2).toInt();
        const double secs = m.captured(3).toDouble();
        const qint64 rss = rssKiB(hub.processId());
        std::printf("%-10d %-14.0f %-18.2f %-16lld %-16.1f %-10d\n", level, (level - from) / secs,
                    double(cpuUsed) / qMax(1, level - from), rss, double(rss - baseRss) / qMax(1, level),
                    failed + (level - from - connected - failed));
        std::fflush(stdout);
        loads.push_back(std::move(load));
        from = level;
    }
    for (auto &l : loads) {
        l->kill();
        l->waitForFinished();
    }
    hub.terminate();
    if (!hub.waitForFinished(60000)) {
        std::fprintf(stderr, "cloudhub did not stop within 60 s after SIGTERM; killed\n");
        hub.kill();
        hub.waitForFinished();
    }
    std::printf("hub exit code after SIGTERM: %d\n", hub.exitCode());
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions({{QStringLiteral("load"), QStringLiteral("Run as the load generator.")},
                  {QStringLiteral("port"), QStringLiteral("Hub edge port."), QStringLiteral("n")},
                  {QStringLiteral("dir"), QStringLiteral("Certificate directory."), QStringLiteral("dir")},
                  {QStringLiteral("from"), QStringLiteral("First node index."), QStringLiteral("n")},
                  {QStringLiteral("to"), QStringLiteral("End node index."), QStringLiteral("n")},
                  {QStringLiteral("levels"), QStringLiteral("Session counts, comma-separated."),
                   QStringLiteral("list"), QStringLiteral("1000,5000")},
                  {QStringLiteral("concurrency"), QStringLiteral("Handshakes in flight."),
                   QStringLiteral("n"), QStringLiteral("64")}});
    p.addHelpOption();
    p.process(app);
    const int concurrency = qMax(1, p.value(QStringLiteral("concurrency")).toInt());
    if (p.isSet(QStringLiteral("load")))
        return runLoad(quint16(p.value(QStringLiteral("port")).toUInt()), p.value(QStringLiteral("dir")),
                       p.value(QStringLiteral("from")).toInt(), p.value(QStringLiteral("to")).toInt(),
                       concurrency);
    QList<int> levels;
    for (const QString &s : p.value(QStringLiteral("levels")).split(u',', Qt::SkipEmptyParts))
        levels.append(s.toInt());
    std::sort(levels.begin(), levels.end());
    return runOrchestrator(levels, concurrency);
}
