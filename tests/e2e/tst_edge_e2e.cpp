// End to end with the real cloudhub and edgehub binaries: join, errors, outages, crashes.
#include "tests/e2e/edgeprocess.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <QFile>
#include <QFileInfo>
#include <QTest>

#ifdef Q_OS_UNIX
#include <signal.h>
#endif

using namespace qedge::test;

class TestEdgeE2e : public QObject
{
    Q_OBJECT
private slots:
    void bootstrapAndConnect();
    void badTokenIsReportedAndRetried_data();
    void badTokenIsReportedAndRetried();
    void fixedTokenFileIsPickedUpWithoutRestart();
    void unreachableHubIsReported();
    void hubDownKeepsTheLocalApiAndReconnects();
    void frozenHubIsDetectedByTheReadDeadline();
    void killedEdgeReusesItsCertificate();
    void secondEdgeOnTheSameDataDirIsRefused();
};

namespace {
QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
} // namespace

void TestEdgeE2e::bootstrapAndConnect()
{
    HubProcess hub;
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    EdgeProcess edge(QStringLiteral("edge-a"));
    QVERIFY2(edge.start(EdgeProcess::joinArgs(hub)), qPrintable(edge.output()));
    QVERIFY2(
        edge.waitForOutput(
            QStringLiteral("connected to wss://127.0.0.1:%1/e632aba927ea4ac2b575ec1603d56f10/edge-a/events")
                .arg(hub.webSocketPort())),
        qPrintable(edge.output()));
    QVERIFY(edge.waitForConnected(true));
    QVERIFY(hub.waitForOutput(QStringLiteral("node edge-a connected")));

    const EdgeProcess::Reply status = edge.get(QStringLiteral("/api/v1/status"));
    QCOMPARE(status.status, 200);
    QCOMPARE(status.body.value(QLatin1String("node")).toString(), QStringLiteral("edge-a"));
    QVERIFY(status.body.value(QLatin1String("hub")).toString().startsWith(QLatin1String("wss://127.0.0.1:")));
    const QDateTime expiry =
        QDateTime::fromString(status.body.value(QLatin1String("certExpiry")).toString(), Qt::ISODate);
    QVERIFY(expiry > QDateTime::currentDateTimeUtc().addDays(300)); // the hub's default: a year
    QCOMPARE(status.body.value(QLatin1String("outboxDepth")).toInt(), 0);
    QCOMPARE(status.body.value(QLatin1String("counters")).toObject().value(QLatin1String("connects")).toInt(),
             1);

    // The KubeEdge file layout, the key private to the service's user.
    const QString certs = edge.dataDir() + QStringLiteral("/certs/");
    const auto cert = QSslCertificate::fromData(readFile(certs + QStringLiteral("edge.crt")));
    QCOMPARE(cert.size(), 1);
    QCOMPARE(cert.first().subjectInfo(QSslCertificate::CommonName),
             QStringList{QStringLiteral("system:node:edge-a")});
    QCOMPARE(cert.first().subjectInfo(QSslCertificate::Organization),
             QStringList{QStringLiteral("system:nodes")});
    const QFileDevice::Permissions keyMode = QFileInfo(certs + QStringLiteral("edge.key")).permissions();
    QVERIFY(keyMode.testFlag(QFileDevice::ReadOwner));
    QCOMPARE(int(keyMode & 0x0077), 0); // nothing for group and others
    QVERIFY(!readFile(certs + QStringLiteral("ca.crt")).isEmpty());

    QCOMPARE(edge.stop(), 0);
    QVERIFY(hub.waitForOutput(QStringLiteral("node edge-a disconnected")));
    QCOMPARE(hub.stop(), 0);
}

void TestEdgeE2e::badTokenIsReportedAndRetried_data()
{
    QTest::addColumn<QString>("tokenKind");
    QTest::addColumn<QString>("expected"); // the documented line, after "certificate bootstrap failed: "
    QTest::newRow("other CA") << QStringLiteral("other-ca")
                              << QStringLiteral("the hub's CA does not match the join token");
    QTest::newRow("forged JWT")
        << QStringLiteral("forged")
        << QStringLiteral("the hub refused the certificate request: HTTP 401: the join token was refused");
    QTest::newRow("malformed") << QStringLiteral("malformed")
                               << QStringLiteral("the join token is malformed");
}

