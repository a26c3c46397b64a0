#include "shared/http/server.h"

#include "shared/http/httpconnection.h"
#include "shared/http/securelistener.h"

#include <QWebSocketServer>

#include <QTcpSocket>

namespace qedge::http {

Server::Server(QObject *parent) : QObject(parent), m_listener(new SecureListener(this))
{
    m_listener->setMaxConnections(m_limits.maxConnections);
    connect(m_listener, &SecureListener::socketReady, this, &Server::onSocketReady);
}

Server::~Server()
{
    // Connections refer to m_router: end them before the members go.
    qDeleteAll(findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly));
}

void Server::setLimits(const Limits &limits)
{
    m_limits = limits;
    m_listener->setMaxConnections(limits.maxConnections);
}

void Server::route(const QByteArray &method, const QString &pattern, Handler handler)
{
    m_router.add(method, pattern, std::move(handler));
}

void Server::routeSync(const QByteArray &method, const QString &pattern, SyncHandler handler)
{
    m_router.add(method, pattern, makeHandler(std::move(handler)));
}

void Server::setWebSocketRoute(const QString &path, QWebSocketServer *wsServer,
                               std::function<bool(const Request &)> accept)
{
    m_router.setWebSocketRoute({path, wsServer, std::move(accept)});
}

bool Server::listen(const QHostAddress &address, quint16 port, const std::optional<QSslConfiguration> &tls)
{
    m_listener->setTlsConfiguration(tls.value_or(QSslConfiguration()));
    return m_listener->listen(address, port);
}

quint16 Server::port() const
{
    return m_listener->port();
}

QString Server::errorString() const
{
    return m_listener->errorString();
}

void Server::close()
{
    m_listener->close();
}

void Server::onSocketReady(QTcpSocket *socket)
{
    // The connection reparents the socket, which claims it from the listener.
    new HttpConnection(
        socket, m_router, m_limits,
        [listener = m_listener](const QString &reason) { listener->countRejection(reason); }, this);
}

} // namespace qedge::http
