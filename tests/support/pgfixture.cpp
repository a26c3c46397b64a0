#include "tests/support/pgfixture.h"

#include "tests/support/testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QUrl>

#include <algorithm>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace qedge::test {

namespace {

const char *const kSystemUser = "postgres";

QString findBinDir()
{
    QDir root(QStringLiteral("/usr/lib/postgresql"));
    QStringList versions = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(),
              [](const QString &a, const QString &b) { return a.toDouble() > b.toDouble(); });
    for (const QString &v : versions) {
        const QString bin = root.filePath(v + QStringLiteral("/bin"));
        if (QFileInfo(bin + QStringLiteral("/initdb")).isExecutable() &&
            QFileInfo(bin + QStringLiteral("/pg_ctl")).isExecutable())
            return bin;
    }
    const QString initdb = QStandardPaths::findExecutable(QStringLiteral("initdb"));
    if (!initdb.isEmpty() && !QStandardPaths::findExecutable(QStringLiteral("pg_ctl")).isEmpty())
        return QFileInfo(initdb).absolutePath();
    return {};
}

} // namespace

PostgresFixture::PostgresFixture() : m_binDir(findBinDir())
{
    if (m_binDir.isEmpty())
        m_reason = QStringLiteral("PostgreSQL server binaries (initdb, pg_ctl) not found under "
                                  "/usr/lib/postgresql/*/bin or PATH; run scripts/setup");
    else if (::getuid() == 0 && (!::getpwnam(kSystemUser) ||
                                 QStandardPaths::findExecutable(QStringLiteral("runuser")).isEmpty()))
        m_reason =
            QStringLiteral("running as root needs the 'postgres' system user and runuser; run scripts/setup");
}

PostgresFixture::~PostgresFixture()
{
    stop();
}

bool PostgresFixture::available() const
{
    return m_reason.isEmpty();
}

QString PostgresFixture::unavailableReason() const
{
    return m_reason;
}

Status PostgresFixture::runTool(const QString &tool, const QStringList &args, int timeoutMs) const
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setWorkingDirectory(m_dir->path()); // the postgres user cannot enter root's cwd
    const QString exe = m_binDir + u'/' + tool;
    if (::getuid() == 0)
        p.start(QStringLiteral("runuser"),
                QStringList{QStringLiteral("-u"), QLatin1String(kSystemUser), QStringLiteral("--"), exe} +
                    args);
    else
        p.start(exe, args);
    if (!p.waitForStarted(10000))
        return Status::failure(QStringLiteral("test.postgres"),
                               QStringLiteral("cannot run %1: %2").arg(exe, p.errorString()));
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        return Status::failure(QStringLiteral("test.postgres"),
                               QStringLiteral("%1 did not finish in %2 ms: %3")
                                   .arg(tool)
                                   .arg(timeoutMs)
                                   .arg(QString::fromLocal8Bit(p.readAll())));
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return Status::failure(QStringLiteral("test.postgres"),
                               QStringLiteral("%1 %2 failed (exit %3): %4")
                                   .arg(tool, args.join(u' '))
                                   .arg(p.exitCode())
                                   .arg(QString::fromLocal8Bit(p.readAll())));
    return {};
}

Status PostgresFixture::start()
{
    if (!available())
        return Status::failure(QStringLiteral("test.postgres"), m_reason);
    stop();
    // A free port can be taken between freePort() and the server's bind: try a few.
    Status s;
    for (int attempt = 0; attempt < 3; ++attempt) {
        s = startOnce();
        if (s)
            return s;
        stop();
    }
    return s;
}

Status PostgresFixture::startOnce()
{
    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/qedge-pg-XXXXXX"));
    if (!m_dir->isValid())
        return Status::failure(QStringLiteral("test.postgres"),
                               QStringLiteral("cannot create a temp dir: %1").arg(m_dir->errorString()));
    if (::getuid() == 0) {
        // PostgreSQL refuses to run as root; its files belong to the postgres user.
        const passwd *pw = ::getpwnam(kSystemUser);
        const QByteArray path = QFile::encodeName(m_dir->path());
        if (!pw || ::chown(path.constData(), pw->pw_uid, pw->pw_gid) != 0 ||
            ::chmod(path.constData(), 0700) != 0)
            return Status::failure(QStringLiteral("test.postgres"),
                                   QStringLiteral("cannot hand %1 to the postgres user").arg(m_dir->path()));
    }
    const QString data = m_dir->filePath(QStringLiteral("data"));
    if (Status s = runTool(QStringLiteral("initdb"),
                           {QStringLiteral("-D"), data, QStringLiteral("-U"), QStringLiteral("qedge"),
                            QStringLiteral("-A"), QStringLiteral("trust"), QStringLiteral("-E"),
                            QStringLiteral("UTF8"), QStringLiteral("--no-sync"),
                            QStringLiteral("--no-instructions")},
                           60000);
        !s)
        return s;
    m_port = freePort();
    if (m_port == 0)
        return Status::failure(QStringLiteral("test.postgres"), QStringLiteral("no free TCP port"));
    const QString options = QStringLiteral("-c listen_addresses=127.0.0.1 -p %1 -k %2 -c fsync=off "
                                           "-c synchronous_commit=off -c full_page_writes=off")
                                .arg(m_port)
                                .arg(m_dir->path());
    if (Status s = runTool(QStringLiteral("pg_ctl"),
                           {QStringLiteral("-D"), data, QStringLiteral("-l"),
                            m_dir->filePath(QStringLiteral("server.log")), QStringLiteral("-w"),
                            QStringLiteral("-t"), QStringLiteral("30"), QStringLiteral("-o"), options,
                            QStringLiteral("start")},
                           40000);
        !s) {
        QFile log(m_dir->filePath(QStringLiteral("server.log")));
        if (log.open(QIODevice::ReadOnly))
            return Status::failure(s.error().code, s.errorMessage() + QStringLiteral("\nserver log:\n") +
                                                       QString::fromLocal8Bit(log.readAll()));
        return s;
    }
    m_running = true;
    // pg_ctl -w returned, so the server accepts connections; createdb connects as the superuser.
    return runTool(QStringLiteral("createdb"),
                   {QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                    QString::number(m_port), QStringLiteral("-U"), QStringLiteral("qedge"),
                    QStringLiteral("qedge_test")},
                   30000);
}

void PostgresFixture::stop()
{
    if (m_running && m_dir) {
        const Status s =
            runTool(QStringLiteral("pg_ctl"),
                    {QStringLiteral("-D"), m_dir->filePath(QStringLiteral("data")), QStringLiteral("-m"),
                     QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("stop")},
                    30000);
        if (!s)
            qWarning("PostgresFixture: %s", qPrintable(s.errorMessage()));
    }
    m_running = false;
    m_dir.reset();
}

QString PostgresFixture::url() const
{
    return QStringLiteral("postgresql://qedge@127.0.0.1:%1/qedge_test").arg(m_port);
}

QString PostgresFixture::socketUrl() const
{
    if (!m_dir)
        return {};
    const QString host = QString::fromLatin1(QUrl::toPercentEncoding(m_dir->path()));
    // Not arg(): the encoded host holds "%2F", which arg() would take for a marker.
    return QStringLiteral("postgresql://qedge@") + host + u':' + QString::number(m_port) +
           QStringLiteral("/qedge_test");
}

} // namespace qedge::test
