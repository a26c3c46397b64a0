#include "shared/servicemain.h"

#include <QCoreApplication>
#include <QFile>
#include <QLoggingCategory>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTextStream>

using namespace qedge;

namespace {

ServiceOptions testOptions()
{
    ConfigKey dataDir{QStringLiteral("general/data_dir"), ConfigKey::Path, QStringLiteral("/var/lib/testhub"),
                      QStringLiteral("State directory."), QStringLiteral("data-dir")};
    ConfigKey port{QStringLiteral("websocket/port"), ConfigKey::Int, 10000, QStringLiteral("Edge port."),
                   QStringLiteral("websocket-port")};
    port.min = 0;
    port.max = 65535;
    return ServiceOptions{QStringLiteral("testhub"), QStringLiteral("A hub for tests."),
                          ConfigSchema(QStringLiteral("testhub"), {dataDir, port}), QString()};
}

// Child mode: the real front door, writing to the real stdout and stderr.
int childMain(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    args.removeAt(1);
    const ServiceStart start = parseServiceCommandLine(testOptions(), args);
    if (start.done)
        return start.exitCode;
    std::printf("port %lld\n", start.config.integer(QStringLiteral("websocket/port")));
    return 0;
}

struct Run
{
    ServiceStart start;
    QString out;
    QString err;
};

} // namespace

class TestServiceMain : public QObject
{
    Q_OBJECT
private slots:
    void scalableDispatcherLeavesAChoiceAlone();
    void initTestCase();
    void cleanup();
    void version();
    void help();
    void printDefaultConfig();
    void errors_data();
    void errors();
    void flagsAndFileReachTheConfig();
    void configFromEnvironment();
    void defaultConfigFileIsOptional();
    void logRules_data();
    void logRules();
    void realProcess_data();
    void realProcess();

private:
    Run run(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment(),
            const ServiceOptions &opts = testOptions());
    QString writeConfig(const QByteArray &text);

    QtMessageHandler m_testHandler = nullptr;
    QTemporaryDir m_dir;
};

void TestServiceMain::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_testHandler = qInstallMessageHandler(nullptr);
    qInstallMessageHandler(m_testHandler);
}

void TestServiceMain::cleanup()
{
    // parseServiceCommandLine installs the service log handler; give QtTest its own back.
    qInstallMessageHandler(m_testHandler);
}

Run TestServiceMain::run(const QStringList &args, const QProcessEnvironment &env, const ServiceOptions &opts)
{
    Run r;
    QTextStream out(&r.out);
    QTextStream err(&r.err);
    r.start = parseServiceCommandLine(opts, QStringList{QStringLiteral("testhub")} + args, env, out, err);
    out.flush();
    err.flush();
    return r;
}

