#include "gui/nodepage.h"

#include "gui/activity.h"
#include "gui/eventlogmodel.h"
#include "gui/hubclient.h"
#include "gui/queuemodel.h"
#include "gui/resourceeditor.h"
#include "gui/resourcemodel.h"
#include "gui/timechart.h"
#include "gui/twinmodel.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace qedge {

namespace {
QTableView *makeTable(QAbstractItemModel *model, const QString &name, QWidget *parent)
{
    auto *v = new QTableView(parent);
    v->setObjectName(name);
    v->setModel(model);
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setAlternatingRowColors(true);
    v->setSortingEnabled(true);
    v->verticalHeader()->hide();
    v->verticalHeader()->setDefaultSectionSize(v->fontMetrics().height() + 6);
    v->horizontalHeader()->setStretchLastSection(true);
    v->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    // These tables hold tens of rows: fitting columns on each reload is cheap and reads well.
    QObject::connect(model, &QAbstractItemModel::modelReset, v, [v] { v->resizeColumnsToContents(); });
    return v;
}

QPushButton *button(const QString &text, const QString &icon, QWidget *parent)
{
    auto *b = new QPushButton(QIcon(QStringLiteral(":/icons/%1.svg").arg(icon)), text, parent);
    b->setObjectName(icon + QStringLiteral("Button"));
    return b;
}
} // namespace

NodePage::NodePage(HubClient *client, Activity *activity, EventLogModel *events, const QString &node,
                   QWidget *parent)
    : QWidget(parent), m_client(client), m_activity(activity), m_node(node), m_header(new QLabel(this)),
      m_tabs(new QTabWidget(this)), m_resources(new ResourceModel(this)), m_queue(new QueueModel(this)),
      m_twins(new TwinModel(this)), m_typeFilter(new QSortFilterProxyModel(this)),
      m_eventFilter(new QSortFilterProxyModel(this))
{
    setObjectName(QStringLiteral("nodePage"));
    m_header->setObjectName(QStringLiteral("header"));
    m_header->setTextFormat(Qt::RichText);
    m_typeFilter->setSourceModel(m_resources);
    m_typeFilter->setFilterKeyColumn(ResourceModel::Type);
    m_eventFilter->setSourceModel(events);
    m_eventFilter->setFilterKeyColumn(EventLogModel::Node);
    m_eventFilter->setFilterRegularExpression(
        QRegularExpression(QStringLiteral("^%1$").arg(QRegularExpression::escape(node))));

    m_tabs->setObjectName(QStringLiteral("nodeTabs"));
    m_tabs->addTab(buildResourcesTab(), QIcon(QStringLiteral(":/icons/edit.svg")), tr("Resources"));
    m_tabs->addTab(buildQueueTab(), QIcon(QStringLiteral(":/icons/chart.svg")), tr("Queue"));
    m_tabs->addTab(buildTwinsTab(), QIcon(QStringLiteral(":/icons/node.svg")), tr("Devices && twins"));
    m_tabs->addTab(buildEventsTab(), QIcon(QStringLiteral(":/icons/events.svg")), tr("Events"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_header);
    layout->addWidget(m_tabs);

    // The queue and the node's figures are polled once a second while the page is visible.
    m_poll.setInterval(1000);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        if (!isVisible())
            return;
        loadNode();
        if (m_tabs->currentIndex() == 1)
            loadQueue();
    });
    m_poll.start();
    m_devicesDebounce.setSingleShot(true);
    m_devicesDebounce.setInterval(300);
    connect(&m_devicesDebounce, &QTimer::timeout, this, &NodePage::loadDevices);
    connect(m_twins, &TwinModel::desiredEditRequested, this, &NodePage::setDesired);
    refresh();
}

