// Drives the console's main window against a real cloudhub holding a few nodes and resources:
// connect with trust on first use, the fleet table and its filter, live events, a node page
// (resources, queue, apply and delete through the dialogs), copy and CSV export, and the
// messages for a wrong token and a changed certificate.
#include "gui/eventlogmodel.h"
#include "gui/fleetview.h"
#include "gui/hubclient.h"
#include "gui/mainwindow.h"
#include "gui/nodefilterproxy.h"
#include "gui/nodemodel.h"
#include "gui/nodepage.h"
#include "gui/queuemodel.h"
#include "gui/resourceeditor.h"
#include "gui/resourcemodel.h"
#include "tests/support/adminclient.h"
#include "tests/support/hubprocess.h"
#include "tests/support/testedge.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace qedge;
using namespace qedge::test;

namespace {
QJsonObject configMap(const QString &name)
{
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("ConfigMap")},
                       {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                       {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), name}}},
                       {QStringLiteral("data"), QJsonObject{{QStringLiteral("k"), QStringLiteral("v")}}}};
}

/// Runs f on the next modal dialog once it is up (QDialog::exec blocks the test otherwise).
void onNextModal(std::function<void(QWidget *)> f)
{
    auto *timer = new QTimer;
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, f] {
        if (QWidget *w = QApplication::activeModalWidget()) {
            timer->stop();
            timer->deleteLater();
            f(w);
        }
    });
    timer->start();
}
} // namespace

class tst_MainWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void connectsAndShowsFleet();
    void filterAndCounts();
    void liveEventsReachTheScreen();
    void nodePageShowsResourcesAndQueue();
    void applyAndDeleteThroughDialogs();
    void editorValidates_data();
    void editorValidates();
    void copyAndExport();
    void wrongTokenIsExplained();
    void changedCertificateIsRefused();

private:
    HubProfile profile(const QString &name) const;

    std::unique_ptr<HubProcess> m_hub;
    std::unique_ptr<AdminClient> m_admin;
    std::unique_ptr<TestEdge> m_edge;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_prompts;
};

HubProfile tst_MainWindow::profile(const QString &name) const
{
    HubProfile p;
    p.name = name;
    p.url = m_hub->adminUrl();
    p.tokenFile = m_hub->dataDir() + QStringLiteral("/admin.token");
    return p;
}

