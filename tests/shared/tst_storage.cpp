#include "shared/storage.h"
#include "tests/support/pgfixture.h"

#include <QProcess>
#include <QSqlError>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <limits>

using namespace qedge;

// Each test runs on both engines: a fresh SQLite file, and the fixture's PostgreSQL with an
// emptied public schema.
class TestStorage : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void open_data() { engines(); }
    void open();
    void sqliteSettings_data();
    void sqliteSettings();
    void postgresSocketUrl();
    void migrateIsIdempotent_data() { engines(); }
    void migrateIsIdempotent();
    void migrateRollsBackBadStep_data() { engines(); }
    void migrateRollsBackBadStep();
    void concurrentMigrate_data() { engines(); }
    void concurrentMigrate();
    void upsert_data() { engines(); }
    void upsert();
    void booleans_data() { engines(); }
    void booleans();
    void execBatchManyRows_data() { engines(); }
    void execBatchManyRows();
    void statementsAreReused_data() { engines(); }
    void statementsAreReused();
    void cachedStatementSurvivesSchemaChange_data() { engines(); }
    void cachedStatementSurvivesSchemaChange();
    void transactionRollsBack_data() { engines(); }
    void transactionRollsBack();
    void nestedTransactionUsesSavepoint_data() { engines(); }
    void nestedTransactionUsesSavepoint();
    void blobRoundTrip_data() { engines(); }
    void blobRoundTrip();
    void bigintRoundTrip_data() { engines(); }
    void bigintRoundTrip();
    void secondThread_data() { engines(); }
    void secondThread();
    void badUrl_data();
    void badUrl();
    void secondProcessOnSqliteFile();
    void unknownTypePlaceholder();

private:
    void engines();
    std::unique_ptr<Database> openDb(); // for the current data row; QVERIFY-fails or skips inside
    qint64 count(Database &db, const QString &table);

    test::PostgresFixture m_pg;
    Status m_pgStatus;
    QTemporaryDir m_dir;
    int m_serial = 0;
};

void TestStorage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    if (m_pg.available())
        m_pgStatus = m_pg.start();
    else
        m_pgStatus = Status::failure(QStringLiteral("skip"), m_pg.unavailableReason());
}

void TestStorage::cleanupTestCase()
{
    m_pg.stop();
}

void TestStorage::engines()
{
    QTest::addColumn<int>("engine");
    QTest::newRow("sqlite") << int(Database::SQLite);
    QTest::newRow("postgresql") << int(Database::PostgreSQL);
}

std::unique_ptr<Database> TestStorage::openDb()
{
    QFETCH(int, engine);
    const QString prefix = QStringLiteral("tst%1").arg(++m_serial);
    QString url;
    if (engine == Database::SQLite) {
        url = QStringLiteral("sqlite:") + m_dir.filePath(prefix + QStringLiteral(".db"));
    } else {
        if (!m_pg.available())
            return nullptr;
        if (!m_pgStatus) {
            qWarning("PostgreSQL fixture failed: %s", qPrintable(m_pgStatus.errorMessage()));
            return nullptr;
        }
        url = m_pg.url();
    }
    auto db = Database::open(url, prefix);
    if (!db) {
        qWarning("open %s: %s", qPrintable(url), qPrintable(db.errorMessage()));
        return nullptr;
    }
    if (engine == Database::PostgreSQL) {
        if (!db.value()->exec(QStringLiteral("DROP SCHEMA public CASCADE")) ||
            !db.value()->exec(QStringLiteral("CREATE SCHEMA public")))
            return nullptr;
    }
    return std::move(db).value();
}

// Skips the PostgreSQL row only when the server binaries are missing; a fixture that fails is a failure.
#define OPEN_DB(db)                                                                                          \
    QFETCH(int, engine);                                                                                     \
    if (engine == Database::PostgreSQL && !m_pg.available())                                                 \
        QSKIP(qPrintable(QStringLiteral("PostgreSQL not installed: ") + m_pg.unavailableReason()));          \
    QVERIFY2(m_pgStatus || engine != Database::PostgreSQL, qPrintable(m_pgStatus.errorMessage()));           \
    std::unique_ptr<Database> db = openDb();                                                                 \
    QVERIFY(db)

qint64 TestStorage::count(Database &db, const QString &table)
{
    auto q = db.exec(QStringLiteral("SELECT COUNT(*) FROM ") + table);
    if (!q || !q->next())
        return -1;
    return q->value(0).toLongLong();
}

