// bench_twin: twin updates/s from a mapper over MQTT to the hub's device store, and the latency
// from an admin API desired value to the mapper's /delta. Runs mosquitto, the real cloudhub and
// edgehub. Peer in the same run: mosquitto alone carrying the same payloads publisher → subscriber.
#include "tests/e2e/edgeprocess.h"
#include "tests/edgehub/mqttpeer.h"
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"
#include "tests/support/mosquittofixture.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>
#include <cstdio>

using namespace qedge;
using namespace qedge::test;

namespace {
const QString Node = QStringLiteral("bench-edge");
const int Devices = 10;
const int Window = 500;

QByteArray updatePayload(int i)
{
    return QByteArrayLiteral(R"({"event_id":"b","timestamp":1,"twin":{"temperature":{"actual":{"value":")") +
           QByteArray::number(i) + QByteArrayLiteral(R"("},"metadata":{"type":"int"}}}})");
}

QString devTopic(int d, const char *suffix)
{
    return QStringLiteral("$hw/events/device/default/dev-%1/%2").arg(d).arg(QLatin1String(suffix));
}

int fail(const char *what, const QString &detail = {})
{
    std::fprintf(stderr, "bench_twin: %s %s\n", what, qPrintable(detail.left(2000)));
    return 1;
}

double percentile(QList<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v.at(std::min<qsizetype>(v.size() - 1, qsizetype(p * double(v.size()))));
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int updates = argc > 1 ? QByteArray(argv[1]).toInt() : 5000;
    const int rounds = argc > 2 ? QByteArray(argv[2]).toInt() : 100;

    MosquittoFixture broker;
    if (!broker.available() || !broker.start())
        return fail("mosquitto:", broker.unavailableReason());
    HubProcess hub;
    if (!hub.start())
        return fail("cloudhub:", hub.output());
    AdminClient admin(hub.adminUrl(), QDir(hub.dataDir()).filePath(QStringLiteral("pki/ca.crt")),
                      hub.adminToken());
    EdgeProcess edge(Node);
    QStringList args = EdgeProcess::joinArgs(hub);
    // The default upstream limit (30/s, burst 60, KubeEdge's) would be the figure; lift it to
    // measure the path itself.
    args << QStringLiteral("--mqtt-server") << QStringLiteral("tcp://127.0.0.1:%1").arg(broker.port())
         << QStringLiteral("--qps") << QStringLiteral("1000000") << QStringLiteral("--burst")
         << QStringLiteral("1000000");
    if (!edge.start(args) || !edge.waitForConnected(true, 20000) ||
        !edge.waitForOutput(QStringLiteral("connected to MQTT broker"), 10000))
        return fail("edgehub:", edge.output());

    MqttPeer mapper(broker.port());
    if (!mapper.connectNow() ||
        !mapper.subscribe(QStringLiteral("$hw/events/device/+/+/twin/update/delta"),
                          devTopic(0, "twin/update/delta")) ||
        !mapper.subscribe(QStringLiteral("$hw/events/device/+/+/twin/update/result"),
                          devTopic(0, "twin/update/result")))
        return fail("mapper connect/subscribe");
    for (int d = 0; d < Devices; ++d) {
        const AdminReply r = admin.put(
            QStringLiteral("/api/v1/nodes/%1/devices/default/dev-%2").arg(Node).arg(d),
            {{QStringLiteral("desired"), QJsonObject{{QStringLiteral("temperature"), QStringLiteral("0")}}},
             {QStringLiteral("types"), QJsonObject{{QStringLiteral("temperature"), QStringLiteral("int")}}}});
        if (r.status != 200)
            return fail("device PUT:", QString::fromUtf8(r.body));
    }
    if (!QTest::qWaitFor([&] { return mapper.countOn(devTopic(Devices - 1, "twin/update/delta")) > 0; },
                         20000))
        return fail("devices never reached the edge");

    // 1. Twin updates/s: mapper → mosquitto → edgehub (store, answer, report) → cloudhub (store, ack).
    QWebSocket events;
    if (!admin.openEvents(events, QStringLiteral("node=") + Node))
        return fail("event stream");
    // Reports may be coalesced (an older one after a newer one is not an event), so the run is
    // done when every device's reported value is its last update.
    QHash<QString, QString> latest;
    QHash<QString, QString> finalValue;
    for (int i = std::max(1, updates - Devices + 1); i <= updates; ++i)
        finalValue.insert(QStringLiteral("default/dev-%1").arg(i % Devices), QString::number(i));
    int reported = 0;
    QObject::connect(&events, &QWebSocket::textMessageReceived, &events, [&](const QString &text) {
        const QJsonObject e = QJsonDocument::fromJson(text.toUtf8()).object();
        if (e.value(QStringLiteral("type")) != QLatin1String("twin.reported"))
            return;
        ++reported;
        latest.insert(
            e.value(QStringLiteral("device")).toString(),
            e.value(QStringLiteral("twins")).toObject().value(QStringLiteral("temperature")).toString());
    });
    const auto done = [&] {
        for (auto it = finalValue.cbegin(); it != finalValue.cend(); ++it)
            if (latest.value(it.key()) != it.value())
                return false;
        return true;
    };
    QElapsedTimer t;
    t.start();
    // At most Window messages outstanding: mosquitto drops QoS 1 messages past a subscriber's
    // queue (max_queued_messages, 1000 by default), for the edge as for the peer below.
    const auto results = [&] {
        int n = 0;
        for (int d = 0; d < Devices; ++d)
            n += mapper.countOn(devTopic(d, "twin/update/result"));
        return n;
    };
    for (int i = 1; i <= updates; ++i) {
        mapper.publish(devTopic(i % Devices, "twin/update"), updatePayload(i));
        if (i % 100 == 0)
            (void)QTest::qWaitFor([&] { return results() >= i - Window; }, 10000);
    }
    const qint64 publishMs = t.elapsed();
    if (!QTest::qWaitFor(done, 120000))
        return fail("last values missing; reported events:", QString::number(reported));
    const double twinRate = updates * 1000.0 / double(std::max<qint64>(1, t.elapsed()));
    const AdminReply last =
        admin.get(QStringLiteral("/api/v1/nodes/%1/devices/default/dev-%2").arg(Node).arg(updates % Devices));
    const QString lastValue = last.json()
                                  .value(QStringLiteral("twins"))
                                  .toObject()
                                  .value(QStringLiteral("temperature"))
                                  .toObject()
                                  .value(QStringLiteral("reported"))
                                  .toObject()
                                  .value(QStringLiteral("value"))
                                  .toString();

    // 2. Desired → delta latency: admin PUT accepted → mapper receives the delta with that value.
    QList<double> latencies;
    for (int i = 0; i < rounds; ++i) {
        const QString value = QString::number(100000 + i);
        const int before = mapper.countOn(devTopic(0, "twin/update/delta"));
        QElapsedTimer lt;
        lt.start();
        const AdminReply r =
            admin.put(QStringLiteral("/api/v1/nodes/%1/devices/default/dev-0").arg(Node),
                      {{QStringLiteral("desired"), QJsonObject{{QStringLiteral("temperature"), value}}}});
        if (r.status != 200)
            return fail("desired PUT:", QString::fromUtf8(r.body));
        if (!QTest::qWaitFor(
                [&] {
                    return mapper.countOn(devTopic(0, "twin/update/delta")) > before &&
                           mapper.lastOn(devTopic(0, "twin/update/delta")).contains(value.toUtf8());
                },
                10000))
            return fail("no delta for", value);
        latencies.append(double(lt.nsecsElapsed()) / 1e6);
    }

    // Peer: mosquitto alone, the same payloads from one client to another (QoS 1).
    MqttPeer sub(broker.port());
    if (!sub.connectNow() || !sub.subscribe(QStringLiteral("peer/#"), QStringLiteral("peer/probe")))
        return fail("peer subscribe");
    t.restart();
    for (int i = 1; i <= updates; ++i) {
        mapper.publish(QStringLiteral("peer/t"), updatePayload(i));
        if (i % 100 == 0)
            (void)QTest::qWaitFor([&] { return sub.countOn(QStringLiteral("peer/t")) >= i - Window; }, 10000);
    }
    if (!QTest::qWaitFor([&] { return sub.countOn(QStringLiteral("peer/t")) >= updates; }, 60000))
        return fail("peer messages missing");
    const double peerRate = updates * 1000.0 / double(std::max<qint64>(1, t.elapsed()));

    QTextStream out(stdout);
    out << "bench_twin: " << updates << " twin updates over " << Devices << " devices, " << rounds
        << " desired rounds\n";
    out << QStringLiteral("twin updates MQTT -> hub store: %1 /s (publishing took %2 ms; %3 twin.reported "
                          "events; last value %4)\n")
               .arg(twinRate, 0, 'f', 0)
               .arg(publishMs)
               .arg(reported)
               .arg(lastValue);
    out << QStringLiteral("peer: mosquitto alone, publisher -> subscriber, same payloads: %1 msg/s\n")
               .arg(peerRate, 0, 'f', 0);
    out << QStringLiteral(
               "desired -> delta latency (admin PUT -> mapper): p50 %1 ms, p90 %2 ms, p99 %3 ms, max %4 ms\n")
               .arg(percentile(latencies, 0.5), 0, 'f', 2)
               .arg(percentile(latencies, 0.9), 0, 'f', 2)
               .arg(percentile(latencies, 0.99), 0, 'f', 2)
               .arg(percentile(latencies, 1.0), 0, 'f', 2);
    out.flush();
    edge.stop();
    hub.stop();
    return 0;
}
