#pragma once

#include "shared/result.h"

#include <QSqlDatabase>
#include <QString>

namespace qedge {

/// Opens (creating it) the edge's SQLite file under its own connection name, WAL mode.
/// Stands in for shared/storage.h until that lands; connections are per thread, as Qt Sql requires.
Result<QSqlDatabase> openEdgeDatabase(const QString &path, const QString &connectionName);

/// Runs `sql` (no result rows); the error names the statement.
Status execSql(QSqlDatabase &db, const QString &sql);

} // namespace qedge
