#pragma once

#include "gui/apitypes.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QHash>
#include <QTimer>
#include <QVector>

namespace qedge {

/// The fleet table. Live changes (events, refreshes) are collected and applied at most every
/// batchInterval() ms as contiguous dataChanged ranges and one insert, never a reset per event.
class NodeModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Id,
        Status,
        Since,
        LastSeen,
        QueueDepth,
        InFlight,
        AckedSent,
        CertExpiry,
        Labels,
        ColumnCount
    };
    /// Raw value for sorting (numbers, times, bools) under this role.
    static constexpr int SortRole = Qt::UserRole;
    /// "online"/"offline" for the status filter.
    static constexpr int StatusRole = Qt::UserRole + 1;

    explicit NodeModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// Replaces everything (first load): one reset.
    void setNodes(const QList<NodeInfo> &nodes);
    /// Merges a fresh list (refresh): queued like events; nodes missing from the list are removed.
    void mergeNodes(const QList<NodeInfo> &nodes);
    /// Applies one admin event to the node it names (queued; see flush()).
    void applyEvent(const HubEvent &event);
    /// Queues a replacement of one node.
    void updateNode(const NodeInfo &node);
    /// Applies everything queued now.
    void flush();
    void clear();

    void setBatchInterval(int ms) { m_timer.setInterval(ms); }
    int batchInterval() const { return m_timer.interval(); }
    bool hasPending() const { return !m_pending.isEmpty() || m_pendingRemoval; }

    const NodeInfo &node(int row) const { return m_rows.at(row); }
    int rowOf(const QString &id) const { return m_index.value(id, -1); }
    int onlineCount() const { return m_online; }

signals:
    /// After each flush: rows changed and inserted, for counts and measurements.
    void flushed(int changedRows, int insertedRows);

private:
    NodeInfo &working(const QString &id);
    void schedule();
    void recount();

    QVector<NodeInfo> m_rows;
    QHash<QString, int> m_index;
    QHash<QString, NodeInfo> m_pending;
    QHash<QString, bool> m_keep;
    bool m_pendingRemoval = false;
    QTimer m_timer;
    int m_online = 0;
};

} // namespace qedge
