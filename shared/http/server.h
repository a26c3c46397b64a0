#pragma once

#include "shared/http/limits.h"
#include "shared/http/request.h"
#include "shared/http/responder.h"
#include "shared/http/response.h"
#include "shared/http/router.h"

#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>

#include <optional>

QT_BEGIN_NAMESPACE
class QTcpSocket;
class QWebSocketServer;
QT_END_NAMESPACE

namespace qedge::http {

class SecureListener;

/// A small bounded HTTP/1.1 server (keep-alive, Content-Length bodies, optional TLS) with
/// WebSocket upgrades handed to a QWebSocketServer. Chunked request bodies are refused with 411.
/// Handlers run in the server's thread and get a copy of the request.
class Server : public QObject
{
    Q_OBJECT
public:
    using Limits = http::Limits;

    explicit Server(QObject *parent = nullptr);
    ~Server() override;

    /// Applies to connections accepted from now on.
    void setLimits(const Limits &limits);
    const Limits &limits() const { return m_limits; }

    /// Routes method + pattern ("/api/v1/nodes/{node}") to an async handler; first match wins.
    void route(const QByteArray &method, const QString &pattern, Handler handler);
    /// Routes to a handler that answers at once.
    void routeSync(const QByteArray &method, const QString &pattern, SyncHandler handler);
    /// GET upgrades on path go to wsServer->handleConnection() once accept (if set) returns true;
    /// false answers 401. The request stays unread in the socket for the QWebSocketServer. The
    /// TCP socket (a QSslSocket under TLS) becomes a child of wsServer, which deletes it on
    /// disconnect; take upgraded sockets with nextWebSocket() so they get their limits.
    void setWebSocketRoute(const QString &path, QWebSocketServer *wsServer,
                           std::function<bool(const Request &)> accept = {});

    /// Listens on address:port (0 picks a port), with TLS when tls is given.
    bool listen(const QHostAddress &address, quint16 port,
                const std::optional<QSslConfiguration> &tls = std::nullopt);
    quint16 port() const;
    QString errorString() const;
    /// Stops accepting; open connections finish.
    void close();

    /// The accept and TLS layer: handshake timeout, rejection counts.
    SecureListener *listener() const { return m_listener; }

private:
    void onSocketReady(QTcpSocket *socket);

    SecureListener *m_listener;
    Router m_router;
    Limits m_limits;
};

} // namespace qedge::http
