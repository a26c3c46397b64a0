#pragma once

#include "shared/result.h"

#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace qedge::test {

/// A throw-away PostgreSQL server for tests: initdb in a temp dir, 127.0.0.1 on a free port.
class PostgresFixture
{
public:
    PostgresFixture();
    ~PostgresFixture();
    PostgresFixture(const PostgresFixture &) = delete;
    PostgresFixture &operator=(const PostgresFixture &) = delete;

    /// True when the PostgreSQL server binaries were found (initdb, pg_ctl).
    bool available() const;
    /// Why available() is false, for QSKIP.
    QString unavailableReason() const;
    /// Creates the cluster, starts the server, waits until it accepts, creates the test database.
    Status start();
    /// Stops the server and removes its files.
    void stop();
    /// postgresql://qedge@127.0.0.1:<port>/qedge_test (valid after start()).
    QString url() const;
    /// The same database through the unix socket in the temp dir.
    QString socketUrl() const;
    quint16 port() const { return m_port; }

private:
    Status runTool(const QString &tool, const QStringList &args, int timeoutMs) const;
    Status startOnce();

    QString m_binDir;
    QString m_reason;
    std::unique_ptr<QTemporaryDir> m_dir;
    quint16 m_port = 0;
    bool m_running = false;
};

} // namespace qedge::test
