#pragma once

#include "shared/result.h"

#include <QHash>
#include <QList>
#include <QLoggingCategory>
#include <QMutex>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <functional>
#include <memory>

namespace qedge {

Q_DECLARE_LOGGING_CATEGORY(lcStorage)

/// The one door to SQL: SQLite (embedded default) or PostgreSQL, through Qt Sql.
///
/// Portable SQL: write `INSERT ... ON CONFLICT (...) DO UPDATE SET x = excluded.x` (never
/// `INSERT OR REPLACE`), positional `?` binds, and in DDL the placeholders that migrate() maps.
/// Booleans: declare columns `{{bool}}`, always bind C++ `bool`, read with `toBool()`. QSQLITE binds
/// a bool as the integer 0/1 and reads back qlonglong; QPSQL reads back bool. PostgreSQL refuses an
/// int bound to a BOOLEAN ("cannot be coerced"), so an int bind only works on SQLite: don't.
/// Integers: bind qint64 (exact above 2^53 on both engines); blobs: bind QByteArray.
///
/// Threads: every thread gets its own connection, opened on first use; a thread that ends
/// (QThread) closes its own; the rest close when the Database is destroyed, which must happen
/// after the threads using it stop.
class Database
{
public:
    enum Engine { SQLite, PostgreSQL };
    enum class Synchronous { Normal, Full };

    /// Opens "sqlite:/abs/file.db[?synchronous=full]", a plain path, or
    /// "postgresql://user[:pass]@host[:port]/db[?libpq_option=value&...]" (host may be a
    /// percent-encoded socket directory); connection names start with connectionPrefix.
    static Result<std::unique_ptr<Database>> open(const QString &url, const QString &connectionPrefix);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    /// Which engine the url named.
    Engine engine() const;
    /// The calling thread's connection, opened on first use (an invalid one if it cannot open).
    QSqlDatabase connection() const;
    /// Closes the calling thread's connection now (worker threads that are not QThreads).
    void releaseThreadConnection();

    /// Prepares and runs sql with positional binds; the error names the SQL and the driver text.
    Result<QSqlQuery> exec(const QString &sql, const QVariantList &binds = {});
    /// Runs an INSERT/UPDATE/DELETE that returns no rows with the calling thread's cached prepared
    /// statement for sql (prepared on first use, dropped when it fails); answers the rows changed.
    Result<int> execWrite(const QString &sql, const QVariantList &binds = {});
    /// Runs one cached prepared statement (as execWrite) once per row, all in one transaction.
    Status execBatch(const QString &sql, const QList<QVariantList> &rows);
    /// Runs work inside BEGIN/COMMIT (a SAVEPOINT when nested); rolls back if work fails.
    Status transaction(const std::function<Status()> &work);

    /// Applies steps[version..] of schemaName, each step (its statements) in one transaction.
    Status migrate(const QString &schemaName, const QList<QStringList> &steps);
    /// The applied step count of schemaName: 0 when none, -1 when it cannot be read.
    int schemaVersion(const QString &schemaName) const;
    /// sql with the portable type placeholders ({{autoinc_pk}}, {{blob}}, ...) mapped for engine.
    static Result<QString> mapTypes(const QString &sql, Engine engine);
    /// How many statements the calling thread's connection has prepared (statement cache misses).
    quint64 statementsPrepared() const;

private:
    struct StatementCache
    {
        // QSqlQuery is move-only: a pointer keeps each at one address while the hash grows.
        QHash<QString, std::shared_ptr<QSqlQuery>> queries;
        QList<std::shared_ptr<QSqlQuery>> retired; // failed ones, freed outside a transaction (QPSQL)
        quint64 prepared = 0;
    };
    struct ThreadConnection
    {
        QString name;
        int depth = 0; // nesting of transaction() on this thread
        std::shared_ptr<StatementCache> statements = std::make_shared<StatementCache>();
    };

    Database(Engine engine, QString connectionPrefix);
    Result<QSqlDatabase> threadConnection() const;
    Status openConnection(QSqlDatabase &db) const;
    int transactionDepth() const;
    void setTransactionDepth(int depth);
    void removeConnection(quint64 threadSerial);
    Status run(const QString &sql);
    std::shared_ptr<StatementCache> statementCache() const;
    Result<int> execCached(const QSqlDatabase &db, const QString &sql, const QVariantList &binds,
                           bool mayRetry);

    Engine m_engine;
    QString m_prefix;
    // Connection parameters, copied onto each thread's connection.
    QString m_path;
    Synchronous m_synchronous = Synchronous::Normal;
    QString m_host;
    int m_port = -1;
    QString m_user;
    QString m_password;
    QString m_dbName;
    QString m_options;

    mutable QMutex m_mutex;
    mutable QHash<quint64, ThreadConnection> m_threads; // by a never-reused thread serial
    std::unique_ptr<QObject> m_context;                 // owns the thread-finished connections
};

} // namespace qedge
