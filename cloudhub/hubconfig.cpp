#include "cloudhub/hubconfig.h"

namespace qedge::cloud {

ConfigSchema hubConfigSchema()
{
    using K = ConfigKey;
    auto s = [](const char *text) { return QString::fromUtf8(text); };
    QList<ConfigKey> keys = {
        {key::DataDir, K::Path, s("/var/lib/qedge/cloudhub"),
         s("Directory for the CA, certificates, tokens and the SQLite database. Locked while the hub runs."),
         s("data-dir"), {}},
        {key::Bind, K::String, s("0.0.0.0"), s("Address the edge and bootstrap listeners bind to."), s("bind"), {}},
        {key::WebSocketPort, K::Int, 10000, s("Edge WebSocket port (mTLS). 0 picks a free port."),
         s("websocket-port"), {}, 0, 65535},
        {key::HttpsPort, K::Int, 10002, s("Certificate bootstrap port (HTTPS: /ca.crt, /edge.crt). 0 picks a free port."),
         s("https-port"), {}, 0, 65535},
        {key::AdminPort, K::Int, 10010, s("Admin API port (HTTPS, bearer token, /metrics). 0 picks a free port."),
         s("admin-port"), {}, 0, 65535},
        {key::AdminBind, K::String, QString(), s("Address of the admin API; empty means the same as network/bind."),
         s("admin-bind"), {}},
        {key::NodeLimit, K::Int, 1000, s("Most edge sessions at once; more are closed with WebSocket code 1013."),
         s("node-limit"), {}, 1, 1000000},
        {key::KeepaliveInterval, K::Int, 30, s("Seconds without a keepalive after which a session is closed."),
         s("keepalive-interval"), {}, 1, 86400},
        {key::HandshakeTimeout, K::Int, 10, s("Seconds a client has for the TLS and WebSocket handshakes."),
         s("handshake-timeout"), {}, 1, 300},
        {key::MaxFrameBytes, K::Int, 16 * 1024 * 1024, s("Largest WebSocket frame and message accepted from an edge."),
         s("max-frame-bytes"), {}, 1024, 1024LL * 1024 * 1024},
        {key::SendBufferBytes, K::Int, 64 * 1024 * 1024,
         s("Bytes a session may have waiting to be written; over that the session is closed (its queue is kept)."),
         s("send-buffer-bytes"), {}, 65536, 4LL * 1024 * 1024 * 1024},
        {key::AcceptLegacyCerts, K::Bool, false,
         s("Also accept edge certificates with CN kubeedge.io (old KubeEdge edgecores) instead of system:node:<node>."),
         s("accept-legacy-certs"), {}},
        {key::AdvertiseAddress, K::StringList, QStringList{s("127.0.0.1")},
         s("IP addresses edges dial; they go into the hub certificate's SANs."), s("advertise-address"), {}},
        {key::DnsNames, K::StringList, QStringList{s("localhost")},
         s("DNS names edges dial; they go into the hub certificate's SANs."), s("dns-names"), {}},
        {key::CaCertFile, K::Path, QString(), s("Operator-provided CA certificate (PEM); empty: created under the data dir."),
         s("ca-cert"), {}},
        {key::CaKeyFile, K::Path, QString(), s("Operator-provided CA key (PEM), with pki/ca_cert."), s("ca-key"), {}},
        {key::ServerCertFile, K::Path, QString(), s("Operator-provided hub certificate (PEM); empty: issued by the CA."),
         s("server-cert"), {}},
        {key::ServerKeyFile, K::Path, QString(), s("Operator-provided hub key (PEM), with pki/server_cert."),
         s("server-key"), {}},
        {key::EdgeCertSigningDays, K::Int, 365, s("Days an edge certificate issued by /edge.crt is valid."),
         s("edge-cert-signing-duration"), {}, 1, 36500},
        {key::EdgeCertSigningSeconds, K::Int, 0,
         s("If set, overrides pki/edge_cert_signing_duration in seconds (short lifetimes to exercise rotation)."),
         s("edge-cert-signing-seconds"), {}, 0, 3153600000LL},
        {key::TokenRefreshHours, K::Int, 12,
         s("Hours between join token renewals; a token is valid for twice this long."), s("token-refresh-duration"), {},
         1, 8760},
        {key::FailedAttemptsPerMinute, K::Int, 10,
         s("Failed bootstrap attempts per minute allowed from one address before 429."),
         s("failed-attempts-per-minute"), {}, 1, 1000000},
        {key::StorageUrl, K::String, QString(),
         s("Database: empty for SQLite in the data dir, or postgresql://user[:password]@host:port/dbname."),
         s("storage-url"), {}},
        {key::RetryInterval, K::Int, 5, s("Seconds between writes of an unacknowledged message (same msg_id)."),
         s("retry-interval"), {}, 1, 3600},
        {key::MaxWrites, K::Int, 5, s("Writes of a message before it backs off and is tried again later."),
         s("max-writes"), {}, 1, 100},
        {key::Window, K::Int, 100, s("Messages in flight (written, not yet acknowledged) per node."), s("window"), {}, 1,
         100000},
        {key::MetricsPublic, K::Bool, true, s("Serve /metrics without the bearer token to clients on loopback."),
         s("metrics-without-auth"), {}},
    };
    return ConfigSchema(QStringLiteral("cloudhub"), keys);
}

} // namespace qedge::cloud
