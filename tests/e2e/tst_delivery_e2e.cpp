// Cloud -> edge delivery end to end: the real cloudhub binary, the admin API and protocol-level test
// edges. Wire form, retries, acks, dedup, delete, a kill -9 of the hub mid-stream, slow vs fast nodes
// and queries answered from the hub's store.
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testedge.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

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

QString uidOf(const QJsonObject &o)
{
    return o.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("uid")).toString();
}

QString rvOf(const QJsonObject &o)
{
    return o.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("resourceVersion")).toString();
}

/// Acks every object message an edge receives (polling its received list), like a MetaManager.
class AutoAcker : public QObject
{
public:
    explicit AutoAcker(TestEdge *edge) : m_edge(edge)
    {
        connect(&m_timer, &QTimer::timeout, this, [this] {
            const QList<Message> &all = m_edge->received();
            for (; m_seen < all.size(); ++m_seen) {
                const Message &m = all.at(m_seen);
                if (m.group() == QLatin1String("resource") && m.operation() != op::Response)
                    m_edge->ack(m);
            }
        });
        m_timer.start(2);
    }

private:
    TestEdge *m_edge;
    qsizetype m_seen = 0;
    QTimer m_timer;
};

} // namespace

class TestDeliveryE2e : public QObject
{
    Q_OBJECT

private slots:
    void wireFormAndRetryThenAck();
    void newerVersionSupersedesUnsent();
    void deleteWins();
    void killMidStreamLosesNothing();
    void slowNodeDoesNotDelayFastNode();
    void queryAnswered();

private:
    std::unique_ptr<HubProcess> startHub(const QStringList &extra = {}, const QString &dataDir = {});
    std::unique_ptr<TestEdge> edgeFor(HubProcess &hub, const QString &node);
    static AdminClient admin(HubProcess &hub);
    static int queueDepth(AdminClient &api, const QString &node);
};

std::unique_ptr<HubProcess> TestDeliveryE2e::startHub(const QStringList &extra, const QString &dataDir)
{
    auto hub = std::make_unique<HubProcess>(QStringList{QStringLiteral("--retry-interval"), QStringLiteral("1")} + extra,
                                            dataDir);
    if (!hub->start()) {
        qWarning().noquote() << hub->output();
        return nullptr;
    }
    return hub;
}

std::unique_ptr<TestEdge> TestDeliveryE2e::edgeFor(HubProcess &hub, const QString &node)
{
    auto edge = std::make_unique<TestEdge>(node);
    if (Status s = edge->bootstrap(hub.bootstrapUrl(), hub.joinToken()); !s) {
        qWarning() << "bootstrap:" << s.errorMessage();
        return nullptr;
    }
    if (!edge->connectTo(hub.webSocketPort()))
        return nullptr;
    edge->keepAliveEvery(1000);
    return edge;
}

AdminClient TestDeliveryE2e::admin(HubProcess &hub)
{
    return AdminClient(hub.adminUrl(), hub.dataDir() + QStringLiteral("/pki/ca.crt"), hub.adminToken());
}

int TestDeliveryE2e::queueDepth(AdminClient &api, const QString &node)
{
    return api.get(QStringLiteral("/api/v1/nodes/%1/queue").arg(node)).json().value(QStringLiteral("depth")).toInt(-1);
}

