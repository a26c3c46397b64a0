#include "edgehub/link.h"
#include "edgehub/outbox.h"
#include "edgehub/router.h"
#include "shared/codec.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "shared/storage.h"

#include <QCryptographicHash>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

using namespace qedge;

namespace {
/// A module on the real bus that keeps what it receives.
class Recorder : public Module
{
    Q_OBJECT
public:
    Recorder(const QString &name, const QString &group) : Module(name, group) {}
    QList<Message> received;

protected:
    void handleMessage(const Message &m) override { received.append(m); }
};

/// The hub's side: a plain ws:// server that records frames and the upgrade headers.
class Hub : public QObject
{
    Q_OBJECT
public:
    Hub() : server(QStringLiteral("hub"), QWebSocketServer::NonSecureMode)
    {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = server.nextPendingConnection()) {
                sockets.append(s);
                headers = s->request();
                connect(s, &QWebSocket::textMessageReceived, this, [this](const QString &t) {
                    auto m = codec::decode(t.toUtf8());
                    if (m)
                        frames.append(m.value());
                });
            }
        });
    }
    QUrl url() const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/proj/node-a/events").arg(server.serverPort()));
    }
    void send(const Message &m) { sockets.last()->sendTextMessage(QString::fromUtf8(codec::encode(m))); }
    QList<Message> upstream() const
    {
        QList<Message> out;
        for (const Message &m : frames)
            if (m.operation() != op::Keepalive)
                out.append(m);
        return out;
    }

    QWebSocketServer server;
    QList<QWebSocket *> sockets;
    QList<Message> frames;
    QNetworkRequest headers;
};

/// Completes the WebSocket handshake, then never reads nor answers again: a hub that hangs.
class SilentHub : public QObject
{
    Q_OBJECT
public:
    SilentHub()
    {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QTcpServer::newConnection, this, [this] {
            QTcpSocket *s = server.nextPendingConnection();
            connect(s, &QTcpSocket::readyRead, this, [s] {
                if (s->property("upgraded").toBool())
                    return;
                const QByteArray req = s->readAll();
                const int at = req.indexOf("Sec-WebSocket-Key:");
                const QByteArray key = req.mid(at + 18, req.indexOf("\r\n", at) - at - 18).trimmed();
                const QByteArray accept =
                    QCryptographicHash::hash(QByteArray(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
                                             QCryptographicHash::Sha1)
                        .toBase64();
                s->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: " +
                         accept + "\r\n\r\n");
                s->setProperty("upgraded", true);
            });
        });
    }
    QTcpServer server;
};
} // namespace

class TestRouting : public QObject
{
    Q_OBJECT
private slots:
    void routeFromCloud_data();
    void routeFromCloud();
    void init();
    void cleanup();
    void connectsWithKubeEdgeHeadersAndKeepalive();
    void broadcastsConnectionToGroups();
    void dispatchesCloudMessages();
    void answersViaductControlOps();
    void repliesReachTheWaitingRequest();
    void upstreamIsRateLimitedButComplete();
    void offlineMessagesWaitInOutboxAndFlushInOrder();
    void reconnectsAfterTheHubCloses();
    void detectsASilentHub();
    void backoffGrowsToTheCap();

private:
    Link *startLink(const QUrl &url, double qps = 1000, int burst = 1000);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<MessageBus> m_bus;
    std::unique_ptr<ModuleHost> m_host;
    std::unique_ptr<Database> m_database;
    std::unique_ptr<Outbox> m_outbox;
    Recorder *m_meta = nullptr;
    Recorder *m_twin = nullptr;
    Recorder *m_eventbus = nullptr;
};

