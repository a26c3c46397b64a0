#include "cloudhub/deviceservice.h"
#include "cloudhub/devicestore.h"
#include "cloudhub/dispatcher.h"
#include "shared/storage.h"
#include "tests/support/enginedatabases.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge;
using namespace qedge::cloud;

namespace {
const QString Node = QStringLiteral("edge-1");

QJsonObject body(const QJsonObject &desired, const QJsonObject &types = {}, const QJsonObject &attrs = {})
{
    return {{QStringLiteral("desired"), desired},
            {QStringLiteral("types"), types},
            {QStringLiteral("attributes"), attrs}};
}

Message report(const QString &id, const QString &key, const QString &value, int edgeVersion)
{
    Message m =
        Message::create(QStringLiteral("twin"), QStringLiteral("resource"), op::Update,
                        QStringLiteral("node/edge-1/device/") + id + QStringLiteral("/twin/edge_updated"));
    const QJsonObject twin{
        {QStringLiteral("actual"),
         QJsonObject{{QStringLiteral("value"), value},
                     {QStringLiteral("metadata"),
                      QJsonObject{{QStringLiteral("timestamp"), QStringLiteral("1763888400000")}}}}},
        {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("type"), QStringLiteral("float")}}},
        {QStringLiteral("actual_version"),
         QJsonObject{{QStringLiteral("cloud"), 0}, {QStringLiteral("edge"), edgeVersion}}}};
    m.setContent(QJsonObject{{QStringLiteral("event_id"), QStringLiteral("e")},
                             {QStringLiteral("timestamp"), 1},
                             {QStringLiteral("twin"), QJsonObject{{key, twin}}}});
    return m;
}
} // namespace

class TestDeviceStore : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void putValidatesAndVersions_data() { test::EngineDatabases::addEngineRows(); }
    void putValidatesAndVersions();
    void badBodiesChangeNothing_data();
    void badBodiesChangeNothing();
    void reportsAreStoredAndConfirmed_data() { test::EngineDatabases::addEngineRows(); }
    void reportsAreStoredAndConfirmed();
    void stateUpdateIsAJsonString();
    void edgeChangedExpectedIsAdopted();
    void serviceDeliversObjectMembershipAndAcks();

private:
    test::EngineDatabases m_dbs{QStringLiteral("tdev")};
};

void TestDeviceStore::initTestCase()
{
    m_dbs.start();
}

void TestDeviceStore::cleanupTestCase()
{
    m_dbs.stop();
}

void TestDeviceStore::putValidatesAndVersions()
{
    QEDGE_OPEN_DB(m_dbs, db, true);
    {
        DeviceStore store;
        QVERIFY(store.open(db.get()));
        QSignalSpy desired(&store, &DeviceStore::twinDesired);
        auto d = store.put(Node, QStringLiteral("default"), QStringLiteral("thermo-1"),
                           body({{QStringLiteral("temperature"), QStringLiteral("21.5")}},
                                {{QStringLiteral("temperature"), QStringLiteral("float")}},
                                {{QStringLiteral("model"), QStringLiteral("T1000")}}));
        QVERIFY2(d.ok(), qPrintable(d.errorMessage()));
        QCOMPARE(d->twins.value(QStringLiteral("temperature")).desiredVersion, 1);
        QCOMPARE(desired.count(), 1);
        // The same value again: no new version, no event; a new value: the next version.
        QVERIFY(store.put(Node, QStringLiteral("default"), QStringLiteral("thermo-1"),
                          body({{QStringLiteral("temperature"), QStringLiteral("21.5")}})));
        QCOMPARE(desired.count(), 1);
        d = store.put(Node, QStringLiteral("default"), QStringLiteral("thermo-1"),
                      body({{QStringLiteral("temperature"), QStringLiteral("22")}}));
        QCOMPARE(d->twins.value(QStringLiteral("temperature")).desiredVersion, 2);
        QCOMPARE(desired.count(), 2);
        const QJsonObject api = d->toApiJson();
        QCOMPARE(api.value(QStringLiteral("id")).toString(), QStringLiteral("default/thermo-1"));
        const QJsonObject t =
            api.value(QStringLiteral("twins")).toObject().value(QStringLiteral("temperature")).toObject();
        QCOMPARE(t.value(QStringLiteral("type")).toString(), QStringLiteral("float"));
        QCOMPARE(t.value(QStringLiteral("desired")).toObject().value(QStringLiteral("value")).toString(),
                 QStringLiteral("22"));
        QCOMPARE(t.value(QStringLiteral("desired")).toObject().value(QStringLiteral("version")).toInt(), 2);
        QVERIFY(t.value(QStringLiteral("reported")).isNull());
        QCOMPARE(api.value(QStringLiteral("attributes"))
                     .toObject()
                     .value(QStringLiteral("model"))
                     .toObject()
                     .value(QStringLiteral("value"))
                     .toString(),
                 QStringLiteral("T1000"));
        QVERIFY(store.put(QStringLiteral("edge-2"), QStringLiteral("default"), QStringLiteral("other"),
                          body({})));
        QCOMPARE(store.list(Node).size(), 1);
    }
    auto again = m_dbs.open(false);
    QVERIFY(again);
    DeviceStore reopened;
    QVERIFY(reopened.open(again.get()));
    const auto d = reopened.get(Node, QStringLiteral("default"), QStringLiteral("thermo-1"));
    QVERIFY(d.has_value());
    QCOMPARE(d->twins.value(QStringLiteral("temperature")).desired, QStringLiteral("22"));
    QCOMPARE(d->twins.value(QStringLiteral("temperature")).desiredVersion, 2);
    QCOMPARE(reopened.list(QStringLiteral("edge-2")).size(), 1);
    QCOMPARE(reopened.remove(Node, QStringLiteral("default"), QStringLiteral("thermo-1")).value(), true);
    QCOMPARE(reopened.remove(Node, QStringLiteral("default"), QStringLiteral("thermo-1")).value(), false);
    QVERIFY(reopened.list(Node).isEmpty());
}

