#include "edgehub/eventbus.h"
#include "edgehub/link.h"
#include "edgehub/outbox.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "shared/storage.h"
#include "tests/edgehub/mqttpeer.h"
#include "tests/support/mosquittofixture.h"

#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge;

namespace {
/// Records what reaches a module name (stands for the link or the twin module).
class Recorder : public Module
{
public:
    Recorder(const QString &name, const QString &group) : Module(name, group) {}
    QList<Message> received;
    int countFor(const QString &resource) const
    {
        int n = 0;
        for (const Message &m : received)
            n += m.resource() == resource ? 1 : 0;
        return n;
    }

protected:
    void handleMessage(const Message &m) override { received.append(m); }
};

Message fromCloud(const QString &operation, const QString &topic, const QString &payload = {})
{
    Message m = Message::create(QStringLiteral("router_eventbus"), QStringLiteral("user"), operation, topic);
    m.setContentString(payload);
    return m;
}
} // namespace

class TestEventBus : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void topicResourceIsBase64Url();
    void mqttToBus_data();
    void mqttToBus();
    void publishFromTheBus();
    void subscribeAndUnsubscribeFromTheCloud();
    void brokerRestartResubscribes();
    void publishesWaitWhileTheBrokerIsDown();
    void cloudBoundMessagesWaitInTheOutbox();
    void persistentSessionKeepsMessagesWhileTheEdgeIsAway();
    void absentBrokerIsOneWarningThenConnects();

private:
    void startEdge(bool cleanSession = true, bool withLink = false);
    void stopEdge();
    bool waitRouted(test::MqttPeer &peer);

    test::MosquittoFixture m_broker;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_database;
    QSqlDatabase m_db;
    std::unique_ptr<MessageBus> m_bus;
    std::unique_ptr<ModuleHost> m_host;
    std::unique_ptr<Outbox> m_outbox;
    EventBus *m_eventbus = nullptr;
    Recorder *m_cloud = nullptr;
    Recorder *m_twin = nullptr;
    int m_dbSerial = 0;
};

void TestEventBus::initTestCase()
{
    if (!m_broker.available())
        QSKIP(qPrintable(m_broker.unavailableReason()));
    QVERIFY2(m_broker.start(), m_broker.output().constData());
}

void TestEventBus::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    auto db = Database::open(m_dir->filePath(QStringLiteral("edge.db")), QStringLiteral("eventbus-%1").arg(++m_dbSerial));
    QVERIFY2(db.ok(), qPrintable(db.errorMessage()));
    m_database = std::move(db.value());
    m_db = m_database->connection();
    if (!m_broker.isRunning())
        QVERIFY(m_broker.start());
}

void TestEventBus::cleanup()
{
    stopEdge();
    m_db = {};
    m_database.reset();
    m_dir.reset();
}

void TestEventBus::startEdge(bool cleanSession, bool withLink)
{
    m_bus = std::make_unique<MessageBus>();
    m_host = std::make_unique<ModuleHost>(m_bus.get());
    EventBus::Settings s;
    s.server = QStringLiteral("tcp://127.0.0.1:%1").arg(m_broker.port());
    s.nodeId = QStringLiteral("edge-1");
    s.cleanSession = cleanSession;
    s.clientId = QStringLiteral("tst-eventbus");
    m_eventbus = new EventBus(m_db, s);
    QVERIFY(m_eventbus->open());
    if (withLink) {
        m_outbox = std::make_unique<Outbox>(m_db, 1000);
        QVERIFY(m_outbox->open());
        Link::Settings ls;
        ls.url = QUrl(QStringLiteral("wss://127.0.0.1:1/p/edge-1/events"));
        ls.nodeId = QStringLiteral("edge-1");
        QVERIFY(m_host->add(new Link(ls, m_outbox.get())));
        m_cloud = nullptr;
    } else {
        m_cloud = new Recorder(edge::LinkModule, edge::HubGroup);
        QVERIFY(m_host->add(m_cloud));
    }
    m_twin = new Recorder(edge::TwinModule, edge::TwinGroup);
    QVERIFY(m_host->add(m_twin));
    QVERIFY(m_host->add(m_eventbus));
    QSignalSpy up(m_eventbus, &EventBus::brokerConnected);
    m_host->startAll();
    QVERIFY(up.wait(10000));
}

