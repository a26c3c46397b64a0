#include "tests/bench/benchbroker.h"

#include "tests/support/mosquittofixture.h"
#include "tests/support/testsupport.h"

#include <QDir>
#include <QFile>
#include <QTcpSocket>
#include <QThread>

#include <unistd.h>

namespace qedge::test {

BenchBroker::BenchBroker() : m_binary(mosquittoBinary())
{}

BenchBroker::~BenchBroker()
{
    stop();
}

bool BenchBroker::start(const QString &dir, const QByteArray &config)
{
    if (!available()) {
        m_error = QStringLiteral("mosquitto not found (/usr/sbin/mosquitto or PATH); run scripts/setup");
        return false;
    }
    QDir().mkpath(dir);
    m_port = freePort();
    QFile conf(dir + QStringLiteral("/mosquitto.conf"));
    if (m_port == 0 || !conf.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        m_error = QStringLiteral("cannot write %1: %2").arg(conf.fileName(), conf.errorString());
        return false;
    }
    QByteArray text =
        "listener " + QByteArray::number(m_port) + " 127.0.0.1\n" + config + "\nlog_dest none\n";
    // As root mosquitto drops to the 'mosquitto' user, which cannot read our temp dirs.
    if (::getuid() == 0)
        text += "user root\n";
    conf.write(text);
    conf.close();

    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(m_binary, {QStringLiteral("-c"), conf.fileName()});
    if (!m_process.waitForStarted(5000)) {
        m_error = QStringLiteral("cannot run %1: %2").arg(m_binary, m_process.errorString());
        return false;
    }
    for (int i = 0; i < 100 && m_process.state() == QProcess::Running; ++i) {
        QTcpSocket probe;
        probe.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        if (probe.waitForConnected(100))
            return true;
        QThread::msleep(50);
    }
    m_process.waitForFinished(100);
    m_error = QStringLiteral("mosquitto did not accept connections on 127.0.0.1:%1:\n%2")
                  .arg(m_port)
                  .arg(QString::fromLocal8Bit(m_process.readAll()));
    stop();
    return false;
}

void BenchBroker::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(10000)) {
        m_process.kill();
        m_process.waitForFinished(2000);
    }
}

} // namespace qedge::test
