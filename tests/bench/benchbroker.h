#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>

namespace qedge::test {

/// mosquitto as a benchmark's peer: a config of our own in a given directory, one listener on
/// 127.0.0.1 and a free port, no logging (its cost is not part of the figures). The broker inherits
/// this process's limits, so raise RLIMIT_NOFILE before start() when it is to hold many clients.
class BenchBroker
{
public:
    BenchBroker();
    ~BenchBroker();
    BenchBroker(const BenchBroker &) = delete;
    BenchBroker &operator=(const BenchBroker &) = delete;

    /// False when no mosquitto binary was found (/usr/sbin/mosquitto or PATH).
    bool available() const { return !m_binary.isEmpty(); }
    /// Writes \a dir/mosquitto.conf: the listener line, then \a config (options of that listener
    /// first, then any global ones), starts mosquitto and waits until its port accepts TCP.
    bool start(const QString &dir, const QByteArray &config);
    void stop();
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    /// Why start() failed, with what mosquitto printed.
    QString errorString() const { return m_error; }

private:
    QString m_binary;
    QProcess m_process;
    QString m_error;
    quint16 m_port = 0;
};

} // namespace qedge::test
