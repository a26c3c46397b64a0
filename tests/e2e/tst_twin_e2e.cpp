#include "tests/e2e/edgeprocess.h"
#include "tests/edgehub/echoserver.h"
#include "tests/edgehub/mqttpeer.h"
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"
#include "tests/support/mosquittofixture.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace qedge;
using namespace qedge::test;

namespace {
const QString Node = QStringLiteral("edge-twin");
const QString Dev = QStringLiteral("default/thermo-1");
const QString Base = QStringLiteral("$hw/events/device/default/thermo-1");

QJsonObject parse(const QByteArray &b)
{
    return QJsonDocument::fromJson(b).object();
}
} // namespace

/// A KubeEdge-style mapper on mosquitto, the real edgehub and cloudhub binaries, the admin API.
class TestTwinE2e : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void desiredReachesTheMapperAndReportedReachesTheAdminApi();
    void serviceBusRoundTripAndRefusal();

private:
    QJsonObject twinOf(const QString &key);

    MosquittoFixture m_broker;
    std::unique_ptr<HubProcess> m_hub;
    std::unique_ptr<EdgeProcess> m_edge;
    std::unique_ptr<AdminClient> m_admin;
    std::unique_ptr<MqttPeer> m_mapper;
    EchoServer m_service;
};

void TestTwinE2e::initTestCase()
{
    if (!m_broker.available())
        QSKIP(qPrintable(m_broker.unavailableReason()));
    QVERIFY2(m_broker.start(), m_broker.output().constData());
    QVERIFY(m_service.listen(QHostAddress::LocalHost, 0));
    m_hub = std::make_unique<HubProcess>();
    QVERIFY2(m_hub->start(), qPrintable(m_hub->output()));
    m_admin = std::make_unique<AdminClient>(m_hub->adminUrl(),
                                            QDir(m_hub->dataDir()).filePath(QStringLiteral("pki/ca.crt")),
                                            m_hub->adminToken());
    m_edge = std::make_unique<EdgeProcess>(Node);
    QStringList args = EdgeProcess::joinArgs(*m_hub);
    args << QStringLiteral("--mqtt-server") << QStringLiteral("tcp://127.0.0.1:%1").arg(m_broker.port())
         << QStringLiteral("--servicebus-allowed-ports") << QString::number(m_service.serverPort());
    QVERIFY2(m_edge->start(args), qPrintable(m_edge->output()));
    QVERIFY2(m_edge->waitForConnected(true, 20000), qPrintable(m_edge->output()));
    QVERIFY2(m_edge->waitForOutput(QStringLiteral("connected to MQTT broker"), 10000), qPrintable(m_edge->output()));

    m_mapper = std::make_unique<MqttPeer>(m_broker.port());
    QVERIFY(m_mapper->connectNow());
    QVERIFY(m_mapper->subscribe(QStringLiteral("$hw/events/device/+/+/twin/+/+"),
                                QStringLiteral("$hw/events/device/p/p/twin/p/p")));
    QVERIFY(m_mapper->subscribe(QStringLiteral("$hw/events/device/+/+/state/update/result"),
                                QStringLiteral("$hw/events/device/p/p/state/update/result")));
    QVERIFY(m_mapper->subscribe(QStringLiteral("$hw/events/node/+/membership/updated"),
                                QStringLiteral("$hw/events/node/p/membership/updated")));
}

void TestTwinE2e::cleanupTestCase()
{
    if (m_edge)
        QCOMPARE(m_edge->stop(), 0);
    if (m_hub)
        QCOMPARE(m_hub->stop(), 0);
}

QJsonObject TestTwinE2e::twinOf(const QString &key)
{
    const AdminReply r = m_admin->get(QStringLiteral("/api/v1/nodes/%1/devices/%2").arg(Node, Dev));
    return r.json().value(QStringLiteral("twins")).toObject().value(key).toObject();
}

