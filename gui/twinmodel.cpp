#include "gui/twinmodel.h"

#include <QBrush>
#include <QColor>
#include <QFont>

namespace qedge {

TwinModel::TwinModel(QObject *parent) : QAbstractTableModel(parent)
{}

int TwinModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TwinModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const DeviceInfo &TwinModel::deviceAt(int row) const
{
    return m_devices.at(m_rows.at(row).device);
}

const Twin &TwinModel::twinAt(int row) const
{
    const Row &r = m_rows.at(row);
    return m_devices.at(r.device).twins.at(r.twin);
}

static QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

QVariant TwinModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const DeviceInfo &d = deviceAt(index.row());
    const Twin &t = twinAt(index.row());
    if (role == DiffersRole)
        return t.differs();
    if (role == Qt::BackgroundRole && t.differs() &&
        (index.column() == Desired || index.column() == Reported))
        return QBrush(QColor(0xff, 0xe8, 0xb0));
    if (role == Qt::FontRole && t.differs() && index.column() == Reported) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (role == Qt::ToolTipRole && t.differs())
        return tr("Desired %1, reported %2: the edge has not caught up yet")
            .arg(t.desired.value, t.reported.present ? t.reported.value : tr("nothing"));
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    switch (index.column()) {
    case Device:
        return d.id;
    case Property:
        return t.name;
    case Type:
        return t.type;
    case Desired:
        return t.desired.value;
    case DesiredVersion:
        return t.desired.present ? QVariant(t.desired.version) : QVariant();
    case Reported:
        return t.reported.value;
    case ReportedVersion:
        return t.reported.present ? QVariant(t.reported.version) : QVariant();
    case ReportedTime:
        return timeText(t.reported.timestamp);
    }
    return {};
}

QVariant TwinModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Device:
        return tr("Device");
    case Property:
        return tr("Property");
    case Type:
        return tr("Type");
    case Desired:
        return tr("Desired");
    case DesiredVersion:
        return tr("Desired v.");
    case Reported:
        return tr("Reported");
    case ReportedVersion:
        return tr("Reported v.");
    case ReportedTime:
        return tr("Reported at");
    }
    return {};
}

Qt::ItemFlags TwinModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == Desired)
        f |= Qt::ItemIsEditable;
    return f;
}

bool TwinModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid) ||
        index.column() != Desired)
        return false;
    const QString text = value.toString();
    const Twin &t = twinAt(index.row());
    if (t.desired.present && text == t.desired.value)
        return false;
    const DeviceInfo &d = deviceAt(index.row());
    emit desiredEditRequested(d.ns, d.name, t.name, text);
    // The model shows the hub's state only; the answer comes back through updateDevice().
    return false;
}

void TwinModel::rebuildRows()
{
    m_rows.clear();
    for (int d = 0; d < m_devices.size(); ++d) {
        for (int t = 0; t < m_devices.at(d).twins.size(); ++t)
            m_rows << Row{d, t};
    }
}

void TwinModel::setDevices(const QList<DeviceInfo> &devices)
{
    beginResetModel();
    m_devices = devices;
    rebuildRows();
    endResetModel();
}

void TwinModel::updateDevice(const DeviceInfo &device)
{
    for (int d = 0; d < m_devices.size(); ++d) {
        if (m_devices.at(d).id != device.id)
            continue;
        QStringList before, after;
        for (const Twin &t : m_devices.at(d).twins)
            before << t.name;
        for (const Twin &t : device.twins)
            after << t.name;
        if (before != after) {
            beginResetModel();
            m_devices[d] = device;
            rebuildRows();
            endResetModel();
            return;
        }
        m_devices[d] = device;
        int first = -1, last = -1;
        for (int r = 0; r < m_rows.size(); ++r) {
            if (m_rows.at(r).device == d) {
                if (first < 0)
                    first = r;
                last = r;
            }
        }
        if (first >= 0)
            emit dataChanged(index(first, 0), index(last, ColumnCount - 1));
        return;
    }
    QList<DeviceInfo> all = m_devices;
    all << device;
    setDevices(all);
}

int TwinModel::findRow(const QString &deviceId, const QString &property) const
{
    for (int r = 0; r < m_rows.size(); ++r) {
        if (deviceAt(r).id == deviceId && twinAt(r).name == property)
            return r;
    }
    return -1;
}

} // namespace qedge
