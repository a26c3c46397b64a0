#pragma once

#include "shared/result.h"

#include <QSqlDatabase>
#include <QString>

namespace qedge {

/// Runs `sql` (no result rows) on the edge database (a qedge::Database connection); the error names the
/// statement.
Status execSql(QSqlDatabase &db, const QString &sql);

} // namespace qedge