void TestStorage::open()
{
    OPEN_DB(db);
    QCOMPARE(int(db->engine()), engine);
    auto q = db->exec(QStringLiteral("SELECT ? + 1"), {41});
    QVERIFY2(q, qPrintable(q.errorMessage()));
    QVERIFY(q->next());
    QCOMPARE(q->value(0).toInt(), 42);
    QVERIFY(db->connection().isOpen());
    QVERIFY(db->connection().connectionName().startsWith(QStringLiteral("tst")));

    auto bad = db->exec(QStringLiteral("SELEC oops"));
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, QStringLiteral("storage.sql"));
    QVERIFY2(bad.errorMessage().contains(QStringLiteral("SELEC oops")), qPrintable(bad.errorMessage()));
}

void TestStorage::sqliteSettings_data()
{
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<int>("synchronous");
    QTest::newRow("default") << QString() << 1;
    QTest::newRow("full") << QStringLiteral("?synchronous=full") << 2;
}

void TestStorage::sqliteSettings()
{
    QFETCH(QString, suffix);
    QFETCH(int, synchronous);
    const QString prefix = QStringLiteral("tst%1").arg(++m_serial);
    auto opened = Database::open(
        QStringLiteral("sqlite:") + m_dir.filePath(prefix + QStringLiteral(".db")) + suffix, prefix);
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    Database &db = *opened.value();
    const auto pragma = [&db](const char *name) {
        auto q = db.exec(QStringLiteral("PRAGMA ") + QLatin1String(name));
        return q && q->next() ? q->value(0) : QVariant();
    };
    QCOMPARE(pragma("journal_mode").toString(), QStringLiteral("wal"));
    QCOMPARE(pragma("synchronous").toInt(), synchronous);
    QCOMPARE(pragma("foreign_keys").toInt(), 1);
    QCOMPARE(pragma("busy_timeout").toInt(), 5000);
}

void TestStorage::postgresSocketUrl()
{
    if (!m_pg.available())
        QSKIP(qPrintable(m_pg.unavailableReason()));
    QVERIFY2(m_pgStatus, qPrintable(m_pgStatus.errorMessage()));
    QVERIFY2(m_pg.socketUrl().contains(QStringLiteral("%2F")), qPrintable(m_pg.socketUrl()));
    auto db = Database::open(m_pg.socketUrl(), QStringLiteral("sock"));
    QVERIFY2(db, qPrintable(db.errorMessage()));
    QCOMPARE(db.value()->engine(), Database::PostgreSQL);
    auto q = db.value()->exec(QStringLiteral("SELECT current_database()"));
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toString(), QStringLiteral("qedge_test"));
}

void TestStorage::migrateIsIdempotent()
{
    OPEN_DB(db);
    QList<QStringList> steps = {
        {QStringLiteral("CREATE TABLE items (id {{autoinc_pk}}, name {{text}} NOT NULL, size {{bigint}})"),
         QStringLiteral("CREATE INDEX items_name ON items (name)")},
        {QStringLiteral("ALTER TABLE items ADD COLUMN payload {{blob}}"),
         QStringLiteral("ALTER TABLE items ADD COLUMN ratio {{double}}")},
    };
    QCOMPARE(db->schemaVersion(QStringLiteral("store")), 0);
    Status s = db->migrate(QStringLiteral("store"), steps);
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(db->schemaVersion(QStringLiteral("store")), 2);
    s = db->migrate(QStringLiteral("store"), steps);
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(db->schemaVersion(QStringLiteral("store")), 2);

    auto ins = db->exec(QStringLiteral("INSERT INTO items (name, size, payload, ratio) VALUES (?, ?, ?, ?)"),
                        {QStringLiteral("a"), qint64(1), QByteArray("x"), 0.5});
    QVERIFY2(ins, qPrintable(ins.errorMessage()));
    ins = db->exec(QStringLiteral("INSERT INTO items (name) VALUES (?)"), {QStringLiteral("b")});
    QVERIFY2(ins, qPrintable(ins.errorMessage()));
    auto ids = db->exec(QStringLiteral("SELECT id FROM items ORDER BY id"));
    QVERIFY(ids && ids->next());
    const qint64 first = ids->value(0).toLongLong();
    QVERIFY(ids->next());
    QCOMPARE(ids->value(0).toLongLong(), first + 1);

    steps.append({QStringLiteral("CREATE TABLE extra (k {{text}} PRIMARY KEY, on_ {{bool}})")});
    s = db->migrate(QStringLiteral("store"), steps);
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(db->schemaVersion(QStringLiteral("store")), 3);
    QCOMPARE(count(*db, QStringLiteral("items")), 2); // earlier steps did not run again

    // Another component keeps its own version row.
    QCOMPARE(db->schemaVersion(QStringLiteral("other")), 0);
    s = db->migrate(QStringLiteral("other"), {{QStringLiteral("CREATE TABLE other_t (x {{bigint}})")}});
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(db->schemaVersion(QStringLiteral("other")), 1);
    QCOMPARE(db->schemaVersion(QStringLiteral("store")), 3);

    // An older program must not run against a newer schema.
    s = db->migrate(QStringLiteral("store"), steps.mid(0, 1));
    QVERIFY(!s);
    QVERIFY2(s.errorMessage().contains(QStringLiteral("newer")), qPrintable(s.errorMessage()));
}

