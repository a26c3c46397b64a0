#include "gui/mainwindow.h"

#include "gui/activity.h"
#include "gui/connectdialog.h"
#include "gui/edgeview.h"
#include "gui/eventlogmodel.h"
#include "gui/fleetview.h"
#include "gui/hubclient.h"
#include "gui/nodefilterproxy.h"
#include "gui/nodemodel.h"
#include "gui/nodepage.h"
#include "gui/overviewpage.h"
#include "gui/tableexport.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace qedge {

namespace {
QIcon icon(const char *name)
{
    return QIcon(QStringLiteral(":/icons/%1.svg").arg(QLatin1String(name)));
}
} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_client(new HubClient(this)), m_stream(new EventStream(this)),
      m_activity(new Activity(this)), m_nodes(new NodeModel(this)), m_events(new EventLogModel(this)),
      m_tabs(new QTabWidget(this)), m_fleet(new FleetView(m_nodes, this)), m_overview(new OverviewPage(this)),
      m_eventView(new QTableView(this)), m_edge(new EdgeView(this)), m_banner(new QLabel(this)),
      m_streamLabel(new QLabel(this)), m_countsLabel(new QLabel(this)), m_progress(new QProgressBar(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("QEdge console"));
    setWindowIcon(icon("qedge"));

    m_eventView->setObjectName(QStringLiteral("events"));
    m_eventView->setModel(m_events);
    m_eventView->verticalHeader()->hide();
    m_eventView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_eventView->verticalHeader()->setDefaultSectionSize(m_eventView->fontMetrics().height() + 6);
    m_eventView->horizontalHeader()->setStretchLastSection(true);
    m_eventView->setColumnWidth(EventLogModel::Time, 110);
    m_eventView->setColumnWidth(EventLogModel::Type, 150);
    m_eventView->setColumnWidth(EventLogModel::Node, 140);
    m_eventView->setSelectionBehavior(QAbstractItemView::SelectRows);

    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->setTabsClosable(true);
    m_tabs->addTab(m_fleet, icon("node"), tr("Fleet"));
    m_tabs->addTab(m_overview, icon("chart"), tr("Overview"));
    m_tabs->addTab(m_eventView, icon("events"), tr("Events"));
    m_tabs->addTab(m_edge, icon("edge"), tr("Edge"));
    for (int i = 0; i < 4; ++i)
        m_tabs->tabBar()->setTabButton(i, QTabBar::RightSide, nullptr);
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, [this](int i) {
        if (i >= 4) {
            QWidget *w = m_tabs->widget(i);
            m_tabs->removeTab(i);
            w->deleteLater();
        }
    });

    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setWordWrap(true);
    m_banner->setStyleSheet(
        QStringLiteral("background: #fdecea; color: #8e1b10; padding: 6px; border: 1px solid #f5c6cb;"));
    m_banner->hide();
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_banner);
    layout->addWidget(m_tabs);
    setCentralWidget(central);

    m_streamLabel->setObjectName(QStringLiteral("streamState"));
    m_countsLabel->setObjectName(QStringLiteral("counts"));
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(120);
    m_progress->hide();
    statusBar()->addWidget(m_countsLabel);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_streamLabel);
    m_streamLabel->setText(m_stream->stateText());

    buildActions();

    connect(m_fleet, &FleetView::nodeActivated, this, [this](const QString &id) { openNode(id); });
    connect(m_fleet, &FleetView::shownCountChanged, this, &MainWindow::updateCounts);
    connect(m_nodes, &NodeModel::flushed, this, &MainWindow::updateCounts);
    connect(m_nodes, &QAbstractItemModel::modelReset, this, &MainWindow::updateCounts);
    connect(m_stream, &EventStream::event, this, &MainWindow::onEvent);
    connect(m_stream, &EventStream::stateChanged, this, [this](EventStream::State s, const QString &text) {
        m_streamLabel->setText(text);
        m_streamLabel->setStyleSheet(s == EventStream::State::Connected ? QStringLiteral("color: #1b7f3b")
                                     : s == EventStream::State::Error   ? QStringLiteral("color: #c0392b")
                                                                        : QString());
        // A stream that comes back may have missed events: catch up with a fresh list.
        if (s == EventStream::State::Connected && m_connected)
            loadNodes(false);
    });
    connect(m_activity, &Activity::changed, this, [this] {
        m_progress->setVisible(m_activity->busy());
        m_progress->setToolTip(m_activity->current());
    });
    connect(m_activity, &Activity::finished, this, [this](const QString &message, bool error) {
        statusBar()->showMessage(message, error ? 15000 : 5000);
        if (error)
            showBanner(message);
    });
    connect(m_client, &HubClient::certificateChanged, this, [this](const QString &) { m_stream->stop(); });

    m_statsTimer.setInterval(1000);
    connect(&m_statsTimer, &QTimer::timeout, this, &MainWindow::pollStats);
    // Counting events is an approximation; a periodic list keeps the table honest.
    m_nodesTimer.setInterval(10000);
    connect(&m_nodesTimer, &QTimer::timeout, this, [this] { loadNodes(false); });

    m_trustPrompt = [this](const QString &fp, const QString &subject) {
        QMessageBox box(QMessageBox::Question, tr("Trust this hub?"),
                        tr("This is the first connection to %1 with this profile.\n\nThe hub presents the "
                           "certificate \"%2\" with SHA-256 fingerprint\n\n%3\n\nCompare it with the hub's "
                           "(openssl x509 -in <data dir>/pki/server.crt -noout -fingerprint -sha256). "
                           "Trust it and remember it for this profile?")
                            .arg(m_profile.url.toString(), subject, fp),
                        QMessageBox::Yes | QMessageBox::No, this);
        box.setDefaultButton(QMessageBox::No);
        box.setTextInteractionFlags(Qt::TextSelectableByMouse);
        return box.exec() == QMessageBox::Yes;
    };

    QSettings s;
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    if (!s.contains(QStringLiteral("window/geometry")))
        resize(1200, 760);
    updateCounts();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *connectAct =
        file->addAction(icon("connect"), tr("&Connect to hub…"), this, &MainWindow::showConnectDialog);
    connectAct->setShortcut(QKeySequence::Open);
    QAction *exportAct =
        file->addAction(icon("export"), tr("&Export table as CSV…"), this, [this] { exportCsv(); });
    exportAct->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    file->addSeparator();
    QAction *quit = file->addAction(icon("quit"), tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *copy = edit->addAction(icon("copy"), tr("&Copy"), this, &MainWindow::copySelection);
    copy->setShortcut(QKeySequence::Copy);
    copy->setObjectName(QStringLiteral("copyAction"));
    QAction *find = edit->addAction(icon("find"), tr("&Find node…"), this, [this] {
        m_tabs->setCurrentWidget(m_fleet);
        m_fleet->focusFilter();
    });
    find->setShortcut(QKeySequence::Find);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *refreshAct = view->addAction(icon("refresh"), tr("&Refresh"), this, &MainWindow::refresh);
    refreshAct->setShortcut(QKeySequence::Refresh);
    refreshAct->setObjectName(QStringLiteral("refreshAction"));
    view->addSeparator();
    const char *const names[] = {"node", "chart", "events", "edge"};
    for (int i = 0; i < 4; ++i) {
        QAction *a = view->addAction(icon(names[i]), m_tabs->tabText(i), this,
                                     [this, i] { m_tabs->setCurrentIndex(i); });
        a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
    }
    QAction *openNodeAct = view->addAction(icon("node"), tr("&Open selected node"), this, [this] {
        const QModelIndex i = m_fleet->table()->currentIndex();
        if (i.isValid())
            openNode(m_fleet->proxy()->index(i.row(), NodeModel::Id).data().toString());
    });
    openNodeAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(icon("about"), tr("&About QEdge console"), this, &MainWindow::about);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);

    QToolBar *tb = addToolBar(tr("Main"));
    tb->setObjectName(QStringLiteral("mainToolBar"));
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->addAction(connectAct);
    tb->addAction(refreshAct);
    tb->addAction(exportAct);
}

