#include "shared/shutdown.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <csignal>
#include <thread>

#include <signal.h>
#include <unistd.h>

using namespace qedge;

namespace {

volatile sig_atomic_t g_previousHandlerHits = 0;

extern "C" void countingHandler(int)
{
    g_previousHandlerHits = g_previousHandlerHits + 1;
}

} // namespace

class TestShutdown : public QObject
{
    Q_OBJECT
private slots:
    void shutdownSignals_data();
    void shutdownSignals();
    void hangupMeansReload();
    void burstIsNotLost();
    void signalFromAnotherThread();
    void onlyOneWatcherIsActive();
    void destructionRestoresPreviousHandler();
};

void TestShutdown::shutdownSignals_data()
{
    QTest::addColumn<int>("signo");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void TestShutdown::shutdownSignals()
{
    QFETCH(int, signo);
    ShutdownWatcher watcher;
    QVERIFY(watcher.isActive());
    QSignalSpy shutdown(&watcher, &ShutdownWatcher::shutdownRequested);
    QSignalSpy reload(&watcher, &ShutdownWatcher::reloadRequested);
    QCOMPARE(::raise(signo), 0);
    QTRY_COMPARE(shutdown.count(), 1);
    QCOMPARE(shutdown.at(0).at(0).toInt(), signo);
    QCOMPARE(reload.count(), 0);
}

void TestShutdown::hangupMeansReload()
{
    ShutdownWatcher watcher;
    QSignalSpy shutdown(&watcher, &ShutdownWatcher::shutdownRequested);
    QSignalSpy reload(&watcher, &ShutdownWatcher::reloadRequested);
    QCOMPARE(::kill(::getpid(), SIGHUP), 0);
    QTRY_COMPARE(reload.count(), 1);
    QCOMPARE(shutdown.count(), 0);
}

void TestShutdown::burstIsNotLost()
{
    ShutdownWatcher watcher;
    QSignalSpy shutdown(&watcher, &ShutdownWatcher::shutdownRequested);
    QSignalSpy reload(&watcher, &ShutdownWatcher::reloadRequested);
    // raise() runs the handler before returning, so each signal is written before the next.
    QCOMPARE(::raise(SIGTERM), 0);
    QCOMPARE(::raise(SIGHUP), 0);
    QCOMPARE(::raise(SIGINT), 0);
    QTRY_COMPARE(shutdown.count(), 2);
    QTRY_COMPARE(reload.count(), 1);
    QCOMPARE(shutdown.at(0).at(0).toInt(), int(SIGTERM));
    QCOMPARE(shutdown.at(1).at(0).toInt(), int(SIGINT));
}

void TestShutdown::signalFromAnotherThread()
{
    ShutdownWatcher watcher;
    QSignalSpy shutdown(&watcher, &ShutdownWatcher::shutdownRequested);
    std::thread worker([] { ::raise(SIGTERM); });
    worker.join();
    QTRY_COMPARE(shutdown.count(), 1);
}

void TestShutdown::onlyOneWatcherIsActive()
{
    auto first = std::make_unique<ShutdownWatcher>();
    QVERIFY(first->isActive());
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("another ShutdownWatcher is active")));
    ShutdownWatcher second;
    QVERIFY(!second.isActive());
    QSignalSpy firstSpy(first.get(), &ShutdownWatcher::shutdownRequested);
    QSignalSpy secondSpy(&second, &ShutdownWatcher::shutdownRequested);
    QCOMPARE(::raise(SIGTERM), 0);
    QTRY_COMPARE(firstSpy.count(), 1);
    QCOMPARE(secondSpy.count(), 0);

    first.reset();
    ShutdownWatcher third;
    QVERIFY(third.isActive());
    QSignalSpy thirdSpy(&third, &ShutdownWatcher::shutdownRequested);
    QCOMPARE(::raise(SIGTERM), 0);
    QTRY_COMPARE(thirdSpy.count(), 1);
}

void TestShutdown::destructionRestoresPreviousHandler()
{
    struct sigaction mine = {};
    mine.sa_handler = countingHandler;
    sigemptyset(&mine.sa_mask);
    struct sigaction saved = {};
    QCOMPARE(::sigaction(SIGHUP, &mine, &saved), 0);
    g_previousHandlerHits = 0;
    {
        ShutdownWatcher watcher;
        QSignalSpy reload(&watcher, &ShutdownWatcher::reloadRequested);
        QCOMPARE(::raise(SIGHUP), 0);
        QTRY_COMPARE(reload.count(), 1);
        QCOMPARE(int(g_previousHandlerHits), 0);
    }
    QCOMPARE(::raise(SIGHUP), 0);
    QCOMPARE(int(g_previousHandlerHits), 1);
    QCOMPARE(::sigaction(SIGHUP, &saved, nullptr), 0);
}

QTEST_GUILESS_MAIN(TestShutdown)
#include "tst_shutdown.moc"
