#pragma once

// Windows service mode for cloudhub and edgehub. Compiled on Windows only (shared/CMakeLists.txt).

#include <QObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace qedge {

/// Runs a Qt service under the Windows Service Control Manager and registers it there.
/// The SCM talks to a helper thread; a stop request reaches the event loop as a queued call.
class WindowsService : public QObject
{
    Q_OBJECT
public:
    /// Handles --install-service and --uninstall-service; returns the exit code if one was given.
    /// --install-service registers this executable with the other arguments (paths made absolute).
    static std::optional<int> handleCommandLine(const QString &name, const QString &displayName,
                                                const QStringList &arguments);
    /// True when the SCM started the process (the registered command line has --run-as-service).
    static bool isServiceLaunch(const QStringList &arguments);
    /// The arguments without the service-mode flags, for the ordinary command-line parser.
    static QStringList withoutServiceFlags(const QStringList &arguments);

    explicit WindowsService(const QString &name, QObject *parent = nullptr);
    ~WindowsService() override;

    /// Connects to the SCM and reports RUNNING; false (with a message on stderr) if that fails.
    bool start();
    /// Reports STOPPED with the exit status; the destructor does this with 0 if nobody did.
    void reportStopped(int exitCode);

signals:
    /// The SCM asked the service to stop (stop or system shutdown); QCoreApplication::quit follows.
    void stopRequested();

private:
    QString m_name;
};

} // namespace qedge
