#include "edgehub/mqttclient.h"

#include <QDateTime>
#include <QMetaObject>
#include <QPointer>
#include <QUrl>

#include <mosquitto.h>

#include <mutex>

namespace qedge {

Q_LOGGING_CATEGORY(lcEdgeMqtt, "qedge.edgehub.mqtt")

namespace {
void initLibraryOnce()
{
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

QString describe(int rc)
{
    if (rc == MOSQ_ERR_ERRNO)
        return QString::fromLocal8Bit(strerror(errno));
    return QString::fromUtf8(mosquitto_strerror(rc));
}

Status failure(const QString &what, int rc)
{
    return Status::failure(QStringLiteral("mqtt.error"), QStringLiteral("%1: %2").arg(what, describe(rc)));
}
} // namespace

Status MqttClient::parseServerUrl(const QString &url, Settings &s)
{
    const QUrl u(url, QUrl::StrictMode);
    const QString scheme = u.scheme().toLower();
    const bool tls = scheme == QLatin1String("ssl") || scheme == QLatin1String("mqtts")
                     || scheme == QLatin1String("tls");
    if (!u.isValid() || u.host().isEmpty()
        || !(tls || scheme == QLatin1String("tcp") || scheme == QLatin1String("mqtt")))
        return Status::failure(QStringLiteral("mqtt.url"),
                               QStringLiteral("MQTT server \"%1\" is not tcp://HOST[:PORT] or ssl://HOST[:PORT]")
                                   .arg(url));
    s.host = u.host();
    s.tls = tls;
    s.port = u.port(tls ? 8883 : 1883);
    return {};
}

MqttClient::MqttClient(const Settings &settings, QObject *parent)
    : QObject(parent), m_settings(settings)
{
    initLibraryOnce();
    m_supervisor.setInterval(1000);
    connect(&m_supervisor, &QTimer::timeout, this, &MqttClient::supervise);
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (m_started && !m_mosq)
            if (Status s = createClient(); !s)
                qCWarning(lcEdgeMqtt).noquote() << s.errorMessage();
    });
}

MqttClient::~MqttClient()
{
    stop();
}

QString MqttClient::serverText() const
{
    return QStringLiteral("%1://%2:%3")
        .arg(m_settings.tls ? QStringLiteral("ssl") : QStringLiteral("tcp"), m_settings.host)
        .arg(m_settings.port);
}

Status MqttClient::start()
{
    if (m_started)
        return {};
    if (Status s = createClient(); !s)
        return s;
    m_started = true;
    m_downSinceMs = QDateTime::currentMSecsSinceEpoch();
    m_supervisor.start();
    return {};
}

