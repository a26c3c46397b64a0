#include "edgehub/localapi.h"
#include "edgehub/metamanager.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"
#include "shared/modulehost.h"
#include "shared/storage.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <memory>

using namespace qedge;

namespace {
/// Stands where the link is: takes MetaManager's acks.
class AckSink : public Module
{
    Q_OBJECT
public:
    AckSink() : Module(edge::LinkModule, edge::HubGroup) {}
    int acks = 0;

protected:
    void handleMessage(const Message &m) override
    {
        if (m.operation() == op::Response)
            ++acks;
    }
};

Message object(const QString &op, const QString &type, const QString &name, const QString &rv)
{
    Message m = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"), op,
                                QStringLiteral("default/%1/%2").arg(type, name));
    m.setResourceVersion(rv);
    m.setContent(
        QJsonObject{{QStringLiteral("kind"), QStringLiteral("Thing")},
                    {QStringLiteral("metadata"),
                     QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("resourceVersion"), rv}}}});
    return m;
}

struct Reply
{
    int status = 0;
    QJsonObject body;
};
} // namespace

class TestLocalApi : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void statusComesFromTheOwner();
    void resources_data();
    void resources();
    void watchStreamsCommittedChanges();
    void disabledMetaManagerAnswers503();
    void isLocalRequest_data();
    void isLocalRequest();
    void foreignPagesAreRefused();

private:
    void apply(const Message &m);
    Reply get(const QString &path);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_database;
    std::unique_ptr<MessageBus> m_bus;
    std::unique_ptr<ModuleHost> m_host;
    MetaManager *m_meta = nullptr;
    AckSink *m_sink = nullptr;
    std::unique_ptr<LocalApi> m_api;
    QNetworkAccessManager m_nam;
};

void TestLocalApi::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    auto db = Database::open(m_dir->filePath(QStringLiteral("edge.db")), QStringLiteral("api"));
    QVERIFY2(db.ok(), qPrintable(db.errorMessage()));
    m_database = std::move(db.value());
    m_bus = std::make_unique<MessageBus>();
    m_host = std::make_unique<ModuleHost>(m_bus.get());
    m_meta = new MetaManager(m_database->connection(), MetaManager::Settings{});
    QVERIFY(m_meta->open());
    m_sink = new AckSink;
    QVERIFY(m_host->add(m_sink));
    QVERIFY(m_host->add(m_meta));
    m_host->startAll();
    m_api = std::make_unique<LocalApi>(m_meta, [] {
        return QJsonObject{{QStringLiteral("node"), QStringLiteral("n1")}};
    });
    QVERIFY(m_api->listen(0));
    QVERIFY(m_api->port() != 0);
}

void TestLocalApi::cleanup()
{
    m_api.reset();
    m_host.reset();
    m_bus.reset();
    m_database.reset();
}

void TestLocalApi::apply(const Message &m)
{
    const int before = m_sink->acks;
    QVERIFY(m_bus->send(edge::MetaModule, m));
    QTRY_COMPARE(m_sink->acks, before + 1);
}

Reply TestLocalApi::get(const QString &path)
{
    QNetworkReply *r = m_nam.get(
        QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_api->port()).arg(path))));
    if (!QTest::qWaitFor([r] { return r->isFinished(); }, 5000))
        return {};
    Reply out{r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
              QJsonDocument::fromJson(r->readAll()).object()};
    r->deleteLater();
    return out;
}

void TestLocalApi::statusComesFromTheOwner()
{
    const Reply r = get(QStringLiteral("/api/v1/status"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body.value(QLatin1String("node")).toString(), QStringLiteral("n1"));
}

void TestLocalApi::resources_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QStringList>("names"); // expected objects "name@resourceVersion", in key order
    QTest::newRow("all") << QStringLiteral("/api/v1/resources") << 200
                         << QStringList{QStringLiteral("a@2"), QStringLiteral("b@3"), QStringLiteral("s@4")};
    QTest::newRow("by type") << QStringLiteral("/api/v1/resources?type=secret") << 200
                             << QStringList{QStringLiteral("s@4")};
    QTest::newRow("unknown type") << QStringLiteral("/api/v1/resources?type=pod") << 200 << QStringList{};
    QTest::newRow("one") << QStringLiteral("/api/v1/resources/default/configmap/b") << 200
                         << QStringList{QStringLiteral("b@3")};
    QTest::newRow("deleted") << QStringLiteral("/api/v1/resources/default/configmap/gone") << 404
                             << QStringList{};
    QTest::newRow("missing") << QStringLiteral("/api/v1/resources/default/configmap/zzz") << 404
                             << QStringList{};
    QTest::newRow("unknown route") << QStringLiteral("/api/v1/nothing") << 404 << QStringList{};
}