void TestStorage::migrateRollsBackBadStep()
{
    OPEN_DB(db);
    const QList<QStringList> steps = {
        {QStringLiteral("CREATE TABLE good (x {{bigint}})")},
        {QStringLiteral("CREATE TABLE half (x {{bigint}})"),
         QStringLiteral("INSERT INTO half (x) VALUES (7)"),
         QStringLiteral("CREATE TABLE broken (x NOSUCHTYPE(")},
    };
    const Status s = db->migrate(QStringLiteral("m"), steps);
    QVERIFY(!s);
    QCOMPARE(s.error().code, QStringLiteral("storage.migrate"));
    QVERIFY2(s.errorMessage().contains(QStringLiteral("step 2, statement 3")), qPrintable(s.errorMessage()));
    QVERIFY2(s.errorMessage().contains(QStringLiteral("CREATE TABLE broken (x NOSUCHTYPE(")),
             qPrintable(s.errorMessage()));
    QCOMPARE(db->schemaVersion(QStringLiteral("m")), 1);
    QCOMPARE(count(*db, QStringLiteral("good")), 0);
    QCOMPARE(count(*db, QStringLiteral("half")), -1); // the whole step was rolled back
    // The connection is usable afterwards (no transaction left open).
    QVERIFY(db->exec(QStringLiteral("INSERT INTO good (x) VALUES (1)")));
    QCOMPARE(count(*db, QStringLiteral("good")), 1);
}

void TestStorage::concurrentMigrate()
{
    OPEN_DB(db);
    // Two "processes" (separate Database objects, separate connections) migrate the same fresh
    // database at the same moment, like two cloudhub replicas starting together.
    const QString url = db->engine() == Database::SQLite
                            ? QStringLiteral("sqlite:") + db->connection().databaseName()
                            : m_pg.url();
    db.reset();
    const QList<QStringList> steps = {
        {QStringLiteral("CREATE TABLE a (x {{bigint}})")},
        {QStringLiteral("CREATE TABLE b (x {{bigint}})"), QStringLiteral("INSERT INTO a (x) VALUES (1)")},
        {QStringLiteral("CREATE TABLE c (x {{bigint}})")},
    };
    QString errors[2];
    std::unique_ptr<QThread> threads[2];
    for (int i = 0; i < 2; ++i) {
        threads[i].reset(QThread::create([&, i] {
            auto other = Database::open(url, QStringLiteral("conc%1-%2").arg(m_serial).arg(i));
            const Status s =
                other ? other.value()->migrate(QStringLiteral("c"), steps) : Status(other.error());
            errors[i] = s.errorMessage();
        }));
    }
    for (auto &t : threads)
        t->start();
    for (auto &t : threads)
        QVERIFY(t->wait(20000));
    QVERIFY2(errors[0].isEmpty(), qPrintable(errors[0]));
    QVERIFY2(errors[1].isEmpty(), qPrintable(errors[1]));
    auto check = Database::open(url, QStringLiteral("conc%1-check").arg(m_serial));
    QVERIFY2(check, qPrintable(check.errorMessage()));
    QCOMPARE(check.value()->schemaVersion(QStringLiteral("c")), 3);
    QCOMPARE(count(*check.value(), QStringLiteral("a")), 1); // each step ran exactly once
}