void TestDeviceStore::badBodiesChangeNothing_data()
{
    QTest::addColumn<QJsonObject>("b");
    QTest::newRow("wrong type") << body({{QStringLiteral("temperature"), QStringLiteral("warm")}});
    QTest::newRow("not a string") << body({{QStringLiteral("temperature"), 21}});
    QTest::newRow("bad key") << body({{QStringLiteral("temp erature"), QStringLiteral("1")}});
    QTest::newRow("oversize") << body({{QStringLiteral("temperature"), QString(513, QLatin1Char('1'))}});
    QTest::newRow("unknown type") << body({{QStringLiteral("x"), QStringLiteral("1")}},
                                          {{QStringLiteral("x"), QStringLiteral("blob")}});
    QTest::newRow("desired not object") << QJsonObject{{QStringLiteral("desired"), QStringLiteral("x")}};
    QTest::newRow("good and bad") << body({{QStringLiteral("temperature"), QStringLiteral("30")},
                                           {QStringLiteral("speed"), QStringLiteral("fast")}},
                                          {{QStringLiteral("speed"), QStringLiteral("int")}});
}

void TestDeviceStore::badBodiesChangeNothing()
{
    QFETCH(QJsonObject, b);
    DeviceStore store;
    QVERIFY(store.put(Node, QStringLiteral("default"), QStringLiteral("thermo-1"),
                      body({{QStringLiteral("temperature"), QStringLiteral("20")}},
                           {{QStringLiteral("temperature"), QStringLiteral("float")}})));
    const QJsonObject before =
        store.get(Node, QStringLiteral("default"), QStringLiteral("thermo-1"))->toApiJson();
    auto r = store.put(Node, QStringLiteral("default"), QStringLiteral("thermo-1"), b);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, QStringLiteral("bad_request"));
    QCOMPARE(store.get(Node, QStringLiteral("default"), QStringLiteral("thermo-1"))->toApiJson(), before);
}

