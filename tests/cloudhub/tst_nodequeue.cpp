#include "cloudhub/nodequeue.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace qedge;
using namespace qedge::cloud;

Q_DECLARE_METATYPE(qedge::cloud::EnqueueResult)

namespace {

QueueChange change(const QString &uid, const QString &operation, quint64 rv, qint64 now = 0)
{
    QueueChange c;
    c.uid = uid;
    c.resource = QStringLiteral("default/configmap/") + uid;
    c.operation = operation;
    c.resourceVersion = rv;
    c.object = QByteArrayLiteral("{\"kind\":\"ConfigMap\",\"metadata\":{\"uid\":\"") + uid.toUtf8() +
               QByteArrayLiteral("\",\"resourceVersion\":\"") + QByteArray::number(rv) +
               QByteArrayLiteral("\"}}");
    c.source = QStringLiteral("edgecontroller");
    c.enqueuedMs = now;
    return c;
}

QStringList ids(const QList<Message> &ms)
{
    QStringList out;
    for (const Message &m : ms)
        out << m.id();
    return out;
}

QStringList versions(const QList<Message> &ms)
{
    QStringList out;
    for (const Message &m : ms)
        out << m.resource().section(QLatin1Char('/'), 2) + QLatin1Char('@') + m.resourceVersion();
    return out;
}

} // namespace

class TestNodeQueue : public QObject
{
    Q_OBJECT

private slots:
    void dedup_data();
    void dedup();
    void replacementKeepsPositionAndGetsNewMsgId();
    void wireForm();
    void windowLimitsInFlight();
    void retriesEveryIntervalWithSameMsgId();
    void backsOffAfterFiveWrites();
    void ackSettlesEntryAndRecord();
    void deleteAckDropsRecord();
    void staleAckRecordsOlderVersion();
    void unknownAckIsCounted();
    void connectionLostRequeuesInOrder();
    void noAckIsBoundedAndWrittenOnce();
    void noAckClassification_data();
    void noAckClassification();
};

void TestNodeQueue::dedup_data()
{
    QTest::addColumn<QString>("queuedOp"); // empty: nothing queued
    QTest::addColumn<quint64>("queuedRv");
    QTest::addColumn<quint64>("ackedRv"); // 0: no sync record
    QTest::addColumn<QString>("newOp");
    QTest::addColumn<quint64>("newRv");
    QTest::addColumn<EnqueueResult>("expected");
    QTest::addColumn<QString>("finalOp"); // empty: nothing queued afterwards
    QTest::addColumn<quint64>("finalRv");

    const QString none, ins = op::Insert, upd = op::Update, del = op::Delete;
    using R = EnqueueResult;
    QTest::newRow("empty queue, no record")
        << none << 0ull << 0ull << upd << 5ull << R::Queued << upd << 5ull;
    QTest::newRow("empty queue, newer than acked")
        << none << 0ull << 4ull << upd << 5ull << R::Queued << upd << 5ull;
    QTest::newRow("empty queue, equal to acked")
        << none << 0ull << 5ull << upd << 5ull << R::DroppedOlder << none << 0ull;
    QTest::newRow("empty queue, older than acked")
        << none << 0ull << 6ull << upd << 5ull << R::DroppedOlder << none << 0ull;
    QTest::newRow("empty queue, delete older than acked")
        << none << 0ull << 9ull << del << 5ull << R::Queued << del << 5ull;
    QTest::newRow("no resourceVersion dropped")
        << none << 0ull << 0ull << upd << 0ull << R::DroppedOlder << none << 0ull;
    QTest::newRow("newer replaces") << upd << 5ull << 0ull << upd << 7ull << R::Replaced << upd << 7ull;
    QTest::newRow("update replaces insert")
        << ins << 5ull << 0ull << upd << 6ull << R::Replaced << upd << 6ull;
    QTest::newRow("equal dropped") << upd << 5ull << 0ull << upd << 5ull << R::DroppedOlder << upd << 5ull;
    QTest::newRow("older dropped") << upd << 5ull << 0ull << upd << 3ull << R::DroppedOlder << upd << 5ull;
    QTest::newRow("queued wins over acked")
        << upd << 5ull << 2ull << upd << 3ull << R::DroppedOlder << upd << 5ull;
    QTest::newRow("delete replaces update")
        << upd << 5ull << 0ull << del << 6ull << R::Replaced << del << 6ull;
    QTest::newRow("delete replaces newer update")
        << upd << 9ull << 0ull << del << 6ull << R::Replaced << del << 6ull;
    QTest::newRow("update never replaces delete")
        << del << 5ull << 0ull << upd << 9ull << R::DroppedDeleted << del << 5ull;
    QTest::newRow("insert never replaces delete")
        << del << 5ull << 0ull << ins << 9ull << R::DroppedDeleted << del << 5ull;
    QTest::newRow("delete replaces delete")
        << del << 5ull << 0ull << del << 6ull << R::Replaced << del << 6ull;
}