void tst_MainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("QEdgeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    QSettings().clear();

    m_hub =
        std::make_unique<HubProcess>(QStringList{QStringLiteral("--retry-interval"), QStringLiteral("1")});
    QVERIFY2(m_hub->start(), qPrintable(m_hub->output()));
    m_admin = std::make_unique<AdminClient>(
        m_hub->adminUrl(), m_hub->dataDir() + QStringLiteral("/pki/ca.crt"), m_hub->adminToken());
    for (const QString &name : {QStringLiteral("cfg-a"), QStringLiteral("cfg-b")})
        QCOMPARE(m_admin
                     ->put(QStringLiteral("/api/v1/nodes/pre-a/resources/default/configmap/") + name,
                           configMap(name))
                     .status,
                 201);
    QCOMPARE(m_admin
                 ->put(QStringLiteral("/api/v1/nodes/pre-b/resources/default/configmap/only"),
                       configMap(QStringLiteral("only")))
                 .status,
             201);

    m_edge = std::make_unique<TestEdge>(QStringLiteral("edge-live"));
    QVERIFY(m_edge->bootstrap(m_hub->bootstrapUrl(), m_hub->joinToken()).ok());
    QVERIFY(m_edge->connectTo(m_hub->webSocketPort()));
    m_edge->sendKeepalive();
    m_edge->keepAliveEvery(1000);

    m_window = std::make_unique<MainWindow>();
    m_window->setTrustPrompt([this](const QString &fp, const QString &) {
        m_prompts << fp;
        return true;
    });
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void tst_MainWindow::cleanupTestCase()
{
    m_window.reset();
    m_edge.reset();
    if (m_hub)
        m_hub->stop();
    QSettings().clear();
}

void tst_MainWindow::connectsAndShowsFleet()
{
    QSignalSpy connected(m_window.get(), &MainWindow::connected);
    m_window->connectTo(profile(QStringLiteral("test hub")));
    QVERIFY2(connected.wait(10000), qPrintable(m_window->bannerText() + m_window->streamText()));
    QCOMPARE(m_prompts.size(), 1);
    // The accepted certificate is pinned in the profile.
    QCOMPARE(ProfileStore().load(QStringLiteral("test hub")).pin, m_prompts.first());
    QCOMPARE(m_window->client()->pinnedFingerprint(), m_prompts.first());

    QTableView *table = m_window->fleetView()->table();
    QTRY_COMPARE(table->model()->rowCount(), 3);
    QStringList ids;
    for (int r = 0; r < 3; ++r)
        ids << table->model()->index(r, NodeModel::Id).data().toString();
    QCOMPARE(ids,
             (QStringList{QStringLiteral("edge-live"), QStringLiteral("pre-a"), QStringLiteral("pre-b")}));
    QCOMPARE(table->model()->index(0, NodeModel::Status).data().toString(), QStringLiteral("online"));
    QCOMPARE(table->model()->index(1, NodeModel::Status).data().toString(), QStringLiteral("offline"));
    QCOMPARE(table->model()->index(1, NodeModel::QueueDepth).data().toInt(), 2);
    QTRY_VERIFY2(m_window->streamText().contains(QLatin1String("connected")),
                 qPrintable(m_window->streamText()));
    QVERIFY(m_window->bannerText().isEmpty());

    // A second connection with the same profile asks nothing.
    m_window->connectTo(ProfileStore().load(QStringLiteral("test hub")));
    QVERIFY2(connected.wait(10000), qPrintable(m_window->bannerText() + m_window->streamText()));
    QCOMPARE(m_prompts.size(), 1);
}

void tst_MainWindow::filterAndCounts()
{
    QTRY_VERIFY2(
        m_window->countsText().contains(QString::fromUtf8("3 nodes · 1 online · 2 offline · 3 shown")),
        qPrintable(m_window->countsText()));
    // Ctrl+F goes to the filter; typing narrows the table.
    m_window->activateWindow();
    QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
    QLineEdit *filter = m_window->fleetView()->filterEdit();
    QTRY_VERIFY(filter->hasFocus());
    QTest::keyClicks(filter, QStringLiteral("pre-"));
    QCOMPARE(m_window->fleetView()->table()->model()->rowCount(), 2);
    QVERIFY2(m_window->countsText().endsWith(QLatin1String("2 shown")), qPrintable(m_window->countsText()));
    auto *status = m_window->fleetView()->findChild<QComboBox *>(QStringLiteral("statusFilter"));
    QVERIFY(status);
    filter->clear();
    status->setCurrentIndex(1);
    QCOMPARE(m_window->fleetView()->table()->model()->rowCount(), 1);
    status->setCurrentIndex(0);
    QCOMPARE(m_window->fleetView()->table()->model()->rowCount(), 3);
}

void tst_MainWindow::liveEventsReachTheScreen()
{
    // Events before the stream is up are not replayed (the console reloads the list instead).
    QTRY_COMPARE(m_window->eventStream()->state(), EventStream::State::Connected);
    // The console sees its side of the upgrade before the hub has counted it as a client; an event
    // published in between is not sent to it (it shows up with the next full reload, ~10 s later).
    const auto streamClients = [this] {
        const QByteArray metrics = m_admin->get(QStringLiteral("/metrics")).body;
        for (const QByteArray &line : metrics.split('\n'))
            if (line.startsWith("qedge_cloudhub_event_stream_clients "))
                return line.mid(line.indexOf(' ') + 1).trimmed().toInt();
        return -1;
    };
    QTRY_VERIFY(streamClients() >= 1);
    QCOMPARE(m_admin
                 ->put(QStringLiteral("/api/v1/nodes/edge-live/resources/default/configmap/live"),
                       configMap(QStringLiteral("live")))
                 .status,
             201);
    const auto msg = m_edge->waitForMessage([](const Message &) { return true; });
    QVERIFY(msg.has_value());
    m_edge->ack(*msg);
    // The table follows the stream: the ack shows as acked 1 / sent 1 within a batch.
    NodeModel *nodes = m_window->nodeModel();
    const int row = nodes->rowOf(QStringLiteral("edge-live"));
    QTRY_COMPARE(nodes->index(row, NodeModel::AckedSent).data().toString(), QStringLiteral("1 / 1"));
    EventLogModel *log = m_window->eventLog();
    QTRY_VERIFY(log->rowCount() >= 2);
    QStringList types;
    for (int r = 0; r < log->rowCount(); ++r)
        types << log->index(r, EventLogModel::Type).data().toString();
    QVERIFY2(types.contains(QStringLiteral("resource.queued")), qPrintable(types.join(u',')));
    QVERIFY2(types.contains(QStringLiteral("resource.acked")), qPrintable(types.join(u',')));
}

void tst_MainWindow::nodePageShowsResourcesAndQueue()
{
    // Activating a row (Enter / double-click) opens the node's tab.
    QTableView *table = m_window->fleetView()->table();
    table->setFocus();
    table->setCurrentIndex(table->model()->index(1, 0));
    QTest::keyClick(table, Qt::Key_Return);
    auto *page = qobject_cast<NodePage *>(m_window->tabs()->currentWidget());
    QVERIFY(page);
    QCOMPARE(page->nodeId(), QStringLiteral("pre-a"));
    QTRY_COMPARE(page->resourceModel()->rowCount(), 2);
    QCOMPARE(page->resourceModel()->index(0, ResourceModel::Name).data().toString(), QStringLiteral("cfg-a"));
    QVERIFY(!page->resourceModel()->index(0, ResourceModel::Uid).data().toString().isEmpty());
    QTRY_COMPARE(page->queueModel()->rowCount(), 2);
    QCOMPARE(page->queueModel()->index(0, QueueModel::Attempts).data().toInt(), 0);
    auto *types = page->findChild<QComboBox *>(QStringLiteral("typeFilter"));
    QTRY_COMPARE(types->count(), 2);
    QCOMPARE(types->itemText(1), QStringLiteral("configmap"));

    auto *view = page->findChild<QTableView *>(QStringLiteral("resources"));
    view->setCurrentIndex(view->model()->index(1, 0));
    auto *json = page->findChild<QPlainTextEdit *>(QStringLiteral("resourceJson"));
    QVERIFY(json->toPlainText().contains(QLatin1String("\"cfg-b\"")));
    QVERIFY(json->toPlainText().contains(QLatin1String("resourceVersion")));
    auto *header = page->findChild<QLabel *>(QStringLiteral("header"));
    QTRY_VERIFY2(header->text().contains(QLatin1String("offline")), qPrintable(header->text()));
}

void tst_MainWindow::applyAndDeleteThroughDialogs()
{
    NodePage *page = m_window->openNode(QStringLiteral("pre-a"));
    QTRY_COMPARE(page->resourceModel()->rowCount(), 2);

    onNextModal([](QWidget *w) {
        auto *editor = qobject_cast<ResourceEditor *>(w);
        QVERIFY(editor);
        editor->setText(QStringLiteral(
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-gui"},"data":{"x":"1"}})"));
        QVERIFY(editor->problem().isEmpty());
        // The confirmation question comes next; answer yes.
        onNextModal([](QWidget *box) {
            auto *mb = qobject_cast<QMessageBox *>(box);
            QVERIFY(mb);
            QVERIFY(mb->text().contains(QLatin1String("pre-a")));
            mb->button(QMessageBox::Yes)->click();
        });
        editor->accept();
    });
    page->editResource(false);
    QTRY_COMPARE(page->resourceModel()->rowCount(), 3);
    QVERIFY(page->resourceModel()->find(QStringLiteral("configmap"), QStringLiteral("default"),
                                        QStringLiteral("from-gui")) >= 0);
    QCOMPARE(m_admin->get(QStringLiteral("/api/v1/nodes/pre-a/resources/default/configmap/from-gui")).status,
             200);

    auto *view = page->findChild<QTableView *>(QStringLiteral("resources"));
    const int row = page->resourceModel()->find(QStringLiteral("configmap"), QStringLiteral("default"),
                                                QStringLiteral("from-gui"));
    view->setCurrentIndex(view->model()->index(row, 0));
    // Cancel first: nothing happens.
    onNextModal([](QWidget *box) { qobject_cast<QMessageBox *>(box)->button(QMessageBox::Cancel)->click(); });
    page->deleteSelectedResource();
    QCOMPARE(m_admin->get(QStringLiteral("/api/v1/nodes/pre-a/resources/default/configmap/from-gui")).status,
             200);
    onNextModal([](QWidget *box) { qobject_cast<QMessageBox *>(box)->button(QMessageBox::Yes)->click(); });
    page->deleteSelectedResource();
    QTRY_COMPARE(page->resourceModel()->rowCount(), 2);
    QCOMPARE(m_admin->get(QStringLiteral("/api/v1/nodes/pre-a/resources/default/configmap/from-gui")).status,
             404);
}

void tst_MainWindow::editorValidates_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("problem");
    QTest::newRow("valid") << QStringLiteral(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}})")
                           << QString();
    QTest::newRow("syntax") << QStringLiteral("{\n  \"kind\": \"ConfigMap\",\n  oops\n}")
                            << QStringLiteral("Line 3");
    QTest::newRow("array") << QStringLiteral("[1]") << QStringLiteral("JSON object");
    QTest::newRow("no name") << QStringLiteral(R"({"apiVersion":"v1","kind":"Secret","metadata":{}})")
                             << QStringLiteral("metadata.name");
}

