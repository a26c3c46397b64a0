#include "edgehub/router.h"
#include "edgehub/servicebus.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "tests/edgehub/echoserver.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace qedge;

namespace {
class Recorder : public Module
{
public:
    Recorder() : Module(edge::LinkModule, edge::HubGroup) {}
    QList<Message> received;

protected:
    void handleMessage(const Message &m) override { received.append(m); }
};

Message call(const QString &resource, const QString &method, const QByteArray &body = {},
             const QJsonObject &header = {})
{
    Message m = Message::create(QStringLiteral("router_servicebus"), QStringLiteral("user"), method, resource);
    m.setContent(QJsonObject{{QStringLiteral("method"), method},
                             {QStringLiteral("url"), resource},
                             {QStringLiteral("header"), header},
                             {QStringLiteral("body"), QString::fromLatin1(body.toBase64())}});
    return m;
}
} // namespace

class TestServiceBus : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void roundTrip_data();
    void roundTrip();
    void refusals_data();
    void refusals();
    void userInfoInThePathStaysOnLoopback();
    void silentServiceTimesOut();
    void parsesPortLists();

private:
    Message answerTo(const Message &request);

    std::unique_ptr<test::EchoServer> m_server;
    std::unique_ptr<MessageBus> m_bus;
    std::unique_ptr<ModuleHost> m_host;
    Recorder *m_cloud = nullptr;
    quint16 m_closedPort = 0;
};

void TestServiceBus::init()
{
    m_server = std::make_unique<test::EchoServer>();
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        m_closedPort = probe.serverPort();
    }
    m_bus = std::make_unique<MessageBus>();
    m_host = std::make_unique<ModuleHost>(m_bus.get());
    m_cloud = new Recorder;
    QVERIFY(m_host->add(m_cloud));
    ServiceBus::Settings s;
    s.allowedPorts = {m_server->serverPort(), m_closedPort};
    s.timeoutMs = 500;
    QVERIFY(m_host->add(new ServiceBus(s)));
    m_host->startAll();
}

void TestServiceBus::cleanup()
{
    m_host->stopAll();
    m_host.reset();
    m_bus.reset();
    m_server.reset();
}

Message TestServiceBus::answerTo(const Message &request)
{
    if (!dispatchFromCloud(m_bus.get(), request))
        return {};
    if (!QTest::qWaitFor([&] { return !m_cloud->received.isEmpty(); }, 5000))
        return {};
    return m_cloud->received.takeFirst();
}

void TestServiceBus::roundTrip_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("get") << QStringLiteral("GET") << QStringLiteral("/status?x=1") << QByteArray();
    QTest::newRow("post") << QStringLiteral("POST") << QStringLiteral("/api/cmd") << QByteArray("{\"on\":true}");
    QTest::newRow("lower-case put") << QStringLiteral("put") << QStringLiteral("/v") << QByteArray("7");
}

void TestServiceBus::roundTrip()
{
    QFETCH(QString, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    const Message request = call(QStringLiteral("%1:%2").arg(m_server->serverPort()).arg(path), method, body,
                                 {{QStringLiteral("X-Tag"), QJsonArray{QStringLiteral("t1")}}});
    const Message a = answerTo(request);
    QCOMPARE(a.parentId(), request.id());
    QCOMPARE(a.source(), QStringLiteral("servicebus"));
    QCOMPARE(a.group(), QStringLiteral("user"));
    QCOMPARE(a.operation(), QStringLiteral("upload"));
    const QJsonObject c = a.content().toObject();
    QCOMPARE(c.value(QStringLiteral("status_code")).toInt(), 201);
    QCOMPARE(QByteArray::fromBase64(c.value(QStringLiteral("body")).toString().toLatin1()),
             method.toUpper().toLatin1() + ' ' + path.toLatin1() + ' ' + body);
    QCOMPARE(c.value(QStringLiteral("header")).toObject().value(QStringLiteral("X-Echo")).toArray().first().toString(),
             QStringLiteral("t1"));
}

void TestServiceBus::refusals_data()
{
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("reasonPart");
    QTest::newRow("port not allowed") << QStringLiteral("22:/") << QStringLiteral("GET") << 403 << QStringLiteral("allowlist");
    QTest::newRow("no port") << QStringLiteral("/x") << QStringLiteral("GET") << 400 << QStringLiteral("<port>:<path>");
    QTest::newRow("bad method") << QStringLiteral("%1:/") << QStringLiteral("CONNECT") << 405 << QStringLiteral("not supported");
    QTest::newRow("nothing listens") << QStringLiteral("closed") << QStringLiteral("GET") << 502 << QStringLiteral("failed");
}

void TestServiceBus::refusals()
{
    QFETCH(QString, resource);
    QFETCH(QString, method);
    QFETCH(int, status);
    QFETCH(QString, reasonPart);
    if (resource == QLatin1String("closed"))
        resource = QStringLiteral("%1:/").arg(m_closedPort);
    else if (resource.contains(QLatin1String("%1")))
        resource = resource.arg(m_server->serverPort());
    const Message request = call(resource, method);
    const Message a = answerTo(request);
    QCOMPARE(a.parentId(), request.id());
    const QJsonObject c = a.content().toObject();
    QCOMPARE(c.value(QStringLiteral("status_code")).toInt(), status);
    const QString text = QString::fromUtf8(QByteArray::fromBase64(c.value(QStringLiteral("body")).toString().toLatin1()));
    QVERIFY2(text.contains(reasonPart), qPrintable(text));
    QCOMPARE(m_server->connections, 0);
}

void TestServiceBus::userInfoInThePathStaysOnLoopback()
{
    // "<port>:@host/" must not become http://127.0.0.1:<port>@host/.
    const Message a = answerTo(call(QStringLiteral("%1:@evil.example/x").arg(m_server->serverPort()), QStringLiteral("GET")));
    const QJsonObject c = a.content().toObject();
    QCOMPARE(c.value(QStringLiteral("status_code")).toInt(), 201);
    QCOMPARE(QByteArray::fromBase64(c.value(QStringLiteral("body")).toString().toLatin1()), QByteArray("GET /@evil.example/x "));
}

void TestServiceBus::silentServiceTimesOut()
{
    m_server->silent = true;
    const Message a = answerTo(call(QStringLiteral("%1:/slow").arg(m_server->serverPort()), QStringLiteral("GET")));
    QCOMPARE(a.content().toObject().value(QStringLiteral("status_code")).toInt(), 504);
}

void TestServiceBus::parsesPortLists()
{
    QList<int> ports;
    QVERIFY(ServiceBus::parsePorts(QStringLiteral("8080, 9000"), &ports));
    QCOMPARE(ports, (QList<int>{8080, 9000}));
    QVERIFY(ServiceBus::parsePorts(QString(), &ports));
    QVERIFY(ports.isEmpty());
    QVERIFY(!ServiceBus::parsePorts(QStringLiteral("80,http"), &ports));
    QVERIFY(!ServiceBus::parsePorts(QStringLiteral("70000"), &ports));
}

QTEST_GUILESS_MAIN(TestServiceBus)
#include "tst_servicebus.moc"