void TestNodeQueue::dedup()
{
    QFETCH(QString, queuedOp);
    QFETCH(quint64, queuedRv);
    QFETCH(quint64, ackedRv);
    QFETCH(QString, newOp);
    QFETCH(quint64, newRv);
    QFETCH(EnqueueResult, expected);
    QFETCH(QString, finalOp);
    QFETCH(quint64, finalRv);

    NodeQueue q;
    const QString uid = QStringLiteral("u1");
    if (ackedRv)
        q.setAcked(uid, ackedRv);
    if (!queuedOp.isEmpty())
        QCOMPARE(q.enqueue(change(uid, queuedOp, queuedRv)), EnqueueResult::Queued);

    QCOMPARE(q.classify(uid, newOp, newRv), expected);
    QCOMPARE(q.enqueue(change(uid, newOp, newRv)), expected);

    const QueueEntry *e = q.entry(uid);
    QCOMPARE(e != nullptr, !finalOp.isEmpty());
    QCOMPARE(q.depth(), finalOp.isEmpty() ? 0 : 1);
    if (e) {
        QCOMPARE(e->operation, finalOp);
        QCOMPARE(e->resourceVersion, finalRv);
        const QList<Message> out = q.takeDue(0);
        QCOMPARE(out.size(), 1);
        QCOMPARE(out.first().operation(), finalOp);
        QCOMPARE(out.first().resourceVersion(), QString::number(finalRv));
    }
}

void TestNodeQueue::replacementKeepsPositionAndGetsNewMsgId()
{
    NodeQueue q;
    q.enqueue(change(QStringLiteral("a"), op::Insert, 1));
    q.enqueue(change(QStringLiteral("b"), op::Insert, 2));
    q.enqueue(change(QStringLiteral("c"), op::Insert, 3));
    const QString oldId = q.entry(QStringLiteral("a"))->msgId;
    QCOMPARE(q.enqueue(change(QStringLiteral("a"), op::Update, 4)), EnqueueResult::Replaced);
    const QString newId = q.entry(QStringLiteral("a"))->msgId;
    QVERIFY(newId != oldId);
    QCOMPARE(q.depth(), 3);

    const QList<Message> out = q.takeDue(0);
    QCOMPARE(versions(out),
             (QStringList{QStringLiteral("a@4"), QStringLiteral("b@2"), QStringLiteral("c@3")}));
    QCOMPARE(out.first().id(), newId);
}

void TestNodeQueue::wireForm()
{
    NodeQueue q;
    QueueChange c = change(QStringLiteral("u9"), op::Insert, 81234, 100);
    c.resource = QStringLiteral("default/pod/nginx");
    c.msgId = QStringLiteral("6f0b3c1e-2d5a-4c1e-9f4b-0a1b2c3d4e5f");
    q.enqueue(c);
    const QList<Message> out = q.takeDue(1234);
    QCOMPARE(out.size(), 1);
    const Message &m = out.first();
    QCOMPARE(m.id(), c.msgId);
    QVERIFY(m.parentId().isEmpty());
    QCOMPARE(m.header().timestamp, 1234);
    QCOMPARE(m.resourceVersion(), QStringLiteral("81234"));
    QCOMPARE(m.source(), QStringLiteral("edgecontroller"));
    QCOMPARE(m.group(), QStringLiteral("resource"));
    QCOMPARE(m.operation(), op::Insert);
    QCOMPARE(m.resource(), QStringLiteral("default/pod/nginx"));
    QCOMPARE(m.rawContent(), c.object);
    QCOMPARE(m.content().toObject().value(QLatin1String("kind")).toString(), QStringLiteral("ConfigMap"));
}

