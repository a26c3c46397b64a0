#pragma once

#include "shared/message.h"
#include "shared/result.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QStringList>

#include <optional>

namespace qedge {
class Database;
}

namespace qedge::cloud {

/// One twin property as the hub keeps it.
struct TwinState
{
    QString type = QStringLiteral("string");
    bool hasDesired = false;
    QString desired;
    qint64 desiredVersion = 0;     ///< the cloud counter of expected_version
    qint64 desiredEdgeVersion = 0; ///< the edge counter of expected_version last seen from the edge
    QString desiredTime;
    bool hasReported = false;
    QString reported;
    qint64 reportedVersion = 0;    ///< the edge counter of actual_version
    QString reportedTime;
};

/// One device of one node.
struct DeviceState
{
    QString node;
    QString namespaceName;
    QString name;
    QString state;
    QString lastOnline;
    QMap<QString, QPair<QString, QString>> attributes; ///< name -> (value, type)
    QMap<QString, TwinState> twins;

    QString id() const { return namespaceName + QLatin1Char('/') + name; }
    /// The admin API's Device object (docs/api.md).
    QJsonObject toApiJson() const;
    /// The KubeEdge v1beta1-shaped `device` object the edge's MetaManager stores and DeviceTwin reads.
    QJsonObject toObject() const;
    /// The Device of a membership update (reference §9.1 Device with MsgTwin expected + versions).
    QJsonObject toMembershipJson() const;
};

/// Devices, attributes and twins per node (PROTOCOL.md §8): desired values set through the admin
/// API, reported values and states from the edges' twin reports (reference §9.6). Persisted on
/// qedge::Database (both engines) when opened; in memory otherwise. Lives in one thread.
class DeviceStore : public QObject
{
    Q_OBJECT
public:
    explicit DeviceStore(QObject *parent = nullptr);

    /// Migrates and loads everything.
    Status open(Database *db);

    QList<DeviceState> list(const QString &node) const;
    std::optional<DeviceState> get(const QString &node, const QString &namespaceName, const QString &name) const;

    /// Creates or updates a device from the admin API body {"desired": {k: v}, "types": {k: type},
    /// "attributes": {k: v}}; validated as the edge does (key/value rules, types). Each changed
    /// desired value gets the next cloud version.
    Result<DeviceState> put(const QString &node, const QString &namespaceName, const QString &name,
                            const QJsonObject &body);
    /// Removes a device; false if it was not there.
    Result<bool> remove(const QString &node, const QString &namespaceName, const QString &name);

    /// True for an upstream twin report or device state update (source twin, reference §9.6).
    static bool isDeviceUpstream(const Message &m);
    /// Stores a twin report or state update (resource in the edge's form, or with node/<id>/) and
    /// returns the confirmation to send back: parent = its msg_id, source devicecontroller, group
    /// twin, resource `twin`, operation response, content "OK". Idempotent for re-sent reports.
    Result<Message> handleUpstream(const QString &node, const Message &m);

signals:
    void twinReported(const QString &node, const QString &deviceId, const QJsonObject &twins);
    void twinDesired(const QString &node, const QString &deviceId, const QJsonObject &desired);
    void deviceState(const QString &node, const QString &deviceId, const QString &state, const QString &lastOnline);

private:
    Status persist(const DeviceState &d);
    static QString key(const QString &node, const QString &id) { return node + QLatin1Char('\n') + id; }

    Database *m_db = nullptr;
    QHash<QString, DeviceState> m_devices; // node + "\n" + id
};

} // namespace qedge::cloud
