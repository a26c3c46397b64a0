#include "edgehub/devicetwin.h"
#include "edgehub/eventbus.h"
#include "edgehub/metamanager.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "shared/storage.h"
#include "tests/edgehub/mqttpeer.h"
#include "tests/support/mosquittofixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge;

namespace {
const QString Dev = QStringLiteral("default/thermo-1");
const QString Node = QStringLiteral("edge-1");

/// Stands where the link is: records reports, confirms them when asked to.
class FakeCloud : public Module
{
public:
    FakeCloud() : Module(edge::LinkModule, edge::HubGroup) {}
    QList<Message> received;
    bool confirm = true;
    QList<Message> reportsFor(const QString &resource) const
    {
        QList<Message> out;
        for (const Message &m : received)
            if (m.resource() == resource)
                out.append(m);
        return out;
    }

protected:
    void handleMessage(const Message &m) override
    {
        received.append(m);
        if (!confirm)
            return;
        Message ack = Message::create(QStringLiteral("devicecontroller"), QStringLiteral("twin"), op::Response,
                                      QStringLiteral("twin"));
        ack.setParentId(m.id());
        ack.setContentString(QStringLiteral("OK"));
        dispatchFromCloud(bus(), ack);
    }
};

QJsonObject parse(const QByteArray &b)
{
    return QJsonDocument::fromJson(b).object();
}

QJsonObject twinSpec(const QString &type, const QString &expected, qint64 cloud, qint64 edge)
{
    QJsonObject t{{QStringLiteral("metadata"), QJsonObject{{QStringLiteral("type"), type}}}};
    if (!expected.isEmpty()) {
        t.insert(QStringLiteral("expected"), QJsonObject{{QStringLiteral("value"), expected}});
        t.insert(QStringLiteral("expected_version"),
                 QJsonObject{{QStringLiteral("cloud"), cloud}, {QStringLiteral("edge"), edge}});
    }
    return t;
}

Message membership(const QJsonArray &added, const QJsonArray &removed = {})
{
    Message m = Message::create(QStringLiteral("devicecontroller"), QStringLiteral("twin"), op::Update,
                                QStringLiteral("membership"));
    m.setContent(QJsonObject{{QStringLiteral("event_id"), QStringLiteral("m1")},
                             {QStringLiteral("timestamp"), 1},
                             {QStringLiteral("added_devices"), added},
                             {QStringLiteral("removed_devices"), removed}});
    return m;
}

Message cloudTwin(const QString &id, const QJsonObject &twins)
{
    Message m = Message::create(QStringLiteral("devicecontroller"), QStringLiteral("twin"), op::Update,
                                QStringLiteral("device/") + id + QStringLiteral("/twin/cloud_updated"));
    m.setContent(QJsonObject{{QStringLiteral("event_id"), QStringLiteral("c1")},
                             {QStringLiteral("timestamp"), 1},
                             {QStringLiteral("twin"), twins}});
    return m;
}

QByteArray update(const QJsonObject &twins, const QString &eventId = QStringLiteral("e1"))
{
    return QJsonDocument(QJsonObject{{QStringLiteral("event_id"), eventId},
                                     {QStringLiteral("timestamp"), 1},
                                     {QStringLiteral("twin"), twins}})
        .toJson(QJsonDocument::Compact);
}

QJsonObject actual(const QString &value, const QString &type = {})
{
    QJsonObject t{{QStringLiteral("actual"), QJsonObject{{QStringLiteral("value"), value}}}};
    if (!type.isEmpty())
        t.insert(QStringLiteral("metadata"), QJsonObject{{QStringLiteral("type"), type}});
    return t;
}
} // namespace

class TestDeviceTwin : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void topicsAndChecks_data();
    void topicsAndChecks();
    void twinUpdateIsStoredAnsweredAndReported();
    void twinGet();
    void unknownDeviceIs404();
    void desiredFromADeviceObjectGivesADelta();
    void versionRules_data();
    void versionRules();
    void badPayloadsChangeNothing_data();
    void badPayloadsChangeNothing();
    void stateUpdate();
    void membershipGetAndUpdated();
    void reportsAreResentUntilConfirmed();
    void devicesSurviveARestart();

