#include "shared/http/requestparser.h"
#include "shared/http/securelistener.h"
#include "shared/http/server.h"
#include "shared/http/websocketlimits.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSslKey>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>
#include <optional>

using namespace qedge::http;

namespace {

constexpr int WaitMs = 5000;

struct RawResponse
{
    int status = 0;
    QHash<QByteArray, QByteArray> headers;
    QByteArray body;
};

// Takes one complete response off the front of buffer.
std::optional<RawResponse> takeResponse(QByteArray &buffer)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return std::nullopt;
    const QByteArrayList lines = buffer.left(end).split('\n');
    RawResponse r;
    r.status = lines.value(0).mid(9, 3).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.insert(line.left(colon).toLower(), line.mid(colon + 1).trimmed());
    }
    const qint64 length = r.headers.value("content-length").toLongLong();
    if (buffer.size() < end + 4 + length)
        return std::nullopt;
    r.body = buffer.mid(end + 4, length);
    buffer.remove(0, end + 4 + length);
    return r;
}

// A byte-level client: writes what the test says and reads responses off the wire.
class RawClient
{
public:
    explicit RawClient(quint16 port) { m_socket.connectToHost(QHostAddress::LocalHost, port); }

    void write(const QByteArray &bytes)
    {
        if (!QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, WaitMs))
            qWarning() << "raw client did not connect";
        m_socket.write(bytes);
    }
    std::optional<RawResponse> next(int timeoutMs = WaitMs)
    {
        std::optional<RawResponse> r;
        const bool got = QTest::qWaitFor(
            [&] {
                m_buffer += m_socket.readAll();
                r = takeResponse(m_buffer);
                return r.has_value();
            },
            timeoutMs);
        return got ? r : std::nullopt;
    }
    bool waitClosed(int timeoutMs = WaitMs)
    {
        return QTest::qWaitFor(
            [this] {
                m_buffer += m_socket.readAll();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
    }
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

struct HttpResult
{
    int status = 0;
    QByteArray body;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray allow;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

HttpResult send(QNetworkAccessManager &nam, const QNetworkRequest &request, const QByteArray &verb,
                const QByteArray &body = {})
{
    QNetworkReply *reply = nam.sendCustomRequest(request, verb, body);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, WaitMs))
        reply->abort();
    HttpResult r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.error = reply->error();
    r.allow = reply->rawHeader("Allow");
    delete reply;
    return r;
}

bool runOpenssl(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("openssl"), args);
    return p.waitForFinished(20000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

} // namespace

class tst_HttpServer : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void routing_data();
    void routing();
    void methodNotAllowed();
    void getWithBody();
    void standardHeaders();
    void keepAliveTwoRequests();
    void pipelinedRequests();
    void bodyTooLargeIsNotRead();
    void headersTooLarge_data();
    void headersTooLarge();
    void hostileInput_data();
    void hostileInput();
    void parserNeverCrashes();
    void mutatedRequestsOverSocket();
    void slowClientGets408_data();
    void slowClientGets408();
    void idleConnectionClosed();
    void expectContinue();
    void asyncResponder();
    void answerTwiceIsIgnored();
    void silentHandlerGets504();
    void maxConnections();

    void tlsRequest();
    void tlsPeerCertificate_data();
    void tlsPeerCertificate();
    void tlsRequiredClientCertificate_data();
    void tlsRequiredClientCertificate();
    void tlsHandshakeTimeout();
    void tlsGarbageIsCounted();

    void webSocketUpgrade_data();
    void webSocketUpgrade();
    void webSocketRefused();

private:
    std::unique_ptr<Server> startServer(const Limits &limits = {},
                                        const std::optional<QSslConfiguration> &tls = std::nullopt);
    QSslConfiguration serverTls(QSslSocket::PeerVerifyMode mode) const;
    QSslConfiguration clientTls(bool withCertificate) const;
    QUrl url(const Server &server, const QString &path, bool tls = false) const;

    QTemporaryDir m_dir;
    QSslCertificate m_serverCert;
    QSslKey m_serverKey;
    QSslCertificate m_clientCert;
    QSslKey m_clientKey;
    int m_echoCalls = 0;
};

