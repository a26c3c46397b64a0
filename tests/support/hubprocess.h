#pragma once

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace qedge::test {

/// The real cloudhub binary on ports 0 with a temporary data dir (or a given one): start() waits
/// for the "cloudhub ready:" line and reads the ports from it; stop() sends SIGTERM.
class HubProcess
{
public:
    /// extraArgs go after --data-dir/--bind/ports (e.g. {"--node-limit", "2"}).
    explicit HubProcess(const QStringList &extraArgs = {}, const QString &dataDir = QString());
    ~HubProcess();

    /// Starts and waits for the ready line; false (see output()) if the process exits or times out.
    bool start(int timeoutMs = 20000);
    /// SIGTERM and wait; the exit code, or -1 if it crashed or did not exit in time (then killed).
    int stop(int timeoutMs = 10000);
    /// SIGKILL, for crash tests.
    void kill();

    bool isRunning() const;
    QString dataDir() const { return m_dataDir; }
    quint16 webSocketPort() const { return m_wsPort; }
    quint16 httpsPort() const { return m_httpsPort; }
    quint16 adminPort() const { return m_adminPort; }
    QUrl bootstrapUrl() const;
    QUrl adminUrl() const;
    QString joinToken() const;
    QByteArray adminToken() const;

    /// stdout and stderr so far.
    QString output();
    /// Waits until output() contains text; true if it did within the time.
    bool waitForOutput(const QString &text, int timeoutMs = 5000);

    QProcess &process() { return m_process; }

private:
    std::unique_ptr<QTemporaryDir> m_tempDir;
    QString m_dataDir;
    QStringList m_extraArgs;
    QProcess m_process;
    QString m_output;
    quint16 m_wsPort = 0;
    quint16 m_httpsPort = 0;
    quint16 m_adminPort = 0;
};

} // namespace qedge::test
