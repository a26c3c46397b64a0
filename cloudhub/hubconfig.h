#pragma once

#include "shared/config.h"

namespace qedge::cloud {

/// Every cloudhub setting: INI key, type, default, flag, environment variable and documentation.
ConfigSchema hubConfigSchema();

/// Config keys, named once so a typo is a compile error.
namespace key {
inline const QString DataDir = QStringLiteral("general/data_dir");
inline const QString Bind = QStringLiteral("network/bind");
inline const QString WebSocketPort = QStringLiteral("network/websocket_port");
inline const QString HttpsPort = QStringLiteral("network/https_port");
inline const QString AdminPort = QStringLiteral("network/admin_port");
inline const QString AdminBind = QStringLiteral("network/admin_bind");
inline const QString NodeLimit = QStringLiteral("hub/node_limit");
inline const QString KeepaliveInterval = QStringLiteral("hub/keepalive_interval");
inline const QString HandshakeTimeout = QStringLiteral("hub/handshake_timeout");
inline const QString MaxFrameBytes = QStringLiteral("hub/max_frame_bytes");
inline const QString SendBufferBytes = QStringLiteral("hub/send_buffer_bytes");
inline const QString AcceptLegacyCerts = QStringLiteral("hub/accept_legacy_certs");
inline const QString AdvertiseAddress = QStringLiteral("pki/advertise_address");
inline const QString DnsNames = QStringLiteral("pki/dns_names");
inline const QString CaCertFile = QStringLiteral("pki/ca_cert");
inline const QString CaKeyFile = QStringLiteral("pki/ca_key");
inline const QString ServerCertFile = QStringLiteral("pki/server_cert");
inline const QString ServerKeyFile = QStringLiteral("pki/server_key");
inline const QString EdgeCertSigningDays = QStringLiteral("pki/edge_cert_signing_duration");
inline const QString EdgeCertSigningSeconds = QStringLiteral("pki/edge_cert_signing_seconds");
inline const QString TokenRefreshHours = QStringLiteral("pki/token_refresh_duration");
inline const QString FailedAttemptsPerMinute = QStringLiteral("bootstrap/failed_attempts_per_minute");
inline const QString StorageUrl = QStringLiteral("storage/url");
inline const QString RetryInterval = QStringLiteral("delivery/retry_interval");
inline const QString MaxWrites = QStringLiteral("delivery/max_writes");
inline const QString Window = QStringLiteral("delivery/window");
inline const QString MetricsPublic = QStringLiteral("admin/metrics_without_auth");
} // namespace key

} // namespace qedge::cloud
