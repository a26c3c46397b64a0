#include "tests/support/testedge.h"

#include "shared/codec.h"
#include "shared/crypto/csr.h"
#include "shared/crypto/jointoken.h"
#include "shared/crypto/sslconfig.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSslSocket>
#include <QTimer>
#include <QtEndian>

namespace qedge::test {

namespace {
const QByteArray DefaultProject = edgeclient::DefaultProject;
} // namespace

TestEdge::TestEdge(const QString &node, QObject *parent)
    : QObject(parent), m_node(node), m_keepaliveTimer(new QTimer(this))
{
    m_headers = {{"node_id", node.toUtf8()}, {"project_id", DefaultProject}, {"ConnectionUse", "msg"}};
    connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        auto m = codec::decode(text.toUtf8());
        if (m)
            m_received.append(m.value());
    });
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError e) { m_lastError = e; });
    connect(m_keepaliveTimer, &QTimer::timeout, this, &TestEdge::sendKeepalive);
}

TestEdge::~TestEdge() = default;

HttpReply TestEdge::fetchCa(const QUrl &bootstrapBase)
{
    return edgeclient::fetchCa(bootstrapBase);
}

HttpReply TestEdge::requestCertificate(const QUrl &bootstrapBase, const crypto::Certificate &ca,
                                       const QByteArray &csrDer, const QByteArray &authorization,
                                       const QString &nodeName, const crypto::Certificate *clientCert,
                                       const crypto::PrivateKey *clientKey)
{
    return edgeclient::requestCertificate(bootstrapBase, ca, csrDer, authorization, nodeName, clientCert,
                                          clientKey);
}

Status TestEdge::bootstrap(const QUrl &bootstrapBase, const QString &token)
{
    auto ca = edgeclient::fetchPinnedCa(bootstrapBase, token);
    if (!ca)
        return ca.error();
    auto id = edgeclient::bootstrap(bootstrapBase, ca.value(), token, m_node);
    if (!id)
        return id.error();
    m_ca = id->ca;
    m_key = id->key;
    m_cert = id->cert;
    return {};
}

Status TestEdge::rotate(const QUrl &bootstrapBase)
{
    auto key = crypto::PrivateKey::generateP256();
    if (!key)
        return key.error();
    auto csr = crypto::createCsrDer(key.value(), QStringLiteral("system:node:") + m_node,
                                    {QStringLiteral("system:nodes")});
    if (!csr)
        return csr.error();
    const HttpReply reply =
        requestCertificate(bootstrapBase, m_ca, csr.value(), QByteArray(), m_node, &m_cert, &m_key);
    if (reply.status != 200)
        return Status::failure(
            QStringLiteral("edge.crt"),
            QStringLiteral("rotation: %1 %2").arg(reply.status).arg(QString::fromUtf8(reply.body)));
    auto cert = crypto::Certificate::fromDer(reply.body);
    if (!cert)
        return cert.error();
    m_key = key.value();
    m_cert = cert.value();
    return {};
}

void TestEdge::setIdentity(const crypto::Certificate &ca, const crypto::Certificate &cert,
                           const crypto::PrivateKey &key)
{
    m_ca = ca;
    m_cert = cert;
    m_key = key;
}

void TestEdge::clearClientCertificate()
{
    m_cert = crypto::Certificate();
    m_key = crypto::PrivateKey();
}

QSslConfiguration TestEdge::sslConfiguration() const
{
    if (m_cert.isNull())
        return crypto::clientSslConfiguration(m_ca);
    return crypto::clientSslConfiguration(m_ca, &m_cert, &m_key);
}

void TestEdge::setHeader(const QByteArray &name, const QByteArray &value)
{
    removeHeader(name);
    m_headers.append({name, value});
}

void TestEdge::removeHeader(const QByteArray &name)
{
    m_headers.removeIf([&](const auto &h) { return h.first.compare(name, Qt::CaseInsensitive) == 0; });
}

