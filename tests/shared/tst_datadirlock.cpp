#include "shared/datadirlock.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <cstdlib>

using namespace qedge;

namespace {

const QString kApp = QStringLiteral("testhub");

// Child modes: "--hold DIR" keeps the lock until stdin closes; "--die DIR" exits without unlocking.
int childMain(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const auto lock = DataDirLock::acquire(QString::fromLocal8Bit(argv[2]), kApp);
    if (!lock) {
        std::fprintf(stdout, "failed: %s\n", qPrintable(lock.errorMessage()));
        return 1;
    }
    std::fprintf(stdout, "locked\n");
    std::fflush(stdout);
    if (qstrcmp(argv[1], "--die") == 0)
        std::_Exit(0);
    while (std::fgetc(stdin) != EOF) {
    }
    return 0;
}

QString expectedMessage(const QString &dir, qint64 pid)
{
    return QStringLiteral("data directory %1 is in use by %2 (pid %3); stop that process or choose another --data-dir")
        .arg(dir, QFileInfo(QCoreApplication::applicationFilePath()).fileName())
        .arg(pid);
}

} // namespace

class TestDataDirLock : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void createsPrivateDirectory();
    void secondAcquireInProcessFails();
    void secondProcessIsRefused();
    void staleLockOfDeadProcessIsTakenOver();
    void refusesRegularFile();

private:
    bool startChild(QProcess &child, const char *mode, qint64 *pid);
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_dir;
};

void TestDataDirLock::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_dir = m_tmp->filePath(QStringLiteral("data/hub"));
}

bool TestDataDirLock::startChild(QProcess &child, const char *mode, qint64 *pid)
{
    child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(mode), m_dir});
    if (!child.waitForStarted(10000))
        return false;
    *pid = child.processId(); // before it may have exited
    while (!child.canReadLine()) {
        if (!child.waitForReadyRead(10000))
            return false;
    }
    return child.readLine() == "locked\n";
}

void TestDataDirLock::createsPrivateDirectory()
{
    QVERIFY(!QFileInfo::exists(m_dir));
    const auto lock = DataDirLock::acquire(m_dir, kApp);
    QVERIFY2(lock.ok(), qPrintable(lock.errorMessage()));
    QVERIFY(QFileInfo(m_dir).isDir());
    QCOMPARE(lock.value()->lockFilePath(), QDir(m_dir).filePath(QStringLiteral(".testhub.lock")));
    QVERIFY(QFileInfo::exists(lock.value()->lockFilePath()));
#ifdef Q_OS_UNIX
    QCOMPARE(QFileInfo(m_dir).permissions() & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
             QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
#endif
}

void TestDataDirLock::secondAcquireInProcessFails()
{
    auto first = DataDirLock::acquire(m_dir, kApp);
    QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
    const auto second = DataDirLock::acquire(m_dir, kApp);
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, QStringLiteral("datadir-in-use"));
    QCOMPARE(second.errorMessage(), expectedMessage(m_dir, QCoreApplication::applicationPid()));

    first.value().reset();
    const auto third = DataDirLock::acquire(m_dir, kApp);
    QVERIFY2(third.ok(), qPrintable(third.errorMessage()));
}

void TestDataDirLock::secondProcessIsRefused()
{
    QProcess child;
    qint64 childPid = 0;
    QVERIFY(startChild(child, "--hold", &childPid));
    const auto refused = DataDirLock::acquire(m_dir, kApp);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.errorMessage(), expectedMessage(m_dir, childPid));

    child.closeWriteChannel();
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitCode(), 0);
    const auto after = DataDirLock::acquire(m_dir, kApp);
    QVERIFY2(after.ok(), qPrintable(after.errorMessage()));
}

void TestDataDirLock::staleLockOfDeadProcessIsTakenOver()
{
    QProcess child;
    qint64 childPid = 0;
    QVERIFY(startChild(child, "--die", &childPid));
    QVERIFY(child.waitForFinished(10000));
    const QString lockPath = QDir(m_dir).filePath(QStringLiteral(".testhub.lock"));
    QFile left(lockPath);
    QVERIFY2(left.open(QIODevice::ReadOnly), "the dead child should have left its lock file");
    QCOMPARE(left.readLine().trimmed().toLongLong(), childPid);
    left.close();

    const auto lock = DataDirLock::acquire(m_dir, kApp);
    QVERIFY2(lock.ok(), qPrintable(lock.errorMessage()));
    QVERIFY(left.open(QIODevice::ReadOnly));
    QCOMPARE(left.readLine().trimmed().toLongLong(), QCoreApplication::applicationPid());
}

void TestDataDirLock::refusesRegularFile()
{
    const QString file = m_tmp->filePath(QStringLiteral("plain"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    const auto lock = DataDirLock::acquire(file, kApp);
    QVERIFY(!lock.ok());
    QCOMPARE(lock.error().code, QStringLiteral("datadir-invalid"));
    QVERIFY(lock.errorMessage().contains(file));
}

int main(int argc, char **argv)
{
    if (argc >= 3 && (qstrcmp(argv[1], "--hold") == 0 || qstrcmp(argv[1], "--die") == 0))
        return childMain(argc, argv);
    QCoreApplication app(argc, argv);
    TestDataDirLock test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_datadirlock.moc"
