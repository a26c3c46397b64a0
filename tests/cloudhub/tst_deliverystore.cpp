#include "cloudhub/deliverystore.h"
#include "cloudhub/dispatcher.h"
#include "shared/storage.h"
#include "tests/support/enginedatabases.h"

#include <QSignalSpy>
#include <QTemporaryDir>
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

quint64 rvOf(const QJsonObject &o)
{
    return o.value(QLatin1String("metadata"))
        .toObject()
        .value(QLatin1String("resourceVersion"))
        .toString()
        .toULongLong();
}

QString uidOf(const QJsonObject &o)
{
    return o.value(QLatin1String("metadata")).toObject().value(QLatin1String("uid")).toString();
}

/// What a queue holds, in a comparable form.
QStringList describe(const NodeQueue *q)
{
    QStringList out;
    if (!q)
        return out;
    for (const QueueEntry &e : q->entries())
        out << QStringLiteral("%1 %2 %3 %4 %5 %6")
                   .arg(e.uid, e.operation, QString::number(e.resourceVersion), e.msgId, e.resource,
                        QString::fromUtf8(e.object));
    return out;
}

QStringList describeAcked(const NodeQueue *q)
{
    QStringList out;
    if (!q)
        return out;
    for (auto it = q->ackedVersions().cbegin(); it != q->ackedVersions().cend(); ++it)
        out << it.key() + QLatin1Char('=') + QString::number(it.value());
    out.sort();
    return out;
}

/// Writes to a node and lets the test ack what it wants.
struct Edge
{
    QList<Message> written;
    Dispatcher::WriteFn writer()
    {
        return [this](const Message &m) {
            written.append(m);
            return true;
        };
    }
};

} // namespace

// Each test runs on a fresh SQLite file and on the fixture's PostgreSQL with an emptied schema;
// "reopen" means a new Database and a new Dispatcher on the same data.
class TestDeliveryStore : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void queuesSurviveReopen_data() { test::EngineDatabases::addEngineRows(); }
    void queuesSurviveReopen();
    void ackedEntryNotReloaded_data() { test::EngineDatabases::addEngineRows(); }
    void ackedEntryNotReloaded();
    void versionStrictlyIncreasing_data() { test::EngineDatabases::addEngineRows(); }
    void versionStrictlyIncreasing();
    void deleteTombstonePurgedAfterAck_data() { test::EngineDatabases::addEngineRows(); }
    void deleteTombstonePurgedAfterAck();
    void repeatedKeyInOneAckBatch_data() { test::EngineDatabases::addEngineRows(); }
    void repeatedKeyInOneAckBatch();
    void changeKeptUntilEveryNodeAcked_data() { test::EngineDatabases::addEngineRows(); }
    void changeKeptUntilEveryNodeAcked();
    void upgradesStepOneStore_data() { test::EngineDatabases::addEngineRows(); }
    void upgradesStepOneStore();

private:
    test::EngineDatabases m_dbs{QStringLiteral("tds")};
};

void TestDeliveryStore::initTestCase()
{
    QVERIFY(m_dbs.tempDirValid());
    m_dbs.start();
}

void TestDeliveryStore::cleanupTestCase()
{
    m_dbs.stop();
}

#define OPEN_DISPATCHER(d, db)                                                                               \
    auto d = std::make_unique<Dispatcher>();                                                                 \
    {                                                                                                        \
        const Status st = d->open(db.get());                                                                 \
        QVERIFY2(st, qPrintable(st.errorMessage()));                                                         \
    }

