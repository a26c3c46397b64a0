#include "cloudhub/dispatcher.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace qedge;
using namespace qedge::cloud;

namespace {

QJsonObject configMap(const QString &name, const QString &value = QStringLiteral("v"))
{
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                       {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                       {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), name}}},
                       {QStringLiteral("data"), QJsonObject{{QStringLiteral("k"), value}}}};
}

QString uidOf(const QJsonObject &o)
{
    return o.value(QLatin1String("metadata")).toObject().value(QLatin1String("uid")).toString();
}

quint64 rvOf(const QJsonObject &o)
{
    return o.value(QLatin1String("metadata"))
        .toObject()
        .value(QLatin1String("resourceVersion"))
        .toString()
        .toULongLong();
}

/// A fake edge session: records writes; when acking, answers every ack-required message like
/// MetaManager (a `response` with parent = msg_id, content "OK") from the event loop.
struct Edge
{
    Edge(Dispatcher *dispatcher, const QString &nodeName, bool acking = true)
        : d(dispatcher), node(nodeName), acks(acking)
    {}

    Dispatcher *d;
    QString node;
    bool acks;
    QList<Message> written;

    Dispatcher::WriteFn writer()
    {
        return [this](const Message &m) {
            written.append(m);
            if (acks && m.group() == QLatin1String("resource")) {
                const Message reply = Message::responseTo(m, QStringLiteral("OK"));
                QTimer::singleShot(0, d, [d = d, node = node, reply] { d->handleAck(node, reply); });
            }
            return true;
        };
    }
    QSet<QString> ids() const
    {
        QSet<QString> s;
        for (const Message &m : written)
            s.insert(m.id());
        return s;
    }
};

DispatcherConfig fastConfig()
{
    DispatcherConfig c;
    c.queue.retryIntervalMs = 50;
    c.queue.backoffBaseMs = 10000;
    return c;
}

} // namespace

class TestDispatcher : public QObject
{
    Q_OBJECT

private slots:
    void applyStampsUidAndVersion();
    void applyValidates_data();
    void applyValidates();
    void slowNodeDoesNotDelayFastNode();
    void deleteWinsEndToEnd();
    void partialRemove();
    void preProvisionedNodeGetsQueueOnConnect();
    void reconnectResendsInFlightWithSameIds();
    void noAckWrittenOnceOnConnect();
};

void TestDispatcher::applyStampsUidAndVersion()
{
    Dispatcher d;
    const auto first = d.apply({QStringLiteral("n1")}, configMap(QStringLiteral("c")));
    QVERIFY2(first, qPrintable(first.errorMessage()));
    const QJsonObject meta = first->value(QLatin1String("metadata")).toObject();
    QCOMPARE(meta.value(QLatin1String("namespace")).toString(), QStringLiteral("default"));
    QVERIFY(!uidOf(first.value()).isEmpty());
    QVERIFY(rvOf(first.value()) > 0);

    QJsonObject changed = configMap(QStringLiteral("c"), QStringLiteral("w"));
    const auto second = d.apply({QStringLiteral("n1")}, changed);
    QVERIFY(second);
    QCOMPARE(uidOf(second.value()), uidOf(first.value()));
    QVERIFY(rvOf(second.value()) > rvOf(first.value()));

    const auto got = d.get(QStringLiteral("n1"), QStringLiteral("default"), QStringLiteral("configmap"),
                           QStringLiteral("c"));
    QVERIFY(got);
    QCOMPARE(got.value(), second.value());
    QCOMPARE(d.list(QStringLiteral("n1"), QStringLiteral("configmap")).size(), 1);
    QCOMPARE(d.list(QStringLiteral("n1"), QStringLiteral("pod")).size(), 0);
    QVERIFY(!d.get(QStringLiteral("n2"), QStringLiteral("default"), QStringLiteral("configmap"),
                   QStringLiteral("c")));

    // One entry per uid and node: the update replaced the queued insert.
    const NodeQueue *q = d.queue(QStringLiteral("n1"));
    QVERIFY(q);
    QCOMPARE(q->depth(), 1);
    QCOMPARE(q->entries().first().resourceVersion, rvOf(second.value()));
}

