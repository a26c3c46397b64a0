#include "gui/timechart.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

namespace qedge {

TimeChart::TimeChart(const QString &title, const QStringList &seriesNames, QWidget *parent)
    : QWidget(parent), m_chart(new QChart), m_view(new QChartView(m_chart, this)), m_x(new QDateTimeAxis),
      m_y(new QValueAxis)
{
    m_chart->setTitle(title);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_x->setFormat(QStringLiteral("HH:mm:ss"));
    m_x->setTickCount(5);
    m_y->setLabelFormat(QStringLiteral("%.0f"));
    m_y->setRange(0, 10);
    m_y->setTickCount(6);
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_y, Qt::AlignLeft);
    for (const QString &name : seriesNames) {
        auto *s = new QLineSeries;
        s->setName(name);
        m_chart->addSeries(s);
        s->attachAxis(m_x);
        s->attachAxis(m_y);
        m_series << s;
    }
    const QDateTime now = QDateTime::currentDateTime();
    m_x->setRange(now.addSecs(-60), now);
    m_view->setRenderHint(QPainter::Antialiasing);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    setMinimumHeight(180);
}

void TimeChart::add(const QDateTime &t, const QList<double> &values)
{
    const qreal x = qreal(t.toMSecsSinceEpoch());
    const qreal cutoff = x - qreal(m_windowSeconds) * 1000;
    double top = 0;
    for (int i = 0; i < m_series.size() && i < values.size(); ++i) {
        QLineSeries *s = m_series.at(i);
        s->append(x, values.at(i));
        int drop = 0;
        while (drop < s->count() && s->at(drop).x() < cutoff)
            ++drop;
        if (drop > 0)
            s->removePoints(0, drop);
        for (const QPointF &p : s->points())
            top = std::max(top, p.y());
    }
    // Round the axis up to 1, 2 or 5 times a power of ten so the five ticks are round numbers
    // and the axis does not jitter with every point.
    const double want = std::max(10.0, top * 1.1);
    const double decade = std::pow(10.0, std::floor(std::log10(want)));
    double nice = 10 * decade;
    for (double f : {1.0, 2.0, 5.0}) {
        if (f * decade >= want) {
            nice = f * decade;
            break;
        }
    }
    m_y->setRange(0, nice);
    const QDateTime first = m_series.isEmpty() || m_series.first()->count() == 0
                                ? t
                                : QDateTime::fromMSecsSinceEpoch(qint64(m_series.first()->at(0).x()));
    m_x->setRange(first.secsTo(t) < 30 ? t.addSecs(-30) : first, t);
}

void TimeChart::clear()
{
    for (QLineSeries *s : m_series)
        s->clear();
}

int TimeChart::pointCount() const
{
    return m_series.isEmpty() ? 0 : int(m_series.first()->count());
}

double TimeChart::lastValue(int series) const
{
    const QLineSeries *s = m_series.value(series);
    return s && s->count() > 0 ? s->at(s->count() - 1).y() : 0.0;
}

} // namespace qedge