void TestDeliveryStore::queuesSurviveReopen()
{
    const QStringList nodes{QStringLiteral("n1"), QStringLiteral("n2")};
    QStringList before1, before2;
    {
        QEDGE_OPEN_DB(m_dbs, db, true);
        OPEN_DISPATCHER(d, db);
        for (int i = 0; i < 5; ++i)
            QVERIFY(d->apply(nodes, configMap(QStringLiteral("c%1").arg(i))));
        QVERIFY(d->apply({nodes.first()}, configMap(QStringLiteral("c1"), QStringLiteral("newer"))));
        QVERIFY(d->apply({QStringLiteral("n2")}, configMap(QStringLiteral("only2"))));
        QVERIFY(
            d->remove({QStringLiteral("n2")}, QString(), QStringLiteral("configmap"), QStringLiteral("c3")));
        before1 = describe(d->queue(QStringLiteral("n1")));
        before2 = describe(d->queue(QStringLiteral("n2")));
        QCOMPARE(before1.size(), 5);
        QCOMPARE(before2.size(), 6);
    }
    QEDGE_OPEN_DB(m_dbs, db, false);
    OPEN_DISPATCHER(d, db);
    QCOMPARE(describe(d->queue(QStringLiteral("n1"))), before1);
    QCOMPARE(describe(d->queue(QStringLiteral("n2"))), before2);
    QCOMPARE(d->list(QStringLiteral("n1")).size(), 5);
    QCOMPARE(d->list(QStringLiteral("n2")).size(), 5); // c3 is being removed there
    QVERIFY(!d->get(QStringLiteral("n2"), QString(), QStringLiteral("configmap"), QStringLiteral("c3")));
}

void TestDeliveryStore::repeatedKeyInOneAckBatch()
{
    QEDGE_OPEN_DB(m_dbs, db, true);
    DeliveryStore store(*db);
    QVERIFY(store.migrate());
    const auto ack = [](const char *node, const char *msgId, quint64 rv) {
        return AckRecord{QString::fromLatin1(node),
                         QStringLiteral("u1"),
                         QString::fromLatin1(msgId),
                         op::Update,
                         rv,
                         false};
    };
    // An update acked right after the one it replaced: one batch names (n1, u1) twice (a multi-row
    // upsert would be refused by PostgreSQL); the newer version must win.
    Status s = store.recordAcks({ack("n1", "m1", 5), ack("n2", "m2", 6), ack("n1", "m3", 7)});
    QVERIFY2(s, qPrintable(s.errorMessage()));
    s = store.recordAcks({ack("n1", "m4", 6), ack("n3", "m5", 2)}); // older for n1: kept at 7
    QVERIFY2(s, qPrintable(s.errorMessage()));
    const auto snap = store.load();
    QVERIFY2(snap, qPrintable(snap.errorMessage()));
    QStringList sync;
    for (const SyncRow &r : snap->sync)
        sync << r.node + QLatin1Char('/') + r.uid + QLatin1Char('=') + QString::number(r.resourceVersion);
    sync.sort();
    QCOMPARE(sync,
             (QStringList{QStringLiteral("n1/u1=7"), QStringLiteral("n2/u1=6"), QStringLiteral("n3/u1=2")}));
}

void TestDeliveryStore::ackedEntryNotReloaded()
{
    const QString node = QStringLiteral("n1");
    QString uid0;
    quint64 rv0 = 0;
    QStringList pending, acked;
    {
        QEDGE_OPEN_DB(m_dbs, db, true);
        OPEN_DISPATCHER(d, db);
        const auto first = d->apply({node}, configMap(QStringLiteral("a")));
        QVERIFY(first);
        uid0 = uidOf(first.value());
        rv0 = rvOf(first.value());
        QVERIFY(d->apply({node}, configMap(QStringLiteral("b"))));
        Edge e;
        d->nodeConnected(node, e.writer());
        QTRY_COMPARE(e.written.size(), 2);
        d->handleAck(node, Message::responseTo(e.written.at(0), QStringLiteral("OK")));
        d->flushAcks();
        QCOMPARE(d->counters().acksPersisted, 1ull);
        pending = describe(d->queue(node));
        acked = describeAcked(d->queue(node));
        QCOMPARE(pending.size(), 1);
        QCOMPARE(acked, QStringList{uid0 + QLatin1Char('=') + QString::number(rv0)});
    }
    QEDGE_OPEN_DB(m_dbs, db, false);
    OPEN_DISPATCHER(d, db);
    const NodeQueue *q = d->queue(node);
    QVERIFY(q);
    QCOMPARE(describe(q), pending);
    QCOMPARE(describeAcked(q), acked);
    // A change not newer than the sync record is not queued after the reload.
    QCOMPARE(q->classify(uid0, op::Update, rv0), EnqueueResult::DroppedOlder);
    QCOMPARE(q->classify(uid0, op::Update, rv0 - 1), EnqueueResult::DroppedOlder);
    QCOMPARE(q->classify(uid0, op::Update, rv0 + 100), EnqueueResult::Queued);

    // The unacked one is written again with its original msg_id.
    Edge e;
    d->nodeConnected(node, e.writer());
    QTRY_COMPARE(e.written.size(), 1);
    QVERIFY(pending.first().contains(e.written.first().id()));
}

