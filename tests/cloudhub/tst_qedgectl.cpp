// The real qedgectl against the real cloudhub: output formats, settings sources, exit codes.
#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace qedge;
using namespace qedge::test;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

QString qedgectl()
{
    return QStringLiteral(QEDGE_BINARY_DIR "/qedgectl/qedgectl");
}

const QByteArray ConfigMapJson = R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app"},"data":{"a":"1"}})";

} // namespace

class TestQedgectl : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void applyGetDeleteRoundTrip();
    void nodesTableIsAligned();
    void jsonOutput();
    void applyFromStdinToSeveralNodes();
    void queueAndToken();
    void settingsSources();
    void errors_data();
    void errors();
    void eventsFollow();

private:
    Run run(const QStringList &args, const QByteArray &stdinData = {}, QProcessEnvironment env = {});
    QProcessEnvironment baseEnv() const;

    std::unique_ptr<HubProcess> m_hub;
    QTemporaryDir m_tmp;
};

void TestQedgectl::initTestCase()
{
    m_hub = std::make_unique<HubProcess>();
    QVERIFY2(m_hub->start(), qPrintable(m_hub->output()));
    QVERIFY(QFileInfo(qedgectl()).isExecutable());
    QFile f(m_tmp.filePath(QStringLiteral("cm.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(ConfigMapJson);
}

void TestQedgectl::cleanupTestCase()
{
    if (m_hub)
        QCOMPARE(m_hub->stop(), 0);
}

QProcessEnvironment TestQedgectl::baseEnv() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *k : {"QEDGECTL_HUB", "QEDGECTL_TOKEN", "QEDGECTL_TOKEN_FILE", "QEDGECTL_CACERT"})
        env.remove(QLatin1String(k));
    // No user config file leaks in.
    env.insert(QStringLiteral("QEDGECTL_CONFIG"), m_tmp.filePath(QStringLiteral("absent.conf")));
    env.insert(QStringLiteral("QEDGECTL_HUB"), m_hub->adminUrl().toString());
    env.insert(QStringLiteral("QEDGECTL_TOKEN_FILE"), m_hub->dataDir() + QStringLiteral("/admin.token"));
    env.insert(QStringLiteral("QEDGECTL_CACERT"), m_hub->dataDir() + QStringLiteral("/pki/ca.crt"));
    return env;
}

Run TestQedgectl::run(const QStringList &args, const QByteArray &stdinData, QProcessEnvironment env)
{
    QProcess p;
    p.setProcessEnvironment(env.isEmpty() ? baseEnv() : env);
    p.start(qedgectl(), args);
    if (!p.waitForStarted(5000))
        return {};
    if (!stdinData.isEmpty())
        p.write(stdinData);
    p.closeWriteChannel();
    if (!p.waitForFinished(15000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    Run r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

void TestQedgectl::applyGetDeleteRoundTrip()
{
    const Run apply = run({QStringLiteral("apply"), QStringLiteral("-f"), m_tmp.filePath(QStringLiteral("cm.json")),
                           QStringLiteral("--node"), QStringLiteral("ctl-1")});
    QCOMPARE(apply.exitCode, 0);
    QVERIFY2(apply.out.startsWith(QStringLiteral("configmap default/app created (resourceVersion ")), qPrintable(apply.out));
    QCOMPARE(apply.err, QString());
    const Run again = run({QStringLiteral("apply"), QStringLiteral("-f"), m_tmp.filePath(QStringLiteral("cm.json")),
                           QStringLiteral("--node"), QStringLiteral("ctl-1")});
    QVERIFY2(again.out.contains(QStringLiteral(" updated ")), qPrintable(again.out));

    const Run list = run({QStringLiteral("get"), QStringLiteral("ctl-1"), QStringLiteral("configmap")});
    QCOMPARE(list.exitCode, 0);
    const QStringList lines = list.out.split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines.at(0).startsWith(QStringLiteral("NAMESPACE  NAME  KIND")));
    QVERIFY(lines.at(1).startsWith(QStringLiteral("default    app   ConfigMap")));

    const Run one = run({QStringLiteral("get"), QStringLiteral("ctl-1"), QStringLiteral("configmap"), QStringLiteral("default/app")});
    QCOMPARE(one.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(one.out.toUtf8()).object();
    QCOMPARE(o.value(QStringLiteral("data")).toObject().value(QStringLiteral("a")).toString(), QStringLiteral("1"));

    const Run node = run({QStringLiteral("get"), QStringLiteral("ctl-1")});
    QCOMPARE(node.exitCode, 0);
    QVERIFY(node.out.contains(QStringLiteral("queueDepth     1")));

    const Run del = run({QStringLiteral("delete"), QStringLiteral("ctl-1"), QStringLiteral("default/configmap/app")});
    QCOMPARE(del.exitCode, 0);
    QVERIFY(del.out.startsWith(QStringLiteral("deleted default/configmap/app from ctl-1 (resourceVersion ")));
    const Run gone = run({QStringLiteral("get"), QStringLiteral("ctl-1"), QStringLiteral("configmap"), QStringLiteral("default/app")});
    QCOMPARE(gone.exitCode, 1);
}

void TestQedgectl::nodesTableIsAligned()
{
    // Names of different lengths so the columns must pad.
    for (const QString &n : {QStringLiteral("a"), QStringLiteral("a-much-longer-node-name")})
        QCOMPARE(run({QStringLiteral("apply"), QStringLiteral("-f"), m_tmp.filePath(QStringLiteral("cm.json")), QStringLiteral("--node"), n}).exitCode, 0);
    const Run r = run({QStringLiteral("nodes")});
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = r.out.split(u'\n', Qt::SkipEmptyParts);
    QVERIFY(lines.size() >= 3);
    QVERIFY(lines.at(0).startsWith(QStringLiteral("NODE")));
    // Every column starts at the same offset on every line.
    const qsizetype status = lines.at(0).indexOf(QStringLiteral("STATUS"));
    const qsizetype queue = lines.at(0).indexOf(QStringLiteral("QUEUE"));
    QVERIFY(status > QStringLiteral("a-much-longer-node-name").size());
    for (const QString &l : lines.mid(1)) {
        QVERIFY2(l.mid(status).startsWith(QStringLiteral("offline")) || l.mid(status).startsWith(QStringLiteral("online")), qPrintable(l));
        QVERIFY2(l.at(status - 1) == u' ' && l.at(queue - 1) == u' ' && l.at(queue) != u' ', qPrintable(l));
    }
}

void TestQedgectl::jsonOutput()
{
    const Run r = run({QStringLiteral("nodes"), QStringLiteral("-o"), QStringLiteral("json")});
    QCOMPARE(r.exitCode, 0);
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &err);
    QCOMPARE(err.error, QJsonParseError::NoError);
    const QJsonArray nodes = doc.object().value(QStringLiteral("nodes")).toArray();
    QVERIFY(!nodes.isEmpty());
    QVERIFY(nodes.at(0).toObject().contains(QStringLiteral("queueDepth")));
    const Run q = run({QStringLiteral("queue"), QStringLiteral("a"), QStringLiteral("-o"), QStringLiteral("json")});
    QCOMPARE(q.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(q.out.toUtf8()).object().value(QStringLiteral("depth")).toInt(), 1);
}

void TestQedgectl::applyFromStdinToSeveralNodes()
{
    const QByteArray list = R"({"kind":"List","items":[{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1","namespace":"kube-system"}},)"
                            R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c1"}}]})";
    const Run r = run({QStringLiteral("apply"), QStringLiteral("-f"), QStringLiteral("-"), QStringLiteral("--node"), QStringLiteral("multi-1,multi-2")}, list);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.split(u'\n', Qt::SkipEmptyParts).size(), 2);
    QVERIFY(r.out.contains(QStringLiteral("secret kube-system/s1 created")));
    for (const QString &n : {QStringLiteral("multi-1"), QStringLiteral("multi-2")}) {
        const Run g = run({QStringLiteral("get"), n, QStringLiteral("secret"), QStringLiteral("kube-system/s1")});
        QCOMPARE(g.exitCode, 0);
    }
}