private:
    void startEdge(int confirmResendMs = 60000);
    void stopEdge();
    void addThermo();
    QString dbValue(const QString &sql);

    test::MosquittoFixture m_broker;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_database;
    QSqlDatabase m_db;
    std::unique_ptr<MessageBus> m_bus;
    std::unique_ptr<ModuleHost> m_host;
    std::unique_ptr<test::MqttPeer> m_mapper;
    DeviceTwin *m_twin = nullptr;
    FakeCloud *m_cloud = nullptr;
    int m_serial = 0;
};

void TestDeviceTwin::initTestCase()
{
    if (!m_broker.available())
        QSKIP(qPrintable(m_broker.unavailableReason()));
    QVERIFY2(m_broker.start(), m_broker.output().constData());
    m_mapper = std::make_unique<test::MqttPeer>(m_broker.port());
    QVERIFY(m_mapper->connectNow());
    QVERIFY(m_mapper->subscribe(QStringLiteral("$hw/events/device/+/+/twin/+/+"),
                                QStringLiteral("$hw/events/device/probe/probe/twin/probe/probe")));
    QVERIFY(m_mapper->subscribe(QStringLiteral("$hw/events/device/+/+/state/update/result"),
                                QStringLiteral("$hw/events/device/p/p/state/update/result")));
    QVERIFY(m_mapper->subscribe(QStringLiteral("$hw/events/node/#"), QStringLiteral("$hw/events/node/probe")));
}

void TestDeviceTwin::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    auto db = Database::open(m_dir->filePath(QStringLiteral("edge.db")), QStringLiteral("twin-%1").arg(++m_serial));
    QVERIFY(db.ok());
    m_database = std::move(db.value());
    m_db = m_database->connection();
    m_mapper->received.clear();
}

void TestDeviceTwin::cleanup()
{
    stopEdge();
    m_db = {};
    m_database.reset();
    m_dir.reset();
}

void TestDeviceTwin::startEdge(int confirmResendMs)
{
    m_bus = std::make_unique<MessageBus>();
    m_host = std::make_unique<ModuleHost>(m_bus.get());
    m_cloud = new FakeCloud;
    QVERIFY(m_host->add(m_cloud));
    DeviceTwin::Settings ts;
    ts.nodeId = Node;
    ts.confirmResendMs = confirmResendMs;
    ts.maxPayloadBytes = 4096;
    m_twin = new DeviceTwin(m_db, ts);
    QVERIFY(m_twin->open());
    QVERIFY(m_host->add(m_twin));
    EventBus::Settings es;
    es.server = QStringLiteral("tcp://127.0.0.1:%1").arg(m_broker.port());
    es.cleanSession = true;
    es.nodeId = Node;
    auto *eventbus = new EventBus(m_db, es);
    QVERIFY(eventbus->open());
    QVERIFY(m_host->add(eventbus));
    QSignalSpy up(eventbus, &EventBus::brokerConnected);
    m_host->startAll();
    QVERIFY(up.wait(10000));
    // Subscriptions are made right after the CONNACK; a twin/get round trip proves they are live.
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        m_mapper->publish(QStringLiteral("$hw/events/device/x/y/twin/get"), "{}");
        return QTest::qWaitFor([&] { return m_mapper->countOn(QStringLiteral("$hw/events/device/x/y/twin/get/result")) > 0; }, 100);
    }(), 10000);
    m_mapper->received.clear();
    m_bus->sendToGroup(edge::TwinGroup, connectionMessage(edge::TwinGroup, true));
}

void TestDeviceTwin::stopEdge()
{
    if (m_host)
        m_host->stopAll();
    m_host.reset();
    m_bus.reset();
    m_twin = nullptr;
    m_cloud = nullptr;
}