void TestStorage::upsert()
{
    OPEN_DB(db);
    QVERIFY(db->migrate(QStringLiteral("u"),
                        {{QStringLiteral("CREATE TABLE kv (k {{text}} PRIMARY KEY, v {{bigint}} NOT NULL, "
                                         "n {{bigint}} NOT NULL DEFAULT 1)")}}));
    const QString sql = QStringLiteral("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) "
                                       "DO UPDATE SET v = excluded.v, n = kv.n + 1");
    for (qint64 v : {10, 20, 30})
        QVERIFY(db->exec(sql, {QStringLiteral("key"), v}));
    QVERIFY(db->exec(sql, {QStringLiteral("other"), qint64(5)}));
    QCOMPARE(count(*db, QStringLiteral("kv")), 2);
    auto q = db->exec(QStringLiteral("SELECT v, n FROM kv WHERE k = ?"), {QStringLiteral("key")});
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toLongLong(), 30);
    QCOMPARE(q->value(1).toLongLong(), 3);

    // DO NOTHING too.
    QVERIFY(db->exec(QStringLiteral("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING"),
                     {QStringLiteral("key"), qint64(99)}));
    q = db->exec(QStringLiteral("SELECT v FROM kv WHERE k = ?"), {QStringLiteral("key")});
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toLongLong(), 30);
}

void TestStorage::booleans()
{
    OPEN_DB(db);
    QVERIFY(db->migrate(
        QStringLiteral("b"),
        {{QStringLiteral("CREATE TABLE flags (k {{bigint}} PRIMARY KEY, f {{bool}} NOT NULL)")}}));
    QVERIFY(db->execBatch(QStringLiteral("INSERT INTO flags (k, f) VALUES (?, ?)"), {{1, true}, {2, false}}));
    auto ins = db->exec(QStringLiteral("INSERT INTO flags (k, f) VALUES (?, ?)"), {3, true});
    QVERIFY2(ins, qPrintable(ins.errorMessage()));
    // Binding a bool in WHERE works on both engines.
    auto q = db->exec(QStringLiteral("SELECT k, f FROM flags WHERE f = ? ORDER BY k"), {true});
    QVERIFY2(q, qPrintable(q.errorMessage()));
    QVERIFY(q->next());
    QCOMPARE(q->value(0).toLongLong(), 1);
    QCOMPARE(q->value(1).toBool(), true);
    QVERIFY(q->next());
    QCOMPARE(q->value(0).toLongLong(), 3);
    QVERIFY(!q->next());
    q = db->exec(QStringLiteral("SELECT f FROM flags WHERE k = 2"));
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toBool(), false);
    // What each driver hands back, as storage.h documents: SQLite an integer, PostgreSQL a bool.
    QCOMPARE(q->value(0).typeId(),
             engine == Database::SQLite ? int(QMetaType::LongLong) : int(QMetaType::Bool));
    // And why the layer says "bind bool": PostgreSQL refuses an int for a BOOLEAN.
    auto intBind = db->exec(QStringLiteral("INSERT INTO flags (k, f) VALUES (?, ?)"), {4, 1});
    QCOMPARE(bool(intBind), engine == Database::SQLite);
    if (!intBind)
        QVERIFY2(intBind.errorMessage().contains(QStringLiteral("boolean")),
                 qPrintable(intBind.errorMessage()));
}

void TestStorage::execBatchManyRows()
{
    OPEN_DB(db);
    QVERIFY(db->migrate(
        QStringLiteral("b"),
        {{QStringLiteral("CREATE TABLE rows_ (id {{bigint}} PRIMARY KEY, name {{text}}, d {{double}})")}}));
    QList<QVariantList> rows;
    rows.reserve(10000);
    for (qint64 i = 0; i < 10000; ++i)
        rows.append({i, QStringLiteral("row-%1").arg(i), double(i) / 4});
    const Status s = db->execBatch(QStringLiteral("INSERT INTO rows_ (id, name, d) VALUES (?, ?, ?)"), rows);
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(count(*db, QStringLiteral("rows_")), 10000);
    auto q = db->exec(QStringLiteral("SELECT SUM(id), MAX(name), SUM(d) FROM rows_"));
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toLongLong(), qint64(9999) * 10000 / 2);
    QCOMPARE(q->value(1).toString(), QStringLiteral("row-9999"));
    QCOMPARE(q->value(2).toDouble(), double(9999) * 10000 / 2 / 4);

    // A failing row rolls the whole batch back and is named.
    const Status dup =
        db->execBatch(QStringLiteral("INSERT INTO rows_ (id, name, d) VALUES (?, ?, ?)"),
                      {{qint64(20000), QStringLiteral("new"), 0.0}, {qint64(5), QStringLiteral("dup"), 0.0}});
    QVERIFY(!dup);
    QVERIFY2(dup.errorMessage().contains(QStringLiteral("row 2 of 2")), qPrintable(dup.errorMessage()));
    QCOMPARE(count(*db, QStringLiteral("rows_")), 10000);
}

