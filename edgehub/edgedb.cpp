#include "edgehub/edgedb.h"

#include <QSqlError>
#include <QSqlQuery>

namespace qedge {

Status execSql(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql))
        return Status::failure(QStringLiteral("db.exec"),
                               QStringLiteral("%1: %2").arg(sql, q.lastError().text()));
    return {};
}

} // namespace qedge
