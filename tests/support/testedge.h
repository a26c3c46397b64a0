#pragma once

#include "shared/crypto/certificate.h"
#include "shared/crypto/pkey.h"
#include "shared/message.h"
#include "shared/result.h"
#include "tools/edgesim/edgeclient.h"

#include <QList>
#include <QObject>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <functional>
#include <memory>
#include <optional>

namespace qedge::test {

/// Status and body of one HTTP exchange with the bootstrap server.
using HttpReply = edgeclient::HttpReply;

/// The close frame a raw WebSocket client read (QWebSocket hides codes 1012..2999, e.g. 1013).
struct RawClose
{
    bool upgraded = false; ///< the server answered 101
    int code = -1;         ///< -1 when no close frame arrived
    QString reason;
    QString error;
};

/// A protocol-level edge for tests: bootstraps its certificate from a hub with the project's own
/// crypto code (GET /ca.crt pinned by the token's hash, CSR, GET /edge.crt), connects with mTLS and
/// the KubeEdge headers, sends keepalives, records what it receives and can ack.
class TestEdge : public QObject
{
    Q_OBJECT
public:
    explicit TestEdge(const QString &node, QObject *parent = nullptr);
    ~TestEdge() override;

    QString node() const { return m_node; }

    // --- certificates -------------------------------------------------------------------------
    /// GET <base>/ca.crt without verifying the server (the edge does the same, then pins).
    static HttpReply fetchCa(const QUrl &bootstrapBase);
    /// GET <base>/edge.crt with a CSR body; the server is verified against `ca`, the client
    /// presents `clientCert`/`clientKey` when given (rotation). Empty auth sends no Authorization.
    static HttpReply requestCertificate(const QUrl &bootstrapBase, const crypto::Certificate &ca,
                                        const QByteArray &csrDer, const QByteArray &authorization,
                                        const QString &nodeName,
                                        const crypto::Certificate *clientCert = nullptr,
                                        const crypto::PrivateKey *clientKey = nullptr);
    /// The whole KubeEdge bootstrap with a join token; keeps CA, key and certificate.
    Status bootstrap(const QUrl &bootstrapBase, const QString &token);
    /// A new certificate presenting the current one (no token).
    Status rotate(const QUrl &bootstrapBase);
    /// Uses the given identity instead of a bootstrapped one (certificates from another CA...).
    void setIdentity(const crypto::Certificate &ca, const crypto::Certificate &cert,
                     const crypto::PrivateKey &key);
    /// Connect without any client certificate (the hub must refuse the TLS handshake).
    void clearClientCertificate();

    const crypto::Certificate &ca() const { return m_ca; }
    const crypto::Certificate &certificate() const { return m_cert; }
    const crypto::PrivateKey &key() const { return m_key; }
    /// mTLS configuration of this edge (CA as the only root, its certificate if any).
    QSslConfiguration sslConfiguration() const;

    // --- session ------------------------------------------------------------------------------
    /// Headers sent with the upgrade; defaults node_id/project_id/ConnectionUse: msg.
    void setHeader(const QByteArray &name, const QByteArray &value);
    void removeHeader(const QByteArray &name);

    /// Opens wss://127.0.0.1:<port>/<project>/<node>/events; true once connected.
    bool connectTo(quint16 port, int timeoutMs = 5000);
    bool isConnected() const;
    /// Waits until the hub closed the connection; true if it did within the time.
    bool waitForDisconnected(int timeoutMs = 5000);
    QWebSocketProtocol::CloseCode closeCode() const { return m_socket.closeCode(); }
    QString closeReason() const { return m_socket.closeReason(); }
    QAbstractSocket::SocketError lastError() const { return m_lastError; }

    void sendKeepalive();
    /// Keepalives every intervalMs until stopped (0 stops).
    void keepAliveEvery(int intervalMs);
    void send(const Message &m);
    void sendText(const QString &text);
    void sendBinary(const QByteArray &data);
    /// The KubeEdge ack: operation response, parent = m.id, content "OK".
    void ack(const Message &m);
    void close();

    const QList<Message> &received() const { return m_received; }
    /// Waits for a received message matching pred; returns it.
    std::optional<Message> waitForMessage(const std::function<bool(const Message &)> &pred,
                                          int timeoutMs = 5000);

    /// Raw TLS + upgrade with this edge's identity and headers; returns the first close frame.
    RawClose rawConnectAndReadClose(quint16 port, int timeoutMs = 5000) const;
    /// Raw TLS + upgrade; the socket after the 101 response (null on failure; *rest gets any bytes
    /// that followed the response head). For tests that must not read, or must write raw frames.
    std::unique_ptr<QSslSocket> rawConnect(quint16 port, QByteArray *rest = nullptr,
                                           int timeoutMs = 5000) const;
    /// One masked client frame (FIN set) with the given opcode (1 text, 2 binary, 8 close).
    static QByteArray clientFrame(quint8 opcode, const QByteArray &payload);

private:
    QString m_node;
    crypto::Certificate m_ca;
    crypto::Certificate m_cert;
    crypto::PrivateKey m_key;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    QWebSocket m_socket;
    QList<Message> m_received;
    QAbstractSocket::SocketError m_lastError = QAbstractSocket::UnknownSocketError;
    QTimer *m_keepaliveTimer;
};

} // namespace qedge::test
