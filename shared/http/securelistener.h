#pragma once

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>

#include <atomic>
#include <memory>

QT_BEGIN_NAMESPACE
class QIODevice;
class QSslSocket;
class QTcpServer;
class QTcpSocket;
class QTimer;
QT_END_NAMESPACE

namespace qedge::http {

/// Frees the read and write buffer chunks an idle socket keeps (Qt keeps one chunk per buffer after
/// use: 16 KiB read, 32 KiB write, on the TLS socket and again on the TCP socket under it). Does
/// nothing to a buffer that holds data or while a read transaction is open; false if it skipped.
bool releaseIdleBuffers(QIODevice *device);

/// Accepts TCP connections and, with a TLS configuration, runs the server handshake under a
/// deadline before handing the socket on. Rejections are counted by reason.
///
/// Ownership: a socket is a child of the listener until socketReady. A slot connected to
/// socketReady (directly: it runs before emit returns) takes it by reparenting it (or deleting it
/// later); a socket still parented to the listener when emit returns is closed and deleted, so an
/// unclaimed connection never leaks. Open connections are counted until each socket is destroyed,
/// whoever owns it by then.
class SecureListener : public QObject
{
    Q_OBJECT
public:
    explicit SecureListener(QObject *parent = nullptr);
    ~SecureListener() override;

    /// TLS settings (certificate, key, peer verify mode); a null configuration means plain TCP.
    void setTlsConfiguration(const QSslConfiguration &configuration);
    bool isTls() const { return !m_tls.isNull(); }
    /// Time a client has from connect to a finished TLS handshake (default 10 s).
    void setHandshakeTimeout(int ms) { m_handshakeTimeoutMs = ms; }
    /// Connections over this many open ones are closed at once ("max-connections").
    void setMaxConnections(int n) { m_maxConnections = n; }
    /// Concurrent TLS handshakes over this are closed at once ("handshake-limit"); they cost CPU.
    void setMaxPendingHandshakes(int n) { m_maxPendingHandshakes = n; }

    bool listen(const QHostAddress &address, quint16 port);
    bool isListening() const;
    quint16 port() const;
    QString errorString() const;
    /// Stops accepting; connections already handed on stay open.
    void close();

    /// Connections accepted and not yet destroyed (in handshake or handed on).
    int openConnections() const { return m_open->load(); }
    int pendingHandshakes() const { return int(m_handshakes.size()); }

    /// How many connections were refused for reason ("handshake-timeout", "tls-error",
    /// "handshake-aborted", "handshake-limit", "max-connections", "socket-error", "unclaimed",
    /// and the HTTP layer's "bad-request", "header-too-large", "body-too-large", "request-timeout").
    quint64 rejected(const QString &reason) const { return m_rejections.value(reason); }
    QHash<QString, quint64> rejections() const { return m_rejections; }
    /// Counts a rejection made by a layer above (the HTTP server uses it).
    void countRejection(const QString &reason);

signals:
    /// A connected socket, a QSslSocket with a finished handshake in TLS mode (its peer
    /// certificate chain is available). See the class comment for who owns it.
    void socketReady(QTcpSocket *socket);

private:
    class TcpServer;

    void acceptDescriptor(qintptr descriptor);
    void startHandshake(QSslSocket *socket);
    void finishHandshake(QSslSocket *socket);
    void failHandshake(QSslSocket *socket, const QString &reason);
    void trackOpen(QObject *socket);
    void handOn(QTcpSocket *socket);

    TcpServer *m_server;
    QSslConfiguration m_tls;
    int m_handshakeTimeoutMs = 10000;
    int m_maxConnections = 10000;
    int m_maxPendingHandshakes = 1024;
    QHash<QSslSocket *, QTimer *> m_handshakes;
    QHash<QString, quint64> m_rejections;
    // Shared with a token object inside each socket, so the count survives the listener.
    std::shared_ptr<std::atomic<int>> m_open;
};

} // namespace qedge::http