void TestDeliveryStore::versionStrictlyIncreasing()
{
    quint64 last = 0;
    {
        QEDGE_OPEN_DB(m_dbs, db, true);
        OPEN_DISPATCHER(d, db);
        for (int i = 0; i < 1000; ++i) {
            const auto r = d->apply({QStringLiteral("n")},
                                    configMap(QStringLiteral("c%1").arg(i % 10), QString::number(i)));
            QVERIFY2(r, qPrintable(r.errorMessage()));
            const quint64 rv = rvOf(r.value());
            QVERIFY2(rv > last, qPrintable(QStringLiteral("%1 after %2").arg(rv).arg(last)));
            last = rv;
        }
        QCOMPARE(d->queue(QStringLiteral("n"))->depth(), 10);
    }
    QEDGE_OPEN_DB(m_dbs, db, false);
    OPEN_DISPATCHER(d, db);
    const auto r = d->apply({QStringLiteral("n")}, configMap(QStringLiteral("after")));
    QVERIFY(r);
    QVERIFY(rvOf(r.value()) > last);
    DeliveryStore store(*db);
    const auto v = store.lastVersion();
    QVERIFY(v);
    QCOMPARE(v.value(), rvOf(r.value()));
}

void TestDeliveryStore::deleteTombstonePurgedAfterAck()
{
    const QString node = QStringLiteral("n1");
    {
        QEDGE_OPEN_DB(m_dbs, db, true);
        OPEN_DISPATCHER(d, db);
        QVERIFY(d->apply({node}, configMap(QStringLiteral("gone"))));
        QVERIFY(d->apply({node}, configMap(QStringLiteral("kept"))));
        QVERIFY(d->remove({}, QString(), QStringLiteral("configmap"), QStringLiteral("gone")));
        Edge e;
        d->nodeConnected(node, e.writer());
        QTRY_COMPARE(e.written.size(), 2);
        for (const Message &m : e.written)
            d->handleAck(node, Message::responseTo(m, QStringLiteral("OK")));
        d->flushAcks();
        QCOMPARE(d->resources().size(), 1);
    }
    QEDGE_OPEN_DB(m_dbs, db, false);
    DeliveryStore store(*db);
    const auto snap = store.load();
    QVERIFY2(snap, qPrintable(snap.errorMessage()));
    QCOMPARE(snap->resources.size(), 1);
    QCOMPARE(snap->resources.first().name, QStringLiteral("kept"));
    QCOMPARE(snap->changes.size(), 0); // every change was acked: none is kept
    QCOMPARE(snap->sync.size(), 1); // the delete's record went with it
}