void MainWindow::about()
{
    QMessageBox::about(
        this, tr("About QEdge console"),
        tr("<h3>QEdge console %1</h3><p>The desktop console of QEdge, a cloud-edge hub compatible with "
           "KubeEdge. It talks to a cloudhub's admin API and an edgehub's local API.</p>"
           "<p>Built with Qt %2, running on Qt %3.<br>Connected hub: %4</p>")
            .arg(QStringLiteral(QEDGE_VERSION), QStringLiteral(QT_VERSION_STR),
                 QString::fromLatin1(qVersion()),
                 m_profile.url.isEmpty() ? tr("none") : m_profile.url.toString().toHtmlEscaped()));
}

void MainWindow::showConnectDialog()
{
    ConnectDialog dialog(&m_store, this);
    if (dialog.exec() == QDialog::Accepted)
        connectTo(dialog.profile());
}

void MainWindow::connectTo(const HubProfile &profile)
{
    ++m_generation;
    m_profile = profile;
    m_connected = false;
    m_stream->stop();
    m_statsTimer.stop();
    m_nodesTimer.stop();
    m_nodes->clear();
    m_events->clear();
    m_overview->clear();
    while (m_tabs->count() > 4) {
        QWidget *w = m_tabs->widget(4);
        m_tabs->removeTab(4);
        w->deleteLater();
    }
    const auto token = profile.resolveToken();
    if (!token.ok()) {
        showBanner(token.errorMessage());
        emit connectFailed(token.errorMessage());
        return;
    }
    m_token = token.value();
    // A profile used to connect is remembered, with the pin the user accepts for it.
    if (!profile.name.isEmpty()) {
        m_store.save(profile);
        m_store.setLastUsed(profile.name);
    }
    m_client->setHub(profile.url, m_token);
    m_client->setPinnedFingerprint(profile.pin);
    setWindowTitle(tr("%1 — QEdge console").arg(profile.name));
    probe();
}