void tst_HttpServer::initTestCase()
{
    QLoggingCategory::setFilterRules(QStringLiteral("qedge.http.debug=false"));
    QVERIFY(m_dir.isValid());
    QVERIFY(QSslSocket::supportsSsl());
    const auto makeCert = [this](const QString &name, const QString &cn, QSslCertificate &cert,
                                 QSslKey &key) {
        const QString keyPath = m_dir.filePath(name + QStringLiteral(".key"));
        const QString certPath = m_dir.filePath(name + QStringLiteral(".crt"));
        if (!runOpenssl({QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                         QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                         QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                         QStringLiteral("-keyout"), keyPath, QStringLiteral("-out"), certPath,
                         QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                         QStringLiteral("/CN=") + cn, QStringLiteral("-addext"),
                         QStringLiteral("subjectAltName=IP:127.0.0.1")}))
            return false;
        QFile k(keyPath), c(certPath);
        if (!k.open(QIODevice::ReadOnly) || !c.open(QIODevice::ReadOnly))
            return false;
        key = QSslKey(k.readAll(), QSsl::Ec, QSsl::Pem);
        cert = QSslCertificate(c.readAll(), QSsl::Pem);
        return !key.isNull() && !cert.isNull();
    };
    QVERIFY(makeCert(QStringLiteral("server"), QStringLiteral("127.0.0.1"), m_serverCert, m_serverKey));
    QVERIFY(
        makeCert(QStringLiteral("client"), QStringLiteral("system:node:edge-1"), m_clientCert, m_clientKey));
}

std::unique_ptr<Server> tst_HttpServer::startServer(const Limits &limits,
                                                    const std::optional<QSslConfiguration> &tls)
{
    auto server = std::make_unique<Server>();
    server->setLimits(limits);
    server->routeSync("GET", QStringLiteral("/hello"),
                      [](const Request &) { return Response::text(200, QStringLiteral("hello")); });
    const QString resource = QStringLiteral("/api/v1/nodes/{node}/resources/{ns}/{type}/{name}");
    const auto describe = [](const Request &r) {
        QJsonObject o = QJsonObject::fromVariantMap(r.pathParams);
        o.insert(QStringLiteral("method"), QString::fromLatin1(r.method));
        o.insert(QStringLiteral("path"), r.path);
        o.insert(QStringLiteral("q"), r.query.queryItemValue(QStringLiteral("q"), QUrl::FullyDecoded));
        o.insert(QStringLiteral("bodySize"), r.body.size());
        return Response::json(200, o);
    };
    server->routeSync("GET", resource, describe);
    server->routeSync("PUT", resource, describe);
    const auto echo = [this](const Request &r) {
        ++m_echoCalls;
        return Response::bytes(200, "application/octet-stream", r.body);
    };
    server->routeSync("GET", QStringLiteral("/echo"), echo);
    server->routeSync("POST", QStringLiteral("/echo"), echo);
    server->route("GET", QStringLiteral("/later"), [](const Request &, std::shared_ptr<Responder> responder) {
        QTimer::singleShot(50,
                           [responder] { responder->send(Response::text(200, QStringLiteral("later"))); });
    });
    server->route("GET", QStringLiteral("/twice"), [](const Request &, std::shared_ptr<Responder> responder) {
        responder->send(Response::text(200, QStringLiteral("first")));
        responder->send(Response::text(200, QStringLiteral("second")));
    });
    server->route("GET", QStringLiteral("/never"), [](const Request &, std::shared_ptr<Responder>) {});
    server->routeSync("GET", QStringLiteral("/peer"), [](const Request &r) {
        const QString cn = r.peerCertificateChain.isEmpty() ? QString()
                                                            : r.peerCertificateChain.first()
                                                                  .subjectInfo(QSslCertificate::CommonName)
                                                                  .join(QLatin1Char(','));
        return Response::json(200, QJsonObject{{QStringLiteral("chain"), int(r.peerCertificateChain.size())},
                                               {QStringLiteral("cn"), cn}});
    });
    if (!server->listen(QHostAddress::LocalHost, 0, tls)) {
        qWarning() << "listen failed:" << server->errorString();
        return nullptr;
    }
    return server;
}

QSslConfiguration tst_HttpServer::serverTls(QSslSocket::PeerVerifyMode mode) const
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setLocalCertificate(m_serverCert);
    c.setPrivateKey(m_serverKey);
    c.setPeerVerifyMode(mode);
    return c;
}

QSslConfiguration tst_HttpServer::clientTls(bool withCertificate) const
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setCaCertificates({m_serverCert});
    if (withCertificate) {
        c.setLocalCertificate(m_clientCert);
        c.setPrivateKey(m_clientKey);
    }
    return c;
}

QUrl tst_HttpServer::url(const Server &server, const QString &path, bool tls) const
{
    return QUrl(QStringLiteral("%1://127.0.0.1:%2%3")
                    .arg(tls ? QStringLiteral("https") : QStringLiteral("http"))
                    .arg(server.port())
                    .arg(path));
}

