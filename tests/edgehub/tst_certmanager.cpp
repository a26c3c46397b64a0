#include "edgehub/certmanager.h"

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
};

void TestCertManager::pinnedJwt_data()
{
    const QByteArray ca = "not really DER, only hashed";
    const QString hash = QString::fromLatin1(QCryptographicHash::hash(ca, QCryptographicHash::Sha256).toHex());
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("jwt");       // expected, empty when refused
    QTest::addColumn<QString>("errorCode");
    QTest::newRow("good") << hash + QStringLiteral(".aa.bb.cc") << QStringLiteral("aa.bb.cc") << QString();
    QTest::newRow("upper-case hash, whitespace") << QStringLiteral(" ") + hash.toUpper() + QStringLiteral(".aa.bb.cc\n")
                                                 << QStringLiteral("aa.bb.cc") << QString();
    QTest::newRow("other CA") << QString(64, u'0') + QStringLiteral(".aa.bb.cc") << QString() << QStringLiteral("cert.pin");
    QTest::newRow("three parts") << hash + QStringLiteral(".aa.bb") << QString() << QStringLiteral("cert.token");
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
    const QRegularExpression line(QStringLiteral("^certificate bootstrap failed: cannot get the CA from https://127.0.0.1:\\d+/ca.crt: .+ - retrying in [0-9.]+ s$"));
    static QStringList seen;
    seen.clear();
    const QtMessageHandler previous = qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &, const QString &msg) {
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

QTEST_GUILESS_MAIN(TestCertManager)
#include "tst_certmanager.moc"