void TestNodeQueue::windowLimitsInFlight()
{
    NodeQueueConfig cfg;
    cfg.window = 3;
    NodeQueue q(cfg);
    for (int i = 0; i < 5; ++i)
        q.enqueue(change(QString::number(i), op::Insert, quint64(i + 1)));
    QCOMPARE(q.nextWakeMs(0), 0);
    QList<Message> out = q.takeDue(0);
    QCOMPARE(versions(out),
             (QStringList{QStringLiteral("0@1"), QStringLiteral("1@2"), QStringLiteral("2@3")}));
    QCOMPARE(q.inFlight(), 3);
    QCOMPARE(q.depth(), 5);
    QCOMPARE(q.nextWakeMs(10), 5000); // full window: the next thing is a retry
    QVERIFY(q.takeDue(10).isEmpty());

    QVERIFY(q.ack(out.at(1).id(), 20));
    QCOMPARE(q.nextWakeMs(20), 20);
    out = q.takeDue(20);
    QCOMPARE(versions(out), QStringList{QStringLiteral("3@4")});
    QCOMPARE(q.inFlight(), 3);
    QCOMPARE(q.depth(), 4);
}

void TestNodeQueue::retriesEveryIntervalWithSameMsgId()
{
    NodeQueue q;
    q.enqueue(change(QStringLiteral("u"), op::Insert, 1));
    const QList<Message> first = q.takeDue(1000);
    QCOMPARE(first.size(), 1);
    QCOMPARE(q.nextWakeMs(1000), 6000);
    QVERIFY(q.takeDue(5999).isEmpty());
    for (int i = 1; i <= 4; ++i) {
        const qint64 t = 1000 + i * 5000;
        const QList<Message> again = q.takeDue(t);
        QCOMPARE(ids(again), ids(first));
        QCOMPARE(q.entry(QStringLiteral("u"))->writes, i + 1);
        QCOMPARE(q.retries(), quint64(i));
    }
}

void TestNodeQueue::backsOffAfterFiveWrites()
{
    NodeQueueConfig cfg;
    cfg.window = 1;
    cfg.backoffBaseMs = 30000;
    cfg.backoffCapMs = 100000;
    NodeQueue q(cfg);
    q.enqueue(change(QStringLiteral("slow"), op::Insert, 1));
    q.enqueue(change(QStringLiteral("next"), op::Insert, 2));

    const QString slowId = q.takeDue(0).first().id();
    for (qint64 t = 5000; t <= 20000; t += 5000)
        QCOMPARE(ids(q.takeDue(t)), QStringList{slowId});
    QCOMPARE(q.entry(QStringLiteral("slow"))->writes, 5);

    // The 5th write went unanswered for 5 s: backoff frees the window slot for the next entry.
    QList<Message> out = q.takeDue(25000);
    QCOMPARE(versions(out), QStringList{QStringLiteral("next@2")});
    QCOMPARE(q.entry(QStringLiteral("slow"))->state, EntryState::Backoff);
    QCOMPARE(q.backoffs(), 1ull);
    QVERIFY(q.ack(out.first().id(), 25001));
    QCOMPARE(q.inFlight(), 0);
    QCOMPARE(q.nextWakeMs(25001), 55000);
    QVERIFY(q.takeDue(54999).isEmpty());

    // Next round: same msg_id again, 5 more writes, then a doubled delay.
    for (qint64 t = 55000; t <= 75000; t += 5000)
        QCOMPARE(ids(q.takeDue(t)), QStringList{slowId});
    QVERIFY(q.takeDue(80000).isEmpty());
    QCOMPARE(q.nextWakeMs(80000), 80000 + 60000);
    for (qint64 t = 140000; t <= 160000; t += 5000)
        QCOMPARE(ids(q.takeDue(t)), QStringList{slowId});
    QVERIFY(q.takeDue(165000).isEmpty());
    QCOMPARE(q.nextWakeMs(165000), 165000 + 100000); // 120 s capped at 100 s
    QCOMPARE(q.entry(QStringLiteral("slow"))->writes, 15);

    // A late ack still settles it.
    const auto ack = q.ack(slowId, 170000);
    QVERIFY(ack);
    QCOMPARE(ack->resourceVersion, 1ull);
    QCOMPARE(q.depth(), 0);
    QCOMPARE(q.nextWakeMs(170000), NodeQueue::Never);
}