void tst_HttpServer::routing_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("node");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("q");

    QTest::newRow("literal") << "/hello" << 200 << ""
                             << ""
                             << "";
    QTest::newRow("params") << "/api/v1/nodes/edge-1/resources/default/pods/web" << 200 << "edge-1"
                            << "web"
                            << "";
    QTest::newRow("encoded slash stays in segment")
        << "/api/v1/nodes/edge-1/resources/default/configmaps/a%2Fb" << 200 << "edge-1"
        << "a/b"
        << "";
    QTest::newRow("encoded unicode") << "/api/v1/nodes/n%C3%B6de/resources/default/pods/x" << 200
                                     << "n\u00f6de"
                                     << "x"
                                     << "";
    QTest::newRow("query") << "/api/v1/nodes/e/resources/d/pods/p?q=a%20b&z=1" << 200 << "e"
                           << "p"
                           << "a b";
    QTest::newRow("unknown path") << "/nope" << 404 << ""
                                  << ""
                                  << "";
    QTest::newRow("too few segments") << "/api/v1/nodes/e/resources/d/pods" << 404 << ""
                                      << ""
                                      << "";
    QTest::newRow("empty param") << "/api/v1/nodes//resources/d/pods/p" << 404 << ""
                                 << ""
                                 << "";
    QTest::newRow("trailing slash") << "/hello/" << 404 << ""
                                    << ""
                                    << "";
}

void tst_HttpServer::routing()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    auto server = startServer();
    QVERIFY(server);
    QNetworkAccessManager nam;
    const HttpResult r = send(nam, QNetworkRequest(QUrl::fromEncoded(url(*server, path).toEncoded())), "GET");
    QCOMPARE(r.status, status);
    if (status == 404) {
        QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("not_found"));
        return;
    }
    if (path == QLatin1String("/hello")) {
        QCOMPARE(r.body, QByteArray("hello"));
        return;
    }
    const QJsonObject o = r.json();
    QFETCH(QString, node);
    QFETCH(QString, name);
    QCOMPARE(o.value(QStringLiteral("node")).toString(), node);
    QFETCH(QString, q);
    QCOMPARE(o.value(QStringLiteral("name")).toString(), name);
    QCOMPARE(o.value(QStringLiteral("q")).toString(), q);
    QCOMPARE(o.value(QStringLiteral("ns")).toString().isEmpty(), false);
}

void tst_HttpServer::methodNotAllowed()
{
    auto server = startServer();
    QVERIFY(server);
    QNetworkAccessManager nam;
    HttpResult r = send(nam, QNetworkRequest(url(*server, QStringLiteral("/hello"))), "DELETE");
    QCOMPARE(r.status, 405);
    QCOMPARE(r.allow, QByteArray("GET"));
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("method_not_allowed"));

    r = send(nam, QNetworkRequest(url(*server, QStringLiteral("/api/v1/nodes/a/resources/b/c/d"))), "POST");
    QCOMPARE(r.status, 405);
    QCOMPARE(r.allow, QByteArray("GET, PUT"));
    r = send(nam, QNetworkRequest(url(*server, QStringLiteral("/api/v1/nodes/a/resources/b/c/d"))), "PUT",
             "xyz");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("bodySize")).toInt(), 3);
}

void tst_HttpServer::getWithBody()
{
    // KubeEdge's GET /edge.crt carries a CSR in its body.
    auto server = startServer();
    QVERIFY(server);
    QNetworkAccessManager nam;
    const QByteArray csr(3000, 'c');
    const HttpResult r = send(nam, QNetworkRequest(url(*server, QStringLiteral("/echo"))), "GET", csr);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, csr);
}

void tst_HttpServer::standardHeaders()
{
    auto server = startServer();
    QVERIFY(server);
    RawClient client(server->port());
    client.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = client.next();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->headers.value("content-length"), QByteArray("5"));
    QCOMPARE(r->headers.value("connection"), QByteArray("keep-alive"));
    QVERIFY(r->headers.value("date").endsWith(" GMT"));
    QCOMPARE(r->headers.value("content-type"), QByteArray("text/plain; charset=utf-8"));

    client.write("GET /missing HTTP/1.0\r\n\r\n"); // HTTP/1.0 defaults to close
    r = client.next();
    QVERIFY(r);
    QCOMPARE(r->status, 404);
    QCOMPARE(r->headers.value("connection"), QByteArray("close"));
    QVERIFY(r->headers.contains("date"));
    QVERIFY(client.waitClosed());
}

void tst_HttpServer::keepAliveTwoRequests()
{
    auto server = startServer();
    QVERIFY(server);
    RawClient client(server->port());
    client.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    auto first = client.next();
    QVERIFY(first);
    QCOMPARE(first->body, QByteArray("hello"));
    client.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nping");
    auto second = client.next();
    QVERIFY(second);
    QCOMPARE(second->status, 200);
    QCOMPARE(second->body, QByteArray("ping"));
    QVERIFY(client.isConnected());
    QCOMPARE(server->listener()->openConnections(), 1);
}

