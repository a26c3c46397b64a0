#include "edgehub/edgedb.h"

#include <QSqlError>
#include <QSqlQuery>

namespace qedge {

Result<QSqlDatabase> openEdgeDatabase(const QString &path, const QString &connectionName)
{
    QSqlDatabase db = QSqlDatabase::contains(connectionName)
        ? QSqlDatabase::database(connectionName, false)
        : QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.isOpen() && !db.open())
        return Result<QSqlDatabase>::failure(QStringLiteral("db.open"),
            QStringLiteral("cannot open %1: %2").arg(path, db.lastError().text()));
    for (const char *pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
        if (Status s = execSql(db, QString::fromLatin1(pragma)); !s)
            return s.error();
    }
    return db;
}

Status execSql(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql))
        return Status::failure(QStringLiteral("db.exec"),
                               QStringLiteral("%1: %2").arg(sql, q.lastError().text()));
    return {};
}

} // namespace qedge
