#include "shared/storage.h"

#include <QDir>
#include <QFileInfo>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlError>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>

#include <atomic>

namespace qedge {

Q_LOGGING_CATEGORY(lcStorage, "qedge.storage")

namespace {

// Thread ids are reused by the OS; a connection name must not be, or a new thread would find the
// connection of a dead one (which Qt refuses to hand to another thread).
quint64 threadSerial()
{
    static std::atomic<quint64> next{1};
    thread_local const quint64 serial = next.fetch_add(1);
    return serial;
}

QString sqlError(const QString &sql, const QSqlError &error)
{
    return QStringLiteral("SQL failed: %1: %2").arg(sql.simplified(), error.text());
}

Status driverAvailable(const QString &driver, const QString &package)
{
    if (QSqlDatabase::isDriverAvailable(driver))
        return {};
    return Status::failure(
        QStringLiteral("storage.driver"),
        QStringLiteral("the Qt SQL driver %1 is not installed (Debian package %2)").arg(driver, package));
}

} // namespace

Result<std::unique_ptr<Database>> Database::open(const QString &url, const QString &connectionPrefix)
{
    using R = Result<std::unique_ptr<Database>>;
    const auto urlError = [&url](const QString &why) {
        return R::failure(QStringLiteral("storage.url"),
                          QStringLiteral("bad database url \"%1\": %2 (expected sqlite:/path/file.db, a file "
                                         "path, or postgresql://user[:password]@host:port/database)")
                              .arg(url, why));
    };
    if (url.isEmpty())
        return urlError(QStringLiteral("it is empty"));

    std::unique_ptr<Database> db;
    const qsizetype schemeEnd = url.indexOf(QLatin1String("://"));
    const QString scheme = schemeEnd > 0 ? url.left(schemeEnd).toLower() : QString();
    if (scheme == QLatin1String("postgresql") || scheme == QLatin1String("postgres")) {
        if (Status s = driverAvailable(QStringLiteral("QPSQL"), QStringLiteral("libqt6sql6-psql")); !s)
            return s.error();
        db.reset(new Database(PostgreSQL, connectionPrefix));
        QString rest = url.mid(schemeEnd + 3);
        const qsizetype q = rest.indexOf(u'?');
        const QString query = q >= 0 ? rest.mid(q + 1) : QString();
        rest.truncate(q >= 0 ? q : rest.size());
        const qsizetype slash = rest.indexOf(u'/');
        if (slash < 0 || slash == rest.size() - 1)
            return urlError(QStringLiteral("no database name after the host"));
        db->m_dbName = QUrl::fromPercentEncoding(rest.mid(slash + 1).toUtf8());
        QString authority = rest.left(slash);
        const qsizetype at = authority.lastIndexOf(u'@');
        if (at >= 0) {
            const QString userInfo = authority.left(at);
            const qsizetype colon = userInfo.indexOf(u':');
            db->m_user =
                QUrl::fromPercentEncoding(userInfo.left(colon >= 0 ? colon : userInfo.size()).toUtf8());
            if (colon >= 0)
                db->m_password = QUrl::fromPercentEncoding(userInfo.mid(colon + 1).toUtf8());
            authority = authority.mid(at + 1);
        }
        // An IPv6 host is bracketed; a socket directory is percent-encoded, so the last ':' is the port.
        const qsizetype bracket = authority.lastIndexOf(u']');
        const qsizetype colon = authority.lastIndexOf(u':');
        if (colon > bracket) {
            bool okPort = false;
            const int port = authority.mid(colon + 1).toInt(&okPort);
            if (!okPort || port <= 0 || port > 65535)
                return urlError(QStringLiteral("the port is not a number from 1 to 65535"));
            db->m_port = port;
            authority.truncate(colon);
        }
        if (authority.startsWith(u'[') && authority.endsWith(u']'))
            authority = authority.mid(1, authority.size() - 2);
        db->m_host = QUrl::fromPercentEncoding(authority.toUtf8());
        QStringList options;
        for (const auto &[key, value] : QUrlQuery(query).queryItems(QUrl::FullyDecoded))
            options << key + u'=' + value;
        db->m_options = options.join(u';');
    } else if (schemeEnd < 0 || scheme == QLatin1String("sqlite")) {
        if (Status s = driverAvailable(QStringLiteral("QSQLITE"), QStringLiteral("libqt6sql6-sqlite")); !s)
            return s.error();
        db.reset(new Database(SQLite, connectionPrefix));
        QString path = url;
        if (path.startsWith(QLatin1String("sqlite:"), Qt::CaseInsensitive)) {
            path = path.mid(7);
            if (path.startsWith(QLatin1String("//")))
                path = path.mid(2); // sqlite:///abs/path
            const qsizetype q = path.indexOf(u'?');
            if (q >= 0) {
                const QUrlQuery query(path.mid(q + 1));
                path.truncate(q);
                for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
                    if (key == QLatin1String("synchronous") &&
                        value.compare(QLatin1String("full"), Qt::CaseInsensitive) == 0)
                        db->m_synchronous = Synchronous::Full;
                    else if (key == QLatin1String("synchronous") &&
                             value.compare(QLatin1String("normal"), Qt::CaseInsensitive) == 0)
                        db->m_synchronous = Synchronous::Normal;
                    else
                        return urlError(
                            QStringLiteral("unknown option %1=%2 (known: synchronous=normal|full)")
                                .arg(key, value));
                }
            }
        }
        if (path.isEmpty())
            return urlError(QStringLiteral("no file path"));
        if (path.startsWith(u':'))
            return urlError(
                QStringLiteral("in-memory SQLite is not supported: each thread has its own connection"));
        const QFileInfo file(path);
        if (!file.absoluteDir().exists())
            return R::failure(
                QStringLiteral("storage.open"),
                QStringLiteral("cannot open SQLite database %1: the directory %2 does not exist")
                    .arg(file.absoluteFilePath(), file.absolutePath()));
        db->m_path = file.absoluteFilePath();
    } else {
        return urlError(QStringLiteral("unsupported scheme \"%1\"").arg(scheme));
    }