void tst_HttpServer::pipelinedRequests()
{
    auto server = startServer();
    QVERIFY(server);
    RawClient client(server->port());
    // Sent in one write; the slow one first, so answers must still come back in order.
    client.write("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                 "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const QByteArrayList expected{"later", "abc", "hello"};
    for (const QByteArray &body : expected) {
        auto r = client.next();
        QVERIFY2(r, body.constData());
        QCOMPARE(r->body, body);
    }
    QVERIFY(client.waitClosed());
}

void tst_HttpServer::bodyTooLargeIsNotRead()
{
    Limits limits;
    limits.maxBodyBytes = 1000;
    auto server = startServer(limits);
    QVERIFY(server);
    m_echoCalls = 0;
    RawClient client(server->port());
    client.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + QByteArray(500, 'b'));
    auto r = client.next();
    QVERIFY(r);
    QCOMPARE(r->status, 413);
    QCOMPARE(r->headers.value("connection"), QByteArray("close"));
    QVERIFY(client.waitClosed());
    QCOMPARE(m_echoCalls, 0);
    QCOMPARE(server->listener()->rejected(QStringLiteral("body-too-large")), quint64(1));

    // At the limit it is fine.
    QNetworkAccessManager nam;
    const HttpResult ok =
        send(nam, QNetworkRequest(url(*server, QStringLiteral("/echo"))), "POST", QByteArray(1000, 'k'));
    QCOMPARE(ok.status, 200);
    QCOMPARE(ok.body.size(), 1000);
}

void tst_HttpServer::headersTooLarge_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("huge value") << QByteArray("GET /hello HTTP/1.1\r\nX-Big: " + QByteArray(20000, 'v') +
                                              "\r\n\r\n");
    QTest::newRow("no end in sight") << QByteArray("GET /hello HTTP/1.1\r\nX-Big: " + QByteArray(40000, 'v'));
    QByteArray many = "GET /hello HTTP/1.1\r\n";
    for (int i = 0; i < 101; ++i)
        many += "X-H" + QByteArray::number(i) + ": v\r\n";
    QTest::newRow("too many headers") << QByteArray(many + "\r\n");
    QTest::newRow("huge target") << QByteArray("GET /" + QByteArray(17000, 'p') + " HTTP/1.1\r\n\r\n");
}

void tst_HttpServer::headersTooLarge()
{
    QFETCH(QByteArray, request);
    auto server = startServer();
    QVERIFY(server);
    RawClient client(server->port());
    client.write(request);
    auto r = client.next();
    QVERIFY(r);
    QCOMPARE(r->status, 431);
    QVERIFY(client.waitClosed());
    QCOMPARE(server->listener()->rejected(QStringLiteral("header-too-large")), quint64(1));
}