bool TestEdge::connectTo(quint16 port, int timeoutMs)
{
    QNetworkRequest req(QUrl(QStringLiteral("wss://127.0.0.1:%1/%2/%3/events")
                                 .arg(port)
                                 .arg(QString::fromLatin1(DefaultProject), m_node)));
    for (const auto &h : std::as_const(m_headers))
        req.setRawHeader(h.first, h.second);
    m_socket.setSslConfiguration(sslConfiguration());
    m_received.clear();
    m_socket.open(req);
    QEventLoop loop;
    connect(&m_socket, &QWebSocket::connected, &loop, &QEventLoop::quit);
    connect(&m_socket, &QWebSocket::disconnected, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (m_socket.state() != QAbstractSocket::ConnectedState)
        loop.exec();
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

bool TestEdge::isConnected() const
{
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

bool TestEdge::waitForDisconnected(int timeoutMs)
{
    if (m_socket.state() == QAbstractSocket::UnconnectedState)
        return true;
    QEventLoop loop;
    connect(&m_socket, &QWebSocket::disconnected, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return m_socket.state() == QAbstractSocket::UnconnectedState;
}

void TestEdge::sendKeepalive()
{
    // Exactly what edgecore sends (reference §1.4, §2.6).
    send(edgeclient::keepalive());
}

void TestEdge::keepAliveEvery(int intervalMs)
{
    if (intervalMs <= 0) {
        m_keepaliveTimer->stop();
        return;
    }
    m_keepaliveTimer->start(intervalMs);
}

void TestEdge::send(const Message &m)
{
    m_socket.sendTextMessage(QString::fromUtf8(codec::encode(m)));
}

void TestEdge::sendText(const QString &text)
{
    m_socket.sendTextMessage(text);
}

void TestEdge::sendBinary(const QByteArray &data)
{
    m_socket.sendBinaryMessage(data);
}

void TestEdge::ack(const Message &m)
{
    send(edgeclient::ackFor(m));
}

void TestEdge::close()
{
    m_keepaliveTimer->stop();
    m_socket.close();
}

std::optional<Message> TestEdge::waitForMessage(const std::function<bool(const Message &)> &pred,
                                                int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    qsizetype checked = 0;
    while (true) {
        for (; checked < m_received.size(); ++checked) {
            if (pred(m_received.at(checked)))
                return m_received.at(checked);
        }
        if (deadline.hasExpired())
            return std::nullopt;
        QEventLoop loop;
        connect(&m_socket, &QWebSocket::textMessageReceived, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        connect(&m_socket, &QWebSocket::disconnected, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        QTimer::singleShot(int(qMax<qint64>(1, deadline.remainingTime())), &loop, &QEventLoop::quit);
        loop.exec();
        if (m_socket.state() == QAbstractSocket::UnconnectedState && checked == m_received.size())
            return std::nullopt;
    }
}

std::unique_ptr<QSslSocket> TestEdge::rawConnect(quint16 port, QByteArray *rest, int timeoutMs) const
{
    auto sock = std::make_unique<QSslSocket>();
    sock->setSslConfiguration(sslConfiguration());
    sock->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!sock->waitForEncrypted(timeoutMs))
        return nullptr;
    QByteArray key(16, Qt::Uninitialized);
    for (char &c : key)
        c = char(QRandomGenerator::global()->bounded(256));
    QByteArray head = "GET /" + DefaultProject + '/' + m_node.toUtf8() +
                      "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
                      key.toBase64() + "\r\n";
    for (const auto &h : m_headers)
        head += h.first + ": " + h.second + "\r\n";
    head += "\r\n";
    sock->write(head);
    QByteArray buf;
    QDeadlineTimer deadline(timeoutMs);
    while (!buf.contains("\r\n\r\n")) {
        if (deadline.hasExpired())
            return nullptr;
        if (sock->bytesAvailable() == 0 &&
            !sock->waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            return nullptr;
        buf += sock->readAll();
    }
    if (!buf.startsWith("HTTP/1.1 101"))
        return nullptr;
    if (rest)
        *rest = buf.mid(buf.indexOf("\r\n\r\n") + 4);
    return sock;
}

QByteArray TestEdge::clientFrame(quint8 opcode, const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(0x80 | (opcode & 0x0f)));
    const quint64 len = quint64(payload.size());
    if (len < 126) {
        frame.append(char(0x80 | len));
    } else if (len <= 0xffff) {
        frame.append(char(0x80 | 126));
        frame.append(char(len >> 8)).append(char(len & 0xff));
    } else {
        frame.append(char(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((len >> shift) & 0xff));
    }
    const quint32 mask = QRandomGenerator::global()->generate();
    char maskBytes[4] = {char(mask >> 24), char(mask >> 16), char(mask >> 8), char(mask)};
    frame.append(maskBytes, 4);
    QByteArray body = payload;
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char(body[i] ^ maskBytes[i % 4]);
    return frame + body;
}

RawClose TestEdge::rawConnectAndReadClose(quint16 port, int timeoutMs) const
{
    RawClose out;
    QByteArray buf;
    QDeadlineTimer deadline(timeoutMs);
    std::unique_ptr<QSslSocket> sock = rawConnect(port, &buf, timeoutMs);
    if (!sock) {
        out.error = QStringLiteral("TLS or upgrade failed");
        return out;
    }
    out.upgraded = true;
    auto readMore = [&] {
        if (sock->bytesAvailable() == 0 &&
            !sock->waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            return false;
        buf += sock->readAll();
        return true;
    };
    // Frames from the server are unmasked: 2-byte header, 16/64-bit extended lengths.
    while (!deadline.hasExpired()) {
        while (buf.size() >= 2) {
            const quint8 op = quint8(buf.at(0)) & 0x0f;
            quint64 len = quint8(buf.at(1)) & 0x7f;
            qsizetype off = 2;
            if (len == 126) {
                if (buf.size() < 4)
                    break;
                len = qFromBigEndian<quint16>(buf.constData() + 2);
                off = 4;
            } else if (len == 127) {
                if (buf.size() < 10)
                    break;
                len = qFromBigEndian<quint64>(buf.constData() + 2);
                off = 10;
            }
            if (quint64(buf.size() - off) < len)
                break;
            const QByteArray payload = buf.mid(off, qsizetype(len));
            buf.remove(0, off + qsizetype(len));
            if (op == 0x8) {
                out.code = payload.size() >= 2 ? qFromBigEndian<quint16>(payload.constData()) : 1005;
                out.reason = QString::fromUtf8(payload.mid(2));
                return out;
            }
        }
        if (!readMore())
            break;
    }
    out.error = QStringLiteral("no close frame");
    return out;
}

} // namespace qedge::test