void TestDeliveryStore::changeKeptUntilEveryNodeAcked()
{
    const QStringList nodes{QStringLiteral("n1"), QStringLiteral("n2"), QStringLiteral("n3")};
    QStringList pending3;
    {
        QEDGE_OPEN_DB(m_dbs, db, true);
        OPEN_DISPATCHER(d, db);
        QVERIFY(d->apply(nodes, configMap(QStringLiteral("a"))));
        QVERIFY(d->apply(nodes, configMap(QStringLiteral("b"))));
        // n3 gets a newer "a" before anything is written: its entry keeps a's first position.
        QVERIFY(d->apply({QStringLiteral("n3")}, configMap(QStringLiteral("a"), QStringLiteral("newer"))));
        for (const QString &n : {QStringLiteral("n1"), QStringLiteral("n2")}) {
            Edge e;
            d->nodeConnected(n, e.writer());
            QTRY_COMPARE(e.written.size(), 2);
            for (const Message &m : e.written)
                d->handleAck(n, Message::responseTo(m, QStringLiteral("OK")));
            d->nodeDisconnected(n);
        }
        d->flushAcks();
        pending3 = describe(d->queue(QStringLiteral("n3")));
        QCOMPARE(pending3.size(), 2);
        QVERIFY(pending3.first().contains(QStringLiteral("newer")));
    }
    QEDGE_OPEN_DB(m_dbs, db, false);
    {
        DeliveryStore store(*db);
        const auto snap = store.load();
        QVERIFY2(snap, qPrintable(snap.errorMessage()));
        // Three changes, each still held by n3 (the first for its position, the third for its content).
        QCOMPARE(snap->changes.size(), 3);
    }
    OPEN_DISPATCHER(d, db);
    QCOMPARE(d->queue(QStringLiteral("n1"))->depth(), 0);
    QCOMPARE(d->queue(QStringLiteral("n2"))->depth(), 0);
    QCOMPARE(describe(d->queue(QStringLiteral("n3"))), pending3);

    // n3 acks both: every change row goes.
    Edge e;
    d->nodeConnected(QStringLiteral("n3"), e.writer());
    QTRY_COMPARE(e.written.size(), 2);
    for (const Message &m : e.written)
        d->handleAck(QStringLiteral("n3"), Message::responseTo(m, QStringLiteral("OK")));
    d->flushAcks();
    DeliveryStore store(*db);
    const auto snap = store.load();
    QVERIFY2(snap, qPrintable(snap.errorMessage()));
    QCOMPARE(snap->changes.size(), 0);
}

