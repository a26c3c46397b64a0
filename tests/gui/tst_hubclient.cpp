// The console's API client and event stream against the real cloudhub binary (HubProcess):
// trust on first use, pin mismatch, wrong token, unreachable hub, every call it makes, and the
// stream reconnecting by itself when the hub comes back.
#include "gui/eventstream.h"
#include "gui/hubclient.h"
#include "gui/tlspin.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testedge.h"
#include "tests/support/testsupport.h"

#include <QSignalSpy>
#include <QSslSocket>
#include <QtTest>

using namespace qedge;
using namespace qedge::test;

namespace {

template <typename T> struct Waiter
{
    std::optional<Result<T>> result;
    HubClient::Callback<T> callback()
    {
        return [this](Result<T> r) { result.emplace(std::move(r)); };
    }
    bool wait(int ms = 10000)
    {
        return QTest::qWaitFor([this] { return result.has_value(); }, ms);
    }
};

QJsonObject configMap(const QString &name, const QString &ns = QString())
{
    QJsonObject meta{{QStringLiteral("name"), name}};
    if (!ns.isEmpty())
        meta.insert(QStringLiteral("namespace"), ns);
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                       {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                       {QStringLiteral("metadata"), meta},
                       {QStringLiteral("data"), QJsonObject{{QStringLiteral("k"), QStringLiteral("v")}}}};
}

/// The fingerprint of the certificate the server really presents, read with a plain TLS socket.
QString presentedFingerprint(quint16 port)
{
    QSslSocket s;
    s.setPeerVerifyMode(QSslSocket::VerifyNone);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForEncrypted(5000))
        return {};
    return tlspin::fingerprint(s.peerCertificate());
}

} // namespace

class tst_HubClient : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void unknownCertificateAsksThenPins();
    void wrongPinIsRefused();
    void errors_data();
    void errors();
    void readOnlyTokenCannotWrite();
    void resourcesQueueAndNodes();
    void validation_data();
    void validation();
    void liveNodeAndStream();
    void streamRefusesWrongToken();
    void streamReconnectsWhenHubReturns();

private:
    HubClient *pinnedClient();

    std::unique_ptr<HubProcess> m_hub;
    QString m_fp;
};

void tst_HubClient::initTestCase()
{
    m_hub =
        std::make_unique<HubProcess>(QStringList{QStringLiteral("--retry-interval"), QStringLiteral("1")});
    QVERIFY2(m_hub->start(), qPrintable(m_hub->output()));
    m_fp = presentedFingerprint(m_hub->adminPort());
    QVERIFY(!m_fp.isEmpty());
}

void tst_HubClient::cleanupTestCase()
{
    if (m_hub)
        m_hub->stop();
}

HubClient *tst_HubClient::pinnedClient()
{
    auto *c = new HubClient(this);
    c->setHub(m_hub->adminUrl(), m_hub->adminToken());
    c->setPinnedFingerprint(m_fp);
    return c;
}

void tst_HubClient::unknownCertificateAsksThenPins()
{
    HubClient client;
    client.setHub(m_hub->adminUrl(), m_hub->adminToken());
    QSignalSpy asked(&client, &HubClient::certificateUnknown);
    Waiter<HubStats> first;
    client.stats(this, first.callback());
    QVERIFY(first.wait());
    QVERIFY(!first.result->ok());
    QCOMPARE(first.result->error().code, QStringLiteral("certificate_unknown"));
    QVERIFY2(first.result->errorMessage().contains(m_fp), qPrintable(first.result->errorMessage()));
    QCOMPARE(asked.count(), 1);
    QCOMPARE(asked.first().at(0).toString(), m_fp);
    QCOMPARE(client.presentedFingerprint(), m_fp);

    // The user accepted: the same client now works, with the fingerprint typed in any case.
    client.setPinnedFingerprint(m_fp.toLower().remove(QLatin1Char(':')));
    QCOMPARE(client.pinnedFingerprint(), m_fp);
    Waiter<HubStats> second;
    client.stats(this, second.callback());
    QVERIFY(second.wait());
    QVERIFY2(second.result->ok(), qPrintable(second.result->errorMessage()));
    QVERIFY(second.result->value().time.isValid());
}