void tst_MainWindow::editorValidates()
{
    QFETCH(QString, text);
    QFETCH(QString, problem);
    ResourceEditor editor(QStringLiteral("n"), QJsonObject());
    editor.setText(text);
    auto *ok = editor.findChildren<QPushButton *>().first();
    for (QPushButton *b : editor.findChildren<QPushButton *>()) {
        if (b->text() == QLatin1String("Apply"))
            ok = b;
    }
    if (problem.isEmpty()) {
        QVERIFY2(editor.problem().isEmpty(), qPrintable(editor.problem()));
        QVERIFY(ok->isEnabled());
        QCOMPARE(HubClient::typeOf(editor.object()), QStringLiteral("secret"));
    } else {
        QVERIFY2(editor.problem().contains(problem), qPrintable(editor.problem()));
        QVERIFY(!ok->isEnabled());
        QVERIFY(editor.object().isEmpty());
    }
}

void tst_MainWindow::copyAndExport()
{
    m_window->tabs()->setCurrentIndex(0);
    QTableView *table = m_window->fleetView()->table();
    table->setFocus();
    table->clearSelection();
    table->setCurrentIndex(table->model()->index(2, NodeModel::Id));
    table->selectionModel()->select(table->model()->index(2, NodeModel::Id),
                                    QItemSelectionModel::ClearAndSelect);
    QTest::keyClick(table, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("pre-b"));

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("fleet.csv"));
    m_window->exportCsv(path);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines =
        QString::fromUtf8(f.readAll()).split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    QVERIFY(lines.first().startsWith(QLatin1String("Node,Status,")));
    QVERIFY(lines.at(3).startsWith(QLatin1String("pre-b,offline,")));
}

