// The secure edge WebSocket endpoint of the real cloudhub binary: mTLS, identity checks, eviction,
// keepalive timeout, node limit, frame limits, control operations, node registry, process shell.
#include "shared/codec.h"
#include "shared/crypto/certauthority.h"
#include "shared/crypto/csr.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testedge.h"
#include "tests/support/testsupport.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace qedge;
using namespace qedge::test;

namespace {

constexpr int KeepaliveSeconds = 3;
constexpr int MaxFrameBytes = 64 * 1024;
constexpr int HandshakeSeconds = 2;

Message control(const QString &operation)
{
    return Message::create(QStringLiteral("edged"), QStringLiteral("resource"), operation,
                           QStringLiteral("node/x"), "\"hello\"");
}

} // namespace

class TestHubEndpoint : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void tokensAreSecretFiles();
    void connectAndKeepalive();
    void controlOperationsAreAcked_data();
    void controlOperationsAreAcked();
    void largeRepliesReachARealClient();
    void newConnectionEvictsTheOldOne();
    void keepaliveTimeoutClosesTheSession();
    void headerNamesInAnyCase();
    void silentClientAfterTlsIsDropped();
    void refusedIdentity_data();
    void refusedIdentity();
    void noClientCertificateFailsTls();
    void certificateOfAnotherCaFailsTls();
    void oversizedFrameClosesOnlyThatSession();
    void malformedFrames_data();
    void malformedFrames();
    void nodeLimit();
    void sendBufferCapClosesOnlyThatSession();
    void secondHubOnTheSameDataDirIsRefused();
    void sampleConfigMatchesTheSchema();
    void sigtermExitsZero();

private:
    /// A bootstrapped, connected edge sending keepalives; null (with a failed check) otherwise.
    std::unique_ptr<TestEdge> connectedEdge(const QString &node, HubProcess &hub);
    /// The nodes row of the hub's SQLite registry: online, cert_serial; empty when absent.
    QVariantList registryRow(const QString &node);
    bool answersPing(TestEdge &edge);

    std::unique_ptr<HubProcess> m_hub;
};

void TestHubEndpoint::initTestCase()
{
    m_hub = std::make_unique<HubProcess>(
        QStringList{QStringLiteral("--keepalive-interval"), QString::number(KeepaliveSeconds),
                    QStringLiteral("--max-frame-bytes"), QString::number(MaxFrameBytes),
                    QStringLiteral("--failed-attempts-per-minute"), QStringLiteral("1000"),
                    QStringLiteral("--handshake-timeout"), QString::number(HandshakeSeconds),
                    QStringLiteral("--log-rules"), QStringLiteral("qedge.http.debug=true")});
    QVERIFY2(m_hub->start(), qPrintable(m_hub->output()));
}

void TestHubEndpoint::cleanupTestCase()
{
    if (m_hub && m_hub->isRunning())
        m_hub->kill();
    QSqlDatabase::removeDatabase(QStringLiteral("registry"));
}

std::unique_ptr<TestEdge> TestHubEndpoint::connectedEdge(const QString &node, HubProcess &hub)
{
    auto edge = std::make_unique<TestEdge>(node);
    const Status s = edge->bootstrap(hub.bootstrapUrl(), hub.joinToken());
    if (!s) {
        qWarning() << "bootstrap failed:" << s.errorMessage();
        return nullptr;
    }
    if (!edge->connectTo(hub.webSocketPort())) {
        qWarning() << "connect failed:" << edge->closeCode() << edge->closeReason();
        return nullptr;
    }
    edge->sendKeepalive();
    edge->keepAliveEvery(1000);
    return edge;
}

bool TestHubEndpoint::answersPing(TestEdge &edge)
{
    const Message ping = control(op::Ping);
    edge.send(ping);
    return edge.waitForMessage([&](const Message &m) { return m.parentId() == ping.id(); }, 5000).has_value();
}