void TestDeliveryE2e::wireFormAndRetryThenAck()
{
    auto hub = startHub();
    QVERIFY(hub);
    AdminClient api = admin(*hub);
    auto edge = edgeFor(*hub, QStringLiteral("wire-1"));
    QVERIFY(edge);
    const AdminReply put =
        api.put(QStringLiteral("/api/v1/nodes/wire-1/resources/default/configmap/app"), configMap(QStringLiteral("app"), QStringLiteral("v1")));
    QCOMPARE(put.status, 201);
    const QJsonObject stored = put.json();

    const auto first = edge->waitForMessage([](const Message &m) { return m.resource() == QLatin1String("default/configmap/app"); });
    QVERIFY(first);
    // KubeEdge cloudcore's form (PROTOCOL.md §4): what a real edgecore's MetaManager accepts.
    static const QRegularExpression uuid(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
    QVERIFY2(uuid.match(first->id()).hasMatch(), qPrintable(first->id()));
    QVERIFY(first->parentId().isEmpty());
    QCOMPARE(first->source(), QStringLiteral("edgecontroller"));
    QCOMPARE(first->group(), QStringLiteral("resource"));
    QCOMPARE(first->operation(), QStringLiteral("insert"));
    QCOMPARE(first->resource(), QStringLiteral("default/configmap/app")); // no node/<id>/ prefix on the wire
    QCOMPARE(first->resourceVersion(), rvOf(stored));
    QVERIFY(first->header().timestamp > 0);
    QVERIFY(!first->header().sync);
    const QJsonObject content = first->content().toObject();
    QCOMPARE(content, stored);
    QCOMPARE(content.value(QStringLiteral("kind")).toString(), QStringLiteral("ConfigMap"));
    QCOMPARE(content.value(QStringLiteral("apiVersion")).toString(), QStringLiteral("v1"));
    QCOMPARE(uidOf(content), uidOf(stored));

    // No ack: the same msg_id again after the retry interval (1 s here).
    const QString id = first->id();
    const auto copies = [&] {
        int n = 0;
        for (const Message &m : edge->received())
            n += m.id() == id ? 1 : 0;
        return n;
    };
    QTRY_VERIFY_WITH_TIMEOUT(copies() >= 2, 4000);
    const auto rewrite = edge->waitForMessage([&](const Message &m) { return m.id() == id; });
    QCOMPARE(rewrite->rawContent(), first->rawContent());
    QCOMPARE(rewrite->resourceVersion(), first->resourceVersion());
    const QJsonObject q = api.get(QStringLiteral("/api/v1/nodes/wire-1/queue")).json();
    QCOMPARE(q.value(QStringLiteral("inFlight")).toInt(), 1);
    QVERIFY(q.value(QStringLiteral("entries")).toArray().at(0).toObject().value(QStringLiteral("attempts")).toInt() >= 2);

    // Ack: recorded, the queue is empty, the ack counted.
    edge->ack(*first);
    QTRY_COMPARE(queueDepth(api, QStringLiteral("wire-1")), 0);
    QTRY_COMPARE(api.get(QStringLiteral("/api/v1/nodes/wire-1")).json().value(QStringLiteral("acked")).toInt(), 1);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("wire"));
    db.setDatabaseName(hub->dataDir() + QStringLiteral("/cloudhub.db"));
    QVERIFY(db.open());
    QSqlQuery sync(db);
    bool recorded = false;
    for (int i = 0; i < 50 && !recorded; ++i) {
        QVERIFY(sync.exec(QStringLiteral("SELECT rv FROM delivery_sync WHERE node = 'wire-1'")));
        recorded = sync.next() && sync.value(0).toString() == rvOf(stored);
        if (!recorded)
            QTest::qWait(20);
    }
    QVERIFY(recorded);
    sync = QSqlQuery();
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("wire"));
    QCOMPARE(hub->stop(), 0);
}

void TestDeliveryE2e::newerVersionSupersedesUnsent()
{
    auto hub = startHub();
    QVERIFY(hub);
    AdminClient api = admin(*hub);
    const QString path = QStringLiteral("/api/v1/nodes/dedup-1/resources/default/configmap/cfg");
    QCOMPARE(api.put(path, configMap(QStringLiteral("cfg"), QStringLiteral("v1"))).status, 201);
    QCOMPARE(api.put(path, configMap(QStringLiteral("cfg"), QStringLiteral("v2"))).status, 200);
    const AdminReply v3 = api.put(path, configMap(QStringLiteral("cfg"), QStringLiteral("v3")));
    QCOMPARE(v3.status, 200);
    QCOMPARE(queueDepth(api, QStringLiteral("dedup-1")), 1);

    auto edge = edgeFor(*hub, QStringLiteral("dedup-1"));
    QVERIFY(edge);
    const auto m = edge->waitForMessage([](const Message &m) { return m.resource() == QLatin1String("default/configmap/cfg"); });
    QVERIFY(m);
    QCOMPARE(m->resourceVersion(), rvOf(v3.json()));
    QCOMPARE(m->content().toObject().value(QStringLiteral("data")).toObject().value(QStringLiteral("k")).toString(), QStringLiteral("v3"));
    edge->ack(*m);
    QTRY_COMPARE(queueDepth(api, QStringLiteral("dedup-1")), 0);
    // Only the newest version was ever written.
    QSet<QString> versions;
    for (const Message &r : edge->received())
        if (r.resource() == QLatin1String("default/configmap/cfg"))
            versions.insert(r.resourceVersion());
    QCOMPARE(versions, QSet<QString>{rvOf(v3.json())});
    QCOMPARE(hub->stop(), 0);
}