void TestDeviceStore::reportsAreStoredAndConfirmed()
{
    QEDGE_OPEN_DB(m_dbs, db, true);
    {
        DeviceStore store;
        QVERIFY(store.open(db.get()));
        QSignalSpy reported(&store, &DeviceStore::twinReported);
        const Message m = report(QStringLiteral("default/thermo-1"), QStringLiteral("temperature"),
                                 QStringLiteral("20.9"), 1);
        QVERIFY(DeviceStore::isDeviceUpstream(m));
        auto ack = store.handleUpstream(Node, m);
        QVERIFY2(ack.ok(), qPrintable(ack.errorMessage()));
        QCOMPARE(ack->parentId(), m.id());
        QCOMPARE(ack->source(), QStringLiteral("devicecontroller"));
        QCOMPARE(ack->group(), QStringLiteral("twin"));
        QCOMPARE(ack->operation(), QStringLiteral("response"));
        QCOMPARE(ack->resource(), QStringLiteral("twin"));
        QCOMPARE(ack->content(), QJsonValue(QStringLiteral("OK")));
        QCOMPARE(reported.count(), 1);
        QCOMPARE(reported.first().at(1).toString(), QStringLiteral("default/thermo-1"));
        // A re-send is confirmed again and changes nothing; an older version is ignored.
        QVERIFY(store.handleUpstream(Node, m));
        QVERIFY(store.handleUpstream(Node, report(QStringLiteral("default/thermo-1"),
                                                  QStringLiteral("temperature"), QStringLiteral("5"), 0)));
        QCOMPARE(reported.count(), 1);
        QVERIFY(store.handleUpstream(Node, report(QStringLiteral("default/thermo-1"),
                                                  QStringLiteral("temperature"), QStringLiteral("21.1"), 2)));
        QCOMPARE(reported.count(), 2);
    }
    auto again = m_dbs.open(false);
    QVERIFY(again);
    DeviceStore reopened;
    QVERIFY(reopened.open(again.get()));
    const auto d = reopened.get(Node, QStringLiteral("default"), QStringLiteral("thermo-1"));
    QVERIFY(d.has_value());
    const TwinState t = d->twins.value(QStringLiteral("temperature"));
    QCOMPARE(t.reported, QStringLiteral("21.1"));
    QCOMPARE(t.reportedVersion, 2);
    QCOMPARE(t.type, QStringLiteral("float"));
    QCOMPARE(t.reportedTime, QStringLiteral("2025-11-23T09:00:00.000Z"));
    QVERIFY(!DeviceStore::isDeviceUpstream(Message::create(QStringLiteral("edged"),
                                                           QStringLiteral("resource"), op::Update,
                                                           QStringLiteral("device/a/b/twin/edge_updated"))));
}

void TestDeviceStore::stateUpdateIsAJsonString()
{
    DeviceStore store;
    QSignalSpy state(&store, &DeviceStore::deviceState);
    Message m = Message::create(QStringLiteral("twin"), QStringLiteral("resource"), op::Update,
                                QStringLiteral("device/default/thermo-1/state/update"));
    m.setContentString(QStringLiteral(
        R"({"event_id":"s","timestamp":1,"device":{"name":"thermo-1","state":"online","lastOnlineTime":"2026-11-23 09:00:00"}})"));
    QVERIFY(DeviceStore::isDeviceUpstream(m));
    QVERIFY(store.handleUpstream(Node, m));
    QCOMPARE(state.count(), 1);
    const auto d = store.get(Node, QStringLiteral("default"), QStringLiteral("thermo-1"));
    QCOMPARE(d->state, QStringLiteral("online"));
    QCOMPARE(d->lastOnline, QStringLiteral("2026-11-23 09:00:00"));
}

void TestDeviceStore::edgeChangedExpectedIsAdopted()
{
    DeviceStore store;
    QVERIFY(store.put(Node, QStringLiteral("default"), QStringLiteral("fan"),
                      body({{QStringLiteral("speed"), QStringLiteral("10")}},
                           {{QStringLiteral("speed"), QStringLiteral("int")}})));
    Message m = Message::create(QStringLiteral("twin"), QStringLiteral("resource"), op::Update,
                                QStringLiteral("device/default/fan/twin/edge_updated"));
    m.setContent(QJsonObject{
        {QStringLiteral("twin"),
         QJsonObject{
             {QStringLiteral("speed"),
              QJsonObject{
                  {QStringLiteral("expected"), QJsonObject{{QStringLiteral("value"), QStringLiteral("11")}}},
                  {QStringLiteral("expected_version"),
                   QJsonObject{{QStringLiteral("cloud"), 1}, {QStringLiteral("edge"), 1}}}}}}}});
    QVERIFY(store.handleUpstream(Node, m));
    const TwinState t = store.get(Node, QStringLiteral("default"), QStringLiteral("fan"))
                            ->twins.value(QStringLiteral("speed"));
    QCOMPARE(t.desired, QStringLiteral("11"));
    QCOMPARE(t.desiredEdgeVersion, 1);
    // The next desired value carries the edge counter, so the edge accepts it (§9.5).
    auto d = store.put(Node, QStringLiteral("default"), QStringLiteral("fan"),
                       body({{QStringLiteral("speed"), QStringLiteral("12")}}));
    const QJsonObject member = d->toMembershipJson()
                                   .value(QStringLiteral("twin"))
                                   .toObject()
                                   .value(QStringLiteral("speed"))
                                   .toObject();
    QCOMPARE(
        member.value(QStringLiteral("expected_version")).toObject().value(QStringLiteral("edge")).toInt(), 1);
    QCOMPARE(
        member.value(QStringLiteral("expected_version")).toObject().value(QStringLiteral("cloud")).toInt(),
        2);
}