void tst_HttpServer::hostileInput_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    const QByteArray end = "\r\n\r\n";
    QTest::newRow("garbage line") << QByteArray("GARBAGE" + end) << 400;
    QTest::newRow("method only") << QByteArray("GET" + end) << 400;
    QTest::newRow("no version") << QByteArray("GET /hello" + end) << 400;
    QTest::newRow("extra token") << QByteArray("GET /hello HTTP/1.1 x" + end) << 400;
    QTest::newRow("double space") << QByteArray("GET  /hello HTTP/1.1" + end) << 400;
    QTest::newRow("tab separator") << QByteArray("GET\t/hello HTTP/1.1" + end) << 400;
    QTest::newRow("bad protocol") << QByteArray("GET /hello FOO/1.1" + end) << 400;
    QTest::newRow("lower-case protocol") << QByteArray("GET /hello http/1.1" + end) << 400;
    QTest::newRow("version letters") << QByteArray("GET /hello HTTP/x.y" + end) << 400;
    QTest::newRow("HTTP/2") << QByteArray("GET /hello HTTP/2.0" + end) << 505;
    QTest::newRow("method with paren") << QByteArray("G(T /hello HTTP/1.1" + end) << 400;
    QTest::newRow("long method") << QByteArray(QByteArray(40, 'A') + " /hello HTTP/1.1" + end) << 400;
    QTest::newRow("relative target") << QByteArray("GET hello HTTP/1.1" + end) << 400;
    QTest::newRow("absolute form") << QByteArray("GET http://x/hello HTTP/1.1" + end) << 400;
    QTest::newRow("control in target") << QByteArray("GET /he\x01llo HTTP/1.1" + end) << 400;
    QTest::newRow("nul bytes") << (QByteArray("\0\0\0\0", 4) + end) << 400;
    QTest::newRow("tls hello") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + end) << 400;
    QTest::newRow("high bytes") << QByteArray("\xff\xfe\xfd /hello HTTP/1.1" + end) << 400;
    QTest::newRow("space in header name") << QByteArray("GET /hello HTTP/1.1\r\nBad Header: x" + end) << 400;
    QTest::newRow("space before colon") << QByteArray("GET /hello HTTP/1.1\r\nHost : x" + end) << 400;
    QTest::newRow("empty header name") << QByteArray("GET /hello HTTP/1.1\r\n: x" + end) << 400;
    QTest::newRow("no colon") << QByteArray("GET /hello HTTP/1.1\r\nNoColon" + end) << 400;
    QTest::newRow("control in value") << QByteArray("GET /hello HTTP/1.1\r\nX: a\x01z" + end) << 400;
    QTest::newRow("nul in value") << (QByteArray("GET /hello HTTP/1.1\r\nX: a\0z", 27) + end) << 400;
    QTest::newRow("bare LF in value") << QByteArray("GET /hello HTTP/1.1\r\nX: a\nb" + end) << 400;
    QTest::newRow("obs-fold") << QByteArray("GET /hello HTTP/1.1\r\nX: a\r\n b" + end) << 400;
    QTest::newRow("negative length") << QByteArray("POST /echo HTTP/1.1\r\nContent-Length: -1" + end) << 400;
    QTest::newRow("hex length") << QByteArray("POST /echo HTTP/1.1\r\nContent-Length: 0x10" + end) << 400;
    QTest::newRow("huge length")
        << QByteArray("POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999" + end) << 400;
    QTest::newRow("conflicting lengths")
        << QByteArray("POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2" + end) << 400;
    QTest::newRow("chunked") << QByteArray("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked" + end) << 411;
    QTest::newRow("unknown expectation") << QByteArray("POST /echo HTTP/1.1\r\nExpect: magic" + end) << 417;
    // Edge cases that are valid.
    QTest::newRow("empty header value") << QByteArray("GET /hello HTTP/1.1\r\nX:" + end) << 200;
    QTest::newRow("leading empty lines") << QByteArray("\r\n\r\nGET /hello HTTP/1.1" + end) << 200;
    QTest::newRow("same length twice")
        << QByteArray("POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1" + end + "x") << 200;
    QTest::newRow("obs-text value") << QByteArray("GET /hello HTTP/1.1\r\nX: caf\xc3\xa9" + end) << 200;
}

void tst_HttpServer::hostileInput()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    auto server = startServer();
    QVERIFY(server);
    RawClient client(server->port());
    client.write(request);
    auto r = client.next();
    QVERIFY(r);
    QCOMPARE(r->status, status);
    if (status >= 400) {
        QVERIFY(!r->headers.value("content-type").isEmpty());
        QVERIFY(
            !QJsonDocument::fromJson(r->body).object().value(QStringLiteral("error")).toString().isEmpty());
        QVERIFY(client.waitClosed());
    } else {
        QVERIFY(client.isConnected());
    }
}

void tst_HttpServer::parserNeverCrashes()
{
    QRandomGenerator rng(20240611);
    const QByteArrayList pieces{"GET",
                                "POST",
                                " ",
                                "/",
                                "/a%2F",
                                "?",
                                "HTTP/1.1",
                                "HTTP/",
                                "\r\n",
                                "\r",
                                "\n",
                                ":",
                                "Content-Length",
                                "Host",
                                "\t",
                                "\0",
                                "\xff",
                                "{",
                                "%",
                                "1.1",
                                "99999999999999999999"};
    const QByteArray valid =
        "GET /api/v1/nodes/x/resources/y/z/w?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
    int good = 0;
    for (int i = 0; i < 5000; ++i) {
        QByteArray input;
        if (i % 2) {
            const int n = rng.bounded(40);
            for (int j = 0; j < n; ++j)
                input += pieces.at(rng.bounded(int(pieces.size())));
            if (rng.bounded(2))
                input += "\r\n\r\n";
        } else {
            input = valid;
            const int flips = 1 + rng.bounded(4);
            for (int j = 0; j < flips; ++j)
                input[rng.bounded(int(input.size()))] = char(rng.bounded(256));
        }
        const qsizetype end = findHeadEnd(input);
        QVERIFY(end == -1 || (end >= 4 && end <= input.size()));
        const HeadParseResult r =
            parseRequestHead(end > 0 ? QByteArrayView(input).first(end) : QByteArrayView(input), 10);
        QVERIFY2(r.errorStatus == 0 || r.errorStatus == 400 || r.errorStatus == 431 || r.errorStatus == 505,
                 input.toPercentEncoding().constData());
        if (r.ok()) {
            ++good;
            QVERIFY(r.head.rawPath.startsWith('/'));
            QVERIFY(!r.head.method.isEmpty());
        }
    }
    QVERIFY(good > 0); // the mutations leave some requests valid, so both paths ran
    QCOMPARE(parseContentLength("0"), qint64(0));
    QCOMPARE(parseContentLength("123"), qint64(123));
    QCOMPARE(parseContentLength(""), qint64(-1));
    QCOMPARE(parseContentLength("+1"), qint64(-1));
    QCOMPARE(parseContentLength("1 "), qint64(-1));
}

