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
    QCOMPARE(snap->queue.size(), 0);
    QCOMPARE(snap->sync.size(), 1); // the delete's record went with it
}

QTEST_GUILESS_MAIN(TestDeliveryStore)
#include "tst_deliverystore.moc"
