#include "tests/support/enginedatabases.h"

#include <QTest>

namespace qedge::test {

EngineDatabases::EngineDatabases(const QString &connectionPrefix) : m_prefix(connectionPrefix) {}

void EngineDatabases::start()
{
    m_pgStatus =
        m_pg.available() ? m_pg.start() : Status::failure(QStringLiteral("skip"), m_pg.unavailableReason());
}

void EngineDatabases::stop()
{
    m_pg.stop();
}

void EngineDatabases::addEngineRows()
{
    QTest::addColumn<int>("engine");
    QTest::newRow("sqlite") << int(Database::SQLite);
    QTest::newRow("postgresql") << int(Database::PostgreSQL);
}

std::unique_ptr<Database> EngineDatabases::open(bool fresh)
{
    QFETCH(int, engine);
    const QString prefix = m_prefix + QString::number(++m_serial);
    QString url;
    if (engine == Database::SQLite) {
        if (fresh)
            m_sqlitePath = m_dir.filePath(prefix + QStringLiteral(".db"));
        url = QStringLiteral("sqlite:") + m_sqlitePath;
    } else {
        url = m_pg.url();
    }
    auto db = Database::open(url, prefix);
    if (!db) {
        qWarning("open %s: %s", qPrintable(url), qPrintable(db.errorMessage()));
        return nullptr;
    }
    if (engine == Database::PostgreSQL && fresh
        && (!db.value()->exec(QStringLiteral("DROP SCHEMA public CASCADE"))
            || !db.value()->exec(QStringLiteral("CREATE SCHEMA public"))))
        return nullptr;
    return std::move(db).value();
}

} // namespace qedge::test