void TestDeviceStore::serviceDeliversObjectMembershipAndAcks()
{
    Dispatcher dispatcher;
    DeviceStore store;
    DeviceService service(&store, &dispatcher);
    auto d = service.put(Node, QStringLiteral("default"), QStringLiteral("thermo-1"),
                         body({{QStringLiteral("temperature"), QStringLiteral("21.5")}},
                              {{QStringLiteral("temperature"), QStringLiteral("float")}}));
    QVERIFY2(d.ok(), qPrintable(d.errorMessage()));
    const auto object =
        dispatcher.get(Node, QStringLiteral("default"), QStringLiteral("device"), QStringLiteral("thermo-1"));
    QVERIFY(object.has_value());
    QList<Message> written;
    dispatcher.nodeConnected(Node, [&](const Message &m) {
        written.append(m);
        return true;
    });
    QTRY_VERIFY(written.size() >= 2);
    const Message *obj = nullptr;
    const Message *member = nullptr;
    for (const Message &m : std::as_const(written)) {
        if (m.resource() == QLatin1String("default/device/thermo-1"))
            obj = &m;
        if (m.resource() == QLatin1String("membership"))
            member = &m;
    }
    QVERIFY(obj && member);
    QCOMPARE(obj->source(), QStringLiteral("devicecontroller"));
    QCOMPARE(obj->group(), QStringLiteral("resource"));
    const QJsonObject prop = obj->content()
                                 .toObject()
                                 .value(QStringLiteral("spec"))
                                 .toObject()
                                 .value(QStringLiteral("properties"))
                                 .toArray()
                                 .first()
                                 .toObject();
    QCOMPARE(prop.value(QStringLiteral("name")).toString(), QStringLiteral("temperature"));
    QCOMPARE(prop.value(QStringLiteral("desired")).toObject().value(QStringLiteral("value")).toString(),
             QStringLiteral("21.5"));
    QCOMPARE(prop.value(QStringLiteral("desired"))
                 .toObject()
                 .value(QStringLiteral("metadata"))
                 .toObject()
                 .value(QStringLiteral("cloudVersion"))
                 .toString(),
             QStringLiteral("1"));
    QCOMPARE(member->group(), QStringLiteral("twin"));
    QCOMPARE(member->content()
                 .toObject()
                 .value(QStringLiteral("added_devices"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("id"))
                 .toString(),
             QStringLiteral("default/thermo-1"));

    written.clear();
    const Message up =
        report(QStringLiteral("default/thermo-1"), QStringLiteral("temperature"), QStringLiteral("20"), 1);
    QVERIFY(service.handleUpstream(Node, up));
    QTRY_VERIFY(std::any_of(written.cbegin(), written.cend(),
                            [&](const Message &m) { return m.parentId() == up.id(); }));
    QVERIFY(!service.handleUpstream(Node, Message::create(QStringLiteral("bus"), QStringLiteral("user"),
                                                          op::Upload, QStringLiteral("a/b"))));

    written.clear();
    QCOMPARE(service.remove(Node, QStringLiteral("default"), QStringLiteral("thermo-1")).value(), true);
    QVERIFY(!dispatcher.get(Node, QStringLiteral("default"), QStringLiteral("device"),
                            QStringLiteral("thermo-1")));
    QTRY_VERIFY(std::any_of(written.cbegin(), written.cend(), [](const Message &m) {
        return m.resource() == QLatin1String("membership") &&
               !m.content().toObject().value(QStringLiteral("removed_devices")).toArray().isEmpty();
    }));
}

QTEST_GUILESS_MAIN(TestDeviceStore)
#include "tst_devicestore.moc"