void tst_MainWindow::wrongTokenIsExplained()
{
    HubProfile p = ProfileStore().load(QStringLiteral("test hub"));
    p.name = QStringLiteral("wrong token");
    p.tokenFile.clear();
    p.token = "wrong-token";
    QSignalSpy failed(m_window.get(), &MainWindow::connectFailed);
    m_window->connectTo(p);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    QVERIFY2(m_window->bannerText().contains(QLatin1String("401")), qPrintable(m_window->bannerText()));
    QCOMPARE(m_window->nodeModel()->rowCount(), 0);
}

void tst_MainWindow::changedCertificateIsRefused()
{
    const HubProfile good = ProfileStore().load(QStringLiteral("test hub"));
    HubProfile p = good;
    p.name = QStringLiteral("changed certificate");
    QString pin = p.pin;
    pin[0] = pin[0] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
    p.pin = pin;
    QSignalSpy failed(m_window.get(), &MainWindow::connectFailed);
    m_window->connectTo(p);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    QVERIFY2(m_window->bannerText().contains(QLatin1String("certificate changed")),
             qPrintable(m_window->bannerText()));
    QCOMPARE(m_prompts.size(), 1);

    // And back to a working connection with the right profile.
    QSignalSpy connected(m_window.get(), &MainWindow::connected);
    m_window->connectTo(good);
    QVERIFY2(connected.wait(10000), qPrintable(m_window->bannerText() + m_window->streamText()));
    QVERIFY(m_window->bannerText().isEmpty());
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
