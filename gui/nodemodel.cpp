#include "gui/nodemodel.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

#include <algorithm>

namespace qedge {

NodeModel::NodeModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(250);
    connect(&m_timer, &QTimer::timeout, this, &NodeModel::flush);
}

int NodeModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int NodeModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

static QString shortTime(const QDateTime &t)
{
    if (!t.isValid())
        return QStringLiteral("—");
    const QDateTime local = t.toLocalTime();
    if (local.date() == QDate::currentDate())
        return local.toString(QStringLiteral("HH:mm:ss"));
    return local.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QVariant NodeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const NodeInfo &n = m_rows.at(index.row());
    if (role == StatusRole)
        return n.online ? QStringLiteral("online") : QStringLiteral("offline");
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Id:
            return n.id;
        case Status:
            return n.online ? tr("online") : tr("offline");
        case Since:
            return shortTime(n.since);
        case LastSeen:
            return shortTime(n.lastSeen);
        case QueueDepth:
            return n.queueDepth;
        case InFlight:
            return n.inFlight;
        case AckedSent:
            return QStringLiteral("%1 / %2").arg(n.acked).arg(n.sent);
        case CertExpiry:
            return n.certExpiry.isValid() ? n.certExpiry.toLocalTime().toString(QStringLiteral("yyyy-MM-dd"))
                                          : QStringLiteral("—");
        case Labels:
            return n.labelsText();
        }
    }
    if (role == SortRole) {
        switch (index.column()) {
        case Id:
            return n.id;
        case Status:
            return n.online;
        case Since:
            return n.since;
        case LastSeen:
            return n.lastSeen;
        case QueueDepth:
            return n.queueDepth;
        case InFlight:
            return n.inFlight;
        case AckedSent:
            return n.acked;
        case CertExpiry:
            return n.certExpiry;
        case Labels:
            return n.labelsText();
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Status)
        return QBrush(n.online ? QColor(0x1b, 0x7f, 0x3b) : QColor(0x9a, 0x9a, 0x9a));
    if (role == Qt::ForegroundRole && index.column() == CertExpiry && n.certExpiry.isValid() &&
        n.certExpiry < QDateTime::currentDateTimeUtc().addDays(14))
        return QBrush(QColor(0xc0, 0x39, 0x2b));
    if (role == Qt::TextAlignmentRole &&
        (index.column() == QueueDepth || index.column() == InFlight || index.column() == AckedSent))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant NodeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id:
        return tr("Node");
    case Status:
        return tr("Status");
    case Since:
        return tr("Since");
    case LastSeen:
        return tr("Last seen");
    case QueueDepth:
        return tr("Queue");
    case InFlight:
        return tr("In flight");
    case AckedSent:
        return tr("Acked / sent");
    case CertExpiry:
        return tr("Cert expiry");
    case Labels:
        return tr("Labels");
    }
    return {};
}

void NodeModel::setNodes(const QList<NodeInfo> &nodes)
{
    beginResetModel();
    m_pending.clear();
    m_keep.clear();
    m_pendingRemoval = false;
    m_timer.stop();
    m_rows = QVector<NodeInfo>(nodes.begin(), nodes.end());
    m_index.clear();
    m_index.reserve(m_rows.size());
    for (int i = 0; i < m_rows.size(); ++i)
        m_index.insert(m_rows.at(i).id, i);
    recount();
    endResetModel();
}

void NodeModel::clear()
{
    setNodes({});
}

void NodeModel::mergeNodes(const QList<NodeInfo> &nodes)
{
    m_keep.clear();
    for (const NodeInfo &n : nodes) {
        m_keep.insert(n.id, true);
        m_pending.insert(n.id, n);
    }
    m_pendingRemoval = true;
    schedule();
}

void NodeModel::updateNode(const NodeInfo &node)
{
    m_pending.insert(node.id, node);
    schedule();
}

NodeInfo &NodeModel::working(const QString &id)
{
    auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        const int row = m_index.value(id, -1);
        NodeInfo n;
        if (row >= 0) {
            n = m_rows.at(row);
        } else {
            n.id = id;
            n.firstSeen = QDateTime::currentDateTimeUtc();
        }
        it = m_pending.insert(id, n);
    }
    return it.value();
}