void tst_HubClient::wrongPinIsRefused()
{
    HubClient client;
    client.setHub(m_hub->adminUrl(), m_hub->adminToken());
    QString other = m_fp;
    other[0] = other[0] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
    client.setPinnedFingerprint(other);
    QSignalSpy changed(&client, &HubClient::certificateChanged);
    Waiter<QList<NodeInfo>> w;
    client.nodes(this, w.callback());
    QVERIFY(w.wait());
    QVERIFY(!w.result->ok());
    QCOMPARE(w.result->error().code, QStringLiteral("certificate_changed"));
    QVERIFY(w.result->errorMessage().contains(QLatin1String("changed")));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.first().at(0).toString(), m_fp);
}

void tst_HubClient::errors_data()
{
    QTest::addColumn<QString>("what");
    QTest::addColumn<QString>("code");
    QTest::newRow("wrong token") << QStringLiteral("token") << QStringLiteral("unauthorized");
    QTest::newRow("closed port") << QStringLiteral("port") << QStringLiteral("unreachable");
    QTest::newRow("unknown node") << QStringLiteral("node") << QStringLiteral("not_found");
}

void tst_HubClient::errors()
{
    QFETCH(QString, what);
    HubClient client;
    QUrl url = m_hub->adminUrl();
    QByteArray token = m_hub->adminToken();
    if (what == QLatin1String("token"))
        token = "not-the-token";
    if (what == QLatin1String("port"))
        url.setPort(freePort());
    client.setHub(url, token);
    client.setPinnedFingerprint(m_fp);
    QSignalSpy authFailed(&client, &HubClient::authenticationFailed);
    Waiter<NodeInfo> w;
    client.node(QStringLiteral("never-seen"), this, w.callback());
    QVERIFY(w.wait());
    QVERIFY(!w.result->ok());
    QTEST(w.result->error().code, "code");
    QVERIFY(!w.result->errorMessage().isEmpty());
    QCOMPARE(authFailed.count(), what == QLatin1String("token") ? 1 : 0);
}