void TestDeviceTwin::addThermo()
{
    const QJsonObject dev{{QStringLiteral("id"), Dev},
                          {QStringLiteral("name"), QStringLiteral("thermo-1")},
                          {QStringLiteral("twin"), QJsonObject{{QStringLiteral("temperature"),
                                                                twinSpec(QStringLiteral("float"), {}, 0, 0)}}}};
    QVERIFY(dispatchFromCloud(m_bus.get(), membership(QJsonArray{dev})));
    // membership/updated is published after the new twin's document: wait for both to pass.
    QTRY_COMPARE(m_mapper->countOn(QStringLiteral("$hw/events/node/edge-1/membership/updated")), 1);
    m_mapper->received.clear();
    m_cloud->received.clear();
}

QString TestDeviceTwin::dbValue(const QString &sql)
{
    QSqlQuery q(m_db);
    if (!q.exec(sql) || !q.next())
        return QStringLiteral("<none>");
    return q.value(0).toString();
}

void TestDeviceTwin::topicsAndChecks_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("id");
    QTest::newRow("update") << QStringLiteral("$hw/events/device/ns/d/twin/update") << int(twin::Topic::TwinUpdate) << QStringLiteral("ns/d");
    QTest::newRow("get") << QStringLiteral("$hw/events/device/ns/d/twin/get") << int(twin::Topic::TwinGet) << QStringLiteral("ns/d");
    QTest::newRow("state") << QStringLiteral("$hw/events/device/ns/d/state/update") << int(twin::Topic::StateUpdate) << QStringLiteral("ns/d");
    QTest::newRow("membership") << QStringLiteral("$hw/events/node/n1/membership/get") << int(twin::Topic::MembershipGet) << QString();
    QTest::newRow("old form") << QStringLiteral("$hw/events/device/d/twin/update") << int(twin::Topic::Invalid) << QString();
    QTest::newRow("result") << QStringLiteral("$hw/events/device/ns/d/twin/update/result") << int(twin::Topic::Invalid) << QString();
    QTest::newRow("other") << QStringLiteral("a/b/c/d/e/f/g") << int(twin::Topic::Invalid) << QString();
}

void TestDeviceTwin::topicsAndChecks()
{
    QFETCH(QString, topic);
    QFETCH(int, kind);
    QFETCH(QString, id);
    const twin::Topic t = twin::parseTopic(topic);
    QCOMPARE(int(t.kind), kind);
    if (kind != twin::Topic::MembershipGet && kind != twin::Topic::Invalid)
        QCOMPARE(t.deviceId, id);
    QVERIFY(twin::checkType(QStringLiteral("int"), QStringLiteral("42")));
    QVERIFY(!twin::checkType(QStringLiteral("int"), QStringLiteral("4.2")));
    QVERIFY(twin::checkType(QStringLiteral("float"), QStringLiteral("4.2")));
    QVERIFY(!twin::checkType(QStringLiteral("boolean"), QStringLiteral("yes")));
    QVERIFY(!twin::checkType(QStringLiteral("blob"), QStringLiteral("x")));
    QVERIFY(twin::validKey(QString(128, QLatin1Char('k'))));
    QVERIFY(!twin::validKey(QString(129, QLatin1Char('k'))));
    QVERIFY(!twin::validValue(QString(513, QLatin1Char('v'))));
}

