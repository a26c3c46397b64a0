#pragma once

#include "edgehub/ratelimiter.h"
#include "shared/message.h"
#include "shared/module.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QList>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>

class QWebSocket;

namespace qedge {

class Outbox;

/// The edge's end of the cloud link (module `websocket`, group `hub`, reference §6): one
/// QWebSocket to the hub with KubeEdge's URL and headers, keepalives, liveness by WebSocket
/// pings, reconnect with a base wait and jittered exponential backoff. Cloud messages are routed
/// by routeFromCloud(); module messages go up rate-limited, through the durable outbox when the
/// link is down.
class Link : public Module
{
    Q_OBJECT
public:
    struct Settings
    {
        QUrl url; ///< wss://<hub>/<projectID>/<node>/events
        QString nodeId;
        QString projectId = QStringLiteral("e632aba927ea4ac2b575ec1603d56f10");
        int heartbeatMs = 15000;
        int readDeadlineMs = 45000;  ///< no frame nor pong for this long: the hub is gone
        int reconnectBaseMs = 30000; ///< KubeEdge's wait after a broken link
        int reconnectCapMs = 300000;
        int handshakeTimeoutMs = 30000;
        double qps = 30;
        int burst = 60;
        qint64 maxFrameBytes = 16 * 1024 * 1024;
    };
    struct Counters
    {
        quint64 framesIn = 0, framesOut = 0, connects = 0, disconnects = 0, dropped = 0;
    };

    Link(const Settings &settings, Outbox *outbox, QObject *parent = nullptr);
    ~Link() override;

    /// TLS for the next connection (mTLS client certificate and the pinned CA).
    void setSslConfiguration(const QSslConfiguration &ssl);
    /// Starts connecting now if not connected or connecting (certificates are ready).
    void open();
    /// Drops the connection and dials again at once (new certificate).
    void reconnectNow(const QString &reason);

    bool isConnected() const { return m_connected; }
    QUrl url() const { return m_settings.url; }
    /// Messages waiting in memory for a rate-limit token (the rest wait in the outbox).
    int pendingInMemory() const { return int(m_memory.size()); }
    Counters counters() const { return m_counters; }
    QString lastDisconnectReason() const { return m_lastReason; }
    /// MetaManager acks a whole batch (up to 512) at once, several batches per burst from the hub;
    /// beehive's 1024 would drop acks and make the hub resend.
    int queueCapacity() const override { return 16384; }
    /// Milliseconds of the next reconnect wait after `failures` consecutive failures (jittered).
    static int backoffMs(int baseMs, int capMs, int failures);

signals:
    void connected();
    void disconnected(const QString &reason);

protected:
    void start() override;
    void cleanup() override;
    void handleMessage(const Message &m) override;

private:
    void dial();
    void onConnected();
    void onGone(const QString &reason);
    void onFrame(const QByteArray &frame);
    void sendKeepalive();
    void checkLiveness();
    bool write(const Message &m);
    void drain();
    void spillMemory();
    void broadcast(bool connected);

    Settings m_settings;
    Outbox *m_outbox;
    QPointer<QWebSocket> m_socket;
    QSslConfiguration m_ssl;
    bool m_hasSsl = false;
    bool m_connected = false;
    bool m_stopping = false;
    int m_failures = 0;
    QString m_lastReason;
    RateLimiter m_limiter;
    QList<Message> m_memory;
    QTimer m_reconnectTimer;
    QTimer m_heartbeatTimer;
    QTimer m_handshakeTimer;
    QTimer m_drainTimer;
    QElapsedTimer m_lastRead;
    Counters m_counters;
};

} // namespace qedge
