// bench_delivery: cloud -> edge delivery, end to end, against mosquitto as the peer.
//
//   bench_delivery [--levels 1,100,1000] [--messages 10000] [--workdir DIR] [--no-peer] [--payload-bytes 1024]
//
// QEdge: the real cloudhub (durable SQLite store in DIR/hub; its CA is kept between runs so the
// edges' certificates, bootstrapped once through the real protocol, stay valid in DIR/edges) and
// bench_delivery_edges in a separate process holding max(levels) mTLS sessions that commit each
// message to SQLite before acking it (durable on both ends; see that file).
// For each level N, 1 KiB ConfigMaps are applied fleet-wide to N nodes (selector), first as fast as
// the admin API takes them (6 requests in flight), then paced at half the measured rate. Figures:
// messages delivered per second (to the last receipt, and to the hub having recorded every ack) and
// p50/p99 latency from the PUT being sent to the edge having committed the message.
// Peer: mosquitto (persistence on, autosave every second, QoS 1, 100 in flight per client, no queue
// limit) with bench_delivery_mqtt holding N persistent QoS 1 subscribers in a separate process; the
// publisher is this process (libmosquitto), 6 PUBLISHes in flight, the same 1 KiB payload.
#include "tests/bench/benchbroker.h"
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <mosquitto.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSslConfiguration>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <unistd.h>
#include <optional>

using namespace qedge;
using namespace qedge::test;

namespace {

constexpr int InFlight = 6;
int PayloadBytes = 1024; // --payload-bytes

qint64 realUs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void wait(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

/// CPU time (user + system) a process used so far, in microseconds.
qint64 cpuUs(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    const qint64 ticks = fields.value(11).toLongLong() + fields.value(12).toLongLong();
    return ticks * 1000000 / sysconf(_SC_CLK_TCK);
}

/// What one phase measured at the receivers.
struct Figures
{
    qint64 messages = 0;
    double perSec = 0;
    double ackedPerSec = 0; ///< QEdge only: until the hub recorded every ack
    double hubCpuUsPerMsg = 0, edgesCpuUsPerMsg = 0; ///< QEdge only: CPU of each process per message
    double p50Ms = 0, p99Ms = 0, maxMs = 0;
    bool ok = false;
};

/// A child process speaking the line protocol of the load generators.
class Generator
{
public:
    bool start(const QString &program, const QStringList &args)
    {
        m_p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_p.start(program, args);
        return m_p.waitForStarted(5000);
    }
    qint64 processId() const { return m_p.processId(); }
    std::optional<QList<QByteArray>> waitLine(const QByteArray &word, int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            while (m_p.canReadLine()) {
                const QList<QByteArray> w = m_p.readLine().trimmed().split(' ');
                if (!w.isEmpty() && w.first() == word)
                    return w;
            }
            if (m_p.state() != QProcess::Running)
                return std::nullopt;
            m_p.waitForReadyRead(50);
            QCoreApplication::processEvents();
        }
        return std::nullopt;
    }
    void phase(const QByteArray &name, qint64 expected)
    {
        m_p.write("phase " + name + ' ' + QByteArray::number(expected) + '\n');
        m_p.waitForBytesWritten(1000); // before any blocking publish loop starts
        wait(20);
    }
    void stop()
    {
        m_p.closeWriteChannel();
        if (!m_p.waitForFinished(5000)) {
            m_p.kill();
            m_p.waitForFinished();
        }
    }
    /// Completes f from a "done" line: COUNT FIRST_US LAST_US P50 P99 MAX.
    static void fill(Figures &f, const QList<QByteArray> &done, qint64 startUs)
    {
        f.messages = done.value(2).toLongLong();
        const qint64 last = done.value(4).toLongLong();
        f.perSec = last > startUs ? double(f.messages) * 1e6 / double(last - startUs) : 0;
        f.p50Ms = done.value(5).toDouble() / 1000.0;
        f.p99Ms = done.value(6).toDouble() / 1000.0;
        f.maxMs = done.value(7).toDouble() / 1000.0;
        f.ok = true;
    }

private:
    QProcess m_p;
};

QByteArray padding()
{
    return QByteArray(PayloadBytes - 64, 'x');
}

// ---- QEdge --------------------------------------------------------------------------------------

class QEdgeRun
{
public:
    QEdgeRun(HubProcess &hub) : m_hub(hub), m_tls(QSslConfiguration::defaultConfiguration())
    {
        m_tls.setCaCertificates(QSslCertificate::fromPath(hub.dataDir() + QStringLiteral("/pki/ca.crt")));
    }

