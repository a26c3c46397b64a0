#include "shared/http/securelistener.h"

#include "shared/http/httplog.h"

#include <QPointer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTimer>

namespace qedge::http {

namespace {

constexpr int ListenBacklog = 1024;

// Lives inside a socket and lowers the open-connection count when the socket is destroyed.
class OpenToken : public QObject
{
public:
    OpenToken(std::shared_ptr<std::atomic<int>> counter, QObject *socket)
        : QObject(socket), m_counter(std::move(counter))
    {
        m_counter->fetch_add(1);
    }
    ~OpenToken() override { m_counter->fetch_sub(1); }

private:
    std::shared_ptr<std::atomic<int>> m_counter;
};

// QIODevice::setOpenMode() is protected; naming it through a subclass gives a pointer to member
// that can be applied to any device. setOpenMode() re-sizes the channel buffers to the mode, so
// NotOpen and back drops the retained chunks; the sockets themselves never look at the mode flags
// between the two calls (same thread, nothing runs in between).
struct OpenModeAccess : QIODevice
{
    static void recreateBuffers(QIODevice *device)
    {
        const OpenMode mode = device->openMode();
        const auto setMode = &OpenModeAccess::setOpenMode;
        (device->*setMode)(QIODevice::NotOpen);
        (device->*setMode)(mode);
    }
};

bool idle(const QIODevice *device)
{
    return device->isOpen() && !device->isTransactionStarted() && device->bytesAvailable() == 0 &&
           device->bytesToWrite() == 0;
}

} // namespace

bool releaseIdleBuffers(QIODevice *device)
{
    if (!device || !idle(device))
        return false;
    // A QSslSocket's plain TCP socket is its child; release it first, and only when both are idle.
    const QList<QAbstractSocket *> inner = device->findChildren<QAbstractSocket *>(Qt::FindDirectChildrenOnly);
    for (const QAbstractSocket *s : inner) {
        if (!idle(s))
            return false;
    }
    for (QAbstractSocket *s : inner)
        OpenModeAccess::recreateBuffers(s);
    OpenModeAccess::recreateBuffers(device);
    return true;
}

// Takes descriptors straight from accept(), bypassing QTcpServer's pending queue.
class SecureListener::TcpServer : public QTcpServer
{
public:
    explicit TcpServer(SecureListener *owner) : QTcpServer(owner), m_owner(owner) {}

protected:
    void incomingConnection(qintptr descriptor) override { m_owner->acceptDescriptor(descriptor); }

private:
    SecureListener *m_owner;
};

SecureListener::SecureListener(QObject *parent)
    : QObject(parent), m_server(new TcpServer(this)), m_open(std::make_shared<std::atomic<int>>(0))
{
    m_server->setListenBacklogSize(ListenBacklog);
    m_server->setMaxPendingConnections(1 << 20);
}

SecureListener::~SecureListener() = default;

void SecureListener::setTlsConfiguration(const QSslConfiguration &configuration)
{
    m_tls = configuration;
}

bool SecureListener::listen(const QHostAddress &address, quint16 port)
{
    if (!m_server->listen(address, port))
        return false;
    qCDebug(lcHttp) << "listening on" << address << m_server->serverPort() << (isTls() ? "TLS" : "plain");
    return true;
}

bool SecureListener::isListening() const
{
    return m_server->isListening();
}

quint16 SecureListener::port() const
{
    return m_server->serverPort();
}

QString SecureListener::errorString() const
{
    return m_server->errorString();
}

void SecureListener::close()
{
    m_server->close();
}

void SecureListener::countRejection(const QString &reason)
{
    ++m_rejections[reason];
}

void SecureListener::acceptDescriptor(qintptr descriptor)
{
    const bool full = openConnections() >= m_maxConnections;
    const bool tooManyHandshakes = isTls() && pendingHandshakes() >= m_maxPendingHandshakes;
    if (full || tooManyHandshakes) {
        QTcpSocket refused;
        if (refused.setSocketDescriptor(descriptor))
            refused.abort();
        const QString reason = full ? QStringLiteral("max-connections") : QStringLiteral("handshake-limit");
        countRejection(reason);
        qCDebug(lcHttp) << "refused a connection:" << reason;
        return;
    }

    if (!isTls()) {
        auto *socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            countRejection(QStringLiteral("socket-error"));
            delete socket;
            return;
        }
        trackOpen(socket);
        handOn(socket);
        return;
    }

    auto *socket = new QSslSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        countRejection(QStringLiteral("socket-error"));
        delete socket;
        return;
    }
    trackOpen(socket);
    startHandshake(socket);
}

void SecureListener::trackOpen(QObject *socket)
{
    new OpenToken(m_open, socket);
}

void SecureListener::startHandshake(QSslSocket *socket)
{
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    m_handshakes.insert(socket, timer);
    connect(timer, &QTimer::timeout, this,
            [this, socket] { failHandshake(socket, QStringLiteral("handshake-timeout")); });
    connect(socket, &QSslSocket::encrypted, this, [this, socket] { finishHandshake(socket); });
    connect(socket, &QSslSocket::errorOccurred, this, [this, socket](QAbstractSocket::SocketError e) {
        const bool aborted = e == QAbstractSocket::RemoteHostClosedError;
        failHandshake(socket, aborted ? QStringLiteral("handshake-aborted") : QStringLiteral("tls-error"));
    });
    connect(socket, &QSslSocket::disconnected, this,
            [this, socket] { failHandshake(socket, QStringLiteral("handshake-aborted")); });
    socket->setSslConfiguration(m_tls);
    timer->start(m_handshakeTimeoutMs);
    socket->startServerEncryption();
}

void SecureListener::failHandshake(QSslSocket *socket, const QString &reason)
{
    if (!m_handshakes.remove(socket))
        return; // already failed for another reason, or finished
    countRejection(reason);
    qCDebug(lcHttp) << "TLS handshake from" << socket->peerAddress() << "failed:" << reason
                    << socket->errorString();
    disconnect(socket, nullptr, this, nullptr);
    socket->abort();
    socket->deleteLater();
}

void SecureListener::finishHandshake(QSslSocket *socket)
{
    QTimer *timer = m_handshakes.take(socket);
    if (!timer)
        return;
    delete timer;
    disconnect(socket, nullptr, this, nullptr);
    handOn(socket);
}

void SecureListener::handOn(QTcpSocket *socket)
{
    QPointer<QTcpSocket> guard(socket);
    emit socketReady(socket);
    if (guard && guard->parent() == this) {
        countRejection(QStringLiteral("unclaimed"));
        guard->abort();
        guard->deleteLater();
    }
}

} // namespace qedge::http
