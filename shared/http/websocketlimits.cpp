#include "shared/http/websocketlimits.h"

#include "shared/http/httplog.h"

#include <QPointer>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

namespace qedge::http {

namespace {

constexpr char MaxFrameProperty[] = "qedge_ws_maxFrame";
constexpr char MaxMessageProperty[] = "qedge_ws_maxMessage";
// Pending upgrades wait only for one newConnection slot; a reconnect storm must not overflow them.
constexpr int MinPendingConnections = 1024;

} // namespace

void applyWebSocketServerLimits(QWebSocketServer *server, qint64 maxFrame, qint64 maxMessage,
                                int handshakeTimeoutMs)
{
    server->setHandshakeTimeout(handshakeTimeoutMs);
    server->setMaxPendingConnections(qMax(server->maxPendingConnections(), MinPendingConnections));
    server->setProperty(MaxFrameProperty, maxFrame);
    server->setProperty(MaxMessageProperty, maxMessage);
}

void applyWebSocketLimits(QWebSocket *socket, qint64 maxFrame, qint64 maxMessage, int handshakeTimeoutMs)
{
    socket->setMaxAllowedIncomingFrameSize(quint64(qMax<qint64>(maxFrame, 0)));
    socket->setMaxAllowedIncomingMessageSize(quint64(qMax<qint64>(maxMessage, 0)));
    if (handshakeTimeoutMs > 0) {
        QTimer::singleShot(handshakeTimeoutMs, socket, [socket] {
            if (socket->state() != QAbstractSocket::ConnectedState) {
                qCDebug(lcHttp) << "WebSocket handshake to" << socket->requestUrl() << "timed out";
                socket->abort();
            }
        });
    }
}

QWebSocket *nextWebSocket(QWebSocketServer *server)
{
    QWebSocket *socket = server->nextPendingConnection();
    if (!socket)
        return nullptr;
    const QVariant frame = server->property(MaxFrameProperty);
    const QVariant message = server->property(MaxMessageProperty);
    if (frame.isValid() && message.isValid())
        applyWebSocketLimits(socket, frame.toLongLong(), message.toLongLong());
    else
        qCWarning(lcHttp) << "WebSocket server" << server->serverName() << "has no limits set";
    return socket;
}

} // namespace qedge::http