void tst_HttpServer::mutatedRequestsOverSocket()
{
    Limits limits;
    limits.requestTimeoutMs = 200; // mutations that leave the request incomplete end in 408
    auto server = startServer(limits);
    QVERIFY(server);
    QRandomGenerator rng(7);
    const QByteArray valid = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
    const QList<int> expected{200, 400, 404, 405, 408, 411, 413, 417, 505};
    // All at once, so the ones waiting for their 408 wait together.
    std::vector<std::unique_ptr<RawClient>> clients;
    QByteArrayList inputs;
    for (int i = 0; i < 60; ++i) {
        QByteArray input = valid;
        input[rng.bounded(int(input.size()))] = char(rng.bounded(256));
        clients.push_back(std::make_unique<RawClient>(server->port()));
        clients.back()->write(input);
        inputs.append(input);
    }
    for (size_t i = 0; i < clients.size(); ++i) {
        auto r = clients[i]->next();
        QVERIFY2(r, inputs.at(qsizetype(i)).toPercentEncoding().constData());
        QVERIFY2(expected.contains(r->status), QByteArray::number(r->status).constData());
    }
    QNetworkAccessManager nam;
    QCOMPARE(send(nam, QNetworkRequest(url(*server, QStringLiteral("/hello"))), "GET").status, 200);
}

void tst_HttpServer::slowClientGets408_data()
{
    QTest::addColumn<QByteArray>("partial");
    QTest::newRow("slow headers") << QByteArray("GET /hello HTTP/1.1\r\nHost: x\r\n");
    QTest::newRow("slow body") << QByteArray("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
}

void tst_HttpServer::slowClientGets408()
{
    QFETCH(QByteArray, partial);
    Limits limits;
    limits.requestTimeoutMs = 300;
    auto server = startServer(limits);
    QVERIFY(server);
    RawClient client(server->port());
    client.write(partial);
    QTest::qWait(100);
    client.write("X"); // trickling bytes does not extend the deadline
    auto r = client.next();
    QVERIFY(r);
    QCOMPARE(r->status, 408);
    QVERIFY(client.waitClosed());
    QCOMPARE(server->listener()->rejected(QStringLiteral("request-timeout")), quint64(1));
}

void tst_HttpServer::idleConnectionClosed()
{
    Limits limits;
    limits.idleTimeoutMs = 300;
    auto server = startServer(limits);
    QVERIFY(server);
    RawClient client(server->port());
    client.write("GET /hello HTTP/1.1\r\n\r\n");
    QVERIFY(client.next());
    QVERIFY(client.isConnected());
    QVERIFY(client.waitClosed());
    QTRY_COMPARE(server->listener()->openConnections(), 0);
}

void tst_HttpServer::expectContinue()
{
    auto server = startServer();
    QVERIFY(server);
    RawClient client(server->port());
    client.write("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    auto interim = client.next();
    QVERIFY(interim);
    QCOMPARE(interim->status, 100);
    client.write("hello");
    auto final = client.next();
    QVERIFY(final);
    QCOMPARE(final->status, 200);
    QCOMPARE(final->body, QByteArray("hello"));
}

void tst_HttpServer::asyncResponder()
{
    auto server = startServer();
    QVERIFY(server);
    QNetworkAccessManager nam;
    const HttpResult r = send(nam, QNetworkRequest(url(*server, QStringLiteral("/later"))), "GET");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("later"));

    // The client leaves before the answer: sending later must be harmless.
    std::shared_ptr<Responder> kept;
    server->route(
        "GET", QStringLiteral("/keep"),
        [&kept](const Request &, std::shared_ptr<Responder> responder) { kept = std::move(responder); });
    {
        RawClient client(server->port());
        client.write("GET /keep HTTP/1.1\r\n\r\n");
        QTRY_VERIFY(kept);
        QVERIFY(kept->isPending());
    }
    QTRY_VERIFY(!kept->isPending());
    kept->send(Response::text(200, QStringLiteral("too late")));
    QVERIFY(kept->isAnswered());
}

void tst_HttpServer::answerTwiceIsIgnored()
{
    auto server = startServer();
    QVERIFY(server);
    RawClient client(server->port());
    client.write("GET /twice HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
    auto first = client.next();
    QVERIFY(first);
    QCOMPARE(first->body, QByteArray("first"));
    auto second = client.next();
    QVERIFY(second);
    QCOMPARE(second->body, QByteArray("hello"));
    QVERIFY(!client.next(200));
}

void tst_HttpServer::silentHandlerGets504()
{
    Limits limits;
    limits.responderTimeoutMs = 300;
    auto server = startServer(limits);
    QVERIFY(server);
    RawClient client(server->port());
    client.write("GET /never HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
    auto r = client.next();
    QVERIFY(r);
    QCOMPARE(r->status, 504);
    r = client.next(); // the connection carries on
    QVERIFY(r);
    QCOMPARE(r->status, 200);
}

void tst_HttpServer::maxConnections()
{
    Limits limits;
    limits.maxConnections = 2;
    auto server = startServer(limits);
    QVERIFY(server);
    RawClient a(server->port()), b(server->port());
    QTRY_COMPARE(server->listener()->openConnections(), 2);
    RawClient c(server->port());
    QVERIFY(c.waitClosed());
    QCOMPARE(server->listener()->rejected(QStringLiteral("max-connections")), quint64(1));
    QVERIFY(a.isConnected());
    a.write("GET /hello HTTP/1.1\r\n\r\n");
    auto r = a.next();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
}

void tst_HttpServer::tlsRequest()
{
    auto server = startServer({}, serverTls(QSslSocket::VerifyNone));
    QVERIFY(server);
    QVERIFY(server->listener()->isTls());
    QNetworkAccessManager nam;
    QNetworkRequest request(url(*server, QStringLiteral("/echo"), true));
    request.setSslConfiguration(clientTls(false));
    const QByteArray body(200 * 1024, 'z'); // several TLS records and more than the read buffer
    const HttpResult r = send(nam, request, "POST", body);
    QCOMPARE(r.error, QNetworkReply::NoError);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, body);
}

void tst_HttpServer::tlsPeerCertificate_data()
{
    QTest::addColumn<bool>("presentCertificate");
    QTest::newRow("client certificate") << true;
    QTest::newRow("no client certificate") << false;
}

void tst_HttpServer::tlsPeerCertificate()
{
    QFETCH(bool, presentCertificate);
    auto server = startServer({}, serverTls(QSslSocket::QueryPeer));
    QVERIFY(server);
    QNetworkAccessManager nam;
    QNetworkRequest request(url(*server, QStringLiteral("/peer"), true));
    request.setSslConfiguration(clientTls(presentCertificate));
    const HttpResult r = send(nam, request, "GET");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("chain")).toInt() > 0, presentCertificate);
    QCOMPARE(r.json().value(QStringLiteral("cn")).toString(),
             presentCertificate ? QStringLiteral("system:node:edge-1") : QString());
}