void TestEventBus::stopEdge()
{
    if (m_host)
        m_host->stopAll();
    m_host.reset();
    m_bus.reset();
    m_outbox.reset();
    m_eventbus = nullptr;
    m_cloud = m_twin = nullptr;
}

// The eventbus subscribes in its connect handler; a probe on an upload topic shows when it is done.
bool TestEventBus::waitRouted(test::MqttPeer &peer)
{
    const QString probe = QStringLiteral("$hw/events/upload/probe");
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000) {
        const int before = m_eventbus->counters().toCloud;
        peer.publish(probe, QByteArrayLiteral("probe"));
        if (QTest::qWaitFor([&] { return int(m_eventbus->counters().toCloud) > before; }, 200)) {
            QTest::qWait(50);
            if (m_cloud)
                m_cloud->received.clear();
            return true;
        }
    }
    return false;
}

void TestEventBus::topicResourceIsBase64Url()
{
    const QString topic = QStringLiteral("$hw/events/device/default/t?1/twin/update");
    const QString r = EventBus::topicResource(topic);
    QCOMPARE(r, QString::fromLatin1(topic.toUtf8().toBase64(QByteArray::Base64UrlEncoding)));
    QVERIFY(!r.contains(QLatin1Char('/')) && !r.contains(QLatin1Char('+')));
    QCOMPARE(EventBus::topicFromResource(r), topic);
    QCOMPARE(EventBus::topicFromResource(QStringLiteral("!!")), QString());
}

void TestEventBus::mqttToBus_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<bool>("toTwin");
    QTest::newRow("twin update") << QStringLiteral("$hw/events/device/default/thermo-1/twin/update") << true;
    QTest::newRow("twin get") << QStringLiteral("$hw/events/device/default/thermo-1/twin/get") << true;
    QTest::newRow("state update") << QStringLiteral("$hw/events/device/default/thermo-1/state/update") << true;
    QTest::newRow("membership get") << QStringLiteral("$hw/events/node/edge-1/membership/get") << true;
    QTest::newRow("upload") << QStringLiteral("$hw/events/upload/sensors/a") << false;
    QTest::newRow("upload records") << QStringLiteral("SYS/dis/upload_records") << false;
    QTest::newRow("user") << QStringLiteral("app1/user/temp/x") << false;
}

void TestEventBus::mqttToBus()
{
    QFETCH(QString, topic);
    QFETCH(bool, toTwin);
    startEdge();
    test::MqttPeer peer(m_broker.port());
    QVERIFY(peer.connectNow());
    QVERIFY(waitRouted(peer));
    const QByteArray payload = R"({"event_id":"e1","timestamp":1})";
    QVERIFY(peer.publish(topic, payload));
    // The edge's own answers (two levels below twin/, state/) must not loop back.
    QVERIFY(peer.publish(topic + QStringLiteral("/result"), "{}"));
    if (toTwin) {
        QTRY_COMPARE(m_twin->received.size(), 1);
        const Message m = m_twin->received.first();
        QCOMPARE(m.source(), QStringLiteral("bus"));
        QCOMPARE(m.group(), QStringLiteral("user"));
        QCOMPARE(m.operation(), QStringLiteral("response"));
        QCOMPARE(m.resource(), EventBus::topicResource(topic));
        QCOMPARE(m.content(), QJsonValue(QString::fromUtf8(payload)));
        QTest::qWait(200);
        QCOMPARE(m_twin->received.size(), 1);
        QCOMPARE(m_cloud->received.size(), 0);
    } else {
        QTRY_COMPARE(m_cloud->countFor(topic), 1);
        const Message m = m_cloud->received.first();
        QCOMPARE(m.source(), QStringLiteral("bus"));
        QCOMPARE(m.group(), QStringLiteral("user"));
        QCOMPARE(m.operation(), QStringLiteral("upload"));
        QCOMPARE(m.contentText(), QString::fromUtf8(payload));
        QCOMPARE(m_twin->received.size(), 0);
    }
}

