#pragma once

#include "shared/config.h"
#include "shared/result.h"

#include <QHostAddress>
#include <QObject>

#include <memory>

namespace qedge {
class DataDirLock;
}

namespace qedge::cloud {

class AdminServer;
class BootstrapServer;
class HubPki;

/// The cloudhub service: owns every part and wires them together. main.cpp only parses
/// arguments, creates this, and runs the event loop.
class CloudHub : public QObject
{
    Q_OBJECT
public:
    /// Locks the data dir, loads or creates the CA, certificates and tokens. Listens on nothing yet.
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

private:
    CloudHub(const Config &config, QObject *parent);
    void addTokenRoutes();

    Config m_config;
    QString m_dataDir;
    std::unique_ptr<DataDirLock> m_lock;
    std::unique_ptr<HubPki> m_pki;
    std::unique_ptr<BootstrapServer> m_bootstrap;
    std::unique_ptr<AdminServer> m_admin;
};

} // namespace qedge::cloud