    /// Sends `objects` fleet-wide PUTs to the nodes labelled group=yes; intervalUs 0: as fast as allowed.
    /// Returns the time the first one was sent.
    qint64 put(const QString &group, const QString &phase, int objects, qint64 intervalUs)
    {
        int sent = 0, done = 0, inFlight = 0;
        qint64 firstUs = 0;
        const qint64 startUs = realUs();
        QEventLoop loop;
        QTimer pacer;
        pacer.setTimerType(Qt::PreciseTimer);
        std::function<void()> pump = [&] {
            while (sent < objects && inFlight < InFlight) {
                const qint64 due = startUs + qint64(sent) * intervalUs;
                if (intervalUs > 0 && realUs() < due) {
                    pacer.start(int(std::max<qint64>(0, (due - realUs()) / 1000)));
                    return;
                }
                const qint64 now = realUs();
                if (sent == 0)
                    firstUs = now;
                const QString name = QStringLiteral("%1-%2").arg(phase).arg(sent);
                const QJsonObject body{
                    {QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                    {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                    {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), name}}},
                    {QStringLiteral("data"),
                     QJsonObject{{QStringLiteral("sentAtUs"), QString::number(now)},
                                 {QStringLiteral("payload"), QString::fromLatin1(padding())}}}};
                QNetworkRequest req(
                    QUrl(m_hub.adminUrl().toString() +
                         QStringLiteral("/api/v1/resources/default/configmap/%1?selector=%2=yes")
                             .arg(name, group)));
                req.setSslConfiguration(m_tls);
                req.setRawHeader("Authorization", "Bearer " + m_hub.adminToken());
                req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
                QNetworkReply *r = m_nam.put(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
                ++sent;
                ++inFlight;
                QObject::connect(r, &QNetworkReply::finished, &loop, [&, r] {
                    const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                    if (status != 201)
                        std::fprintf(stderr, "PUT answered %d: %s\n", status, r->readAll().constData());
                    r->deleteLater();
                    --inFlight;
                    if (++done == objects)
                        loop.quit();
                    else
                        pump();
                });
            }
        };
        QObject::connect(&pacer, &QTimer::timeout, &loop, [&] { pump(); });
        pacer.setSingleShot(true);
        pump();
        loop.exec();
        return firstUs;
    }

    /// Labels node i with nL=yes for every level L > i, 32 requests in flight.
    void label(int nodes, const QList<int> &levels)
    {
        int sent = 0, done = 0, inFlight = 0;
        QEventLoop loop;
        std::function<void()> pump = [&] {
            while (sent < nodes && inFlight < 32) {
                QJsonObject labels;
                for (int l : levels)
                    if (sent < l)
                        labels.insert(QStringLiteral("n%1").arg(l), QStringLiteral("yes"));
                QNetworkRequest req(QUrl(m_hub.adminUrl().toString() +
                                         QStringLiteral("/api/v1/nodes/bench-%1/labels").arg(sent, 4, 10, QLatin1Char('0'))));
                req.setSslConfiguration(m_tls);
                req.setRawHeader("Authorization", "Bearer " + m_hub.adminToken());
                req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
                QNetworkReply *r = m_nam.put(
                    req, QJsonDocument(QJsonObject{{QStringLiteral("labels"), labels}}).toJson(QJsonDocument::Compact));
                ++sent;
                ++inFlight;
                QObject::connect(r, &QNetworkReply::finished, &loop, [&, r] {
                    if (r->error() != QNetworkReply::NoError)
                        std::fprintf(stderr, "labelling: %s\n", qPrintable(r->errorString()));
                    r->deleteLater();
                    --inFlight;
                    if (++done == nodes)
                        loop.quit();
                    else
                        pump();
                });
            }
        };
        pump();
        if (nodes > 0)
            loop.exec();
    }