void TestDeviceTwin::twinUpdateIsStoredAnsweredAndReported()
{
    startEdge();
    addThermo();
    const QString base = QStringLiteral("$hw/events/device/") + Dev;
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/update"),
                              update({{QStringLiteral("temperature"), actual(QStringLiteral("20.9"))}})));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/result")), 1);
    const QJsonObject result = parse(m_mapper->lastOn(base + QStringLiteral("/twin/update/result")));
    QCOMPARE(result.value(QStringLiteral("event_id")).toString(), QStringLiteral("e1"));
    const QJsonObject t = result.value(QStringLiteral("twin")).toObject().value(QStringLiteral("temperature")).toObject();
    QCOMPARE(t.value(QStringLiteral("actual")).toObject().value(QStringLiteral("value")).toString(), QStringLiteral("20.9"));
    QCOMPARE(t.value(QStringLiteral("actual_version")).toObject().value(QStringLiteral("edge")).toInt(), 1);
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/document")), 1);
    const QJsonObject doc = parse(m_mapper->lastOn(base + QStringLiteral("/twin/update/document")))
                                .value(QStringLiteral("twin")).toObject().value(QStringLiteral("temperature")).toObject();
    QVERIFY(doc.contains(QStringLiteral("last")));
    QCOMPARE(doc.value(QStringLiteral("current")).toObject().value(QStringLiteral("actual")).toObject()
                 .value(QStringLiteral("value")).toString(), QStringLiteral("20.9"));
    QCOMPARE(dbValue(QStringLiteral("SELECT actual FROM device_twin WHERE deviceid = 'default/thermo-1' AND name = 'temperature'")),
             QStringLiteral("20.9"));

    const QString resource = QStringLiteral("device/") + Dev + QStringLiteral("/twin/edge_updated");
    QTRY_COMPARE(m_cloud->reportsFor(resource).size(), 1);
    const Message up = m_cloud->reportsFor(resource).first();
    QCOMPARE(up.source(), QStringLiteral("twin"));
    QCOMPARE(up.group(), QStringLiteral("resource"));
    QCOMPARE(up.operation(), QStringLiteral("update"));
    QVERIFY(up.content().isObject());
    QCOMPARE(up.content().toObject().value(QStringLiteral("twin")).toObject().value(QStringLiteral("temperature"))
                 .toObject().value(QStringLiteral("actual")).toObject().value(QStringLiteral("value")).toString(),
             QStringLiteral("20.9"));
    QTRY_COMPARE(m_twin->unconfirmed(), 0);

    // The same value again changes nothing: answered, not documented, not reported.
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/update"),
                              update({{QStringLiteral("temperature"), actual(QStringLiteral("20.9"))}}, QStringLiteral("e2"))));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/result")), 2);
    QTest::qWait(100);
    QCOMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/document")), 1);
    QCOMPARE(m_cloud->reportsFor(resource).size(), 1);
}

void TestDeviceTwin::twinGet()
{
    startEdge();
    addThermo();
    const QString base = QStringLiteral("$hw/events/device/") + Dev;
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/update"),
                              update({{QStringLiteral("temperature"), actual(QStringLiteral("19"))}})));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/result")), 1);
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/get"), R"({"event_id":"g1","timestamp":2})"));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/get/result")), 1);
    const QJsonObject r = parse(m_mapper->lastOn(base + QStringLiteral("/twin/get/result")));
    QCOMPARE(r.value(QStringLiteral("event_id")).toString(), QStringLiteral("g1"));
    QCOMPARE(r.value(QStringLiteral("twin")).toObject().value(QStringLiteral("temperature")).toObject()
                 .value(QStringLiteral("actual")).toObject().value(QStringLiteral("value")).toString(),
             QStringLiteral("19"));
}

void TestDeviceTwin::unknownDeviceIs404()
{
    startEdge();
    const QString base = QStringLiteral("$hw/events/device/default/nobody");
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/update"),
                              update({{QStringLiteral("t"), actual(QStringLiteral("1"))}})));
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/get"), "{}"));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/result")), 1);
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/get/result")), 1);
    QCOMPARE(parse(m_mapper->lastOn(base + QStringLiteral("/twin/update/result"))).value(QStringLiteral("code")).toInt(), 404);
    QCOMPARE(parse(m_mapper->lastOn(base + QStringLiteral("/twin/get/result"))).value(QStringLiteral("code")).toInt(), 404);
    QVERIFY(m_cloud->received.isEmpty());
}

