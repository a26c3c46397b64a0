#include "tests/support/mosquittofixture.h"

#include "tests/support/testsupport.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QThread>

#include <unistd.h>

namespace qedge::test {

QString mosquittoBinary()
{
    const QString packaged = QStringLiteral("/usr/sbin/mosquitto");
    return QFileInfo(packaged).isExecutable() ? packaged
                                              : QStandardPaths::findExecutable(QStringLiteral("mosquitto"));
}

MosquittoFixture::MosquittoFixture() : m_binary(mosquittoBinary())
{}

MosquittoFixture::~MosquittoFixture()
{
    stop();
}

bool MosquittoFixture::available() const
{
    return !m_binary.isEmpty();
}

QString MosquittoFixture::unavailableReason() const
{
    return available()
               ? QString()
               : QStringLiteral("mosquitto not found (/usr/sbin/mosquitto or PATH); run scripts/setup");
}

bool MosquittoFixture::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

QByteArray MosquittoFixture::output() const
{
    return m_process ? m_output + m_process->readAll() : m_output;
}

Status MosquittoFixture::start()
{
    const auto fail = [this](const QString &why) {
        return Status::failure(QStringLiteral("test.mosquitto"), why +
                                                                     QStringLiteral("\nmosquitto output:\n") +
                                                                     QString::fromLocal8Bit(output()));
    };
    if (!available())
        return Status::failure(QStringLiteral("test.mosquitto"), unavailableReason());
    if (isRunning())
        return {};
    if (!m_dir) {
        m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/qedge-mqtt-XXXXXX"));
        if (!m_dir->isValid())
            return fail(QStringLiteral("cannot create a temp dir: %1").arg(m_dir->errorString()));
    }
    if (m_port == 0)
        m_port = freePort();
    if (m_port == 0)
        return fail(QStringLiteral("no free TCP port"));

    QFile conf(m_dir->filePath(QStringLiteral("mosquitto.conf")));
    if (!conf.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return fail(QStringLiteral("cannot write %1: %2").arg(conf.fileName(), conf.errorString()));
    QByteArray text = "listener " + QByteArray::number(m_port) +
                      " 127.0.0.1\n"
                      "allow_anonymous true\n"
                      "persistence true\n"
                      "persistence_location " +
                      QFile::encodeName(m_dir->path()) +
                      "/\n"
                      "log_dest stderr\n";
    // As root mosquitto drops to the 'mosquitto' user, which cannot write our 0700 temp dir.
    if (::getuid() == 0)
        text += "user root\n";
    conf.write(text);
    conf.close();

    m_output.clear();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->start(m_binary, {QStringLiteral("-c"), conf.fileName()});
    if (!m_process->waitForStarted(10000))
        return fail(QStringLiteral("cannot run %1: %2").arg(m_binary, m_process->errorString()));

    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        if (m_process->state() != QProcess::Running)
            return fail(QStringLiteral("mosquitto exited with code %1").arg(m_process->exitCode()));
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (probe.waitForConnected(500))
            return {};
        QThread::msleep(50);
    }
    stop();
    return fail(
        QStringLiteral("mosquitto did not accept connections on 127.0.0.1:%1 within 10 s").arg(m_port));
}

void MosquittoFixture::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate(); // SIGTERM: mosquitto writes its persistence file and exits
        if (!m_process->waitForFinished(10000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    m_output += m_process->readAll();
    m_process.reset();
}

Status MosquittoFixture::restart()
{
    stop();
    return start();
}

} // namespace qedge::test
