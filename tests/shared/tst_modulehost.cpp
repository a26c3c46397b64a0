#include "shared/messagebus.h"
#include "shared/module.h"
#include "shared/modulehost.h"

#include <QMutex>
#include <QPointer>
#include <QRegularExpression>
#include <QTest>
#include <QThread>

#include <memory>

using namespace qedge;

namespace {

/// What every module did, in order, shared by the modules of one test.
class Journal
{
public:
    void add(const QString &entry)
    {
        QMutexLocker lock(&m_mutex);
        m_entries << entry;
    }
    QStringList entries() const
    {
        QMutexLocker lock(&m_mutex);
        return m_entries;
    }
    QStringList matching(const QString &prefix) const
    {
        QStringList out;
        for (const QString &e : entries()) {
            if (e.startsWith(prefix))
                out << e;
        }
        return out;
    }

private:
    mutable QMutex m_mutex;
    QStringList m_entries;
};

class Probe : public Module
{
public:
    Probe(const QString &name, Journal *journal, bool ownThread = false)
        : Module(name, QStringLiteral("probe")), m_journal(journal), m_ownThread(ownThread)
    {
    }
    bool wantsOwnThread() const override { return m_ownThread; }

    QPointer<QThread> startThread;   // written in start(), read after startAll() returned
    QThread *cleanupThread = nullptr; // written in cleanup(), read after stopAll() returned
    std::atomic<QThread *> messageThread{nullptr};

protected:
    void start() override
    {
        startThread = QThread::currentThread();
        m_journal->add(QStringLiteral("start:") + name());
    }
    void cleanup() override
    {
        cleanupThread = QThread::currentThread();
        m_journal->add(QStringLiteral("cleanup:") + name());
    }
    void handleMessage(const Message &m) override
    {
        messageThread = QThread::currentThread();
        m_journal->add(QStringLiteral("message:") + name() + QLatin1Char(':') + m.resource());
    }

private:
    Journal *m_journal;
    bool m_ownThread;
};

Message ping(const QString &resource)
{
    return Message::create(QStringLiteral("test"), QStringLiteral("probe"), op::Ping, resource);
}

} // namespace

class TestModuleHost : public QObject
{
    Q_OBJECT
private slots:
    void startsInOrderAndCleansUpInReverse_data();
    void startsInOrderAndCleansUpInReverse();
    void disabledModulesNeverStart();
    void duplicateNameIsRefusedAndDeleted();
    void messagesWaitForStart();
    void threadedModulesRunAndStopInTheirThreads();
    void destroyingHostStopsModules();
};

void TestModuleHost::startsInOrderAndCleansUpInReverse_data()
{
    QTest::addColumn<QList<bool>>("ownThread");
    QTest::newRow("all in host thread") << QList<bool>{false, false, false};
    QTest::newRow("mixed") << QList<bool>{false, true, false};
    QTest::newRow("all in own threads") << QList<bool>{true, true, true};
}

void TestModuleHost::startsInOrderAndCleansUpInReverse()
{
    QFETCH(QList<bool>, ownThread);
    Journal journal;
    MessageBus bus;
    ModuleHost host(&bus);
    const QStringList names{QStringLiteral("edged"), QStringLiteral("metamanager"),
                            QStringLiteral("websocket")};
    for (int i = 0; i < names.size(); ++i)
        QVERIFY(host.add(new Probe(names.at(i), &journal, ownThread.at(i))));
    QCOMPARE(host.moduleNames(), names);

    host.startAll();
    QVERIFY(host.isRunning());
    QCOMPARE(journal.entries(), (QStringList{QStringLiteral("start:edged"),
                                             QStringLiteral("start:metamanager"),
                                             QStringLiteral("start:websocket")}));
    host.stopAll();
    QVERIFY(!host.isRunning());
    QCOMPARE(journal.matching(QStringLiteral("cleanup:")),
             (QStringList{QStringLiteral("cleanup:websocket"), QStringLiteral("cleanup:metamanager"),
                          QStringLiteral("cleanup:edged")}));
    // Stopped modules leave the bus.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no module named")));
    QVERIFY(!bus.send(QStringLiteral("edged"), ping(QStringLiteral("late"))));
}

