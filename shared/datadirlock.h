#pragma once

#include "shared/result.h"

#include <QString>

#include <memory>

class QLockFile;

namespace qedge {

/// Exclusive use of a service's data directory by one process, held until destruction.
class DataDirLock
{
public:
    /// Creates `dir` (mode 0700) when missing and locks "<dir>/.<appName>.lock"; a lock left by a
    /// process that no longer runs is taken over, one held by a live process is refused.
    static Result<std::unique_ptr<DataDirLock>> acquire(const QString &dir, const QString &appName);

    ~DataDirLock();
    DataDirLock(const DataDirLock &) = delete;
    DataDirLock &operator=(const DataDirLock &) = delete;

    const QString &dir() const { return m_dir; }
    QString lockFilePath() const;

private:
    DataDirLock(QString dir, std::unique_ptr<QLockFile> lock);

    QString m_dir;
    std::unique_ptr<QLockFile> m_lock;
};

} // namespace qedge
