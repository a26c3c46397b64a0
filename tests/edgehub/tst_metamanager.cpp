#include "edgehub/metamanager.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "shared/storage.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge;

namespace {
/// Stands where the link is: records what MetaManager sends to the cloud, answers remote queries.
class FakeCloud : public Module
{
    Q_OBJECT
public:
    FakeCloud() : Module(edge::LinkModule, edge::HubGroup) {}
    QList<Message> received;
    QJsonValue queryAnswer;

signals:
    void got();

protected:
    void handleMessage(const Message &m) override
    {
        received.append(m);
        if (m.operation() == op::Query) {
            Message answer = Message::responseTo(m, queryAnswer);
            answer.setSource(QStringLiteral("edgecontroller"));
            bus()->respond(answer);
        }
        emit got();
    }
};

Message object(const QString &op, const QString &name, const QString &rv, const QString &data)
{
    Message m = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"), op,
                                QStringLiteral("default/configmap/") + name);
    m.setResourceVersion(rv);
    QJsonObject o{{QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                  {QStringLiteral("metadata"),
                   QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("resourceVersion"), rv}}},
                  {QStringLiteral("data"), QJsonObject{{QStringLiteral("k"), data}}}};
    m.setContent(o);
    return m;
}
} // namespace

class TestMetaManager : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void usesEdgecoreSchema();
    void sequences_data();
    void sequences();
    void ackIsResponseToTheCloudMessage();
    void batchOfManyIsCommittedThenAcked();
    void offlineQueryAnswersFromSqlite_data();
    void offlineQueryAnswersFromSqlite();
    void onlineQueryGoesRemoteAndIsStored();
    void changesAreSignalled();

private:
    void apply(const QList<Message> &ms);
    QString valueOf(const QString &key);
    Result<Message> ask(const Message &query);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<MessageBus> m_bus;
    std::unique_ptr<ModuleHost> m_host;
    MetaManager *m_meta = nullptr;
    FakeCloud *m_cloud = nullptr;
    std::unique_ptr<Database> m_database;
    QSqlDatabase m_db;
};

void TestMetaManager::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    auto db = Database::open(m_dir->filePath(QStringLiteral("edgehub.db")), QStringLiteral("meta"));
    QVERIFY2(db.ok(), qPrintable(db.errorMessage()));
    m_database = std::move(db.value());
    m_db = m_database->connection();
    m_bus = std::make_unique<MessageBus>();
    m_host = std::make_unique<ModuleHost>(m_bus.get());
    m_meta = new MetaManager(m_db, MetaManager::Settings{});
    QVERIFY(m_meta->open());
    m_cloud = new FakeCloud;
    QVERIFY(m_host->add(m_cloud));
    QVERIFY(m_host->add(m_meta));
    m_host->startAll();
}

void TestMetaManager::cleanup()
{
    m_host.reset();
    m_bus.reset();
    m_db = QSqlDatabase();
    m_database.reset();
}

void TestMetaManager::apply(const QList<Message> &ms)
{
    const int before = int(m_cloud->received.size());
    for (const Message &m : ms)
        QVERIFY(m_bus->send(edge::MetaModule, m));
    QTRY_COMPARE(int(m_cloud->received.size()), before + int(ms.size()));
}

QString TestMetaManager::valueOf(const QString &key)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT value FROM meta WHERE key = :k"));
    q.bindValue(QStringLiteral(":k"), key);
    if (!q.exec() || !q.next())
        return QStringLiteral("<none>");
    return QJsonDocument::fromJson(q.value(0).toString().toUtf8())
        .object()
        .value(QLatin1String("data"))
        .toObject()
        .value(QLatin1String("k"))
        .toString();
}

Result<Message> TestMetaManager::ask(const Message &query)
{
    std::optional<Result<Message>> got;
    m_bus->request(edge::MetaModule, query, 5000, this, [&got](Result<Message> r) { got = std::move(r); });
    if (!QTest::qWaitFor([&] { return got.has_value(); }, 5000))
        return Result<Message>::failure(QStringLiteral("test"), QStringLiteral("no answer"));
    return *got;
}

void TestMetaManager::usesEdgecoreSchema()
{
    QSqlQuery q(m_db);
    QVERIFY(q.exec(QStringLiteral("PRAGMA table_info(meta)")));
    QStringList columns;
    while (q.next())
        columns << q.value(1).toString();
    QCOMPARE(columns, (QStringList{QStringLiteral("key"), QStringLiteral("type"), QStringLiteral("value")}));
}

