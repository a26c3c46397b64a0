#include "gui/nodefilterproxy.h"
#include "gui/nodemodel.h"

#include <QAbstractItemModelTester>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace qedge;

class tst_NodeModel : public QObject
{
    Q_OBJECT
private slots:
    void fromJson();
    void tester();
    void tenThousandRowsBatched();
    void eventsUpdateCounters_data();
    void eventsUpdateCounters();
    void mergeRemovesAndInserts();
    void proxyFilters_data();
    void proxyFilters();
    void proxySortsNumerically();

private:
    static QList<NodeInfo> fleet(int n);
    static HubEvent ev(const QString &type, const QString &node);
};

QList<NodeInfo> tst_NodeModel::fleet(int n)
{
    QList<NodeInfo> list;
    for (int i = 0; i < n; ++i) {
        NodeInfo info;
        info.id = QStringLiteral("edge-%1").arg(i, 5, 10, QLatin1Char('0'));
        info.online = i % 3 != 0;
        info.queueDepth = i % 7;
        info.labels.insert(QStringLiteral("site"), i % 2 ? QStringLiteral("berlin") : QStringLiteral("lyon"));
        list << info;
    }
    return list;
}

HubEvent tst_NodeModel::ev(const QString &type, const QString &node)
{
    return HubEvent::fromJson(
        QJsonObject{{QStringLiteral("type"), type},
                    {QStringLiteral("node"), node},
                    {QStringLiteral("time"), QStringLiteral("2026-11-23T09:00:01.234Z")}});
}

void tst_NodeModel::fromJson()
{
    const QJsonObject o{
        {QStringLiteral("id"), QStringLiteral("edge-1")},
        {QStringLiteral("online"), true},
        {QStringLiteral("since"), QStringLiteral("2026-11-23T09:00:00Z")},
        {QStringLiteral("lastSeen"), QJsonValue()},
        {QStringLiteral("queueDepth"), 4},
        {QStringLiteral("sent"), 12},
        {QStringLiteral("acked"), 11},
        {QStringLiteral("certExpiry"), QStringLiteral("2027-11-23T09:00:00Z")},
        {QStringLiteral("labels"), QJsonObject{{QStringLiteral("site"), QStringLiteral("berlin")},
                                               {QStringLiteral("a"), QStringLiteral("b")}}}};
    const NodeInfo n = NodeInfo::fromJson(o);
    QCOMPARE(n.id, QStringLiteral("edge-1"));
    QVERIFY(n.online);
    QCOMPARE(n.since, QDateTime(QDate(2026, 11, 23), QTime(9, 0), Qt::UTC));
    QVERIFY(!n.lastSeen.isValid());
    QCOMPARE(n.queueDepth, 4);
    QCOMPARE(n.acked, 11);
    QCOMPARE(n.labelsText(), QStringLiteral("a=b, site=berlin"));
}

void tst_NodeModel::tester()
{
    NodeModel model;
    NodeFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setNodes(fleet(50));
    model.applyEvent(ev(QStringLiteral("node.online"), QStringLiteral("edge-00000")));
    model.applyEvent(ev(QStringLiteral("node.online"), QStringLiteral("edge-new")));
    model.flush();
    proxy.sort(NodeModel::QueueDepth);
    proxy.setStatusFilter(NodeFilterProxy::StatusFilter::Offline);
    proxy.setText(QStringLiteral("lyon"));
    model.mergeNodes(fleet(20));
    model.flush();
    QCOMPARE(model.rowCount(), 20);
    model.clear();
    QCOMPARE(proxy.rowCount(), 0);
}

void tst_NodeModel::tenThousandRowsBatched()
{
    NodeModel model;
    model.setNodes(fleet(10000));
    QCOMPARE(model.rowCount(), 10000);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy flushed(&model, &NodeModel::flushed);

    // Every node gets three events; nothing reaches the view before the batch timer fires.
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 10000; ++i)
            model.applyEvent(ev(QStringLiteral("resource.queued"),
                                QStringLiteral("edge-%1").arg(i, 5, 10, QLatin1Char('0'))));
    }
    QCOMPARE(changes.count(), 0);
    QVERIFY(model.hasPending());
    QTRY_COMPARE_WITH_TIMEOUT(flushed.count(), 1, 2000);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(inserts.count(), 0);
    // All rows changed: one contiguous range.
    QCOMPARE(changes.count(), 1);
    const auto args = changes.first();
    QCOMPARE(args.at(0).toModelIndex().row(), 0);
    QCOMPARE(args.at(1).toModelIndex().row(), 9999);
    QCOMPARE(model.node(5).queueDepth, 5 % 7 + 3);

    // Two separate rows changed: two ranges, and only those rows.
    changes.clear();
    model.applyEvent(ev(QStringLiteral("node.offline"), QStringLiteral("edge-00010")));
    model.applyEvent(ev(QStringLiteral("node.offline"), QStringLiteral("edge-00011")));
    model.applyEvent(ev(QStringLiteral("node.online"), QStringLiteral("edge-09000")));
    model.flush();
    QCOMPARE(changes.count(), 2);
    QCOMPARE(changes.at(0).at(0).toModelIndex().row(), 10);
    QCOMPARE(changes.at(0).at(1).toModelIndex().row(), 11);
    QCOMPARE(changes.at(1).at(0).toModelIndex().row(), 9000);
    QVERIFY(!model.node(10).online);
    QVERIFY(model.node(9000).online);
    QCOMPARE(model.node(9000).since, QDateTime(QDate(2026, 11, 23), QTime(9, 0, 1, 234), Qt::UTC));
}