void NodeModel::applyEvent(const HubEvent &e)
{
    if (e.node.isEmpty())
        return;
    NodeInfo &n = working(e.node);
    const QString &t = e.type;
    if (t == QLatin1String("node.online")) {
        n.online = true;
        n.since = e.time;
        n.lastSeen = e.time;
        const QString addr = e.raw.value(QLatin1String("remoteAddress")).toString();
        if (!addr.isEmpty())
            n.remoteAddress = addr;
    } else if (t == QLatin1String("node.offline")) {
        n.online = false;
        n.since = e.time;
        n.inFlight = 0;
    } else if (t == QLatin1String("resource.queued")) {
        ++n.queueDepth;
    } else if (t == QLatin1String("resource.delivered")) {
        ++n.sent;
        // A retry is delivered again but is still one entry in flight.
        n.inFlight = qMin(n.inFlight + 1, qMax(n.queueDepth, qint64(1)));
        n.lastSeen = e.time;
    } else if (t == QLatin1String("resource.acked")) {
        ++n.acked;
        n.inFlight = qMax<qint64>(0, n.inFlight - 1);
        n.queueDepth = qMax<qint64>(0, n.queueDepth - 1);
        n.lastSeen = e.time;
    } else if (t == QLatin1String("resource.dropped")) {
        n.queueDepth = qMax<qint64>(0, n.queueDepth - 1);
    } else {
        n.lastSeen = e.time;
    }
    // Events that carry the hub's own figures win over our counting.
    const QJsonValue depth = e.raw.value(QLatin1String("queueDepth"));
    if (depth.isDouble())
        n.queueDepth = depth.toInteger();
    const QJsonValue inFlight = e.raw.value(QLatin1String("inFlight"));
    if (inFlight.isDouble())
        n.inFlight = inFlight.toInteger();
    schedule();
}

void NodeModel::schedule()
{
    if (!m_timer.isActive())
        m_timer.start();
}

void NodeModel::flush()
{
    m_timer.stop();
    if (m_pending.isEmpty() && !m_pendingRemoval)
        return;

    if (m_pendingRemoval) {
        QVector<int> gone;
        for (int i = 0; i < m_rows.size(); ++i) {
            if (!m_keep.contains(m_rows.at(i).id))
                gone << i;
        }
        // Remove contiguous ranges from the bottom so earlier row numbers stay valid.
        for (int end = int(gone.size()) - 1; end >= 0;) {
            int begin = end;
            while (begin > 0 && gone.at(begin - 1) == gone.at(begin) - 1)
                --begin;
            beginRemoveRows(QModelIndex(), gone.at(begin), gone.at(end));
            m_rows.remove(gone.at(begin), gone.at(end) - gone.at(begin) + 1);
            endRemoveRows();
            end = begin - 1;
        }
        if (!gone.isEmpty()) {
            m_index.clear();
            for (int i = 0; i < m_rows.size(); ++i)
                m_index.insert(m_rows.at(i).id, i);
        }
        m_keep.clear();
        m_pendingRemoval = false;
    }

    QVector<int> changed;
    QVector<NodeInfo> added;
    changed.reserve(m_pending.size());
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
        const int row = m_index.value(it.key(), -1);
        if (row < 0) {
            added << it.value();
        } else if (m_rows.at(row) != it.value()) {
            m_rows[row] = it.value();
            changed << row;
        }
    }
    m_pending.clear();

    std::sort(changed.begin(), changed.end());
    for (int i = 0; i < changed.size();) {
        int j = i;
        while (j + 1 < changed.size() && changed.at(j + 1) == changed.at(j) + 1)
            ++j;
        emit dataChanged(index(changed.at(i), 0), index(changed.at(j), ColumnCount - 1));
        i = j + 1;
    }
    if (!added.isEmpty()) {
        std::sort(added.begin(), added.end(),
                  [](const NodeInfo &a, const NodeInfo &b) { return a.id < b.id; });
        const int first = int(m_rows.size());
        beginInsertRows(QModelIndex(), first, first + int(added.size()) - 1);
        for (const NodeInfo &n : added) {
            m_index.insert(n.id, int(m_rows.size()));
            m_rows << n;
        }
        endInsertRows();
    }
    recount();
    emit flushed(int(changed.size()), int(added.size()));
}

void NodeModel::recount()
{
    m_online = int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const NodeInfo &n) { return n.online; }));
}

} // namespace qedge