void MainWindow::probe()
{
    const int generation = m_generation;
    const int op = m_activity->begin(tr("Connecting to %1").arg(m_profile.url.toString()));
    m_streamLabel->setText(tr("connecting to %1").arg(m_profile.url.toString()));
    m_client->stats(this, [this, op, generation](Result<HubStats> r) {
        m_activity->end(op);
        if (generation != m_generation)
            return;
        if (r.ok()) {
            onConnected();
            return;
        }
        if (r.error().code == QLatin1String("certificate_unknown")) {
            const QString fp = m_client->presentedFingerprint();
            if (!fp.isEmpty() && m_trustPrompt && m_trustPrompt(fp, m_profile.url.host())) {
                m_profile.pin = fp;
                m_store.savePin(m_profile.name, fp);
                m_client->setPinnedFingerprint(fp);
                probe();
                return;
            }
        }
        m_streamLabel->setText(tr("not connected"));
        showBanner(r.errorMessage());
        emit connectFailed(r.errorMessage());
    });
}

void MainWindow::onConnected()
{
    showBanner(QString());
    m_stream->setHub(m_profile.url, m_token, m_client->pinnedFingerprint());
    m_stream->start();
    loadNodes(true);
    m_statsTimer.start();
    m_nodesTimer.start();
}

void MainWindow::loadNodes(bool first)
{
    const int generation = m_generation;
    const int op = first ? m_activity->begin(tr("Loading nodes")) : 0;
    m_client->nodes(this, [this, op, first, generation](Result<QList<NodeInfo>> r) {
        if (op)
            m_activity->end(op);
        if (generation != m_generation)
            return;
        if (!r.ok()) {
            showBanner(r.errorMessage());
            if (first)
                emit connectFailed(r.errorMessage());
            return;
        }
        if (first) {
            m_nodes->setNodes(r.value());
            m_connected = true;
            statusBar()->showMessage(tr("Connected to %1").arg(m_profile.url.toString()), 5000);
            emit connected();
        } else {
            m_nodes->mergeNodes(r.value());
        }
        // The hub answers again: an old error no longer describes the present.
        showBanner(QString());
    });
}

void MainWindow::pollStats()
{
    // One outstanding poll at a time: a slow hub must not pile requests up.
    if (m_statsInFlight)
        return;
    m_statsInFlight = true;
    m_client->stats(this, [this](Result<HubStats> r) {
        m_statsInFlight = false;
        if (r.ok())
            m_overview->addStats(r.value());
    });
}