void TestDeviceTwin::desiredFromADeviceObjectGivesADelta()
{
    startEdge();
    const QJsonObject object{
        {QStringLiteral("kind"), QStringLiteral("Device")},
        {QStringLiteral("apiVersion"), QStringLiteral("devices.kubeedge.io/v1beta1")},
        {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), QStringLiteral("thermo-1")},
                                                 {QStringLiteral("namespace"), QStringLiteral("default")},
                                                 {QStringLiteral("resourceVersion"), QStringLiteral("7")}}},
        {QStringLiteral("spec"),
         QJsonObject{{QStringLiteral("attributes"), QJsonObject{{QStringLiteral("model"),
                                                                 QJsonObject{{QStringLiteral("value"), QStringLiteral("T1000")}}}}},
                     {QStringLiteral("properties"),
                      QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("temperature")},
                                             {QStringLiteral("desired"),
                                              QJsonObject{{QStringLiteral("value"), QStringLiteral("21.5")},
                                                          {QStringLiteral("metadata"),
                                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("float")}}}}}}}}}}};
    ResourceChange change{QStringLiteral("upsert"),
                          StoredResource{QStringLiteral("default/device/thermo-1"), QStringLiteral("device"),
                                         QJsonDocument(object).toJson(QJsonDocument::Compact), QStringLiteral("7")}};
    auto msg = DeviceTwin::fromMetaChange(change);
    QVERIFY(msg.has_value());
    QVERIFY(m_bus->send(edge::TwinModule, *msg));
    const QString delta = QStringLiteral("$hw/events/device/") + Dev + QStringLiteral("/twin/update/delta");
    QTRY_COMPARE(m_mapper->countOn(delta), 1);
    const QJsonObject d = parse(m_mapper->lastOn(delta));
    QCOMPARE(d.value(QStringLiteral("delta")).toObject().value(QStringLiteral("temperature")).toString(), QStringLiteral("21.5"));
    QVERIFY(d.value(QStringLiteral("twin")).toObject().contains(QStringLiteral("temperature")));
    QTRY_COMPARE(m_mapper->countOn(QStringLiteral("$hw/events/node/edge-1/membership/updated")), 1);
    const auto dev = m_twin->device(Dev);
    QVERIFY(dev.has_value());
    QCOMPARE(dev->attributes.value(QStringLiteral("model")).toObject().value(QStringLiteral("value")).toString(),
             QStringLiteral("T1000"));
    const QJsonObject api = DeviceTwin::apiJson(*dev);
    QCOMPARE(api.value(QStringLiteral("twins")).toObject().value(QStringLiteral("temperature")).toObject()
                 .value(QStringLiteral("desired")).toObject().value(QStringLiteral("version")).toInt(), 7);

    // The mapper catches up: no delta left; the same object again publishes nothing new.
    QVERIFY(m_mapper->publish(QStringLiteral("$hw/events/device/") + Dev + QStringLiteral("/twin/update"),
                              update({{QStringLiteral("temperature"), actual(QStringLiteral("21.5"))}})));
    QTRY_COMPARE(m_mapper->countOn(QStringLiteral("$hw/events/device/") + Dev + QStringLiteral("/twin/update/result")), 1);
    QVERIFY(m_twin->device(Dev)->delta().isEmpty());
    QVERIFY(m_bus->send(edge::TwinModule, *DeviceTwin::fromMetaChange(change)));
    QTest::qWait(200);
    QCOMPARE(m_mapper->countOn(delta), 1);

    // Deleting the object removes the device.
    change.operation = QStringLiteral("delete");
    QVERIFY(m_bus->send(edge::TwinModule, *DeviceTwin::fromMetaChange(change)));
    QTRY_VERIFY(!m_twin->device(Dev).has_value());
    QCOMPARE(dbValue(QStringLiteral("SELECT COUNT(*) FROM device_twin")), QStringLiteral("0"));
}

void TestDeviceTwin::versionRules_data()
{
    QTest::addColumn<bool>("mapperChangesExpected");
    QTest::addColumn<int>("cloud");
    QTest::addColumn<int>("edge");
    QTest::addColumn<bool>("accepted");
    // Local state: expected "10" at {cloud 5, edge 0}; a mapper change makes it edge 1.
    QTest::newRow("newer cloud") << false << 6 << 0 << true;
    QTest::newRow("same versions") << false << 5 << 0 << true;
    QTest::newRow("older cloud: not allowed") << false << 4 << 0 << false;
    QTest::newRow("cloud missed an edge change: conflict") << true << 6 << 0 << false;
    QTest::newRow("cloud saw the edge change") << true << 6 << 1 << true;
}

