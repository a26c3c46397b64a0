#include "shared/config.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge;

namespace {

ConfigSchema testSchema()
{
    ConfigKey port{QStringLiteral("websocket/port"), ConfigKey::Int, 10000,
                   QStringLiteral("Edge WebSocket port; 0 picks a free port."),
                   QStringLiteral("websocket-port")};
    port.min = 0;
    port.max = 65535;
    ConfigKey dataDir{QStringLiteral("general/data_dir"), ConfigKey::Path, QStringLiteral("/var/lib/qedge"),
                      QStringLiteral("Where state lives."), QStringLiteral("data-dir")};
    ConfigKey verbose{QStringLiteral("general/verbose"), ConfigKey::Bool, false,
                      QStringLiteral("Say more."), QStringLiteral("verbose")};
    ConfigKey ratio{QStringLiteral("limits/ratio"), ConfigKey::Double, 0.25,
                    QStringLiteral("A fraction."), QStringLiteral("ratio")};
    ConfigKey peers{QStringLiteral("hub/peers"), ConfigKey::StringList,
                    QStringList{QStringLiteral("alpha"), QStringLiteral("beta")},
                    QStringLiteral("Peers to talk to,\nover two lines."), QStringLiteral("peer")};
    ConfigKey label{QStringLiteral("hub/name"), ConfigKey::String, QStringLiteral("hub one"),
                    QStringLiteral("Shown to people."), QString(), QStringLiteral("QEDGE_HUB_LABEL")};
    ConfigKey nasty{QStringLiteral("hub/motto"), ConfigKey::String,
                    QStringLiteral("@home, a;b # \"quoted\" C:\\dir\\ "),
                    QStringLiteral("A value INI must quote.")};
    ConfigKey single{QStringLiteral("hub/tags"), ConfigKey::StringList, QStringList{QStringLiteral("one")},
                     QStringLiteral("One tag.")};
    ConfigKey none{QStringLiteral("hub/empty"), ConfigKey::StringList, QStringList(),
                   QStringLiteral("No items.")};
    return ConfigSchema(QStringLiteral("testhub"), {port, dataDir, verbose, ratio, peers, label, nasty, single, none});
}

QString writeFile(const QTemporaryDir &dir, const QByteArray &text)
{
    const QString path = dir.filePath(QStringLiteral("test.conf"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QString();
    f.write(text);
    return path;
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void defaults();
    void fileOverridesDefault();
    void generalSectionAnyCase_data();
    void generalSectionAnyCase();
    void envOverridesFile();
    void flagOverridesEnv();
    void listsFromEveryOrigin();
    void badValues_data();
    void badValues();
    void boolSpellings_data();
    void boolSpellings();
    void explicitMissingFileFails();
    void implicitMissingFileGivesDefaults();
    void unknownKeyWarns();
    void defaultTextReadsBackAsDefaults();
    void envVarDerivation_data();
    void envVarDerivation();
    void setTypeChecks();

private:
    QTemporaryDir m_dir;
};

void TestConfig::init()
{
    QVERIFY(m_dir.isValid());
    QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
}

void TestConfig::defaults()
{
    const Result<Config> c = Config::load(testSchema(), QString(), false, nullptr, QProcessEnvironment());
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->integer(QStringLiteral("websocket/port")), 10000);
    QCOMPARE(c->string(QStringLiteral("general/data_dir")), QStringLiteral("/var/lib/qedge"));
    QCOMPARE(c->boolean(QStringLiteral("general/verbose")), false);
    QCOMPARE(c->number(QStringLiteral("limits/ratio")), 0.25);
    QCOMPARE(c->list(QStringLiteral("hub/peers")), (QStringList{QStringLiteral("alpha"), QStringLiteral("beta")}));
    QCOMPARE(c->sourceOf(QStringLiteral("websocket/port")), QStringLiteral("default"));
    QVERIFY(c->file().isEmpty());
}

void TestConfig::fileOverridesDefault()
{
    const QString path = writeFile(m_dir, "[websocket]\nport=12000\n[general]\ndata_dir=/srv/qedge/\nverbose=yes\n"
                                          "[hub]\npeers=x, y , z\n");
    const Result<Config> c = Config::load(testSchema(), path, true, nullptr, QProcessEnvironment());
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->integer(QStringLiteral("websocket/port")), 12000);
    QCOMPARE(c->string(QStringLiteral("general/data_dir")), QStringLiteral("/srv/qedge"));
    QCOMPARE(c->boolean(QStringLiteral("general/verbose")), true);
    QCOMPARE(c->list(QStringLiteral("hub/peers")),
             (QStringList{QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")}));
    QCOMPARE(c->sourceOf(QStringLiteral("websocket/port")), path);
    QCOMPARE(c->sourceOf(QStringLiteral("limits/ratio")), QStringLiteral("default"));
    QCOMPARE(c->file(), path);
}

void TestConfig::generalSectionAnyCase_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("lower") << QByteArray("[general]\ndata_dir=/a\n");
    QTest::newRow("upper") << QByteArray("[General]\ndata_dir=/a\n");
    QTest::newRow("no section") << QByteArray("data_dir=/a\n");
}

void TestConfig::generalSectionAnyCase()
{
    QFETCH(QByteArray, text);
    const Result<Config> c = Config::load(testSchema(), writeFile(m_dir, text), true, nullptr, QProcessEnvironment());
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->string(QStringLiteral("general/data_dir")), QStringLiteral("/a"));
    QVERIFY(c->warnings().isEmpty());
}

void TestConfig::envOverridesFile()
{
    const QString path = writeFile(m_dir, "[websocket]\nport=12000\n[hub]\nname=from file\n");
    QProcessEnvironment env;
    env.insert(QStringLiteral("QEDGE_WEBSOCKET_PORT"), QStringLiteral("13000"));
    env.insert(QStringLiteral("QEDGE_HUB_LABEL"), QStringLiteral("from env"));
    env.insert(QStringLiteral("QEDGE_GENERAL_VERBOSE"), QString()); // empty: ignored
    const Result<Config> c = Config::load(testSchema(), path, true, nullptr, env);
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->integer(QStringLiteral("websocket/port")), 13000);
    QCOMPARE(c->sourceOf(QStringLiteral("websocket/port")), QStringLiteral("env QEDGE_WEBSOCKET_PORT"));
    QCOMPARE(c->string(QStringLiteral("hub/name")), QStringLiteral("from env"));
    QCOMPARE(c->sourceOf(QStringLiteral("hub/name")), QStringLiteral("env QEDGE_HUB_LABEL"));
    QCOMPARE(c->sourceOf(QStringLiteral("general/verbose")), QStringLiteral("default"));
}

void TestConfig::flagOverridesEnv()
{
    const ConfigSchema schema = testSchema();
    const QString path = writeFile(m_dir, "[websocket]\nport=12000\n");
    QProcessEnvironment env;
    env.insert(QStringLiteral("QEDGE_WEBSOCKET_PORT"), QStringLiteral("13000"));
    env.insert(QStringLiteral("QEDGE_GENERAL_DATA_DIR"), QStringLiteral("/env/dir"));
    QCommandLineParser parser;
    schema.addOptionsTo(parser);
    QVERIFY(parser.parse({QStringLiteral("testhub"), QStringLiteral("--websocket-port"), QStringLiteral("14000")}));
    const Result<Config> c = Config::load(schema, path, true, &parser, env);
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->integer(QStringLiteral("websocket/port")), 14000);
    QCOMPARE(c->sourceOf(QStringLiteral("websocket/port")), QStringLiteral("flag --websocket-port"));
    QCOMPARE(c->string(QStringLiteral("general/data_dir")), QStringLiteral("/env/dir"));
}

