#pragma once

#include "gui/apitypes.h"

#include <QAbstractTableModel>
#include <QTimer>
#include <QVector>

namespace qedge {

/// The last capacity() admin events, newest last. Appends are batched like the node table's
/// (one insert per batch) and the oldest rows are dropped in one remove.
class EventLogModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Type, Node, Details, ColumnCount };

    explicit EventLogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void append(const HubEvent &event);
    void flush();
    void clear();
    void setCapacity(int rows) { m_capacity = rows; }
    int capacity() const { return m_capacity; }
    void setBatchInterval(int ms) { m_timer.setInterval(ms); }
    const HubEvent &event(int row) const { return m_events.at(row); }

private:
    QVector<HubEvent> m_events;
    QVector<HubEvent> m_pending;
    QTimer m_timer;
    int m_capacity = 5000;
};

} // namespace qedge