void tst_HubClient::readOnlyTokenCannotWrite()
{
    QFile f(m_hub->dataDir() + QStringLiteral("/readonly.token"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    HubClient client;
    client.setHub(m_hub->adminUrl(), f.readAll().trimmed());
    client.setPinnedFingerprint(m_fp);
    Waiter<QJsonObject> w;
    client.applyResource(QStringLiteral("ro-node"), configMap(QStringLiteral("x")), this, w.callback());
    QVERIFY(w.wait());
    QCOMPARE(w.result->error().code, QStringLiteral("forbidden"));
    Waiter<HubStats> read;
    client.stats(this, read.callback());
    QVERIFY(read.wait());
    QVERIFY(read.result->ok());
}

void tst_HubClient::resourcesQueueAndNodes()
{
    HubClient *client = pinnedClient();
    const QString node = QStringLiteral("pre-1");
    Waiter<QJsonObject> put;
    client->applyResource(node, configMap(QStringLiteral("cfg-a")), this, put.callback());
    QVERIFY(put.wait());
    QVERIFY2(put.result->ok(), qPrintable(put.result->errorMessage()));
    const QJsonObject meta = put.result->value().value(QLatin1String("metadata")).toObject();
    QVERIFY(!meta.value(QLatin1String("uid")).toString().isEmpty());
    Waiter<QJsonObject> put2;
    client->applyResource(node, configMap(QStringLiteral("cfg-b"), QStringLiteral("team-1")), this,
                          put2.callback());
    QVERIFY(put2.wait());
    QVERIFY2(put2.result->ok(), qPrintable(put2.result->errorMessage()));

    Waiter<QList<NodeInfo>> nodes;
    client->nodes(this, nodes.callback());
    QVERIFY(nodes.wait());
    QVERIFY(nodes.result->ok());
    const auto list = nodes.result->value();
    const auto it = std::find_if(list.begin(), list.end(), [&](const NodeInfo &n) { return n.id == node; });
    QVERIFY(it != list.end());
    QVERIFY(!it->online);
    QCOMPARE(it->queueDepth, 2);

    Waiter<QJsonArray> res;
    client->resources(node, QStringLiteral("configmap"), this, res.callback());
    QVERIFY(res.wait());
    QVERIFY(res.result->ok());
    QCOMPARE(res.result->value().size(), 2);

    Waiter<QJsonObject> one;
    client->resource(node, QStringLiteral("team-1"), QStringLiteral("configmap"), QStringLiteral("cfg-b"),
                     this, one.callback());
    QVERIFY(one.wait());
    QVERIFY2(one.result->ok(), qPrintable(one.result->errorMessage()));

    Waiter<QueueInfo> q;
    client->queue(node, this, q.callback());
    QVERIFY(q.wait());
    QVERIFY(q.result->ok());
    QCOMPARE(q.result->value().depth, 2);
    QCOMPARE(q.result->value().entries.size(), 2);
    QVERIFY(!q.result->value().entries.first().uid.isEmpty());
    QVERIFY(!q.result->value().entries.first().resourceVersion.isEmpty());

    Waiter<QJsonObject> del;
    client->deleteResource(node, QStringLiteral("default"), QStringLiteral("configmap"),
                           QStringLiteral("cfg-a"), this, del.callback());
    QVERIFY(del.wait());
    QVERIFY2(del.result->ok(), qPrintable(del.result->errorMessage()));
    QCOMPARE(del.result->value().value(QLatin1String("deleted")).toBool(), true);

    Waiter<QJsonArray> after;
    client->resources(node, QString(), this, after.callback());
    QVERIFY(after.wait());
    QCOMPARE(after.result->value().size(), 1);
}

void tst_HubClient::validation_data()
{
    QTest::addColumn<QJsonObject>("object");
    QTest::addColumn<bool>("valid");
    QTest::newRow("ok") << configMap(QStringLiteral("a")) << true;
    QJsonObject noKind = configMap(QStringLiteral("a"));
    noKind.remove(QStringLiteral("kind"));
    QTest::newRow("no kind") << noKind << false;
    QJsonObject noVersion = configMap(QStringLiteral("a"));
    noVersion.remove(QStringLiteral("apiVersion"));
    QTest::newRow("no apiVersion") << noVersion << false;
    QTest::newRow("no name") << configMap(QString()) << false;
}

void tst_HubClient::validation()
{
    QFETCH(QJsonObject, object);
    QFETCH(bool, valid);
    QCOMPARE(HubClient::validateResource(object).ok(), valid);
    // An invalid object never reaches the hub: the callback runs at once.
    HubClient *client = pinnedClient();
    Waiter<QJsonObject> w;
    client->applyResource(QStringLiteral("val-node"), object, this, w.callback());
    if (!valid)
        QVERIFY(w.result.has_value());
    QVERIFY(w.wait());
    QCOMPARE(w.result->ok(), valid);
}

void tst_HubClient::liveNodeAndStream()
{
    EventStream stream;
    stream.setHub(m_hub->adminUrl(), m_hub->adminToken(), m_fp);
    QSignalSpy events(&stream, &EventStream::event);
    stream.start();
    QTRY_COMPARE(stream.state(), EventStream::State::Connected);
    QVERIFY(stream.stateText().contains(QLatin1String("connected")));

    TestEdge edge(QStringLiteral("live-1"));
    QVERIFY(edge.bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    QVERIFY(edge.connectTo(m_hub->webSocketPort()));
    edge.sendKeepalive();
    edge.keepAliveEvery(1000);
    const auto seen = [&](const QString &type) {
        for (const auto &args : events) {
            const auto e = args.at(0).value<HubEvent>();
            if (e.type == type && e.node == QLatin1String("live-1"))
                return true;
        }
        return false;
    };
    QTRY_VERIFY(seen(QStringLiteral("node.online")));

    HubClient *client = pinnedClient();
    Waiter<QJsonObject> put;
    client->applyResource(QStringLiteral("live-1"), configMap(QStringLiteral("live-cfg")), this,
                          put.callback());
    QVERIFY(put.wait());
    QVERIFY(put.result->ok());
    QTRY_VERIFY(seen(QStringLiteral("resource.queued")));
    const auto msg = edge.waitForMessage([](const Message &) { return true; });
    QVERIFY(msg.has_value());
    edge.ack(*msg);
    QTRY_VERIFY(seen(QStringLiteral("resource.acked")));

    Waiter<NodeInfo> n;
    client->node(QStringLiteral("live-1"), this, n.callback());
    QVERIFY(n.wait());
    QVERIFY(n.result->ok());
    QVERIFY(n.result->value().online);
    QVERIFY(n.result->value().since.isValid());
    QTRY_COMPARE_WITH_TIMEOUT(
        [&] {
            Waiter<NodeInfo> again;
            client->node(QStringLiteral("live-1"), this, again.callback());
            (void)again.wait();
            return again.result->ok() ? again.result->value().acked : -1;
        }(),
        1, 5000);

    edge.close();
    QTRY_VERIFY(seen(QStringLiteral("node.offline")));
    stream.stop();
    QCOMPARE(stream.state(), EventStream::State::Disconnected);
}

void tst_HubClient::streamRefusesWrongToken()
{
    EventStream stream;
    stream.setInitialDelay(100);
    stream.setHub(m_hub->adminUrl(), "wrong", m_fp);
    stream.start();
    QTRY_VERIFY(stream.state() == EventStream::State::Error ||
                stream.state() == EventStream::State::Reconnecting);
    QVERIFY2(stream.stateText().contains(QLatin1String("401")), qPrintable(stream.stateText()));
}

void tst_HubClient::streamReconnectsWhenHubReturns()
{
    // A hub of our own with fixed ports so it can come back where it was.
    const quint16 admin = freePort();
    const QStringList args{QStringLiteral("--admin-port"), QString::number(admin)};
    auto hub = std::make_unique<HubProcess>(args);
    QVERIFY2(hub->start(), qPrintable(hub->output()));
    QCOMPARE(hub->adminPort(), admin);
    const QString dataDir = hub->dataDir();
    const QString fp = presentedFingerprint(admin);

    EventStream stream;
    stream.setInitialDelay(200);
    stream.setHub(hub->adminUrl(), hub->adminToken(), fp);
    QSignalSpy states(&stream, &EventStream::stateChanged);
    stream.start();
    QTRY_COMPARE(stream.state(), EventStream::State::Connected);

    QCOMPARE(hub->stop(), 0);
    QTRY_COMPARE(stream.state(), EventStream::State::Reconnecting);
    QVERIFY2(stream.stateText().contains(QLatin1String("reconnecting in")), qPrintable(stream.stateText()));
    // Each failed attempt waits longer.
    const int before = stream.nextDelayMs();
    QTRY_VERIFY(stream.nextDelayMs() > before);

    HubProcess again(args, dataDir);
    QVERIFY2(again.start(), qPrintable(again.output()));
    QTRY_COMPARE_WITH_TIMEOUT(stream.state(), EventStream::State::Connected, 15000);
    QCOMPARE(stream.nextDelayMs(), 200);
    again.stop();
}

QTEST_MAIN(tst_HubClient)
#include "tst_hubclient.moc"