void TestModuleHost::disabledModulesNeverStart()
{
    Journal journal;
    MessageBus bus;
    ModuleHost host(&bus);
    host.setDisabledModules({QStringLiteral("edgestream"), QStringLiteral("servicebus")});
    QPointer<Probe> disabled = new Probe(QStringLiteral("edgestream"), &journal, true);
    QVERIFY(host.add(new Probe(QStringLiteral("eventbus"), &journal)));
    QVERIFY(!host.add(disabled));
    QVERIFY(disabled.isNull()); // the host took ownership and dropped it
    QVERIFY(host.add(new Probe(QStringLiteral("twin"), &journal)));
    QCOMPARE(host.moduleNames(), (QStringList{QStringLiteral("eventbus"), QStringLiteral("twin")}));

    host.startAll();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no module named")));
    QVERIFY(!bus.send(QStringLiteral("edgestream"), ping(QStringLiteral("x"))));
    host.stopAll();
    QCOMPARE(journal.entries(),
             (QStringList{QStringLiteral("start:eventbus"), QStringLiteral("start:twin"),
                          QStringLiteral("cleanup:twin"), QStringLiteral("cleanup:eventbus")}));
}

void TestModuleHost::duplicateNameIsRefusedAndDeleted()
{
    Journal journal;
    MessageBus bus;
    ModuleHost host(&bus);
    QVERIFY(host.add(new Probe(QStringLiteral("twin"), &journal)));
    QPointer<Probe> dup = new Probe(QStringLiteral("twin"), &journal);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("already registered")));
    QVERIFY(!host.add(dup));
    QVERIFY(dup.isNull());
    QCOMPARE(host.moduleNames(), QStringList{QStringLiteral("twin")});
}

void TestModuleHost::messagesWaitForStart()
{
    Journal journal;
    MessageBus bus;
    ModuleHost host(&bus);
    QVERIFY(host.add(new Probe(QStringLiteral("early"), &journal)));
    QVERIFY(host.add(new Probe(QStringLiteral("early-threaded"), &journal, true)));
    QVERIFY(bus.send(QStringLiteral("early"), ping(QStringLiteral("1"))));
    QVERIFY(bus.send(QStringLiteral("early-threaded"), ping(QStringLiteral("1"))));
    QCOMPARE(bus.queueDepth(QStringLiteral("early")), 1);
    QTest::qWait(20); // an event loop runs: still nothing may be delivered before start()
    QCOMPARE(journal.entries(), QStringList());

    host.startAll();
    QTRY_COMPARE(journal.matching(QStringLiteral("message:")).size(), 2);
    const QStringList all = journal.entries();
    QVERIFY(all.indexOf(QStringLiteral("start:early")) < all.indexOf(QStringLiteral("message:early:1")));
    QVERIFY(all.indexOf(QStringLiteral("start:early-threaded"))
            < all.indexOf(QStringLiteral("message:early-threaded:1")));
    host.stopAll();
}

void TestModuleHost::threadedModulesRunAndStopInTheirThreads()
{
    Journal journal;
    MessageBus bus;
    ModuleHost host(&bus);
    QList<Probe *> probes;
    for (const char *name : {"a", "b", "c"}) {
        probes << new Probe(QLatin1String(name), &journal, true);
        QVERIFY(host.add(probes.last()));
    }
    QVERIFY(host.add(new Probe(QStringLiteral("local"), &journal, false)));
    host.startAll();

    QSet<QThread *> threads;
    for (Probe *p : probes) {
        QVERIFY(p->startThread);
        QVERIFY(p->startThread != QThread::currentThread());
        QVERIFY(p->startThread->isRunning());
        threads << p->startThread.data();
        QVERIFY(bus.send(p->name(), ping(QStringLiteral("hello"))));
    }
    QCOMPARE(threads.size(), 3); // one thread each
    for (Probe *p : probes)
        QTRY_COMPARE(p->messageThread.load(), p->startThread.data());

    QList<QPointer<QThread>> watched;
    QList<quintptr> addresses; // compared only, never dereferenced once the thread is gone
    for (Probe *p : probes) {
        watched << p->startThread;
        addresses << quintptr(p->startThread.data());
    }
    host.stopAll();
    for (int i = 0; i < probes.size(); ++i) {
        QCOMPARE(quintptr(probes.at(i)->cleanupThread), addresses.at(i)); // cleanup in its own thread
        QVERIFY2(watched.at(i).isNull(), "the module's thread was joined and deleted");
        QCOMPARE(probes.at(i)->thread(), QThread::currentThread()); // handed back to the host
    }
}

void TestModuleHost::destroyingHostStopsModules()
{
    Journal journal;
    MessageBus bus;
    QPointer<QThread> moduleThread;
    {
        ModuleHost host(&bus);
        auto *p = new Probe(QStringLiteral("worker"), &journal, true);
        QVERIFY(host.add(p));
        host.startAll();
        moduleThread = p->startThread;
        QVERIFY(moduleThread);
    }
    QCOMPARE(journal.entries(),
             (QStringList{QStringLiteral("start:worker"), QStringLiteral("cleanup:worker")}));
    QVERIFY(moduleThread.isNull());
}

QTEST_GUILESS_MAIN(TestModuleHost)
#include "tst_modulehost.moc"
