// Takes the README's screenshots: starts a real cloudhub with sample data (connected test edges
// that ack, pre-provisioned offline nodes, labels, resources, a stuck queue), drives the console
// to each view and saves PNGs. Run by scripts/screenshots under Xvfb; not a test.
#include "gui/connectdialog.h"
#include "gui/eventlogmodel.h"
#include "gui/fleetview.h"
#include "gui/mainwindow.h"
#include "gui/nodemodel.h"
#include "gui/nodepage.h"
#include "gui/resourceeditor.h"
#include "gui/resourcemodel.h"
#include "gui/edgeview.h"
#include "gui/twinmodel.h"
#include "tests/e2e/edgeprocess.h"
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"
#include "tests/support/mosquittofixture.h"
#include "tests/support/testedge.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QtTest>

#include <cstdio>
#include <memory>

using namespace qedge;
using namespace qedge::test;

namespace {

void pump(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QTest::qWait(20);
}

QJsonObject configMap(const QString &name, const QJsonObject &data)
{
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                       {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                       {QStringLiteral("metadata"),
                        QJsonObject{{QStringLiteral("name"), name},
                                    {QStringLiteral("labels"),
                                     QJsonObject{{QStringLiteral("app"), QStringLiteral("gateway")}}}}},
                       {QStringLiteral("data"), data}};
}

bool save(QWidget *w, const QString &dir, const QString &name)
{
    const QString path = QDir(dir).filePath(name);
    const bool ok = w->grab().save(path);
    std::fprintf(stderr, "%s %s\n", ok ? "saved" : "FAILED", qPrintable(path));
    return ok;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QApplication::setOrganizationName(QStringLiteral("QEdgeScreenshots"));
    QApplication::setApplicationName(QStringLiteral("qedge-console"));
    QSettings().clear();
    const QString out = app.arguments().value(1, QStringLiteral("docs/images"));
    QDir().mkpath(out);

    HubProcess hub({QStringLiteral("--retry-interval"), QStringLiteral("2")});
    if (!hub.start()) {
        std::fprintf(stderr, "hub did not start:\n%s\n", qPrintable(hub.output()));
        return 1;
    }
    AdminClient admin(hub.adminUrl(), hub.dataDir() + QStringLiteral("/pki/ca.crt"), hub.adminToken());

    // A real edgehub with a broker for its devices: the twin and Edge screenshots.
    MosquittoFixture broker;
    if (Status b = broker.start(); !b) {
        std::fprintf(stderr, "mosquitto: %s\n", qPrintable(b.errorMessage()));
        return 1;
    }
    const QString plant = QStringLiteral("plant-gw");
    EdgeProcess edgehub(plant);
    if (!edgehub.start(EdgeProcess::joinArgs(hub) << QStringLiteral("--mqtt-server")
                                                  << QStringLiteral("tcp://127.0.0.1:%1").arg(broker.port()))
        || !edgehub.waitForConnected(true, 20000)) {
        std::fprintf(stderr, "edgehub did not join:\n%s\n", qPrintable(edgehub.output()));
        return 1;
    }
    edgehub.waitForOutput(QStringLiteral("connected to MQTT broker"), 10000);
    const auto device = [&](const QString &name, const QJsonObject &desired, const QJsonObject &types) {
        admin.put(QStringLiteral("/api/v1/nodes/%1/devices/default/%2").arg(plant, name),
                  QJsonObject{{QStringLiteral("desired"), desired}, {QStringLiteral("types"), types}});
    };
    device(QStringLiteral("thermo-1"),
           QJsonObject{{QStringLiteral("temperature"), QStringLiteral("21.5")}, {QStringLiteral("fan"), QStringLiteral("auto")}},
           QJsonObject{{QStringLiteral("temperature"), QStringLiteral("float")}, {QStringLiteral("fan"), QStringLiteral("string")}});
    device(QStringLiteral("valve-2"), QJsonObject{{QStringLiteral("position"), QStringLiteral("40")}},
           QJsonObject{{QStringLiteral("position"), QStringLiteral("int")}});
    admin.put(QStringLiteral("/api/v1/nodes/%1/resources/default/configmap/line-3").arg(plant),
              configMap(QStringLiteral("line-3"), QJsonObject{{QStringLiteral("speed"), QStringLiteral("120")}}));
    pump(1500);
    // A mapper reports through the broker: one value agrees, one does not yet.
    const auto report = [&](const QString &name, const QByteArray &twin) {
        QProcess::execute(QStringLiteral("mosquitto_pub"),
                          {QStringLiteral("-p"), QString::number(broker.port()), QStringLiteral("-t"),
                           QStringLiteral("$hw/events/device/default/%1/twin/update").arg(name), QStringLiteral("-m"),
                           QString::fromUtf8(R"({"event_id":"r","timestamp":1,"twin":)" + twin + "}")});
    };
    report(QStringLiteral("thermo-1"), R"({"temperature":{"actual":{"value":"20.9"}},"fan":{"actual":{"value":"auto"}}})");
    report(QStringLiteral("valve-2"), R"({"position":{"actual":{"value":"40"}}})");

    // Edges that ack everything, one that never acks (its queue stays in flight).
    const QStringList live{QStringLiteral("berlin-01"), QStringLiteral("berlin-02"),
                           QStringLiteral("berlin-03"), QStringLiteral("lyon-01"),
                           QStringLiteral("lyon-02"),   QStringLiteral("porto-01")};
    std::vector<std::unique_ptr<TestEdge>> edges;
    for (const QString &id : live) {
        auto e = std::make_unique<TestEdge>(id);
        if (!e->bootstrap(hub.bootstrapUrl(), hub.joinToken()).ok() || !e->connectTo(hub.webSocketPort())) {
            std::fprintf(stderr, "edge %s did not connect\n", qPrintable(id));
            return 1;
        }
        e->sendKeepalive();
        e->keepAliveEvery(1000);
        edges.push_back(std::move(e));
    }
    QHash<TestEdge *, int> acked;
    QTimer acker;
    acker.setInterval(50);
    QObject::connect(&acker, &QTimer::timeout, &app, [&] {
        for (auto &e : edges) {
            if (e->node() == QLatin1String("porto-01"))
                continue;
            int &done = acked[e.get()];
            while (done < e->received().size())
                e->ack(e->received().at(done++));
        }
    });
    acker.start();

    const QStringList offline{QStringLiteral("tokyo-01"), QStringLiteral("tokyo-02"),
                              QStringLiteral("oslo-01")};
    for (const QString &id : live + offline) {
        const QString site = id.section(QLatin1Char('-'), 0, 0);
        admin.put(QStringLiteral("/api/v1/nodes/%1/resources/default/configmap/site").arg(id),
                  configMap(QStringLiteral("site"), QJsonObject{{QStringLiteral("name"), site}}));
        admin.put(QStringLiteral("/api/v1/nodes/%1/labels").arg(id),
                  QJsonObject{{QStringLiteral("labels"),
                               QJsonObject{{QStringLiteral("site"), site},
                                           {QStringLiteral("tier"), id.endsWith(QLatin1String("01"))
                                                                        ? QStringLiteral("gold")
                                                                        : QStringLiteral("std")}}}});
    }
    admin.put(QStringLiteral("/api/v1/nodes/berlin-01/resources/default/configmap/modbus"),
              configMap(QStringLiteral("modbus"),
                        QJsonObject{{QStringLiteral("port"), QStringLiteral("/dev/ttyS0")},
                                    {QStringLiteral("baud"), QStringLiteral("19200")}}));
    admin.put(QStringLiteral("/api/v1/nodes/berlin-01/resources/plant/secret/mqtt-credentials"),
              QJsonObject{{QStringLiteral("kind"), QStringLiteral("Secret")},
                          {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                          {QStringLiteral("metadata"),
                           QJsonObject{{QStringLiteral("name"), QStringLiteral("mqtt-credentials")},
                                       {QStringLiteral("namespace"), QStringLiteral("plant")}}},
                          {QStringLiteral("data"),
                           QJsonObject{{QStringLiteral("password"), QStringLiteral("c2VjcmV0")}}}});
    for (int i = 0; i < 4; ++i)
        admin.put(QStringLiteral("/api/v1/nodes/porto-01/resources/default/configmap/recipe-%1").arg(i),
                  configMap(QStringLiteral("recipe-%1").arg(i),
                            QJsonObject{{QStringLiteral("step"), QString::number(i)}}));

    MainWindow window;
    window.setTrustPrompt([](const QString &, const QString &) { return true; });
    window.resize(1280, 780);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        std::fprintf(stderr, "window not exposed\n");

    HubProfile p;
    p.name = QStringLiteral("plant hub");
    p.url = hub.adminUrl();
    p.tokenFile = hub.dataDir() + QStringLiteral("/admin.token");
    QSignalSpy connected(&window, &MainWindow::connected);
    window.connectTo(p);
    if (!connected.wait(15000)) {
        std::fprintf(stderr, "console did not connect: %s\n", qPrintable(window.bannerText()));
        return 1;
    }

    // Traffic for the charts and the event log: a change every 150 ms to a random live node.
    QTimer traffic;
    int n = 0;
    traffic.setInterval(150);
    QObject::connect(&traffic, &QTimer::timeout, &app, [&] {
        const QString id = live.at(QRandomGenerator::global()->bounded(int(live.size()) - 1));
        admin.put(QStringLiteral("/api/v1/nodes/%1/resources/default/configmap/setpoint").arg(id),
                  configMap(QStringLiteral("setpoint"),
                            QJsonObject{{QStringLiteral("value"), QString::number(n++)}}));
    });
    traffic.start();
    pump(25000);

    bool ok = true;
    window.tabs()->setCurrentIndex(0);
    window.fleetView()->table()->selectRow(1);
    pump(400);
    ok &= save(&window, out, QStringLiteral("console-fleet.png"));

    window.tabs()->setCurrentIndex(1);
    pump(1500);
    ok &= save(&window, out, QStringLiteral("console-overview.png"));

    window.tabs()->setCurrentIndex(2);
    window.findChild<QTableView *>(QStringLiteral("events"))->scrollToBottom();
    pump(400);
    ok &= save(&window, out, QStringLiteral("console-events.png"));

    NodePage *page = window.openNode(QStringLiteral("berlin-01"));
    pump(1500);
    auto *resources = page->findChild<QTableView *>(QStringLiteral("resources"));
    resources->setCurrentIndex(resources->model()->index(0, 0));
    resources->resizeColumnsToContents();
    pump(400);
    ok &= save(&window, out, QStringLiteral("console-node-resources.png"));

    traffic.stop();
    NodePage *porto = window.openNode(QStringLiteral("porto-01"));
    porto->tabs()->setCurrentIndex(1);
    pump(3000);
    ok &= save(&window, out, QStringLiteral("console-node-queue.png"));

    NodePage *gw = window.openNode(plant);
    gw->tabs()->setCurrentIndex(2);
    pump(2000);
    auto *twins = gw->findChild<QTableView *>(QStringLiteral("twins"));
    twins->resizeColumnsToContents();
    twins->setCurrentIndex(gw->twinModel()->index(0, TwinModel::Desired));
    pump(300);
    ok &= save(&window, out, QStringLiteral("console-node-twins.png"));

    window.edgeView()->setUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(edgehub.apiPort())));
    window.tabs()->setCurrentWidget(window.edgeView());
    window.edgeView()->refresh();
    pump(1500);
    ok &= save(&window, out, QStringLiteral("console-edge.png"));

    // The JSON editor with a validation message.
    ResourceEditor editor(QStringLiteral("berlin-01"), page->resourceModel()->object(0), &window);
    editor.show();
    editor.setText(QStringLiteral("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": "
                                  "{\"name\": \"modbus\"},\n  \"data\": {\"baud\": 19200,}\n}\n"));
    pump(300);
    ok &= save(&editor, out, QStringLiteral("console-editor.png"));
    editor.close();

    ConnectDialog dialog(new ProfileStore, &window);
    dialog.show();
    pump(300);
    ok &= save(&dialog, out, QStringLiteral("console-connect.png"));
    dialog.close();

    window.close();
    edges.clear();
    edgehub.stop();
    hub.stop();
    return ok ? 0 : 1;
}
