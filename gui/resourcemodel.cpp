#include "gui/resourcemodel.h"

#include <QSet>

#include <algorithm>
#include <tuple>

namespace qedge {

namespace {
QString meta(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String("metadata")).toObject().value(QLatin1String(key)).toVariant().toString();
}
QString nsOf(const QJsonObject &o)
{
    const QString ns = meta(o, "namespace");
    return ns.isEmpty() ? QStringLiteral("default") : ns;
}
QString typeOf(const QJsonObject &o)
{
    return o.value(QLatin1String("kind")).toString().toLower();
}
} // namespace

ResourceModel::ResourceModel(QObject *parent) : QAbstractTableModel(parent)
{}

int ResourceModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_objects.size());
}

int ResourceModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ResourceModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != Qt::UserRole)
        return {};
    const QJsonObject &o = m_objects.at(index.row());
    switch (index.column()) {
    case Type:
        return typeOf(o);
    case Namespace:
        return nsOf(o);
    case Name:
        return meta(o, "name");
    case ResourceVersion:
        return role == Qt::UserRole ? QVariant(meta(o, "resourceVersion").toLongLong())
                                    : QVariant(meta(o, "resourceVersion"));
    case Uid:
        return meta(o, "uid");
    }
    return {};
}

QVariant ResourceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Type:
        return tr("Type");
    case Namespace:
        return tr("Namespace");
    case Name:
        return tr("Name");
    case ResourceVersion:
        return tr("Resource version");
    case Uid:
        return tr("UID");
    }
    return {};
}

void ResourceModel::setResources(const QJsonArray &objects)
{
    beginResetModel();
    m_objects.clear();
    m_objects.reserve(objects.size());
    for (const QJsonValue &v : objects)
        m_objects << v.toObject();
    std::sort(m_objects.begin(), m_objects.end(), [](const QJsonObject &a, const QJsonObject &b) {
        const auto ka = std::make_tuple(typeOf(a), nsOf(a), meta(a, "name"));
        const auto kb = std::make_tuple(typeOf(b), nsOf(b), meta(b, "name"));
        return ka < kb;
    });
    endResetModel();
}

QStringList ResourceModel::types() const
{
    QSet<QString> set;
    for (const QJsonObject &o : m_objects)
        set.insert(typeOf(o));
    QStringList list(set.begin(), set.end());
    list.sort();
    return list;
}

int ResourceModel::find(const QString &type, const QString &ns, const QString &name) const
{
    for (int i = 0; i < m_objects.size(); ++i) {
        const QJsonObject &o = m_objects.at(i);
        if (typeOf(o) == type && nsOf(o) == ns && meta(o, "name") == name)
            return i;
    }
    return -1;
}

} // namespace qedge