void TestDeviceTwin::versionRules()
{
    QFETCH(bool, mapperChangesExpected);
    QFETCH(int, cloud);
    QFETCH(int, edge);
    QFETCH(bool, accepted);
    startEdge();
    const QJsonObject dev{{QStringLiteral("id"), Dev},
                          {QStringLiteral("twin"), QJsonObject{{QStringLiteral("speed"),
                                                                twinSpec(QStringLiteral("int"), QStringLiteral("10"), 5, 0)}}}};
    QVERIFY(dispatchFromCloud(m_bus.get(), membership(QJsonArray{dev})));
    QTRY_VERIFY(m_twin->device(Dev).has_value());
    QString local = QStringLiteral("10");
    if (mapperChangesExpected) {
        QJsonObject t{{QStringLiteral("expected"), QJsonObject{{QStringLiteral("value"), QStringLiteral("11")}}}};
        QVERIFY(m_mapper->publish(QStringLiteral("$hw/events/device/") + Dev + QStringLiteral("/twin/update"),
                                  update({{QStringLiteral("speed"), t}})));
        QTRY_COMPARE(m_twin->device(Dev)->twins.value(QStringLiteral("speed")).toObject()
                         .value(QStringLiteral("expected_version")).toObject().value(QStringLiteral("edge")).toInt(), 1);
        local = QStringLiteral("11");
    }
    QTRY_COMPARE(m_twin->unconfirmed(), 0);
    m_cloud->received.clear();
    QVERIFY(dispatchFromCloud(m_bus.get(), cloudTwin(Dev, {{QStringLiteral("speed"),
                                                            twinSpec(QStringLiteral("int"), QStringLiteral("12"), cloud, edge)}})));
    const QString reported = QStringLiteral("device/") + Dev + QStringLiteral("/twin/edge_updated");
    auto expectedValue = [&] {
        return m_twin->device(Dev)->twins.value(QStringLiteral("speed")).toObject().value(QStringLiteral("expected"))
            .toObject().value(QStringLiteral("value")).toString();
    };
    if (accepted) {
        QTRY_COMPARE(expectedValue(), QStringLiteral("12"));
        const QJsonObject v = m_twin->device(Dev)->twins.value(QStringLiteral("speed")).toObject()
                                  .value(QStringLiteral("expected_version")).toObject();
        QCOMPARE(v.value(QStringLiteral("cloud")).toInt(), cloud);
        QCOMPARE(v.value(QStringLiteral("edge")).toInt(), edge);
        QCOMPARE(dbValue(QStringLiteral("SELECT expected FROM device_twin WHERE name = 'speed'")), QStringLiteral("12"));
        QTest::qWait(100);
        QCOMPARE(m_cloud->reportsFor(reported).size(), 0);
    } else {
        // Refused: the edge keeps its value and reports it back to the cloud.
        QTRY_COMPARE(m_cloud->reportsFor(reported).size(), 1);
        QCOMPARE(expectedValue(), local);
        QCOMPARE(dbValue(QStringLiteral("SELECT expected FROM device_twin WHERE name = 'speed'")), local);
        const QJsonObject back = m_cloud->reportsFor(reported).first().content().toObject()
                                     .value(QStringLiteral("twin")).toObject().value(QStringLiteral("speed")).toObject();
        QCOMPARE(back.value(QStringLiteral("expected")).toObject().value(QStringLiteral("value")).toString(), local);
    }
}

