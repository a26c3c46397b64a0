// A node certificate that expires while the hub is unreachable: the edge joins again with its
// token file once the hub is back (the expired certificate cannot authenticate a renewal).
#include "tests/e2e/edgeprocess.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <QFile>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge::test;

class TestEdgeExpiryE2e : public QObject
{
    Q_OBJECT
private slots:
    void expiredDuringOutageJoinsAgainWithTheToken();
};

void TestEdgeExpiryE2e::expiredDuringOutageJoinsAgainWithTheToken()
{
    QTemporaryDir dir;
    const QStringList hubArgs = {QStringLiteral("--edge-cert-signing-seconds"),
                                 QStringLiteral("4"),
                                 QStringLiteral("--websocket-port"),
                                 QString::number(freePort()),
                                 QStringLiteral("--https-port"),
                                 QString::number(freePort())};
    auto hub = std::make_unique<HubProcess>(hubArgs, dir.filePath(QStringLiteral("hub")));
    QVERIFY2(hub->start(), qPrintable(hub->output()));
    const QString tokenFile = dir.filePath(QStringLiteral("join.token"));
    QVERIFY(QFile::copy(hub->dataDir() + QStringLiteral("/join.token"), tokenFile));

    EdgeProcess edge(QStringLiteral("edge-x"), dir.filePath(QStringLiteral("edge")));
    QVERIFY2(edge.start(EdgeProcess::joinArgs(*hub).mid(0, 4) +
                        QStringList{QStringLiteral("--token-file"), tokenFile}),
             qPrintable(edge.output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://")), qPrintable(edge.output()));
    QFile certFile(edge.dataDir() + QStringLiteral("/certs/edge.crt"));
    QVERIFY(certFile.open(QIODevice::ReadOnly));
    const QSslCertificate first = QSslCertificate::fromData(certFile.readAll()).value(0);
    certFile.close();
    QVERIFY(!first.isNull());

    // The hub is away through the whole renewal window and past the expiry.
    QCOMPARE(hub->stop(), 0);
    QVERIFY2(edge.waitForOutput(QStringLiteral("certificate rotation failed: "), 6000),
             qPrintable(edge.output()));
    QTRY_VERIFY_WITH_TIMEOUT(QDateTime::currentDateTimeUtc() > first.expiryDate().addSecs(1), 8000);

    hub = std::make_unique<HubProcess>(hubArgs, dir.filePath(QStringLiteral("hub")));
    QVERIFY2(hub->start(), qPrintable(hub->output()));
    QVERIFY2(
        edge.waitForOutput(
            QStringLiteral(
                "the node certificate expired before it could be renewed; joining again with the join token"),
            6000),
        qPrintable(edge.output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://"), 8000, 2), qPrintable(edge.output()));
    QVERIFY(certFile.open(QIODevice::ReadOnly));
    const QSslCertificate second = QSslCertificate::fromData(certFile.readAll()).value(0);
    QVERIFY(second.serialNumber() != first.serialNumber());
    QVERIFY(hub->output().contains(QLatin1String("issued a certificate for node edge-x")));
    QCOMPARE(edge.stop(), 0);
    QCOMPARE(hub->stop(), 0);
}

QTEST_GUILESS_MAIN(TestEdgeExpiryE2e)
#include "tst_edge_expiry_e2e.moc"
