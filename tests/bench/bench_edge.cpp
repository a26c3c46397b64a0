// bench_edge: edgehub start-to-connected time and idle RSS against the real cloudhub, and the
// MetaManager apply-and-ack rate in process.
//
//   bench_edge [--runs 5] [--objects 20000] [--idle-seconds 3]
//
// Targets (DESIGN.md): idle RSS <= 30 MiB, start to connected <= 1 s. Start to connected is
// measured from process start to the "connected to wss://" log line, for a first start (key,
// CSR and certificate bootstrap included) and for a restart (certificate reused).
#include "edgehub/metamanager.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "shared/storage.h"
#include "tests/e2e/edgeprocess.h"
#include "tests/support/hubprocess.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>

using namespace qedge;

namespace {

qint64 rssKiB(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

QString stats(QList<double> v, const char *unit)
{
    std::sort(v.begin(), v.end());
    if (v.isEmpty())
        return QStringLiteral("n/a");
    return QStringLiteral("min %1 %4, median %2 %4, max %3 %4")
        .arg(v.first(), 0, 'f', 1)
        .arg(v.at(v.size() / 2), 0, 'f', 1)
        .arg(v.last(), 0, 'f', 1)
        .arg(QLatin1String(unit));
}

/// Counts MetaManager's acks, standing where the link is.
class AckCounter : public Module
{
    Q_OBJECT
public:
    AckCounter() : Module(edge::LinkModule, edge::HubGroup) {}
    int acks = 0;
    int queueCapacity() const override { return 16384; } // as the link's

protected:
    void handleMessage(const Message &m) override
    {
        if (m.operation() == op::Response)
            ++acks;
    }
};

int benchProcess(int runs, int idleSeconds)
{
    test::HubProcess hub;
    if (!hub.start()) {
        std::fprintf(stderr, "cloudhub did not start:\n%s\n", qPrintable(hub.output()));
        return 1;
    }
    QList<double> firstMs, restartMs, rss;
    for (int i = 0; i < runs; ++i) {
        QTemporaryDir dir;
        const QString data = dir.filePath(QStringLiteral("edge"));
        const QString node = QStringLiteral("bench-%1").arg(i);
        for (bool restart : {false, true}) {
            test::EdgeProcess edge(node, data);
            QElapsedTimer t;
            t.start();
            if (!edge.start(test::EdgeProcess::joinArgs(hub)) ||
                !edge.waitForOutput(QStringLiteral("connected to wss://"), 10000)) {
                std::fprintf(stderr, "edgehub did not connect:\n%s\n", qPrintable(edge.output()));
                return 1;
            }
            (restart ? restartMs : firstMs).append(double(t.nsecsElapsed()) / 1e6);
            if (restart) {
                QTest::qWait(idleSeconds * 1000);
                rss.append(double(rssKiB(edge.processId())) / 1024.0);
            }
            edge.stop();
        }
    }
    std::printf("edgehub start to connected, first start (bootstrap): %s (%d runs)\n",
                qPrintable(stats(firstMs, "ms")), runs);
    std::printf("edgehub start to connected, restart (certificate reused): %s\n",
                qPrintable(stats(restartMs, "ms")));
    std::printf("edgehub idle RSS after %d s connected: %s\n", idleSeconds, qPrintable(stats(rss, "MiB")));
    hub.stop();
    return 0;
}

int benchMeta(int objects)
{
    QTemporaryDir dir;
    auto db = Database::open(dir.filePath(QStringLiteral("edge.db")), QStringLiteral("bench"));
    if (!db) {
        std::fprintf(stderr, "%s\n", qPrintable(db.errorMessage()));
        return 1;
    }
    MessageBus bus;
    ModuleHost host(&bus);
    auto *meta = new MetaManager(db.value()->connection(), MetaManager::Settings{});
    if (!meta->open())
        return 1;
    auto *sink = new AckCounter;
    host.add(sink);
    host.add(meta);
    host.startAll();

    QList<Message> messages;
    messages.reserve(objects);
    const QByteArray padding(900, 'x'); // about 1 KiB objects, as in the delivery target
    for (int i = 0; i < objects; ++i) {
        Message m = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"), op::Insert,
                                    QStringLiteral("default/configmap/cm-%1").arg(i));
        m.setResourceVersion(QString::number(i + 1));
        m.setContent(QJsonObject{
            {QStringLiteral("kind"), QStringLiteral("ConfigMap")},
            {QStringLiteral("metadata"),
             QJsonObject{{QStringLiteral("name"), QStringLiteral("cm-%1").arg(i)},
                         {QStringLiteral("resourceVersion"), QString::number(i + 1)}}},
            {QStringLiteral("data"), QJsonObject{{QStringLiteral("k"), QString::fromLatin1(padding)}}}});
        messages.append(m);
    }
    QElapsedTimer t;
    t.start();
    // Fed as fast as the inbox takes them, like a burst from the hub.
    int sent = 0;
    while (sink->acks < objects) {
        while (sent < objects && sent - sink->acks < meta->queueCapacity() / 2)
            bus.send(edge::MetaModule, messages.at(sent++));
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        if (t.elapsed() > 120000 || bus.stats().dropped > 0) {
            std::fprintf(stderr, "timed out with %d acks\n", sink->acks);
            return 1;
        }
    }
    const double secs = double(t.nsecsElapsed()) / 1e9;
    std::printf("MetaManager apply-and-ack (commit before ack, ~1 KiB objects, SQLite WAL): %d objects in "
                "%.2f s = %.0f objects/s\n",
                objects, secs, objects / secs);
    host.stopAll();
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addHelpOption();
    const QCommandLineOption runs(QStringLiteral("runs"), QStringLiteral("edgehub starts to time"),
                                  QStringLiteral("n"), QStringLiteral("5"));
    const QCommandLineOption objects(QStringLiteral("objects"), QStringLiteral("objects for MetaManager"),
                                     QStringLiteral("n"), QStringLiteral("20000"));
    const QCommandLineOption idle(QStringLiteral("idle-seconds"), QStringLiteral("idle time before RSS"),
                                  QStringLiteral("s"), QStringLiteral("3"));
    p.addOptions({runs, objects, idle});
    p.process(app);
    if (int rc = benchProcess(p.value(runs).toInt(), p.value(idle).toInt()))
        return rc;
    return benchMeta(p.value(objects).toInt());
}

#include "bench_edge.moc"
