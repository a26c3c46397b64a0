#include "edgehub/link.h"

#include "edgehub/edgelogging.h"
#include "edgehub/outbox.h"
#include "edgehub/router.h"
#include "shared/codec.h"
#include "shared/messagebus.h"

#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QWebSocket>

#include <algorithm>

namespace qedge {

namespace {
constexpr int DrainBatch = 256;

bool isControl(const QString &op)
{
    return op == op::Ping || op == op::Pong || op == op::Config;
}
} // namespace

Link::Link(const Settings &settings, Outbox *outbox, QObject *parent)
    : Module(edge::LinkModule, edge::HubGroup, parent), m_settings(settings), m_outbox(outbox),
      m_limiter(settings.qps, settings.burst)
{
    m_reconnectTimer.setSingleShot(true);
    m_handshakeTimer.setSingleShot(true);
    m_drainTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &Link::dial);
    connect(&m_handshakeTimer, &QTimer::timeout, this, [this] {
        onGone(QStringLiteral("handshake timed out after %1 ms").arg(m_settings.handshakeTimeoutMs));
    });
    connect(&m_heartbeatTimer, &QTimer::timeout, this, [this] {
        sendKeepalive();
        checkLiveness();
    });
    connect(&m_drainTimer, &QTimer::timeout, this, &Link::drain);
}

Link::~Link()
{
    if (m_socket)
        m_socket->abort();
}

int Link::backoffMs(int baseMs, int capMs, int failures)
{
    const qint64 base = std::max(baseMs, 1);
    const qint64 step = base << std::clamp(failures, 0, 20);
    const qint64 wait = std::min<qint64>(std::max(capMs, baseMs), step);
    // Up to +25 %: after a hub restart its nodes come back spread out, not in one second.
    return int(wait + QRandomGenerator::global()->bounded(wait / 4 + 1));
}

void Link::setSslConfiguration(const QSslConfiguration &ssl)
{
    m_ssl = ssl;
    m_hasSsl = true;
}

void Link::start()
{}

void Link::open()
{
    if (m_socket || m_stopping)
        return;
    m_reconnectTimer.stop();
    dial();
}

void Link::reconnectNow(const QString &reason)
{
    if (m_socket)
        onGone(reason);
    m_reconnectTimer.stop();
    m_failures = 0;
    dial();
}

void Link::dial()
{
    if (m_stopping || m_socket)
        return;
    auto *s = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket = s;
    s->setMaxAllowedIncomingFrameSize(quint64(m_settings.maxFrameBytes));
    s->setMaxAllowedIncomingMessageSize(quint64(m_settings.maxFrameBytes));
    if (m_hasSsl)
        s->setSslConfiguration(m_ssl);
    connect(s, &QWebSocket::connected, this, &Link::onConnected);
    connect(s, &QWebSocket::disconnected, this, [this, s] {
        if (s != m_socket)
            return;
        QString why = s->closeReason();
        if (why.isEmpty())
            why = s->errorString();
        onGone(QStringLiteral("closed (code %1)%2")
                   .arg(int(s->closeCode()))
                   .arg(why.isEmpty() ? QString() : QStringLiteral(": ") + why));
    });
    connect(s, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this, s](QAbstractSocket::SocketError) {
                if (s == m_socket)
                    onGone(s->errorString());
            });
    connect(s, &QWebSocket::sslErrors, this, [](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            qCWarning(lcEdgeLink).noquote() << "TLS:" << e.errorString();
    });
    connect(s, &QWebSocket::textMessageReceived, this, [this](const QString &t) { onFrame(t.toUtf8()); });
    connect(s, &QWebSocket::binaryMessageReceived, this, &Link::onFrame);
    connect(s, &QWebSocket::pong, this, [this](quint64, const QByteArray &) { m_lastRead.restart(); });

    QNetworkRequest req(m_settings.url);
    req.setRawHeader("node_id", m_settings.nodeId.toUtf8());
    req.setRawHeader("project_id", m_settings.projectId.toUtf8());
    req.setRawHeader("ConnectionUse", "msg");
    qCDebug(lcEdgeLink).noquote() << "dialling" << m_settings.url.toString();
    m_handshakeTimer.start(m_settings.handshakeTimeoutMs);
    s->open(req);
}

void Link::onConnected()
{
    m_handshakeTimer.stop();
    m_connected = true;
    m_failures = 0;
    ++m_counters.connects;
    m_lastRead.start();
    qCInfo(lcEdgeLink).noquote() << "connected to" << m_settings.url.toString();
    sendKeepalive();
    m_heartbeatTimer.start(m_settings.heartbeatMs);
    broadcast(true);
    emit connected();
    drain();
}

void Link::onGone(const QString &reason)
{
    QWebSocket *s = m_socket;
    if (!s)
        return;
    m_socket = nullptr;
    s->disconnect(this);
    s->abort();
    s->deleteLater();
    m_handshakeTimer.stop();
    m_heartbeatTimer.stop();
    m_drainTimer.stop();
    m_lastReason = reason;
    if (m_connected) {
        m_connected = false;
        ++m_counters.disconnects;
        qCWarning(lcEdgeLink).noquote() << "disconnected:" << reason;
        spillMemory();
        broadcast(false);
        emit disconnected(reason);
    } else if (!m_stopping) {
        qCWarning(lcEdgeLink).noquote() << "cannot connect to" << m_settings.url.toString() << "-" << reason;
    }
    if (m_stopping)
        return;
    const int wait = backoffMs(m_settings.reconnectBaseMs, m_settings.reconnectCapMs, m_failures++);
    qCInfo(lcEdgeLink) << "reconnecting in" << wait << "ms";
    m_reconnectTimer.start(wait);
}

