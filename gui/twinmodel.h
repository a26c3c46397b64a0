#pragma once

#include "gui/apitypes.h"

#include <QAbstractTableModel>

namespace qedge {

/// Device twins of one node, one row per (device, property): desired beside reported, rows
/// that differ highlighted. Editing the desired cell does not change the model: it asks
/// (desiredEditRequested) and the hub's answer comes back through setDevices().
class TwinModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Device,
        Property,
        Type,
        Desired,
        DesiredVersion,
        Reported,
        ReportedVersion,
        ReportedTime,
        ColumnCount
    };
    /// True on every cell of a row whose desired and reported values differ.
    static constexpr int DiffersRole = Qt::UserRole + 1;

    explicit TwinModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    void setDevices(const QList<DeviceInfo> &devices);
    /// Updates one device in place (dataChanged for its rows; a reset if its twins changed shape).
    void updateDevice(const DeviceInfo &device);
    const DeviceInfo &deviceAt(int row) const;
    const Twin &twinAt(int row) const;
    /// Device namespace/name and twin property of the row.
    int findRow(const QString &deviceId, const QString &property) const;

signals:
    void desiredEditRequested(const QString &ns, const QString &device, const QString &property,
                              const QString &value);

private:
    struct Row
    {
        int device;
        int twin;
    };
    void rebuildRows();

    QList<DeviceInfo> m_devices;
    QVector<Row> m_rows;
};

} // namespace qedge