void TestRouting::routeFromCloud_data()
{
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("source");
    QTest::addColumn<bool>("hasParent");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("target");
    const QString ec = QStringLiteral("edgecontroller");
    QTest::newRow("resource → meta") << QStringLiteral("resource") << ec << false << int(EdgeRoute::Group)
                                     << QStringLiteral("meta");
    QTest::newRow("func → meta") << QStringLiteral("func") << ec << false << int(EdgeRoute::Group)
                                 << QStringLiteral("meta");
    QTest::newRow("resource reply → waiter")
        << QStringLiteral("resource") << ec << true << int(EdgeRoute::Respond) << QString();
    QTest::newRow("twin → twin, even a reply")
        << QStringLiteral("twin") << ec << true << int(EdgeRoute::Group) << QStringLiteral("twin");
    QTest::newRow("user eventbus") << QStringLiteral("user") << QStringLiteral("router_eventbus") << false
                                   << int(EdgeRoute::Module) << QStringLiteral("eventbus");
    QTest::newRow("user servicebus") << QStringLiteral("user") << QStringLiteral("router_servicebus") << false
                                     << int(EdgeRoute::Module) << QStringLiteral("servicebus");
    QTest::newRow("user reply") << QStringLiteral("user") << QStringLiteral("router") << true
                                << int(EdgeRoute::Respond) << QString();
    QTest::newRow("user unknown source")
        << QStringLiteral("user") << QStringLiteral("router") << false << int(EdgeRoute::Drop) << QString();
    QTest::newRow("unknown group") << QStringLiteral("nope") << ec << false << int(EdgeRoute::Drop)
                                   << QString();
}

void TestRouting::routeFromCloud()
{
    QFETCH(QString, group);
    QFETCH(QString, source);
    QFETCH(bool, hasParent);
    QFETCH(int, kind);
    QFETCH(QString, target);
    Message m = Message::create(source, group, op::Insert, QStringLiteral("default/configmap/a"));
    if (hasParent)
        m.setParentId(Message::newId());
    const EdgeRoute r = qedge::routeFromCloud(m);
    QCOMPARE(int(r.kind), kind);
    QCOMPARE(r.target, target);
    if (kind == EdgeRoute::Drop)
        QVERIFY(!r.dropReason.isEmpty());
}

void TestRouting::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    auto db = Database::open(m_dir->filePath(QStringLiteral("edgehub.db")), QStringLiteral("routing"));
    QVERIFY(db.ok());
    m_database = std::move(db.value());
    m_outbox = std::make_unique<Outbox>(m_database->connection(), 1000);
    QVERIFY(m_outbox->open());
    m_bus = std::make_unique<MessageBus>();
    m_host = std::make_unique<ModuleHost>(m_bus.get());
    m_meta = new Recorder(QStringLiteral("metamanager"), QStringLiteral("meta"));
    m_twin = new Recorder(QStringLiteral("twin"), QStringLiteral("twin"));
    m_eventbus = new Recorder(QStringLiteral("eventbus"), QStringLiteral("bus"));
    QVERIFY(m_host->add(m_meta));
    QVERIFY(m_host->add(m_twin));
    QVERIFY(m_host->add(m_eventbus));
}

void TestRouting::cleanup()
{
    m_host.reset();
    m_bus.reset();
    m_outbox.reset();
    m_database.reset();
}

Link *TestRouting::startLink(const QUrl &url, double qps, int burst)
{
    Link::Settings s;
    s.url = url;
    s.nodeId = QStringLiteral("node-a");
    s.heartbeatMs = 100;
    s.readDeadlineMs = 400;
    s.reconnectBaseMs = 50;
    s.reconnectCapMs = 200;
    s.handshakeTimeoutMs = 2000;
    s.qps = qps;
    s.burst = burst;
    auto *link = new Link(s, m_outbox.get());
    m_host->add(link);
    m_host->startAll();
    link->open();
    return link;
}