void tst_NodeModel::eventsUpdateCounters_data()
{
    QTest::addColumn<QStringList>("types");
    QTest::addColumn<qint64>("depth");
    QTest::addColumn<qint64>("inFlight");
    QTest::addColumn<qint64>("sent");
    QTest::addColumn<qint64>("acked");
    QTest::addColumn<bool>("online");
    const QString q = QStringLiteral("resource.queued"), d = QStringLiteral("resource.delivered"),
                  a = QStringLiteral("resource.acked"), x = QStringLiteral("resource.dropped");
    QTest::newRow("queued") << QStringList{q, q} << qint64(2) << qint64(0) << qint64(0) << qint64(0) << false;
    QTest::newRow("delivered") << QStringList{q, d} << qint64(1) << qint64(1) << qint64(1) << qint64(0)
                               << false;
    QTest::newRow("acked") << QStringList{q, d, a} << qint64(0) << qint64(0) << qint64(1) << qint64(1)
                           << false;
    QTest::newRow("dropped") << QStringList{q, x} << qint64(0) << qint64(0) << qint64(0) << qint64(0)
                             << false;
    QTest::newRow("never negative") << QStringList{a, x} << qint64(0) << qint64(0) << qint64(0) << qint64(1)
                                    << false;
    QTest::newRow("online") << QStringList{QStringLiteral("node.online")} << qint64(0) << qint64(0)
                            << qint64(0) << qint64(0) << true;
    QTest::newRow("online then offline")
        << QStringList{QStringLiteral("node.online"), d, QStringLiteral("node.offline")} << qint64(0)
        << qint64(0) << qint64(1) << qint64(0) << false;
}

void tst_NodeModel::eventsUpdateCounters()
{
    QFETCH(QStringList, types);
    NodeModel model;
    NodeInfo n;
    n.id = QStringLiteral("edge-1");
    model.setNodes({n});
    for (const QString &t : types)
        model.applyEvent(ev(t, n.id));
    model.flush();
    const NodeInfo &got = model.node(0);
    QTEST(got.queueDepth, "depth");
    QTEST(got.inFlight, "inFlight");
    QTEST(got.sent, "sent");
    QTEST(got.acked, "acked");
    QTEST(got.online, "online");
    QCOMPARE(model.onlineCount(), got.online ? 1 : 0);
}

void tst_NodeModel::mergeRemovesAndInserts()
{
    NodeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setNodes(fleet(10));
    QList<NodeInfo> next = fleet(10);
    next.removeAt(7);
    next.removeAt(3);
    next.removeAt(2);
    NodeInfo extra;
    extra.id = QStringLiteral("zz-new");
    next << extra;
    next[0].queueDepth = 99;
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    model.mergeNodes(next);
    model.flush();
    QCOMPARE(removed.count(), 2); // rows 7, then 2..3
    QCOMPARE(model.rowCount(), 8);
    QCOMPARE(model.rowOf(QStringLiteral("edge-00003")), -1);
    QCOMPARE(model.rowOf(QStringLiteral("edge-00008")), 5);
    QCOMPARE(model.node(model.rowOf(QStringLiteral("zz-new"))).id, QStringLiteral("zz-new"));
    QCOMPARE(model.node(0).queueDepth, 99);
}

void tst_NodeModel::proxyFilters_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("rows");
    QTest::newRow("all") << QString() << 0 << 30;
    QTest::newRow("online") << QString() << 1 << 20;
    QTest::newRow("offline") << QString() << 2 << 10;
    QTest::newRow("label") << QStringLiteral("BERLIN") << 0 << 15;
    QTest::newRow("label offline") << QStringLiteral("berlin") << 2 << 5;
    QTest::newRow("id") << QStringLiteral("edge-0002") << 0 << 10;
    QTest::newRow("nothing") << QStringLiteral("tokyo") << 0 << 0;
}

void tst_NodeModel::proxyFilters()
{
    QFETCH(QString, text);
    QFETCH(int, status);
    NodeModel model;
    model.setNodes(fleet(30));
    NodeFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.setText(text);
    proxy.setStatusFilter(NodeFilterProxy::StatusFilter(status));
    QTEST(proxy.rowCount(), "rows");
}

void tst_NodeModel::proxySortsNumerically()
{
    NodeModel model;
    QList<NodeInfo> list = fleet(3);
    list[0].queueDepth = 10;
    list[1].queueDepth = 9;
    list[2].queueDepth = 100;
    model.setNodes(list);
    NodeFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.sort(NodeModel::QueueDepth, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, NodeModel::QueueDepth).data().toLongLong(), 100);
    QCOMPARE(proxy.index(2, NodeModel::QueueDepth).data().toLongLong(), 9);
    // A live change re-sorts without a reset.
    model.applyEvent(ev(QStringLiteral("resource.queued"), list[1].id));
    model.applyEvent(ev(QStringLiteral("resource.queued"), list[1].id));
    model.flush();
    QCOMPARE(proxy.index(1, NodeModel::Id).data().toString(), list[1].id);
}

QTEST_MAIN(tst_NodeModel)
#include "tst_nodemodel.moc"
