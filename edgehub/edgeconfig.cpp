#include "edgehub/edgeconfig.h"

namespace qedge {

ConfigSchema edgeConfigSchema()
{
    using K = ConfigKey;
    auto s = [](const char *text) { return QString::fromUtf8(text); };
    QList<ConfigKey> keys = {
        {edgekey::DataDir, K::Path, s("/var/lib/qedge/edgehub"),
         s("Directory for certs/, the SQLite database edge.db and the lock. Locked while edgehub runs."),
         s("data-dir"), {}},
        {edgekey::Node, K::String, QString(), s("Node name; the certificate is issued for system:node:<node>. Required."),
         s("node"), {}},
        {edgekey::DisabledModules, K::StringList, QStringList(), s("Modules not to start (e.g. metamanager)."),
         s("disabled-modules"), {}},
        {edgekey::Hub, K::String, QString(),
         s("The hub's edge endpoint: HOST[:PORT] (port 10000 by default) or wss://HOST:PORT. Required."), s("hub"), {}},
        {edgekey::ProjectId, K::String, s("e632aba927ea4ac2b575ec1603d56f10"),
         s("Project id in the WebSocket path and header (KubeEdge's default)."), s("project-id"), {}},
        {edgekey::Token, K::String, QString(),
         s("Join token <caHash>.<jwt> from the hub (its DIR/join.token); needed only until the node has a certificate."),
         s("token"), {}},
        {edgekey::TokenFile, K::Path, QString(), s("File holding the join token (instead of hub/token), read again before every bootstrap attempt."),
         s("token-file"), {}},
        {edgekey::CertServer, K::String, QString(),
         s("Certificate server URL https://HOST:PORT; empty: the hub host, port 10002."), s("cert-server"), {}},
        {edgekey::Heartbeat, K::Int, 15, s("Seconds between keepalives to the hub."), s("heartbeat"), {}, 1, 3600},
        {edgekey::ReadDeadline, K::Int, 45,
         s("Seconds without any frame or pong from the hub after which the link is considered dead."),
         s("read-deadline"), {}, 2, 86400},
        {edgekey::ReconnectWait, K::Double, 30.0,
         s("Seconds to wait before dialling again after a broken link (KubeEdge: 30); doubles per failure, jittered."),
         s("reconnect-wait"), {}},
        {edgekey::ReconnectCap, K::Double, 300.0, s("Longest wait between reconnect attempts, in seconds."),
         s("reconnect-cap"), {}},
        {edgekey::HandshakeTimeout, K::Int, 30, s("Seconds for the TLS and WebSocket handshakes with the hub."),
         s("handshake-timeout"), {}, 1, 600},
        {edgekey::Qps, K::Double, 30.0, s("Messages per second to the cloud (KubeEdge routeToCloud limit)."), s("qps"), {}},
        {edgekey::Burst, K::Int, 60, s("Burst of messages to the cloud above hub/qps."), s("burst"), {}, 1, 1000000},
        {edgekey::MaxFrameBytes, K::Int, 16 * 1024 * 1024, s("Largest WebSocket frame and message accepted from the hub."),
         s("max-frame-bytes"), {}, 1024, 1024LL * 1024 * 1024},
        {edgekey::CertRetryCap, K::Int, 60, s("Longest wait, in seconds, between failed certificate requests."),
         s("cert-retry-cap"), {}, 1, 86400},
        {edgekey::CertRotate, K::Bool, true,
         s("Renew the node certificate at 70-90 % of its lifetime, then reconnect with it."), s("cert-rotate"), {}},
        {edgekey::OutboxCapacity, K::Int, 100000,
         s("Upstream messages kept in SQLite while the hub is unreachable; past that acks are dropped first."),
         s("outbox-capacity"), {}, 100, 100000000},
        {edgekey::RemoteQueryTimeout, K::Int, 60, s("Seconds to wait for the cloud's answer to a query before failing it."),
         s("remote-query-timeout"), {}, 1, 3600},
        {edgekey::LocalApiPort, K::Int, 10550,
         s("Port of the local API (plain HTTP on 127.0.0.1 only). 0 picks a free port."), s("local-api-port"), {}, 0, 65535},
        {edgekey::MqttServer, K::String, s("tcp://127.0.0.1:1883"),
         s("MQTT broker for device twins and apps: tcp://HOST[:PORT] or ssl://HOST[:PORT]."), s("mqtt-server"), {}},
        {edgekey::MqttUsername, K::String, QString(), s("MQTT user name; empty: anonymous."), s("mqtt-username"), {}},
        {edgekey::MqttPassword, K::String, QString(), s("MQTT password."), s("mqtt-password"), {}},
        {edgekey::MqttCaFile, K::Path, QString(), s("CA file for ssl:// brokers."), s("mqtt-ca-file"), {}},
        {edgekey::MqttCertFile, K::Path, QString(), s("Client certificate for ssl:// brokers (optional)."),
         s("mqtt-cert-file"), {}},
        {edgekey::MqttKeyFile, K::Path, QString(), s("Client key for ssl:// brokers (optional)."), s("mqtt-key-file"), {}},
        {edgekey::TwinConfirmResend, K::Int, 60,
         s("Seconds after which a twin report the hub has not confirmed is sent again (KubeEdge: 60)."),
         s("twin-confirm-resend"), {}, 1, 86400},
        {edgekey::ServiceBusPorts, K::String, QString(),
         s("ServiceBus: comma-separated 127.0.0.1 ports the cloud may call over HTTP; empty: ServiceBus off."),
         s("servicebus-allowed-ports"), {}},
    };
    return ConfigSchema(QStringLiteral("edgehub"), keys);
}

Result<QUrl> edgeLinkUrl(const QString &hub, const QString &projectId, const QString &node)
{
    const QString text = hub.trimmed();
    if (text.isEmpty())
        return Result<QUrl>::failure(QStringLiteral("config.hub"), QStringLiteral("no hub: pass --hub HOST[:PORT]"));
    QUrl url(text.contains(QLatin1String("://")) ? text : QStringLiteral("wss://") + text);
    if (!url.isValid() || url.host().isEmpty() || url.scheme() != QLatin1String("wss")
        || !(url.path().isEmpty() || url.path() == QLatin1String("/")))
        return Result<QUrl>::failure(QStringLiteral("config.hub"),
                                     QStringLiteral("bad hub address '%1': expected HOST[:PORT] or wss://HOST:PORT").arg(text));
    if (url.port() <= 0)
        url.setPort(10000);
    url.setPath(QStringLiteral("/%1/%2/events").arg(projectId, node));
    return url;
}

Result<QUrl> edgeCertServerUrl(const QString &explicitUrl, const QUrl &linkUrl)
{
    if (explicitUrl.trimmed().isEmpty()) {
        QUrl u;
        u.setScheme(QStringLiteral("https"));
        u.setHost(linkUrl.host());
        u.setPort(10002);
        return u;
    }
    QUrl u(explicitUrl.trimmed());
    if (!u.isValid() || u.scheme() != QLatin1String("https") || u.host().isEmpty())
        return Result<QUrl>::failure(QStringLiteral("config.cert_server"),
                                     QStringLiteral("bad certificate server '%1': expected https://HOST:PORT").arg(explicitUrl));
    u.setPath(QString());
    return u;
}

} // namespace qedge