void TestEventBus::publishFromTheBus()
{
    startEdge();
    test::MqttPeer app(m_broker.port());
    QVERIFY(app.connectNow());
    QVERIFY(app.subscribe(QStringLiteral("app/in/#"), QStringLiteral("app/in/probe")));
    QVERIFY(m_bus->send(edge::EventBusModule, fromCloud(QStringLiteral("publish"), QStringLiteral("app/in/cmd"),
                                                        QStringLiteral("hello"))));
    QTRY_COMPARE(app.countOn(QStringLiteral("app/in/cmd")), 1);
    QCOMPARE(app.lastOn(QStringLiteral("app/in/cmd")), QByteArrayLiteral("hello"));

    // An object content is published as its JSON; `message` publishes the inner message's JSON.
    Message obj = fromCloud(QStringLiteral("publish"), QStringLiteral("app/in/obj"));
    obj.setContent(QJsonObject{{QStringLiteral("a"), 1}});
    QVERIFY(m_bus->send(edge::EventBusModule, obj));
    QTRY_COMPARE(app.lastOn(QStringLiteral("app/in/obj")), QByteArrayLiteral(R"({"a":1})"));
    Message msg = fromCloud(QStringLiteral("message"), QStringLiteral("x"));
    msg.setContent(QJsonObject{{QStringLiteral("message"),
                                QJsonObject{{QStringLiteral("topic"), QStringLiteral("app/in/m")}}}});
    QVERIFY(m_bus->send(edge::EventBusModule, msg));
    QTRY_COMPARE(app.lastOn(QStringLiteral("app/in/m")), QByteArrayLiteral(R"({"topic":"app/in/m"})"));
}

void TestEventBus::subscribeAndUnsubscribeFromTheCloud()
{
    startEdge();
    test::MqttPeer app(m_broker.port());
    QVERIFY(app.connectNow());
    QVERIFY(waitRouted(app));
    const QString topic = QStringLiteral("factory/line1/counter");
    QVERIFY(m_bus->send(edge::EventBusModule, fromCloud(QStringLiteral("subscribe"), topic)));
    QTRY_VERIFY([&] {
        app.publish(topic, "7");
        return m_cloud->countFor(topic) > 0;
    }());
    QCOMPARE(m_cloud->received.last().operation(), QStringLiteral("upload"));
    QCOMPARE(m_eventbus->extraTopics(), QStringList{topic});
    QSqlQuery q(m_db);
    QVERIFY(q.exec(QStringLiteral("SELECT topic FROM sub_topics")));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toString(), topic);
    q.finish();

    // Kept across a restart of the edge: subscribed again from the table.
    stopEdge();
    startEdge();
    QVERIFY(waitRouted(app));
    QTRY_VERIFY([&] {
        app.publish(topic, "8");
        return m_cloud->countFor(topic) > 0;
    }());

    QVERIFY(m_bus->send(edge::EventBusModule, fromCloud(QStringLiteral("unsubscribe"), topic)));
    QTRY_VERIFY(m_eventbus->extraTopics().isEmpty());
    QVERIFY(waitRouted(app)); // the unsubscribe went out before this probe
    app.publish(topic, "9");
    QVERIFY(waitRouted(app));
    QCOMPARE(m_cloud->countFor(topic), 0);
    QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM sub_topics")));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toInt(), 0);
}

void TestEventBus::brokerRestartResubscribes()
{
    startEdge(/*cleanSession*/ true);
    QVERIFY(m_bus->send(edge::EventBusModule, fromCloud(QStringLiteral("subscribe"), QStringLiteral("custom/t"))));
    QSignalSpy lost(m_eventbus, &EventBus::brokerLost);
    QSignalSpy back(m_eventbus, &EventBus::brokerConnected);
    QVERIFY(m_broker.restart());
    QVERIFY(lost.count() > 0 || lost.wait(10000));
    QVERIFY(back.wait(15000));
    test::MqttPeer peer(m_broker.port());
    QVERIFY(peer.connectNow());
    QVERIFY(waitRouted(peer));
    QVERIFY(peer.publish(QStringLiteral("$hw/events/device/default/d1/twin/get"), "{}"));
    QVERIFY(peer.publish(QStringLiteral("custom/t"), "x"));
    QTRY_COMPARE(m_twin->received.size(), 1);
    QTRY_COMPARE(m_cloud->countFor(QStringLiteral("custom/t")), 1);
}