    // Open the calling thread's connection now so a bad url or server fails here, not later.
    const Result<QSqlDatabase> first = db->threadConnection();
    if (!first)
        return first.error();
    return R(std::move(db));
}

Database::Database(Engine engine, QString connectionPrefix)
    : m_engine(engine), m_prefix(std::move(connectionPrefix)), m_context(std::make_unique<QObject>())
{}

Database::~Database()
{
    QMutexLocker lock(&m_mutex);
    const auto threads = std::exchange(m_threads, {});
    lock.unlock();
    m_context.reset(); // no QThread::finished handler may run past this point
    for (const ThreadConnection &c : threads) {
        *c.statements = StatementCache(); // queries first: removeDatabase warns about live ones
        QSqlDatabase::removeDatabase(c.name);
    }
}

Database::Engine Database::engine() const
{
    return m_engine;
}

QSqlDatabase Database::connection() const
{
    Result<QSqlDatabase> db = threadConnection();
    if (!db) {
        qCWarning(lcStorage).noquote() << db.errorMessage();
        return QSqlDatabase();
    }
    return std::move(db).value();
}

Result<QSqlDatabase> Database::threadConnection() const
{
    const quint64 serial = threadSerial();
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_threads.constFind(serial);
        if (it != m_threads.constEnd())
            return QSqlDatabase::database(it->name, false);
    }
    const QString name = m_prefix + QStringLiteral("-t") + QString::number(serial);
    const QString driver = m_engine == SQLite ? QStringLiteral("QSQLITE") : QStringLiteral("QPSQL");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(driver, name);
        if (Status s = openConnection(db); !s) {
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(name);
            return s.error();
        }
    }
    {
        QMutexLocker lock(&m_mutex);
        m_threads.insert(serial, ThreadConnection{name, 0, std::make_shared<StatementCache>()});
    }
    if (QThread *thread = QThread::currentThread(); thread != m_context->thread()) {
        // Qt Sql connections must be closed by their own thread, so close on the way out.
        QObject::connect(
            thread, &QThread::finished, m_context.get(),
            [this, serial] { const_cast<Database *>(this)->removeConnection(serial); }, Qt::DirectConnection);
    }
    qCDebug(lcStorage) << "opened connection" << name;
    return QSqlDatabase::database(name, false);
}

