#pragma once

#include "cloudhub/devicestore.h"

#include <QObject>

namespace qedge::cloud {

class Dispatcher;

/// What the admin API and the upstream path do with devices: the store plus delivery.
/// A PUT stores the device and sends it to its node as a `device` object (ack-required, durable,
/// source devicecontroller) and as a membership update in group twin (no-ack), so both a QEdge
/// and a KubeEdge edge learn the desired values. Twin reports are stored and confirmed.
class DeviceService : public QObject
{
    Q_OBJECT
public:
    DeviceService(DeviceStore *store, Dispatcher *dispatcher, QObject *parent = nullptr);

    DeviceStore *store() const { return m_store; }

    Result<DeviceState> put(const QString &node, const QString &namespaceName, const QString &name,
                            const QJsonObject &body);
    /// Removes the device from the store and from its node; false if it was not there.
    Result<bool> remove(const QString &node, const QString &namespaceName, const QString &name);
    /// Stores an upstream twin report or state update of node and queues its confirmation;
    /// false when m is not one (the caller routes it elsewhere).
    bool handleUpstream(const QString &node, const Message &m);

    /// The membership update (reference §9.6) for added and removed devices.
    static Message membershipUpdate(const QList<DeviceState> &added, const QList<DeviceState> &removed);

private:
    DeviceStore *m_store;
    Dispatcher *m_dispatcher;
};

} // namespace qedge::cloud