QWidget *NodePage::buildResourcesTab()
{
    auto *w = new QWidget(this);
    m_typeCombo = new QComboBox(w);
    m_typeCombo->setObjectName(QStringLiteral("typeFilter"));
    m_typeCombo->addItem(tr("All types"), QString());
    auto *add = button(tr("New…"), QStringLiteral("apply"), w);
    auto *edit = button(tr("Edit…"), QStringLiteral("edit"), w);
    auto *del = button(tr("Delete…"), QStringLiteral("delete"), w);
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Type:"), w));
    bar->addWidget(m_typeCombo);
    bar->addStretch();
    bar->addWidget(add);
    bar->addWidget(edit);
    bar->addWidget(del);
    m_resourceView = makeTable(m_typeFilter, QStringLiteral("resources"), w);
    m_json = new QPlainTextEdit(w);
    m_json->setObjectName(QStringLiteral("resourceJson"));
    m_json->setReadOnly(true);
    m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_json->setPlaceholderText(tr("Select a resource to see its JSON."));
    auto *split = new QSplitter(Qt::Horizontal, w);
    split->addWidget(m_resourceView);
    split->addWidget(m_json);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(w);
    layout->addLayout(bar);
    layout->addWidget(split);

    connect(m_typeCombo, &QComboBox::currentIndexChanged, this, [this] {
        const QString type = m_typeCombo->currentData().toString();
        m_typeFilter->setFilterRegularExpression(
            type.isEmpty() ? QRegularExpression() : QRegularExpression(QStringLiteral("^%1$").arg(type)));
    });
    connect(m_resourceView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &NodePage::showSelectedJson);
    connect(m_resourceView, &QTableView::doubleClicked, this, [this] { editResource(true); });
    connect(add, &QPushButton::clicked, this, [this] { editResource(false); });
    connect(edit, &QPushButton::clicked, this, [this] { editResource(true); });
    connect(del, &QPushButton::clicked, this, &NodePage::deleteSelectedResource);
    return w;
}

QWidget *NodePage::buildQueueTab()
{
    auto *w = new QWidget(this);
    m_queueSummary = new QLabel(w);
    m_queueSummary->setObjectName(QStringLiteral("queueSummary"));
    m_queueView = makeTable(m_queue, QStringLiteral("queue"), w);
    m_chart = new TimeChart(tr("Queue of %1").arg(m_node), {tr("depth"), tr("in flight")}, w);
    auto *split = new QSplitter(Qt::Vertical, w);
    split->addWidget(m_queueView);
    split->addWidget(m_chart);
    split->setSizes({360, 260});
    auto *layout = new QVBoxLayout(w);
    layout->addWidget(m_queueSummary);
    layout->addWidget(split);
    return w;
}

QWidget *NodePage::buildTwinsTab()
{
    auto *w = new QWidget(this);
    m_twinView = makeTable(m_twins, QStringLiteral("twins"), w);
    m_twinView->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_twinView->setSelectionBehavior(QAbstractItemView::SelectItems);
    auto *hint = new QLabel(tr("Double-click a desired value to change it; the hub delivers it to the edge. "
                               "Highlighted rows: the edge reports something else than desired."),
                            w);
    hint->setWordWrap(true);
    auto *layout = new QVBoxLayout(w);
    layout->addWidget(hint);
    layout->addWidget(m_twinView);
    return w;
}

QWidget *NodePage::buildEventsTab()
{
    m_eventView = makeTable(m_eventFilter, QStringLiteral("nodeEvents"), this);
    m_eventView->setSortingEnabled(false);
    return m_eventView;
}

QAbstractItemView *NodePage::currentView() const
{
    switch (m_tabs->currentIndex()) {
    case 0:
        return m_resourceView;
    case 1:
        return m_queueView;
    case 2:
        return m_twinView;
    default:
        return m_eventView;
    }
}

void NodePage::refresh()
{
    loadNode();
    loadResources();
    loadQueue();
    loadDevices();
}

void NodePage::loadNode()
{
    m_client->node(m_node, this, [this](Result<NodeInfo> r) {
        if (!r.ok()) {
            m_header->setText(QStringLiteral("<b>%1</b> — <span style='color:#c0392b'>%2</span>")
                                  .arg(m_node.toHtmlEscaped(), r.errorMessage().toHtmlEscaped()));
            return;
        }
        const NodeInfo &n = r.value();
        m_header->setText(
            tr("<b>%1</b> — %2 since %3 · last seen %4 · %5 · queue %6, in flight %7 · acked %8 / sent %9")
                .arg(n.id.toHtmlEscaped(),
                     n.online ? tr("<span style='color:#1b7f3b'>online</span>")
                              : tr("<span style='color:#9a9a9a'>offline</span>"),
                     n.since.isValid() ? n.since.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                                       : tr("—"),
                     n.lastSeen.isValid() ? n.lastSeen.toLocalTime().toString(QStringLiteral("HH:mm:ss"))
                                          : tr("never"),
                     n.remoteAddress.isEmpty() ? tr("no address") : n.remoteAddress.toHtmlEscaped())
                .arg(n.queueDepth)
                .arg(n.inFlight)
                .arg(n.acked)
                .arg(n.sent));
        m_chart->add(QDateTime::currentDateTime(), {double(n.queueDepth), double(n.inFlight)});
    });
}