    quint64 ackedTotal()
    {
        return quint64(m_api.get(QStringLiteral("/api/v1/stats"))
                           .json()
                           .value(QStringLiteral("messages"))
                           .toObject()
                           .value(QStringLiteral("acked"))
                           .toDouble());
    }

private:
    HubProcess &m_hub;
    QSslConfiguration m_tls;
    QNetworkAccessManager m_nam;
    AdminClient m_api{m_hub.adminUrl(), m_hub.dataDir() + QStringLiteral("/pki/ca.crt"), m_hub.adminToken()};
};

// ---- mosquitto ----------------------------------------------------------------------------------

/// Persistence on (saved every second), QoS 1 with 100 in flight per client, no queue limit.
bool startBroker(BenchBroker &broker, const QString &dir)
{
    QFile::remove(dir + QStringLiteral("/mosquitto.db"));
    const bool ok = broker.start(dir, "allow_anonymous true\npersistence true\npersistence_location " +
                                          QFile::encodeName(dir) +
                                          "/\nautosave_interval 1\n"
                                          "max_inflight_messages 100\nmax_queued_messages 0\n");
    if (!ok)
        std::fprintf(stderr, "%s\n", qPrintable(broker.errorString()));
    return ok;
}

class Publisher
{
public:
    explicit Publisher(quint16 port)
    {
        m_m = mosquitto_new("bench-pub", true, this);
        mosquitto_publish_callback_set(
            m_m, [](mosquitto *, void *self, int) { ++static_cast<Publisher *>(self)->m_acked; });
        mosquitto_connect(m_m, "127.0.0.1", port, 60);
        mosquitto_loop_start(m_m);
    }
    ~Publisher()
    {
        mosquitto_disconnect(m_m);
        mosquitto_loop_stop(m_m, false);
        mosquitto_destroy(m_m);
    }
    qint64 publish(const char *topic, int messages, qint64 intervalUs)
    {
        const qint64 startUs = realUs();
        qint64 firstUs = 0;
        const qint64 base = m_acked.load();
        QByteArray payload(PayloadBytes, 'x');
        for (int sent = 0; sent < messages;) {
            const qint64 due = startUs + qint64(sent) * intervalUs;
            if ((intervalUs > 0 && realUs() < due) || sent - (m_acked.load() - base) >= InFlight) {
                QThread::usleep(50);
                continue;
            }
            const qint64 now = realUs();
            if (sent == 0)
                firstUs = now;
            const QByteArray stamp = QByteArray::number(now) + '\n';
            memcpy(payload.data(), stamp.constData(), size_t(stamp.size()));
            mosquitto_publish(m_m, nullptr, topic, int(payload.size()), payload.constData(), 1, false);
            ++sent;
        }
        return firstUs;
    }

private:
    mosquitto *m_m;
    std::atomic<qint64> m_acked{0};
};

void printRow(const char *who, int nodes, const Figures &sat, const Figures &half)
{
    const QByteArray acked =
        sat.ackedPerSec > 0 ? QByteArray::number(sat.ackedPerSec, 'f', 0) : QByteArray("-");
    std::printf("%-9s %6d %8lld %12.0f %12s %9.1f %9.1f %10.1f %9.1f\n", who, nodes,
                static_cast<long long>(sat.messages), sat.perSec, acked.constData(), sat.p50Ms, sat.p99Ms,
                half.p50Ms, half.p99Ms);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    QCommandLineParser p;
    const QCommandLineOption levelsOpt(QStringLiteral("levels"), QStringLiteral("node counts"),
                                       QStringLiteral("LIST"), QStringLiteral("1,100,1000"));
    const QCommandLineOption messagesOpt(QStringLiteral("messages"),
                                         QStringLiteral("messages per saturation phase"), QStringLiteral("M"),
                                         QStringLiteral("10000"));
    const QCommandLineOption workdirOpt(
        QStringLiteral("workdir"), QStringLiteral("hub data and certificate cache"), QStringLiteral("DIR"),
        QDir::tempPath() + QStringLiteral("/qedge-bench-delivery"));
    const QCommandLineOption noPeer(QStringLiteral("no-peer"), QStringLiteral("skip mosquitto"));
    const QCommandLineOption payloadOpt(QStringLiteral("payload-bytes"), QStringLiteral("object size (default 1024)"),
                                        QStringLiteral("B"), QStringLiteral("1024"));
    p.addHelpOption();
    p.addOptions({levelsOpt, messagesOpt, workdirOpt, noPeer, payloadOpt});
    p.process(app);
    PayloadBytes = std::max(128, p.value(payloadOpt).toInt());
    QList<int> levels;
    for (const QString &l : p.value(levelsOpt).split(u','))
        levels.append(l.toInt());
    const int maxNodes = *std::max_element(levels.cbegin(), levels.cend());
    const qint64 messages = p.value(messagesOpt).toLongLong();
    const QString workdir = p.value(workdirOpt);
    const QString hubDir = workdir + QStringLiteral("/hub");
    QDir().mkpath(hubDir);
    // Fresh queues and objects each run; the PKI (and so the cached edge certificates) stays.
    for (const QString &f : QDir(hubDir).entryList({QStringLiteral("cloudhub.db*")}))
        QFile::remove(hubDir + u'/' + f);

    QMap<int, std::pair<Figures, Figures>> qedge, peer;

    {
        HubProcess hub({QStringLiteral("--node-limit"), QString::number(maxNodes + 100),
                        QStringLiteral("--keepalive-interval"), QStringLiteral("60")},
                       hubDir);
        if (!hub.start()) {
            std::fprintf(stderr, "cloudhub did not start:\n%s\n", qPrintable(hub.output()));
            return 1;
        }
        std::printf("cloudhub pid %lld, data %s; connecting %d edges (certificates cached in %s/edges)\n",
                    static_cast<long long>(hub.process().processId()), qPrintable(hubDir), maxNodes,
                    qPrintable(workdir));
        std::fflush(stdout);
        Generator edges;
        QElapsedTimer t;
        t.start();
        if (!edges.start(QStringLiteral(QEDGE_BINARY_DIR "/tests/bench/bench_delivery_edges"),
                         {QStringLiteral("--ws-port"), QString::number(hub.webSocketPort()),
                          QStringLiteral("--bootstrap"), hub.bootstrapUrl().toString(),
                          QStringLiteral("--token"), hub.joinToken(), QStringLiteral("--nodes"),
                          QString::number(maxNodes), QStringLiteral("--prefix"), QStringLiteral("bench-"),
                          QStringLiteral("--cache"), workdir + QStringLiteral("/edges"),
                          QStringLiteral("--ca"), hubDir + QStringLiteral("/pki/ca.crt")}) ||
            !edges.waitLine("ready", 600000)) {
            std::fprintf(stderr, "the edges did not come up\n");
            return 1;
        }
        std::printf("%d edges connected in %.1f s\n", maxNodes, double(t.elapsed()) / 1000.0);
        QEdgeRun run(hub);
        run.label(maxNodes, levels);
        for (int n : levels) {
            const QString group = QStringLiteral("n%1").arg(n);
            const int objects = int(std::max<qint64>(20, messages / n));
            Figures sat, half;
            const quint64 ackedBefore = run.ackedTotal();
            const qint64 hubCpu0 = cpuUs(hub.process().processId()), edgesCpu0 = cpuUs(edges.processId());
            edges.phase("sat" + QByteArray::number(n), qint64(objects) * n);
            const qint64 start = run.put(group, QStringLiteral("sat%1").arg(n), objects, 0);
            if (auto done = edges.waitLine("done", 300000)) {
                Generator::fill(sat, *done, start);
                while (run.ackedTotal() < ackedBefore + quint64(sat.messages))
                    wait(20);
                sat.ackedPerSec = double(sat.messages) * 1e6 / double(realUs() - start);
                // CPU per message does not depend on what else the machine runs, unlike msg/s.
                sat.hubCpuUsPerMsg = double(cpuUs(hub.process().processId()) - hubCpu0) / double(sat.messages);
                sat.edgesCpuUsPerMsg = double(cpuUs(edges.processId()) - edgesCpu0) / double(sat.messages);
            }
            const double rate = sat.perSec / 2; // messages/s
            const int halfObjects = int(std::clamp(rate * 3.0 / n, 10.0, double(objects)));
            edges.phase("half" + QByteArray::number(n), qint64(halfObjects) * n);
            const qint64 hstart = run.put(group, QStringLiteral("half%1").arg(n), halfObjects,
                                          qint64(1e6 * n / std::max(rate, 1.0)));
            if (auto done = edges.waitLine("done", 300000))
                Generator::fill(half, *done, hstart);
            std::printf("QEdge N=%d: %lld msgs, %.0f msg/s (acks recorded: %.0f/s), p50 %.1f ms p99 %.1f ms; "
                        "half load p50 %.1f p99 %.1f; CPU per message: hub %.1f us, edges %.1f us\n",
                        n, static_cast<long long>(sat.messages), sat.perSec, sat.ackedPerSec, sat.p50Ms,
                        sat.p99Ms, half.p50Ms, half.p99Ms, sat.hubCpuUsPerMsg, sat.edgesCpuUsPerMsg);
            qedge.insert(n, {sat, half});
        }
        edges.stop();
        hub.stop();
    }

    if (!p.isSet(noPeer)) {
        mosquitto_lib_init();
        for (int n : levels) {
            BenchBroker broker;
            if (!startBroker(broker, workdir + QStringLiteral("/mqtt")))
                break;
            Generator subs;
            const QByteArray topic = "bench/n" + QByteArray::number(n);
            if (!subs.start(
                    QStringLiteral(QEDGE_BINARY_DIR "/tests/bench/bench_delivery_mqtt"),
                    {QString::number(broker.port()), QString::number(n), QString::fromLatin1(topic)}) ||
                !subs.waitLine("ready", 600000)) {
                std::fprintf(stderr, "the subscribers did not come up (broker port %d)\n", broker.port());
                break;
            }
            Figures sat, half;
            {
                Publisher pub(broker.port());
                wait(200);
                const int objects = int(std::max<qint64>(20, messages / n));
                subs.phase("sat", qint64(objects) * n);
                const qint64 start = pub.publish(topic.constData(), objects, 0);
                if (auto done = subs.waitLine("done", 300000))
                    Generator::fill(sat, *done, start);
                const double rate = sat.perSec / 2;
                const int halfObjects = int(std::clamp(rate * 3.0 / n, 10.0, double(objects)));
                subs.phase("half", qint64(halfObjects) * n);
                const qint64 hstart =
                    pub.publish(topic.constData(), halfObjects, qint64(1e6 * n / std::max(rate, 1.0)));
                if (auto done = subs.waitLine("done", 300000))
                    Generator::fill(half, *done, hstart);
            }
            subs.stop();
            broker.stop();
            std::printf("mosquitto N=%d: %lld msgs, %.0f msg/s, p50 %.1f ms p99 %.1f ms; half load p50 %.1f "
                        "p99 %.1f\n",
                        n, static_cast<long long>(sat.messages), sat.perSec, sat.p50Ms, sat.p99Ms, half.p50Ms,
                        half.p99Ms);
            peer.insert(n, {sat, half});
        }
        mosquitto_lib_cleanup();
    }

    std::printf("\n%d-byte objects, fan-out to N nodes; msg/s = messages delivered (one per node per object) per second;\n"
                "latency = sent by the cloud side -> committed by the edge (QEdge; the edges store before acking) or\n"
                "received by the subscriber (mosquitto); half = paced at half the measured rate.\n\n",
                PayloadBytes);
    std::printf("%-9s %6s %8s %12s %12s %9s %9s %10s %9s\n", "system", "nodes", "msgs", "msg/s", "acked msg/s", "p50 ms", "p99 ms",
                "half p50", "half p99");
    for (int n : levels) {
        printRow("QEdge", n, qedge.value(n).first, qedge.value(n).second);
        if (peer.contains(n))
            printRow("mosquitto", n, peer.value(n).first, peer.value(n).second);
    }
    if (!peer.isEmpty()) {
        std::printf("\nratio QEdge / mosquitto (msg/s):");
        for (int n : levels)
            if (peer.contains(n) && peer.value(n).first.perSec > 0)
                std::printf("  N=%d: %.2f", n, qedge.value(n).first.perSec / peer.value(n).first.perSec);
        std::printf("\n");
    }
    return 0;
}