void TestDeliveryE2e::deleteWins()
{
    auto hub = startHub();
    QVERIFY(hub);
    AdminClient api = admin(*hub);
    const QString path = QStringLiteral("/api/v1/nodes/del-1/resources/default/configmap/gone");
    const AdminReply put = api.put(path, configMap(QStringLiteral("gone"), QStringLiteral("v1")));
    QCOMPARE(put.status, 201);
    QCOMPARE(api.put(path, configMap(QStringLiteral("gone"), QStringLiteral("v2"))).status, 200);
    const AdminReply del = api.del(path);
    QCOMPARE(del.status, 200);
    QCOMPARE(queueDepth(api, QStringLiteral("del-1")), 1);

    auto edge = edgeFor(*hub, QStringLiteral("del-1"));
    QVERIFY(edge);
    const auto m = edge->waitForMessage([](const Message &m) { return m.resource() == QLatin1String("default/configmap/gone"); });
    QVERIFY(m);
    QCOMPARE(m->operation(), QStringLiteral("delete"));
    QCOMPARE(m->resourceVersion(), del.json().value(QStringLiteral("resourceVersion")).toString());
    QCOMPARE(uidOf(m->content().toObject()), uidOf(put.json()));
    edge->ack(*m);
    QTRY_COMPARE(queueDepth(api, QStringLiteral("del-1")), 0);
    for (const Message &r : edge->received())
        QVERIFY(r.resource() != QLatin1String("default/configmap/gone") || r.operation() == QLatin1String("delete"));
    // The name is free again: a new object, with a new uid.
    const AdminReply again = api.put(path, configMap(QStringLiteral("gone"), QStringLiteral("v3")));
    QCOMPARE(again.status, 201);
    QVERIFY(uidOf(again.json()) != uidOf(put.json()));
    QCOMPARE(hub->stop(), 0);
}