QString TestServiceMain::writeConfig(const QByteArray &text)
{
    const QString path = m_dir.filePath(QStringLiteral("testhub.conf"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QString();
    f.write(text);
    return path;
}

void TestServiceMain::version()
{
    const Run r = run({QStringLiteral("--version")});
    QVERIFY(r.start.done);
    QCOMPARE(r.start.exitCode, 0);
    QCOMPARE(r.out, QStringLiteral("testhub " QEDGE_VERSION "\n"));
    QVERIFY(r.err.isEmpty());
}

void TestServiceMain::help()
{
    const Run r = run({QStringLiteral("--help")});
    QVERIFY(r.start.done);
    QCOMPARE(r.start.exitCode, 0);
    for (const char *option : {"--config <FILE>", "--log-rules <RULES>", "--print-default-config", "--version",
                               "--data-dir <PATH>", "--websocket-port <N>", "A hub for tests."})
        QVERIFY2(r.out.contains(QLatin1String(option)), option);
}

void TestServiceMain::printDefaultConfig()
{
    // The sample must print even when the named config file is broken.
    const QString broken = writeConfig("[websocket]\nport=nope\n");
    const Run r = run({QStringLiteral("--print-default-config"), QStringLiteral("--config"), broken});
    QVERIFY(r.start.done);
    QCOMPARE(r.start.exitCode, 0);
    QCOMPARE(r.out, testOptions().schema.defaultConfigText());
    QVERIFY(r.out.contains(QStringLiteral("\n[websocket]\n")));
    QVERIFY(r.out.contains(QStringLiteral("\nport=10000\n")));
}

void TestServiceMain::errors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("configEnv");
    QTest::addColumn<QString>("expected");
    const QString missing = QDir::tempPath() + QStringLiteral("/qedge-no-such-dir/x.conf");
    QTest::newRow("bad flag value")
        << QStringList{QStringLiteral("--websocket-port"), QStringLiteral("abc")} << QString()
        << "testhub: flag --websocket-port: websocket/port: expected an integer 0..65535, got \"abc\"\n";
    QTest::newRow("out of range")
        << QStringList{QStringLiteral("--websocket-port=65536")} << QString()
        << "testhub: flag --websocket-port: websocket/port: expected an integer 0..65535, got \"65536\"\n";
    QTest::newRow("unknown option") << QStringList{QStringLiteral("--nope")} << QString()
                                    << "testhub: Unknown option 'nope'. (see --help)\n";
    QTest::newRow("missing value") << QStringList{QStringLiteral("--data-dir")} << QString()
                                   << "testhub: Missing value after '--data-dir'. (see --help)\n";
    QTest::newRow("positional") << QStringList{QStringLiteral("stray")} << QString()
                                << "testhub: unexpected argument \"stray\" (see --help)\n";
    QTest::newRow("missing --config") << QStringList{QStringLiteral("--config"), missing} << QString()
                                      << QString(QStringLiteral("testhub: ") + missing + QStringLiteral(": config file does not exist\n"));
    QTest::newRow("missing QEDGE_CONFIG") << QStringList() << missing
                                          << QString(QStringLiteral("testhub: ") + missing + QStringLiteral(": config file does not exist\n"));
}

void TestServiceMain::errors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, configEnv);
    QFETCH(QString, expected);
    QProcessEnvironment env;
    if (!configEnv.isEmpty())
        env.insert(QStringLiteral("QEDGE_CONFIG"), configEnv);
    const Run r = run(args, env);
    QVERIFY(r.start.done);
    QCOMPARE(r.start.exitCode, 2);
    QCOMPARE(r.err, expected);
    QVERIFY(r.out.isEmpty());
}

void TestServiceMain::flagsAndFileReachTheConfig()
{
    const QString path = writeConfig("[general]\ndata_dir=/from/file\n[websocket]\nport=11000\n");
    const Run r = run({QStringLiteral("-c"), path, QStringLiteral("--data-dir"), QStringLiteral("/from/flag")});
    QVERIFY2(!r.start.done, qPrintable(r.err));
    QCOMPARE(r.start.config.string(QStringLiteral("general/data_dir")), QStringLiteral("/from/flag"));
    QCOMPARE(r.start.config.sourceOf(QStringLiteral("general/data_dir")), QStringLiteral("flag --data-dir"));
    QCOMPARE(r.start.config.integer(QStringLiteral("websocket/port")), 11000);
    QCOMPARE(r.start.config.file(), path);
}

void TestServiceMain::configFromEnvironment()
{
    const QString path = writeConfig("[websocket]\nport=11500\n");
    QProcessEnvironment env;
    env.insert(QStringLiteral("QEDGE_CONFIG"), path);
    env.insert(QStringLiteral("QEDGE_GENERAL_DATA_DIR"), QStringLiteral("/from/env"));
    const Run r = run({}, env);
    QVERIFY2(!r.start.done, qPrintable(r.err));
    QCOMPARE(r.start.config.integer(QStringLiteral("websocket/port")), 11500);
    QCOMPARE(r.start.config.string(QStringLiteral("general/data_dir")), QStringLiteral("/from/env"));
}

