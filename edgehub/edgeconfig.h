#pragma once

#include "shared/config.h"

#include <QUrl>

namespace qedge {

/// Every edgehub setting: INI key, type, default, flag, environment variable and documentation.
ConfigSchema edgeConfigSchema();

/// Config keys, named once so a typo is a compile error.
namespace edgekey {
inline const QString DataDir = QStringLiteral("general/data_dir");
inline const QString Node = QStringLiteral("general/node");
inline const QString DisabledModules = QStringLiteral("general/disabled_modules");
inline const QString Hub = QStringLiteral("hub/address");
inline const QString ProjectId = QStringLiteral("hub/project_id");
inline const QString Token = QStringLiteral("hub/token");
inline const QString TokenFile = QStringLiteral("hub/token_file");
inline const QString CertServer = QStringLiteral("hub/cert_server");
inline const QString Heartbeat = QStringLiteral("hub/heartbeat");
inline const QString ReadDeadline = QStringLiteral("hub/read_deadline");
inline const QString ReconnectWait = QStringLiteral("hub/reconnect_wait");
inline const QString ReconnectCap = QStringLiteral("hub/reconnect_cap");
inline const QString HandshakeTimeout = QStringLiteral("hub/handshake_timeout");
inline const QString Qps = QStringLiteral("hub/qps");
inline const QString Burst = QStringLiteral("hub/burst");
inline const QString MaxFrameBytes = QStringLiteral("hub/max_frame_bytes");
inline const QString CertRetryCap = QStringLiteral("cert/retry_cap");
inline const QString CertRotate = QStringLiteral("cert/rotate");
inline const QString OutboxCapacity = QStringLiteral("outbox/capacity");
inline const QString RemoteQueryTimeout = QStringLiteral("meta/remote_query_timeout");
inline const QString LocalApiPort = QStringLiteral("local_api/port");
inline const QString MqttServer = QStringLiteral("mqtt/server");
inline const QString MqttUsername = QStringLiteral("mqtt/username");
inline const QString MqttPassword = QStringLiteral("mqtt/password");
inline const QString MqttCaFile = QStringLiteral("mqtt/ca_file");
inline const QString MqttCertFile = QStringLiteral("mqtt/cert_file");
inline const QString MqttKeyFile = QStringLiteral("mqtt/key_file");
inline const QString TwinConfirmResend = QStringLiteral("twin/confirm_resend");
inline const QString ServiceBusPorts = QStringLiteral("servicebus/allowed_ports");
} // namespace edgekey

/// The hub's WebSocket URL from "HOST[:PORT]" or "wss://HOST[:PORT]" (port 10000 by default):
/// wss://HOST:PORT/<projectId>/<node>/events.
Result<QUrl> edgeLinkUrl(const QString &hub, const QString &projectId, const QString &node);
/// The certificate server: `explicitUrl` when set, else https://<hub host>:10002.
Result<QUrl> edgeCertServerUrl(const QString &explicitUrl, const QUrl &linkUrl);

} // namespace qedge
