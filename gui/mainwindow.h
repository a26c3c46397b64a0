#pragma once

#include "gui/apitypes.h"
#include "gui/eventstream.h"
#include "gui/profilestore.h"

#include <QMainWindow>
#include <QTimer>

#include <functional>

class QAbstractItemView;
class QLabel;
class QProgressBar;
class QTabWidget;
class QTableView;

namespace qedge {

class Activity;
class EdgeView;
class EventLogModel;
class FleetView;
class HubClient;
class NodeModel;
class NodePage;
class OverviewPage;

/// The console's window: fleet table, overview charts, event log, edge view and one tab per
/// opened node. It only wires things; the work is in the models, pages and clients.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    /// Asked when a hub shows an unpinned certificate: true trusts and pins it.
    using TrustPrompt = std::function<bool(const QString &fingerprint, const QString &subject)>;

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Connects to a hub with this profile (token resolved, pin used or asked for).
    void connectTo(const HubProfile &profile);
    void setTrustPrompt(TrustPrompt prompt) { m_trustPrompt = std::move(prompt); }
    /// Opens (or shows) the tab of a node.
    NodePage *openNode(const QString &id);
    void refresh();
    void showConnectDialog();
    /// Writes the current table as CSV (asks for a file name when path is empty).
    void exportCsv(const QString &path = QString());
    void copySelection();

    HubClient *client() const { return m_client; }
    NodeModel *nodeModel() const { return m_nodes; }
    EventLogModel *eventLog() const { return m_events; }
    FleetView *fleetView() const { return m_fleet; }
    OverviewPage *overview() const { return m_overview; }
    EdgeView *edgeView() const { return m_edge; }
    QTabWidget *tabs() const { return m_tabs; }
    EventStream *eventStream() const { return m_stream; }
    /// True once the first node list of the current hub arrived.
    bool isConnected() const { return m_connected; }
    /// The red banner's text (last error), empty when all is well.
    QString bannerText() const;
    QString countsText() const;
    QString streamText() const;
    /// The table the user is looking at.
    QAbstractItemView *currentView() const;

signals:
    /// The first node list of a hub is shown.
    void connected();
    /// Connecting failed with a message shown in the banner.
    void connectFailed(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void probe();
    void onConnected();
    void loadNodes(bool first);
    void pollStats();
    void onEvent(const HubEvent &event);
    void updateCounts();
    void showBanner(const QString &text);
    void about();

    ProfileStore m_store;
    HubProfile m_profile;
    QByteArray m_token;
    HubClient *m_client;
    EventStream *m_stream;
    Activity *m_activity;
    NodeModel *m_nodes;
    EventLogModel *m_events;
    QTabWidget *m_tabs;
    FleetView *m_fleet;
    OverviewPage *m_overview;
    QTableView *m_eventView;
    EdgeView *m_edge;
    QLabel *m_banner;
    QLabel *m_streamLabel;
    QLabel *m_countsLabel;
    QProgressBar *m_progress;
    QTimer m_statsTimer;
    QTimer m_nodesTimer;
    TrustPrompt m_trustPrompt;
    bool m_connected = false;
    bool m_statsInFlight = false;
    int m_generation = 0;
};

} // namespace qedge