Status Database::openConnection(QSqlDatabase &db) const
{
    if (m_engine == PostgreSQL) {
        if (!m_host.isEmpty())
            db.setHostName(m_host);
        if (m_port > 0)
            db.setPort(m_port);
        db.setUserName(m_user);
        db.setPassword(m_password);
        db.setDatabaseName(m_dbName);
        db.setConnectOptions(m_options);
        if (!db.open())
            return Status::failure(
                QStringLiteral("storage.open"),
                QStringLiteral("cannot connect to PostgreSQL database %1 on %2:%3 as %4: %5")
                    .arg(m_dbName, m_host.isEmpty() ? QStringLiteral("localhost") : m_host,
                         QString::number(m_port > 0 ? m_port : 5432), m_user, db.lastError().text()));
        // Server NOTICEs (e.g. "drop cascades to ...") would go to stderr through libpq.
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SET client_min_messages TO warning")))
            return Status::failure(QStringLiteral("storage.open"), sqlError(q.lastQuery(), q.lastError()));
        return {};
    }
    db.setDatabaseName(m_path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return Status::failure(
            QStringLiteral("storage.open"),
            QStringLiteral("cannot open SQLite database %1: %2").arg(m_path, db.lastError().text()));
    const QStringList pragmas = {
        QStringLiteral("PRAGMA journal_mode=WAL"),
        m_synchronous == Synchronous::Full ? QStringLiteral("PRAGMA synchronous=FULL")
                                           : QStringLiteral("PRAGMA synchronous=NORMAL"),
        QStringLiteral("PRAGMA foreign_keys=ON"),
    };
    for (const QString &pragma : pragmas) {
        QSqlQuery q(db);
        if (!q.exec(pragma))
            return Status::failure(QStringLiteral("storage.open"),
                                   QStringLiteral("cannot set up SQLite database %1: %2")
                                       .arg(m_path, sqlError(pragma, q.lastError())));
        // journal_mode answers with the mode it got; a read-only or odd filesystem may refuse WAL.
        if (pragma.contains(QLatin1String("journal_mode")) && q.next() &&
            q.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return Status::failure(QStringLiteral("storage.open"),
                                   QStringLiteral("SQLite database %1 cannot use WAL mode (got %2)")
                                       .arg(m_path, q.value(0).toString()));
    }
    return {};
}

void Database::releaseThreadConnection()
{
    removeConnection(threadSerial());
}

void Database::removeConnection(quint64 serial)
{
    QMutexLocker lock(&m_mutex);
    const ThreadConnection c = m_threads.take(serial);
    lock.unlock();
    if (!c.name.isEmpty()) {
        *c.statements = StatementCache();
        QSqlDatabase::removeDatabase(c.name);
        qCDebug(lcStorage) << "closed connection" << c.name;
    }
}

int Database::transactionDepth() const
{
    QMutexLocker lock(&m_mutex);
    return m_threads.value(threadSerial()).depth;
}

void Database::setTransactionDepth(int depth)
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_threads.find(threadSerial());
    if (it != m_threads.end())
        it->depth = depth;
}

std::shared_ptr<Database::StatementCache> Database::statementCache() const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_threads.constFind(threadSerial());
    return it != m_threads.constEnd() ? it->statements : nullptr;
}

quint64 Database::statementsPrepared() const
{
    const auto cache = statementCache();
    return cache ? cache->prepared : 0;
}

Result<QSqlQuery> Database::exec(const QString &sql, const QVariantList &binds)
{
    const Result<QSqlDatabase> db = threadConnection();
    if (!db)
        return db.error();
    QSqlQuery q(db.value());
    q.setForwardOnly(true);
    bool done = false;
    if (binds.isEmpty()) {
        done = q.exec(sql); // one round trip instead of prepare + execute
    } else if (q.prepare(sql)) {
        for (const QVariant &v : binds)
            q.addBindValue(v);
        done = q.exec();
    }
    if (!done)
        return Result<QSqlQuery>::failure(QStringLiteral("storage.sql"), sqlError(sql, q.lastError()));
    return q;
}

Result<int> Database::execWrite(const QString &sql, const QVariantList &binds)
{
    const Result<QSqlDatabase> db = threadConnection();
    if (!db)
        return db.error();
    return execCached(db.value(), sql, binds, true);
}

