#include "shared/logging.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

using namespace qedge;

namespace {

Q_LOGGING_CATEGORY(lcChild, "qedge.test.child")

// Child mode: log through the installed handler so the parent can read real stderr lines.
int childMain(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    installLogging(argc > 2 ? QString::fromLocal8Bit(argv[2]) : QString());
    qCDebug(lcChild) << "debug line";
    qCInfo(lcChild).noquote() << "two\nlines";
    qCWarning(lcChild) << "warned";
    return 0;
}

} // namespace

class TestLogging : public QObject
{
    Q_OBJECT
private slots:
    void lineFormat_data();
    void lineFormat();
    void defaultRules();
    void rulesFromArgument();
    void handlerWritesOneLinePerMessage_data();
    void handlerWritesOneLinePerMessage();
};

void TestLogging::lineFormat_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QByteArray>("category");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("expected");
    const QString t = QStringLiteral("2026-11-23T08:00:00.123Z ");
    QTest::newRow("info") << int(QtInfoMsg) << QByteArray("qedge.cloudhub.session") << "text"
                          << t + QStringLiteral("info qedge.cloudhub.session: text");
    QTest::newRow("warning") << int(QtWarningMsg) << QByteArray("qedge.x") << "w"
                             << t + QStringLiteral("warning qedge.x: w");
    QTest::newRow("critical") << int(QtCriticalMsg) << QByteArray("qedge.x") << "c"
                              << t + QStringLiteral("critical qedge.x: c");
    QTest::newRow("debug") << int(QtDebugMsg) << QByteArray("qedge.x") << "d" << t + QStringLiteral("debug qedge.x: d");
    QTest::newRow("no category") << int(QtInfoMsg) << QByteArray() << "m" << t + QStringLiteral("info default: m");
    QTest::newRow("newlines") << int(QtInfoMsg) << QByteArray("qedge.x") << "a\nb\r\n"
                              << t + QStringLiteral("info qedge.x: a\\nb\\r\\n");
}

void TestLogging::lineFormat()
{
    QFETCH(int, type);
    QFETCH(QByteArray, category);
    QFETCH(QString, message);
    QFETCH(QString, expected);
    const QDateTime time(QDate(2026, 11, 23), QTime(8, 0, 0, 123), Qt::UTC);
    QCOMPARE(formatLogLine(QtMsgType(type), category.isNull() ? nullptr : category.constData(), message, time),
             expected);
}

void TestLogging::defaultRules()
{
    const QtMessageHandler testHandler = qInstallMessageHandler(nullptr);
    installLogging(QString());
    qInstallMessageHandler(testHandler);
    const QLoggingCategory ours("qedge.test.rules");
    const QLoggingCategory qts("qt.test.rules");
    QVERIFY(!ours.isDebugEnabled());
    QVERIFY(ours.isInfoEnabled());
    QVERIFY(ours.isWarningEnabled());
    QVERIFY(!qts.isInfoEnabled());
    QVERIFY(qts.isWarningEnabled());
}

void TestLogging::rulesFromArgument()
{
    const QtMessageHandler testHandler = qInstallMessageHandler(nullptr);
    installLogging(QStringLiteral("qedge.test.*.debug=true;qt.test.*.info=true\nqedge.quiet.*.warning=false"));
    qInstallMessageHandler(testHandler);
    QVERIFY(QLoggingCategory("qedge.test.rules").isDebugEnabled());
    QVERIFY(!QLoggingCategory("qedge.other.rules").isDebugEnabled());
    QVERIFY(QLoggingCategory("qt.test.rules").isInfoEnabled());
    QVERIFY(!QLoggingCategory("qedge.quiet.rules").isWarningEnabled());
    installLogging(QString());
    qInstallMessageHandler(testHandler);
}

void TestLogging::handlerWritesOneLinePerMessage_data()
{
    QTest::addColumn<QString>("rules");
    QTest::addColumn<int>("lines");
    QTest::newRow("default") << QString() << 2;
    QTest::newRow("debug on") << QStringLiteral("qedge.test.child.debug=true") << 3;
}

void TestLogging::handlerWritesOneLinePerMessage()
{
    QFETCH(QString, rules);
    QFETCH(int, lines);
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_LOGGING_RULES"));
    env.remove(QStringLiteral("JOURNAL_STREAM"));
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child"), rules});
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitCode(), 0);
    const QStringList out = QString::fromUtf8(child.readAllStandardError()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(out.size(), lines);
    static const QRegularExpression shape(QStringLiteral(
        "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (debug|info|warning) qedge\\.test\\.child: .+$"));
    for (const QString &line : out)
        QVERIFY2(shape.match(line).hasMatch(), qPrintable(line));
    QVERIFY(out.at(lines - 2).endsWith(QStringLiteral(" info qedge.test.child: two\\nlines")));
    QVERIFY(out.at(lines - 1).endsWith(QStringLiteral(" warning qedge.test.child: warned")));
}

int main(int argc, char **argv)
{
    if (argc >= 2 && qstrcmp(argv[1], "--child") == 0)
        return childMain(argc, argv);
    QCoreApplication app(argc, argv);
    TestLogging test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_logging.moc"