Status MqttClient::createClient()
{
    const QByteArray id = m_settings.clientId.toUtf8();
    const bool clean = m_settings.cleanSession || id.isEmpty();
    m_mosq = mosquitto_new(id.isEmpty() ? nullptr : id.constData(), clean, this);
    if (!m_mosq)
        return Status::failure(QStringLiteral("mqtt.init"), QStringLiteral("cannot create an MQTT client"));
    mosquitto_int_option(m_mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(m_mosq, &MqttClient::onConnect);
    mosquitto_disconnect_callback_set(m_mosq, &MqttClient::onDisconnect);
    mosquitto_message_callback_set(m_mosq, &MqttClient::onMessage);
    mosquitto_reconnect_delay_set(m_mosq, unsigned(qMax(1, m_settings.reconnectMinSeconds)),
                                  unsigned(qMax(1, m_settings.reconnectMaxSeconds)), true);
    if (!m_settings.username.isEmpty()) {
        const QByteArray user = m_settings.username.toUtf8();
        const QByteArray pass = m_settings.password.toUtf8();
        if (int rc = mosquitto_username_pw_set(m_mosq, user.constData(),
                                               m_settings.password.isEmpty() ? nullptr : pass.constData());
            rc != MOSQ_ERR_SUCCESS) {
            destroyClient();
            return failure(QStringLiteral("MQTT username"), rc);
        }
    }
    if (m_settings.tls) {
        const QByteArray ca = m_settings.caFile.toLocal8Bit();
        const QByteArray cert = m_settings.certFile.toLocal8Bit();
        const QByteArray key = m_settings.keyFile.toLocal8Bit();
        if (int rc = mosquitto_tls_set(m_mosq, ca.isEmpty() ? nullptr : ca.constData(), nullptr,
                                       cert.isEmpty() ? nullptr : cert.constData(),
                                       key.isEmpty() ? nullptr : key.constData(), nullptr);
            rc != MOSQ_ERR_SUCCESS) {
            destroyClient();
            return failure(QStringLiteral("MQTT TLS files (ca %1, cert %2, key %3)")
                               .arg(m_settings.caFile, m_settings.certFile, m_settings.keyFile),
                           rc);
        }
    }
    const QByteArray host = m_settings.host.toUtf8();
    // libmosquitto's loop only reconnects a client that once got as far as a socket; when the
    // first connect fails at once (nothing listens), start over later with a fresh client.
    if (int rc = mosquitto_connect_async(m_mosq, host.constData(), m_settings.port, m_settings.keepaliveSeconds);
        rc != MOSQ_ERR_SUCCESS) {
        const QString reason = describe(rc);
        destroyClient();
        const int delayS = qMin(m_settings.reconnectMaxSeconds,
                                m_settings.reconnectMinSeconds << qMin(m_attempts++, 10));
        m_retry.start(qMax(1, delayS) * 1000);
        QMetaObject::invokeMethod(this, [this, reason] { setConnected(false, reason); }, Qt::QueuedConnection);
        return {};
    }
    m_attempts = 0;
    if (int rc = mosquitto_loop_start(m_mosq); rc != MOSQ_ERR_SUCCESS) {
        destroyClient();
        return failure(QStringLiteral("MQTT network thread"), rc);
    }
    m_loopRunning = true;
    return {};
}

void MqttClient::destroyClient()
{
    if (!m_mosq)
        return;
    if (m_loopRunning) {
        mosquitto_disconnect(m_mosq);
        mosquitto_loop_stop(m_mosq, false);
        m_loopRunning = false;
    }
    mosquitto_destroy(m_mosq);
    m_mosq = nullptr;
}

void MqttClient::stop()
{
    m_started = false;
    m_retry.stop();
    m_supervisor.stop();
    destroyClient();
    m_connected = false;
}

void MqttClient::supervise()
{
    if (m_connected || !m_mosq || !m_started)
        return;
    // libmosquitto's thread stops on fatal errors (DNS, TLS); after the longest backoff plus a
    // margin without a connection, start over with a fresh client.
    const qint64 limit = qint64(m_settings.reconnectMaxSeconds) * 1000 + 15000;
    if (QDateTime::currentMSecsSinceEpoch() - m_downSinceMs < limit)
        return;
    qCDebug(lcEdgeMqtt).noquote() << "recreating the MQTT client for" << serverText();
    destroyClient();
    m_downSinceMs = QDateTime::currentMSecsSinceEpoch();
    if (Status s = createClient(); !s)
        qCWarning(lcEdgeMqtt).noquote() << s.errorMessage();
}

void MqttClient::setConnected(bool on, const QString &reason)
{
    if (!m_started)
        return; // stopped meanwhile
    if (on) {
        m_connected = true;
        emit connected();
        return;
    }
    if (m_connected || m_downSinceMs == 0)
        m_downSinceMs = QDateTime::currentMSecsSinceEpoch();
    m_connected = false;
    emit connectionLost(reason);
}

void MqttClient::onConnect(struct mosquitto *, void *self, int rc)
{
    auto *c = static_cast<MqttClient *>(self);
    const QString reason = rc == 0 ? QString() : QString::fromUtf8(mosquitto_connack_string(rc));
    QMetaObject::invokeMethod(c, [c, rc, reason] { c->setConnected(rc == 0, reason); }, Qt::QueuedConnection);
}

void MqttClient::onDisconnect(struct mosquitto *, void *self, int rc)
{
    auto *c = static_cast<MqttClient *>(self);
    const QString reason = rc == 0 ? QStringLiteral("disconnected") : describe(rc);
    QMetaObject::invokeMethod(c, [c, reason] { c->setConnected(false, reason); }, Qt::QueuedConnection);
}

void MqttClient::onMessage(struct mosquitto *, void *self, const ::mosquitto_message *msg)
{
    auto *c = static_cast<MqttClient *>(self);
    const QString topic = QString::fromUtf8(msg->topic);
    const QByteArray payload(static_cast<const char *>(msg->payload), msg->payloadlen);
    QMetaObject::invokeMethod(c, [c, topic, payload] {
        if (c->m_started)
            emit c->messageReceived(topic, payload);
    }, Qt::QueuedConnection);
}

Status MqttClient::subscribe(const QString &filter, int qos)
{
    if (!m_mosq)
        return Status::failure(QStringLiteral("mqtt.offline"), QStringLiteral("MQTT client not started"));
    const QByteArray f = filter.toUtf8();
    if (int rc = mosquitto_subscribe(m_mosq, nullptr, f.constData(), qos); rc != MOSQ_ERR_SUCCESS)
        return failure(QStringLiteral("subscribe %1").arg(filter), rc);
    return {};
}

Status MqttClient::unsubscribe(const QString &filter)
{
    if (!m_mosq)
        return Status::failure(QStringLiteral("mqtt.offline"), QStringLiteral("MQTT client not started"));
    const QByteArray f = filter.toUtf8();
    if (int rc = mosquitto_unsubscribe(m_mosq, nullptr, f.constData()); rc != MOSQ_ERR_SUCCESS)
        return failure(QStringLiteral("unsubscribe %1").arg(filter), rc);
    return {};
}

Status MqttClient::publish(const QString &topic, const QByteArray &payload, int qos, bool retain)
{
    if (!m_mosq || !m_connected)
        return Status::failure(QStringLiteral("mqtt.offline"), QStringLiteral("not connected to the MQTT broker"));
    const QByteArray t = topic.toUtf8();
    int rc = mosquitto_publish(m_mosq, nullptr, t.constData(), int(payload.size()), payload.constData(), qos,
                               retain);
    if (rc == MOSQ_ERR_NO_CONN)
        return Status::failure(QStringLiteral("mqtt.offline"), QStringLiteral("not connected to the MQTT broker"));
    if (rc != MOSQ_ERR_SUCCESS)
        return failure(QStringLiteral("publish to %1").arg(topic), rc);
    return {};
}

} // namespace qedge