Result<int> Database::execCached(const QSqlDatabase &db, const QString &sql, const QVariantList &binds,
                                 bool mayRetry)
{
    const std::shared_ptr<StatementCache> cache = statementCache();
    if (!cache)
        return Result<int>::failure(QStringLiteral("storage.sql"),
                                    QStringLiteral("no connection for this thread"));
    const bool inTransaction = transactionDepth() > 0;
    if (!inTransaction)
        cache->retired.clear();
    std::shared_ptr<QSqlQuery> &slot = cache->queries[sql];
    const bool reused = bool(slot);
    if (!reused) {
        constexpr qsizetype MaxCached = 256; // SQL built at run time must not grow it without bound
        if (cache->queries.size() > MaxCached) {
            cache->queries.clear();
            return execCached(db, sql, binds, mayRetry);
        }
        auto q = std::make_shared<QSqlQuery>(db);
        q->setForwardOnly(true);
        ++cache->prepared;
        if (!q->prepare(sql)) {
            cache->queries.remove(sql);
            return Result<int>::failure(QStringLiteral("storage.sql"), sqlError(sql, q->lastError()));
        }
        slot = std::move(q);
    }
    QSqlQuery &q = *slot;
    for (qsizetype i = 0; i < binds.size(); ++i)
        q.bindValue(int(i), binds.at(i));
    if (!q.exec()) {
        const QSqlError error = q.lastError();
        // Prepare it anew next time: the statement may be what failed (PostgreSQL: "cached plan must
        // not change result type" after a schema change). QPSQL deallocates a statement as its query
        // dies, which PostgreSQL refuses in a transaction the error aborted: free it later then.
        std::shared_ptr<QSqlQuery> failed = cache->queries.take(sql);
        if (inTransaction)
            cache->retired.append(std::move(failed));
        else
            failed.reset();
        if (reused && mayRetry && !inTransaction)
            return execCached(db, sql, binds, false);
        return Result<int>::failure(QStringLiteral("storage.sql"), sqlError(sql, error));
    }
    const int changed = q.numRowsAffected();
    q.finish(); // a statement that returned rows after all must not hold its read snapshot
    return changed;
}

Status Database::run(const QString &sql)
{
    const Result<QSqlQuery> q = exec(sql);
    return q ? Status() : Status(q.error());
}

Status Database::execBatch(const QString &sql, const QList<QVariantList> &rows)
{
    const Result<QSqlDatabase> db = threadConnection();
    if (!db)
        return db.error();
    return transaction([&]() -> Status {
        for (qsizetype r = 0; r < rows.size(); ++r) {
            const Result<int> q = execCached(db.value(), sql, rows.at(r), false);
            if (!q)
                return Status::failure(
                    QStringLiteral("storage.sql"),
                    QStringLiteral("row %1 of %2: %3").arg(r + 1).arg(rows.size()).arg(q.errorMessage()));
        }
        return {};
    });
}

Status Database::transaction(const std::function<Status()> &work)
{
    const Result<QSqlDatabase> db = threadConnection();
    if (!db)
        return db.error();
    const int depth = transactionDepth();
    // SQLite: take the write lock up front; a deferred BEGIN that later writes can fail with
    // SQLITE_BUSY in WAL mode without waiting for busy_timeout.
    const QString savepoint = QStringLiteral("qedge_sp_%1").arg(depth);
    const QString begin = depth > 0            ? QStringLiteral("SAVEPOINT ") + savepoint
                          : m_engine == SQLite ? QStringLiteral("BEGIN IMMEDIATE")
                                               : QStringLiteral("BEGIN");
    if (Status s = run(begin); !s)
        return s;
    setTransactionDepth(depth + 1);
    Status result = work();
    if (result) {
        result = run(depth > 0 ? QStringLiteral("RELEASE SAVEPOINT ") + savepoint : QStringLiteral("COMMIT"));
        if (result) {
            setTransactionDepth(depth);
            return result;
        }
    }
    const Status undo = depth > 0 ? run(QStringLiteral("ROLLBACK TO SAVEPOINT ") + savepoint)
                                  : run(QStringLiteral("ROLLBACK"));
    if (undo && depth > 0)
        run(QStringLiteral("RELEASE SAVEPOINT ") + savepoint);
    if (!undo)
        qCWarning(lcStorage).noquote() << "rollback failed:" << undo.errorMessage();
    setTransactionDepth(depth);
    return result;
}

Result<QString> Database::mapTypes(const QString &sql, Engine engine)
{
    static const QRegularExpression placeholder(QStringLiteral("\\{\\{(\\w+)\\}\\}"));
    const bool pg = engine == PostgreSQL;
    QString out;
    qsizetype last = 0;
    for (auto it = placeholder.globalMatch(sql); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        const QString key = m.captured(1);
        QString type;
        if (key == QLatin1String("autoinc_pk"))
            type = pg ? QStringLiteral("BIGSERIAL PRIMARY KEY")
                      : QStringLiteral("INTEGER PRIMARY KEY AUTOINCREMENT");
        else if (key == QLatin1String("blob"))
            type = pg ? QStringLiteral("BYTEA") : QStringLiteral("BLOB");
        else if (key == QLatin1String("bigint"))
            type = pg ? QStringLiteral("BIGINT") : QStringLiteral("INTEGER");
        else if (key == QLatin1String("text"))
            type = QStringLiteral("TEXT");
        else if (key == QLatin1String("bool"))
            type = pg ? QStringLiteral("BOOLEAN") : QStringLiteral("INTEGER");
        else if (key == QLatin1String("double"))
            type = pg ? QStringLiteral("DOUBLE PRECISION") : QStringLiteral("REAL");
        else if (key == QLatin1String("without_rowid")) // after a CREATE TABLE's closing parenthesis
            type = pg ? QString() : QStringLiteral("WITHOUT ROWID");
        else
            return Result<QString>::failure(QStringLiteral("storage.schema"),
                                            QStringLiteral("unknown type placeholder {{%1}} in: %2 (known: "
                                                           "autoinc_pk, blob, bigint, text, bool, double, without_rowid)")
                                                .arg(key, sql.simplified()));
        out += QStringView(sql).mid(last, m.capturedStart() - last) + type;
        last = m.capturedEnd();
    }
    out += QStringView(sql).mid(last);
    return out;
}

