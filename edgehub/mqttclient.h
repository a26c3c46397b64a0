#pragma once

#include "shared/result.h"

#include <QByteArray>
#include <QLoggingCategory>
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>

struct mosquitto;
struct mosquitto_message;

namespace qedge {

Q_DECLARE_LOGGING_CATEGORY(lcEdgeMqtt)

/// One MQTT client connection over libmosquitto, shaped for a Qt event loop.
///
/// libmosquitto runs its network loop in its own thread (mosquitto_loop_start): it owns the
/// socket, the keepalive pings and the reconnect backoff (mosquitto_reconnect_delay_set). Its
/// callbacks only copy what they get and post it into this object's thread as queued calls, so
/// the signals below are always emitted in the owner's thread. publish/subscribe are thread-safe
/// in libmosquitto's threaded mode. A supervisor timer recreates the client if the library gave up
/// (fatal errors end its thread), so the client always comes back by itself.
class MqttClient : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QString host = QStringLiteral("127.0.0.1");
        int port = 1883;
        bool tls = false;              ///< ssl:// URLs turn it on
        QString caFile, certFile, keyFile;
        QString username, password;
        QString clientId;              ///< empty: a random one (then cleanSession must be true)
        bool cleanSession = true;
        int keepaliveSeconds = 30;
        int reconnectMinSeconds = 1;   ///< exponential backoff between reconnect attempts...
        int reconnectMaxSeconds = 30;  ///< ...capped here
    };

    /// Parses tcp://host[:port], mqtt://, ssl:// or mqtts:// (default ports 1883 / 8883) into s.
    static Status parseServerUrl(const QString &url, Settings &s);

    explicit MqttClient(const Settings &settings, QObject *parent = nullptr);
    ~MqttClient() override;

    /// Starts connecting in the background; the outcome comes as connected()/connectionLost().
    Status start();
    /// Disconnects and joins the network thread; no signal is emitted after it returns.
    void stop();

    bool isConnected() const { return m_connected; }
    QString serverText() const;
    const Settings &settings() const { return m_settings; }

    Status subscribe(const QString &filter, int qos = 1);
    Status unsubscribe(const QString &filter);
    /// Fails with code "mqtt.offline" when not connected (the caller decides whether to keep it).
    Status publish(const QString &topic, const QByteArray &payload, int qos = 1, bool retain = false);

signals:
    /// CONNACK accepted; subscriptions must be (re)made now.
    void connected();
    /// The connection ended or an attempt failed; reason is for people.
    void connectionLost(const QString &reason);
    void messageReceived(const QString &topic, const QByteArray &payload);

private:
    static void onConnect(struct mosquitto *, void *self, int rc);
    static void onDisconnect(struct mosquitto *, void *self, int rc);
    static void onMessage(struct mosquitto *, void *self, const ::mosquitto_message *msg);
    Status createClient();
    void destroyClient();
    void supervise();
    void setConnected(bool on, const QString &reason);

    Settings m_settings;
    struct mosquitto *m_mosq = nullptr;
    bool m_connected = false;
    bool m_loopRunning = false;
    bool m_started = false;
    int m_attempts = 0;
    QTimer m_retry;
    qint64 m_downSinceMs = 0;
    QTimer m_supervisor;
};

} // namespace qedge
