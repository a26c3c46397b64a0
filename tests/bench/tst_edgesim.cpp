// qedge-edgesim against the real cloudhub: bootstrap through /edge.crt, cache, sessions,
// reports, churn and the JSON summary.
#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace qedge;

class TestEdgeSim : public QObject
{
    Q_OBJECT

    QJsonObject run(const QStringList &args, QString *output)
    {
        QTemporaryDir out;
        const QString json = out.filePath(QStringLiteral("summary.json"));
        QProcess sim;
        sim.setProcessChannelMode(QProcess::MergedChannels);
        sim.start(test::binaryPath(QStringLiteral("qedge-edgesim")),
                  args + QStringList{QStringLiteral("--json"), json});
        if (!sim.waitForFinished(15000))
            sim.kill();
        *output = QString::fromUtf8(sim.readAll());
        QFile f(json);
        if (sim.exitCode() != 0 || !f.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(f.readAll()).object();
    }

private slots:
    void fleetConnectsReportsAndReusesItsCertificates_data()
    {
        QTest::addColumn<int>("nodes");
        QTest::addColumn<double>("churn");
        QTest::newRow("5 nodes") << 5 << 0.0;
        QTest::newRow("20 nodes, churn") << 20 << 4.0;
    }
    void fleetConnectsReportsAndReusesItsCertificates()
    {
        QFETCH(int, nodes);
        QFETCH(double, churn);
        test::HubProcess hub({QStringLiteral("--node-limit"), QStringLiteral("1000")});
        QVERIFY2(hub.start(), qPrintable(hub.output()));
        QTemporaryDir cache;
        const QStringList common{QStringLiteral("--port"),
                                 QString::number(hub.webSocketPort()),
                                 QStringLiteral("--cert-cache"),
                                 cache.path(),
                                 QStringLiteral("--nodes"),
                                 QString::number(nodes),
                                 QStringLiteral("--duration"),
                                 QStringLiteral("3"),
                                 QStringLiteral("--report-rate"),
                                 QStringLiteral("20"),
                                 QStringLiteral("--churn-per-sec"),
                                 QString::number(churn),
                                 QStringLiteral("--reconnect-delay-ms"),
                                 QStringLiteral("100")};
        QString output;
        const QJsonObject first =
            run(common + QStringList{QStringLiteral("--bootstrap-url"), hub.bootstrapUrl().toString(),
                                     QStringLiteral("--token"), hub.joinToken()},
                &output);
        QVERIFY2(!first.isEmpty(), qPrintable(output));
        QVERIFY2(output.contains(QStringLiteral("bootstrapped %1 certificates").arg(nodes)),
                 qPrintable(output));
        QCOMPARE(first.value(QStringLiteral("nodes")).toInt(), nodes);
        QVERIFY(first.value(QStringLiteral("all_connected_seconds")).toDouble() > 0);
        QVERIFY(first.value(QStringLiteral("reports")).toDouble() > 0);
        QCOMPARE(first.value(QStringLiteral("connect_failures")).toDouble(), 0.0);
        QCOMPARE(first.value(QStringLiteral("churned")).toDouble() > 0, churn > 0);
        QCOMPARE(QDir(cache.path()).entryList({QStringLiteral("*.key")}).size(), nodes);

        // The rerun needs no token: every certificate comes from the cache.
        const QJsonObject second = run(common, &output);
        QVERIFY2(!second.isEmpty(), qPrintable(output));
        QVERIFY(!output.contains(QStringLiteral("bootstrapped")));
        QVERIFY(second.value(QStringLiteral("all_connected_seconds")).toDouble() > 0);
        QCOMPARE(hub.stop(), 0);
    }

    // scripts/bench runs the fleet until the hub's queues are drained and then stops it with SIGTERM.
    void terminatedRunStillWritesItsSummary()
    {
        test::HubProcess hub({QStringLiteral("--node-limit"), QStringLiteral("1000")});
        QVERIFY2(hub.start(), qPrintable(hub.output()));
        QTemporaryDir out;
        const QString json = out.filePath(QStringLiteral("summary.json"));
        QProcess sim;
        sim.setProcessChannelMode(QProcess::MergedChannels);
        sim.start(test::binaryPath(QStringLiteral("qedge-edgesim")),
                  {QStringLiteral("--port"), QString::number(hub.webSocketPort()),
                   QStringLiteral("--bootstrap-url"), hub.bootstrapUrl().toString(),
                   QStringLiteral("--token"), hub.joinToken(), QStringLiteral("--nodes"), QStringLiteral("3"),
                   QStringLiteral("--duration"), QStringLiteral("0"), QStringLiteral("--json"), json});
        QByteArray output;
        QTRY_VERIFY_WITH_TIMEOUT((output += sim.readAll()).contains("all 3 nodes connected"), 15000);
        sim.terminate();
        QVERIFY(sim.waitForFinished(10000));
        output += sim.readAll();
        QCOMPARE(sim.exitStatus(), QProcess::NormalExit);
        QCOMPARE(sim.exitCode(), 0);
        QFile f(json);
        QVERIFY2(f.open(QIODevice::ReadOnly), output.constData());
        const QJsonObject summary = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(summary.value(QStringLiteral("nodes")).toInt(), 3);
        QCOMPARE(summary.value(QStringLiteral("connected")).toInt(), 3);
        QCOMPARE(hub.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestEdgeSim)
#include "tst_edgesim.moc"
