#pragma once

#include <QProcess>
#include <QRegularExpressionMatch>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace qedge::test {

/// A real service binary run by a test: merged stdout/stderr kept across starts, waits that keep the
/// event loop running, SIGTERM stop with a SIGKILL fallback, a data dir (temporary unless given)
/// that outlives the process. The hub and edge fixtures build on it.
class ServiceProcess
{
public:
    virtual ~ServiceProcess();
    ServiceProcess(const ServiceProcess &) = delete;
    ServiceProcess &operator=(const ServiceProcess &) = delete;

    /// SIGTERM and wait; the exit code, or -1 if it crashed or did not exit in time (then killed).
    int stop(int timeoutMs = 10000);
    /// SIGKILL, for crash tests.
    void kill();
    bool isRunning() const;
    QString dataDir() const { return m_dataDir; }
    qint64 processId() const { return m_process.processId(); }
    QProcess &process() { return m_process; }

    /// stdout and stderr so far (of every start unless a fixture clears it).
    QString output();
    /// Waits until output() holds `text` at least `times` times.
    bool waitForOutput(const QString &text, int timeoutMs = 5000, int times = 1);
    /// How often output() holds `text`.
    int count(const QString &text);

protected:
    /// dataDir, or `tempName` inside a fresh temporary dir when dataDir is empty.
    ServiceProcess(const QString &dataDir, const QString &tempName);
    /// Starts `program`; false if it did not start within the time.
    bool startProgram(const QString &program, const QStringList &args, int timeoutMs);
    /// Waits for `line` to match output() at or after `from`; no match if the process exits or time runs out.
    QRegularExpressionMatch waitForLine(const QRegularExpression &line, qsizetype from, int timeoutMs);
    void clearOutput() { m_output.clear(); }

private:
    void waitForReadyRead(qint64 ms);

    std::unique_ptr<QTemporaryDir> m_tempDir;
    QString m_dataDir;
    QProcess m_process;
    QString m_output;
};

} // namespace qedge::test