void TestEventBus::publishesWaitWhileTheBrokerIsDown()
{
    startEdge();
    // A persistent subscriber that is away too: the broker keeps what the edge publishes for it.
    {
        test::MqttPeer app(m_broker.port(), QStringLiteral("tst-late-app"));
        QVERIFY(app.connectNow());
        QVERIFY(app.subscribe(QStringLiteral("late/#"), QStringLiteral("late/probe")));
    }
    QSignalSpy lost(m_eventbus, &EventBus::brokerLost);
    m_broker.stop();
    QVERIFY(lost.count() > 0 || lost.wait(10000));
    for (int i = 0; i < 5; ++i)
        QVERIFY(m_bus->send(edge::EventBusModule, fromCloud(QStringLiteral("publish"), QStringLiteral("late/%1").arg(i),
                                                            QString::number(i))));
    QTRY_COMPARE(m_eventbus->pendingPublishes(), 5);
    QCOMPARE(m_eventbus->counters().published, quint64(0));
    QVERIFY(m_broker.start());
    QTRY_VERIFY_WITH_TIMEOUT(m_eventbus->isBrokerConnected(), 15000);
    QTRY_COMPARE(m_eventbus->pendingPublishes(), 0);
    QCOMPARE(m_eventbus->counters().published, quint64(5));
    test::MqttPeer app(m_broker.port(), QStringLiteral("tst-late-app"));
    QVERIFY(app.connectNow());
    QTRY_COMPARE(app.received.size(), 5);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(app.received.at(i).first, QStringLiteral("late/%1").arg(i));
        QCOMPARE(app.received.at(i).second, QByteArray::number(i));
    }
}

void TestEventBus::cloudBoundMessagesWaitInTheOutbox()
{
    startEdge(true, /*withLink*/ true);
    test::MqttPeer peer(m_broker.port());
    QVERIFY(peer.connectNow());
    QVERIFY(waitRouted(peer));
    const int before = m_outbox->depth();
    for (int i = 0; i < 10; ++i)
        QVERIFY(peer.publish(QStringLiteral("$hw/events/upload/r/%1").arg(i), QByteArray::number(i)));
    QTRY_COMPARE(m_outbox->depth(), before + 10);
    // The broker goes away and comes back: nothing queued for the cloud is touched, and what
    // arrives afterwards queues behind it.
    QSignalSpy back(m_eventbus, &EventBus::brokerConnected);
    QVERIFY(m_broker.restart());
    QVERIFY(back.wait(15000));
    QVERIFY(waitRouted(peer));
    QVERIFY(peer.publish(QStringLiteral("$hw/events/upload/r/after"), "after"));
    QTRY_COMPARE(m_outbox->depth(), before + 12); // + the probe
    auto entries = m_outbox->peek(1000);
    QVERIFY(entries.ok());
    QStringList resources;
    for (const auto &e : entries.value())
        if (e.message.resource().startsWith(QLatin1String("$hw/events/upload/r/")))
            resources.append(e.message.resource());
    QCOMPARE(resources.size(), 11);
    QCOMPARE(resources.first(), QStringLiteral("$hw/events/upload/r/0"));
    QCOMPARE(resources.last(), QStringLiteral("$hw/events/upload/r/after"));
}

void TestEventBus::persistentSessionKeepsMessagesWhileTheEdgeIsAway()
{
    startEdge(/*cleanSession*/ false);
    stopEdge();
    test::MqttPeer mapper(m_broker.port());
    QVERIFY(mapper.connectNow());
    for (int i = 0; i < 3; ++i)
        QVERIFY(mapper.publish(QStringLiteral("$hw/events/upload/away/%1").arg(i), "x"));
    QTest::qWait(200); // let the broker take them before the edge is back
    startEdge(false);
    QTRY_COMPARE(m_cloud->received.size(), 3);
    QCOMPARE(m_cloud->received.first().resource(), QStringLiteral("$hw/events/upload/away/0"));
}

void TestEventBus::absentBrokerIsOneWarningThenConnects()
{
    m_broker.stop();
    m_bus = std::make_unique<MessageBus>();
    m_host = std::make_unique<ModuleHost>(m_bus.get());
    EventBus::Settings s;
    s.server = QStringLiteral("tcp://127.0.0.1:%1").arg(m_broker.port());
    s.cleanSession = true;
    m_eventbus = new EventBus(m_db, s);
    QVERIFY(m_eventbus->open());
    QVERIFY(m_host->add(m_eventbus));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("MQTT broker .* is not reachable")));
    QTest::failOnWarning(QRegularExpression(QStringLiteral("lost the MQTT broker")));
    m_host->startAll();
    QTest::qWait(4000);
    QVERIFY(!m_eventbus->isBrokerConnected());
    QSignalSpy up(m_eventbus, &EventBus::brokerConnected);
    QVERIFY(m_broker.start());
    QVERIFY(up.wait(15000));
}

QTEST_GUILESS_MAIN(TestEventBus)
#include "tst_eventbus.moc"
