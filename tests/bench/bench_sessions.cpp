// bench_sessions: TLS handshakes/s and hub RSS per idle mTLS WebSocket session, against mosquitto
// holding as many idle mTLS MQTT connections.
//
//   bench_sessions [--levels 1000,5000] [--concurrency 64] [--no-peer]
//
// Starts the real cloudhub (temp data dir, ports 0), issues one certificate per node with the
// hub's own CA files, then for each level starts a load-generator process (this program with
// --load) that opens the additional sessions and stays idle. Prints, per level, the handshake rate
// seen by the generator, the hub's CPU per handshake (/proc/<pid>/stat) and its VmRSS growth per
// session (/proc/<pid>/status).
// Peer, in the same run after the hub has stopped: mosquitto with a TLS listener that requires a
// client certificate (a server certificate from the same CA), measured the same way with this
// program as the client (--load-mqtt): the same node certificates and TLS settings, then an MQTT
// 3.1.1 CONNECT (clean session, keepalive 3600 s) and its CONNACK, then idle.
#include "shared/servicemain.h"
#include "shared/crypto/certauthority.h"
#include "shared/crypto/csr.h"
#include "shared/crypto/sslconfig.h"
#include "tests/bench/benchbroker.h"
#include "tests/support/testsupport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSslCipher>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QWebSocket>

#include <cstdio>
#include <functional>
#include <optional>
#include <sys/resource.h>
#include <unistd.h>

using namespace qedge;

namespace {

const QString Project = QStringLiteral("e632aba927ea4ac2b575ec1603d56f10");
constexpr quint16 MqttKeepAliveSeconds = 3600; // the hub runs with --keepalive-interval 3600 too

// One descriptor per session: the soft limit (often 1024) up to the hard one. The hub and mosquitto
// inherit it from the orchestrator, each load generator raises its own.
rlim_t raiseFdLimit()
{
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    return lim.rlim_cur;
}

// The soft "Max open files" of another process (/proc/<pid>/limits), -1 if unknown.
qint64 fdLimit(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/limits").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("Max open files"))
            return line.mid(14).simplified().split(' ').value(0).toLongLong();
    }
    return -1;
}

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

// ---- load generators (separate process) ------------------------------------------------------

struct Credentials
{
    crypto::Certificate ca;
    crypto::PrivateKey key;
    QString dir;

    std::optional<crypto::Certificate> node(int i) const
    {
        QFile f(dir + QStringLiteral("/node-%1.pem").arg(i));
        if (!f.open(QIODevice::ReadOnly))
            return std::nullopt;
        auto cert = crypto::Certificate::fromPem(f.readAll());
        return cert ? std::optional(cert.value()) : std::nullopt;
    }
};

std::optional<Credentials> loadCredentials(const QString &dir)
{
    QFile caFile(dir + QStringLiteral("/ca.pem")), keyFile(dir + QStringLiteral("/key.pem"));
    if (!caFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly))
        return std::nullopt;
    auto ca = crypto::Certificate::fromPem(caFile.readAll());
    auto key = crypto::PrivateKey::fromPem(keyFile.readAll());
    if (!ca || !key)
        return std::nullopt;
    return Credentials{ca.value(), key.value(), dir};
}

// Reports once whether session i came up, with the TLS session it got.
using Settle = std::function<void(bool ok, const QSslCipher &cipher)>;
// Starts session i; calls settle exactly once.
using Opener = std::function<void(int i, const Settle &settle)>;

// Opens sessions from..to-1 with `concurrency` handshakes in flight, prints one LOAD line when every
// one has settled, then keeps the connected ones open (idle) until killed.
int runLoad(int from, int to, int concurrency, const Opener &open)
{
    int next = from, inFlight = 0, connected = 0, failed = 0;
    QSslCipher cipher;
    QElapsedTimer clock;
    clock.start();
    std::function<void()> launch;
    const Settle settle = [&](bool ok, const QSslCipher &c) {
        --inFlight;
        ++(ok ? connected : failed);
        if (ok && cipher.isNull())
            cipher = c;
        if (connected + failed == to - from) {
            const double secs = clock.nsecsElapsed() / 1e9;
            std::printf("LOAD connected=%d failed=%d seconds=%.3f tls=%s cipher=%s\n", connected, failed,
                        secs, qPrintable(cipher.protocolString()), qPrintable(cipher.name()));
            std::fflush(stdout);
        }
        launch();
    };
    launch = [&] {
        while (inFlight < concurrency && next < to) {
            ++inFlight;
            open(next++, settle);
        }
    };
    QTimer::singleShot(0, launch);
    return QCoreApplication::exec();
}