void TestDeviceTwin::badPayloadsChangeNothing_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("reasonPart");
    const auto withTwin = [](const QJsonObject &t) { return update({{QStringLiteral("temperature"), t}}); };
    QTest::newRow("not JSON") << QByteArray("{not json") << QStringLiteral("not JSON");
    QTest::newRow("JSON array") << QByteArray("[1,2]") << QStringLiteral("not a JSON object");
    QTest::newRow("twin not an object") << QByteArray(R"({"event_id":"x","twin":"hot"})") << QStringLiteral("twin must be");
    QTest::newRow("wrong type for float") << withTwin(actual(QStringLiteral("warm"))) << QStringLiteral("not a valid float");
    QTest::newRow("number not string") << QByteArray(R"({"twin":{"temperature":{"actual":{"value":21}}}})")
                                       << QStringLiteral("must be a string");
    QTest::newRow("oversize value") << withTwin(actual(QString(513, QLatin1Char('1')))) << QStringLiteral("not allowed");
    QTest::newRow("bad value characters") << withTwin(actual(QStringLiteral("2 0"))) << QStringLiteral("not allowed");
    QTest::newRow("bad key") << update({{QStringLiteral("temp erature"), actual(QStringLiteral("1"))}})
                             << QStringLiteral("key");
    QTest::newRow("unknown type") << withTwin(actual(QStringLiteral("1"), QStringLiteral("blob")))
                                  << QStringLiteral("not allowed");
    QTest::newRow("oversize payload") << update({{QStringLiteral("temperature"), actual(QStringLiteral("1"))},
                                                 {QStringLiteral("pad"), QJsonObject{{QStringLiteral("x"), QString(5000, QLatin1Char('p'))}}}})
                                      << QStringLiteral("over the limit");
    // One good key and one bad one: all or nothing.
    QTest::newRow("good and bad keys") << update({{QStringLiteral("temperature"), actual(QStringLiteral("30"))},
                                                  {QStringLiteral("bad key"), actual(QStringLiteral("1"))}})
                                       << QStringLiteral("key");
}

void TestDeviceTwin::badPayloadsChangeNothing()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, reasonPart);
    startEdge();
    addThermo();
    const QString base = QStringLiteral("$hw/events/device/") + Dev;
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/update"), update({{QStringLiteral("temperature"), actual(QStringLiteral("20"))}})));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/result")), 1);
    QTRY_COMPARE(m_twin->unconfirmed(), 0);
    const QJsonObject before = m_twin->device(Dev)->twins;
    m_mapper->received.clear();
    m_cloud->received.clear();

    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/update"), payload));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/result")), 1);
    const QJsonObject r = parse(m_mapper->lastOn(base + QStringLiteral("/twin/update/result")));
    QCOMPARE(r.value(QStringLiteral("code")).toInt(), 400);
    QVERIFY2(r.value(QStringLiteral("reason")).toString().contains(reasonPart),
             qPrintable(r.value(QStringLiteral("reason")).toString()));
    QCOMPARE(m_twin->device(Dev)->twins, before);
    QCOMPARE(dbValue(QStringLiteral("SELECT actual FROM device_twin WHERE name = 'temperature'")), QStringLiteral("20"));
    QCOMPARE(dbValue(QStringLiteral("SELECT COUNT(*) FROM device_twin")), QStringLiteral("1"));
    QTest::qWait(100);
    QCOMPARE(m_mapper->countOn(base + QStringLiteral("/twin/update/document")), 0);
    QVERIFY(m_cloud->received.isEmpty());
}

void TestDeviceTwin::stateUpdate()
{
    startEdge();
    addThermo();
    const QString base = QStringLiteral("$hw/events/device/") + Dev;
    QVERIFY(m_mapper->publish(base + QStringLiteral("/state/update"), R"({"event_id":"s1","timestamp":3,"state":"online"})"));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/state/update/result")), 1);
    const QJsonObject r = parse(m_mapper->lastOn(base + QStringLiteral("/state/update/result")));
    const QJsonObject device = r.value(QStringLiteral("device")).toObject();
    QCOMPARE(device.value(QStringLiteral("name")).toString(), QStringLiteral("thermo-1"));
    QCOMPARE(device.value(QStringLiteral("state")).toString(), QStringLiteral("online"));
    QVERIFY(!device.value(QStringLiteral("lastOnlineTime")).toString().isEmpty());
    QCOMPARE(dbValue(QStringLiteral("SELECT state FROM device")), QStringLiteral("online"));
    const QString resource = QStringLiteral("device/") + Dev + QStringLiteral("/state/update");
    QTRY_COMPARE(m_cloud->reportsFor(resource).size(), 1);
    const Message up = m_cloud->reportsFor(resource).first();
    QVERIFY(up.content().isString()); // §9.6: a JSON document inside a string
    QCOMPARE(parse(up.contentText().toUtf8()).value(QStringLiteral("device")).toObject().value(QStringLiteral("state")).toString(),
             QStringLiteral("online"));

    QVERIFY(m_mapper->publish(base + QStringLiteral("/state/update"), R"({"event_id":"s2","state":"sleepy"})"));
    QTRY_COMPARE(m_mapper->countOn(base + QStringLiteral("/state/update/result")), 2);
    QCOMPARE(parse(m_mapper->lastOn(base + QStringLiteral("/state/update/result"))).value(QStringLiteral("code")).toInt(), 400);
    QCOMPARE(dbValue(QStringLiteral("SELECT state FROM device")), QStringLiteral("online"));
}