void TestStorage::statementsAreReused()
{
    OPEN_DB(db);
    QVERIFY(
        db->migrate(QStringLiteral("r"),
                    {{QStringLiteral("CREATE TABLE kv (k {{bigint}} PRIMARY KEY, v {{text}} NOT NULL)")}}));
    const QString insert = QStringLiteral("INSERT INTO kv (k, v) VALUES (?, ?)");
    const QString update = QStringLiteral("UPDATE kv SET v = ? WHERE k = ?");
    const quint64 before = db->statementsPrepared();
    for (qint64 k = 0; k < 5; ++k) {
        auto r = db->execWrite(insert, {k, QStringLiteral("v%1").arg(k)});
        QVERIFY2(r, qPrintable(r.errorMessage()));
    }
    QCOMPARE(db->statementsPrepared(), before + 1);
    // execBatch shares the cache, inside and across its transactions.
    QVERIFY(db->execBatch(insert, {{qint64(5), QStringLiteral("v5")}, {qint64(6), QStringLiteral("v6")}}));
    QVERIFY(db->execBatch(update, {{QStringLiteral("x"), qint64(0)}, {QStringLiteral("y"), qint64(1)}}));
    QCOMPARE(db->statementsPrepared(), before + 2);
    // The reused statement reports its own run, with the new binds.
    auto u = db->execWrite(update, {QStringLiteral("z"), qint64(42)});
    QVERIFY(u);
    QCOMPARE(u.value(), 0);
    u = db->execWrite(update, {QStringLiteral("z"), qint64(2)});
    QVERIFY(u);
    QCOMPARE(u.value(), 1);
    QCOMPARE(db->statementsPrepared(), before + 2);
    {
        // Scoped: an unfinished SQLite query holds its read snapshot (later counts would miss the
        // other thread's rows).
        auto v = db->exec(QStringLiteral("SELECT v FROM kv WHERE k = ?"), {qint64(2)});
        QVERIFY(v && v->next());
        QCOMPARE(v->value(0).toString(), QStringLiteral("z"));
    }
    QCOMPARE(count(*db, QStringLiteral("kv")), 7);

    // exec() hands its query to the caller, so it never takes a cached one.
    const quint64 beforeExec = db->statementsPrepared();
    QVERIFY(db->exec(QStringLiteral("UPDATE kv SET v = ? WHERE k = ?"), {QStringLiteral("w"), qint64(3)}));
    QCOMPARE(db->statementsPrepared(), beforeExec);

    // A failed run drops the statement; the next run prepares it again and works.
    const quint64 beforeFail = db->statementsPrepared();
    QVERIFY(!db->execWrite(insert, {qint64(0), QStringLiteral("dup")}));
    auto ok = db->execWrite(insert, {qint64(100), QStringLiteral("new")});
    QVERIFY2(ok, qPrintable(ok.errorMessage()));
    // Outside a transaction a failed cached statement is retried once freshly prepared (it fails
    // again here), and the next run prepares it again.
    QCOMPARE(db->statementsPrepared(), beforeFail + 2);
    QCOMPARE(count(*db, QStringLiteral("kv")), 8);
    QVERIFY(db->execWrite(insert, {qint64(101), QStringLiteral("new")}));
    QCOMPARE(db->statementsPrepared(), beforeFail + 2);

    // Another thread has its own connection, so its own statements.
    quint64 otherPrepared = 0;
    bool otherOk = false;
    std::unique_ptr<QThread> t(QThread::create([&] {
        otherOk = db->execWrite(insert, {qint64(200), QStringLiteral("t")}) &&
                  db->execWrite(insert, {qint64(201), QStringLiteral("t")});
        otherPrepared = db->statementsPrepared();
    }));
    t->start();
    QVERIFY(t->wait(10000));
    QVERIFY(otherOk);
    QCOMPARE(otherPrepared, quint64(1));
    QCOMPARE(count(*db, QStringLiteral("kv")), 11);
}

