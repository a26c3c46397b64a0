#include "gui/nodefilterproxy.h"

#include "gui/nodemodel.h"

namespace qedge {

NodeFilterProxy::NodeFilterProxy(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(NodeModel::SortRole);
    setDynamicSortFilter(true);
}

void NodeFilterProxy::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateRowsFilter();
}

void NodeFilterProxy::setStatusFilter(StatusFilter filter)
{
    if (filter == m_status)
        return;
    m_status = filter;
    invalidateRowsFilter();
}

bool NodeFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *m = sourceModel();
    if (m_status != StatusFilter::All) {
        const bool online = m->index(sourceRow, NodeModel::Id, sourceParent).data(NodeModel::StatusRole) ==
                            QLatin1String("online");
        if (online != (m_status == StatusFilter::Online))
            return false;
    }
    if (m_text.isEmpty())
        return true;
    for (int col : {int(NodeModel::Id), int(NodeModel::Labels), int(NodeModel::Status)}) {
        if (m->index(sourceRow, col, sourceParent).data().toString().contains(m_text, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

} // namespace qedge
