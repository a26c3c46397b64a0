#include "edgehub/eventbus.h"

#include "edgehub/edgedb.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

namespace qedge {

namespace {
const QString BusSource = QStringLiteral("bus");
const QString UserGroup = QStringLiteral("user");
const int StartupGraceMs = 3000;

bool isTwinTopic(const QString &topic)
{
    return topic.startsWith(QLatin1String("$hw/events/device/"))
           || topic.startsWith(QLatin1String("$hw/events/node/"));
}
} // namespace

EventBus::EventBus(QSqlDatabase db, const Settings &settings, QObject *parent)
    : Module(edge::EventBusModule, edge::BusGroup, parent), m_db(std::move(db)), m_settings(settings)
{
}

EventBus::~EventBus() = default;

QStringList EventBus::defaultTopics()
{
    return {QStringLiteral("$hw/events/upload/#"),
            QStringLiteral("$hw/events/device/+/+/state/update"),
            QStringLiteral("$hw/events/device/+/+/twin/+"),
            QStringLiteral("$hw/events/node/+/membership/get"),
            QStringLiteral("SYS/dis/upload_records"),
            QStringLiteral("+/user/#")};
}

QString EventBus::topicResource(const QString &topic)
{
    return QString::fromLatin1(topic.toUtf8().toBase64(QByteArray::Base64UrlEncoding));
}

QString EventBus::topicFromResource(const QString &resource)
{
    auto decoded = QByteArray::fromBase64Encoding(resource.toLatin1(),
                                                  QByteArray::Base64UrlEncoding
                                                      | QByteArray::AbortOnBase64DecodingErrors);
    return decoded ? QString::fromUtf8(*decoded) : QString();
}

Status EventBus::open()
{
    m_mqtt = {};
    if (Status s = MqttClient::parseServerUrl(m_settings.server, m_mqtt); !s)
        return s;
    m_mqtt.username = m_settings.username;
    m_mqtt.password = m_settings.password;
    m_mqtt.caFile = m_settings.caFile;
    m_mqtt.certFile = m_settings.certFile;
    m_mqtt.keyFile = m_settings.keyFile;
    m_mqtt.clientId = m_settings.clientId.isEmpty()
                          ? QStringLiteral("qedge-eventbus-") + (m_settings.nodeId.isEmpty()
                                                                     ? QStringLiteral("edge")
                                                                     : m_settings.nodeId)
                          : m_settings.clientId;
    m_mqtt.cleanSession = m_settings.cleanSession;
    m_mqtt.reconnectMinSeconds = m_settings.reconnectMinSeconds;
    m_mqtt.reconnectMaxSeconds = m_settings.reconnectMaxSeconds;

    if (Status s = execSql(m_db, QStringLiteral("CREATE TABLE IF NOT EXISTS sub_topics (topic TEXT PRIMARY KEY)")); !s)
        return s;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT topic FROM sub_topics ORDER BY topic")))
        return Status::failure(QStringLiteral("db.exec"), q.lastError().text());
    m_extra.clear();
    while (q.next())
        m_extra.append(q.value(0).toString());
    return {};
}

bool EventBus::isBrokerConnected() const
{
    return m_client && m_client->isConnected();
}

void EventBus::start()
{
    m_client = std::make_unique<MqttClient>(m_mqtt);
    connect(m_client.get(), &MqttClient::connected, this, &EventBus::onConnected);
    connect(m_client.get(), &MqttClient::connectionLost, this, &EventBus::onLost);
    connect(m_client.get(), &MqttClient::messageReceived, this, &EventBus::onMqtt);
    if (Status s = m_client->start(); !s) {
        qCWarning(lcEdgeMqtt).noquote() << "EventBus cannot start its MQTT client:" << s.errorMessage();
        return;
    }
    // One clear line when the broker is not there at start; the client keeps trying quietly.
    QTimer::singleShot(StartupGraceMs, this, [this] {
        if (!m_everConnected && !m_warned) {
            m_warned = true;
            qCWarning(lcEdgeMqtt).noquote()
                << "MQTT broker" << m_client->serverText()
                << "is not reachable; devices cannot talk to this edge until it is (retrying in the background)";
        }
    });
}

void EventBus::cleanup()
{
    if (m_client)
        m_client->stop();
    m_client.reset();
}

void EventBus::onConnected()
{
    ++m_counters.connects;
    m_everConnected = true;
    m_warned = false;
    qCInfo(lcEdgeMqtt).noquote() << "connected to MQTT broker" << m_client->serverText();
    QStringList topics = defaultTopics();
    for (const QString &t : std::as_const(m_extra))
        if (!topics.contains(t))
            topics.append(t);
    for (const QString &t : std::as_const(topics))
        if (Status s = m_client->subscribe(t, m_settings.qos); !s)
            qCWarning(lcEdgeMqtt).noquote() << s.errorMessage();
    const QList<Pending> pending = std::exchange(m_pending, {});
    for (const Pending &p : pending)
        publish(p.topic, p.payload);
    emit brokerConnected();
}

void EventBus::onLost(const QString &reason)
{
    if (!m_warned && m_everConnected) {
        m_warned = true;
        qCWarning(lcEdgeMqtt).noquote() << "lost the MQTT broker" << m_client->serverText() << "(" << reason
                                        << "); reconnecting in the background";
    } else {
        qCDebug(lcEdgeMqtt).noquote() << "MQTT connect attempt failed:" << reason;
    }
    emit brokerLost(reason);
}

void EventBus::onMqtt(const QString &topic, const QByteArray &payload)
{
    ++m_counters.fromMqtt;
    MessageBus *b = bus();
    if (!b)
        return;
    if (isTwinTopic(topic)) {
        Message m = Message::create(BusSource, UserGroup, op::Response, topicResource(topic));
        m.setContentString(QString::fromUtf8(payload));
        if (b->sendToGroup(edge::TwinGroup, m) > 0)
            ++m_counters.toTwin;
        else
            qCDebug(lcEdgeMqtt).noquote() << "no twin module for" << topic;
        return;
    }
    Message m = Message::create(BusSource, UserGroup, op::Upload, topic);
    m.setContentString(QString::fromUtf8(payload));
    if (b->sendToGroup(edge::HubGroup, m) > 0)
        ++m_counters.toCloud;
    else
        qCWarning(lcEdgeMqtt).noquote() << "no link module; MQTT message on" << topic << "dropped";
}

void EventBus::publish(const QString &topic, const QByteArray &payload)
{
    if (topic.isEmpty() || topic.contains(QLatin1Char('+')) || topic.contains(QLatin1Char('#'))) {
        qCWarning(lcEdgeMqtt).noquote() << "refusing to publish to topic" << topic;
        return;
    }
    if (m_client && m_client->isConnected()) {
        Status s = m_client->publish(topic, payload, m_settings.qos, false);
        if (s) {
            ++m_counters.published;
            return;
        }
        if (s.error().code != QLatin1String("mqtt.offline")) {
            qCWarning(lcEdgeMqtt).noquote() << s.errorMessage();
            return;
        }
    }
    if (int(m_pending.size()) >= m_settings.maxPendingPublishes) {
        m_pending.removeFirst();
        ++m_counters.pendingDropped;
    }
    m_pending.append({topic, payload});
}

void EventBus::changeSubscription(const QString &topic, bool add)
{
    if (topic.isEmpty())
        return;
    QSqlQuery q(m_db);
    q.prepare(add ? QStringLiteral("INSERT INTO sub_topics (topic) VALUES (?) ON CONFLICT (topic) DO NOTHING")
                  : QStringLiteral("DELETE FROM sub_topics WHERE topic = ?"));
    q.addBindValue(topic);
    if (!q.exec())
        qCWarning(lcEdgeMqtt).noquote() << "sub_topics:" << q.lastError().text();
    if (add && !m_extra.contains(topic))
        m_extra.append(topic);
    if (!add)
        m_extra.removeAll(topic);
    if (!m_client || !m_client->isConnected())
        return; // made on the next connect
    Status s = add ? m_client->subscribe(topic, m_settings.qos) : m_client->unsubscribe(topic);
    if (!s)
        qCWarning(lcEdgeMqtt).noquote() << s.errorMessage();
}

void EventBus::handleMessage(const Message &m)
{
    const QString operation = m.operation();
    if (m.resource() == edge::ConnectionResource)
        return;
    if (operation == QLatin1String("publish")) {
        publish(m.resource(), m.contentData());
    } else if (operation == QLatin1String("subscribe")) {
        changeSubscription(m.resource(), true);
    } else if (operation == QLatin1String("unsubscribe")) {
        changeSubscription(m.resource(), false);
    } else if (operation == QLatin1String("message")) {
        const QJsonObject inner = m.content().toObject().value(QLatin1String("message")).toObject();
        const QString topic = inner.value(QLatin1String("topic")).toString();
        publish(topic, QJsonDocument(inner).toJson(QJsonDocument::Compact));
    } else {
        qCDebug(lcEdgeMqtt) << "unsupported operation, ignored:" << m;
    }
}

} // namespace qedge