int runWebSocketLoad(quint16 port, const Credentials &creds, int from, int to, int concurrency)
{
    return runLoad(from, to, concurrency, [&](int i, const Settle &settle) {
        const auto cert = creds.node(i);
        if (!cert) {
            settle(false, {});
            return;
        }
        auto *ws = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, qApp);
        ws->setSslConfiguration(crypto::clientSslConfiguration(creds.ca, &cert.value(), &creds.key));
        const QString node = QStringLiteral("bench-%1").arg(i);
        QNetworkRequest req(
            QUrl(QStringLiteral("wss://127.0.0.1:%1/%2/%3/events").arg(port).arg(Project, node)));
        req.setRawHeader("node_id", node.toUtf8());
        req.setRawHeader("project_id", Project.toUtf8());
        req.setRawHeader("ConnectionUse", "msg");
        auto settled = std::make_shared<bool>(false);
        QObject::connect(ws, &QWebSocket::connected, ws, [settle, settled, ws] {
            if (std::exchange(*settled, true))
                return;
            settle(true, ws->sslConfiguration().sessionCipher());
        });
        QObject::connect(ws, &QWebSocket::disconnected, ws, [settle, settled, ws] {
            if (std::exchange(*settled, true))
                return;
            ws->deleteLater();
            settle(false, {});
        });
        ws->open(req);
    });
}

// MQTT 3.1.1 CONNECT: clean session, no will, no credentials.
QByteArray mqttConnect(const QByteArray &clientId, quint16 keepAlive)
{
    QByteArray body("\x00\x04MQTT\x04\x02", 8);
    body += char(keepAlive >> 8);
    body += char(keepAlive & 0xff);
    body += char(clientId.size() >> 8);
    body += char(clientId.size() & 0xff);
    body += clientId;
    QByteArray packet(1, '\x10');
    for (qsizetype left = body.size(); left > 0 || packet.size() == 1;) { // remaining length, 7 bits a byte
        const char digit = char(left % 128);
        left /= 128;
        packet += left > 0 ? char(digit | 0x80) : digit;
    }
    return packet + body;
}

int runMqttLoad(quint16 port, const Credentials &creds, int from, int to, int concurrency)
{
    return runLoad(from, to, concurrency, [&](int i, const Settle &settle) {
        const auto cert = creds.node(i);
        if (!cert) {
            settle(false, {});
            return;
        }
        auto *socket = new QSslSocket(qApp);
        socket->setSslConfiguration(crypto::clientSslConfiguration(creds.ca, &cert.value(), &creds.key));
        auto settled = std::make_shared<bool>(false);
        auto reply = std::make_shared<QByteArray>();
        const auto fail = [settle, settled, socket] {
            if (std::exchange(*settled, true))
                return;
            socket->abort();
            socket->deleteLater();
            settle(false, {});
        };
        const QByteArray clientId = QStringLiteral("bench-%1").arg(i).toUtf8();
        QObject::connect(socket, &QSslSocket::encrypted, socket,
                         [socket, clientId] { socket->write(mqttConnect(clientId, MqttKeepAliveSeconds)); });
        QObject::connect(socket, &QIODevice::readyRead, socket, [settle, settled, reply, socket, fail] {
            if (*settled) {
                socket->readAll(); // idle: nothing is expected, nothing is kept
                return;
            }
            *reply += socket->readAll();
            if (reply->size() < 4)
                return;
            // CONNACK: type 2, remaining length 2, flags, return code 0 (accepted).
            if (!reply->startsWith(QByteArray("\x20\x02", 2)) || reply->at(3) != 0) {
                std::fprintf(stderr, "unexpected CONNACK: %s\n", reply->toHex(' ').constData());
                fail();
                return;
            }
            *settled = true;
            settle(true, socket->sessionCipher());
        });
        QObject::connect(socket, &QAbstractSocket::disconnected, socket, fail);
        QObject::connect(socket, &QAbstractSocket::errorOccurred, socket, fail);
        socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    });
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
    // mosquitto's certificate comes from the same CA, so its clients present and check what the hub's do.
    auto broker = ca->issueServerCertificate(QStringLiteral("bench mosquitto"), {QStringLiteral("localhost")},
                                             {QStringLiteral("127.0.0.1")}, 1);
    QFile brokerCert(outDir + QStringLiteral("/broker.crt")),
        brokerKey(outDir + QStringLiteral("/broker.key"));
    if (!broker || !brokerCert.open(QIODevice::WriteOnly) || !brokerKey.open(QIODevice::WriteOnly))
        return false;
    brokerCert.write(broker->certificate.toPem());
    brokerKey.write(broker->key.toPem());
    return true;
}

