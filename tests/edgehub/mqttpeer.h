#pragma once

// A test MQTT client (a "mapper" or a local app) on the real broker, built on the edge's own
// MqttClient wrapper; shared by the eventbus, devicetwin and e2e tests.

#include "edgehub/mqttclient.h"

#include <QElapsedTimer>
#include <QList>
#include <QPair>
#include <QSignalSpy>
#include <QTest>

namespace qedge::test {

class MqttPeer : public QObject
{
public:
    /// A non-empty clientId makes a persistent session (the broker queues while it is away).
    explicit MqttPeer(quint16 port, const QString &clientId = {})
    {
        MqttClient::Settings s;
        s.port = port;
        s.clientId = clientId;
        s.cleanSession = clientId.isEmpty();
        m_client = new MqttClient(s, this);
        connect(m_client, &MqttClient::messageReceived, this,
                [this](const QString &topic, const QByteArray &payload) { received.append({topic, payload}); });
    }

    /// Connects and waits for the CONNACK.
    bool connectNow(int timeoutMs = 10000)
    {
        QSignalSpy up(m_client, &MqttClient::connected);
        if (!m_client->start())
            return false;
        return m_client->isConnected() || up.wait(timeoutMs);
    }

    /// Subscribes and proves the subscription works with a probe on its own topic.
    bool subscribe(const QString &filter, const QString &probeTopic)
    {
        if (!m_client->subscribe(filter))
            return false;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 10000) {
            m_client->publish(probeTopic, QByteArrayLiteral("probe"));
            if (QTest::qWaitFor([&] { return countOn(probeTopic) > 0; }, 200)) {
                received.clear();
                return true;
            }
        }
        return false;
    }

    bool publish(const QString &topic, const QByteArray &payload)
    {
        return bool(m_client->publish(topic, payload));
    }

    int countOn(const QString &topic) const
    {
        int n = 0;
        for (const auto &r : received)
            n += r.first == topic ? 1 : 0;
        return n;
    }
    /// The last payload on topic (empty if none).
    QByteArray lastOn(const QString &topic) const
    {
        for (auto it = received.crbegin(); it != received.crend(); ++it)
            if (it->first == topic)
                return it->second;
        return {};
    }

    MqttClient *client() const { return m_client; }
    QList<QPair<QString, QByteArray>> received;

private:
    MqttClient *m_client;
};

} // namespace qedge::test