void TestEdgeE2e::badTokenIsReportedAndRetried()
{
    QFETCH(QString, tokenKind);
    QFETCH(QString, expected);
    HubProcess hub;
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    const QStringList good = hub.joinToken().split(u'.');
    QCOMPARE(good.size(), 4);
    QString token;
    if (tokenKind == QLatin1String("other-ca"))
        token = QStringList{QString(64, u'a'), good.at(1), good.at(2), good.at(3)}.join(u'.');
    else if (tokenKind == QLatin1String("forged"))
        token = QStringList{good.at(0), good.at(1), good.at(2),
                            QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}
                    .join(u'.');
    else
        token = QStringLiteral("not-a-token");

    EdgeProcess edge(QStringLiteral("edge-b"));
    QStringList args = EdgeProcess::joinArgs(hub);
    args.last() = token;
    QVERIFY2(edge.start(args), qPrintable(edge.output()));
    // Reported in one line, then retried (twice seen), and the process stays up.
    QVERIFY2(edge.waitForOutput(QStringLiteral("certificate bootstrap failed: ") + expected, 8000, 2),
             qPrintable(edge.output()));
    QVERIFY(edge.output().contains(QLatin1String(" - retrying in ")));
    QVERIFY(edge.isRunning());
    const EdgeProcess::Reply status = edge.get(QStringLiteral("/api/v1/status"));
    QCOMPARE(status.status, 200);
    QCOMPARE(status.body.value(QLatin1String("connected")).toBool(), false);
    QVERIFY(status.body.value(QLatin1String("certExpiry")).isNull());
    QVERIFY(!QFile::exists(edge.dataDir() + QStringLiteral("/certs/edge.crt")));
    QVERIFY(!hub.output().contains(QLatin1String("issued a certificate")));
    QCOMPARE(edge.stop(), 0);
}

