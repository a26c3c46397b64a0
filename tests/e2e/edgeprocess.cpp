#include "tests/e2e/edgeprocess.h"

#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTest>
#include <QTimer>

namespace qedge::test {

namespace {
void waitForReadyRead(QProcess &p, qint64 ms)
{
    QEventLoop loop;
    QObject::connect(&p, &QProcess::readyRead, &loop, &QEventLoop::quit);
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(int(qBound(qint64(1), ms, qint64(200))), &loop, &QEventLoop::quit);
    loop.exec();
}
} // namespace

EdgeProcess::EdgeProcess(const QString &node, const QString &dataDir) : m_node(node)
{
    if (dataDir.isEmpty()) {
        m_tempDir = std::make_unique<QTemporaryDir>();
        m_dataDir = m_tempDir->filePath(QStringLiteral("edge"));
    } else {
        m_dataDir = dataDir;
    }
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

EdgeProcess::~EdgeProcess()
{
    if (isRunning())
        kill();
}

QStringList EdgeProcess::joinArgs(HubProcess &hub)
{
    return {QStringLiteral("--hub"),         QStringLiteral("127.0.0.1:%1").arg(hub.webSocketPort()),
            QStringLiteral("--cert-server"), hub.bootstrapUrl().toString(),
            QStringLiteral("--token"),       hub.joinToken()};
}

bool EdgeProcess::start(const QStringList &args, int timeoutMs)
{
    QStringList all = {QStringLiteral("--data-dir"),       m_dataDir,
                       QStringLiteral("--node"),           m_node,
                       QStringLiteral("--local-api-port"), QStringLiteral("0"),
                       QStringLiteral("--reconnect-wait"), QStringLiteral("0.2"),
                       QStringLiteral("--reconnect-cap"),  QStringLiteral("1"),
                       QStringLiteral("--cert-retry-cap"), QStringLiteral("1")};
    all += args;
    const qsizetype from = output().size();
    m_apiPort = 0;
    m_process.start(binaryPath(QStringLiteral("edgehub")), all);
    if (!m_process.waitForStarted(timeoutMs))
        return false;
    static const QRegularExpression ready(
        QStringLiteral("edgehub ready: local API http://127\\.0\\.0\\.1:(\\d+)"));
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const QRegularExpressionMatch m = ready.match(output(), from);
        if (m.hasMatch()) {
            m_apiPort = quint16(m.captured(1).toUInt());
            return true;
        }
        if (m_process.state() == QProcess::NotRunning)
            return false;
        waitForReadyRead(m_process, deadline.remainingTime());
    }
    return false;
}

int EdgeProcess::stop(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    m_process.terminate();
    if (!m_process.waitForFinished(timeoutMs)) {
        kill();
        return -1;
    }
    output();
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

void EdgeProcess::kill()
{
    m_process.kill();
    m_process.waitForFinished(5000);
    output();
}

bool EdgeProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

EdgeProcess::Reply EdgeProcess::get(const QString &path, int timeoutMs)
{
    QNetworkAccessManager nam;
    QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_apiPort).arg(path)));
    req.setTransferTimeout(timeoutMs);
    QNetworkReply *r = nam.get(req);
    if (!QTest::qWaitFor([r] { return r->isFinished(); }, timeoutMs + 1000))
        return {};
    Reply out{r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
              QJsonDocument::fromJson(r->readAll()).object()};
    delete r;
    return out;
}

bool EdgeProcess::waitForConnected(bool connected, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const Reply r = get(QStringLiteral("/api/v1/status"));
        if (r.status == 200 && r.body.value(QLatin1String("connected")).toBool() == connected)
            return true;
        QTest::qWait(50);
    }
    return false;
}

QString EdgeProcess::output()
{
    if (m_process.isOpen())
        m_output += QString::fromUtf8(m_process.readAll());
    return m_output;
}

int EdgeProcess::count(const QString &text)
{
    return int(output().count(text));
}

bool EdgeProcess::waitForOutput(const QString &text, int timeoutMs, int times)
{
    QDeadlineTimer deadline(timeoutMs);
    while (count(text) < times) {
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
            return count(text) >= times;
        waitForReadyRead(m_process, deadline.remainingTime());
    }
    return true;
}

} // namespace qedge::test
