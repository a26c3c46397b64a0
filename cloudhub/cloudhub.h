#pragma once

#include "shared/config.h"
#include "shared/result.h"

#include <QHostAddress>
#include <QObject>

#include <memory>

namespace qedge {
class DataDirLock;
class Database;
} // namespace qedge

namespace qedge::cloud {

class AdminLayer;
class AdminServer;
class BootstrapServer;
class Dispatcher;
class EdgeServer;
class HubPki;
class NodeRegistry;
class SessionManager;

/// The cloudhub service: owns every part and wires them together. main.cpp only parses
/// arguments, creates this, and runs the event loop.
class CloudHub : public QObject
{
    Q_OBJECT
public:
    /// Locks the data dir, loads or creates the CA, certificates and tokens (DIR/join.token,
    /// DIR/admin.token), opens the database (DIR/cloudhub.db or storage/url). Listens on nothing yet.
    static Result<std::unique_ptr<CloudHub>> create(const Config &config, QObject *parent = nullptr);
    ~CloudHub() override;

    /// Opens every listener; logs one "ready" line with the real URLs.
    Status start();
    /// Graceful stop: closes listeners and sessions, flushes storage.
    void stop();

    quint16 webSocketPort() const;
    quint16 httpsPort() const;
    quint16 adminPort() const;
    QString dataDir() const { return m_dataDir; }
    HubPki *pki() const { return m_pki.get(); }
    /// The live edge sessions: the delivery layer's hook (nodeConnected/nodeDisconnected,
    /// upstream, ackReceived, send).
    SessionManager *sessions() const { return m_sessions.get(); }
    NodeRegistry *registry() const { return m_registry.get(); }
    /// The delivery core (resources, per-node queues), fed by the sessions.
    Dispatcher *dispatcher() const { return m_dispatcher.get(); }
    Database *database() const { return m_db.get(); }
    /// Upstream routing, event log and stream, admin API routes, metrics.
    AdminLayer *adminLayer() const { return m_adminLayer.get(); }

private:
    CloudHub(const Config &config, QObject *parent);
    void addTokenRoutes();
    Status openStorage();
    void wireSessions();

    Config m_config;
    QString m_dataDir;
    std::unique_ptr<DataDirLock> m_lock;
    std::unique_ptr<HubPki> m_pki;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<NodeRegistry> m_registry;
    std::unique_ptr<Dispatcher> m_dispatcher;
    std::unique_ptr<SessionManager> m_sessions;
    std::unique_ptr<EdgeServer> m_edge;
    std::unique_ptr<BootstrapServer> m_bootstrap;
    std::unique_ptr<AdminServer> m_admin;
    std::unique_ptr<AdminLayer> m_adminLayer; // last: goes first, while the parts it uses still exist
    bool m_stopped = false;
};

} // namespace qedge::cloud
