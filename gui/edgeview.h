#pragma once

#include <QTimer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QTableView;

namespace qedge {

class EdgeClient;
class ResourceModel;
class TwinModel;

/// What an edgehub on this machine holds, from its local API: link state, outbox, resources, devices.
class EdgeView : public QWidget
{
    Q_OBJECT
public:
    explicit EdgeView(QWidget *parent = nullptr);

    void setUrl(const QUrl &url);
    /// Connects (or refreshes) now; then polls every 2 s while visible.
    void refresh();
    QTableView *resourcesView() const { return m_resourcesView; }
    QLabel *statusLabel() const { return m_status; }
    ResourceModel *resourceModel() const { return m_resources; }

private:
    EdgeClient *m_client;
    QLineEdit *m_url;
    QLabel *m_status;
    ResourceModel *m_resources;
    TwinModel *m_twins;
    QTableView *m_resourcesView;
    QTableView *m_devicesView;
    QTimer m_poll;
    bool m_started = false;
};

} // namespace qedge
