#pragma once

#include "shared/codec.h"
#include "shared/message.h"

#include <QDateTime>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QWebSocketProtocol>

class QTcpSocket;
class QWebSocket;

namespace qedge::cloud {

/// Who is on the other end of a session, as established by the edge server.
struct SessionInfo
{
    QString node;
    QString projectId;
    QHostAddress remoteAddress;
    quint16 remotePort = 0;
    QString certSerial; ///< hex serial of the client certificate
    QDateTime certExpiry;
    QDateTime connectedAt;
};

/// One edge node's WebSocket session (PROTOCOL.md §2): keepalive timer, transport-level control
/// operations, decoding of upstream frames, bounded send buffer.
///
/// Upstream frames: a frame that is not JSON (or is over the decoder's limits) closes the session
/// with 1007, as the peer is not speaking the protocol; valid JSON with a bad field (e.g. a
/// non-decimal resourceversion) drops only that message, logged and counted (PROTOCOL.md §1).
///
/// Sending: messages are framed by the session and written into the TLS socket under the
/// QWebSocket in one write() each; the QWebSocket still reads, answers pings and does the close
/// handshake (it writes its frames into the same socket, whole and in call order).
///
/// Send buffer: every frame goes straight into the TLS socket, so the bytes not yet on the
/// wire are the TLS socket's plaintext buffer plus its encrypted buffer (bytesToWrite() +
/// encryptedBytesToWrite()); the session checks that sum after each send and aborts the connection
/// when it passes the cap. Messages the caller still has queued stay with the caller.
class NodeSession : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int keepaliveSeconds = 30;
        qint64 sendBufferBytes = 64LL * 1024 * 1024;
        qint64 maxMessageBytes = 16LL * 1024 * 1024;
    };

    /// Takes ownership of `socket`; `transport` is the TLS socket under it (send() writes there).
    NodeSession(SessionInfo info, QWebSocket *socket, QTcpSocket *transport, const Options &options,
                QObject *parent = nullptr);
    ~NodeSession() override;

    const SessionInfo &info() const { return m_info; }
    QString node() const { return m_info.node; }
    bool isOpen() const { return !m_closing; }

    /// Writes codec::encode(m) as one text frame; false if the session is closing or the write
    /// failed or the send buffer went over its cap (the session is then aborted).
    bool send(const Message &m);
    /// Encrypts what send() buffered and writes it to the socket now, as far as the kernel takes it
    /// (the rest goes when the socket is writable); without it Qt does both in later loop iterations.
    void flush();
    /// Closes with a WebSocket close code and a logged reason; closed() follows.
    void close(QWebSocketProtocol::CloseCode code, const QString &reason);
    /// Bytes written by send() that are not yet on the wire.
    qint64 pendingBytes() const;

    /// Frees the socket buffers (~96 KiB of empty Qt buffers otherwise kept by an idle session,
    /// docs/benchmarks.md) when nothing was read or written since the previous call. The session
    /// manager calls it every second, so a busy session keeps its buffers and an idle one lets them go.
    void releaseBuffersIfIdle();

    quint64 framesReceived() const { return m_framesReceived; }
    quint64 malformedFrames() const { return m_malformed; }

signals:
    /// A decoded upstream message for the delivery/routing layer (not keepalive, response or control).
    void upstream(const QString &node, const qedge::Message &m);
    /// An upstream `response`: an ack for a downstream message.
    void ackReceived(const QString &node, const qedge::Message &m);
    /// A `keepalive` arrived (the timer has been reset).
    void keepaliveReceived(const QString &node);
    /// Emitted once, when the connection is gone; the session deletes itself afterwards.
    void closed(qedge::cloud::NodeSession *session, const QString &reason);

private:
    void handleFrame(const QByteArray &frame);
    void onDisconnected();
    void abortWith(const QString &reason);
    void noteActivity();

    SessionInfo m_info;
    Options m_options;
    QWebSocket *m_socket;
    QPointer<QTcpSocket> m_transport;
    QTimer m_keepalive;
    QTimer m_closeGuard;
    QString m_closeReason;
    bool m_closing = false;
    bool m_closedEmitted = false;
    bool m_active = true; ///< traffic since the last releaseBuffersIfIdle()
    bool m_buffersReleased = false;
    quint64 m_framesReceived = 0;
    quint64 m_malformed = 0;
};

} // namespace qedge::cloud