void TestConfig::listsFromEveryOrigin()
{
    const ConfigSchema schema = testSchema();
    QProcessEnvironment env;
    env.insert(QStringLiteral("QEDGE_HUB_TAGS"), QStringLiteral(" p, q,,r "));
    QCommandLineParser parser;
    schema.addOptionsTo(parser);
    QVERIFY(parser.parse({QStringLiteral("testhub"), QStringLiteral("--peer"), QStringLiteral("a"),
                          QStringLiteral("--peer=b,c")}));
    const QString path = writeFile(m_dir, "[hub]\nempty=\"x,y\", z\n");
    const Result<Config> c = Config::load(schema, path, true, &parser, env);
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->list(QStringLiteral("hub/peers")),
             (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));
    QCOMPARE(c->list(QStringLiteral("hub/tags")),
             (QStringList{QStringLiteral("p"), QStringLiteral("q"), QStringLiteral("r")}));
    // An INI list keeps a quoted item whole.
    QCOMPARE(c->list(QStringLiteral("hub/empty")), (QStringList{QStringLiteral("x,y"), QStringLiteral("z")}));
}

void TestConfig::badValues_data()
{
    QTest::addColumn<QString>("origin"); // file, env or flag
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected"); // after "<origin>: "

    const QString port = QStringLiteral("websocket/port");
    QTest::newRow("file int") << "file" << port << "abc"
                              << "websocket/port: expected an integer 0..65535, got \"abc\"";
    QTest::newRow("file range") << "file" << port << "70000"
                                << "websocket/port: expected an integer 0..65535, got \"70000\"";
    QTest::newRow("file bool") << "file" << "general/verbose" << "maybe"
                               << "general/verbose: expected a boolean (true/false, yes/no, on/off, 1/0), got \"maybe\"";
    QTest::newRow("file double") << "file" << "limits/ratio" << "inf"
                                 << "limits/ratio: expected a number, got \"inf\"";
    QTest::newRow("env range") << "env" << port << "-1"
                               << "websocket/port: expected an integer 0..65535, got \"-1\"";
    QTest::newRow("env bool") << "env" << "general/verbose" << "2"
                              << "general/verbose: expected a boolean (true/false, yes/no, on/off, 1/0), got \"2\"";
    QTest::newRow("flag int") << "flag" << port << "12ab"
                              << "websocket/port: expected an integer 0..65535, got \"12ab\"";
}