void TestLocalApi::resources()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QStringList, names);
    apply(object(op::Insert, QStringLiteral("configmap"), QStringLiteral("b"), QStringLiteral("3")));
    apply(object(op::Insert, QStringLiteral("configmap"), QStringLiteral("a"), QStringLiteral("1")));
    apply(object(op::Update, QStringLiteral("configmap"), QStringLiteral("a"), QStringLiteral("2")));
    apply(object(op::Insert, QStringLiteral("secret"), QStringLiteral("s"), QStringLiteral("4")));
    apply(object(op::Insert, QStringLiteral("configmap"), QStringLiteral("gone"), QStringLiteral("5")));
    apply(object(op::Delete, QStringLiteral("configmap"), QStringLiteral("gone"), QStringLiteral("6")));

    const Reply r = get(path);
    QCOMPARE(r.status, status);
    if (status != 200) {
        // Unknown routes are answered by shared/http itself, with its own code.
        if (path.startsWith(QLatin1String("/api/v1/resources")))
            QCOMPARE(r.body.value(QLatin1String("error")).toString(), QStringLiteral("not_found"));
        else
            QVERIFY(!r.body.value(QLatin1String("error")).toString().isEmpty());
        return;
    }
    QJsonArray items;
    if (r.body.contains(QLatin1String("resources")))
        items = r.body.value(QLatin1String("resources")).toArray();
    else
        items.append(r.body);
    QStringList got;
    for (const QJsonValue &v : std::as_const(items)) {
        const QJsonObject metadata = v.toObject().value(QLatin1String("metadata")).toObject();
        QCOMPARE(v.toObject().value(QLatin1String("kind")).toString(), QStringLiteral("Thing"));
        got.append(metadata.value(QLatin1String("name")).toString() + u'@' +
                   metadata.value(QLatin1String("resourceVersion")).toString());
    }
    QCOMPARE(got, names);
}

void TestLocalApi::watchStreamsCommittedChanges()
{
    QWebSocket ws;
    QList<QJsonObject> events;
    connect(&ws, &QWebSocket::textMessageReceived, this,
            [&events](const QString &t) { events.append(QJsonDocument::fromJson(t.toUtf8()).object()); });
    ws.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/api/v1/watch").arg(m_api->port())));
    QTRY_COMPARE(ws.state(), QAbstractSocket::ConnectedState);
    QTRY_COMPARE(m_api->watcherCount(), 1);

    apply(object(op::Insert, QStringLiteral("configmap"), QStringLiteral("w"), QStringLiteral("7")));
    apply(object(op::Update, QStringLiteral("configmap"), QStringLiteral("w"), QStringLiteral("8")));
    apply(object(op::Delete, QStringLiteral("configmap"), QStringLiteral("w"), QStringLiteral("9")));
    m_api->publish(QStringLiteral("disconnected"), {{QStringLiteral("reason"), QStringLiteral("test")}});
    QTRY_COMPARE(events.size(), 4);
    QStringList seen;
    for (const QJsonObject &e : std::as_const(events))
        seen.append(e.value(QLatin1String("type")).toString() + u' ' +
                    e.value(QLatin1String("key")).toString() + u' ' +
                    e.value(QLatin1String("resourceVersion")).toString());
    QCOMPARE(seen, (QStringList{QStringLiteral("added default/configmap/w 7"),
                                QStringLiteral("modified default/configmap/w 8"),
                                QStringLiteral("deleted default/configmap/w 9"),
                                QStringLiteral("disconnected  ")}));
    QCOMPARE(events.at(1)
                 .value(QLatin1String("object"))
                 .toObject()
                 .value(QLatin1String("metadata"))
                 .toObject()
                 .value(QLatin1String("resourceVersion"))
                 .toString(),
             QStringLiteral("8"));
    QVERIFY(events.at(2).value(QLatin1String("object")).isNull());
    QCOMPARE(events.at(3).value(QLatin1String("reason")).toString(), QStringLiteral("test"));

    ws.close();
    QTRY_COMPARE(m_api->watcherCount(), 0);
}

void TestLocalApi::disabledMetaManagerAnswers503()
{
    m_api = std::make_unique<LocalApi>(nullptr, [] { return QJsonObject(); });
    QVERIFY(m_api->listen(0));
    QCOMPARE(get(QStringLiteral("/api/v1/resources")).status, 503);
    QCOMPARE(get(QStringLiteral("/api/v1/resources/default/configmap/a")).status, 503);
    QCOMPARE(get(QStringLiteral("/api/v1/status")).status, 200);
}

void TestLocalApi::isLocalRequest_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<bool>("local");
    QTest::newRow("curl") << QByteArray("127.0.0.1:10550") << QByteArray() << true;
    QTest::newRow("localhost") << QByteArray("localhost:10550") << QByteArray() << true;
    QTest::newRow("ipv6") << QByteArray("[::1]:10550") << QByteArray() << true;
    QTest::newRow("loopback page") << QByteArray("127.0.0.1:10550") << QByteArray("http://localhost:8080")
                                   << true;
    QTest::newRow("other site") << QByteArray("127.0.0.1:10550") << QByteArray("https://evil.example")
                                << false;
    QTest::newRow("rebound name") << QByteArray("evil.example:10550") << QByteArray() << false;
    QTest::newRow("no host") << QByteArray() << QByteArray() << false;
    QTest::newRow("null origin") << QByteArray("127.0.0.1:10550") << QByteArray("null") << false;
}

void TestLocalApi::isLocalRequest()
{
    QFETCH(QByteArray, host);
    QFETCH(QByteArray, origin);
    QFETCH(bool, local);
    QCOMPARE(LocalApi::isLocalRequest(host, origin), local);
}

void TestLocalApi::foreignPagesAreRefused()
{
    QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/resources").arg(m_api->port())));
    req.setRawHeader("Origin", "https://evil.example");
    QNetworkReply *r = m_nam.get(req);
    QTRY_VERIFY(r->isFinished());
    QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 403);
    r->deleteLater();

    QWebSocket ws(QStringLiteral("https://evil.example"));
    QSignalSpy connected(&ws, &QWebSocket::connected);
    QSignalSpy gone(&ws, &QWebSocket::disconnected);
    ws.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/api/v1/watch").arg(m_api->port())));
    QTRY_VERIFY(gone.count() >= 1);
    QCOMPARE(connected.count(), 0);
    QCOMPARE(m_api->watcherCount(), 0);
}

QTEST_GUILESS_MAIN(TestLocalApi)
#include "tst_localapi.moc"