void TestDeliveryStore::upgradesStepOneStore()
{
    const QString uid1 = QStringLiteral("11111111-1111-1111-1111-111111111111");
    const QString uid2 = QStringLiteral("22222222-2222-2222-2222-222222222222");
    const auto object = [](const QString &name, const QString &uid, int rv) {
        return QStringLiteral("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%1\","
                              "\"namespace\":\"default\",\"resourceVersion\":\"%3\",\"uid\":\"%2\"}}")
            .arg(name, uid)
            .arg(rv)
            .toUtf8();
    };
    {
        // The schema's first step as it shipped, holding: "one" on n1 (queued) and n2 (acked), and the
        // tombstone of "two", whose delete n1 has not acked yet.
        QEDGE_OPEN_DB(m_dbs, db, true);
        const Status st = db->migrate(
            QStringLiteral("delivery"),
            {{QStringLiteral("CREATE TABLE delivery_version (id {{bigint}} PRIMARY KEY, value {{bigint}} NOT NULL)"),
              QStringLiteral("INSERT INTO delivery_version (id, value) VALUES (1, 5)"),
              QStringLiteral("CREATE TABLE delivery_resources (uid {{text}} PRIMARY KEY, namespace {{text}} NOT "
                             "NULL, type {{text}} NOT NULL, name {{text}} NOT NULL, rv {{bigint}} NOT NULL, "
                             "object {{blob}} NOT NULL, source {{text}} NOT NULL, deleted {{bool}} NOT NULL)"),
              QStringLiteral("CREATE INDEX delivery_resources_name ON delivery_resources (namespace, type, name)"),
              QStringLiteral("CREATE TABLE delivery_targets (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                             "delete_rv {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
              QStringLiteral("CREATE INDEX delivery_targets_uid ON delivery_targets (uid)"),
              QStringLiteral("CREATE TABLE delivery_queue (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                             "seq {{bigint}} NOT NULL, msg_id {{text}} NOT NULL, operation {{text}} NOT NULL, "
                             "rv {{bigint}} NOT NULL, enqueued_ms {{bigint}} NOT NULL, PRIMARY KEY (node, uid))"),
              QStringLiteral("CREATE TABLE delivery_sync (node {{text}} NOT NULL, uid {{text}} NOT NULL, "
                             "rv {{bigint}} NOT NULL, PRIMARY KEY (node, uid))")}});
        QVERIFY2(st, qPrintable(st.errorMessage()));
        const QString insertResource = QStringLiteral(
            "INSERT INTO delivery_resources (uid, namespace, type, name, rv, object, source, deleted) "
            "VALUES (?, 'default', 'configmap', ?, ?, ?, 'edgecontroller', ?)");
        QVERIFY(db->exec(insertResource, {uid1, QStringLiteral("one"), qint64(3), object(QStringLiteral("one"), uid1, 3), false}));
        QVERIFY(db->exec(insertResource, {uid2, QStringLiteral("two"), qint64(5), object(QStringLiteral("two"), uid2, 5), true}));
        const QString insertTarget =
            QStringLiteral("INSERT INTO delivery_targets (node, uid, delete_rv) VALUES (?, ?, ?)");
        QVERIFY(db->exec(insertTarget, {QStringLiteral("n1"), uid1, qint64(0)}));
        QVERIFY(db->exec(insertTarget, {QStringLiteral("n2"), uid1, qint64(0)}));
        QVERIFY(db->exec(insertTarget, {QStringLiteral("n1"), uid2, qint64(5)}));
        const QString insertQueue = QStringLiteral("INSERT INTO delivery_queue (node, uid, seq, msg_id, operation, "
                                                   "rv, enqueued_ms) VALUES (?, ?, ?, ?, ?, ?, 1000)");
        QVERIFY(db->exec(insertQueue, {QStringLiteral("n1"), uid1, qint64(1), QStringLiteral("m1"),
                                       QStringLiteral("insert"), qint64(3)}));
        QVERIFY(db->exec(insertQueue, {QStringLiteral("n1"), uid2, qint64(2), QStringLiteral("m2"),
                                       QStringLiteral("delete"), qint64(5)}));
        QVERIFY(db->exec(QStringLiteral("INSERT INTO delivery_sync (node, uid, rv) VALUES ('n2', ?, 3)"), {uid1}));
    }
    QEDGE_OPEN_DB(m_dbs, db, false);
    OPEN_DISPATCHER(d, db);
    QCOMPARE(db->schemaVersion(QStringLiteral("delivery")), 3);
    QStringList n1;
    for (const QueueEntry &e : d->queue(QStringLiteral("n1"))->entries())
        n1 << e.uid + QLatin1Char(' ') + e.operation + QLatin1Char(' ') + QString::number(e.resourceVersion);
    QCOMPARE(n1, (QStringList{uid1 + QStringLiteral(" insert 3"), uid2 + QStringLiteral(" delete 5")}));
    QCOMPARE(d->queue(QStringLiteral("n2"))->depth(), 0);
    QCOMPARE(d->list(QStringLiteral("n2")).size(), 1);
    QVERIFY(!d->get(QStringLiteral("n1"), QStringLiteral("default"), QStringLiteral("configmap"),
                    QStringLiteral("two")));
    // The next version continues from the stored counter.
    const auto r = d->apply({QStringLiteral("n2")}, configMap(QStringLiteral("three")));
    QVERIFY(r);
    QCOMPARE(rvOf(r.value()), 6ull);
}

QTEST_GUILESS_MAIN(TestDeliveryStore)
#include "tst_deliverystore.moc"
