#include "tests/e2e/edgeprocess.h"

#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTest>

namespace qedge::test {

EdgeProcess::EdgeProcess(const QString &node, const QString &dataDir)
    : ServiceProcess(dataDir, QStringLiteral("edge")), m_node(node)
{}

QStringList EdgeProcess::joinArgs(HubProcess &hub)
{
    return {QStringLiteral("--hub"),         QStringLiteral("127.0.0.1:%1").arg(hub.webSocketPort()),
            QStringLiteral("--cert-server"), hub.bootstrapUrl().toString(),
            QStringLiteral("--token"),       hub.joinToken()};
}

bool EdgeProcess::start(const QStringList &args, int timeoutMs)
{
    QStringList all = {QStringLiteral("--data-dir"),       dataDir(),
                       QStringLiteral("--node"),           m_node,
                       QStringLiteral("--local-api-port"), QStringLiteral("0"),
                       QStringLiteral("--reconnect-wait"), QStringLiteral("0.2"),
                       QStringLiteral("--reconnect-cap"),  QStringLiteral("1"),
                       QStringLiteral("--cert-retry-cap"), QStringLiteral("1")};
    all += args;
    const qsizetype from = output().size();
    m_apiPort = 0;
    if (!startProgram(binaryPath(QStringLiteral("edgehub")), all, timeoutMs))
        return false;
    static const QRegularExpression ready(
        QStringLiteral("edgehub ready: local API http://127\\.0\\.0\\.1:(\\d+)"));
    const QRegularExpressionMatch m = waitForLine(ready, from, timeoutMs);
    if (!m.hasMatch())
        return false;
    m_apiPort = quint16(m.captured(1).toUInt());
    return true;
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

} // namespace qedge::test
