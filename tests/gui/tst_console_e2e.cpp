// The "done when", end to end with the real binaries: a cloudhub and a real edgehub
// joined to it; the console connects, sees the edge online, its resources and a device twin,
// changes a desired value in the twin table and the value reaches the edge (the edgehub's local
// API shows it); the Edge tab reads the same edgehub.
#include "gui/edgeview.h"
#include "gui/hubclient.h"
#include "gui/mainwindow.h"
#include "gui/nodemodel.h"
#include "gui/nodepage.h"
#include "gui/resourcemodel.h"
#include "gui/twinmodel.h"
#include "tests/e2e/edgeprocess.h"
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"

#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QtTest>

using namespace qedge;
using namespace qedge::test;

namespace {
const QString Node = QStringLiteral("edge-console");

QString edgeDesired(EdgeProcess &edge, const QString &key)
{
    const QJsonArray devices =
        edge.get(QStringLiteral("/api/v1/devices")).body.value(QStringLiteral("devices")).toArray();
    for (const QJsonValue &d : devices) {
        const QJsonObject twin = d.toObject().value(QStringLiteral("twins")).toObject().value(key).toObject();
        if (!twin.isEmpty())
            return twin.value(QStringLiteral("desired")).toObject().value(QStringLiteral("value")).toString();
    }
    return {};
}
} // namespace

class tst_ConsoleE2e : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void edgeResourcesAndTwinAreShown();
    void desiredValueReachesTheEdge();
    void refusedValueIsExplained();
    void edgeTabReadsTheEdgehub();

private:
    std::unique_ptr<HubProcess> m_hub;
    std::unique_ptr<EdgeProcess> m_edge;
    std::unique_ptr<AdminClient> m_admin;
    std::unique_ptr<MainWindow> m_window;
    NodePage *m_page = nullptr;
};

void tst_ConsoleE2e::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("QEdgeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_console_e2e"));
    QSettings().clear();

    m_hub = std::make_unique<HubProcess>();
    QVERIFY2(m_hub->start(), qPrintable(m_hub->output()));
    m_edge = std::make_unique<EdgeProcess>(Node);
    QVERIFY2(m_edge->start(EdgeProcess::joinArgs(*m_hub)), qPrintable(m_edge->output()));
    QVERIFY2(m_edge->waitForConnected(true, 20000), qPrintable(m_edge->output()));
    m_admin = std::make_unique<AdminClient>(
        m_hub->adminUrl(), m_hub->dataDir() + QStringLiteral("/pki/ca.crt"), m_hub->adminToken());
    const AdminReply cfg = m_admin->put(
        QStringLiteral("/api/v1/nodes/%1/resources/default/configmap/plant").arg(Node),
        QJsonObject{
            {QStringLiteral("kind"), QStringLiteral("ConfigMap")},
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), QStringLiteral("plant")}}},
            {QStringLiteral("data"), QJsonObject{{QStringLiteral("line"), QStringLiteral("3")}}}});
    QVERIFY2(cfg.status == 201, cfg.body.constData());
    const AdminReply dev =
        m_admin->put(QStringLiteral("/api/v1/nodes/%1/devices/default/thermo-1").arg(Node),
                     QJsonObject{{QStringLiteral("desired"),
                                  QJsonObject{{QStringLiteral("temperature"), QStringLiteral("21.5")}}},
                                 {QStringLiteral("types"),
                                  QJsonObject{{QStringLiteral("temperature"), QStringLiteral("float")}}}});
    QVERIFY2(dev.status == 200, dev.body.constData());
    QTRY_COMPARE_WITH_TIMEOUT(edgeDesired(*m_edge, QStringLiteral("temperature")), QStringLiteral("21.5"),
                              15000);

    m_window = std::make_unique<MainWindow>();
    m_window->setTrustPrompt([](const QString &, const QString &) { return true; });
    m_window->show();
    HubProfile p;
    p.name = QStringLiteral("e2e");
    p.url = m_hub->adminUrl();
    p.tokenFile = m_hub->dataDir() + QStringLiteral("/admin.token");
    QSignalSpy connected(m_window.get(), &MainWindow::connected);
    m_window->connectTo(p);
    QVERIFY2(connected.wait(10000), qPrintable(m_window->bannerText()));
}

void tst_ConsoleE2e::cleanupTestCase()
{
    m_window.reset();
    if (m_edge)
        m_edge->stop();
    if (m_hub)
        m_hub->stop();
    QSettings().clear();
}

