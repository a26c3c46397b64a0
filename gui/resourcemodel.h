#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QVector>

namespace qedge {

/// Kubernetes-shaped objects (kind, namespace, name, resourceVersion, uid) as a table; the
/// whole object stays available for the JSON view.
class ResourceModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Type, Namespace, Name, ResourceVersion, Uid, ColumnCount };

    explicit ResourceModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// Replaces the list, sorted by type, namespace, name.
    void setResources(const QJsonArray &objects);
    QJsonObject object(int row) const { return m_objects.value(row); }
    /// The distinct lower-case types, sorted.
    QStringList types() const;
    /// Row of the object with this type/namespace/name, or -1.
    int find(const QString &type, const QString &ns, const QString &name) const;

private:
    QVector<QJsonObject> m_objects;
};

} // namespace qedge