void TestStorage::cachedStatementSurvivesSchemaChange()
{
    OPEN_DB(db);
    QVERIFY(db->exec(QStringLiteral("CREATE TABLE sc (a TEXT NOT NULL, b TEXT NOT NULL)")));
    const QString insert = QStringLiteral("INSERT INTO sc (a, b) VALUES (?, ?)");
    QVERIFY(db->execWrite(insert, {QStringLiteral("a1"), QStringLiteral("b1")}));
    // A new column, then the table dropped and made again with its columns in another order.
    QVERIFY(db->exec(QStringLiteral("ALTER TABLE sc ADD COLUMN c TEXT")));
    const quint64 prepared = db->statementsPrepared();
    auto r = db->execWrite(insert, {QStringLiteral("a2"), QStringLiteral("b2")});
    QVERIFY2(r, qPrintable(r.errorMessage()));
    QCOMPARE(count(*db, QStringLiteral("sc")), 2);
    QVERIFY(db->exec(QStringLiteral("DROP TABLE sc")));
    QVERIFY(db->exec(QStringLiteral("CREATE TABLE sc (b TEXT NOT NULL, x TEXT, a TEXT NOT NULL)")));
    r = db->execWrite(insert, {QStringLiteral("a3"), QStringLiteral("b3")});
    QVERIFY2(r, qPrintable(r.errorMessage()));
    // Also inside a transaction, where a failure could not be retried.
    const Status st = db->transaction([&]() -> Status {
        auto in = db->execWrite(insert, {QStringLiteral("a4"), QStringLiteral("b4")});
        return in ? Status() : Status(in.error());
    });
    QVERIFY2(st, qPrintable(st.errorMessage()));
    auto q = db->exec(QStringLiteral("SELECT a, b FROM sc ORDER BY a"));
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toString(), QStringLiteral("a3"));
    QCOMPARE(q->value(1).toString(), QStringLiteral("b3"));
    QVERIFY(q->next());
    QCOMPARE(q->value(0).toString(), QStringLiteral("a4"));
    QCOMPARE(q->value(1).toString(), QStringLiteral("b4"));
    QVERIFY(!q->next());
    // SQLite re-prepares a cached statement itself; PostgreSQL may need one fresh prepare.
    if (db->engine() == Database::SQLite)
        QCOMPARE(db->statementsPrepared(), prepared);
    else
        QVERIFY(db->statementsPrepared() <= prepared + 2);
}

void TestStorage::transactionRollsBack()
{
    OPEN_DB(db);
    QVERIFY(
        db->migrate(QStringLiteral("t"), {{QStringLiteral("CREATE TABLE t (x {{bigint}} PRIMARY KEY)")}}));
    // Work that reports failure.
    Status s = db->transaction([&]() -> Status {
        if (!db->exec(QStringLiteral("INSERT INTO t (x) VALUES (1)")) ||
            !db->exec(QStringLiteral("INSERT INTO t (x) VALUES (2)")))
            return Status::failure(QStringLiteral("test"), QStringLiteral("insert failed"));
        return Status::failure(QStringLiteral("test"), QStringLiteral("changed my mind"));
    });
    QVERIFY(!s);
    QCOMPARE(s.errorMessage(), QStringLiteral("changed my mind"));
    QCOMPARE(count(*db, QStringLiteral("t")), 0);
    // Work whose SQL fails half way (PostgreSQL aborts the transaction; it must still roll back cleanly).
    s = db->transaction([&]() -> Status {
        if (auto q = db->exec(QStringLiteral("INSERT INTO t (x) VALUES (1)")); !q)
            return q.error();
        auto q = db->exec(QStringLiteral("INSERT INTO t (x) VALUES (1)"));
        return q ? Status() : Status(q.error());
    });
    QVERIFY(!s);
    QCOMPARE(count(*db, QStringLiteral("t")), 0);
    // And a good one commits.
    s = db->transaction([&]() -> Status {
        auto q = db->exec(QStringLiteral("INSERT INTO t (x) VALUES (3)"));
        return q ? Status() : Status(q.error());
    });
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(count(*db, QStringLiteral("t")), 1);
}

