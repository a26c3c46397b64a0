#include "cloudhub/cloudhub.h"

#include "cloudhub/adminlayer.h"
#include "cloudhub/adminserver.h"
#include "cloudhub/bootstrapserver.h"
#include "cloudhub/dispatcher.h"
#include "cloudhub/edgeserver.h"
#include "cloudhub/hubconfig.h"
#include "cloudhub/hublogging.h"
#include "cloudhub/hubpki.h"
#include "cloudhub/noderegistry.h"
#include "cloudhub/sessionmanager.h"
#include "shared/datadirlock.h"
#include "shared/storage.h"

#include <QDateTime>
#include <QDir>
#include <QJsonObject>

namespace qedge::cloud {

namespace {

QString hostForUrl(const QHostAddress &a)
{
    if (a == QHostAddress::AnyIPv4 || a == QHostAddress::Any || a == QHostAddress::AnyIPv6)
        return QStringLiteral("127.0.0.1");
    return a.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + a.toString() + u']' : a.toString();
}

} // namespace

CloudHub::CloudHub(const Config &config, QObject *parent) : QObject(parent), m_config(config)
{}

CloudHub::~CloudHub()
{
    stop();
}

Result<std::unique_ptr<CloudHub>> CloudHub::create(const Config &config, QObject *parent)
{
    std::unique_ptr<CloudHub> hub(new CloudHub(config, parent));
    hub->m_dataDir = QDir(config.string(key::DataDir)).absolutePath();
    auto lock = DataDirLock::acquire(hub->m_dataDir, QStringLiteral("cloudhub"));
    if (!lock)
        return lock.error();
    hub->m_lock = std::move(lock).value();

    auto pki = HubPki::load(config, hub->m_dataDir);
    if (!pki)
        return pki.error();
    hub->m_pki = std::move(pki).value();

    auto admin = AdminServer::create(hub->m_dataDir);
    if (!admin)
        return admin.error();
    hub->m_admin = std::move(admin).value();

    if (Status s = hub->openStorage(); !s)
        return s.error();

    hub->m_bootstrap =
        std::make_unique<BootstrapServer>(hub->m_pki.get(), int(config.integer(key::FailedAttemptsPerMinute)),
                                          config.boolean(key::AcceptLegacyCerts));
    hub->addTokenRoutes();

    NodeSession::Options sessionOptions;
    sessionOptions.keepaliveSeconds = int(config.integer(key::KeepaliveInterval));
    sessionOptions.sendBufferBytes = config.integer(key::SendBufferBytes);
    sessionOptions.maxMessageBytes = config.integer(key::MaxFrameBytes);
    hub->m_sessions = std::make_unique<SessionManager>(int(config.integer(key::NodeLimit)), sessionOptions);
    EdgeServer::Options edgeOptions;
    edgeOptions.tls = hub->m_pki->edgeTlsConfiguration();
    edgeOptions.handshakeTimeoutMs = int(config.integer(key::HandshakeTimeout)) * 1000;
    edgeOptions.maxFrameBytes = config.integer(key::MaxFrameBytes);
    edgeOptions.acceptLegacyCerts = config.boolean(key::AcceptLegacyCerts);
    hub->m_edge = std::make_unique<EdgeServer>(hub->m_sessions.get(), edgeOptions);
    hub->wireSessions();
    auto layer = AdminLayer::create({hub->m_admin.get(), hub->m_dispatcher.get(), hub->m_registry.get(),
                                     hub->m_sessions.get(), hub->m_edge.get(), hub->m_db.get(),
                                     config.boolean(key::MetricsPublic)});
    if (!layer)
        return layer.error();
    hub->m_adminLayer = std::move(layer).value();
    return hub;
}

Status CloudHub::openStorage()
{
    QString url = m_config.string(key::StorageUrl);
    if (url.isEmpty())
        url = QStringLiteral("sqlite:") + m_dataDir + QStringLiteral("/cloudhub.db");
    auto db = Database::open(url, QStringLiteral("cloudhub"));
    if (!db)
        return db.error();
    m_db = std::move(db).value();
    auto registry = NodeRegistry::open(m_db.get());
    if (!registry)
        return Status::failure(registry.error().code,
                               QStringLiteral("node registry: ") + registry.errorMessage());
    m_registry = std::move(registry).value();

    DispatcherConfig delivery;
    delivery.queue.window = int(m_config.integer(key::Window));
    delivery.queue.retryIntervalMs = m_config.integer(key::RetryInterval) * 1000;
    delivery.queue.writesBeforeBackoff = int(m_config.integer(key::MaxWrites));
    m_dispatcher = std::make_unique<Dispatcher>(delivery);
    if (Status s = m_dispatcher->open(m_db.get()); !s)
        return Status::failure(s.error().code, QStringLiteral("delivery store: ") + s.errorMessage());
    return {};
}

void CloudHub::wireSessions()
{
    SessionManager *sessions = m_sessions.get();
    connect(sessions, &SessionManager::nodeConnected, this,
            [this, sessions](const QString &node, const SessionInfo &info) {
                m_registry->recordConnected(info);
                m_dispatcher->nodeConnected(
                    node, [sessions, node](const Message &m) { return sessions->send(node, m); },
                    [sessions, node] { sessions->flush(node); });
            });
    connect(sessions, &SessionManager::nodeDisconnected, this,
            [this](const QString &node, const QString &, const QDateTime &at) {
                m_dispatcher->nodeDisconnected(node);
                m_registry->recordDisconnected(node, at);
            });
    connect(sessions, &SessionManager::keepaliveReceived, m_registry.get(), &NodeRegistry::touch);
    // Upstream `response` messages are acks (PROTOCOL.md §4) and go nowhere else.
    connect(sessions, &SessionManager::ackReceived, m_dispatcher.get(), &Dispatcher::handleAck);
    // Other upstream content is routed by the AdminLayer's UpstreamRouter (PROTOCOL.md §5).
}

void CloudHub::addTokenRoutes()
{
    m_admin->routeSync(
        "POST", QStringLiteral("/api/v1/tokens"), AdminServer::Role::Admin, [this](const http::Request &req) {
            QJsonObject body;
            if (!req.body.trimmed().isEmpty()) {
                auto parsed = AdminServer::jsonBody(req);
                if (!parsed)
                    return http::Response::error(400, parsed.error().code, parsed.errorMessage());
                body = parsed.value();
            }
            qint64 ttl = 24 * 3600;
            if (body.contains(QStringLiteral("ttl"))) {
                const QJsonValue v = body.value(QStringLiteral("ttl"));
                const double d = v.toDouble(-1);
                if (!v.isDouble() || d < 1 || d != double(qint64(d)) || d > 10.0 * 365 * 24 * 3600)
                    return http::Response::error(
                        400, QStringLiteral("bad_request"),
                        QStringLiteral("ttl must be a whole number of seconds, at least 1"));
                ttl = qint64(d);
            }
            const QJsonValue nodeValue = body.value(QStringLiteral("node"));
            if (!nodeValue.isUndefined() && !nodeValue.isString())
                return http::Response::error(400, QStringLiteral("bad_request"),
                                             QStringLiteral("node must be a string"));
            const QString node = nodeValue.toString();
            const QString token = m_pki->issueToken(ttl, node);
            QJsonObject out{{QStringLiteral("token"), token},
                            {QStringLiteral("expiresAt"),
                             QDateTime::currentDateTimeUtc().addSecs(ttl).toString(Qt::ISODate)}};
            if (!node.isEmpty())
                out.insert(QStringLiteral("node"), node);
            return http::Response::json(201, out);
        });
}

Status CloudHub::start()
{
    const QHostAddress bind(m_config.string(key::Bind));
    if (bind.isNull())
        return Status::failure(QStringLiteral("config"), QStringLiteral("network/bind: not an IP address: ") +
                                                             m_config.string(key::Bind));
    const QString adminBindText = m_config.string(key::AdminBind);
    const QHostAddress adminBind = adminBindText.isEmpty() ? bind : QHostAddress(adminBindText);
    if (adminBind.isNull())
        return Status::failure(QStringLiteral("config"),
                               QStringLiteral("network/admin_bind: not an IP address: ") + adminBindText);

    if (!m_edge->listen(bind, quint16(m_config.integer(key::WebSocketPort))))
        return Status::failure(QStringLiteral("listen"), QStringLiteral("edge WebSocket port %1: %2")
                                                             .arg(m_config.integer(key::WebSocketPort))
                                                             .arg(m_edge->errorString()));
    if (!m_bootstrap->listen(bind, quint16(m_config.integer(key::HttpsPort))))
        return Status::failure(QStringLiteral("listen"), QStringLiteral("bootstrap port %1: %2")
                                                             .arg(m_config.integer(key::HttpsPort))
                                                             .arg(m_bootstrap->errorString()));
    if (!m_admin->listen(adminBind, quint16(m_config.integer(key::AdminPort)),
                         m_pki->httpsTlsConfiguration(false)))
        return Status::failure(QStringLiteral("listen"), QStringLiteral("admin port %1: %2")
                                                             .arg(m_config.integer(key::AdminPort))
                                                             .arg(m_admin->errorString()));

    qCInfo(lcHub).noquote()
        << QStringLiteral(
               "cloudhub ready: edge wss://%1:%2 bootstrap https://%1:%3 admin https://%4:%5 data %6")
               .arg(hostForUrl(bind))
               .arg(webSocketPort())
               .arg(httpsPort())
               .arg(hostForUrl(adminBind))
               .arg(adminPort())
               .arg(m_dataDir);
    return {};
}

void CloudHub::stop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    if (m_edge)
        m_edge->close();
    if (m_sessions)
        m_sessions->closeAll(QStringLiteral("cloudhub is shutting down"));
    if (m_dispatcher)
        m_dispatcher->flushAcks();
    if (m_registry) {
        if (Status s = m_registry->flush(); !s)
            qCWarning(lcHubStore).noquote() << "node registry:" << s.errorMessage();
    }
    qCInfo(lcHub) << "cloudhub stopped";
}

quint16 CloudHub::webSocketPort() const
{
    return m_edge ? m_edge->port() : 0;
}

quint16 CloudHub::httpsPort() const
{
    return m_bootstrap ? m_bootstrap->port() : 0;
}

quint16 CloudHub::adminPort() const
{
    return m_admin ? m_admin->port() : 0;
}

} // namespace qedge::cloud