void TestConfig::badValues()
{
    QFETCH(QString, origin);
    QFETCH(QString, key);
    QFETCH(QString, text);
    QFETCH(QString, expected);

    const ConfigSchema schema = testSchema();
    const ConfigKey *k = schema.find(key);
    QVERIFY(k);
    QString file;
    QProcessEnvironment env;
    QCommandLineParser parser;
    schema.addOptionsTo(parser);
    QString prefix;
    if (origin == QLatin1String("file")) {
        const qsizetype slash = key.indexOf(QLatin1Char('/'));
        file = writeFile(m_dir, QStringLiteral("[%1]\n%2=%3\n").arg(key.left(slash), key.mid(slash + 1), text).toUtf8());
        prefix = file;
    } else if (origin == QLatin1String("env")) {
        env.insert(k->envVar(), text);
        prefix = QLatin1String("env ") + k->envVar();
    } else {
        QVERIFY(parser.parse({QStringLiteral("testhub"), QLatin1String("--") + k->flag, text}));
        prefix = QLatin1String("flag --") + k->flag;
    }
    if (origin != QLatin1String("flag"))
        QVERIFY(parser.parse({QStringLiteral("testhub")}));
    const Result<Config> c = Config::load(schema, file, !file.isEmpty(), &parser, env);
    QVERIFY(!c.ok());
    QCOMPARE(c.errorMessage(), prefix + QLatin1String(": ") + expected);
    QCOMPARE(c.error().code, QStringLiteral("config-invalid"));
}

void TestConfig::boolSpellings_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("expected");
    for (const char *t : {"true", "TRUE", "yes", "on", "1", " Yes "})
        QTest::newRow(t) << QString::fromLatin1(t) << true;
    for (const char *f : {"false", "no", "off", "0", "Off"})
        QTest::newRow(f) << QString::fromLatin1(f) << false;
}

void TestConfig::boolSpellings()
{
    QFETCH(QString, text);
    QFETCH(bool, expected);
    QProcessEnvironment env;
    env.insert(QStringLiteral("QEDGE_GENERAL_VERBOSE"), text);
    const Result<Config> fromEnv = Config::load(testSchema(), QString(), false, nullptr, env);
    QVERIFY2(fromEnv.ok(), qPrintable(fromEnv.errorMessage()));
    QCOMPARE(fromEnv->boolean(QStringLiteral("general/verbose")), expected);

    const QString path = writeFile(m_dir, QStringLiteral("[general]\nverbose=%1\n").arg(text).toUtf8());
    const Result<Config> fromFile = Config::load(testSchema(), path, true, nullptr, QProcessEnvironment());
    QVERIFY2(fromFile.ok(), qPrintable(fromFile.errorMessage()));
    QCOMPARE(fromFile->boolean(QStringLiteral("general/verbose")), expected);
}

void TestConfig::explicitMissingFileFails()
{
    const QString path = m_dir.filePath(QStringLiteral("nope.conf"));
    const Result<Config> c = Config::load(testSchema(), path, true, nullptr, QProcessEnvironment());
    QVERIFY(!c.ok());
    QCOMPARE(c.errorMessage(), path + QStringLiteral(": config file does not exist"));

    const Result<Config> dir = Config::load(testSchema(), m_dir.path(), true, nullptr, QProcessEnvironment());
    QVERIFY(!dir.ok());
    QVERIFY2(dir.errorMessage().startsWith(m_dir.path() + QStringLiteral(": cannot read")), qPrintable(dir.errorMessage()));
}