void TestStorage::nestedTransactionUsesSavepoint()
{
    OPEN_DB(db);
    QVERIFY(
        db->migrate(QStringLiteral("t"), {{QStringLiteral("CREATE TABLE t (x {{bigint}} PRIMARY KEY)")}}));
    const Status s = db->transaction([&]() -> Status {
        if (auto q = db->exec(QStringLiteral("INSERT INTO t (x) VALUES (1)")); !q)
            return q.error();
        const Status inner =
            db->execBatch(QStringLiteral("INSERT INTO t (x) VALUES (?)"), {{qint64(2)}, {qint64(1)}});
        if (inner)
            return Status::failure(QStringLiteral("test"), QStringLiteral("duplicate key was accepted"));
        auto q = db->exec(QStringLiteral("INSERT INTO t (x) VALUES (3)"));
        return q ? Status() : Status(q.error());
    });
    QVERIFY2(s, qPrintable(s.errorMessage()));
    auto q = db->exec(QStringLiteral("SELECT x FROM t ORDER BY x"));
    QVERIFY(q);
    QList<qint64> xs;
    while (q->next())
        xs << q->value(0).toLongLong();
    QCOMPARE(xs, (QList<qint64>{1, 3}));
}

void TestStorage::blobRoundTrip()
{
    OPEN_DB(db);
    QVERIFY(db->migrate(QStringLiteral("b"),
                        {{QStringLiteral("CREATE TABLE blobs (id {{bigint}} PRIMARY KEY, b {{blob}})")}}));
    QByteArray all;
    for (int i = 0; i < 256; ++i)
        all.append(char(i));
    all += all; // a second pass, so zero bytes sit in the middle too
    const QList<QByteArray> values = {all, QByteArray(), QByteArray(1, '\0'), QByteArray(100000, '\xff')};
    for (int i = 0; i < values.size(); ++i) {
        auto ins = db->exec(QStringLiteral("INSERT INTO blobs (id, b) VALUES (?, ?)"), {i, values.at(i)});
        QVERIFY2(ins, qPrintable(ins.errorMessage()));
    }
    for (int i = 0; i < values.size(); ++i) {
        auto q = db->exec(QStringLiteral("SELECT b FROM blobs WHERE id = ?"), {i});
        QVERIFY(q && q->next());
        QCOMPARE(q->value(0).toByteArray(), values.at(i));
    }
}

void TestStorage::bigintRoundTrip()
{
    OPEN_DB(db);
    QVERIFY(db->migrate(QStringLiteral("b"),
                        {{QStringLiteral("CREATE TABLE big (id {{autoinc_pk}}, v {{bigint}} NOT NULL)")}}));
    const QList<qint64> values = {(qint64(1) << 53) + 1, -(qint64(1) << 53) - 1,
                                  std::numeric_limits<qint64>::max(), std::numeric_limits<qint64>::min(),
                                  (qint64(1) << 62) + 12345};
    for (qint64 v : values)
        QVERIFY(db->exec(QStringLiteral("INSERT INTO big (v) VALUES (?)"), {v}));
    auto q = db->exec(QStringLiteral("SELECT v FROM big ORDER BY id"));
    QVERIFY(q);
    for (qint64 v : values) {
        QVERIFY(q->next());
        QCOMPARE(q->value(0).toLongLong(), v);
    }
    // Compare on the server too, so the bind is exact and not a double.
    q = db->exec(QStringLiteral("SELECT COUNT(*) FROM big WHERE v = ?"), {(qint64(1) << 53) + 1});
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toLongLong(), 1);
}

void TestStorage::secondThread()
{
    OPEN_DB(db);
    QVERIFY(db->migrate(QStringLiteral("t"),
                        {{QStringLiteral("CREATE TABLE t (x {{bigint}} PRIMARY KEY, who {{text}})")}}));
    const QString mainName = db->connection().connectionName();
    QString threadName;
    QString threadError;
    qint64 seen = -1;
    std::unique_ptr<QThread> thread(QThread::create([&] {
        threadName = db->connection().connectionName();
        const Status s =
            db->execBatch(QStringLiteral("INSERT INTO t (x, who) VALUES (?, ?)"),
                          {{qint64(1), QStringLiteral("thread")}, {qint64(2), QStringLiteral("thread")}});
        if (!s)
            threadError = s.errorMessage();
        auto q = db->exec(QStringLiteral("SELECT COUNT(*) FROM t"));
        if (q && q->next())
            seen = q->value(0).toLongLong();
    }));
    thread->start();
    QVERIFY(thread->wait(10000));
    QVERIFY2(threadError.isEmpty(), qPrintable(threadError));
    QCOMPARE(seen, 2);
    QVERIFY(!threadName.isEmpty());
    QVERIFY(threadName != mainName);
    // The thread closed its own connection on the way out.
    QVERIFY(!QSqlDatabase::connectionNames().contains(threadName));
    QVERIFY(QSqlDatabase::connectionNames().contains(mainName));
    QCOMPARE(count(*db, QStringLiteral("t")), 2);
}

