#pragma once

#include "shared/message.h"

#include <QString>

namespace qedge {

class MessageBus;

/// Edge module, group and message names of KubeEdge's edgecore (reference §6, §7).
namespace edge {
inline const QString LinkModule = QStringLiteral("websocket");
inline const QString HubGroup = QStringLiteral("hub");
inline const QString MetaModule = QStringLiteral("metamanager");
inline const QString MetaGroup = QStringLiteral("meta");
inline const QString TwinModule = QStringLiteral("twin");
inline const QString TwinGroup = QStringLiteral("twin");
inline const QString BusGroup = QStringLiteral("bus");
inline const QString EventBusModule = QStringLiteral("eventbus");
inline const QString ServiceBusModule = QStringLiteral("servicebus");
inline const QString ConnectionResource = QStringLiteral("node/connection");
inline const QString CloudConnected = QStringLiteral("cloud_connected");
inline const QString CloudDisconnected = QStringLiteral("cloud_disconnected");
} // namespace edge

/// Where a message from the cloud goes (routeToEdge, reference §6.4).
struct EdgeRoute
{
    enum Kind { Respond, Module, Group, Drop };
    Kind kind = Drop;
    QString target;     ///< module or group name
    QString fallback;   ///< Respond only: module to hand the message to when nobody waits
    QString dropReason; ///< Drop only
};

/// Decides where a cloud message goes; pure, so it is tested without a socket.
EdgeRoute routeFromCloud(const Message &m);

/// Delivers `m` by routeFromCloud(); returns false (and logs) when it was dropped.
bool dispatchFromCloud(MessageBus *bus, const Message &m);

/// The internal node/connection message of pubConnectInfo (reference §6.3) for `group`.
Message connectionMessage(const QString &group, bool connected);

} // namespace qedge