void tst_HttpServer::tlsRequiredClientCertificate_data()
{
    QTest::addColumn<bool>("presentCertificate");
    QTest::newRow("trusted client certificate") << true;
    QTest::newRow("no client certificate") << false;
}

void tst_HttpServer::tlsRequiredClientCertificate()
{
    QFETCH(bool, presentCertificate);
    QSslConfiguration tls = serverTls(QSslSocket::VerifyPeer);
    tls.setCaCertificates({m_clientCert}); // the self-signed client certificate is its own CA
    auto server = startServer({}, tls);
    QVERIFY(server);
    QSslSocket client;
    client.setSslConfiguration(clientTls(presentCertificate));
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server->port());
    QTRY_VERIFY(client.isEncrypted() || client.state() == QAbstractSocket::UnconnectedState);
    client.write("GET /peer HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray received;
    std::optional<RawResponse> r;
    const bool answered = QTest::qWaitFor(
        [&] {
            received += client.readAll();
            r = takeResponse(received);
            return r.has_value() || client.state() == QAbstractSocket::UnconnectedState;
        },
        WaitMs);
    QVERIFY(answered);
    if (presentCertificate) {
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(QJsonDocument::fromJson(r->body).object().value(QStringLiteral("cn")).toString(),
                 QStringLiteral("system:node:edge-1"));
        QCOMPARE(server->listener()->rejected(QStringLiteral("tls-error")), quint64(0));
    } else {
        QVERIFY(!r);
        QTRY_COMPARE(server->listener()->rejected(QStringLiteral("tls-error")), quint64(1));
        QCOMPARE(server->listener()->openConnections(), 0);
    }
}

void tst_HttpServer::tlsHandshakeTimeout()
{
    SecureListener listener;
    listener.setTlsConfiguration(serverTls(QSslSocket::VerifyNone));
    listener.setHandshakeTimeout(300);
    QSignalSpy ready(&listener, &SecureListener::socketReady);
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    RawClient silent(listener.port());
    QTRY_COMPARE(listener.pendingHandshakes(), 1);
    QVERIFY(silent.waitClosed());
    QCOMPARE(listener.rejected(QStringLiteral("handshake-timeout")), quint64(1));
    QCOMPARE(ready.count(), 0);
    QTRY_COMPARE(listener.openConnections(), 0);
}

