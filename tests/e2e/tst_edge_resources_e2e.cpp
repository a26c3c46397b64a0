// Resources end to end with the real binaries: admin API PUT/DELETE on the hub -> edgehub's SQLite,
// local API and watch, acked; the outbox across a hub outage and an edge crash; kill -9 mid-stream.
#include "shared/storage.h"
#include "tests/e2e/edgeprocess.h"
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QSqlQuery>
#include <QTest>
#include <QWebSocket>

using namespace qedge;
using namespace qedge::test;

namespace {
QJsonObject configMap(const QString &name, const QString &value)
{
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                       {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                       {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), name}}},
                       {QStringLiteral("data"), QJsonObject{{QStringLiteral("k"), value}}}};
}

QString rvOf(const QJsonObject &o)
{
    return o.value(QLatin1String("metadata")).toObject().value(QLatin1String("resourceVersion")).toString();
}

/// key -> value of the edge's meta table, read from the file like any SQLite tool would.
QHash<QString, QJsonObject> metaRows(const QString &dataDir)
{
    QHash<QString, QJsonObject> out;
    static int gen = 0;
    auto db = Database::open(dataDir + QStringLiteral("/edge.db"), QStringLiteral("reader%1").arg(++gen));
    if (!db)
        return out;
    QSqlQuery q(db.value()->connection());
    if (!q.exec(QStringLiteral("SELECT key, value FROM meta")))
        return out;
    while (q.next())
        out.insert(q.value(0).toString(), QJsonDocument::fromJson(q.value(1).toByteArray()).object());
    return out;
}
} // namespace

class TestEdgeResourcesE2e : public QObject
{
    Q_OBJECT
private slots:
    void appliedUpdatedDeletedAndAcked();
    void outboxSurvivesHubOutageAndEdgeCrash();
    void killedMidStreamKeepsEverythingAcked();

private:
    static AdminClient admin(HubProcess &hub)
    {
        return AdminClient(hub.adminUrl(), hub.dataDir() + QStringLiteral("/pki/ca.crt"), hub.adminToken());
    }
    static int queueDepth(AdminClient &api, const QString &node)
    {
        return api.get(QStringLiteral("/api/v1/nodes/%1/queue").arg(node))
            .json()
            .value(QLatin1String("depth"))
            .toInt(-1);
    }
};

