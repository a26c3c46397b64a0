#pragma once

#include "gui/apitypes.h"

#include <QWidget>

class QLabel;

namespace qedge {

class TimeChart;

/// The fleet at a glance: online/offline counts, queue depth and messages/s over time,
/// fed from /api/v1/stats once a second.
class OverviewPage : public QWidget
{
    Q_OBJECT
public:
    explicit OverviewPage(QWidget *parent = nullptr);

    void addStats(const HubStats &stats);
    void clear();
    TimeChart *nodesChart() const { return m_nodes; }
    TimeChart *queueChart() const { return m_queue; }
    TimeChart *rateChart() const { return m_rates; }

private:
    QLabel *m_online;
    QLabel *m_offline;
    QLabel *m_depth;
    QLabel *m_rate;
    TimeChart *m_nodes;
    TimeChart *m_queue;
    TimeChart *m_rates;
};

} // namespace qedge
