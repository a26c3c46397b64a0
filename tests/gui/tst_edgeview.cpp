// The Edge tab's parsing and messages against a minimal HTTP/1.1 server that answers the local
// API's routes with chosen bodies (both resource list forms, a link going down, 404); the real
// edgehub is covered by tst_console_e2e. Unreachable is a real closed port.
#include "gui/edgeclient.h"
#include "gui/edgeview.h"
#include "gui/resourcemodel.h"
#include "tests/support/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace qedge;

namespace {

/// Answers GET <path> with the JSON registered for it, 404 otherwise; one request per connection.
class LocalApi : public QObject
{
public:
    QHash<QByteArray, QJsonObject> routes;
    QTcpServer server;

    bool listen() { return server.listen(QHostAddress::LocalHost, 0); }
    LocalApi()
    {
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    const QByteArray head = s->readAll();
                    const QByteArray path = head.split(' ').value(1).split('?').value(0);
                    const auto it = routes.constFind(path);
                    const QByteArray body =
                        it == routes.constEnd()
                            ? QByteArrayLiteral(R"({"error":"not_found","detail":"no route"})")
                            : QJsonDocument(*it).toJson(QJsonDocument::Compact);
                    s->write(
                        (it == routes.constEnd() ? "HTTP/1.1 404 Not Found\r\n" : "HTTP/1.1 200 OK\r\n") +
                        QByteArrayLiteral(
                            "Content-Type: application/json\r\nConnection: close\r\nContent-Length: ") +
                        QByteArray::number(body.size()) + "\r\n\r\n" + body);
                    s->disconnectFromHost();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort())); }
};

} // namespace

class tst_EdgeView : public QObject
{
    Q_OBJECT
private slots:
    void showsWhatTheEdgeHolds();
    void unreachable();
    void clientErrors();
};

void tst_EdgeView::showsWhatTheEdgeHolds()
{
    LocalApi api;
    QVERIFY(api.listen());
    api.routes.insert("/api/v1/status",
                      QJsonObject{{QStringLiteral("node"), QStringLiteral("edge-7")},
                                  {QStringLiteral("connected"), true},
                                  {QStringLiteral("hub"), QStringLiteral("wss://hub:10000")},
                                  {QStringLiteral("certExpiry"), QStringLiteral("2027-01-02T03:04:05Z")},
                                  {QStringLiteral("outboxDepth"), 3},
                                  {QStringLiteral("counters"), QJsonObject()}});
    api.routes.insert(
        "/api/v1/resources",
        QJsonObject{
            {QStringLiteral("resources"),
             QJsonArray{QJsonObject{{QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                                    {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                                    {QStringLiteral("metadata"),
                                     QJsonObject{{QStringLiteral("name"), QStringLiteral("cfg")},
                                                 {QStringLiteral("resourceVersion"), QStringLiteral("12")}}}},
                        // The edgehub's own form: the stored row around the object.
                        QJsonObject{{QStringLiteral("key"), QStringLiteral("plant/secret/creds")},
                                    {QStringLiteral("namespace"), QStringLiteral("plant")},
                                    {QStringLiteral("type"), QStringLiteral("secret")},
                                    {QStringLiteral("name"), QStringLiteral("creds")},
                                    {QStringLiteral("resourceVersion"), QStringLiteral("14")},
                                    {QStringLiteral("object"),
                                     QJsonObject{{QStringLiteral("data"), QJsonObject()}}}}}}});
    EdgeView view;
    view.setUrl(api.url());
    view.refresh();
    QTRY_VERIFY2(view.statusLabel()->text().contains(QLatin1String("edge-7")),
                 qPrintable(view.statusLabel()->text()));
    const QString text = view.statusLabel()->text();
    QVERIFY(text.contains(QLatin1String("up")));
    QVERIFY(text.contains(QLatin1String("outbox 3")));
    QVERIFY(text.contains(QLatin1String("2027-01-0")));
    QTRY_COMPARE(view.resourceModel()->rowCount(), 2);
    QCOMPARE(view.resourceModel()->index(0, ResourceModel::ResourceVersion).data().toString(),
             QStringLiteral("12"));
    const int secret = view.resourceModel()->find(QStringLiteral("secret"), QStringLiteral("plant"),
                                                  QStringLiteral("creds"));
    QVERIFY(secret >= 0);
    QCOMPARE(view.resourceModel()->index(secret, ResourceModel::ResourceVersion).data().toString(),
             QStringLiteral("14"));

    // The link goes down: the next refresh says so.
    QJsonObject down = api.routes.value("/api/v1/status");
    down.insert(QStringLiteral("connected"), false);
    api.routes.insert("/api/v1/status", down);
    view.refresh();
    QTRY_VERIFY2(view.statusLabel()->text().contains(QLatin1String("down")),
                 qPrintable(view.statusLabel()->text()));
}

void tst_EdgeView::unreachable()
{
    EdgeView view;
    view.setUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(test::freePort())));
    view.refresh();
    QTRY_VERIFY2(view.statusLabel()->text().contains(QLatin1String("Cannot reach the edgehub")),
                 qPrintable(view.statusLabel()->text()));
}

void tst_EdgeView::clientErrors()
{
    LocalApi api;
    QVERIFY(api.listen());
    EdgeClient client;
    client.setBaseUrl(api.url());
    std::optional<Result<QList<DeviceInfo>>> got;
    client.devices(this, [&](Result<QList<DeviceInfo>> r) { got.emplace(std::move(r)); });
    QTRY_VERIFY(got.has_value());
    QVERIFY(!got->ok());
    QCOMPARE(got->error().code, QStringLiteral("not_found"));
    QCOMPARE(got->errorMessage(), QStringLiteral("no route"));
}

QTEST_MAIN(tst_EdgeView)
#include "tst_edgeview.moc"