void TestMetaManager::sequences_data()
{
    // Each step: "op:rv:data", applied in order as separate messages; "dup" resends the previous one.
    QTest::addColumn<QStringList>("steps");
    QTest::addColumn<QString>("expected");
    QTest::newRow("insert") << QStringList{QStringLiteral("insert:5:a")} << QStringLiteral("a");
    QTest::newRow("newer update wins")
        << QStringList{QStringLiteral("insert:5:a"), QStringLiteral("update:7:b")} << QStringLiteral("b");
    QTest::newRow("older update ignored")
        << QStringList{QStringLiteral("insert:9:a"), QStringLiteral("update:7:b")} << QStringLiteral("a");
    QTest::newRow("equal rv ignored")
        << QStringList{QStringLiteral("insert:9:a"), QStringLiteral("update:9:b")} << QStringLiteral("a");
    QTest::newRow("numeric, not text, compare")
        << QStringList{QStringLiteral("insert:9:a"), QStringLiteral("update:10:b")} << QStringLiteral("b");
    QTest::newRow("delete removes") << QStringList{QStringLiteral("insert:5:a"), QStringLiteral("delete:6:")}
                                    << QStringLiteral("<none>");
    QTest::newRow("no resurrection by an old insert")
        << QStringList{QStringLiteral("insert:5:a"), QStringLiteral("delete:6:"),
                       QStringLiteral("insert:5:a")}
        << QStringLiteral("<none>");
    QTest::newRow("recreate after delete")
        << QStringList{QStringLiteral("insert:5:a"), QStringLiteral("delete:6:"),
                       QStringLiteral("insert:8:c")}
        << QStringLiteral("c");
    QTest::newRow("duplicate msg_id applied once")
        << QStringList{QStringLiteral("insert:5:a"), QStringLiteral("update:6:b"), QStringLiteral("dup")}
        << QStringLiteral("b");
}

void TestMetaManager::sequences()
{
    QFETCH(QStringList, steps);
    QFETCH(QString, expected);
    Message last;
    for (const QString &step : steps) {
        if (step == QLatin1String("dup")) {
            apply({last});
            continue;
        }
        const QStringList f = step.split(u':');
        last = object(f.at(0), QStringLiteral("cm"), f.at(1), f.at(2));
        apply({last}); // one at a time: each is its own commit
    }
    QCOMPARE(valueOf(QStringLiteral("default/configmap/cm")), expected);
    // Every message was acked, applied or not.
    QCOMPARE(int(m_cloud->received.size()), int(steps.size()));
    for (const Message &ack : std::as_const(m_cloud->received))
        QCOMPARE(ack.contentText(), QStringLiteral("OK"));
}

