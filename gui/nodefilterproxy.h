#pragma once

#include <QSortFilterProxyModel>

namespace qedge {

/// Sort and filter for the fleet table: a text filter over id and labels and a status filter.
class NodeFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum class StatusFilter { All, Online, Offline };

    explicit NodeFilterProxy(QObject *parent = nullptr);

    void setText(const QString &text);
    void setStatusFilter(StatusFilter filter);
    StatusFilter statusFilter() const { return m_status; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    StatusFilter m_status = StatusFilter::All;
};

} // namespace qedge