void TestQedgectl::queueAndToken()
{
    const Run q = run({QStringLiteral("queue"), QStringLiteral("multi-1")});
    QCOMPARE(q.exitCode, 0);
    QVERIFY(q.out.startsWith(QStringLiteral("depth 2, in flight 0\n")));
    QVERIFY(q.out.contains(QStringLiteral("kube-system/secret/s1  insert")));
    const Run t = run({QStringLiteral("token"), QStringLiteral("create"), QStringLiteral("--ttl"), QStringLiteral("60"), QStringLiteral("--node"), QStringLiteral("n1")});
    QCOMPARE(t.exitCode, 0);
    QCOMPARE(t.out.trimmed().count(u'.'), 3); // <ca hash>.<jwt header>.<payload>.<signature>
    const Run tj = run({QStringLiteral("token"), QStringLiteral("create"), QStringLiteral("-o"), QStringLiteral("json")});
    QCOMPARE(tj.exitCode, 0);
    QVERIFY(QJsonDocument::fromJson(tj.out.toUtf8()).object().value(QStringLiteral("expiresAt")).isString());
}

void TestQedgectl::settingsSources()
{
    // Config file only.
    const QString conf = m_tmp.filePath(QStringLiteral("qedgectl.conf"));
    {
        QFile f(conf);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("hub=" + m_hub->adminUrl().toString().toUtf8() + "\ntoken_file=" + m_hub->dataDir().toUtf8()
                + "/admin.token\ncacert=" + m_hub->dataDir().toUtf8() + "/pki/ca.crt\n");
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *k : {"QEDGECTL_HUB", "QEDGECTL_TOKEN", "QEDGECTL_TOKEN_FILE", "QEDGECTL_CACERT"})
        env.remove(QLatin1String(k));
    env.insert(QStringLiteral("QEDGECTL_CONFIG"), conf);
    QCOMPARE(run({QStringLiteral("nodes")}, {}, env).exitCode, 0);
    // The environment beats the file...
    env.insert(QStringLiteral("QEDGECTL_TOKEN"), QStringLiteral("0123456789abcdef-not-it"));
    const Run envWins = run({QStringLiteral("nodes")}, {}, env);
    QCOMPARE(envWins.exitCode, 1);
    QVERIFY(envWins.err.contains(QStringLiteral("401")));
    // ...and a flag beats the environment.
    const Run flagWins = run({QStringLiteral("nodes"), QStringLiteral("--token"), QString::fromUtf8(m_hub->adminToken())}, {}, env);
    QCOMPARE(flagWins.exitCode, 0);
}

