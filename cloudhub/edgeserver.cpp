#include "cloudhub/edgeserver.h"

#include "cloudhub/hublogging.h"
#include "cloudhub/sessionmanager.h"
#include "shared/http/securelistener.h"
#include "shared/http/websocketlimits.h"

#include <QTimer>
#include <QWebSocket>

namespace qedge::cloud {

namespace {

const QString NodeCnPrefix = QStringLiteral("system:node:");
const QString LegacyCn = QStringLiteral("kubeedge.io");

/// Header value by name in any case (Go canonicalises node_id to Node_id on send).
QByteArray headerValue(const QNetworkRequest &req, const QByteArray &name)
{
    const QList<QByteArray> names = req.rawHeaderList();
    for (const QByteArray &h : names) {
        if (h.compare(name, Qt::CaseInsensitive) == 0)
            return req.rawHeader(h).trimmed();
    }
    return {};
}

QPair<QString, quint16> peerKey(const QHostAddress &addr, quint16 port)
{
    return {addr.toString(), port};
}

QString printable(const QString &s)
{
    QString out = s.left(64);
    for (QChar &c : out) {
        if (!c.isPrint())
            c = u'?';
    }
    return out;
}

} // namespace

EdgeServer::EdgeServer(SessionManager *sessions, const Options &options, QObject *parent)
    : QObject(parent), m_sessions(sessions), m_options(options), m_listener(new http::SecureListener(this)),
      m_ws(QStringLiteral("qedge-cloudhub"), QWebSocketServer::NonSecureMode)
{
    m_listener->setTlsConfiguration(m_options.tls);
    m_listener->setHandshakeTimeout(m_options.handshakeTimeoutMs);
    m_listener->setMaxConnections(qMax(m_sessions->nodeLimit() * 2, 1024));
    connect(m_listener, &http::SecureListener::socketReady, this, &EdgeServer::onSocketReady);

    // QWebSocketServer keeps finished upgrades in a small queue (30 by default): raise it and drain
    // it on each signal. The frame and message limits go onto every socket nextWebSocket() returns.
    http::applyWebSocketServerLimits(&m_ws, m_options.maxFrameBytes, m_options.maxFrameBytes,
                                     m_options.handshakeTimeoutMs);
    m_ws.setMaxPendingConnections(qMax(m_ws.maxPendingConnections(), m_options.maxPendingUpgrades));
    connect(&m_ws, &QWebSocketServer::newConnection, this, &EdgeServer::drainPending);
}

EdgeServer::~EdgeServer()
{
    close();
}

bool EdgeServer::listen(const QHostAddress &address, quint16 port)
{
    return m_listener->listen(address, port);
}

quint16 EdgeServer::port() const
{
    return m_listener->port();
}

QString EdgeServer::errorString() const
{
    return m_listener->errorString();
}

void EdgeServer::close()
{
    m_listener->close();
}

QHash<QString, quint64> EdgeServer::tlsRejections() const
{
    return m_listener->rejections();
}

void EdgeServer::onSocketReady(QTcpSocket *socket)
{
    auto *ssl = qobject_cast<QSslSocket *>(socket);
    if (!ssl || ssl->peerCertificate().isNull()) {
        // VerifyPeer makes this unreachable; refuse rather than trust a connection without identity.
        socket->abort();
        socket->deleteLater();
        return;
    }
    const auto key = peerKey(socket->peerAddress(), socket->peerPort());
    m_peers.insert(key, Peer{ssl, ssl->peerCertificate()});
    connect(socket, &QObject::destroyed, this, [this, key] {
        // A newer connection may reuse the address and port; only drop an entry whose socket is gone.
        auto it = m_peers.find(key);
        if (it != m_peers.end() && it->socket.isNull())
            m_peers.erase(it);
    });
    // From here QWebSocketServer owns the socket: it deletes it once disconnected.
    socket->setParent(nullptr);
    // handleConnection() does not apply QWebSocketServer's handshake timeout (only its own accept
    // path does), so the upgrade request gets its deadline here.
    QTimer::singleShot(m_options.handshakeTimeoutMs, socket, [this, key, ssl] {
        auto it = m_peers.find(key);
        if (it == m_peers.end() || it->socket != ssl)
            return; // upgraded (or gone) in time
        ++m_rejections[QStringLiteral("upgrade-timeout")];
        qCWarning(lcHubSession).noquote() << "closing edge connection from" << key.first
                                          << ": no WebSocket upgrade within the handshake timeout";
        ssl->abort();
    });
    m_ws.handleConnection(socket);
}

void EdgeServer::drainPending()
{
    while (QWebSocket *ws = http::nextWebSocket(&m_ws))
        accept(ws);
}

void EdgeServer::accept(QWebSocket *ws)
{
    const Peer peer = m_peers.take(peerKey(ws->peerAddress(), ws->peerPort()));
    if (peer.socket) {
        // QWebSocketServer keeps a disconnected -> deleteLater connection from every socket it
        // upgraded, and its slot looks the socket up with sender(), which walks all of the server's
        // senders: O(sessions) per disconnect, minutes for 10,000 at shutdown (docs/benchmarks.md).
        // The socket deletes itself on disconnect instead, as the server would have.
        QSslSocket *transport = peer.socket.data();
        disconnect(transport, &QAbstractSocket::disconnected, &m_ws, nullptr);
        connect(transport, &QAbstractSocket::disconnected, transport, &QObject::deleteLater);
    }

    const QNetworkRequest req = ws->request();
    const QString node = QString::fromUtf8(headerValue(req, "node_id"));
    if (!peer.socket || peer.certificate.isNull()) {
        refuse(ws, node, QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("no-certificate"),
               QStringLiteral("no verified client certificate"));
        return;
    }
    if (node.isEmpty()) {
        refuse(ws, node, QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("missing-node-id"),
               QStringLiteral("missing node_id header"));
        return;
    }
    const QByteArray use = headerValue(req, "connectionuse");
    if (use.compare("msg", Qt::CaseInsensitive) != 0) {
        refuse(ws, node, QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("bad-connection-use"),
               QStringLiteral("ConnectionUse must be msg"));
        return;
    }
    const QStringList cns = peer.certificate.subjectInfo(QSslCertificate::CommonName);
    const QString cn = cns.isEmpty() ? QString() : cns.constLast();
    const bool named = cn == NodeCnPrefix + node;
    const bool legacy = m_options.acceptLegacyCerts && cn == LegacyCn;
    if (!named && !legacy) {
        refuse(ws, node, QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("identity-mismatch"),
               QStringLiteral("certificate CN %1 does not name node %2").arg(printable(cn), printable(node)));
        return;
    }
    if (m_sessions->wouldExceedLimit(node)) {
        refuse(ws, node, QWebSocketProtocol::CloseCode(1013), QStringLiteral("node-limit"),
               QStringLiteral("node limit %1 reached, try again later").arg(m_sessions->nodeLimit()));
        return;
    }

    SessionInfo info;
    info.node = node;
    info.projectId = QString::fromUtf8(headerValue(req, "project_id"));
    info.remoteAddress = ws->peerAddress();
    info.remotePort = ws->peerPort();
    info.certSerial = QString::fromLatin1(peer.certificate.serialNumber()).remove(u':').toLower();
    info.certExpiry = peer.certificate.expiryDate().toUTC();
    info.connectedAt = QDateTime::currentDateTimeUtc();
    m_sessions->adopt(new NodeSession(info, ws, peer.socket.data(), m_sessions->sessionOptions()));
}

void EdgeServer::refuse(QWebSocket *ws, const QString &node, QWebSocketProtocol::CloseCode code,
                        const QString &key, const QString &reason)
{
    ++m_rejections[key];
    qCWarning(lcHubSession).noquote() << "refused edge connection from" << ws->peerAddress().toString()
                                      << "node" << printable(node) << "code" << int(code) << ':' << reason;
    emit connectionRejected(node, ws->peerAddress(), reason);
    // Nothing from this socket is processed: no message slot is connected, and it goes once closed.
    ws->setParent(this);
    connect(ws, &QWebSocket::disconnected, ws, &QObject::deleteLater);
    ws->close(code, reason);
    QTimer::singleShot(5000, ws, [ws] {
        ws->abort();
        ws->deleteLater();
    });
}

} // namespace qedge::cloud