void TestEdgeResourcesE2e::appliedUpdatedDeletedAndAcked()
{
    HubProcess hub({QStringLiteral("--retry-interval"), QStringLiteral("1")});
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    AdminClient api = admin(hub);
    EdgeProcess edge(QStringLiteral("res-1"));
    QVERIFY2(edge.start(EdgeProcess::joinArgs(hub)), qPrintable(edge.output()));
    QVERIFY(edge.waitForConnected(true));

    QWebSocket watch;
    QList<QJsonObject> events;
    connect(&watch, &QWebSocket::textMessageReceived, this,
            [&events](const QString &t) { events.append(QJsonDocument::fromJson(t.toUtf8()).object()); });
    watch.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/api/v1/watch").arg(edge.apiPort())));
    QTRY_COMPARE(watch.state(), QAbstractSocket::ConnectedState);

    const QString path = QStringLiteral("/api/v1/resources/default/configmap/app");
    const AdminReply put = api.put(QStringLiteral("/api/v1/nodes/res-1/resources/default/configmap/app"),
                                   configMap(QStringLiteral("app"), QStringLiteral("v1")));
    QCOMPARE(put.status, 201);
    const QString rv1 = rvOf(put.json());
    QTRY_COMPARE_WITH_TIMEOUT(rvOf(edge.get(path).body), rv1, 10000);
    const EdgeProcess::Reply got = edge.get(path);
    QCOMPARE(got.body.value(QLatin1String("data")).toObject().value(QLatin1String("k")).toString(),
             QStringLiteral("v1"));
    QCOMPARE(got.body, put.json()); // the object as stored at the hub
    // Committed in the KubeEdge table, then acked: the hub's queue for the node empties.
    QCOMPARE(metaRows(edge.dataDir()).value(QStringLiteral("default/configmap/app")), put.json());
    QTRY_COMPARE_WITH_TIMEOUT(queueDepth(api, QStringLiteral("res-1")), 0, 10000);

    const AdminReply update = api.put(QStringLiteral("/api/v1/nodes/res-1/resources/default/configmap/app"),
                                      configMap(QStringLiteral("app"), QStringLiteral("v2")));
    QCOMPARE(update.status, 200);
    const QString rv2 = rvOf(update.json());
    QVERIFY(rv2 != rv1);
    QTRY_COMPARE_WITH_TIMEOUT(rvOf(edge.get(path).body), rv2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(queueDepth(api, QStringLiteral("res-1")), 0, 10000);

    QVERIFY(api.del(QStringLiteral("/api/v1/nodes/res-1/resources/default/configmap/app")).status / 100 == 2);
    QTRY_COMPARE_WITH_TIMEOUT(edge.get(path).status, 404, 10000);
    QVERIFY(!metaRows(edge.dataDir()).contains(QStringLiteral("default/configmap/app")));
    QTRY_COMPARE_WITH_TIMEOUT(queueDepth(api, QStringLiteral("res-1")), 0, 10000);
    QCOMPARE(
        edge.get(QStringLiteral("/api/v1/resources")).body.value(QLatin1String("resources")).toArray().size(),
        0);

    // The watch saw the three committed changes in order.
    QTRY_VERIFY(events.size() >= 3);
    QStringList seen;
    for (const QJsonObject &e : std::as_const(events))
        seen.append(e.value(QLatin1String("type")).toString() + u' ' +
                    e.value(QLatin1String("key")).toString());
    QCOMPARE(seen.mid(0, 3), (QStringList{QStringLiteral("added default/configmap/app"),
                                          QStringLiteral("modified default/configmap/app"),
                                          QStringLiteral("deleted default/configmap/app")}));
    QCOMPARE(events.at(0).value(QLatin1String("resourceVersion")).toString(), rv1);
    QCOMPARE(events.at(1).value(QLatin1String("object")).toObject(), update.json());
    const EdgeProcess::Reply status = edge.get(QStringLiteral("/api/v1/status"));
    QCOMPARE(status.body.value(QLatin1String("counters")).toObject().value(QLatin1String("applied")).toInt(),
             3);
    QVERIFY(status.body.value(QLatin1String("counters")).toObject().value(QLatin1String("acked")).toInt() >=
            3);
    QCOMPARE(edge.stop(), 0);
    QCOMPARE(hub.stop(), 0);
}

void TestEdgeResourcesE2e::outboxSurvivesHubOutageAndEdgeCrash()
{
    QTemporaryDir hubDir;
    const QStringList hubArgs = {QStringLiteral("--retry-interval"), QStringLiteral("1"),
                                 QStringLiteral("--websocket-port"), QString::number(freePort()),
                                 QStringLiteral("--https-port"),     QString::number(freePort())};
    auto hub = std::make_unique<HubProcess>(hubArgs, hubDir.filePath(QStringLiteral("hub")));
    QVERIFY2(hub->start(), qPrintable(hub->output()));
    QTemporaryDir edgeDir;
    const QString data = edgeDir.filePath(QStringLiteral("edge"));
    const QStringList join = EdgeProcess::joinArgs(*hub);
    // One message a second upstream: the acks pile up behind the rate limit.
    auto edge = std::make_unique<EdgeProcess>(QStringLiteral("res-2"), data);
    QVERIFY2(edge->start(join + QStringList{QStringLiteral("--qps"), QStringLiteral("1"),
                                            QStringLiteral("--burst"), QStringLiteral("1")}),
             qPrintable(edge->output()));
    QVERIFY(edge->waitForConnected(true));
    {
        AdminClient api = admin(*hub);
        for (int i = 0; i < 20; ++i) {
            const QString name = QStringLiteral("cm-%1").arg(i);
            QCOMPARE(api.put(QStringLiteral("/api/v1/nodes/res-2/resources/default/configmap/") + name,
                             configMap(name, QString::number(i)))
                         .status,
                     201);
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(edge->get(QStringLiteral("/api/v1/resources"))
                                  .body.value(QLatin1String("resources"))
                                  .toArray()
                                  .size(),
                              20, 10000);

    // The hub goes away: what waits for the link moves to the outbox.
    QCOMPARE(hub->stop(), 0);
    QVERIFY(edge->waitForConnected(false));
    const int depth =
        edge->get(QStringLiteral("/api/v1/status")).body.value(QLatin1String("outboxDepth")).toInt();
    QVERIFY2(depth >= 10, qPrintable(QString::number(depth)));

    // The edge crashes and comes back while the hub is still down: the outbox is still there.
    edge->kill();
    edge = std::make_unique<EdgeProcess>(QStringLiteral("res-2"), data);
    QVERIFY2(edge->start(join), qPrintable(edge->output()));
    QCOMPARE(edge->get(QStringLiteral("/api/v1/status")).body.value(QLatin1String("outboxDepth")).toInt(),
             depth);
    QCOMPARE(edge->get(QStringLiteral("/api/v1/resources"))
                 .body.value(QLatin1String("resources"))
                 .toArray()
                 .size(),
             20);

    // The hub is back: the outbox flushes, the hub's queue for the node empties, nothing is lost.
    hub = std::make_unique<HubProcess>(hubArgs, hubDir.filePath(QStringLiteral("hub")));
    QVERIFY2(hub->start(), qPrintable(hub->output()));
    QVERIFY(edge->waitForConnected(true, 15000));
    AdminClient api = admin(*hub);
    QTRY_COMPARE_WITH_TIMEOUT(
        edge->get(QStringLiteral("/api/v1/status")).body.value(QLatin1String("outboxDepth")).toInt(), 0,
        10000);
    QTRY_COMPARE_WITH_TIMEOUT(queueDepth(api, QStringLiteral("res-2")), 0, 10000);
    QCOMPARE(metaRows(data).size(), 20);
    // And the other direction flows again.
    QCOMPARE(api.put(QStringLiteral("/api/v1/nodes/res-2/resources/default/configmap/after"),
                     configMap(QStringLiteral("after"), QStringLiteral("x")))
                 .status,
             201);
    QTRY_COMPARE_WITH_TIMEOUT(edge->get(QStringLiteral("/api/v1/resources/default/configmap/after")).status,
                              200, 10000);
    QCOMPARE(edge->stop(), 0);
    QCOMPARE(hub->stop(), 0);
}

void TestEdgeResourcesE2e::killedMidStreamKeepsEverythingAcked()
{
    HubProcess hub({QStringLiteral("--retry-interval"), QStringLiteral("1")});
    QVERIFY2(hub.start(), qPrintable(hub.output()));
    AdminClient api = admin(hub);
    QTemporaryDir edgeDir;
    const QString data = edgeDir.filePath(QStringLiteral("edge"));
    auto edge = std::make_unique<EdgeProcess>(QStringLiteral("res-3"), data);
    QVERIFY2(edge->start(EdgeProcess::joinArgs(hub)), qPrintable(edge->output()));
    QVERIFY(edge->waitForConnected(true));

    const int total = 300;
    QSet<QString> all;
    for (int i = 0; i < total; ++i) {
        const QString name = QStringLiteral("cm-%1").arg(i);
        all.insert(QStringLiteral("default/configmap/") + name);
        QCOMPARE(api.put(QStringLiteral("/api/v1/nodes/res-3/resources/default/configmap/") + name,
                         configMap(name, QString::number(i)))
                     .status,
                 201);
        if (i == total / 3)
            edge->kill(); // mid-stream
    }
    QVERIFY(!edge->isRunning());
    // Whatever the hub no longer holds was acked, so it must be in the dead edge's SQLite.
    const QJsonArray pending = api.get(QStringLiteral("/api/v1/nodes/res-3/queue?limit=100000"))
                                   .json()
                                   .value(QLatin1String("entries"))
                                   .toArray();
    QSet<QString> unacked;
    for (const QJsonValue &v : pending) {
        const QString res = v.toObject().value(QLatin1String("resource")).toString();
        unacked.insert(res.section(u'/', -3));
    }
    const QHash<QString, QJsonObject> stored = metaRows(data);
    int acked = 0;
    for (const QString &key : std::as_const(all)) {
        if (unacked.contains(key))
            continue;
        ++acked;
        QVERIFY2(stored.contains(key),
                 qPrintable(key + QStringLiteral(" was acked but is not in the edge's SQLite")));
    }
    QVERIFY2(acked > 0 && acked < total, qPrintable(QString::number(acked)));

    // Restarted, it gets the rest.
    edge = std::make_unique<EdgeProcess>(QStringLiteral("res-3"), data);
    QVERIFY2(edge->start(EdgeProcess::joinArgs(hub)), qPrintable(edge->output()));
    QTRY_COMPARE_WITH_TIMEOUT(queueDepth(api, QStringLiteral("res-3")), 0, 15000);
    QCOMPARE(metaRows(data).size(), total);
    QCOMPARE(edge->stop(), 0);
    QCOMPARE(hub.stop(), 0);
}

QTEST_GUILESS_MAIN(TestEdgeResourcesE2e)
#include "tst_edge_resources_e2e.moc"
