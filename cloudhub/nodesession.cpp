#include "cloudhub/nodesession.h"

#include "cloudhub/hublogging.h"
#include "shared/http/securelistener.h"
#include "shared/http/websocketframe.h"

#include <QSslSocket>
#include <QWebSocket>

namespace qedge::cloud {

namespace {
// A peer that neither answers the close handshake nor reads what is left gets this long.
constexpr int CloseGuardMs = 5000;
} // namespace

NodeSession::NodeSession(SessionInfo info, QWebSocket *socket, QTcpSocket *transport, const Options &options,
                         QObject *parent)
    : QObject(parent), m_info(std::move(info)), m_options(options), m_socket(socket), m_transport(transport)
{
    m_socket->setParent(this);
    m_keepalive.setSingleShot(true);
    m_keepalive.setInterval(std::chrono::seconds(m_options.keepaliveSeconds));
    connect(&m_keepalive, &QTimer::timeout, this, [this] {
        close(QWebSocketProtocol::CloseCodeGoingAway,
              QStringLiteral("no keepalive for %1 s").arg(m_options.keepaliveSeconds));
    });
    m_closeGuard.setSingleShot(true);
    m_closeGuard.setInterval(CloseGuardMs);
    connect(&m_closeGuard, &QTimer::timeout, this, [this] { abortWith(m_closeReason); });

    connect(m_socket, &QWebSocket::textMessageReceived, this,
            [this](const QString &text) { handleFrame(text.toUtf8()); });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &NodeSession::handleFrame);
    connect(m_socket, &QWebSocket::disconnected, this, &NodeSession::onDisconnected);
    if (auto *ssl = qobject_cast<QSslSocket *>(transport))
        connect(ssl, &QSslSocket::encryptedBytesWritten, this, &NodeSession::noteActivity);
    m_keepalive.start();
    // Right after the handshake too (outside the socket's call stack): sessions connecting in a burst
    // would otherwise all hold their buffers until the next sweep, and the heap keeps that peak.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (!m_closing && !m_buffersReleased)
                m_buffersReleased = http::releaseIdleBuffers(m_transport);
        },
        Qt::QueuedConnection);
}

NodeSession::~NodeSession() = default;

void NodeSession::noteActivity()
{
    m_active = true;
    m_buffersReleased = false;
}

void NodeSession::releaseBuffersIfIdle()
{
    if (m_closing || m_buffersReleased)
        return;
    if (m_active) {
        m_active = false; // idle from now on unless something happens before the next call
        return;
    }
    m_buffersReleased = http::releaseIdleBuffers(m_transport);
}

void NodeSession::handleFrame(const QByteArray &frame)
{
    if (m_closing)
        return;
    ++m_framesReceived;
    noteActivity();
    DecodeLimits limits;
    limits.maxBytes = m_options.maxMessageBytes;
    auto decoded = codec::decode(frame, limits);
    if (!decoded) {
        ++m_malformed;
        if (decoded.error().code == codec::ErrField) {
            qCWarning(lcHubSession).noquote()
                << "node" << m_info.node << "dropped a malformed message:" << decoded.errorMessage();
            return;
        }
        close(QWebSocketProtocol::CloseCodeWrongDatatype,
              QStringLiteral("malformed frame: ") + decoded.errorMessage());
        return;
    }
    const Message &m = decoded.value();
    const QString op = m.operation();
    if (op == op::Keepalive) {
        m_keepalive.start();
        emit keepaliveReceived(m_info.node);
        return;
    }
    if (op == op::Ping || op == op::Pong || op == op::Config) {
        // Transport-level control operations (reference §2.5): answered here, never routed.
        send(Message::responseTo(m, QStringLiteral("ack")));
        return;
    }
    if (op == op::Response) {
        emit ackReceived(m_info.node, m);
        return;
    }
    emit upstream(m_info.node, m);
}

bool NodeSession::send(const Message &m)
{
    // QWebSocket's own send refuses too once it is closing (a close frame may already be out).
    if (m_closing || !m_transport || m_socket->state() != QAbstractSocket::ConnectedState)
        return false;
    // The frame goes straight into the TLS socket: sendTextMessage() would take a QString (decoded
    // from this UTF-8, encoded back, then copied again to frame it). QWebSocket writes each of its
    // frames into that socket whole and synchronously and keeps no count of its own of what was
    // written, so frames written here between its frames reach the peer intact and in order.
    noteActivity();
    QByteArray buffer = codec::encode(m, http::MaxFrameHeaderBytes);
    const QByteArrayView frame = http::textFrameInPlace(buffer);
    if (m_transport->write(frame.data(), frame.size()) != frame.size()) {
        abortWith(QStringLiteral("write failed: ") + m_transport->errorString());
        return false;
    }
    const qint64 pending = pendingBytes();
    if (pending > m_options.sendBufferBytes) {
        abortWith(QStringLiteral("send buffer over its cap (%1 bytes pending, cap %2)")
                      .arg(pending)
                      .arg(m_options.sendBufferBytes));
        return false;
    }
    return true;
}

void NodeSession::flush()
{
    if (!m_closing && m_transport)
        m_transport->flush();
}

qint64 NodeSession::pendingBytes() const
{
    if (!m_transport)
        return 0;
    qint64 n = m_transport->bytesToWrite();
    if (auto *ssl = qobject_cast<QSslSocket *>(m_transport.data()))
        n += ssl->encryptedBytesToWrite();
    return n;
}

void NodeSession::close(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_closeReason = reason;
    m_keepalive.stop();
    qCInfo(lcHubSession).noquote() << "closing session of node" << m_info.node << "code" << int(code) << ':'
                                   << reason;
    m_closeGuard.start();
    m_socket->close(code, reason);
}

void NodeSession::abortWith(const QString &reason)
{
    if (!m_closing)
        qCWarning(lcHubSession).noquote() << "aborting session of node" << m_info.node << ':' << reason;
    m_closing = true;
    if (m_closeReason.isEmpty())
        m_closeReason = reason;
    m_keepalive.stop();
    m_socket->abort();
    onDisconnected();
}

void NodeSession::onDisconnected()
{
    if (m_closedEmitted)
        return;
    m_closedEmitted = true;
    m_closing = true;
    m_keepalive.stop();
    m_closeGuard.stop();
    QString reason = m_closeReason;
    if (reason.isEmpty()) {
        // Closed by the edge, or by QWebSocket itself (e.g. 1009 for a frame over the limit).
        reason = QStringLiteral("connection closed (code %1%2)")
                     .arg(int(m_socket->closeCode()))
                     .arg(m_socket->closeReason().isEmpty() ? QString()
                                                            : QStringLiteral(": ") + m_socket->closeReason());
        qCInfo(lcHubSession).noquote() << "session of node" << m_info.node << "ended:" << reason;
    }
    emit closed(this, reason);
    deleteLater();
}

} // namespace qedge::cloud
