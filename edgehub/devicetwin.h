#pragma once

#include "edgehub/twinmodel.h"
#include "edgehub/twinstore.h"
#include "shared/message.h"
#include "shared/module.h"
#include "shared/result.h"

#include <QHash>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QTimer>

#include <optional>

namespace qedge {

Q_DECLARE_LOGGING_CATEGORY(lcEdgeTwin)

struct ResourceChange;

/// DeviceTwin (module `twin`, group `twin`, reference §9): devices, attributes and twins of this
/// node in edgecore's tables; answers mappers on the v1.16 MQTT topics (through the EventBus),
/// applies desired values from the cloud with the version rules of §9.5, and reports twin and
/// state changes to the cloud (§9.6). Reports go through the link (and its durable outbox) and
/// are re-sent until the cloud confirms them.
class DeviceTwin : public Module
{
    Q_OBJECT
public:
    struct Settings
    {
        QString nodeId;
        int confirmResendMs = 60000; ///< KubeEdge's CommModule re-send period
        int maxPayloadBytes = 64 * 1024;
    };

    DeviceTwin(QSqlDatabase db, const Settings &settings, QObject *parent = nullptr);

    /// Creates the tables and loads the devices; call before the module starts.
    Status open();

    QList<twin::Device> devices() const;
    std::optional<twin::Device> device(const QString &id) const;
    /// Reports sent to the cloud and not yet confirmed.
    int unconfirmed() const { return int(m_unconfirmed.size()); }

    /// The message MetaManager's committed change of a `device` object becomes for this module
    /// (nullopt for other types).
    static std::optional<Message> fromMetaChange(const ResourceChange &change);
    /// Device JSON of the local API (the admin API's Device shape, edge view).
    static QJsonObject apiJson(const twin::Device &d);

signals:
    /// A device was stored, changed or removed.
    void deviceChanged(const QString &id);

protected:
    void start() override;
    void cleanup() override;
    void handleMessage(const Message &m) override;

private:
    struct Pending
    {
        Message message;
        qint64 sentMs = 0;
    };
    void onMqtt(const QString &topic, const QString &payload);
    void twinUpdate(const QString &id, const QJsonObject &req);
    void twinGet(const QString &id, const QJsonObject &req);
    void stateUpdate(const QString &id, const QJsonObject &req);
    void membershipGet(const QString &node, const QJsonObject &req);
    void onMembership(const QJsonObject &content);
    void onDeviceObject(const Message &m);
    void onCloudTwin(const QString &id, const QJsonObject &content);
    /// Cloud-origin twins onto a (possibly new) device; publishes delta/document and reports rejects.
    bool applyFromCloud(twin::Device &d, const QJsonObject &twins, const QString &eventId);
    bool store(const twin::Device &d);
    void removeDevice(const QString &id);
    void publish(const QString &topic, const QJsonObject &payload);
    void publishDelta(const twin::Device &d, const QString &eventId);
    void reportTwin(const QString &id, const QJsonObject &twins);
    void reportToCloud(Message m);
    void resendUnconfirmed();

    QSqlDatabase m_db;
    Settings m_settings;
    TwinStore m_store;
    QHash<QString, twin::Device> m_devices;
    QHash<QString, Pending> m_unconfirmed; // by msg_id
    QTimer m_resendTimer;
    bool m_connected = false;
};

} // namespace qedge