void TestDispatcher::applyValidates_data()
{
    QTest::addColumn<QJsonObject>("object");
    QTest::addColumn<QStringList>("nodes");
    QTest::addColumn<QString>("code");

    const QStringList n1{QStringLiteral("n1")};
    QJsonObject noKind = configMap(QStringLiteral("a"));
    noKind.remove(QStringLiteral("kind"));
    QJsonObject noApi = configMap(QStringLiteral("a"));
    noApi.remove(QStringLiteral("apiVersion"));
    QJsonObject noName = configMap(QStringLiteral("a"));
    noName.insert(QStringLiteral("metadata"), QJsonObject());
    QJsonObject badNs = configMap(QStringLiteral("a"));
    badNs.insert(QStringLiteral("metadata"),
                 QJsonObject{{QStringLiteral("name"), QStringLiteral("a")},
                             {QStringLiteral("namespace"), QStringLiteral("x/y")}});
    QTest::newRow("no kind") << noKind << n1 << QStringLiteral("invalid");
    QTest::newRow("no apiVersion") << noApi << n1 << QStringLiteral("invalid");
    QTest::newRow("no name") << noName << n1 << QStringLiteral("invalid");
    QTest::newRow("slash in namespace") << badNs << n1 << QStringLiteral("invalid");
    QTest::newRow("no nodes") << configMap(QStringLiteral("a")) << QStringList() << QStringLiteral("invalid");
    QTest::newRow("bad node") << configMap(QStringLiteral("a")) << QStringList{QStringLiteral("a/b")}
                              << QStringLiteral("invalid");
    QTest::newRow("valid") << configMap(QStringLiteral("a")) << n1 << QString();
}

void TestDispatcher::applyValidates()
{
    QFETCH(QJsonObject, object);
    QFETCH(QStringList, nodes);
    QFETCH(QString, code);
    Dispatcher d;
    const auto r = d.apply(nodes, object);
    QCOMPARE(r.ok(), code.isEmpty());
    if (!r.ok()) {
        QCOMPARE(r.error().code, code);
        QVERIFY(!r.errorMessage().isEmpty());
        QCOMPARE(d.resources().size(), 0);
    }
}

void TestDispatcher::slowNodeDoesNotDelayFastNode()
{
    Dispatcher d(fastConfig());
    QSignalSpy acked(&d, &Dispatcher::acked);
    Edge fast(&d, QStringLiteral("fast"));
    Edge slow(&d, QStringLiteral("slow"), false);
    d.nodeConnected(fast.node, fast.writer());
    d.nodeConnected(slow.node, slow.writer());

    const int n = 250;
    for (int i = 0; i < n; ++i)
        QVERIFY(d.apply({fast.node, slow.node}, configMap(QStringLiteral("c%1").arg(i))));

    QTRY_COMPARE(d.queue(fast.node)->depth(), 0);
    QCOMPARE(acked.size(), n);
    QCOMPARE(fast.written.size(), n); // every message once, no retries needed
    QCOMPARE(fast.ids().size(), n);
    for (int i = 1; i < n; ++i) // FIFO order, increasing versions
        QVERIFY(fast.written.at(i).resourceVersion().toULongLong() >
                fast.written.at(i - 1).resourceVersion().toULongLong());

    // The slow node holds a full window and re-writes it with the same ids; the rest waits.
    QCOMPARE(d.queue(slow.node)->depth(), n);
    QCOMPARE(d.queue(slow.node)->inFlight(), 100);
    QTRY_VERIFY(slow.written.size() >= 300);
    QCOMPARE(slow.ids().size(), 100);
    QVERIFY(d.counters().retries >= 200);
    QCOMPARE(d.counters().acks, quint64(n));
    QCOMPARE(d.counters().queueDepthTotal, quint64(n));
    QCOMPARE(d.counters().inFlightTotal, quint64(100));
    QVERIFY(d.counters().messagesOut.value(op::Insert) >= quint64(n + 300));

    // Once the slow edge answers, it drains too.
    slow.acks = true;
    d.nodeConnected(slow.node, slow.writer());
    QTRY_COMPARE(d.queue(slow.node)->depth(), 0);
}

void TestDispatcher::deleteWinsEndToEnd()
{
    Dispatcher d(fastConfig());
    const QString node = QStringLiteral("n1");
    const auto created = d.apply({node}, configMap(QStringLiteral("c")));
    QVERIFY(created);
    QVERIFY(d.apply({node}, configMap(QStringLiteral("c"), QStringLiteral("2"))));
    const auto removed =
        d.remove({}, QStringLiteral("default"), QStringLiteral("configmap"), QStringLiteral("c"));
    QVERIFY2(removed, qPrintable(removed.errorMessage()));
    QVERIFY(rvOf(removed.value()) > rvOf(created.value()));
    QVERIFY(!d.get(node, QStringLiteral("default"), QStringLiteral("configmap"), QStringLiteral("c")));

    // A new object of the same name is a new uid: it does not touch the pending delete.
    const auto again = d.apply({node}, configMap(QStringLiteral("c"), QStringLiteral("3")));
    QVERIFY(again);
    QVERIFY(uidOf(again.value()) != uidOf(created.value()));
    QCOMPARE(d.queue(node)->depth(), 2);

    Edge edge(&d, node);
    d.nodeConnected(node, edge.writer());
    QTRY_COMPARE(d.queue(node)->depth(), 0);
    QCOMPARE(edge.written.size(), 2);
    const Message &del = edge.written.at(0);
    QCOMPARE(del.operation(), op::Delete);
    QCOMPARE(del.resource(), QStringLiteral("default/configmap/c"));
    QCOMPARE(del.resourceVersion(), QString::number(rvOf(removed.value())));
    QCOMPARE(uidOf(del.content().toObject()), uidOf(created.value()));
    QCOMPARE(edge.written.at(1).operation(), op::Insert);
    QCOMPARE(uidOf(edge.written.at(1).content().toObject()), uidOf(again.value()));

    // The acked delete purged the tombstone.
    QVERIFY(!d.resources().byUid(uidOf(created.value())));
    QCOMPARE(d.resources().size(), 1);
    QCOMPARE(d.list(node).size(), 1);
}