void TestConfig::implicitMissingFileGivesDefaults()
{
    const QString path = m_dir.filePath(QStringLiteral("nope.conf"));
    const Result<Config> c = Config::load(testSchema(), path, false, nullptr, QProcessEnvironment());
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->integer(QStringLiteral("websocket/port")), 10000);
    QVERIFY(c->file().isEmpty());
}

void TestConfig::unknownKeyWarns()
{
    const QString path = writeFile(m_dir, "[websocket]\nprot=1\nport=1\n[general]\nstray=2\n");
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("unknown key \"websocket/prot\"")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("unknown key \"general/stray\"")));
    const Result<Config> c = Config::load(testSchema(), path, true, nullptr, QProcessEnvironment());
    QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
    QCOMPARE(c->integer(QStringLiteral("websocket/port")), 1);
    QCOMPARE(c->warnings().size(), 2);
    QVERIFY(c->warnings().constFirst().startsWith(path + QLatin1String(": ")));
}

void TestConfig::defaultTextReadsBackAsDefaults()
{
    const ConfigSchema schema = testSchema();
    const QString text = schema.defaultConfigText();
    for (const ConfigKey &k : schema.keys()) {
        QVERIFY2(text.contains(k.description.split(QLatin1Char('\n')).constLast()), qPrintable(k.key));
        QVERIFY2(text.contains(QLatin1String("env: ") + k.envVar()), qPrintable(k.key));
        if (!k.flag.isEmpty())
            QVERIFY2(text.contains(QLatin1String("flag: --") + k.flag), qPrintable(k.key));
    }
    QVERIFY(text.contains(QStringLiteral("type: an integer 0..65535")));

    const QString path = writeFile(m_dir, text.toUtf8());
    const QSettings settings(path, QSettings::IniFormat);
    QCOMPARE(settings.status(), QSettings::NoError);
    QCOMPARE(settings.allKeys().size(), schema.keys().size());
    QCOMPARE(settings.value(QStringLiteral("websocket/port")).toString(), QStringLiteral("10000"));
    QCOMPARE(settings.value(QStringLiteral("hub/motto")).toString(),
             schema.find(QStringLiteral("hub/motto"))->defaultValue.toString());

    const Result<Config> fromText = Config::load(schema, path, true, nullptr, QProcessEnvironment());
    QVERIFY2(fromText.ok(), qPrintable(fromText.errorMessage()));
    QVERIFY(fromText->warnings().isEmpty());
    const Result<Config> defaults = Config::load(schema, QString(), false, nullptr, QProcessEnvironment());
    for (const ConfigKey &k : schema.keys()) {
        QCOMPARE(fromText->sourceOf(k.key), path);
        QCOMPARE(fromText->value(k.key), defaults->value(k.key));
    }
}

void TestConfig::envVarDerivation_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("env");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << "websocket/port" << "" << "QEDGE_WEBSOCKET_PORT";
    QTest::newRow("underscore") << "general/data_dir" << "" << "QEDGE_GENERAL_DATA_DIR";
    QTest::newRow("punctuation") << "tls.v2/ca-file" << "" << "QEDGE_TLS_V2_CA_FILE";
    QTest::newRow("explicit") << "hub/name" << "QEDGE_HUB_LABEL" << "QEDGE_HUB_LABEL";
}

void TestConfig::envVarDerivation()
{
    QFETCH(QString, key);
    QFETCH(QString, env);
    QFETCH(QString, expected);
    ConfigKey k;
    k.key = key;
    k.env = env;
    QCOMPARE(k.envVar(), expected);
}

void TestConfig::setTypeChecks()
{
    Result<Config> c = Config::load(testSchema(), QString(), false, nullptr, QProcessEnvironment());
    QVERIFY(c.ok());
    QVERIFY(c->set(QStringLiteral("websocket/port"), QStringLiteral("0")).ok());
    QCOMPARE(c->integer(QStringLiteral("websocket/port")), 0);
    QCOMPARE(c->sourceOf(QStringLiteral("websocket/port")), QStringLiteral("override"));
    QVERIFY(!c->set(QStringLiteral("websocket/port"), 65536).ok());
    QVERIFY(!c->set(QStringLiteral("no/such"), 1).ok());
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
