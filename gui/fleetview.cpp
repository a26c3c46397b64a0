#include "gui/fleetview.h"

#include "gui/nodefilterproxy.h"
#include "gui/nodemodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

namespace qedge {

FleetView::FleetView(NodeModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(new NodeFilterProxy(this)), m_filter(new QLineEdit(this)),
      m_status(new QComboBox(this)), m_table(new QTableView(this))
{
    setObjectName(QStringLiteral("fleetView"));
    m_proxy->setSourceModel(model);
    m_filter->setObjectName(QStringLiteral("filter"));
    m_filter->setPlaceholderText(tr("Filter by node or label (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->addAction(QIcon(QStringLiteral(":/icons/find.svg")), QLineEdit::LeadingPosition);
    m_status->setObjectName(QStringLiteral("statusFilter"));
    m_status->addItem(tr("All nodes"));
    m_status->addItem(tr("Online"));
    m_status->addItem(tr("Offline"));

    m_table->setObjectName(QStringLiteral("nodes"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(NodeModel::Id, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    // Fixed row heights and no per-row content sizing keep 10,000 rows cheap.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    const int w = m_table->fontMetrics().horizontalAdvance(QLatin1Char('0'));
    const int widths[] = {16, 8, 10, 10, 7, 8, 12, 11};
    for (int c = 0; c < int(std::size(widths)); ++c)
        m_table->setColumnWidth(c, widths[c] * w + 16);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_filter, 1);
    bar->addWidget(new QLabel(tr("Show:"), this));
    bar->addWidget(m_status);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_table);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &t) {
        m_proxy->setText(t.trimmed());
        emit shownCountChanged();
    });
    connect(m_status, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_proxy->setStatusFilter(NodeFilterProxy::StatusFilter(i));
        emit shownCountChanged();
    });
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &i) {
        emit nodeActivated(m_proxy->index(i.row(), NodeModel::Id).data().toString());
    });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &FleetView::shownCountChanged);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &FleetView::shownCountChanged);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &FleetView::shownCountChanged);
}

void FleetView::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

int FleetView::shownCount() const
{
    return m_proxy->rowCount();
}

} // namespace qedge
