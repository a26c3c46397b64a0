#pragma once

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QWebSocketServer>

namespace qedge::http {
class SecureListener;
}

namespace qedge::cloud {

class SessionManager;

/// The edge WebSocket endpoint (PROTOCOL.md §2, default port 10000): TLS with a client certificate
/// verified against the hub CA, the upgrade on any path, then the node identity checks (node_id
/// header, ConnectionUse msg, CN system:node:<node_id>) and the node limit. A refused connection
/// is closed at once with 1008 (policy) or 1013 (try later) and a reason; nothing it sends is read.
/// Accepted ones become NodeSessions owned by the SessionManager.
class EdgeServer : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QSslConfiguration tls; ///< server cert + key, CA, VerifyPeer
        int handshakeTimeoutMs = 10000;
        qint64 maxFrameBytes = 16LL * 1024 * 1024;
        bool acceptLegacyCerts = false;
        int maxPendingUpgrades = 4096; ///< sockets between TLS handshake and WebSocket upgrade
    };

    EdgeServer(SessionManager *sessions, const Options &options, QObject *parent = nullptr);
    ~EdgeServer() override;

    bool listen(const QHostAddress &address, quint16 port);
    quint16 port() const;
    QString errorString() const;
    void close();

    /// Connections refused after the TLS handshake, by reason ("missing-node-id", "bad-connection-use",
    /// "identity-mismatch", "node-limit"); TLS-level refusals are in tlsRejections().
    QHash<QString, quint64> rejections() const { return m_rejections; }
    QHash<QString, quint64> tlsRejections() const;

signals:
    void connectionRejected(const QString &node, const QHostAddress &peer, const QString &reason);

private:
    struct Peer
    {
        QPointer<QSslSocket> socket;
        QSslCertificate certificate;
    };

    void onSocketReady(QTcpSocket *socket);
    void drainPending();
    void accept(QWebSocket *ws);
    void refuse(QWebSocket *ws, const QString &node, QWebSocketProtocol::CloseCode code, const QString &key,
                const QString &reason);

    SessionManager *m_sessions;
    Options m_options;
    http::SecureListener *m_listener;
    QWebSocketServer m_ws;
    // TLS sockets handed to m_ws, by peer address and port, until their upgrade finishes.
    QHash<QPair<QString, quint16>, Peer> m_peers;
    QHash<QString, quint64> m_rejections;
};

} // namespace qedge::cloud