void Link::onFrame(const QByteArray &frame)
{
    m_lastRead.restart();
    ++m_counters.framesIn;
    DecodeLimits limits;
    limits.maxBytes = m_settings.maxFrameBytes;
    auto decoded = codec::decode(frame, limits);
    if (!decoded) {
        qCWarning(lcEdgeLink).noquote() << "bad frame from the hub, ignored:" << decoded.errorMessage();
        return;
    }
    const Message &m = decoded.value();
    if (isControl(m.operation())) {
        // Viaduct answers these inside the transport (reference §2.5).
        write(Message::responseTo(m, QStringLiteral("ack")));
        return;
    }
    if (!bus() || !dispatchFromCloud(bus(), m))
        ++m_counters.dropped;
}

void Link::sendKeepalive()
{
    Message k =
        Message::create(edge::LinkModule, QStringLiteral("resource"), op::Keepalive, QStringLiteral("node"));
    k.setContentString(QStringLiteral("ping"));
    write(k);
}

void Link::checkLiveness()
{
    if (!m_socket || !m_connected)
        return;
    if (m_lastRead.elapsed() > m_settings.readDeadlineMs) {
        onGone(QStringLiteral("nothing read from the hub for %1 ms").arg(m_lastRead.elapsed()));
        return;
    }
    // The hub sends nothing on an idle link; a WebSocket ping makes it answer.
    m_socket->ping();
}

bool Link::write(const Message &m)
{
    if (!m_socket || !m_connected)
        return false;
    Message out = m;
    out.header().sync = false;
    const QByteArray frame = codec::encode(out);
    if (m_socket->sendTextMessage(QString::fromUtf8(frame)) < 0)
        return false;
    ++m_counters.framesOut;
    return true;
}

void Link::handleMessage(const Message &m)
{
    if (m.operation() == op::Keepalive) {
        write(m);
        return;
    }
    const bool fastPath = m_connected && m_outbox->depth() == 0 && m_memory.isEmpty();
    if (fastPath && m_limiter.tryTake() && write(m))
        return;
    if (m_connected && m_outbox->depth() == 0) {
        m_memory.append(m);
        if (!m_drainTimer.isActive())
            m_drainTimer.start(m_limiter.msUntilToken());
        return;
    }
    if (Status s = m_outbox->push(m); !s) {
        ++m_counters.dropped;
        qCWarning(lcEdgeOutbox).noquote() << "upstream message" << m.id() << "lost:" << s.errorMessage();
    }
    if (m_connected && !m_drainTimer.isActive())
        m_drainTimer.start(0);
}

void Link::drain()
{
    if (!m_connected)
        return;
    while (m_outbox->depth() > 0) {
        auto batch = m_outbox->peek(DrainBatch);
        if (!batch) {
            qCWarning(lcEdgeOutbox).noquote() << batch.errorMessage();
            m_drainTimer.start(1000);
            return;
        }
        qint64 done = -1;
        bool blocked = false;
        for (const Outbox::Entry &e : batch.value()) {
            if (!e.message.id().isEmpty()) {
                if (!m_limiter.tryTake()) {
                    blocked = true;
                    break;
                }
                if (!write(e.message)) {
                    blocked = true;
                    break;
                }
            }
            done = e.seq;
        }
        if (done >= 0) {
            if (Status s = m_outbox->removeThrough(done); !s)
                qCWarning(lcEdgeOutbox).noquote() << s.errorMessage();
        }
        if (blocked || !m_connected) {
            if (m_connected)
                m_drainTimer.start(m_limiter.msUntilToken());
            return;
        }
    }
    while (!m_memory.isEmpty()) {
        if (!m_limiter.tryTake()) {
            m_drainTimer.start(m_limiter.msUntilToken());
            return;
        }
        if (!write(m_memory.first()))
            return;
        m_memory.removeFirst();
    }
}

void Link::spillMemory()
{
    if (m_memory.isEmpty())
        return;
    if (Status s = m_outbox->pushAll(m_memory); !s) {
        m_counters.dropped += quint64(m_memory.size());
        qCWarning(lcEdgeOutbox).noquote() << m_memory.size() << "upstream messages lost:" << s.errorMessage();
    }
    m_memory.clear();
}

void Link::broadcast(bool connected)
{
    if (!bus())
        return;
    for (const QString &g : {edge::TwinGroup, edge::MetaGroup, edge::BusGroup})
        bus()->sendToGroup(g, connectionMessage(g, connected));
}

void Link::cleanup()
{
    m_stopping = true;
    m_reconnectTimer.stop();
    spillMemory();
    if (m_socket) {
        QWebSocket *s = m_socket;
        const bool was = m_connected;
        m_socket = nullptr;
        m_connected = false;
        s->disconnect(this);
        s->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("edgehub shutting down"));
        s->deleteLater();
        if (was)
            broadcast(false);
    }
}

} // namespace qedge
