#include "edgehub/edgehubapp.h"

#include "edgehub/edgeconfig.h"
#include "edgehub/edgelogging.h"
#include "edgehub/localapi.h"
#include "edgehub/nodekey.h"
#include "edgehub/outbox.h"
#include "edgehub/router.h"
#include "shared/http/request.h"
#include "shared/http/response.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "shared/storage.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

namespace qedge {

namespace {
int secondsToMs(double s)
{
    return int(std::clamp(s, 0.001, 86400.0) * 1000);
}

Result<QString> readToken(const Config &c)
{
    const QString inline_ = c.string(edgekey::Token).trimmed();
    const QString file = c.string(edgekey::TokenFile);
    if (!inline_.isEmpty() && !file.isEmpty())
        return Result<QString>::failure(QStringLiteral("config.token"),
                                        QStringLiteral("give the join token with --token or --token-file, not both"));
    // A token file is read by the certificate manager when it needs a token: after the join it may
    // be gone, and a fixed or renewed token is picked up without a restart.
    return inline_;
}
} // namespace

bool EdgeHub::isValidNodeName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));
    return !name.isEmpty() && name.size() <= 253 && re.match(name).hasMatch();
}

Result<EdgeHub::Settings> EdgeHub::settingsFrom(const Config &c)
{
    using R = Result<Settings>;
    Settings s;
    s.dataDir = QDir(c.string(edgekey::DataDir)).absolutePath();
    s.nodeId = c.string(edgekey::Node).trimmed();
    if (s.nodeId.isEmpty())
        return R::failure(QStringLiteral("config.node"), QStringLiteral("no node name: pass --node NAME"));
    if (!isValidNodeName(s.nodeId))
        return R::failure(QStringLiteral("config.node"),
                          QStringLiteral("bad node name '%1': lower-case letters, digits, '-' and '.' only").arg(s.nodeId));
    s.hub = c.string(edgekey::Hub).trimmed();
    const QString project = c.string(edgekey::ProjectId);
    auto url = edgeLinkUrl(s.hub, project, s.nodeId);
    if (!url)
        return url.error();
    auto certServer = edgeCertServerUrl(c.string(edgekey::CertServer), url.value());
    if (!certServer)
        return certServer.error();
    auto token = readToken(c);
    if (!token)
        return token.error();
    s.token = token.value();
    s.outboxCapacity = int(c.integer(edgekey::OutboxCapacity));
    s.localApiPort = int(c.integer(edgekey::LocalApiPort));
    s.mqttServer = c.string(edgekey::MqttServer);
    s.disabledModules = c.list(edgekey::DisabledModules);

    s.link.url = url.value();
    s.link.nodeId = s.nodeId;
    s.link.projectId = project;
    s.link.heartbeatMs = int(c.integer(edgekey::Heartbeat)) * 1000;
    s.link.readDeadlineMs = int(c.integer(edgekey::ReadDeadline)) * 1000;
    s.link.reconnectBaseMs = secondsToMs(c.number(edgekey::ReconnectWait));
    s.link.reconnectCapMs = std::max(s.link.reconnectBaseMs, secondsToMs(c.number(edgekey::ReconnectCap)));
    s.link.handshakeTimeoutMs = int(c.integer(edgekey::HandshakeTimeout)) * 1000;
    s.link.qps = std::max(0.1, c.number(edgekey::Qps));
    s.link.burst = int(c.integer(edgekey::Burst));
    s.link.maxFrameBytes = c.integer(edgekey::MaxFrameBytes);

    s.eventbus.server = s.mqttServer;
    s.eventbus.nodeId = s.nodeId;
    s.eventbus.username = c.string(edgekey::MqttUsername);
    s.eventbus.password = c.string(edgekey::MqttPassword);
    s.eventbus.caFile = c.string(edgekey::MqttCaFile);
    s.eventbus.certFile = c.string(edgekey::MqttCertFile);
    s.eventbus.keyFile = c.string(edgekey::MqttKeyFile);
    {
        MqttClient::Settings check;
        if (Status st = MqttClient::parseServerUrl(s.mqttServer, check); !st)
            return st.error();
    }
    s.twin.nodeId = s.nodeId;
    s.twin.confirmResendMs = int(c.integer(edgekey::TwinConfirmResend)) * 1000;
    if (!ServiceBus::parsePorts(c.string(edgekey::ServiceBusPorts), &s.servicebus.allowedPorts))
        return R::failure(QStringLiteral("config.servicebus"),
                          QStringLiteral("bad servicebus/allowed_ports '%1': expected ports like 8080,9000")
                              .arg(c.string(edgekey::ServiceBusPorts)));

    s.meta.remoteQueryTimeoutMs = int(c.integer(edgekey::RemoteQueryTimeout)) * 1000;

    s.cert.certDir = QDir(s.dataDir).filePath(QStringLiteral("certs"));
    s.cert.nodeId = s.nodeId;
    s.cert.certServer = certServer.value();
    s.cert.token = s.token;
    s.cert.tokenFile = c.string(edgekey::TokenFile);
    s.cert.retryCapMs = int(c.integer(edgekey::CertRetryCap)) * 1000;
    s.cert.retryBaseMs = std::min(s.cert.retryBaseMs, s.cert.retryCapMs);
    s.cert.rotate = c.boolean(edgekey::CertRotate);
    return s;
}

