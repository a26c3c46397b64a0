// Certificate rotation with the real binaries: a short lifetime forces it within the test.
#include "tests/e2e/edgeprocess.h"
#include "tests/support/hubprocess.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QTest>

using namespace qedge::test;

class TestEdgeRotationE2e : public QObject
{
    Q_OBJECT
private slots:
    void shortLivedCertificateIsRotatedAndTheLinkReconnects();
};

namespace {
QSslCertificate certificateIn(const QString &dataDir)
{
    QFile f(dataDir + QStringLiteral("/certs/edge.crt"));
    const auto certs =
        f.open(QIODevice::ReadOnly) ? QSslCertificate::fromData(f.readAll()) : QList<QSslCertificate>();
    return certs.isEmpty() ? QSslCertificate() : certs.first();
}
} // namespace

void TestEdgeRotationE2e::shortLivedCertificateIsRotatedAndTheLinkReconnects()
{
    // 12 s: rotation falls at 8.4-10.8 s, inside the test's time budget (the hub backdates
    // notBefore by a minute; the edge counts the lifetime from issue).
    HubProcess hub({QStringLiteral("--edge-cert-signing-seconds"), QStringLiteral("12")});
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    EdgeProcess edge(QStringLiteral("edge-r"));
    QVERIFY2(edge.start(EdgeProcess::joinArgs(hub)), qPrintable(edge.output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://")), qPrintable(edge.output()));
    const QSslCertificate first = certificateIn(edge.dataDir());
    QVERIFY(!first.isNull());
    QVERIFY(first.expiryDate() <= QDateTime::currentDateTimeUtc().addSecs(13));

    // Not before 70 % of the lifetime.
    QTest::qWait(7000);
    QCOMPARE(edge.count(QStringLiteral("rotated the node certificate")), 0);
    QVERIFY2(edge.waitForOutput(QStringLiteral("rotated the node certificate"), 6000),
             qPrintable(edge.output()));
    QVERIFY2(edge.waitForOutput(QStringLiteral("connected to wss://"), 5000, 2), qPrintable(edge.output()));
    QVERIFY(edge.waitForConnected(true));

    const QSslCertificate second = certificateIn(edge.dataDir());
    QVERIFY(!second.isNull());
    QVERIFY(second.serialNumber() != first.serialNumber());
    QVERIFY(second.publicKey() != first.publicKey()); // a fresh key, not a re-signed one
    QCOMPARE(second.subjectInfo(QSslCertificate::CommonName),
             QStringList{QStringLiteral("system:node:edge-r")});
    QVERIFY(second.expiryDate() > first.expiryDate());
    // Rotation presents the current certificate, not the token; once only so far.
    QCOMPARE(hub.output().count(QLatin1String("issued a certificate for node edge-r")), 2);
    QCOMPARE(edge.count(QStringLiteral("rotated the node certificate")), 1);
    const EdgeProcess::Reply status = edge.get(QStringLiteral("/api/v1/status"));
    QCOMPARE(QDateTime::fromString(status.body.value(QLatin1String("certExpiry")).toString(), Qt::ISODate),
             second.expiryDate());
    QCOMPARE(edge.stop(), 0);
}

QTEST_GUILESS_MAIN(TestEdgeRotationE2e)
#include "tst_edge_rotation_e2e.moc"
