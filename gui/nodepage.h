#pragma once

#include "gui/apitypes.h"

#include <QTimer>
#include <QWidget>

class QAbstractItemView;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;

namespace qedge {

class Activity;
class EventLogModel;
class HubClient;
class QueueModel;
class ResourceModel;
class TimeChart;
class TwinModel;

/// Everything about one node, in tabs: resources (view, apply, delete), queue, device twins
/// (desired vs reported, edit desired), its events and a chart of its queue.
class NodePage : public QWidget
{
    Q_OBJECT
public:
    NodePage(HubClient *client, Activity *activity, EventLogModel *events, const QString &node,
             QWidget *parent = nullptr);

    QString nodeId() const { return m_node; }
    /// Reloads node, resources, queue and devices.
    void refresh();
    /// Called for every live event of this node (device changes reload the twins).
    void onEvent(const HubEvent &event);
    /// The table of the current tab, for copy and export.
    QAbstractItemView *currentView() const;

    ResourceModel *resourceModel() const { return m_resources; }
    QueueModel *queueModel() const { return m_queue; }
    TwinModel *twinModel() const { return m_twins; }
    QTabWidget *tabs() const { return m_tabs; }

    /// Opens the JSON editor for a new resource (or the selected one when edit is true).
    void editResource(bool edit);
    /// Asks, then deletes the selected resource.
    void deleteSelectedResource();
    /// Sets a desired twin value (asks nothing: the table edit was the user's intent).
    void setDesired(const QString &ns, const QString &device, const QString &property, const QString &value);

private:
    QWidget *buildResourcesTab();
    QWidget *buildQueueTab();
    QWidget *buildTwinsTab();
    QWidget *buildEventsTab();
    void loadResources();
    void loadQueue();
    void loadDevices();
    void loadNode();
    void showSelectedJson();
    void applyObject(const QJsonObject &object);

    HubClient *m_client;
    Activity *m_activity;
    QString m_node;
    QLabel *m_header;
    QTabWidget *m_tabs;
    ResourceModel *m_resources;
    QueueModel *m_queue;
    TwinModel *m_twins;
    QSortFilterProxyModel *m_typeFilter;
    QSortFilterProxyModel *m_eventFilter;
    QComboBox *m_typeCombo;
    QTableView *m_resourceView;
    QTableView *m_queueView;
    QTableView *m_twinView;
    QTableView *m_eventView;
    QPlainTextEdit *m_json;
    QLabel *m_queueSummary;
    TimeChart *m_chart;
    QTimer m_poll;
    QTimer m_devicesDebounce;
};

} // namespace qedge
