#pragma once

#include <QDateTime>
#include <QWidget>

class QChart;
class QChartView;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace qedge {

/// A rolling line chart over the last window() seconds: one series per name, one add() per tick.
class TimeChart : public QWidget
{
    Q_OBJECT
public:
    TimeChart(const QString &title, const QStringList &seriesNames, QWidget *parent = nullptr);

    /// Appends one point per series at time t (values in the order of the series names).
    void add(const QDateTime &t, const QList<double> &values);
    void clear();
    void setWindowSeconds(int s) { m_windowSeconds = s; }
    int pointCount() const;
    /// The last value of series i, for tests.
    double lastValue(int series) const;

private:
    QChart *m_chart;
    QChartView *m_view;
    QDateTimeAxis *m_x;
    QValueAxis *m_y;
    QList<QLineSeries *> m_series;
    int m_windowSeconds = 300;
};

} // namespace qedge