void tst_ConsoleE2e::edgeResourcesAndTwinAreShown()
{
    NodeModel *nodes = m_window->nodeModel();
    QTRY_VERIFY(nodes->rowOf(Node) >= 0);
    QTRY_VERIFY(nodes->node(nodes->rowOf(Node)).online);

    m_page = m_window->openNode(Node);
    // The config map and the device (a resource of type "device" too).
    QTRY_VERIFY(m_page->resourceModel()->find(QStringLiteral("configmap"), QStringLiteral("default"),
                                              QStringLiteral("plant")) >= 0);
    QVERIFY(m_page->resourceModel()->types().contains(QStringLiteral("device")));
    TwinModel *twins = m_page->twinModel();
    QTRY_VERIFY(twins->findRow(QStringLiteral("default/thermo-1"), QStringLiteral("temperature")) >= 0);
    const int row = twins->findRow(QStringLiteral("default/thermo-1"), QStringLiteral("temperature"));
    QCOMPARE(twins->index(row, TwinModel::Desired).data().toString(), QStringLiteral("21.5"));
    QCOMPARE(twins->index(row, TwinModel::Type).data().toString(), QStringLiteral("float"));
    // Nothing reported yet: the row is highlighted as differing.
    QVERIFY(twins->index(row, TwinModel::Desired).data(TwinModel::DiffersRole).toBool());
}

void tst_ConsoleE2e::desiredValueReachesTheEdge()
{
    QVERIFY(m_page);
    m_page->tabs()->setCurrentIndex(2);
    auto *view = m_page->findChild<QTableView *>(QStringLiteral("twins"));
    TwinModel *twins = m_page->twinModel();
    const int row = twins->findRow(QStringLiteral("default/thermo-1"), QStringLiteral("temperature"));
    // As a user would: edit the desired cell in the view.
    const QModelIndex cell = twins->index(row, TwinModel::Desired);
    view->setCurrentIndex(cell);
    view->edit(cell);
    auto *editor = view->findChild<QLineEdit *>();
    QVERIFY(editor);
    editor->setText(QStringLiteral("23"));
    QTest::keyClick(editor, Qt::Key_Return);
    // The hub has it, the table shows the hub's answer, and the edge gets it.
    QTRY_COMPARE(
        twins
            ->index(twins->findRow(QStringLiteral("default/thermo-1"), QStringLiteral("temperature")),
                    TwinModel::Desired)
            .data()
            .toString(),
        QStringLiteral("23"));
    QCOMPARE(m_admin->get(QStringLiteral("/api/v1/nodes/%1/devices/default/thermo-1").arg(Node))
                 .json()
                 .value(QStringLiteral("twins"))
                 .toObject()
                 .value(QStringLiteral("temperature"))
                 .toObject()
                 .value(QStringLiteral("desired"))
                 .toObject()
                 .value(QStringLiteral("value"))
                 .toString(),
             QStringLiteral("23"));
    QTRY_COMPARE_WITH_TIMEOUT(edgeDesired(*m_edge, QStringLiteral("temperature")), QStringLiteral("23"),
                              15000);
}

void tst_ConsoleE2e::refusedValueIsExplained()
{
    QVERIFY(m_page);
    m_page->setDesired(QStringLiteral("default"), QStringLiteral("thermo-1"), QStringLiteral("temperature"),
                       QStringLiteral("hot"));
    QTRY_VERIFY2(m_window->bannerText().contains(QLatin1String("temperature")),
                 qPrintable(m_window->bannerText()));
    QVERIFY(m_window->bannerText().contains(QLatin1String("HTTP 400")));
    QCOMPARE(edgeDesired(*m_edge, QStringLiteral("temperature")), QStringLiteral("23"));
}

void tst_ConsoleE2e::edgeTabReadsTheEdgehub()
{
    EdgeView *edge = m_window->edgeView();
    m_window->tabs()->setCurrentWidget(edge);
    edge->setUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_edge->apiPort())));
    edge->refresh();
    QTRY_VERIFY2(edge->statusLabel()->text().contains(Node), qPrintable(edge->statusLabel()->text()));
    QVERIFY(edge->statusLabel()->text().contains(QLatin1String("up")));
    QTRY_VERIFY(edge->resourceModel()->find(QStringLiteral("configmap"), QStringLiteral("default"),
                                            QStringLiteral("plant")) >= 0);
}

QTEST_MAIN(tst_ConsoleE2e)
#include "tst_console_e2e.moc"