EdgeHub::EdgeHub(const Settings &settings, QObject *parent) : QObject(parent), m_settings(settings) {}

EdgeHub::~EdgeHub()
{
    stop();
    delete m_host; // deletes the modules, which use the database
    m_host = nullptr;
    m_outbox.reset();
    m_db = QSqlDatabase();
    m_database.reset();
}

Status EdgeHub::start()
{
    if (m_started)
        return Status::failure(QStringLiteral("edgehub.state"), QStringLiteral("already started"));
    m_started = true;
    const QString dbPath = QDir(m_settings.dataDir).filePath(QStringLiteral("edge.db"));
    auto database = Database::open(QStringLiteral("sqlite:") + dbPath, QStringLiteral("edgehub"));
    if (!database)
        return database.error();
    m_database = std::move(database.value());
    m_db = m_database->connection();
    if (!m_db.isOpen())
        return Status::failure(QStringLiteral("db.open"), QStringLiteral("cannot open %1").arg(dbPath));

    m_outbox = std::make_unique<Outbox>(m_db, m_settings.outboxCapacity);
    if (Status s = m_outbox->open(); !s)
        return s;

    m_bus = new MessageBus(this);
    m_host = new ModuleHost(m_bus);
    m_host->setDisabledModules(m_settings.disabledModules);
    m_link = new Link(m_settings.link, m_outbox.get());
    connect(m_link, &Link::connected, this, &EdgeHub::connected);
    connect(m_link, &Link::disconnected, this, &EdgeHub::disconnected);
    if (!m_host->add(m_link))
        return Status::failure(QStringLiteral("edgehub.modules"), QStringLiteral("the websocket module is required"));
    m_meta = new MetaManager(m_db, m_settings.meta);
    if (Status s = m_meta->open(); !s)
        return s;
    if (!m_host->add(m_meta))
        m_meta = nullptr; // disabled: resources are not stored, the local API shows none
    if (Status s = addDeviceModules(); !s)
        return s;
    m_host->startAll();

    m_api = new LocalApi(m_meta, [this] { return status(); }, this);
    if (Status s = m_api->listen(quint16(m_settings.localApiPort)); !s)
        return s;
    m_api->addGetRoute(QStringLiteral("/api/v1/devices"), [this](const http::Request &) {
        QJsonArray devices;
        if (m_twin)
            for (const twin::Device &d : m_twin->devices())
                devices.append(DeviceTwin::apiJson(d));
        return http::Response::json(200, QJsonObject{{QStringLiteral("devices"), devices}});
    });
    connect(m_link, &Link::connected, m_api, [this] {
        m_api->publish(QStringLiteral("connected"), {{QStringLiteral("hub"), m_settings.link.url.toString()}});
    });
    connect(m_link, &Link::disconnected, m_api, [this](const QString &reason) {
        m_api->publish(QStringLiteral("disconnected"), {{QStringLiteral("reason"), reason}});
    });

    m_certs = new CertManager(m_settings.cert, makeNodeKeyRequest, this);
    connect(m_certs, &CertManager::ready, this, &EdgeHub::onCertificateReady);
    connect(m_certs, &CertManager::rotated, this, [this] {
        m_link->setSslConfiguration(m_certs->clientSslConfiguration());
        m_link->reconnectNow(QStringLiteral("certificate rotated"));
    });
    m_certs->start();
    return {};
}

