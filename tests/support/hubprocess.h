#pragma once

#include "tests/support/serviceprocess.h"

#include <QStringList>
#include <QUrl>

namespace qedge::test {

/// The real cloudhub binary on ports 0 with a temporary data dir (or a given one): start() waits
/// for the "cloudhub ready:" line and reads the ports from it; stop() sends SIGTERM.
class HubProcess : public ServiceProcess
{
public:
    /// extraArgs go after --data-dir/--bind/ports (e.g. {"--node-limit", "2"}).
    explicit HubProcess(const QStringList &extraArgs = {}, const QString &dataDir = QString());

    /// Starts and waits for the ready line; false (see output()) if the process exits or times out.
    bool start(int timeoutMs = 20000);
    quint16 webSocketPort() const { return m_wsPort; }
    quint16 httpsPort() const { return m_httpsPort; }
    quint16 adminPort() const { return m_adminPort; }
    QUrl bootstrapUrl() const;
    QUrl adminUrl() const;
    QString joinToken() const;
    QByteArray adminToken() const;

private:
    QStringList m_extraArgs;
    quint16 m_wsPort = 0;
    quint16 m_httpsPort = 0;
    quint16 m_adminPort = 0;
};

} // namespace qedge::test
