#pragma once

#include "shared/result.h"

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace qedge::test {

/// Debian's mosquitto binary (/usr/sbin is not on every user's PATH), else one on PATH; empty if none.
QString mosquittoBinary();

/// A real mosquitto broker for tests: anonymous, persistent, on 127.0.0.1 and a free port.
class MosquittoFixture
{
public:
    MosquittoFixture();
    ~MosquittoFixture();
    MosquittoFixture(const MosquittoFixture &) = delete;
    MosquittoFixture &operator=(const MosquittoFixture &) = delete;

    /// True when the mosquitto binary was found.
    bool available() const;
    QString unavailableReason() const;
    /// Writes the config, starts mosquitto, waits until its port accepts TCP connections.
    Status start();
    /// Terminates the broker (it saves its persistence file); keeps the port and data for restart().
    void stop();
    /// stop() then start() on the same port with the same persistence.
    Status restart();
    quint16 port() const { return m_port; }
    bool isRunning() const;
    /// What the broker printed (for failure messages).
    QByteArray output() const;

private:
    QString m_binary;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_output;
    quint16 m_port = 0;
};

} // namespace qedge::test
