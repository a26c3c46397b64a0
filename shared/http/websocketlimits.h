#pragma once

#include <QtGlobal>

QT_BEGIN_NAMESPACE
class QWebSocket;
class QWebSocketServer;
QT_END_NAMESPACE

namespace qedge::http {

/// Bounds a QWebSocketServer: handshake timeout, room for pending connections, and the frame and
/// message limits that nextWebSocket() puts on each accepted socket. QtWebSockets' defaults
/// (1 GiB frames, 2 GiB messages, 30 pending) are unsafe. Qt 6.4's server has no frame-size
/// setters, so the limits travel as properties of the server.
void applyWebSocketServerLimits(QWebSocketServer *server, qint64 maxFrame, qint64 maxMessage,
                                int handshakeTimeoutMs);

/// Bounds one socket's incoming frames and messages; with handshakeTimeoutMs > 0, a socket not
/// connected that long after this call is aborted (call it right before open()).
void applyWebSocketLimits(QWebSocket *socket, qint64 maxFrame, qint64 maxMessage, int handshakeTimeoutMs = 0);

/// The server's next pending connection with the limits from applyWebSocketServerLimits set;
/// use it instead of nextPendingConnection(). Null when none is pending.
QWebSocket *nextWebSocket(QWebSocketServer *server);

} // namespace qedge::http