// Opens each level's additional sessions to the server `pid` from a new load-generator process
// (`loadArgs`), lets the server settle, and prints a row per level (after `prefix`): sessions,
// handshakes/s, server CPU ms per handshake, server RSS, KiB per session over `baseRss`, failed.
// `drain` keeps the server's output pipe empty. Sets `tls` to the protocol and cipher the first
// session got. Ends the load generators before returning.
bool measureLevels(const char *prefix, qint64 pid, const QStringList &loadArgs, const QList<int> &levels,
                   int concurrency, qint64 baseRss, const std::function<void()> &drain, QString *tls)
{
    std::vector<std::unique_ptr<QProcess>> loads;
    bool ok = true;
    int from = 0;
    for (int level : levels) {
        const qint64 cpuBefore = cpuMs(pid);
        auto load = std::make_unique<QProcess>();
        load->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        load->start(QCoreApplication::applicationFilePath(),
                    loadArgs + QStringList{QStringLiteral("--from"), QString::number(from),
                                           QStringLiteral("--to"), QString::number(level),
                                           QStringLiteral("--concurrency"), QString::number(concurrency)});
        QString loadOut;
        const QRegularExpression line(
            QStringLiteral("LOAD connected=(\\d+) failed=(\\d+) seconds=([0-9.]+) tls=(\\S*) cipher=(\\S*)"));
        QRegularExpressionMatch m;
        QElapsedTimer t;
        t.start();
        while (!(m = line.match(loadOut)).hasMatch() && t.elapsed() < 600000 &&
               load->state() != QProcess::NotRunning) {
            load->waitForReadyRead(500);
            loadOut += QString::fromUtf8(load->readAllStandardOutput());
            drain();
        }
        if (!m.hasMatch()) {
            std::fprintf(stderr, "load generator failed: %s\n", qPrintable(loadOut));
            ok = false;
            break;
        }
        // Let the server settle (registry writes, freed handshake buffers) before reading its RSS.
        QElapsedTimer settle;
        settle.start();
        while (settle.elapsed() < 3000) {
            QThread::msleep(100);
            drain();
        }
        const qint64 cpuUsed = cpuMs(pid) - cpuBefore;
        const int connected = m.captured(1).toInt();
        const int failed = m.captured(2).toInt();
        const double secs = m.captured(3).toDouble();
        if (tls->isEmpty())
            *tls = m.captured(4) + u' ' + m.captured(5);
        const qint64 rss = rssKiB(pid);
        std::printf("%s%-10d %-14.0f %-18.2f %-16lld %-16.1f %-10d\n", prefix, level, (level - from) / secs,
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
    return ok;
}

bool runHub(const QString &hubDir, const QString &certDir, const QList<int> &levels, int concurrency)
{
    QProcess hub;
    hub.setProcessChannelMode(QProcess::MergedChannels);
    // QEDGE_BENCH_HUB_WRAPPER="heaptrack -o /tmp/hub" runs the hub under a profiler.
    QStringList wrapper = qEnvironmentVariable("QEDGE_BENCH_HUB_WRAPPER").split(u' ', Qt::SkipEmptyParts);
    QStringList hubArgs = wrapper.mid(1);
    const QString hubProgram =
        wrapper.isEmpty() ? test::binaryPath(QStringLiteral("cloudhub")) : wrapper.first();
    if (!wrapper.isEmpty())
        hubArgs << test::binaryPath(QStringLiteral("cloudhub"));
    hub.start(hubProgram,
              hubArgs + QStringList{QStringLiteral("--data-dir"), hubDir, QStringLiteral("--bind"),
                                    QStringLiteral("127.0.0.1"), QStringLiteral("--websocket-port"),
                                    QStringLiteral("0"), QStringLiteral("--https-port"), QStringLiteral("0"),
                                    QStringLiteral("--admin-port"), QStringLiteral("0"),
                                    QStringLiteral("--node-limit"), QStringLiteral("100000"),
                                    QStringLiteral("--keepalive-interval"), QStringLiteral("3600"),
                                    QStringLiteral("--log-rules"),
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
        return false;
    }
    // Keep the hub's log pipe drained.
    QObject::connect(&hub, &QProcess::readyRead, &hub, [&hub] { hub.readAll(); });

    const int total = levels.isEmpty() ? 0 : levels.last();
    QElapsedTimer issue;
    issue.start();
    if (!issueCertificates(hubDir, certDir, total))
        return false;
    std::printf("issued %d certificates in %.1f s\n", total, issue.elapsed() / 1000.0);
    const qint64 baseRss = rssKiB(hub.processId());
    std::printf("hub RSS with no sessions: %lld KiB\n", baseRss);
    std::printf("%-10s %-14s %-18s %-16s %-16s %-10s\n", "sessions", "handshakes/s", "hub CPU ms/hs",
                "hub RSS (KiB)", "KiB/session", "failed");
    QString tls;
    const bool ok = measureLevels(
        "", hub.processId(),
        {QStringLiteral("--load"), QStringLiteral("--port"), QString::number(port), QStringLiteral("--dir"),
         certDir},
        levels, concurrency, baseRss,
        [&hub] {
            hub.waitForReadyRead(0);
            hub.readAll();
        },
        &tls);
    std::printf("hub TLS: %s\n", qPrintable(tls));
    hub.terminate();
    if (!hub.waitForFinished(60000)) {
        std::fprintf(stderr, "cloudhub did not stop within 60 s after SIGTERM; killed\n");
        hub.kill();
        hub.waitForFinished();
    }
    std::printf("hub exit code after SIGTERM: %d\n", hub.exitCode());
    return ok;
}

bool runMosquitto(const QString &brokerDir, const QString &certDir, const QList<int> &levels, int concurrency)
{
    // The hub's TLS settings: >= 1.2 and its cipher suites in its order.
    QByteArrayList tls12, tls13;
    for (const QSslCipher &cipher : crypto::kubeEdgeCiphers())
        (cipher.protocol() == QSsl::TlsV1_3 ? tls13 : tls12) << cipher.name().toLatin1();
    const QByteArray certs = QFile::encodeName(certDir);
    const QByteArray config = "cafile " + certs + "/ca.pem\ncertfile " + certs + "/broker.crt\nkeyfile " +
                              certs + "/broker.key\nrequire_certificate true\ntls_version tlsv1.2\nciphers " +
                              tls12.join(':') + "\nciphers_tls1.3 " + tls13.join(':') +
                              "\nmax_connections -1\n"
                              "allow_anonymous true\npersistence false\n";
    test::BenchBroker broker;
    if (!broker.start(brokerDir, config)) {
        std::fprintf(stderr, "mosquitto did not start: %s\n", qPrintable(broker.errorString()));
        return false;
    }
    const qint64 limit = fdLimit(broker.pid());
    const int total = levels.isEmpty() ? 0 : levels.last();
    if (limit >= 0 && limit < total + 64) {
        std::fprintf(stderr,
                     "mosquitto may open %lld files, too few for %d connections; raise the hard limit "
                     "(ulimit -Hn, LimitNOFILE)\n",
                     limit, total);
        return false;
    }
    // The TCP probe in start() was a connection too; let the broker forget it.
    QThread::msleep(200);
    const qint64 baseRss = rssKiB(broker.pid());
    std::printf("mosquitto RSS with no connections: %lld KiB (open files limit %lld)\n", baseRss, limit);
    std::printf("%-10s %-10s %-14s %-18s %-16s %-16s %-10s\n", "peer", "sessions", "handshakes/s",
                "broker CPU ms/hs", "broker RSS (KiB)", "KiB/connection", "failed");
    QString tls;
    const bool ok = measureLevels(
        "mosquitto  ", broker.pid(),
        {QStringLiteral("--load-mqtt"), QStringLiteral("--port"), QString::number(broker.port()),
         QStringLiteral("--dir"), certDir},
        levels, concurrency, baseRss, [] {}, &tls);
    std::printf("mosquitto TLS: %s\n", qPrintable(tls));
    return ok;
}

int runOrchestrator(const QList<int> &levels, int concurrency, bool peer)
{
    QTemporaryDir tmp;
    const QString certDir = tmp.filePath(QStringLiteral("certs"));
    QDir().mkpath(certDir);
    std::printf("open files limit: %lld (the hub, mosquitto and the load generators have it too)\n",
                static_cast<long long>(raiseFdLimit()));
    bool ok = runHub(tmp.filePath(QStringLiteral("hub")), certDir, levels, concurrency);
    // After the hub has stopped, so neither pays for the other's sessions; the same certificates.
    if (ok && peer)
        ok = runMosquitto(tmp.filePath(QStringLiteral("mosquitto")), certDir, levels, concurrency);
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char *argv[])
{
    qedge::preferScalableEventDispatcher();
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions(
        {{QStringLiteral("load"), QStringLiteral("Run as the load generator (cloudhub).")},
         {QStringLiteral("load-mqtt"), QStringLiteral("Run as the load generator (mosquitto).")},
         {QStringLiteral("port"), QStringLiteral("Hub edge port or broker port."), QStringLiteral("n")},
         {QStringLiteral("dir"), QStringLiteral("Certificate directory."), QStringLiteral("dir")},
         {QStringLiteral("from"), QStringLiteral("First node index."), QStringLiteral("n")},
         {QStringLiteral("to"), QStringLiteral("End node index."), QStringLiteral("n")},
         {QStringLiteral("levels"), QStringLiteral("Session counts, comma-separated."),
          QStringLiteral("list"), QStringLiteral("1000,5000")},
         {QStringLiteral("concurrency"), QStringLiteral("Handshakes in flight."), QStringLiteral("n"),
          QStringLiteral("64")},
         {QStringLiteral("no-peer"), QStringLiteral("Skip mosquitto.")}});
    p.addHelpOption();
    p.process(app);
    const int concurrency = qMax(1, p.value(QStringLiteral("concurrency")).toInt());
    const bool mqtt = p.isSet(QStringLiteral("load-mqtt"));
    if (p.isSet(QStringLiteral("load")) || mqtt) {
        raiseFdLimit();
        const auto creds = loadCredentials(p.value(QStringLiteral("dir")));
        if (!creds)
            return 2;
        const quint16 port = quint16(p.value(QStringLiteral("port")).toUInt());
        const int from = p.value(QStringLiteral("from")).toInt(), to = p.value(QStringLiteral("to")).toInt();
        return mqtt ? runMqttLoad(port, *creds, from, to, concurrency)
                    : runWebSocketLoad(port, *creds, from, to, concurrency);
    }
    QList<int> levels;
    for (const QString &s : p.value(QStringLiteral("levels")).split(u',', Qt::SkipEmptyParts))
        levels.append(s.toInt());
    std::sort(levels.begin(), levels.end());
    return runOrchestrator(levels, concurrency, !p.isSet(QStringLiteral("no-peer")));
}
