#pragma once

#include "shared/storage.h"
#include "tests/support/pgfixture.h"

#include <QTemporaryDir>

#include <memory>

namespace qedge::test {

/// Data-driven tests that run once on SQLite and once on a real PostgreSQL: the "engine" column,
/// the server, and fresh or reopened databases for the current row.
class EngineDatabases
{
public:
    explicit EngineDatabases(const QString &connectionPrefix);

    /// From initTestCase/cleanupTestCase. A server that fails to start fails the PostgreSQL rows.
    void start();
    void stop();

    /// The "engine" column with rows "sqlite" and "postgresql" (call from a _data function).
    static void addEngineRows();

    bool tempDirValid() const { return m_dir.isValid(); }
    bool postgresInstalled() const { return m_pg.available(); }
    QString postgresUnavailableReason() const { return m_pg.unavailableReason(); }
    const Status &postgresStatus() const { return m_pgStatus; }

    /// A database for the current row's engine: fresh (new SQLite file, emptied PostgreSQL schema)
    /// or the last one again; null with a warning when it cannot be opened.
    std::unique_ptr<Database> open(bool fresh);

private:
    QString m_prefix;
    PostgresFixture m_pg;
    Status m_pgStatus;
    QTemporaryDir m_dir;
    QString m_sqlitePath;
    int m_serial = 0;
};

} // namespace qedge::test

// Opens `db` for the current row; skips the PostgreSQL row only when the server binaries are missing,
// a fixture that fails is a failure.
#define QEDGE_OPEN_DB(engines, db, fresh)                                                                    \
    std::unique_ptr<qedge::Database> db;                                                                     \
    {                                                                                                        \
        QFETCH(int, engine);                                                                                 \
        if (engine == qedge::Database::PostgreSQL && !(engines).postgresInstalled())                         \
            QSKIP(qPrintable(QStringLiteral("PostgreSQL not installed: ")                                    \
                             + (engines).postgresUnavailableReason()));                                      \
        QVERIFY2((engines).postgresStatus() || engine != qedge::Database::PostgreSQL,                        \
                 qPrintable((engines).postgresStatus().errorMessage()));                                     \
        db = (engines).open(fresh);                                                                          \
        QVERIFY(db);                                                                                         \
    }
