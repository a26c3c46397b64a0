#include "edgehub/certmanager.h"
#include "edgehub/nodekey.h"
#include "shared/crypto/certauthority.h"
#include "shared/crypto/csr.h"
#include "shared/crypto/pkey.h"

#include "tests/support/testsupport.h"

#include <QCryptographicHash>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge;

class TestCertManager : public QObject
{
    Q_OBJECT
private slots:
    void pinnedJwt_data();
    void pinnedJwt();
    void unreachableHubIsRetriedWithAClearError();
    void nodeKeyRequestNamesTheNode();
    void rotationCountsTheLifetimeFromIssue_data();
    void rotationCountsTheLifetimeFromIssue();
};

void TestCertManager::pinnedJwt_data()
{
    const QByteArray ca = "not really DER, only hashed";
    const QString hash =
        QString::fromLatin1(QCryptographicHash::hash(ca, QCryptographicHash::Sha256).toHex());
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("jwt"); // expected, empty when refused
    QTest::addColumn<QString>("errorCode");
    QTest::newRow("good") << hash + QStringLiteral(".aa.bb.cc") << QStringLiteral("aa.bb.cc") << QString();
    QTest::newRow("upper-case hash, whitespace")
        << QStringLiteral(" ") + hash.toUpper() + QStringLiteral(".aa.bb.cc\n") << QStringLiteral("aa.bb.cc")
        << QString();
    QTest::newRow("other CA") << QString(64, u'0') + QStringLiteral(".aa.bb.cc") << QString()
                              << QStringLiteral("cert.pin");
    QTest::newRow("three parts") << hash + QStringLiteral(".aa.bb") << QString()
                                 << QStringLiteral("cert.token");
    QTest::newRow("empty") << QString() << QString() << QStringLiteral("cert.token");
}

void TestCertManager::pinnedJwt()
{
    QFETCH(QString, token);
    QFETCH(QString, jwt);
    QFETCH(QString, errorCode);
    const auto r = CertManager::pinnedJwt(token, "not really DER, only hashed");
    if (errorCode.isEmpty()) {
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r.value(), jwt);
    } else {
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, errorCode);
        QVERIFY(!r.errorMessage().isEmpty());
    }
}

void TestCertManager::unreachableHubIsRetriedWithAClearError()
{
    QTemporaryDir dir;
    CertManager::Settings s;
    s.certDir = dir.filePath(QStringLiteral("certs"));
    s.nodeId = QStringLiteral("n1");
    s.certServer = QUrl(QStringLiteral("https://127.0.0.1:%1").arg(test::freePort()));
    s.token = QStringLiteral("x.a.b.c");
    s.retryBaseMs = 20;
    s.retryCapMs = 40;
    bool factoryCalled = false;
    CertManager cm(s, [&](const QString &, const QStringList &) {
        factoryCalled = true;
        return Result<CertManager::KeyRequest>::failure(QStringLiteral("x"), QStringLiteral("x"));
    });
    const QRegularExpression line(
        QStringLiteral("^certificate bootstrap failed: cannot get the CA from https://127.0.0.1:\\d+/ca.crt: "
                       ".+ - retrying in [0-9.]+ s$"));
    static QStringList seen;
    seen.clear();
    const QtMessageHandler previous =
        qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &, const QString &msg) {
            if (type == QtWarningMsg)
                seen.append(msg);
        });
    cm.start();
    const bool retried = QTest::qWaitFor([] { return seen.size() >= 3; }, 5000);
    qInstallMessageHandler(previous);
    QVERIFY(retried);
    for (const QString &msg : std::as_const(seen))
        QVERIFY2(line.match(msg).hasMatch(), qPrintable(msg));
    QVERIFY(!cm.hasCertificate());
    QVERIFY(!factoryCalled);
}

void TestCertManager::nodeKeyRequestNamesTheNode()
{
    const auto kr = makeNodeKeyRequest(CertManager::commonNameFor(QStringLiteral("edge-1")),
                                       {QStringLiteral("system:nodes")});
    QVERIFY2(kr.ok(), qPrintable(kr.errorMessage()));
    const auto info = crypto::parseAndVerifyCsrDer(kr.value().csrDer);
    QVERIFY2(info.ok(), qPrintable(info.errorMessage()));
    QCOMPARE(info.value().commonName, QStringLiteral("system:node:edge-1"));
    QCOMPARE(info.value().organizations, QStringList{QStringLiteral("system:nodes")});
    const auto key = crypto::PrivateKey::fromPem(kr.value().keyPem);
    QVERIFY(key.ok());
    QVERIFY(key.value().isEc());
    QCOMPARE(key.value().publicKeyDer(), info.value().publicKeyDer);
    // A fresh key every time: a rotation never reuses the old one.
    const auto again = makeNodeKeyRequest(QStringLiteral("x"), {});
    QVERIFY(again.ok());
    QVERIFY(again.value().keyPem != kr.value().keyPem);
}

void TestCertManager::rotationCountsTheLifetimeFromIssue_data()
{
    QTest::addColumn<qint64>("lifetimeSecs");
    QTest::addColumn<bool>("knowIssue");
    QTest::addColumn<double>("fraction");
    QTest::addColumn<qint64>("expectedSecs"); // from issue, approximately
    // The hub backdates notBefore by a minute: counted from notBefore a 20 s certificate is at once due.
    QTest::newRow("20 s, issue known, 70 %") << qint64(20) << true << 0.7 << qint64(14);
    QTest::newRow("20 s, issue known, 90 %") << qint64(20) << true << 0.9 << qint64(18);
    QTest::newRow("20 s, from notBefore") << qint64(20) << false << 0.7 << qint64(0);
    QTest::newRow("1 day, issue known") << qint64(86400) << true << 0.8 << qint64(69120);
}

void TestCertManager::rotationCountsTheLifetimeFromIssue()
{
    QFETCH(qint64, lifetimeSecs);
    QFETCH(bool, knowIssue);
    QFETCH(double, fraction);
    QFETCH(qint64, expectedSecs);
    auto ca = crypto::CertAuthority::create();
    QVERIFY2(ca.ok(), qPrintable(ca.errorMessage()));
    const auto kr = makeNodeKeyRequest(QStringLiteral("system:node:n"), {QStringLiteral("system:nodes")});
    QVERIFY(kr.ok());
    const QDateTime issued = QDateTime::currentDateTimeUtc();
    auto cert = ca.value().signCsr(kr.value().csrDer, lifetimeSecs);
    QVERIFY2(cert.ok(), qPrintable(cert.errorMessage()));
    const QSslCertificate qc = cert.value().toQSslCertificate();
    QVERIFY(qc.effectiveDate() < issued.addSecs(-30)); // the backdating this guards against
    const qint64 ms = CertManager::rotationDelayMs(qc, fraction, issued, knowIssue ? issued : QDateTime());
    // Certificate times have whole seconds: allow 2 s.
    QVERIFY2(qAbs(ms - expectedSecs * 1000) <= 2000, qPrintable(QString::number(ms)));
}

QTEST_GUILESS_MAIN(TestCertManager)
#include "tst_certmanager.moc"