void TestRouting::connectsWithKubeEdgeHeadersAndKeepalive()
{
    Hub hub;
    Link *link = startLink(hub.url());
    QTRY_VERIFY(link->isConnected());
    QCOMPARE(hub.headers.rawHeader("node_id"), QByteArray("node-a"));
    QCOMPARE(hub.headers.rawHeader("project_id"), QByteArray("e632aba927ea4ac2b575ec1603d56f10"));
    QCOMPARE(hub.headers.rawHeader("ConnectionUse"), QByteArray("msg"));
    QCOMPARE(hub.headers.url().path(), QStringLiteral("/proj/node-a/events"));
    QTRY_VERIFY(!hub.frames.isEmpty());
    const Message &k = hub.frames.first();
    QCOMPARE(k.operation(), op::Keepalive);
    QCOMPARE(k.source(), QStringLiteral("websocket"));
    QCOMPARE(k.group(), QStringLiteral("resource"));
    QCOMPARE(k.resource(), QStringLiteral("node"));
    QCOMPARE(k.contentText(), QStringLiteral("ping"));
    QTRY_VERIFY(hub.frames.size() >= 3); // and again every heartbeat
}

void TestRouting::broadcastsConnectionToGroups()
{
    Hub hub;
    Link *link = startLink(hub.url());
    QTRY_VERIFY(link->isConnected());
    for (Recorder *r : {m_meta, m_twin, m_eventbus}) {
        QTRY_COMPARE(r->received.size(), 1);
        QCOMPARE(r->received.first().resource(), QStringLiteral("node/connection"));
        QCOMPARE(r->received.first().contentText(), QStringLiteral("cloud_connected"));
    }
    QSignalSpy gone(link, &Link::disconnected);
    hub.sockets.last()->close();
    QTRY_COMPARE(gone.size(), 1);
    QTRY_COMPARE(m_meta->received.size(), 2);
    QCOMPARE(m_meta->received.last().contentText(), QStringLiteral("cloud_disconnected"));
}

void TestRouting::dispatchesCloudMessages()
{
    Hub hub;
    Link *link = startLink(hub.url());
    QTRY_VERIFY(link->isConnected());
    QTRY_COMPARE(m_meta->received.size(), 1);
    const Message obj = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"),
                                        op::Insert, QStringLiteral("default/configmap/a"));
    const Message twin = Message::create(QStringLiteral("twin"), QStringLiteral("twin"), op::Update,
                                         QStringLiteral("device/d1/twin/cloud_updated"));
    const Message user = Message::create(QStringLiteral("router_eventbus"), QStringLiteral("user"),
                                         QStringLiteral("publish"), QStringLiteral("rule/topic"));
    hub.send(obj);
    hub.send(twin);
    hub.send(user);
    QTRY_COMPARE(m_meta->received.size(), 2);
    QCOMPARE(m_meta->received.last().id(), obj.id());
    QTRY_COMPARE(m_twin->received.size(), 2);
    QCOMPARE(m_twin->received.last().id(), twin.id());
    QTRY_COMPARE(m_eventbus->received.size(), 2);
    QCOMPARE(m_eventbus->received.last().id(), user.id());
}

void TestRouting::answersViaductControlOps()
{
    Hub hub;
    Link *link = startLink(hub.url());
    QTRY_VERIFY(link->isConnected());
    const Message ping = Message::create(QStringLiteral("cloudhub"), QStringLiteral("resource"), op::Ping,
                                         QStringLiteral("node"));
    hub.send(ping);
    QTRY_COMPARE(hub.upstream().size(), 1);
    const Message ack = hub.upstream().first();
    QCOMPARE(ack.operation(), op::Response);
    QCOMPARE(ack.parentId(), ping.id());
    QCOMPARE(ack.contentText(), QStringLiteral("ack"));
    QCOMPARE(m_meta->received.size(), 1); // only the connect broadcast
}