void TestDeliveryE2e::killMidStreamLosesNothing()
{
    constexpr int Total = 1000;
    constexpr int BeforeKill = 500;
    auto hub = startHub();
    QVERIFY(hub);
    const QString dataDir = hub->dataDir();
    auto edge = edgeFor(*hub, QStringLiteral("crash-1"));
    QVERIFY(edge);
    auto acker = std::make_unique<AutoAcker>(edge.get());
    QHash<QString, QString> accepted; // uid -> rv
    {
        AdminClient api = admin(*hub);
        for (int i = 0; i < BeforeKill; ++i) {
            const AdminReply r = api.put(QStringLiteral("/api/v1/nodes/crash-1/resources/default/configmap/c%1").arg(i),
                                         configMap(QStringLiteral("c%1").arg(i), QString::number(i)));
            QCOMPARE(r.status, 201);
            accepted.insert(uidOf(r.json()), rvOf(r.json()));
        }
    }
    hub->kill();
    QVERIFY(edge->waitForDisconnected(5000));
    acker.reset();
    const QList<Message> firstLife = edge->received(); // connectTo() starts a new list

    // What the hub had recorded as acked when it died.
    QHash<QString, QString> recorded;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("crash"));
        db.setDatabaseName(dataDir + QStringLiteral("/cloudhub.db"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("SELECT uid, rv FROM delivery_sync WHERE node = 'crash-1'")));
        while (q.next())
            recorded.insert(q.value(0).toString(), q.value(1).toString());
    }
    QSqlDatabase::removeDatabase(QStringLiteral("crash"));
    qInfo() << "at the kill:" << recorded.size() << "of" << accepted.size() << "recorded as acked," << firstLife.size()
            << "messages received";

    // The first fixture owns the temporary data dir: it stays until the end.
    auto crashed = std::move(hub);
    hub = startHub({}, dataDir);
    QVERIFY(hub);
    QVERIFY(edge->connectTo(hub->webSocketPort()));
    acker = std::make_unique<AutoAcker>(edge.get());
    AdminClient api = admin(*hub);
    for (int i = BeforeKill; i < Total; ++i) {
        const AdminReply r = api.put(QStringLiteral("/api/v1/nodes/crash-1/resources/default/configmap/c%1").arg(i),
                                     configMap(QStringLiteral("c%1").arg(i), QString::number(i)));
        QVERIFY2(r.status == 201, qPrintable(QString::number(r.status) + u' ' + r.networkError + u' ' + hub->output().right(2000)));
        accepted.insert(uidOf(r.json()), rvOf(r.json()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(queueDepth(api, QStringLiteral("crash-1")), 0, 20000);

    QSet<QString> afterRestart;
    for (const Message &m : edge->received())
        if (m.group() == QLatin1String("resource"))
            afterRestart.insert(uidOf(m.content().toObject()));
    QSet<QString> everReceived = afterRestart;
    for (const Message &m : firstLife)
        if (m.group() == QLatin1String("resource"))
            everReceived.insert(uidOf(m.content().toObject()));
    QCOMPARE(accepted.size(), Total);
    for (auto it = accepted.cbegin(); it != accepted.cend(); ++it) {
        QVERIFY2(everReceived.contains(it.key()), "an accepted object never reached the edge");
        if (recorded.value(it.key()) == it.value())
            QVERIFY2(!afterRestart.contains(it.key()), "an object recorded as acked was sent again");
        else
            QVERIFY2(afterRestart.contains(it.key()), "an unacked object was not sent after the restart");
    }
    QCOMPARE(hub->stop(), 0);
}

void TestDeliveryE2e::slowNodeDoesNotDelayFastNode()
{
    constexpr int Objects = 60;
    auto hub = startHub({QStringLiteral("--window"), QStringLiteral("10")});
    QVERIFY(hub);
    AdminClient api = admin(*hub);
    auto slow = edgeFor(*hub, QStringLiteral("slow-1"));
    auto fast = edgeFor(*hub, QStringLiteral("fast-1"));
    QVERIFY(slow && fast);
    AutoAcker acker(fast.get()); // the slow edge never acks
    for (int i = 0; i < Objects; ++i)
        QCOMPARE(api.put(QStringLiteral("/api/v1/resources/default/configmap/s%1?nodes=slow-1,fast-1").arg(i),
                         configMap(QStringLiteral("s%1").arg(i), QStringLiteral("v"))).status,
                 201);
    QTRY_COMPARE_WITH_TIMEOUT(queueDepth(api, QStringLiteral("fast-1")), 0, 10000);
    QSet<QString> fastGot;
    for (const Message &m : fast->received())
        fastGot.insert(m.resource());
    QCOMPARE(fastGot.size(), Objects);
    // The slow node holds a full window and keeps the rest queued.
    const QJsonObject q = api.get(QStringLiteral("/api/v1/nodes/slow-1/queue")).json();
    QCOMPARE(q.value(QStringLiteral("depth")).toInt(), Objects);
    QCOMPARE(q.value(QStringLiteral("inFlight")).toInt(), 10);
    QSet<QString> slowGot;
    for (const Message &m : slow->received())
        slowGot.insert(m.resource());
    QCOMPARE(slowGot.size(), 10);
    QCOMPARE(hub->stop(), 0);
}

void TestDeliveryE2e::queryAnswered()
{
    auto hub = startHub();
    QVERIFY(hub);
    AdminClient api = admin(*hub);
    auto edge = edgeFor(*hub, QStringLiteral("query-1"));
    QVERIFY(edge);
    const AdminReply put = api.put(QStringLiteral("/api/v1/nodes/query-1/resources/default/configmap/q"),
                                   configMap(QStringLiteral("q"), QStringLiteral("v")));
    QCOMPARE(put.status, 201);
    const auto insert = edge->waitForMessage([](const Message &m) { return m.operation() == QLatin1String("insert"); });
    QVERIFY(insert);
    edge->ack(*insert);
    QTRY_COMPARE(queueDepth(api, QStringLiteral("query-1")), 0);

    const Message query = Message::create(QStringLiteral("metaManager"), QStringLiteral("meta"), op::Query,
                                          QStringLiteral("default/configmap/q"));
    edge->send(query);
    const auto answer = edge->waitForMessage([&](const Message &m) { return m.parentId() == query.id(); });
    QVERIFY(answer);
    QCOMPARE(answer->operation(), QStringLiteral("response"));
    QCOMPARE(answer->source(), QStringLiteral("edgecontroller"));
    QCOMPARE(answer->group(), QStringLiteral("resource"));
    QCOMPARE(answer->resource(), QStringLiteral("default/configmap/q"));
    QCOMPARE(answer->resourceVersion(), rvOf(put.json()));
    QCOMPARE(answer->content().toObject(), put.json());
    // The answer is ack-required: it waits in the queue until the edge acks it.
    QCOMPARE(queueDepth(api, QStringLiteral("query-1")), 1);
    edge->ack(*answer);
    QTRY_COMPARE(queueDepth(api, QStringLiteral("query-1")), 0);

    // A query for something the hub does not hold is answered with an error text, no ack needed.
    const Message missing = Message::create(QStringLiteral("metaManager"), QStringLiteral("meta"), op::Query,
                                            QStringLiteral("default/secret/none"));
    edge->send(missing);
    const auto error = edge->waitForMessage([&](const Message &m) { return m.parentId() == missing.id(); });
    QVERIFY(error);
    QCOMPARE(error->operation(), QStringLiteral("response"));
    QVERIFY(error->contentText().contains(QStringLiteral("not found")));
    QCOMPARE(queueDepth(api, QStringLiteral("query-1")), 0);
    QCOMPARE(hub->stop(), 0);
}

QTEST_GUILESS_MAIN(TestDeliveryE2e)
#include "tst_delivery_e2e.moc"