int Database::schemaVersion(const QString &schemaName) const
{
    const Result<QSqlDatabase> db = threadConnection();
    if (!db)
        return -1;
    QSqlQuery q(db.value());
    if (!q.prepare(QStringLiteral("SELECT version FROM schema_version WHERE name = ?")))
        return db->tables().contains(QLatin1String("schema_version")) ? -1 : 0;
    q.addBindValue(schemaName);
    if (!q.exec())
        return db->tables().contains(QLatin1String("schema_version")) ? -1 : 0;
    return q.next() ? q.value(0).toInt() : 0;
}

Status Database::migrate(const QString &schemaName, const QList<QStringList> &steps)
{
    const auto fail = [&schemaName](const QString &why) {
        return Status::failure(QStringLiteral("storage.migrate"),
                               QStringLiteral("migrating schema %1: %2").arg(schemaName, why));
    };
    // Several processes (cloudhub replicas) may start on one fresh database at once. On PostgreSQL
    // two concurrent CREATE TABLE IF NOT EXISTS can still collide, so serialize the whole migration
    // with a session advisory lock; SQLite serializes writers on the file (BEGIN IMMEDIATE, busy_timeout).
    struct AdvisoryLock
    {
        Database *db = nullptr;
        ~AdvisoryLock()
        {
            if (db)
                db->run(QStringLiteral("SELECT pg_advisory_unlock(hashtext('qedge.migrate'))"));
        }
    } advisory;
    if (m_engine == PostgreSQL) {
        if (Status s = run(QStringLiteral("SELECT pg_advisory_lock(hashtext('qedge.migrate'))")); !s)
            return fail(s.errorMessage());
        advisory.db = this;
    }
    if (Status s = run(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version "
                                      "(name TEXT PRIMARY KEY, version INTEGER NOT NULL)"));
        !s)
        return fail(s.errorMessage());

    const auto readVersion = [&]() -> Result<int> {
        Result<QSqlQuery> q =
            exec(QStringLiteral("SELECT version FROM schema_version WHERE name = ?"), {schemaName});
        if (!q)
            return q.error();
        QSqlQuery query = std::move(q).value();
        return query.next() ? query.value(0).toInt() : 0;
    };
    const Result<int> start = readVersion();
    if (!start)
        return fail(start.errorMessage());
    if (start.value() > steps.size())
        return fail(QStringLiteral("the database is at version %1, newer than this program's %2; "
                                   "use a newer program or a fresh database")
                        .arg(start.value())
                        .arg(steps.size()));

    for (qsizetype i = start.value(); i < steps.size(); ++i) {
        const Status s = transaction([&]() -> Status {
            // Another process may have migrated since the first read (SQLite): re-check under the lock.
            const Result<int> now = readVersion();
            if (!now)
                return now.error();
            if (now.value() > i)
                return {};
            const QStringList &statements = steps.at(i);
            for (qsizetype j = 0; j < statements.size(); ++j) {
                const Result<QString> sql = mapTypes(statements.at(j), m_engine);
                Status st = sql ? run(sql.value()) : Status(sql.error());
                if (!st)
                    return Status::failure(QStringLiteral("storage.migrate"),
                                           QStringLiteral("step %1, statement %2: %3")
                                               .arg(i + 1)
                                               .arg(j + 1)
                                               .arg(st.errorMessage()));
            }
            const Result<QSqlQuery> up =
                exec(QStringLiteral("INSERT INTO schema_version (name, version) VALUES (?, ?) "
                                    "ON CONFLICT (name) DO UPDATE SET version = excluded.version"),
                     {schemaName, int(i + 1)});
            return up ? Status() : Status(up.error());
        });
        if (!s)
            return fail(s.errorMessage());
        qCInfo(lcStorage).noquote() << "schema" << schemaName << "at version" << i + 1;
    }
    return {};
}

} // namespace qedge
