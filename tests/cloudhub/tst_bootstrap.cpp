// Certificate bootstrap against the real cloudhub binary: /ca.crt, /edge.crt with a join token,
// rotation with the current certificate, refusals with reasons, the 429 limiter, token issuing.
#include "shared/crypto/certauthority.h"
#include "shared/crypto/csr.h"
#include "shared/crypto/jointoken.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testedge.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>
#include <QtTest>

using namespace qedge;
using namespace qedge::test;

namespace {

struct AdminReply
{
    int status = 0;
    QJsonObject body;
};

AdminReply postJson(const QUrl &base, const QString &path, const QJsonObject &body, const QByteArray &token)
{
    QNetworkAccessManager nam;
    QNetworkRequest req(base.resolved(QUrl(path)));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    req.setSslConfiguration(tls);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    req.setRawHeader("Authorization", "Bearer " + token);
    QNetworkReply *reply = nam.post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    AdminReply out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return out;
}

QByteArray csrFor(const QString &cn)
{
    auto key = crypto::PrivateKey::generateP256();
    auto csr = crypto::createCsrDer(key.value(), cn, {QStringLiteral("system:nodes")});
    return csr ? csr.value() : QByteArray();
}

QByteArray jwtOf(const QString &token)
{
    auto split = crypto::splitJoinToken(token);
    return split ? split->jwt : QByteArray();
}

} // namespace

class TestBootstrap : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void caCertificateMatchesTokenHash();
    void bootstrapWithToken();
    void rotationWithCurrentCertificate();
    void rotationRefusesCertificateOfAnotherNode();
    void refused_data();
    void refused();
    void bodyOverOneMiBIsRefusedUnread();
    void adminTokensNeedTheAdminToken();
    void tooManyFailuresGet429();

private:
    crypto::Certificate caOf(HubProcess &hub);

    // Failure tests run on a hub that allows many failures; the limiter has its own hub.
    std::unique_ptr<HubProcess> m_hub;
};

void TestBootstrap::initTestCase()
{
    m_hub = std::make_unique<HubProcess>(
        QStringList{QStringLiteral("--failed-attempts-per-minute"), QStringLiteral("1000")});
    QVERIFY2(m_hub->start(), qPrintable(m_hub->output()));
    QVERIFY(!m_hub->joinToken().isEmpty());
}

void TestBootstrap::cleanupTestCase()
{
    if (m_hub)
        QCOMPARE(m_hub->stop(), 0);
}

crypto::Certificate TestBootstrap::caOf(HubProcess &hub)
{
    const HttpReply reply = TestEdge::fetchCa(hub.bootstrapUrl());
    auto ca = crypto::Certificate::fromDer(reply.body);
    return ca ? ca.value() : crypto::Certificate();
}

void TestBootstrap::caCertificateMatchesTokenHash()
{
    const HttpReply reply = TestEdge::fetchCa(m_hub->bootstrapUrl());
    QCOMPARE(reply.status, 200);
    auto ca = crypto::Certificate::fromDer(reply.body);
    QVERIFY2(ca.ok(), qPrintable(ca.errorMessage()));
    QVERIFY(ca->info().isCa);
    auto split = crypto::splitJoinToken(m_hub->joinToken());
    QVERIFY(split.ok());
    QCOMPARE(ca->sha256Hex(), split->caHash);
}

void TestBootstrap::bootstrapWithToken()
{
    TestEdge edge(QStringLiteral("boot-1"));
    const Status s = edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken());
    QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
    const crypto::CertInfo info = edge.certificate().info();
    QCOMPARE(info.commonName, QStringLiteral("system:node:boot-1"));
    QCOMPARE(info.organizations, QStringList{QStringLiteral("system:nodes")});
    QVERIFY(info.clientAuth);
    QCOMPARE(edge.certificate().publicKeyDer(), edge.key().publicKeyDer());
    const Status verified =
        edge.certificate().verifySignedBy(caOf(*m_hub), crypto::Certificate::Purpose::ClientAuth);
    QVERIFY2(verified.ok(), qPrintable(verified.errorMessage()));
}

