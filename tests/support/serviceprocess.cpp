#include "tests/support/serviceprocess.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QRegularExpression>
#include <QTimer>

namespace qedge::test {

ServiceProcess::ServiceProcess(const QString &dataDir, const QString &tempName) : m_dataDir(dataDir)
{
    if (m_dataDir.isEmpty()) {
        m_tempDir = std::make_unique<QTemporaryDir>();
        m_dataDir = m_tempDir->filePath(tempName);
    }
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

ServiceProcess::~ServiceProcess()
{
    // The process ends here, before m_tempDir is removed.
    if (isRunning())
        kill();
}

bool ServiceProcess::startProgram(const QString &program, const QStringList &args, int timeoutMs)
{
    m_process.start(program, args);
    return m_process.waitForStarted(timeoutMs);
}

QRegularExpressionMatch ServiceProcess::waitForLine(const QRegularExpression &line, qsizetype from,
                                                    int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        QRegularExpressionMatch m = line.match(output(), from);
        if (m.hasMatch())
            return m;
        if (m_process.state() == QProcess::NotRunning)
            return {};
        waitForReadyRead(deadline.remainingTime());
    }
    return {};
}

int ServiceProcess::stop(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    m_process.terminate(); // SIGTERM on Unix
    if (!m_process.waitForFinished(timeoutMs)) {
        kill();
        return -1;
    }
    output();
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

void ServiceProcess::kill()
{
    m_process.kill();
    m_process.waitForFinished(5000);
    output();
}

bool ServiceProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

QString ServiceProcess::output()
{
    if (m_process.isOpen())
        m_output += QString::fromUtf8(m_process.readAll());
    return m_output;
}

int ServiceProcess::count(const QString &text)
{
    return int(output().count(text));
}

bool ServiceProcess::waitForOutput(const QString &text, int timeoutMs, int times)
{
    QDeadlineTimer deadline(timeoutMs);
    while (count(text) < times) {
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
            return count(text) >= times;
        waitForReadyRead(deadline.remainingTime());
    }
    return true;
}

// Waits for more output while the event loop runs (test edges in the same thread keep working).
void ServiceProcess::waitForReadyRead(qint64 ms)
{
    QEventLoop loop;
    QObject::connect(&m_process, &QProcess::readyRead, &loop, &QEventLoop::quit);
    QObject::connect(&m_process, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(int(qBound(qint64(1), ms, qint64(200))), &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace qedge::test
