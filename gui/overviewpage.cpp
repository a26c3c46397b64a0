#include "gui/overviewpage.h"

#include "gui/timechart.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace qedge {

namespace {
QLabel *bigNumber(const QString &name, const QString &color, QWidget *parent, QHBoxLayout *row,
                  const QString &caption)
{
    auto *box = new QGroupBox(caption, parent);
    auto *label = new QLabel(QStringLiteral("—"), box);
    label->setObjectName(name);
    label->setAlignment(Qt::AlignCenter);
    label->setStyleSheet(QStringLiteral("font-size: 22pt; font-weight: 600; color: %1").arg(color));
    auto *l = new QVBoxLayout(box);
    l->addWidget(label);
    row->addWidget(box);
    return label;
}
} // namespace

OverviewPage::OverviewPage(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("overview"));
    auto *numbers = new QHBoxLayout;
    m_online =
        bigNumber(QStringLiteral("onlineCount"), QStringLiteral("#1b7f3b"), this, numbers, tr("Online"));
    m_offline =
        bigNumber(QStringLiteral("offlineCount"), QStringLiteral("#7f8c8d"), this, numbers, tr("Offline"));
    m_depth = bigNumber(QStringLiteral("queueDepth"), QStringLiteral("#2c6fbb"), this, numbers, tr("Queued"));
    m_rate = bigNumber(QStringLiteral("ackRate"), QStringLiteral("#d35400"), this, numbers, tr("Acked / s"));
    m_nodes = new TimeChart(tr("Nodes"), {tr("online"), tr("offline")}, this);
    m_queue = new TimeChart(tr("Queue"), {tr("depth"), tr("in flight")}, this);
    m_rates = new TimeChart(tr("Messages per second"), {tr("sent"), tr("acked"), tr("received")}, this);
    auto *grid = new QGridLayout;
    grid->addWidget(m_nodes, 0, 0);
    grid->addWidget(m_queue, 0, 1);
    grid->addWidget(m_rates, 1, 0, 1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(numbers);
    layout->addLayout(grid, 1);
}

void OverviewPage::addStats(const HubStats &s)
{
    const QDateTime t = s.time.isValid() ? s.time.toLocalTime() : QDateTime::currentDateTime();
    m_online->setText(QString::number(s.nodesOnline));
    m_offline->setText(QString::number(s.nodesTotal - s.nodesOnline));
    m_depth->setText(QString::number(s.queueDepth));
    m_rate->setText(QString::number(s.ackedPerSec, 'f', 1));
    m_nodes->add(t, {double(s.nodesOnline), double(s.nodesTotal - s.nodesOnline)});
    m_queue->add(t, {double(s.queueDepth), double(s.inFlight)});
    m_rates->add(t, {s.sentPerSec, s.ackedPerSec, s.receivedPerSec});
}

void OverviewPage::clear()
{
    m_nodes->clear();
    m_queue->clear();
    m_rates->clear();
}

} // namespace qedge