void MainWindow::onEvent(const HubEvent &event)
{
    // The hub dropped events for us (we were slow): the counts may be off, fetch the truth.
    if (event.node.isEmpty() && event.type == QLatin1String("dropped"))
        loadNodes(false);
    m_nodes->applyEvent(event);
    m_events->append(event);
    for (int i = 4; i < m_tabs->count(); ++i) {
        auto *page = qobject_cast<NodePage *>(m_tabs->widget(i));
        if (page && page->nodeId() == event.node)
            page->onEvent(event);
    }
}

NodePage *MainWindow::openNode(const QString &id)
{
    for (int i = 4; i < m_tabs->count(); ++i) {
        auto *page = qobject_cast<NodePage *>(m_tabs->widget(i));
        if (page && page->nodeId() == id) {
            m_tabs->setCurrentIndex(i);
            return page;
        }
    }
    auto *page = new NodePage(m_client, m_activity, m_events, id, m_tabs);
    m_tabs->setCurrentIndex(m_tabs->addTab(page, icon("node"), id));
    return page;
}

void MainWindow::refresh()
{
    if (m_profile.url.isEmpty())
        return;
    if (!m_connected) {
        probe();
        return;
    }
    loadNodes(false);
    if (auto *page = qobject_cast<NodePage *>(m_tabs->currentWidget()))
        page->refresh();
    else if (m_tabs->currentWidget() == m_edge)
        m_edge->refresh();
    pollStats();
}

QAbstractItemView *MainWindow::currentView() const
{
    if (auto *v = qobject_cast<QAbstractItemView *>(QApplication::focusWidget()))
        return v;
    QWidget *w = m_tabs->currentWidget();
    if (w == m_fleet)
        return m_fleet->table();
    if (w == m_eventView)
        return m_eventView;
    if (w == m_edge)
        return m_edge->resourcesView();
    if (auto *page = qobject_cast<NodePage *>(w))
        return page->currentView();
    return nullptr;
}

void MainWindow::copySelection()
{
    QWidget *focus = QApplication::focusWidget();
    if (auto *line = qobject_cast<QLineEdit *>(focus)) {
        line->copy();
        return;
    }
    if (auto *text = qobject_cast<QPlainTextEdit *>(focus)) {
        text->copy();
        return;
    }
    if (QAbstractItemView *v = currentView())
        QGuiApplication::clipboard()->setText(selectionText(v));
}

void MainWindow::exportCsv(const QString &path)
{
    QAbstractItemView *v = currentView();
    if (!v || !v->model())
        return;
    QString target = path;
    if (target.isEmpty()) {
        target = QFileDialog::getSaveFileName(this, tr("Export table as CSV"), QStringLiteral("qedge.csv"),
                                              tr("CSV files (*.csv)"));
        if (target.isEmpty())
            return;
    }
    const int op = m_activity->begin(tr("Exporting"));
    const Status s = writeCsv(v->model(), target);
    m_activity->end(
        op, s.ok() ? tr("Exported %1 rows to %2").arg(v->model()->rowCount()).arg(target) : s.errorMessage(),
        !s.ok());
}

void MainWindow::updateCounts()
{
    const int total = m_nodes->rowCount();
    const int online = m_nodes->onlineCount();
    m_countsLabel->setText(tr("%1 nodes · %2 online · %3 offline · %4 shown")
                               .arg(total)
                               .arg(online)
                               .arg(total - online)
                               .arg(m_fleet->shownCount()));
}

void MainWindow::showBanner(const QString &text)
{
    m_banner->setText(text);
    m_banner->setVisible(!text.isEmpty());
}

QString MainWindow::bannerText() const
{
    return m_banner->isVisible() || !m_banner->isHidden() ? m_banner->text() : QString();
}

QString MainWindow::countsText() const
{
    return m_countsLabel->text();
}

QString MainWindow::streamText() const
{
    return m_streamLabel->text();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    m_stream->stop();
    event->accept();
}

} // namespace qedge
