#include "gui/edgeview.h"

#include "gui/edgeclient.h"
#include "gui/resourcemodel.h"
#include "gui/twinmodel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace qedge {

EdgeView::EdgeView(QWidget *parent)
    : QWidget(parent), m_client(new EdgeClient(this)), m_url(new QLineEdit(this)), m_status(new QLabel(this)),
      m_resources(new ResourceModel(this)), m_twins(new TwinModel(this)),
      m_resourcesView(new QTableView(this)), m_devicesView(new QTableView(this))
{
    setObjectName(QStringLiteral("edgeView"));
    m_url->setObjectName(QStringLiteral("edgeUrl"));
    m_url->setText(m_client->baseUrl().toString());
    m_status->setObjectName(QStringLiteral("edgeStatus"));
    m_status->setTextFormat(Qt::RichText);
    m_status->setText(tr("Not connected. The edgehub's local API listens on 127.0.0.1:10550 by default."));
    auto *go = new QPushButton(QIcon(QStringLiteral(":/icons/edge.svg")), tr("Connect"), this);
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Local API:"), this));
    bar->addWidget(m_url, 1);
    bar->addWidget(go);
    for (QTableView *v : {m_resourcesView, m_devicesView}) {
        v->verticalHeader()->hide();
        v->setAlternatingRowColors(true);
        v->setSelectionBehavior(QAbstractItemView::SelectRows);
        v->horizontalHeader()->setStretchLastSection(true);
        v->setEditTriggers(QAbstractItemView::NoEditTriggers);
        v->setWordWrap(false);
        v->verticalHeader()->setDefaultSectionSize(v->fontMetrics().height() + 6);
    }
    m_resourcesView->setObjectName(QStringLiteral("edgeResources"));
    m_resourcesView->setModel(m_resources);
    m_devicesView->setObjectName(QStringLiteral("edgeDevices"));
    m_devicesView->setModel(m_twins);
    // Small tables: fit the columns to what the edge holds on each reload.
    connect(m_resources, &QAbstractItemModel::modelReset, m_resourcesView,
            &QTableView::resizeColumnsToContents);
    connect(m_twins, &QAbstractItemModel::modelReset, m_devicesView, &QTableView::resizeColumnsToContents);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_resourcesView);
    split->addWidget(m_devicesView);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_status);
    layout->addWidget(split, 1);

    m_poll.setInterval(2000);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    connect(go, &QPushButton::clicked, this, [this] {
        setUrl(QUrl::fromUserInput(m_url->text()));
        refresh();
        m_poll.start();
    });
    connect(m_url, &QLineEdit::returnPressed, go, &QPushButton::click);
}

void EdgeView::setUrl(const QUrl &url)
{
    m_client->setBaseUrl(url);
    m_url->setText(url.toString());
}

void EdgeView::refresh()
{
    m_client->status(this, [this](Result<EdgeStatus> r) {
        if (!r.ok()) {
            m_status->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>")
                                  .arg(r.errorMessage().toHtmlEscaped()));
            return;
        }
        const EdgeStatus &s = r.value();
        m_status->setText(tr("Node <b>%1</b> · link %2 to %3 · outbox %4 · certificate until %5")
                              .arg(s.node.toHtmlEscaped(),
                                   s.connected ? tr("<span style='color:#1b7f3b'>up</span>")
                                               : tr("<span style='color:#c0392b'>down</span>"),
                                   s.hub.toHtmlEscaped())
                              .arg(s.outboxDepth)
                              .arg(s.certExpiry.isValid()
                                       ? s.certExpiry.toLocalTime().toString(QStringLiteral("yyyy-MM-dd"))
                                       : tr("—")));
    });
    m_client->resources(this, [this](Result<QJsonArray> r) {
        if (r.ok())
            m_resources->setResources(r.value());
    });
    m_client->devices(this, [this](Result<QList<DeviceInfo>> r) {
        if (r.ok())
            m_twins->setDevices(r.value());
    });
}

} // namespace qedge