void TestMetaManager::ackIsResponseToTheCloudMessage()
{
    const Message m = object(op::Insert, QStringLiteral("x"), QStringLiteral("3"), QStringLiteral("v"));
    apply({m});
    const Message &ack = m_cloud->received.last();
    QCOMPARE(ack.operation(), op::Response);
    QCOMPARE(ack.parentId(), m.id());
    QVERIFY(ack.id() != m.id());
    QCOMPARE(ack.group(), QStringLiteral("resource"));
    QCOMPARE(ack.resource(), m.resource());
    QCOMPARE(ack.rawContent(), QByteArray("\"OK\""));
    // Committed before the ack: visible from another connection.
    auto other = Database::open(m_dir->filePath(QStringLiteral("edgehub.db")), QStringLiteral("reader"));
    QVERIFY(other.ok());
    {
        QSqlQuery q(other.value()->connection());
        QVERIFY(q.exec(QStringLiteral("SELECT type FROM meta WHERE key = 'default/configmap/x'")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("configmap"));
    }
}

void TestMetaManager::batchOfManyIsCommittedThenAcked()
{
    QList<Message> ms;
    for (int i = 0; i < 1000; ++i)
        ms.append(object(op::Insert, QStringLiteral("n%1").arg(i), QString::number(i + 1),
                         QStringLiteral("v%1").arg(i)));
    apply(ms);
    QSet<QString> acked;
    for (const Message &a : std::as_const(m_cloud->received))
        acked.insert(a.parentId());
    for (const Message &m : std::as_const(ms))
        QVERIFY(acked.contains(m.id()));
    QSqlQuery q(m_db);
    QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM meta")) && q.next());
    QCOMPARE(q.value(0).toInt(), 1000);
    QCOMPARE(m_meta->counters().applied, quint64(1000));
}

void TestMetaManager::offlineQueryAnswersFromSqlite_data()
{
    QTest::addColumn<QString>("resource");
    QTest::addColumn<int>("count");
    QTest::newRow("by key") << QStringLiteral("default/configmap/a") << 1;
    QTest::newRow("by namespace and type") << QStringLiteral("default/configmap") << 2;
    QTest::newRow("other namespace") << QStringLiteral("kube-system/configmap") << 1;
    QTest::newRow("missing key") << QStringLiteral("default/configmap/zz") << 0;
}

void TestMetaManager::offlineQueryAnswersFromSqlite()
{
    QFETCH(QString, resource);
    QFETCH(int, count);
    Message other = object(op::Insert, QStringLiteral("c"), QStringLiteral("1"), QStringLiteral("z"));
    other.setResource(QStringLiteral("kube-system/configmap/c"));
    apply({object(op::Insert, QStringLiteral("a"), QStringLiteral("1"), QStringLiteral("x")),
           object(op::Insert, QStringLiteral("b"), QStringLiteral("2"), QStringLiteral("y")), other});
    const int sentUp = int(m_cloud->received.size());
    // configmap is a remote type, but the cloud is not connected: SQLite answers.
    auto r = ask(Message::create(QStringLiteral("edged"), QStringLiteral("meta"), op::Query, resource));
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    QCOMPARE(r.value().operation(), op::Response);
    const QJsonArray values = r.value().content().toArray();
    QCOMPARE(values.size(), count);
    for (const QJsonValue &v : values)
        QVERIFY(v.isString()); // []string of stored values, as edgecore answers
    QCOMPARE(int(m_cloud->received.size()), sentUp);
}

void TestMetaManager::onlineQueryGoesRemoteAndIsStored()
{
    QVERIFY(m_bus->send(edge::MetaModule, connectionMessage(edge::MetaGroup, true)));
    QJsonObject cm{
        {QStringLiteral("kind"), QStringLiteral("ConfigMap")},
        {QStringLiteral("data"), QJsonObject{{QStringLiteral("k"), QStringLiteral("from-cloud")}}}};
    m_cloud->queryAnswer = QJsonObject{{QStringLiteral("Object"), cm}, {QStringLiteral("Err"), QJsonValue()}};
    const Message query = Message::create(QStringLiteral("edged"), QStringLiteral("meta"), op::Query,
                                          QStringLiteral("default/configmap/remote"));
    QTRY_VERIFY(m_meta->cloudConnected());
    auto r = ask(query);
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    QCOMPARE(r.value().parentId(), query.id());
    QCOMPARE(valueOf(QStringLiteral("default/configmap/remote")), QStringLiteral("from-cloud"));
    // Up went the query with a fresh id, then the OK for the cloud's answer.
    QTRY_COMPARE(m_cloud->received.size(), 2);
    QCOMPARE(m_cloud->received.at(0).operation(), op::Query);
    QVERIFY(m_cloud->received.at(0).id() != query.id());
    QCOMPARE(m_cloud->received.at(1).contentText(), QStringLiteral("OK"));
    // A non-remote type is answered locally even when online.
    auto local = ask(Message::create(QStringLiteral("edged"), QStringLiteral("meta"), op::Query,
                                     QStringLiteral("default/pod/p")));
    QVERIFY(local.ok());
    QCOMPARE(local.value().content().toArray().size(), 0);
    QCOMPARE(m_cloud->received.size(), 2);
}

void TestMetaManager::changesAreSignalled()
{
    QSignalSpy spy(m_meta, &MetaManager::changed);
    apply({object(op::Insert, QStringLiteral("s"), QStringLiteral("1"), QStringLiteral("x")),
           object(op::Update, QStringLiteral("s"), QStringLiteral("2"), QStringLiteral("y")),
           object(op::Delete, QStringLiteral("s"), QStringLiteral("3"), QString()),
           object(op::Insert, QStringLiteral("s"), QStringLiteral("4"), QStringLiteral("z"))});
    QTRY_COMPARE(spy.size(), 4);
    QCOMPARE(spy.at(0).at(0).value<ResourceChange>().operation, QStringLiteral("upsert"));
    QCOMPARE(spy.at(0).at(0).value<ResourceChange>().existed, false);
    QCOMPARE(spy.at(1).at(0).value<ResourceChange>().operation, QStringLiteral("upsert"));
    QCOMPARE(spy.at(1).at(0).value<ResourceChange>().existed, true);
    QCOMPARE(spy.at(2).at(0).value<ResourceChange>().operation, QStringLiteral("delete"));
    QCOMPARE(spy.at(2).at(0).value<ResourceChange>().resource.key, QStringLiteral("default/configmap/s"));
    QCOMPARE(spy.at(3).at(0).value<ResourceChange>().existed, false); // created again after the delete
    apply({object(op::Delete, QStringLiteral("s"), QStringLiteral("5"), QString())});
    auto rows = m_meta->list(QStringLiteral("configmap"));
    QVERIFY(rows.ok());
    QCOMPARE(rows.value().size(), 0);
}

QTEST_GUILESS_MAIN(TestMetaManager)
#include "tst_metamanager.moc"