void TestEdgeE2e::fixedTokenFileIsPickedUpWithoutRestart()
{
    HubProcess hub;
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    QTemporaryDir dir;
    const QString tokenFile = dir.filePath(QStringLiteral("join.token"));
    EdgeProcess edge(QStringLiteral("edge-g"), dir.filePath(QStringLiteral("edge")));
    QStringList args = EdgeProcess::joinArgs(hub).mid(0, 4);
    args << QStringLiteral("--token-file") << tokenFile;
    QVERIFY2(edge.start(args), qPrintable(edge.output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("certificate bootstrap failed: cannot read the token file ") +
                                    tokenFile,
                                8000),
             qPrintable(edge.output()));

    QFile f(tokenFile);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(hub.joinToken().toUtf8() + '\n');
    f.close();
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://"), 8000), qPrintable(edge.output()));
    QCOMPARE(edge.stop(), 0);

    // Once joined, the token file may go.
    QVERIFY(QFile::remove(tokenFile));
    QVERIFY2(edge.start(args), qPrintable(edge.output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://"), 8000, 2), qPrintable(edge.output()));
    QCOMPARE(edge.stop(), 0);
}

void TestEdgeE2e::unreachableHubIsReported()
{
    const quint16 closed = freePort();
    EdgeProcess edge(QStringLiteral("edge-c"));
    QVERIFY2(edge.start({QStringLiteral("--hub"), QStringLiteral("127.0.0.1:%1").arg(closed),
                         QStringLiteral("--cert-server"), QStringLiteral("https://127.0.0.1:%1").arg(closed),
                         QStringLiteral("--token"), QStringLiteral("a.b.c.d")}),
             qPrintable(edge.output()));
    const QString line = QStringLiteral("certificate bootstrap failed: cannot get the CA from "
                                        "https://127.0.0.1:%1/ca.crt: Connection refused - retrying in ")
                             .arg(closed);
    QVERIFY2(edge.waitForOutput(line, 8000, 2), qPrintable(edge.output()));
    QVERIFY(edge.isRunning());
    QCOMPARE(edge.get(QStringLiteral("/api/v1/resources")).status, 200);
    QCOMPARE(edge.stop(), 0);
}

void TestEdgeE2e::hubDownKeepsTheLocalApiAndReconnects()
{
    QTemporaryDir hubDir;
    const QStringList ports = {QStringLiteral("--websocket-port"), QString::number(freePort()),
                               QStringLiteral("--https-port"), QString::number(freePort())};
    auto hub = std::make_unique<HubProcess>(ports, hubDir.filePath(QStringLiteral("hub")));
    QVERIFY2(hub->start(), qPrintable(hub->output()));
    EdgeProcess edge(QStringLiteral("edge-d"));
    QVERIFY2(edge.start(EdgeProcess::joinArgs(*hub)), qPrintable(edge.output()));
    QVERIFY2(edge.waitForConnected(true), qPrintable(edge.output()));

    QCOMPARE(hub->stop(), 0);
    QVERIFY2(edge.waitForOutput(QStringLiteral("disconnected: ")), qPrintable(edge.output()));
    QVERIFY(edge.waitForConnected(false));
    const EdgeProcess::Reply status = edge.get(QStringLiteral("/api/v1/status"));
    QCOMPARE(status.status, 200);
    QVERIFY(!status.body.value(QLatin1String("lastDisconnectReason")).toString().isEmpty());
    QCOMPARE(
        status.body.value(QLatin1String("counters")).toObject().value(QLatin1String("disconnects")).toInt(),
        1);
    QCOMPARE(edge.get(QStringLiteral("/api/v1/resources")).status, 200);
    // It keeps dialling and says why it cannot.
    QVERIFY2(edge.waitForOutput(QStringLiteral("cannot connect to wss://"), 5000), qPrintable(edge.output()));

    // The same hub (data dir and ports) comes back: the edge returns without a new certificate.
    hub = std::make_unique<HubProcess>(ports, hubDir.filePath(QStringLiteral("hub")));
    QVERIFY2(hub->start(), qPrintable(hub->output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://"), 8000, 2), qPrintable(edge.output()));
    QVERIFY(edge.waitForConnected(true));
    QCOMPARE(edge.count(QStringLiteral("obtained the node certificate")), 1);
    QCOMPARE(edge.stop(), 0);
    QCOMPARE(hub->stop(), 0);
}

void TestEdgeE2e::frozenHubIsDetectedByTheReadDeadline()
{
#ifndef Q_OS_UNIX
    QSKIP("needs SIGSTOP");
#else
    // A hub that stops answering without closing anything (frozen, or a dead route): KubeEdge only
    // notices failed writes; the edge also wants to read something within its deadline.
    HubProcess hub;
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    EdgeProcess edge(QStringLiteral("edge-h"));
    QVERIFY2(edge.start(EdgeProcess::joinArgs(hub) +
                        QStringList{QStringLiteral("--heartbeat"), QStringLiteral("1"),
                                    QStringLiteral("--read-deadline"), QStringLiteral("3")}),
             qPrintable(edge.output()));
    QVERIFY(edge.waitForConnected(true));
    const qint64 pid = hub.process().processId();
    QCOMPARE(::kill(pid_t(pid), SIGSTOP), 0);
    const bool detected =
        edge.waitForOutput(QStringLiteral("disconnected: nothing read from the hub for "), 8000);
    QCOMPARE(edge.get(QStringLiteral("/api/v1/status")).body.value(QLatin1String("connected")).toBool(),
             false);
    QCOMPARE(::kill(pid_t(pid), SIGCONT), 0);
    QVERIFY2(detected, qPrintable(edge.output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://"), 8000, 2), qPrintable(edge.output()));
    QCOMPARE(edge.stop(), 0);
    QCOMPARE(hub.stop(), 0);
#endif
}

void TestEdgeE2e::killedEdgeReusesItsCertificate()
{
    HubProcess hub;
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    QTemporaryDir dir;
    const QString data = dir.filePath(QStringLiteral("edge"));
    EdgeProcess first(QStringLiteral("edge-e"), data);
    QVERIFY2(first.start(EdgeProcess::joinArgs(hub)), qPrintable(first.output()));
    QVERIFY(first.waitForConnected(true));
    const QByteArray cert = readFile(data + QStringLiteral("/certs/edge.crt"));
    const QByteArray key = readFile(data + QStringLiteral("/certs/edge.key"));
    QVERIFY(!cert.isEmpty());
    first.kill();

    // No token this time: a node with a valid certificate does not need one.
    EdgeProcess second(QStringLiteral("edge-e"), data);
    QVERIFY2(second.start({QStringLiteral("--hub"), QStringLiteral("127.0.0.1:%1").arg(hub.webSocketPort()),
                           QStringLiteral("--cert-server"), hub.bootstrapUrl().toString()}),
             qPrintable(second.output()));
    QVERIFY2(second.waitForOutput(QStringLiteral("using the node certificate in")),
             qPrintable(second.output()));
    QVERIFY(second.waitForConnected(true));
    QCOMPARE(readFile(data + QStringLiteral("/certs/edge.crt")), cert);
    QCOMPARE(readFile(data + QStringLiteral("/certs/edge.key")), key);
    QCOMPARE(hub.output().count(QLatin1String("issued a certificate for node edge-e")), 1);
    QCOMPARE(second.stop(), 0);
}

void TestEdgeE2e::secondEdgeOnTheSameDataDirIsRefused()
{
    QTemporaryDir dir;
    const QString data = dir.filePath(QStringLiteral("edge"));
    const QStringList args = {QStringLiteral("--hub"), QStringLiteral("127.0.0.1:%1").arg(freePort())};
    EdgeProcess first(QStringLiteral("edge-f"), data);
    QVERIFY2(first.start(args), qPrintable(first.output()));
    EdgeProcess second(QStringLiteral("edge-f"), data);
    QVERIFY(!second.start(args));
    QVERIFY(!second.isRunning());
    QCOMPARE(second.stop(), 1);
    QVERIFY2(second.output().startsWith(QLatin1String("edgehub: ")), qPrintable(second.output()));
    QCOMPARE(first.stop(), 0);
}

QTEST_GUILESS_MAIN(TestEdgeE2e)
#include "tst_edge_e2e.moc"
