#include "tests/support/mosquittofixture.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>

using namespace qedge;

class TestMosquittoFixture : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void startAcceptsTcp();
    void retainedMessageSurvivesRestart();
    void stopClosesPort();

private:
    static bool connects(quint16 port);
    // Runs a mosquitto client tool to completion; returns its stdout, or fails the test.
    QByteArray runClient(const QString &tool, const QStringList &args);

    test::MosquittoFixture m_broker;
};

void TestMosquittoFixture::init()
{
    if (!m_broker.available())
        QSKIP(qPrintable(m_broker.unavailableReason()));
}

bool TestMosquittoFixture::connects(quint16 port)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    return s.waitForConnected(2000);
}

QByteArray TestMosquittoFixture::runClient(const QString &tool, const QStringList &args)
{
    const QString exe = QStandardPaths::findExecutable(tool);
    if (exe.isEmpty()) {
        QTest::qFail(qPrintable(tool + QStringLiteral(" not found (package mosquitto-clients)")), __FILE__,
                     __LINE__);
        return {};
    }
    QProcess p;
    p.start(exe, args);
    if (!p.waitForFinished(15000) || p.exitCode() != 0) {
        p.kill();
        QTest::qFail(
            qPrintable(QStringLiteral("%1 %2 failed: %3")
                           .arg(tool, args.join(u' '), QString::fromLocal8Bit(p.readAllStandardError()))),
            __FILE__, __LINE__);
        return {};
    }
    return p.readAllStandardOutput();
}

void TestMosquittoFixture::startAcceptsTcp()
{
    const Status s = m_broker.start();
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QVERIFY(m_broker.port() != 0);
    QVERIFY(m_broker.isRunning());
    QVERIFY(connects(m_broker.port()));
}

void TestMosquittoFixture::retainedMessageSurvivesRestart()
{
    QVERIFY2(m_broker.start(), qPrintable(QString::fromLocal8Bit(m_broker.output())));
    const QString port = QString::number(m_broker.port());
    // Retained + QoS 1: the subscriber needs no race with the publisher, and persistence keeps it.
    runClient(QStringLiteral("mosquitto_pub"),
              {QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), port,
               QStringLiteral("-q"), QStringLiteral("1"), QStringLiteral("-r"), QStringLiteral("-t"),
               QStringLiteral("qedge/test"), QStringLiteral("-m"), QStringLiteral("hello-1")});
    const QStringList sub = {
        QStringLiteral("-h"), QStringLiteral("127.0.0.1"),  QStringLiteral("-p"), port,
        QStringLiteral("-t"), QStringLiteral("qedge/test"), QStringLiteral("-C"), QStringLiteral("1"),
        QStringLiteral("-W"), QStringLiteral("10")};
    QCOMPARE(runClient(QStringLiteral("mosquitto_sub"), sub).trimmed(), QByteArray("hello-1"));

    const quint16 before = m_broker.port();
    const Status s = m_broker.restart();
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(m_broker.port(), before);
    QVERIFY(connects(m_broker.port()));
    QCOMPARE(runClient(QStringLiteral("mosquitto_sub"), sub).trimmed(), QByteArray("hello-1"));
}

void TestMosquittoFixture::stopClosesPort()
{
    QVERIFY(m_broker.start());
    const quint16 port = m_broker.port();
    QVERIFY(connects(port));
    m_broker.stop();
    QVERIFY(!m_broker.isRunning());
    QVERIFY(!connects(port));
}

QTEST_GUILESS_MAIN(TestMosquittoFixture)
#include "tst_mosquittofixture.moc"