void tst_HttpServer::tlsGarbageIsCounted()
{
    auto server = startServer({}, serverTls(QSslSocket::VerifyNone));
    QVERIFY(server);
    RawClient client(server->port());
    client.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(client.waitClosed());
    QCOMPARE(server->listener()->rejected(QStringLiteral("tls-error")), quint64(1));
    QTRY_COMPARE(server->listener()->openConnections(), 0);
}

void tst_HttpServer::webSocketUpgrade_data()
{
    QTest::addColumn<bool>("tls");
    QTest::newRow("plain") << false;
    QTest::newRow("tls") << true;
}

void tst_HttpServer::webSocketUpgrade()
{
    QFETCH(bool, tls);
    QWebSocketServer ws(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
    applyWebSocketServerLimits(&ws, 64 * 1024, 256 * 1024, 2000);
    QCOMPARE(ws.handshakeTimeoutMS(), 2000);
    QVERIFY(ws.maxPendingConnections() >= 1024);
    quint64 serverFrameLimit = 0;
    connect(&ws, &QWebSocketServer::newConnection, this, [&] {
        QWebSocket *peer = nextWebSocket(&ws);
        QVERIFY(peer);
        serverFrameLimit = peer->maxAllowedIncomingFrameSize();
        peer->setParent(&ws);
        connect(peer, &QWebSocket::textMessageReceived, peer,
                [peer](const QString &m) { peer->sendTextMessage(QStringLiteral("echo:") + m); });
    });

    auto server = startServer({}, tls ? std::optional(serverTls(QSslSocket::QueryPeer)) : std::nullopt);
    QVERIFY(server);
    int acceptCalls = 0;
    QString acceptedCn;
    server->setWebSocketRoute(QStringLiteral("/ws"), &ws, [&](const Request &r) {
        ++acceptCalls;
        if (!r.peerCertificateChain.isEmpty())
            acceptedCn =
                r.peerCertificateChain.first().subjectInfo(QSslCertificate::CommonName).join(QString());
        return r.header("Authorization") == "Bearer good";
    });

    QWebSocket client;
    applyWebSocketLimits(&client, 64 * 1024, 256 * 1024, 3000);
    QCOMPARE(client.maxAllowedIncomingFrameSize(), quint64(64 * 1024));
    if (tls)
        client.setSslConfiguration(clientTls(true));
    QSignalSpy received(&client, &QWebSocket::textMessageReceived);
    QNetworkRequest request(QUrl(QStringLiteral("%1://127.0.0.1:%2/ws")
                                     .arg(tls ? QStringLiteral("wss") : QStringLiteral("ws"))
                                     .arg(server->port())));
    request.setRawHeader("Authorization", "Bearer good");
    client.open(request);
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    client.sendTextMessage(QStringLiteral("hi"));
    QTRY_COMPARE(received.count(), 1);
    QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("echo:hi"));
    QCOMPARE(acceptCalls, 1);
    QCOMPARE(serverFrameLimit, quint64(64 * 1024));
    QCOMPARE(acceptedCn, tls ? QStringLiteral("system:node:edge-1") : QString());
    // Ordinary routes still work next to the WebSocket route.
    QNetworkAccessManager nam;
    QNetworkRequest plain(url(*server, QStringLiteral("/hello"), tls));
    plain.setSslConfiguration(clientTls(false));
    QCOMPARE(send(nam, plain, "GET").status, 200);
    client.close();
}

void tst_HttpServer::webSocketRefused()
{
    QWebSocketServer ws(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
    applyWebSocketServerLimits(&ws, 64 * 1024, 256 * 1024, 2000);
    QSignalSpy newConnections(&ws, &QWebSocketServer::newConnection);
    auto server = startServer();
    QVERIFY(server);
    server->setWebSocketRoute(QStringLiteral("/ws"), &ws, [](const Request &) { return false; });

    RawClient raw(server->port());
    raw.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    auto r = raw.next();
    QVERIFY(r);
    QCOMPARE(r->status, 401);
    QVERIFY(raw.waitClosed());

    QWebSocket client;
    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server->port())));
    QTRY_VERIFY(disconnected.count() > 0);
    QVERIFY(client.state() != QAbstractSocket::ConnectedState);
    QCOMPARE(newConnections.count(), 0);
    QCOMPARE(server->listener()->rejected(QStringLiteral("websocket-refused")), quint64(2));
}

QTEST_GUILESS_MAIN(tst_HttpServer)
#include "tst_httpserver.moc"