void TestQedgectl::errors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString missing = QStringLiteral("/nonexistent/file.json");
    QTest::newRow("unknown node") << QStringList{QStringLiteral("get"), QStringLiteral("ghost")} << 1 << "not_found (404)";
    QTest::newRow("unknown object") << QStringList{QStringLiteral("delete"), QStringLiteral("a"), QStringLiteral("default/configmap/none")} << 1 << "not_found (404)";
    QTest::newRow("bad token") << QStringList{QStringLiteral("nodes"), QStringLiteral("--token"), QStringLiteral("0123456789abcdef-wrong")} << 1 << "unauthorized (401)";
    QTest::newRow("unreachable") << QStringList{QStringLiteral("nodes"), QStringLiteral("--hub"), QStringLiteral("https://127.0.0.1:1")} << 3 << "cannot reach the hub";
    QTest::newRow("not a URL") << QStringList{QStringLiteral("nodes"), QStringLiteral("--hub"), QStringLiteral("ftp://x")} << 2 << "not an http(s) URL";
    QTest::newRow("missing file") << QStringList{QStringLiteral("apply"), QStringLiteral("-f"), missing, QStringLiteral("--node"), QStringLiteral("a")} << 2 << "cannot read";
    QTest::newRow("bad token file") << QStringList{QStringLiteral("nodes"), QStringLiteral("--token-file"), missing} << 2 << "cannot read the token file";
    QTest::newRow("file is not JSON") << QStringList{QStringLiteral("apply"), QStringLiteral("-f"), QStringLiteral(QEDGE_SOURCE_DIR "/CMakeLists.txt"), QStringLiteral("--node"), QStringLiteral("a")} << 2 << "not valid JSON";
    QTest::newRow("apply without node") << QStringList{QStringLiteral("apply"), QStringLiteral("-f"), missing} << 2 << "--node";
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frob")} << 2 << "unknown command";
    QTest::newRow("no command") << QStringList{} << 2 << "no command";
    QTest::newRow("bad output") << QStringList{QStringLiteral("nodes"), QStringLiteral("-o"), QStringLiteral("yaml")} << 2 << "table or json";
    QTest::newRow("bad path") << QStringList{QStringLiteral("delete"), QStringLiteral("a"), QStringLiteral("configmap/x")} << 2 << "NAMESPACE/TYPE/NAME";
    QTest::newRow("bad ttl") << QStringList{QStringLiteral("token"), QStringLiteral("create"), QStringLiteral("--ttl"), QStringLiteral("0")} << 2 << "--ttl";
    QTest::newRow("hub refuses object") << QStringList{QStringLiteral("get"), QStringLiteral("bad node")} << 1 << "bad_request (400)";
}

void TestQedgectl::errors()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Run r = run(args);
    QCOMPARE(r.exitCode, exitCode);
    QCOMPARE(r.out, QString());
    QVERIFY2(r.err.startsWith(QStringLiteral("qedgectl: ")), qPrintable(r.err));
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QCOMPARE(r.err.count(u'\n'), 1); // one line
}

void TestQedgectl::eventsFollow()
{
    QProcess follow;
    follow.setProcessEnvironment(baseEnv());
    follow.start(qedgectl(), {QStringLiteral("events"), QStringLiteral("--follow"), QStringLiteral("-o"),
                                                          QStringLiteral("json"), QStringLiteral("--node"), QStringLiteral("ev-1")});
    QVERIFY(follow.waitForStarted());
    QTest::qWait(500); // let it subscribe
    QCOMPARE(run({QStringLiteral("apply"), QStringLiteral("-f"), m_tmp.filePath(QStringLiteral("cm.json")), QStringLiteral("--node"), QStringLiteral("ev-2")}).exitCode, 0);
    QCOMPARE(run({QStringLiteral("apply"), QStringLiteral("-f"), m_tmp.filePath(QStringLiteral("cm.json")), QStringLiteral("--node"), QStringLiteral("ev-1")}).exitCode, 0);
    QByteArray out;
    QTRY_VERIFY((out += follow.readAllStandardOutput()).contains("\n"));
    const QJsonObject e = QJsonDocument::fromJson(out.left(out.indexOf('\n'))).object();
    QCOMPARE(e.value(QStringLiteral("type")).toString(), QStringLiteral("resource.queued"));
    QCOMPARE(e.value(QStringLiteral("node")).toString(), QStringLiteral("ev-1")); // ev-2 filtered out
    follow.terminate();
    QVERIFY(follow.waitForFinished(5000));
}

QTEST_GUILESS_MAIN(TestQedgectl)
#include "tst_qedgectl.moc"