void TestServiceMain::defaultConfigFileIsOptional()
{
    ServiceOptions opts = testOptions();
    opts.defaultConfigFile = m_dir.filePath(QStringLiteral("absent.conf"));
    const Run absent = run({}, QProcessEnvironment(), opts);
    QVERIFY2(!absent.start.done, qPrintable(absent.err));
    QCOMPARE(absent.start.config.integer(QStringLiteral("websocket/port")), 10000);

    opts.defaultConfigFile = writeConfig("[websocket]\nport=12500\n");
    const Run present = run({}, QProcessEnvironment(), opts);
    QVERIFY2(!present.start.done, qPrintable(present.err));
    QCOMPARE(present.start.config.integer(QStringLiteral("websocket/port")), 12500);
}

void TestServiceMain::logRules_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("envRules");
    QTest::newRow("flag") << QStringList{QStringLiteral("--log-rules"), QStringLiteral("qedge.sm.*.debug=true")}
                          << QString();
    QTest::newRow("env") << QStringList() << QStringLiteral("qedge.sm.*.debug=true");
}

void TestServiceMain::logRules()
{
    QFETCH(QStringList, args);
    QFETCH(QString, envRules);
    QProcessEnvironment env;
    env.insert(QStringLiteral("QEDGE_LOG_RULES"), envRules);
    const Run off = run({}, QProcessEnvironment());
    QVERIFY(!off.start.done);
    QVERIFY(!QLoggingCategory("qedge.sm.x").isDebugEnabled());
    const Run on = run(args, env);
    QVERIFY(!on.start.done);
    QVERIFY(QLoggingCategory("qedge.sm.x").isDebugEnabled());
    QVERIFY(!QLoggingCategory("qedge.other.x").isDebugEnabled());
}

void TestServiceMain::realProcess_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("out");
    QTest::addColumn<QByteArray>("err");
    QTest::newRow("runs") << QStringList{QStringLiteral("--websocket-port"), QStringLiteral("0")} << 0
                          << QByteArray("port 0\n") << QByteArray();
    QTest::newRow("bad value") << QStringList{QStringLiteral("--websocket-port"), QStringLiteral("x")} << 2
                               << QByteArray()
                               << QByteArray("testhub: flag --websocket-port: websocket/port: expected an integer "
                                             "0..65535, got \"x\"\n");
    QTest::newRow("sample") << QStringList{QStringLiteral("--print-default-config")} << 0
                            << testOptions().schema.defaultConfigText().toUtf8() << QByteArray();
}

void TestServiceMain::realProcess()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, out);
    QFETCH(QByteArray, err);
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &name : env.keys()) {
        if (name.startsWith(QLatin1String("QEDGE_")))
            env.remove(name);
    }
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), QStringList{QStringLiteral("--child")} + args);
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::NormalExit);
    QCOMPARE(child.exitCode(), exitCode);
    QCOMPARE(child.readAllStandardOutput(), out);
    QCOMPARE(child.readAllStandardError(), err);
}

void TestServiceMain::scalableDispatcherLeavesAChoiceAlone()
{
    const QByteArray saved = qgetenv("QT_NO_GLIB");
    const bool wasSet = qEnvironmentVariableIsSet("QT_NO_GLIB");
    qunsetenv("QT_NO_GLIB");
    qedge::preferScalableEventDispatcher();
#ifdef Q_OS_UNIX
    QCOMPARE(qgetenv("QT_NO_GLIB"), QByteArray("1"));
#endif
    // Set, even empty (which brings glib back in Qt), is the operator's choice.
    qputenv("QT_NO_GLIB", QByteArray());
    qedge::preferScalableEventDispatcher();
    QVERIFY(qEnvironmentVariableIsSet("QT_NO_GLIB"));
    QCOMPARE(qgetenv("QT_NO_GLIB"), QByteArray());
    if (wasSet)
        qputenv("QT_NO_GLIB", saved);
    else
        qunsetenv("QT_NO_GLIB");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && qstrcmp(argv[1], "--child") == 0)
        return childMain(argc, argv);
    QCoreApplication app(argc, argv);
    TestServiceMain test;
QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_servicemain.moc"