void NodePage::loadResources()
{
    const int op = m_activity->begin(tr("Loading resources of %1").arg(m_node));
    m_client->resources(m_node, QString(), this, [this, op](Result<QJsonArray> r) {
        if (!r.ok()) {
            m_activity->end(op, r.errorMessage(), true);
            return;
        }
        const QString selectedType = m_typeCombo->currentData().toString();
        m_resources->setResources(r.value());
        m_typeCombo->blockSignals(true);
        m_typeCombo->clear();
        m_typeCombo->addItem(tr("All types"), QString());
        for (const QString &t : m_resources->types())
            m_typeCombo->addItem(t, t);
        m_typeCombo->setCurrentIndex(qMax(0, m_typeCombo->findData(selectedType)));
        m_typeCombo->blockSignals(false);
        m_activity->end(op);
    });
}

void NodePage::loadQueue()
{
    m_client->queue(m_node, this, [this](Result<QueueInfo> r) {
        if (!r.ok()) {
            m_queueSummary->setText(r.errorMessage());
            return;
        }
        m_queue->setQueue(r.value());
        m_queueSummary->setText(tr("%1 waiting, %2 in flight").arg(r.value().depth).arg(r.value().inFlight));
    });
}

void NodePage::loadDevices()
{
    m_client->devices(m_node, this, [this](Result<QList<DeviceInfo>> r) {
        if (r.ok())
            m_twins->setDevices(r.value());
    });
}

void NodePage::onEvent(const HubEvent &event)
{
    if (event.type.startsWith(QLatin1String("twin.")) || event.type.startsWith(QLatin1String("device.")))
        m_devicesDebounce.start();
    else if (event.type.startsWith(QLatin1String("resource.")) && m_tabs->currentIndex() == 1)
        loadQueue();
}

void NodePage::showSelectedJson()
{
    const QModelIndex current = m_typeFilter->mapToSource(m_resourceView->currentIndex());
    if (!current.isValid()) {
        m_json->clear();
        return;
    }
    m_json->setPlainText(
        QString::fromUtf8(QJsonDocument(m_resources->object(current.row())).toJson(QJsonDocument::Indented)));
}

void NodePage::editResource(bool edit)
{
    QJsonObject object;
    if (edit) {
        const QModelIndex current = m_typeFilter->mapToSource(m_resourceView->currentIndex());
        if (!current.isValid())
            return;
        object = m_resources->object(current.row());
    }
    ResourceEditor editor(m_node, object, this);
    if (editor.exec() != QDialog::Accepted)
        return;
    applyObject(editor.object());
}

void NodePage::applyObject(const QJsonObject &object)
{
    const int op = m_activity->begin(tr("Applying to %1").arg(m_node));
    m_client->applyResource(m_node, object, this, [this, op](Result<QJsonObject> r) {
        if (!r.ok()) {
            m_activity->end(op, tr("Apply failed: %1").arg(r.errorMessage()), true);
            return;
        }
        const QJsonObject meta = r.value().value(QLatin1String("metadata")).toObject();
        m_activity->end(op, tr("Applied %1 (resourceVersion %2)")
                                .arg(meta.value(QLatin1String("name")).toString(),
                                     meta.value(QLatin1String("resourceVersion")).toVariant().toString()));
        loadResources();
        loadQueue();
    });
}

void NodePage::deleteSelectedResource()
{
    const QModelIndex current = m_typeFilter->mapToSource(m_resourceView->currentIndex());
    if (!current.isValid())
        return;
    const QString type = m_resources->index(current.row(), ResourceModel::Type).data().toString();
    const QString ns = m_resources->index(current.row(), ResourceModel::Namespace).data().toString();
    const QString name = m_resources->index(current.row(), ResourceModel::Name).data().toString();
    const auto answer = QMessageBox::question(
        this, tr("Delete resource"),
        tr("Delete %1 %2/%3 from node %4? The edge removes it too.").arg(type, ns, name, m_node),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes)
        return;
    const int op = m_activity->begin(tr("Deleting %1").arg(name));
    m_client->deleteResource(m_node, ns, type, name, this, [this, op, name](Result<QJsonObject> r) {
        m_activity->end(
            op, r.ok() ? tr("Deleted %1").arg(name) : tr("Delete failed: %1").arg(r.errorMessage()), !r.ok());
        loadResources();
        loadQueue();
    });
}

void NodePage::setDesired(const QString &ns, const QString &device, const QString &property,
                          const QString &value)
{
    const int op = m_activity->begin(tr("Setting %1.%2").arg(device, property));
    m_client->setDesired(
        m_node, ns, device, property, value, this, [this, op, device, property, value](Result<DeviceInfo> r) {
            if (!r.ok()) {
                m_activity->end(op, tr("Setting %1.%2 failed: %3").arg(device, property, r.errorMessage()),
                                true);
                return;
            }
            m_twins->updateDevice(r.value());
            m_activity->end(op, tr("Desired %1.%2 = %3").arg(device, property, value));
        });
}

} // namespace qedge
