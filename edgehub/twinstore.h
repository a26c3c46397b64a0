#pragma once

#include "edgehub/twinmodel.h"
#include "shared/result.h"

#include <QList>
#include <QSqlDatabase>

namespace qedge {

/// DeviceTwin's tables in the edge database, with edgecore's names and columns (reference §8.1):
/// `device`, `device_attr`, `device_twin`. A device is written whole, in one transaction.
class TwinStore
{
public:
    explicit TwinStore(QSqlDatabase db);

    /// Creates the tables if needed.
    Status open();
    Result<QList<twin::Device>> loadAll() const;
    /// Replaces the device's rows (device, attributes, twins).
    Status save(const twin::Device &device);
    Status remove(const QString &deviceId);

private:
    Status writeRows(const twin::Device &device);

    QSqlDatabase m_db;
};

} // namespace qedge