void TestTwinE2e::desiredReachesTheMapperAndReportedReachesTheAdminApi()
{
    QWebSocket events;
    QVERIFY(m_admin->openEvents(events, QStringLiteral("node=") + Node));
    EventCollector collector(&events);

    // The operator sets a desired value: the mapper gets a delta.
    AdminReply put = m_admin->put(QStringLiteral("/api/v1/nodes/%1/devices/%2").arg(Node, Dev),
                                  {{QStringLiteral("desired"), QJsonObject{{QStringLiteral("temperature"), QStringLiteral("21.5")}}},
                                   {QStringLiteral("types"), QJsonObject{{QStringLiteral("temperature"), QStringLiteral("float")}}},
                                   {QStringLiteral("attributes"), QJsonObject{{QStringLiteral("model"), QStringLiteral("T1000")}}}});
    QVERIFY2(put.status == 200, put.body.constData());
    QVERIFY(collector.waitFor([](const QJsonObject &e) { return e.value(QStringLiteral("type")) == QLatin1String("twin.desired"); }));
    QTRY_VERIFY_WITH_TIMEOUT(m_mapper->countOn(Base + QStringLiteral("/twin/update/delta")) > 0, 15000);
    QCOMPARE(parse(m_mapper->lastOn(Base + QStringLiteral("/twin/update/delta"))).value(QStringLiteral("delta")).toObject()
                 .value(QStringLiteral("temperature")).toString(), QStringLiteral("21.5"));
    QTRY_COMPARE(m_mapper->countOn(QStringLiteral("$hw/events/node/%1/membership/updated").arg(Node)), 1);

    // The mapper reports: the admin API shows the reported value, the stream says so.
    QVERIFY(m_mapper->publish(Base + QStringLiteral("/twin/update"),
                              R"({"event_id":"r1","timestamp":1,"twin":{"temperature":{"actual":{"value":"20.9"}}}})"));
    QTRY_COMPARE(m_mapper->countOn(Base + QStringLiteral("/twin/update/result")), 1);
    QTRY_COMPARE_WITH_TIMEOUT(twinOf(QStringLiteral("temperature")).value(QStringLiteral("reported")).toObject()
                                  .value(QStringLiteral("value")).toString(),
                              QStringLiteral("20.9"), 15000);
    const QJsonObject t = twinOf(QStringLiteral("temperature"));
    QCOMPARE(t.value(QStringLiteral("desired")).toObject().value(QStringLiteral("value")).toString(), QStringLiteral("21.5"));
    QCOMPARE(t.value(QStringLiteral("reported")).toObject().value(QStringLiteral("version")).toInt(), 1);
    QVERIFY(collector.waitFor([](const QJsonObject &e) {
        return e.value(QStringLiteral("type")) == QLatin1String("twin.reported")
               && e.value(QStringLiteral("twins")).toObject().value(QStringLiteral("temperature")) == QLatin1String("20.9");
    }));

    // A new desired value: a new delta with it.
    put = m_admin->put(QStringLiteral("/api/v1/nodes/%1/devices/%2").arg(Node, Dev),
                       {{QStringLiteral("desired"), QJsonObject{{QStringLiteral("temperature"), QStringLiteral("23")}}}});
    QCOMPARE(put.status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(parse(m_mapper->lastOn(Base + QStringLiteral("/twin/update/delta")))
                                  .value(QStringLiteral("delta")).toObject().value(QStringLiteral("temperature")).toString(),
                              QStringLiteral("23"), 15000);
    // A bad desired value is refused by the hub before anything moves.
    put = m_admin->put(QStringLiteral("/api/v1/nodes/%1/devices/%2").arg(Node, Dev),
                       {{QStringLiteral("desired"), QJsonObject{{QStringLiteral("temperature"), QStringLiteral("hot")}}}});
    QCOMPARE(put.status, 400);

    // Device state.
    QVERIFY(m_mapper->publish(Base + QStringLiteral("/state/update"), R"({"event_id":"s1","state":"online"})"));
    QTRY_COMPARE_WITH_TIMEOUT(m_admin->get(QStringLiteral("/api/v1/nodes/%1/devices/%2").arg(Node, Dev)).json()
                                  .value(QStringLiteral("state")).toString(), QStringLiteral("online"), 15000);
    const AdminReply list = m_admin->get(QStringLiteral("/api/v1/nodes/%1/devices").arg(Node));
    QCOMPARE(list.json().value(QStringLiteral("devices")).toArray().size(), 1);

    // The edge's local API shows the same device.
    const EdgeProcess::Reply local = m_edge->get(QStringLiteral("/api/v1/devices"));
    QCOMPARE(local.status, 200);
    QCOMPARE(local.body.value(QStringLiteral("devices")).toArray().first().toObject().value(QStringLiteral("id")).toString(), Dev);

    // Delete: gone from the hub and from the edge.
    QCOMPARE(m_admin->del(QStringLiteral("/api/v1/nodes/%1/devices/%2").arg(Node, Dev)).status, 200);
    QCOMPARE(m_admin->get(QStringLiteral("/api/v1/nodes/%1/devices/%2").arg(Node, Dev)).status, 404);
    QTRY_COMPARE_WITH_TIMEOUT(m_mapper->countOn(QStringLiteral("$hw/events/node/%1/membership/updated").arg(Node)), 2, 15000);
    QTRY_VERIFY(m_edge->get(QStringLiteral("/api/v1/devices")).body.value(QStringLiteral("devices")).toArray().isEmpty());
}

void TestTwinE2e::serviceBusRoundTripAndRefusal()
{
    const QByteArray body = "ping";
    AdminReply r = m_admin->call("POST", QStringLiteral("/api/v1/nodes/%1/http").arg(Node),
                                 QJsonDocument(QJsonObject{{QStringLiteral("method"), QStringLiteral("POST")},
                                                           {QStringLiteral("port"), m_service.serverPort()},
                                                           {QStringLiteral("path"), QStringLiteral("/hello")},
                                                           {QStringLiteral("headers"), QJsonObject{{QStringLiteral("X-Tag"), QStringLiteral("e2e")}}},
                                                           {QStringLiteral("body"), QString::fromLatin1(body.toBase64())},
                                                           {QStringLiteral("timeoutMs"), 10000}})
                                     .toJson());
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(QStringLiteral("status")).toInt(), 201);
    QCOMPARE(QByteArray::fromBase64(r.json().value(QStringLiteral("body")).toString().toLatin1()), QByteArray("POST /hello ping"));
    QCOMPARE(r.json().value(QStringLiteral("headers")).toObject().value(QStringLiteral("X-Echo")).toArray().first().toString(),
             QStringLiteral("e2e"));

    r = m_admin->call("POST", QStringLiteral("/api/v1/nodes/%1/http").arg(Node),
                      QJsonDocument(QJsonObject{{QStringLiteral("port"), 22}, {QStringLiteral("path"), QStringLiteral("/")}}).toJson());
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toInt(), 403);
    QVERIFY(QByteArray::fromBase64(r.json().value(QStringLiteral("body")).toString().toLatin1()).contains("allowlist"));

    r = m_admin->call("POST", QStringLiteral("/api/v1/nodes/nobody/http"),
                      QJsonDocument(QJsonObject{{QStringLiteral("port"), 80}, {QStringLiteral("path"), QStringLiteral("/")}}).toJson());
    QCOMPARE(r.status, 409);
}

QTEST_GUILESS_MAIN(TestTwinE2e)
#include "tst_twin_e2e.moc"