QVariantList TestHubEndpoint::registryRow(const QString &node)
{
    QSqlDatabase db = QSqlDatabase::contains(QStringLiteral("registry"))
                          ? QSqlDatabase::database(QStringLiteral("registry"))
                          : QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("registry"));
    db.setDatabaseName(m_hub->dataDir() + QStringLiteral("/cloudhub.db"));
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
    if (!db.isOpen() && !db.open())
        return {};
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "SELECT online, cert_serial, remote_address, first_seen, last_seen FROM nodes WHERE id = ?"));
    q.addBindValue(node);
    if (!q.exec() || !q.next())
        return {};
    return {q.value(0).toBool(), q.value(1).toString(), q.value(2).toString(), q.value(3).toLongLong(),
            q.value(4).toLongLong()};
}

void TestHubEndpoint::tokensAreSecretFiles()
{
    for (const QString &name : {QStringLiteral("join.token"), QStringLiteral("admin.token")}) {
        QFile f(m_hub->dataDir() + u'/' + name);
        QVERIFY2(f.exists(), qPrintable(name));
        QCOMPARE(f.permissions() &
                     (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
                 QFile::Permissions());
    }
}

void TestHubEndpoint::connectAndKeepalive()
{
    auto edge = connectedEdge(QStringLiteral("ka-1"), *m_hub);
    QVERIFY(edge);
    QTRY_COMPARE_WITH_TIMEOUT(registryRow(QStringLiteral("ka-1")).value(0).toBool(), true, 5000);
    const QVariantList row = registryRow(QStringLiteral("ka-1"));
    QCOMPARE(row.value(1).toString(), QString::fromLatin1(edge->certificate().info().serialHex));
    QCOMPARE(row.value(2).toString(), QStringLiteral("127.0.0.1"));

    // Keepalives every second hold the session past the keepalive interval.
    QTest::qWait((KeepaliveSeconds + 1) * 1000);
    QVERIFY(edge->isConnected());
    QVERIFY(answersPing(*edge));

    edge->close();
    QVERIFY(edge->waitForDisconnected());
    QTRY_COMPARE_WITH_TIMEOUT(registryRow(QStringLiteral("ka-1")).value(0).toBool(), false, 5000);
}

void TestHubEndpoint::controlOperationsAreAcked_data()
{
    QTest::addColumn<QString>("operation");
    QTest::newRow("ping") << op::Ping;
    QTest::newRow("pong") << op::Pong;
    QTest::newRow("config") << op::Config;
}

void TestHubEndpoint::controlOperationsAreAcked()
{
    QFETCH(QString, operation);
    auto edge = connectedEdge(QStringLiteral("ctl-") + operation, *m_hub);
    QVERIFY(edge);
    const Message request = control(operation);
    edge->send(request);
    auto reply = edge->waitForMessage([&](const Message &m) { return m.parentId() == request.id(); });
    QVERIFY(reply);
    QCOMPARE(reply->operation(), op::Response);
    QCOMPARE(reply->contentText(), QStringLiteral("ack"));
    QCOMPARE(reply->source(), request.source());
    QCOMPARE(reply->group(), request.group());
    QCOMPARE(reply->resource(), request.resource());
    QVERIFY(reply->id() != request.id());
}

void TestHubEndpoint::largeRepliesReachARealClient()
{
    // The hub frames its messages itself: the edge's QWebSocket must parse the 16- and 64-bit
    // length forms, and one frame past QWebSocket's own 512 KiB fragment size.
    HubProcess hub({QStringLiteral("--max-frame-bytes"), QString::number(2 * 1024 * 1024)});
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    auto edge = connectedEdge(QStringLiteral("large-1"), hub);
    QVERIFY(edge);
    for (const qsizetype replyBytes : {qsizetype(65535), qsizetype(65536), qsizetype(600 * 1024)}) {
        Message ping = control(op::Ping);
        // The ack copies the resource: pad it so that the ack's JSON has exactly replyBytes.
        const qsizetype base = codec::encode(Message::responseTo(ping, QStringLiteral("ack"))).size();
        ping.setResource(ping.resource() + QString(replyBytes - base, u'r'));
        edge->send(ping);
        const auto reply =
            edge->waitForMessage([&](const Message &m) { return m.parentId() == ping.id(); }, 10000);
        QVERIFY2(reply, qPrintable(QString::number(replyBytes)));
        QCOMPARE(reply->resource(), ping.resource());
        QCOMPARE(codec::encode(*reply).size(), replyBytes);
    }
    QVERIFY(answersPing(*edge)); // still in step after the large frames
    QVERIFY(edge->isConnected());
    QCOMPARE(hub.stop(), 0);
}

void TestHubEndpoint::newConnectionEvictsTheOldOne()
{
    auto first = connectedEdge(QStringLiteral("evict-1"), *m_hub);
    QVERIFY(first);
    TestEdge second(QStringLiteral("evict-1"));
    second.setIdentity(first->ca(), first->certificate(), first->key());
    QVERIFY(second.connectTo(m_hub->webSocketPort()));
    second.sendKeepalive();
    QVERIFY(first->waitForDisconnected());
    QCOMPARE(first->closeCode(), QWebSocketProtocol::CloseCodeNormal);
    QVERIFY2(first->closeReason().contains(QStringLiteral("replaced")), qPrintable(first->closeReason()));
    QVERIFY(answersPing(second));
    QTRY_COMPARE_WITH_TIMEOUT(registryRow(QStringLiteral("evict-1")).value(0).toBool(), true, 5000);
}

void TestHubEndpoint::keepaliveTimeoutClosesTheSession()
{
    auto edge = connectedEdge(QStringLiteral("quiet-1"), *m_hub);
    QVERIFY(edge);
    auto bystander = connectedEdge(QStringLiteral("busy-1"), *m_hub);
    QVERIFY(bystander);
    edge->keepAliveEvery(0);
    QVERIFY(edge->waitForDisconnected((KeepaliveSeconds + 3) * 1000));
    QCOMPARE(edge->closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
    QVERIFY2(edge->closeReason().contains(QStringLiteral("keepalive")), qPrintable(edge->closeReason()));
    QVERIFY(bystander->isConnected());
    QVERIFY(answersPing(*bystander));
}

void TestHubEndpoint::headerNamesInAnyCase()
{
    // Go's http client canonicalises node_id to Node_id and ConnectionUse to Connectionuse.
    TestEdge edge(QStringLiteral("case-1"));
    QVERIFY(edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    edge.removeHeader("node_id");
    edge.removeHeader("ConnectionUse");
    edge.setHeader("Node_id", "case-1");
    edge.setHeader("Connectionuse", "msg");
    QVERIFY(edge.connectTo(m_hub->webSocketPort()));
    QVERIFY(answersPing(edge));
}

void TestHubEndpoint::silentClientAfterTlsIsDropped()
{
    TestEdge edge(QStringLiteral("silent-1"));
    QVERIFY(edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    QSslSocket sock;
    sock.setSslConfiguration(edge.sslConfiguration());
    sock.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_hub->webSocketPort());
    QVERIFY(sock.waitForEncrypted(5000));
    // No upgrade request: the hub hangs up once the handshake timeout has passed.
    QTRY_COMPARE_WITH_TIMEOUT(sock.state(), QAbstractSocket::UnconnectedState, (HandshakeSeconds + 3) * 1000);
    QVERIFY(m_hub->waitForOutput(QStringLiteral("no WebSocket upgrade within the handshake timeout")));
}

void TestHubEndpoint::refusedIdentity_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("reasonPart");
    QTest::newRow("node_id of another node")
        << QByteArray("node_id") << QByteArray("someone-else") << "does not name";
    QTest::newRow("no node_id") << QByteArray("node_id") << QByteArray() << "node_id";
    QTest::newRow("ConnectionUse str") << QByteArray("ConnectionUse") << QByteArray("str") << "ConnectionUse";
}

void TestHubEndpoint::refusedIdentity()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    QFETCH(QString, reasonPart);
    TestEdge edge(QStringLiteral("ident-1"));
    QVERIFY(edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    if (value.isEmpty())
        edge.removeHeader(header);
    else
        edge.setHeader(header, value);
    edge.connectTo(m_hub->webSocketPort());
    QVERIFY(edge.waitForDisconnected());
    QCOMPARE(edge.closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
    QVERIFY2(edge.closeReason().contains(reasonPart), qPrintable(edge.closeReason()));
}

void TestHubEndpoint::noClientCertificateFailsTls()
{
    TestEdge edge(QStringLiteral("nocert-1"));
    QVERIFY(edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    edge.clearClientCertificate();
    const qsizetype mark = m_hub->output().size();
    QVERIFY(!edge.connectTo(m_hub->webSocketPort()));
    QVERIFY(!edge.isConnected());
    QTRY_VERIFY(m_hub->output().mid(mark).contains(QStringLiteral("TLS handshake from")));
}

void TestHubEndpoint::certificateOfAnotherCaFailsTls()
{
    TestEdge real(QStringLiteral("foreign-1"));
    QVERIFY(real.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    auto otherCa = crypto::CertAuthority::create(QStringLiteral("Other CA"));
    QVERIFY(otherCa.ok());
    auto key = crypto::PrivateKey::generateP256();
    auto csr = crypto::createCsrDer(key.value(), QStringLiteral("system:node:foreign-1"),
                                    {QStringLiteral("system:nodes")});
    auto cert = otherCa->signCsr(csr.value(), 3600);
    QVERIFY(cert.ok());
    TestEdge edge(QStringLiteral("foreign-1"));
    edge.setIdentity(real.ca(), cert.value(), key.value()); // trusts the hub, presents a foreign cert
    const qsizetype mark = m_hub->output().size();
    QVERIFY(!edge.connectTo(m_hub->webSocketPort()));
    QTRY_VERIFY(m_hub->output().mid(mark).contains(QStringLiteral("TLS handshake from")));
    // The same edge with its real certificate is welcome: the refusal was about the certificate.
    TestEdge ok(QStringLiteral("foreign-1"));
    ok.setIdentity(real.ca(), real.certificate(), real.key());
    QVERIFY(ok.connectTo(m_hub->webSocketPort()));
}

void TestHubEndpoint::oversizedFrameClosesOnlyThatSession()
{
    auto big = connectedEdge(QStringLiteral("big-1"), *m_hub);
    QVERIFY(big);
    auto bystander = connectedEdge(QStringLiteral("calm-1"), *m_hub);
    QVERIFY(bystander);
    Message m = control(QStringLiteral("update"));
    m.setContentString(QString(MaxFrameBytes * 2, u'x'));
    big->send(m);
    QVERIFY(big->waitForDisconnected());
    QCOMPARE(big->closeCode(), QWebSocketProtocol::CloseCodeTooMuchData);
    QVERIFY(answersPing(*bystander));
    QVERIFY(m_hub->isRunning());
}

void TestHubEndpoint::malformedFrames_data()
{
    QTest::addColumn<QString>("frame");
    QTest::addColumn<bool>("closes");
    QTest::newRow("not JSON") << QStringLiteral("{this is not json") << true;
    QTest::newRow("JSON but not an envelope") << QStringLiteral("[1,2,3]") << false;
    QTest::newRow("non-decimal resourceversion")
        << QStringLiteral(
               R"({"header":{"msg_id":"1","timestamp":1,"resourceversion":"abc"},"route":{"source":"edged","group":"resource","operation":"update","resource":"default/pod/a"},"content":null})")
        << false;
    QTest::newRow("timestamp as a string")
        << QStringLiteral(
               R"({"header":{"msg_id":"1","timestamp":"soon"},"route":{"operation":"update"},"content":null})")
        << false;
}

void TestHubEndpoint::malformedFrames()
{
    QFETCH(QString, frame);
    QFETCH(bool, closes);
    auto edge = connectedEdge(QStringLiteral("bad-1"), *m_hub);
    QVERIFY(edge);
    auto bystander = connectedEdge(QStringLiteral("good-1"), *m_hub);
    QVERIFY(bystander);
    edge->sendText(frame);
    if (closes) {
        QVERIFY(edge->waitForDisconnected());
        QCOMPARE(edge->closeCode(), QWebSocketProtocol::CloseCodeWrongDatatype);
        QVERIFY2(edge->closeReason().contains(QStringLiteral("malformed")), qPrintable(edge->closeReason()));
    } else {
        // The message is dropped with a logged reason; the session goes on.
        QVERIFY(answersPing(*edge));
        QVERIFY(m_hub->waitForOutput(QStringLiteral("dropped a malformed message")));
    }
    QVERIFY(answersPing(*bystander));
}

void TestHubEndpoint::nodeLimit()
{
    HubProcess hub({QStringLiteral("--node-limit"), QStringLiteral("2")});
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    auto a = connectedEdge(QStringLiteral("lim-a"), hub);
    auto b = connectedEdge(QStringLiteral("lim-b"), hub);
    QVERIFY(a && b);

    TestEdge c(QStringLiteral("lim-c"));
    QVERIFY(c.bootstrap(hub.bootstrapUrl(), hub.joinToken()).ok());
    const RawClose refused = c.rawConnectAndReadClose(hub.webSocketPort());
    QVERIFY2(refused.upgraded, qPrintable(refused.error));
    QCOMPARE(refused.code, 1013);
    QVERIFY2(refused.reason.contains(QStringLiteral("limit")), qPrintable(refused.reason));

    // A node already connected may still reconnect (it replaces its own session).
    TestEdge again(QStringLiteral("lim-a"));
    again.setIdentity(a->ca(), a->certificate(), a->key());
    QVERIFY(again.connectTo(hub.webSocketPort()));
    QVERIFY(a->waitForDisconnected());
    QVERIFY(answersPing(*b));
    QCOMPARE(hub.stop(), 0);
}

void TestHubEndpoint::sendBufferCapClosesOnlyThatSession()
{
    HubProcess hub({QStringLiteral("--send-buffer-bytes"), QStringLiteral("65536")});
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    auto bystander = connectedEdge(QStringLiteral("buf-ok"), hub);
    QVERIFY(bystander);

    TestEdge slow(QStringLiteral("buf-slow"));
    QVERIFY(slow.bootstrap(hub.bootstrapUrl(), hub.joinToken()).ok());
    std::unique_ptr<QSslSocket> sock = slow.rawConnect(hub.webSocketPort());
    QVERIFY(sock);
    sock->setReadBufferSize(16 * 1024); // stop reading: the hub's answers pile up on its side
    // Each ping is answered with an ack that copies its 32 KiB resource: ~13 MB of answers,
    // more than the kernel buffers between the two sockets hold.
    Message ping = control(op::Ping);
    ping.setResource(QString(32 * 1024, u'r'));
    for (int i = 0; i < 400 && sock->state() == QAbstractSocket::ConnectedState; ++i) {
        ping.header().id = Message::newId();
        sock->write(TestEdge::clientFrame(1, codec::encode(ping)));
        if (i % 20 == 0)
            QCoreApplication::processEvents();
    }
    QVERIFY(hub.waitForOutput(QStringLiteral("send buffer over its cap"), 10000));
    QVERIFY(answersPing(*bystander));
    QCOMPARE(hub.stop(), 0);
}

void TestHubEndpoint::secondHubOnTheSameDataDirIsRefused()
{
    HubProcess second({}, m_hub->dataDir());
    QVERIFY(!second.start(10000));
    QVERIFY(!second.isRunning());
    QVERIFY(second.process().exitCode() != 0);
    QVERIFY2(second.output().contains(m_hub->dataDir()), qPrintable(second.output()));
    QVERIFY(m_hub->isRunning());
}

void TestHubEndpoint::sampleConfigMatchesTheSchema()
{
    QProcess p;
    p.start(binaryPath(QStringLiteral("cloudhub")), {QStringLiteral("--print-default-config")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    QFile sample(QStringLiteral(QEDGE_SOURCE_DIR) + QStringLiteral("/resources/cloudhub.conf"));
    QVERIFY(sample.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(sample.readAll()));
}

void TestHubEndpoint::sigtermExitsZero()
{
    auto edge = connectedEdge(QStringLiteral("last-1"), *m_hub);
    QVERIFY(edge);
    QCOMPARE(m_hub->stop(), 0);
    QVERIFY(edge->waitForDisconnected());
}

QTEST_GUILESS_MAIN(TestHubEndpoint)
#include "tst_hubendpoint.moc"