Status EdgeHub::addDeviceModules()
{
    m_twin = new DeviceTwin(m_db, m_settings.twin);
    if (Status s = m_twin->open(); !s)
        return s;
    if (!m_host->add(m_twin))
        m_twin = nullptr;
    if (m_twin && m_meta) {
        // Device objects reach MetaManager in group resource; DeviceTwin reads their desired values.
        connect(m_meta, &MetaManager::changed, m_twin, [this](const ResourceChange &change) {
            if (auto m = DeviceTwin::fromMetaChange(change))
                m_bus->send(edge::TwinModule, *m);
        });
    }
    m_eventbus = new EventBus(m_db, m_settings.eventbus);
    if (Status s = m_eventbus->open(); !s)
        return s;
    if (!m_host->add(m_eventbus))
        m_eventbus = nullptr;
    if (!m_settings.servicebus.allowedPorts.isEmpty())
        m_host->add(new ServiceBus(m_settings.servicebus));
    return {};
}

void EdgeHub::onCertificateReady()
{
    m_link->setSslConfiguration(m_certs->clientSslConfiguration());
    qCInfo(lcEdge).noquote() << "connecting to" << m_settings.link.url.toString();
    m_link->open();
}

void EdgeHub::stop()
{
    if (!m_started || m_stopped)
        return;
    m_stopped = true;
    if (m_certs)
        m_certs->disconnect(this);
    if (m_host)
        m_host->stopAll();
}

bool EdgeHub::isConnected() const
{
    return m_link && m_link->isConnected();
}

quint16 EdgeHub::localApiPort() const
{
    return m_api ? m_api->port() : quint16(m_settings.localApiPort);
}

QJsonObject EdgeHub::status() const
{
    QJsonObject counters;
    if (m_link) {
        const Link::Counters l = m_link->counters();
        counters.insert(QStringLiteral("framesIn"), qint64(l.framesIn));
        counters.insert(QStringLiteral("framesOut"), qint64(l.framesOut));
        counters.insert(QStringLiteral("connects"), qint64(l.connects));
        counters.insert(QStringLiteral("disconnects"), qint64(l.disconnects));
        counters.insert(QStringLiteral("dropped"), qint64(l.dropped));
    }
    if (m_meta) {
        const MetaManager::Counters m = m_meta->counters();
        counters.insert(QStringLiteral("applied"), qint64(m.applied));
        counters.insert(QStringLiteral("duplicates"), qint64(m.duplicates));
        counters.insert(QStringLiteral("stale"), qint64(m.stale));
        counters.insert(QStringLiteral("acked"), qint64(m.acked));
        counters.insert(QStringLiteral("commitFailures"), qint64(m.commitFailures));
        counters.insert(QStringLiteral("localQueries"), qint64(m.localQueries));
        counters.insert(QStringLiteral("remoteQueries"), qint64(m.remoteQueries));
    }
    QJsonObject o;
    o.insert(QStringLiteral("node"), m_settings.nodeId);
    o.insert(QStringLiteral("connected"), isConnected());
    o.insert(QStringLiteral("hub"), m_settings.link.url.toString());
    const bool hasCert = m_certs && m_certs->hasCertificate();
    o.insert(QStringLiteral("certExpiry"),
             hasCert ? QJsonValue(m_certs->expiry().toUTC().toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null));
    o.insert(QStringLiteral("outboxDepth"), m_outbox ? m_outbox->depth() : 0);
    o.insert(QStringLiteral("lastDisconnectReason"), m_link ? m_link->lastDisconnectReason() : QString());
    o.insert(QStringLiteral("counters"), counters);
    return o;
}

} // namespace qedge