void TestNodeQueue::ackSettlesEntryAndRecord()
{
    NodeQueue q;
    q.enqueue(change(QStringLiteral("u"), op::Insert, 7, 100));
    const Message m = q.takeDue(300).first();
    const auto ack = q.ack(m.id(), 350);
    QVERIFY(ack);
    QCOMPARE(ack->uid, QStringLiteral("u"));
    QCOMPARE(ack->resourceVersion, 7ull);
    QCOMPARE(ack->operation, op::Insert);
    QCOMPARE(ack->msgId, m.id());
    QCOMPARE(ack->roundTripMs, 50);
    QCOMPARE(ack->sinceEnqueueMs, 250);
    QVERIFY(!ack->superseded);
    QCOMPARE(q.depth(), 0);
    QCOMPARE(q.inFlight(), 0);
    QCOMPARE(q.ackedVersion(QStringLiteral("u")), 7ull);
    QVERIFY(!q.ack(m.id(), 400)); // a duplicate ack settles nothing
    QCOMPARE(q.enqueue(change(QStringLiteral("u"), op::Update, 7)), EnqueueResult::DroppedOlder);
    QCOMPARE(q.enqueue(change(QStringLiteral("u"), op::Update, 8)), EnqueueResult::Queued);
}

void TestNodeQueue::deleteAckDropsRecord()
{
    NodeQueue q;
    q.setAcked(QStringLiteral("u"), 5);
    q.enqueue(change(QStringLiteral("u"), op::Delete, 6));
    const auto ack = q.ack(q.takeDue(0).first().id(), 1);
    QVERIFY(ack);
    QCOMPARE(ack->operation, op::Delete);
    QVERIFY(!q.ackedVersions().contains(QStringLiteral("u")));
}

void TestNodeQueue::staleAckRecordsOlderVersion()
{
    NodeQueue q;
    q.enqueue(change(QStringLiteral("u"), op::Insert, 1));
    const QString oldId = q.takeDue(0).first().id();
    QCOMPARE(q.inFlight(), 1);
    QCOMPARE(q.enqueue(change(QStringLiteral("u"), op::Update, 2)), EnqueueResult::Replaced);
    QCOMPARE(q.inFlight(), 0);

    const auto stale = q.ack(oldId, 10);
    QVERIFY(stale);
    QVERIFY(stale->superseded);
    QCOMPARE(stale->resourceVersion, 1ull);
    QCOMPARE(q.ackedVersion(QStringLiteral("u")), 1ull);
    QCOMPARE(q.depth(), 1);
    QCOMPARE(q.entry(QStringLiteral("u"))->resourceVersion, 2ull);

    const QList<Message> out = q.takeDue(20);
    QCOMPARE(versions(out), QStringList{QStringLiteral("u@2")});
    QVERIFY(out.first().id() != oldId);
    const auto fresh = q.ack(out.first().id(), 30);
    QVERIFY(fresh && !fresh->superseded);
    QCOMPARE(q.ackedVersion(QStringLiteral("u")), 2ull);
    QCOMPARE(q.depth(), 0);
}

void TestNodeQueue::unknownAckIsCounted()
{
    NodeQueue q;
    q.enqueue(change(QStringLiteral("u"), op::Insert, 1));
    q.takeDue(0);
    QVERIFY(!q.ack(QStringLiteral("not-a-msg-id"), 1));
    QCOMPARE(q.unknownAcks(), 1ull);
    QCOMPARE(q.depth(), 1);
    QCOMPARE(q.inFlight(), 1);
}

void TestNodeQueue::connectionLostRequeuesInOrder()
{
    NodeQueueConfig cfg;
    cfg.window = 2;
    NodeQueue q(cfg);
    for (int i = 0; i < 3; ++i)
        q.enqueue(change(QString::number(i), op::Insert, quint64(i + 1)));
    const QList<Message> before = q.takeDue(0);
    QCOMPARE(before.size(), 2);
    q.takeDue(5000); // one retry each
    q.connectionLost();
    QCOMPARE(q.inFlight(), 0);
    QCOMPARE(q.depth(), 3);
    QCOMPARE(q.entry(QStringLiteral("0"))->state, EntryState::Pending);

    const QList<Message> after = q.takeDue(6000);
    QCOMPARE(ids(after), ids(before));
    QCOMPARE(q.entry(QStringLiteral("0"))->roundWrites, 1);
    QCOMPARE(q.entry(QStringLiteral("0"))->writes, 3);
    QCOMPARE(q.nextWakeMs(6000), 11000);
}

