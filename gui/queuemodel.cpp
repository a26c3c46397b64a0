#include "gui/queuemodel.h"

#include <QBrush>
#include <QColor>

namespace qedge {

QueueModel::QueueModel(QObject *parent) : QAbstractTableModel(parent)
{}

int QueueModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_queue.entries.size());
}

int QueueModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QueueModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QueueEntry &e = m_queue.entries.at(index.row());
    if (role == Qt::ForegroundRole && index.column() == State && e.state == QLatin1String("backoff"))
        return QBrush(QColor(0xc0, 0x39, 0x2b));
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != Qt::UserRole)
        return {};
    switch (index.column()) {
    case Uid:
        return e.uid;
    case Resource:
        return e.resource;
    case Operation:
        return e.operation;
    case ResourceVersion:
        return e.resourceVersion;
    case Attempts:
        return e.attempts;
    case Age:
        return role == Qt::UserRole ? QVariant(e.ageMs) : QVariant(humanAge(e.ageMs));
    case State:
        return e.state;
    }
    return {};
}

QVariant QueueModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Uid:
        return tr("UID");
    case Resource:
        return tr("Resource");
    case Operation:
        return tr("Operation");
    case ResourceVersion:
        return tr("Resource version");
    case Attempts:
        return tr("Attempts");
    case Age:
        return tr("Age");
    case State:
        return tr("State");
    }
    return {};
}

void QueueModel::setQueue(const QueueInfo &queue)
{
    beginResetModel();
    m_queue = queue;
    endResetModel();
}

} // namespace qedge