void TestBootstrap::rotationWithCurrentCertificate()
{
    TestEdge edge(QStringLiteral("rot-1"));
    QVERIFY(edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    const QByteArray oldSerial = edge.certificate().info().serialHex;
    const Status s = edge.rotate(m_hub->bootstrapUrl());
    QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
    QVERIFY(edge.certificate().info().serialHex != oldSerial);
    QCOMPARE(edge.certificate().info().commonName, QStringLiteral("system:node:rot-1"));
    QCOMPARE(edge.certificate().publicKeyDer(), edge.key().publicKeyDer());
}

void TestBootstrap::rotationRefusesCertificateOfAnotherNode()
{
    TestEdge edge(QStringLiteral("rot-2"));
    QVERIFY(edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    const crypto::Certificate cert = edge.certificate();
    const crypto::PrivateKey key = edge.key();
    const HttpReply reply = TestEdge::requestCertificate(m_hub->bootstrapUrl(), edge.ca(),
                                                         csrFor(QStringLiteral("system:node:rot-3")),
                                                         QByteArray(), QStringLiteral("rot-3"), &cert, &key);
    QCOMPARE(reply.status, 401);
    QVERIFY2(reply.body.contains("rot-3"), reply.body.constData());
}

void TestBootstrap::refused_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("reasonPart");
    QTest::newRow("no Authorization") << "no-auth" << 401 << "Authorization";
    QTest::newRow("bad token") << "bad-token" << 401 << "";
    QTest::newRow("token of another CA") << "foreign-token" << 401 << "";
    QTest::newRow("expired token") << "expired-token" << 401 << "";
    QTest::newRow("token bound to another node") << "bound-token" << 401 << "another node";
    QTest::newRow("garbage CSR") << "garbage-csr" << 400 << "CSR";
    QTest::newRow("CN not naming the node") << "cn-mismatch" << 400 << "system:node:n1";
    QTest::newRow("no NodeName") << "no-node" << 400 << "NodeName";
}

void TestBootstrap::refused()
{
    QFETCH(QString, kind);
    QFETCH(int, status);
    QFETCH(QString, reasonPart);

    const crypto::Certificate ca = caOf(*m_hub);
    QVERIFY(!ca.isNull());
    QString node = QStringLiteral("n1");
    QByteArray csr = csrFor(QStringLiteral("system:node:n1"));
    QByteArray auth = "Bearer " + jwtOf(m_hub->joinToken());

    if (kind == QLatin1String("no-auth")) {
        auth.clear();
    } else if (kind == QLatin1String("bad-token")) {
        auth = "Bearer not.a.jwt";
    } else if (kind == QLatin1String("foreign-token")) {
        auto other = crypto::CertAuthority::create();
        QVERIFY(other.ok());
        auth = "Bearer " +
               jwtOf(crypto::createJoinToken(other.value(), QDateTime::currentSecsSinceEpoch() + 3600));
    } else if (kind == QLatin1String("expired-token")) {
        const AdminReply r = postJson(m_hub->adminUrl(), QStringLiteral("/api/v1/tokens"),
                                      {{QStringLiteral("ttl"), 1}}, m_hub->adminToken());
        QCOMPARE(r.status, 201);
        auth = "Bearer " + jwtOf(r.body.value(QStringLiteral("token")).toString());
        QTest::qWait(2100);
    } else if (kind == QLatin1String("bound-token")) {
        const AdminReply r =
            postJson(m_hub->adminUrl(), QStringLiteral("/api/v1/tokens"),
                     {{QStringLiteral("node"), QStringLiteral("someone-else")}}, m_hub->adminToken());
        QCOMPARE(r.status, 201);
        auth = "Bearer " + jwtOf(r.body.value(QStringLiteral("token")).toString());
    } else if (kind == QLatin1String("garbage-csr")) {
        csr = "this is not DER";
    } else if (kind == QLatin1String("cn-mismatch")) {
        csr = csrFor(QStringLiteral("system:node:n2"));
    } else if (kind == QLatin1String("no-node")) {
        node = QString();
    }

    const HttpReply reply = TestEdge::requestCertificate(m_hub->bootstrapUrl(), ca, csr, auth, node);
    QCOMPARE(reply.status, status);
    QVERIFY2(!reply.body.isEmpty(), "a refusal says why");
    if (!reasonPart.isEmpty())
        QVERIFY2(reply.body.contains(reasonPart.toUtf8()), reply.body.constData());
}

void TestBootstrap::bodyOverOneMiBIsRefusedUnread()
{
    // Raw TLS: the server answers after the headers, before the client sends any of the body.
    QSslSocket sock;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    sock.setSslConfiguration(tls);
    sock.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_hub->httpsPort());
    QVERIFY(sock.waitForEncrypted(5000));
    sock.write("GET /edge.crt HTTP/1.1\r\nHost: 127.0.0.1\r\nNodeName: n1\r\nAuthorization: Bearer " +
               jwtOf(m_hub->joinToken()) + "\r\nContent-Length: 1048577\r\n\r\n");
    QByteArray answer;
    while (!answer.contains("\r\n") && sock.waitForReadyRead(5000))
        answer += sock.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.constData());
}

void TestBootstrap::adminTokensNeedTheAdminToken()
{
    const AdminReply bad = postJson(m_hub->adminUrl(), QStringLiteral("/api/v1/tokens"), {}, "wrong-token");
    QCOMPARE(bad.status, 401);
    QVERIFY(!bad.body.value(QStringLiteral("error")).toString().isEmpty());

    const AdminReply good = postJson(m_hub->adminUrl(), QStringLiteral("/api/v1/tokens"),
                                     {{QStringLiteral("ttl"), 600}}, m_hub->adminToken());
    QCOMPARE(good.status, 201);
    const QString token = good.body.value(QStringLiteral("token")).toString();
    TestEdge edge(QStringLiteral("tok-1"));
    const Status s = edge.bootstrap(m_hub->bootstrapUrl(), token);
    QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
}

void TestBootstrap::tooManyFailuresGet429()
{
    HubProcess hub; // default limit: 10 failures a minute per address
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    const crypto::Certificate ca = caOf(hub);
    const QByteArray csr = csrFor(QStringLiteral("system:node:n1"));
    for (int i = 0; i < 10; ++i) {
        const HttpReply r =
            TestEdge::requestCertificate(hub.bootstrapUrl(), ca, csr, "Bearer bad", QStringLiteral("n1"));
        QCOMPARE(r.status, 401);
    }
    // Blocked now, even with the right token.
    const HttpReply blocked = TestEdge::requestCertificate(
        hub.bootstrapUrl(), ca, csr, "Bearer " + jwtOf(hub.joinToken()), QStringLiteral("n1"));
    QCOMPARE(blocked.status, 429);
    // The hub keeps serving what is not rate-limited.
    QCOMPARE(TestEdge::fetchCa(hub.bootstrapUrl()).status, 200);
    QCOMPARE(hub.stop(), 0);
}

QTEST_GUILESS_MAIN(TestBootstrap)
#include "tst_bootstrap.moc"