void TestStorage::badUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << QString() << QStringLiteral("empty");
    QTest::newRow("scheme") << QStringLiteral("mysql://u@h/db")
                            << QStringLiteral("unsupported scheme \"mysql\"");
    QTest::newRow("no dir") << QStringLiteral("sqlite:/nonexistent-qedge-dir/x.db")
                            << QStringLiteral("does not exist");
    QTest::newRow("memory") << QStringLiteral("sqlite::memory:") << QStringLiteral("in-memory");
    QTest::newRow("sqlite option") << QStringLiteral("sqlite:/tmp/x.db?synchronous=off")
                                   << QStringLiteral("unknown option");
    QTest::newRow("no db") << QStringLiteral("postgresql://u@127.0.0.1:5432")
                           << QStringLiteral("no database name");
    QTest::newRow("port") << QStringLiteral("postgresql://u@127.0.0.1:99999/db") << QStringLiteral("port");
    QTest::newRow("refused") << QStringLiteral("postgresql://u@127.0.0.1:1/db")
                             << QStringLiteral(
                                    "cannot connect to PostgreSQL database db on 127.0.0.1:1 as u");
}

void TestStorage::badUrl()
{
    QFETCH(QString, url);
    QFETCH(QString, expected);
    const auto db = Database::open(url, QStringLiteral("bad"));
    QVERIFY(!db);
    QVERIFY2(db.errorMessage().contains(expected), qPrintable(db.errorMessage()));
    QVERIFY(!QSqlDatabase::connectionNames().join(u',').contains(QStringLiteral("bad")));
}

void TestStorage::secondProcessOnSqliteFile()
{
    const QString sqlite3 = QStandardPaths::findExecutable(QStringLiteral("sqlite3"));
    if (sqlite3.isEmpty())
        QSKIP("the sqlite3 command line tool is not installed; run scripts/setup");
    const QString file = m_dir.filePath(QStringLiteral("shared.db"));
    auto opened = Database::open(file, QStringLiteral("shared"));
    QVERIFY2(opened, qPrintable(opened.errorMessage()));
    Database &db = *opened.value();
    QVERIFY(db.migrate(QStringLiteral("s"), {{QStringLiteral("CREATE TABLE t (x {{bigint}})")}}));
    QVERIFY(db.exec(QStringLiteral("INSERT INTO t (x) VALUES (1)")));

    QProcess other;
    other.start(sqlite3, {file, QStringLiteral("INSERT INTO t (x) VALUES (2); SELECT COUNT(*) FROM t;")});
    QVERIFY(other.waitForFinished(10000));
    QCOMPARE(other.exitCode(), 0);
    QCOMPARE(other.readAllStandardOutput().trimmed(), QByteArray("2"));
    QCOMPARE(count(db, QStringLiteral("t")), 2);
}

void TestStorage::unknownTypePlaceholder()
{
    const auto mapped =
        Database::mapTypes(QStringLiteral("CREATE TABLE t (a {{bigint}}, b {{uuid}})"), Database::SQLite);
    QVERIFY(!mapped);
    QVERIFY2(mapped.errorMessage().contains(QStringLiteral("{{uuid}}")), qPrintable(mapped.errorMessage()));
    const auto pg = Database::mapTypes(QStringLiteral("x {{autoinc_pk}}, y {{bool}}"), Database::PostgreSQL);
    QVERIFY(pg);
    QCOMPARE(pg.value(), QStringLiteral("x BIGSERIAL PRIMARY KEY, y BOOLEAN"));
    // WITHOUT ROWID is SQLite's alone.
    const QString keyed = QStringLiteral("CREATE TABLE k (a {{text}}, PRIMARY KEY (a)) {{without_rowid}}");
    QCOMPARE(Database::mapTypes(keyed, Database::SQLite).value(),
             QStringLiteral("CREATE TABLE k (a TEXT, PRIMARY KEY (a)) WITHOUT ROWID"));
    QCOMPARE(Database::mapTypes(keyed, Database::PostgreSQL).value(),
             QStringLiteral("CREATE TABLE k (a TEXT, PRIMARY KEY (a)) "));
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"