void TestNodeQueue::noAckIsBoundedAndWrittenOnce()
{
    NodeQueueConfig cfg;
    cfg.noAckLimit = 3;
    NodeQueue q(cfg);
    for (int i = 0; i < 5; ++i) {
        Message m = Message::create(QStringLiteral("devicecontroller"), QStringLiteral("twin"), op::Update,
                                    QStringLiteral("membership"));
        m.setContentString(QString::number(i));
        QCOMPARE(q.enqueueNoAck(m), i < 3);
    }
    QCOMPARE(q.noAckDropped(), 2ull);
    QCOMPARE(q.noAckDepth(), 3);
    QCOMPARE(q.nextWakeMs(0), 0);
    const QList<Message> out = q.takeDue(0);
    QStringList contents;
    for (const Message &m : out)
        contents << m.contentText();
    QCOMPARE(contents, (QStringList{QStringLiteral("2"), QStringLiteral("3"), QStringLiteral("4")}));
    QCOMPARE(q.noAckDepth(), 0);
    QVERIFY(q.takeDue(10000).isEmpty());
    QCOMPARE(q.depth(), 0);
}

void TestNodeQueue::noAckClassification_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("operation");
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<bool>("noAck");

    const QString ec = QStringLiteral("edgecontroller");
    const QString res = QStringLiteral("resource");
    QTest::newRow("pod insert") << ec << res << op::Insert << QStringLiteral("default/pod/p")
                                << QByteArray("{}") << false;
    QTest::newRow("configmap update")
        << ec << res << op::Update << QStringLiteral("node/n1/default/configmap/c") << QByteArray("{}")
        << false;
    QTest::newRow("node update") << ec << res << op::Update << QStringLiteral("null/node/n1")
                                 << QByteArray("{}") << false;
    QTest::newRow("node insert") << ec << res << op::Insert << QStringLiteral("null/node/n1")
                                 << QByteArray("{}") << true;
    QTest::newRow("podlist") << ec << res << op::Update << QStringLiteral("default/podlist/x")
                             << QByteArray("[]") << true;
    QTest::newRow("membership") << QStringLiteral("devicecontroller") << QStringLiteral("twin") << op::Update
                                << QStringLiteral("membership") << QByteArray("{}") << true;
    QTest::newRow("user group") << QStringLiteral("router_eventbus") << QStringLiteral("user")
                                << QStringLiteral("publish") << QStringLiteral("a/b") << QByteArray("\"x\"")
                                << true;
    QTest::newRow("lease") << ec << res << op::Update << QStringLiteral("default/lease/n1")
                           << QByteArray("{}") << true;
    QTest::newRow("response OK") << ec << res << op::Response << QStringLiteral("default/configmap/c")
                                 << QByteArray("\"OK\"") << true;
    QTest::newRow("query response") << ec << res << op::Response << QStringLiteral("default/configmap/c")
                                    << QByteArray("{\"kind\":\"ConfigMap\"}") << false;
    QTest::newRow("task op") << QStringLiteral("taskmanager") << res << QStringLiteral("upgrade")
                             << QStringLiteral("x") << QByteArray("{}") << true;
    QTest::newRow("device") << QStringLiteral("devicecontroller") << res << op::Update
                            << QStringLiteral("default/device/d") << QByteArray("{}") << false;
}

void TestNodeQueue::noAckClassification()
{
    QFETCH(QString, source);
    QFETCH(QString, group);
    QFETCH(QString, operation);
    QFETCH(QString, resource);
    QFETCH(QByteArray, content);
    QFETCH(bool, noAck);
    const Message m = Message::create(source, group, operation, resource, content);
    QCOMPARE(isNoAckMessage(m), noAck);
}

QTEST_GUILESS_MAIN(TestNodeQueue)
#include "tst_nodequeue.moc"
