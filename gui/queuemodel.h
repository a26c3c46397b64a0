#pragma once

#include "gui/apitypes.h"

#include <QAbstractTableModel>

namespace qedge {

/// A node's delivery queue: uid, resource, operation, resourceVersion, attempts, age, state.
class QueueModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Uid, Resource, Operation, ResourceVersion, Attempts, Age, State, ColumnCount };

    explicit QueueModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setQueue(const QueueInfo &queue);
    const QueueInfo &queue() const { return m_queue; }

private:
    QueueInfo m_queue;
};

} // namespace qedge
