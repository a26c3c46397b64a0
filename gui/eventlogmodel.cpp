#include "gui/eventlogmodel.h"

#include <QBrush>
#include <QColor>

namespace qedge {

EventLogModel::EventLogModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(250);
    connect(&m_timer, &QTimer::timeout, this, &EventLogModel::flush);
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const HubEvent &e = m_events.at(index.row());
    if (role == Qt::ForegroundRole && index.column() == Type) {
        if (e.type == QLatin1String("resource.dropped") || e.type == QLatin1String("node.offline"))
            return QBrush(QColor(0xc0, 0x39, 0x2b));
        if (e.type == QLatin1String("node.online") || e.type == QLatin1String("resource.acked"))
            return QBrush(QColor(0x1b, 0x7f, 0x3b));
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Time:
        return e.time.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"));
    case Type:
        return e.type;
    case Node:
        return e.node;
    case Details:
        return e.summary();
    }
    return {};
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time:
        return tr("Time");
    case Type:
        return tr("Event");
    case Node:
        return tr("Node");
    case Details:
        return tr("Details");
    }
    return {};
}

void EventLogModel::append(const HubEvent &event)
{
    m_pending << event;
    if (!m_timer.isActive())
        m_timer.start();
}

void EventLogModel::flush()
{
    m_timer.stop();
    if (m_pending.isEmpty())
        return;
    if (m_pending.size() > m_capacity)
        m_pending.remove(0, m_pending.size() - m_capacity);
    const int overflow = int(m_events.size() + m_pending.size()) - m_capacity;
    if (overflow > 0) {
        beginRemoveRows(QModelIndex(), 0, overflow - 1);
        m_events.remove(0, overflow);
        endRemoveRows();
    }
    const int first = int(m_events.size());
    beginInsertRows(QModelIndex(), first, first + int(m_pending.size()) - 1);
    m_events += m_pending;
    endInsertRows();
    m_pending.clear();
}

void EventLogModel::clear()
{
    beginResetModel();
    m_events.clear();
    m_pending.clear();
    endResetModel();
}

} // namespace qedge
