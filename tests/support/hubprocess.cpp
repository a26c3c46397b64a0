#include "tests/support/hubprocess.h"

#include "tests/support/testsupport.h"

#include <QFile>
#include <QRegularExpression>

namespace qedge::test {

namespace {

QByteArray readTrimmed(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().trimmed();
}

} // namespace

HubProcess::HubProcess(const QStringList &extraArgs, const QString &dataDir)
    : ServiceProcess(dataDir, QStringLiteral("hub")), m_extraArgs(extraArgs)
{}

bool HubProcess::start(int timeoutMs)
{
    QStringList args = {QStringLiteral("--data-dir"),       dataDir(),
                        QStringLiteral("--bind"),           QStringLiteral("127.0.0.1"),
                        QStringLiteral("--websocket-port"), QStringLiteral("0"),
                        QStringLiteral("--https-port"),     QStringLiteral("0"),
                        QStringLiteral("--admin-port"),     QStringLiteral("0")};
    args += m_extraArgs;
    clearOutput();
    if (!startProgram(binaryPath(QStringLiteral("cloudhub")), args, timeoutMs))
        return false;
    static const QRegularExpression ready(QStringLiteral(
        "cloudhub ready: edge wss://[^:]+:(\\d+) bootstrap https://[^:]+:(\\d+) admin https://[^:]+:(\\d+)"));
    const QRegularExpressionMatch m = waitForLine(ready, 0, timeoutMs);
    if (!m.hasMatch())
        return false;
    m_wsPort = quint16(m.captured(1).toUInt());
    m_httpsPort = quint16(m.captured(2).toUInt());
    m_adminPort = quint16(m.captured(3).toUInt());
    return true;
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
    return QString::fromUtf8(readTrimmed(dataDir() + QStringLiteral("/join.token")));
}

QByteArray HubProcess::adminToken() const
{
    return readTrimmed(dataDir() + QStringLiteral("/admin.token"));
}

} // namespace qedge::test