void TestDeviceTwin::membershipGetAndUpdated()
{
    startEdge();
    const QJsonObject dev{{QStringLiteral("id"), Dev}, {QStringLiteral("name"), QStringLiteral("thermo-1")}};
    QVERIFY(dispatchFromCloud(m_bus.get(), membership(QJsonArray{dev})));
    const QString updated = QStringLiteral("$hw/events/node/edge-1/membership/updated");
    QTRY_COMPARE(m_mapper->countOn(updated), 1);
    QCOMPARE(parse(m_mapper->lastOn(updated)).value(QStringLiteral("added_devices")).toArray().size(), 1);
    QVERIFY(m_mapper->publish(QStringLiteral("$hw/events/node/edge-1/membership/get"), R"({"event_id":"m9"})"));
    const QString result = QStringLiteral("$hw/events/node/edge-1/membership/get/result");
    QTRY_COMPARE(m_mapper->countOn(result), 1);
    const QJsonObject r = parse(m_mapper->lastOn(result));
    QCOMPARE(r.value(QStringLiteral("event_id")).toString(), QStringLiteral("m9"));
    QCOMPARE(r.value(QStringLiteral("devices")).toArray().first().toObject().value(QStringLiteral("id")).toString(), Dev);

    QVERIFY(dispatchFromCloud(m_bus.get(), membership({}, QJsonArray{dev})));
    QTRY_COMPARE(m_mapper->countOn(updated), 2);
    QCOMPARE(parse(m_mapper->lastOn(updated)).value(QStringLiteral("removed_devices")).toArray().size(), 1);
    QVERIFY(!m_twin->device(Dev).has_value());
}

void TestDeviceTwin::reportsAreResentUntilConfirmed()
{
    startEdge(/*confirmResendMs*/ 300);
    addThermo();
    m_cloud->confirm = false;
    const QString base = QStringLiteral("$hw/events/device/") + Dev;
    QVERIFY(m_mapper->publish(base + QStringLiteral("/twin/update"), update({{QStringLiteral("temperature"), actual(QStringLiteral("1.5"))}})));
    const QString resource = QStringLiteral("device/") + Dev + QStringLiteral("/twin/edge_updated");
    QTRY_VERIFY(m_cloud->reportsFor(resource).size() >= 2);
    const auto sent = m_cloud->reportsFor(resource);
    QCOMPARE(sent.at(1).id(), sent.at(0).id()); // a re-send, not a new report
    QCOMPARE(m_twin->unconfirmed(), 1);
    m_cloud->confirm = true;
    QTRY_COMPARE(m_twin->unconfirmed(), 0);
    const int count = m_cloud->reportsFor(resource).size();
    QTest::qWait(500);
    QCOMPARE(m_cloud->reportsFor(resource).size(), count);
}

void TestDeviceTwin::devicesSurviveARestart()
{
    startEdge();
    addThermo();
    QVERIFY(m_mapper->publish(QStringLiteral("$hw/events/device/") + Dev + QStringLiteral("/twin/update"),
                              update({{QStringLiteral("temperature"), actual(QStringLiteral("22.25"))}})));
    QTRY_COMPARE(m_mapper->countOn(QStringLiteral("$hw/events/device/") + Dev + QStringLiteral("/twin/update/result")), 1);
    const QJsonObject before = m_twin->device(Dev)->twins;
    stopEdge();
    startEdge();
    QVERIFY(m_twin->device(Dev).has_value());
    QCOMPARE(m_twin->device(Dev)->twins, before);
}

QTEST_GUILESS_MAIN(TestDeviceTwin)
#include "tst_devicetwin.moc"
