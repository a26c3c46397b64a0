#include "tests/support/hubprocess.h"

#include "tests/support/testsupport.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QRegularExpression>
#include <QTimer>

namespace qedge::test {

namespace {

// Waits for more output while the event loop runs (test edges in the same thread keep working).
void waitForReadyRead(QProcess &p, qint64 ms)
{
    QEventLoop loop;
    QObject::connect(&p, &QProcess::readyRead, &loop, &QEventLoop::quit);
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(int(qBound(qint64(1), ms, qint64(200))), &loop, &QEventLoop::quit);
    loop.exec();
}

QByteArray readTrimmed(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().trimmed();
}

} // namespace

HubProcess::HubProcess(const QStringList &extraArgs, const QString &dataDir) : m_extraArgs(extraArgs)
{
    if (dataDir.isEmpty()) {
        m_tempDir = std::make_unique<QTemporaryDir>();
        m_dataDir = m_tempDir->filePath(QStringLiteral("hub"));
    } else {
        m_dataDir = dataDir;
    }
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

HubProcess::~HubProcess()
{
    if (isRunning())
        kill();
}

bool HubProcess::start(int timeoutMs)
{
    QStringList args = {QStringLiteral("--data-dir"),       m_dataDir,
                        QStringLiteral("--bind"),           QStringLiteral("127.0.0.1"),
                        QStringLiteral("--websocket-port"), QStringLiteral("0"),
                        QStringLiteral("--https-port"),     QStringLiteral("0"),
                        QStringLiteral("--admin-port"),     QStringLiteral("0")};
    args += m_extraArgs;
    m_output.clear();
    m_process.start(binaryPath(QStringLiteral("cloudhub")), args);
    if (!m_process.waitForStarted(timeoutMs))
        return false;
    static const QRegularExpression ready(QStringLiteral(
        "cloudhub ready: edge wss://[^:]+:(\\d+) bootstrap https://[^:]+:(\\d+) admin https://[^:]+:(\\d+)"));
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const QRegularExpressionMatch m = ready.match(output());
        if (m.hasMatch()) {
            m_wsPort = quint16(m.captured(1).toUInt());
            m_httpsPort = quint16(m.captured(2).toUInt());
            m_adminPort = quint16(m.captured(3).toUInt());
            return true;
        }
        if (m_process.state() == QProcess::NotRunning)
            return false;
        waitForReadyRead(m_process, deadline.remainingTime());
    }
    return false;
}

int HubProcess::stop(int timeoutMs)
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

void HubProcess::kill()
{
    m_process.kill();
    m_process.waitForFinished(5000);
    output();
}

bool HubProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

QUrl HubProcess::bootstrapUrl() const
{
    return QUrl(QStringLiteral("https://127.0.0.1:%1").arg(m_httpsPort));
}

QUrl HubProcess::adminUrl() const
{
    return QUrl(QStringLiteral("https://127.0.0.1:%1").arg(m_adminPort));
}

QString HubProcess::joinToken() const
{
    return QString::fromUtf8(readTrimmed(m_dataDir + QStringLiteral("/join.token")));
}

QByteArray HubProcess::adminToken() const
{
    return readTrimmed(m_dataDir + QStringLiteral("/admin.token"));
}

QString HubProcess::output()
{
    m_output += QString::fromUtf8(m_process.readAll());
    return m_output;
}

bool HubProcess::waitForOutput(const QString &text, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!output().contains(text)) {
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
            return output().contains(text);
        waitForReadyRead(m_process, deadline.remainingTime());
    }
    return true;
}

} // namespace qedge::test
