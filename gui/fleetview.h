#pragma once

#include <QWidget>

class QComboBox;
class QLineEdit;
class QTableView;

namespace qedge {

class NodeFilterProxy;
class NodeModel;

/// The node table with its text and status filters. One view over the model, no widget per row.
class FleetView : public QWidget
{
    Q_OBJECT
public:
    FleetView(NodeModel *model, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    NodeFilterProxy *proxy() const { return m_proxy; }
    QLineEdit *filterEdit() const { return m_filter; }
    /// Focuses the text filter (Ctrl+F).
    void focusFilter();
    int shownCount() const;

signals:
    void nodeActivated(const QString &id);
    void shownCountChanged();

private:
    NodeModel *m_model;
    NodeFilterProxy *m_proxy;
    QLineEdit *m_filter;
    QComboBox *m_status;
    QTableView *m_table;
};

} // namespace qedge
