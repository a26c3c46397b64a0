#include "shared/datadirlock.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>

namespace qedge {

DataDirLock::DataDirLock(QString dir, std::unique_ptr<QLockFile> lock)
    : m_dir(std::move(dir)), m_lock(std::move(lock))
{
}

DataDirLock::~DataDirLock()
{
    m_lock->unlock();
}

QString DataDirLock::lockFilePath() const
{
    return m_lock->fileName();
}

Result<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const QString &dir, const QString &appName)
{
    using R = Result<std::unique_ptr<DataDirLock>>;
    if (dir.isEmpty())
        return R::failure(QStringLiteral("datadir-missing"), QStringLiteral("no data directory given; pass --data-dir DIR"));

    const QFileInfo info(dir);
    if (info.exists() && !info.isDir()) {
        return R::failure(QStringLiteral("datadir-invalid"),
                          QStringLiteral("data directory %1 is not a directory").arg(dir));
    }
    if (!info.exists()) {
        if (!QDir().mkpath(dir)) {
            return R::failure(QStringLiteral("datadir-create"),
                              QStringLiteral("cannot create data directory %1; check the permissions of its parent").arg(dir));
        }
        // Keys and tokens live here, so nobody else may list or read it.
        QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    const QString path = QDir(dir).filePath(QLatin1Char('.') + appName + QLatin1String(".lock"));
    auto lock = std::make_unique<QLockFile>(path);
    // Only a dead owner makes the lock stale: a long-running service must never lose it by age.
    lock->setStaleLockTime(0);
    if (lock->tryLock(0))
        return std::unique_ptr<DataDirLock>(new DataDirLock(dir, std::move(lock)));

    switch (lock->error()) {
    case QLockFile::LockFailedError: {
        qint64 pid = 0;
        QString host;
        QString app;
        lock->getLockInfo(&pid, &host, &app);
        return R::failure(QStringLiteral("datadir-in-use"),
                          QStringLiteral("data directory %1 is in use by %2 (pid %3); stop that process or choose another --data-dir")
                              .arg(dir, app.isEmpty() ? appName : app)
                              .arg(pid));
    }
    case QLockFile::PermissionError:
        return R::failure(QStringLiteral("datadir-permission"),
                          QStringLiteral("cannot create lock file %1: permission denied; check the owner of %2").arg(path, dir));
    case QLockFile::NoError:
    case QLockFile::UnknownError:
        break;
    }
    return R::failure(QStringLiteral("datadir-lock"), QStringLiteral("cannot lock %1").arg(path));
}

} // namespace qedge