void TestDispatcher::partialRemove()
{
    Dispatcher d(fastConfig());
    const QString a = QStringLiteral("a"), b = QStringLiteral("b");
    const auto created = d.apply({a, b}, configMap(QStringLiteral("c")));
    QVERIFY(created);
    const auto removed = d.remove({a}, QString(), QStringLiteral("configmap"), QStringLiteral("c"));
    QVERIFY(removed);
    QVERIFY(!d.get(a, QString(), QStringLiteral("configmap"), QStringLiteral("c")));
    QVERIFY(d.get(b, QString(), QStringLiteral("configmap"), QStringLiteral("c")));
    QCOMPARE(d.queue(a)->entries().first().operation, op::Delete);
    QCOMPARE(d.queue(b)->entries().first().operation, op::Insert);

    const auto conflict = d.apply({a}, configMap(QStringLiteral("c")));
    QVERIFY(!conflict);
    QCOMPARE(conflict.error().code, QStringLiteral("conflict"));
    QVERIFY(!d.remove({QStringLiteral("z")}, QString(), QStringLiteral("configmap"), QStringLiteral("c")));

    Edge ea(&d, a);
    d.nodeConnected(a, ea.writer());
    QTRY_COMPARE(d.queue(a)->depth(), 0);
    // After the ack it may come back, with the same uid (the object never went away).
    const auto back = d.apply({a}, configMap(QStringLiteral("c")));
    QVERIFY2(back, qPrintable(back.errorMessage()));
    QCOMPARE(uidOf(back.value()), uidOf(created.value()));
    QTRY_COMPARE(ea.written.size(), 2);
    QCOMPARE(ea.written.at(1).operation(), op::Insert);
}

void TestDispatcher::preProvisionedNodeGetsQueueOnConnect()
{
    Dispatcher d(fastConfig());
    QSignalSpy delivered(&d, &Dispatcher::delivered);
    for (int i = 0; i < 3; ++i)
        QVERIFY(d.apply({QStringLiteral("later")}, configMap(QStringLiteral("c%1").arg(i))));
    QTest::qWait(20);
    QCOMPARE(delivered.size(), 0);
    Edge e(&d, QStringLiteral("later"));
    d.nodeConnected(e.node, e.writer());
    QTRY_COMPARE(d.queue(e.node)->depth(), 0);
    QCOMPARE(delivered.size(), 3);
    QCOMPARE(delivered.first().at(0).toString(), e.node);
}

void TestDispatcher::reconnectResendsInFlightWithSameIds()
{
    Dispatcher d(fastConfig());
    Edge e(&d, QStringLiteral("n"), false);
    d.nodeConnected(e.node, e.writer());
    for (int i = 0; i < 3; ++i)
        QVERIFY(d.apply({e.node}, configMap(QStringLiteral("c%1").arg(i))));
    QTRY_COMPARE(e.written.size(), 3);
    const QSet<QString> first = e.ids();
    d.nodeDisconnected(e.node);
    QCOMPARE(d.queue(e.node)->inFlight(), 0);
    e.written.clear();
    e.acks = true;
    d.nodeConnected(e.node, e.writer());
    QTRY_COMPARE(d.queue(e.node)->depth(), 0);
    QCOMPARE(e.ids(), first);
}

void TestDispatcher::noAckWrittenOnceOnConnect()
{
    Dispatcher d(fastConfig());
    const Message m = Message::create(QStringLiteral("devicecontroller"), QStringLiteral("twin"), op::Update,
                                      QStringLiteral("membership"), "{}");
    d.sendNoAck(QStringLiteral("n"), m);
    Edge e(&d, QStringLiteral("n"));
    d.nodeConnected(e.node, e.writer());
    QTRY_COMPARE(e.written.size(), 1);
    QCOMPARE(e.written.first(), m);
    QTest::qWait(120);
    QCOMPARE(e.written.size(), 1);
}

QTEST_GUILESS_MAIN(TestDispatcher)
#include "tst_dispatcher.moc"