void TestRouting::repliesReachTheWaitingRequest()
{
    Hub hub;
    Link *link = startLink(hub.url());
    QTRY_VERIFY(link->isConnected());
    const Message query = Message::create(QStringLiteral("metamanager"), QStringLiteral("meta"), op::Query,
                                          QStringLiteral("default/secret/s"));
    std::optional<Result<Message>> got;
    m_bus->request(QStringLiteral("websocket"), query, 5000, this, [&](Result<Message> r) { got = r; });
    QTRY_COMPARE(hub.upstream().size(), 1);
    QCOMPARE(hub.upstream().first().id(), query.id());
    QCOMPARE(hub.upstream().first().header().sync, false);
    Message answer = Message::responseTo(query, QStringLiteral("secret"));
    answer.setSource(QStringLiteral("edgecontroller")).setGroup(QStringLiteral("resource"));
    hub.send(answer);
    QTRY_VERIFY(got.has_value());
    QVERIFY(got->ok());
    QCOMPARE(got->value().id(), answer.id());
    // A reply nobody waits for goes to MetaManager, which stores and acks it.
    Message late = Message::responseTo(query, QStringLiteral("again"));
    late.setGroup(QStringLiteral("resource"));
    hub.send(late);
    QTRY_COMPARE(m_meta->received.last().id(), late.id());
}

void TestRouting::upstreamIsRateLimitedButComplete()
{
    Hub hub;
    Link *link = startLink(hub.url(), 50, 2);
    QTRY_VERIFY(link->isConnected());
    QList<QString> ids;
    for (int i = 0; i < 8; ++i) {
        const Message m = Message::create(QStringLiteral("edged"), QStringLiteral("resource"), op::Update,
                                          QStringLiteral("default/nodestatus/n%1").arg(i));
        ids.append(m.id());
        QVERIFY(m_bus->send(QStringLiteral("websocket"), m));
    }
    QTRY_COMPARE(hub.upstream().size(), 8);
    for (int i = 0; i < 8; ++i)
        QCOMPARE(hub.upstream().at(i).id(), ids.at(i));
}

void TestRouting::offlineMessagesWaitInOutboxAndFlushInOrder()
{
    Hub hub;
    const quint16 port = hub.server.serverPort();
    hub.server.close(); // the hub is down
    Link *link = startLink(QUrl(QStringLiteral("ws://127.0.0.1:%1/p/node-a/events").arg(port)));
    QList<QString> ids;
    for (int i = 0; i < 5; ++i) {
        const Message m = Message::create(QStringLiteral("edged"), QStringLiteral("resource"), op::Update,
                                          QStringLiteral("default/nodestatus/n%1").arg(i));
        ids.append(m.id());
        QVERIFY(m_bus->send(QStringLiteral("websocket"), m));
    }
    QTRY_COMPARE(m_outbox->depth(), 5);
    QVERIFY(!link->isConnected());
    QVERIFY(hub.server.listen(QHostAddress::LocalHost, port));
    QTRY_VERIFY(link->isConnected());
    QTRY_COMPARE(hub.upstream().size(), 5);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(hub.upstream().at(i).id(), ids.at(i));
    QCOMPARE(m_outbox->depth(), 0);
}

void TestRouting::reconnectsAfterTheHubCloses()
{
    Hub hub;
    Link *link = startLink(hub.url());
    QTRY_VERIFY(link->isConnected());
    hub.sockets.last()->close();
    QTRY_COMPARE(hub.sockets.size(), 2);
    QTRY_VERIFY(link->isConnected());
    QCOMPARE(link->counters().connects, quint64(2));
}

void TestRouting::detectsASilentHub()
{
    SilentHub hub;
    Link *link =
        startLink(QUrl(QStringLiteral("ws://127.0.0.1:%1/p/node-a/events").arg(hub.server.serverPort())));
    QSignalSpy gone(link, &Link::disconnected);
    QTRY_VERIFY(link->isConnected());
    QTRY_VERIFY_WITH_TIMEOUT(gone.size() >= 1, 5000);
    QVERIFY2(gone.first().first().toString().contains(QLatin1String("nothing read")),
             qPrintable(gone.first().first().toString()));
}

void TestRouting::backoffGrowsToTheCap()
{
    for (int failures = 0; failures < 30; ++failures) {
        const int expected = std::min(30000LL << std::min(failures, 20), 300000LL);
        const int wait = Link::backoffMs(30000, 300000, failures);
        QVERIFY(wait >= expected);
        QVERIFY(wait <= expected + expected / 4);
    }
}

QTEST_GUILESS_MAIN(TestRouting)
#include "tst_routing.moc"
