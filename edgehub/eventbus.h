#pragma once

#include "edgehub/mqttclient.h"
#include "shared/module.h"
#include "shared/result.h"

#include <QList>
#include <QSqlDatabase>
#include <QStringList>

#include <memory>

namespace qedge {

/// EventBus (module `eventbus`, group `bus`, reference §10): a client of an external MQTT broker.
/// MQTT → bus: device and node topics go to group `twin` (resource base64url(topic), operation
/// `response`); everything else it subscribed to goes up to the cloud through group `hub`
/// (resource = topic, operation `upload`, group `user`), so the link's durable outbox keeps it
/// while the cloud is away. Bus → MQTT: `publish`, `message`, `subscribe`/`unsubscribe` (kept in
/// table `sub_topics`). Publishes made while the broker is away wait in memory (bounded).
class EventBus : public Module
{
    Q_OBJECT
public:
    struct Settings
    {
        QString server = QStringLiteral("tcp://127.0.0.1:1883");
        QString username, password;
        QString caFile, certFile, keyFile; ///< used with ssl:// servers
        QString clientId;                  ///< empty: "qedge-eventbus-<node>"
        QString nodeId;
        /// false: the broker keeps our subscriptions and queues QoS 1 messages while the edge is
        /// away, so a restart of the edgehub loses nothing (KubeEdge uses clean sessions).
        bool cleanSession = false;
        int qos = 1;
        int maxPendingPublishes = 1000;
        int reconnectMinSeconds = 1;
        int reconnectMaxSeconds = 30;
    };
    struct Counters
    {
        quint64 fromMqtt = 0, toTwin = 0, toCloud = 0, published = 0, pendingDropped = 0, connects = 0;
    };

    EventBus(QSqlDatabase db, const Settings &settings, QObject *parent = nullptr);
    ~EventBus() override;

    /// Validates the settings and creates table `sub_topics`; call before the module starts.
    Status open();

    /// The subscriptions made on every connect (reference §10.2).
    static QStringList defaultTopics();
    /// base64url (padded) of the topic: the resource of messages to the twin module.
    static QString topicResource(const QString &topic);
    /// The inverse of topicResource(); empty if it is not one.
    static QString topicFromResource(const QString &resource);

    /// Topics added by `subscribe` messages, as stored.
    QStringList extraTopics() const { return m_extra; }
    bool isBrokerConnected() const;
    int pendingPublishes() const { return int(m_pending.size()); }
    Counters counters() const { return m_counters; }

signals:
    void brokerConnected();
    void brokerLost(const QString &reason);

protected:
    void start() override;
    void cleanup() override;
    void handleMessage(const Message &m) override;

private:
    struct Pending
    {
        QString topic;
        QByteArray payload;
    };
    void onConnected();
    void onLost(const QString &reason);
    void onMqtt(const QString &topic, const QByteArray &payload);
    void publish(const QString &topic, const QByteArray &payload);
    void changeSubscription(const QString &topic, bool add);

    QSqlDatabase m_db;
    Settings m_settings;
    MqttClient::Settings m_mqtt;
    std::unique_ptr<MqttClient> m_client;
    QStringList m_extra;
    QList<Pending> m_pending;
    Counters m_counters;
    bool m_warned = false;
    bool m_everConnected = false;
};

} // namespace qedge
