#pragma once

#include "edgehub/certmanager.h"
#include "edgehub/devicetwin.h"
#include "edgehub/eventbus.h"
#include "edgehub/servicebus.h"
#include "edgehub/link.h"
#include "edgehub/metamanager.h"
#include "shared/config.h"
#include "shared/result.h"

#include <QJsonObject>
#include <QObject>
#include <QSqlDatabase>
#include <QUrl>

#include <memory>

namespace qedge {

class Database;
class LocalApi;
class MessageBus;
class ModuleHost;
class Outbox;

/// One edge node's process: bus, modules (link, MetaManager), outbox, certificate manager and the
/// local API, wired together. Lives in the main thread; start() and stop() once each.
class EdgeHub : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QString dataDir;
        QString nodeId;
        QString hub;            ///< as configured, for the status
        QString token;          ///< read from hub/token or hub/token_file
        int outboxCapacity = 100000;
        int localApiPort = 10550;
        QString mqttServer;
        QStringList disabledModules;
        Link::Settings link;
        MetaManager::Settings meta;
        CertManager::Settings cert;
        EventBus::Settings eventbus;
        DeviceTwin::Settings twin;
        ServiceBus::Settings servicebus; ///< on when it has allowed ports
    };

    /// Validates the configuration (node name, hub address, token source) into settings.
    static Result<Settings> settingsFrom(const Config &config);

    explicit EdgeHub(const Settings &settings, QObject *parent = nullptr);
    ~EdgeHub() override;

    /// Opens the database, starts the modules, the local API and the certificate manager (which
    /// opens the link once a certificate is there). Errors are fatal for the process.
    Status start();
    /// Stops the link and the modules, commits what is pending. Idempotent.
    void stop();

    bool isConnected() const;
    /// The port the local API listens on (after start()).
    quint16 localApiPort() const;
    /// The body of GET /api/v1/status.
    QJsonObject status() const;
    MetaManager *metaManager() const { return m_meta; }
    DeviceTwin *deviceTwin() const { return m_twin; }

    /// Node names as Kubernetes takes them (DNS subdomain: lower case, digits, '-', '.').
    static bool isValidNodeName(const QString &name);

signals:
    void connected();
    void disconnected(const QString &reason);

private:
    void onCertificateReady();
    Status addDeviceModules();

    Settings m_settings;
    std::unique_ptr<Database> m_database;
    QSqlDatabase m_db;
    std::unique_ptr<Outbox> m_outbox;
    MessageBus *m_bus = nullptr;
    ModuleHost *m_host = nullptr;
    Link *m_link = nullptr;          // owned by m_host
    MetaManager *m_meta = nullptr;   // owned by m_host
    DeviceTwin *m_twin = nullptr;    // owned by m_host
    EventBus *m_eventbus = nullptr;  // owned by m_host
    CertManager *m_certs = nullptr;
    LocalApi *m_api = nullptr;
    bool m_started = false;
    bool m_stopped = false;
};

} // namespace qedge
