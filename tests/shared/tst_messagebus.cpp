#include "shared/messagebus.h"
#include "shared/module.h"

#include <QMutex>
#include <QScopeGuard>
#include <QRegularExpression>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

using namespace qedge;

namespace {

/// Records what it receives and in which thread; optionally runs a hook per message.
class Recorder : public Module
{
public:
    Recorder(const QString &name, const QString &group, int capacity = 1024)
        : Module(name, group), m_capacity(capacity)
    {
    }
    int queueCapacity() const override { return m_capacity; }

    std::function<void(Recorder *, const Message &)> onMessage;

    QList<Message> received() const
    {
        QMutexLocker lock(&m_mutex);
        return m_received;
    }
    int count() const
    {
        QMutexLocker lock(&m_mutex);
        return int(m_received.size());
    }
    QSet<QThread *> threads() const
    {
        QMutexLocker lock(&m_mutex);
        return m_threads;
    }

protected:
    void handleMessage(const Message &m) override
    {
        {
            QMutexLocker lock(&m_mutex);
            m_received << m;
            m_threads << QThread::currentThread();
        }
        if (onMessage)
            onMessage(this, m);
    }

private:
    int m_capacity;
    mutable QMutex m_mutex;
    QList<Message> m_received;
    QSet<QThread *> m_threads;
};

Message numbered(int i)
{
    return Message::create(QStringLiteral("test"), QStringLiteral("g"), op::Update,
                           QStringLiteral("node/n/%1").arg(i));
}

/// A QThread that is quit and joined when the test ends, even on failure.
struct ScopedThread
{
    QThread thread;
    ScopedThread() { thread.start(); }
    ~ScopedThread()
    {
        thread.quit();
        thread.wait();
    }
};

void answerWithPong(Recorder *r, const Message &m)
{
    r->bus()->respond(Message::responseTo(m, QStringLiteral("pong")));
}

} // namespace

class TestMessageBus : public QObject
{
    Q_OBJECT
private slots:
    void fifoPerModule_data();
    void fifoPerModule();
    void groupFanOutReachesMembersOnly();
    void sendToUnknownModuleFails();
    void duplicateNameIsRefused();
    void unregisteredModuleReceivesNothing();
    void deliveryRunsInModuleThread();
    void requestGetsReplyByParentId_data();
    void requestGetsReplyByParentId();
    void requestTimesOutOnceAndIgnoresLateReply_data();
    void requestTimesOutOnceAndIgnoresLateReply();
    void requestToUnknownModuleFails();
    void fullQueueRefusesAndReports();
    void destroyedModuleLeavesBus();
    void destroyedBusCancelsRequestsAndDetaches();
};

void TestMessageBus::fifoPerModule_data()
{
    QTest::addColumn<bool>("ownThread");
    QTest::addColumn<bool>("senderThread");
    QTest::newRow("same thread") << false << false;
    QTest::newRow("receiver in its thread") << true << false;
    QTest::newRow("sender and receiver in other threads") << true << true;
}

void TestMessageBus::fifoPerModule()
{
    QFETCH(bool, ownThread);
    QFETCH(bool, senderThread);
    constexpr int N = 10000;
    MessageBus bus;
    Recorder r(QStringLiteral("r"), QStringLiteral("g"), N);
    ScopedThread worker; // joined before the modules it runs are destroyed
    if (ownThread)
        r.moveToThread(&worker.thread);
    QVERIFY(bus.registerModule(&r));

    int accepted = 0;
    const auto sendAll = [&] {
        for (int i = 0; i < N; ++i)
            accepted += bus.send(QStringLiteral("r"), numbered(i)) ? 1 : 0;
    };
    if (senderThread) {
        std::unique_ptr<QThread> sender(QThread::create(sendAll));
        sender->start();
        QVERIFY(sender->wait(10000));
    } else {
        sendAll();
    }
    QCOMPARE(accepted, N);
    QTRY_COMPARE_WITH_TIMEOUT(r.count(), N, 10000);
    const QList<Message> got = r.received();
    for (int i = 0; i < N; ++i)
        QCOMPARE(got.at(i).resource(), QStringLiteral("node/n/%1").arg(i));
    QCOMPARE(bus.stats().delivered, quint64(N));
    QCOMPARE(bus.moduleStats(QStringLiteral("r")).delivered, quint64(N));
    QCOMPARE(bus.queueDepth(QStringLiteral("r")), 0);
    bus.unregisterModule(QStringLiteral("r"));
}

void TestMessageBus::groupFanOutReachesMembersOnly()
{
    MessageBus bus;
    Recorder a(QStringLiteral("a"), QStringLiteral("bus"));
    Recorder b(QStringLiteral("b"), QStringLiteral("bus"));
    Recorder c(QStringLiteral("c"), QStringLiteral("meta"));
    ScopedThread worker;
    b.moveToThread(&worker.thread);
    for (Recorder *r : {&a, &b, &c})
        QVERIFY(bus.registerModule(r));

    const Message m = numbered(1);
    QCOMPARE(bus.sendToGroup(QStringLiteral("bus"), m), 2);
    QCOMPARE(bus.sendToGroup(QStringLiteral("nobody"), m), 0);
    // A marker sent after the group message: FIFO means c would have seen the group message first.
    QVERIFY(bus.send(QStringLiteral("c"), numbered(2)));
    QTRY_COMPARE(a.count(), 1);
    QTRY_COMPARE(b.count(), 1);
    QTRY_COMPARE(c.count(), 1);
    QCOMPARE(a.received().first(), m);
    QCOMPARE(b.received().first(), m);
    QCOMPARE(c.received().first().resource(), QStringLiteral("node/n/2"));
    bus.unregisterModule(QStringLiteral("b"));
}

void TestMessageBus::sendToUnknownModuleFails()
{
    MessageBus bus;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no module named \"ghost\"")));
    QTest::failOnWarning(QRegularExpression(QStringLiteral("no module named")));
    QVERIFY(!bus.send(QStringLiteral("ghost"), numbered(1)));
    QVERIFY(!bus.send(QStringLiteral("ghost"), numbered(2))); // counted, warning rate limited
    QCOMPARE(bus.stats().dropped, quint64(2));
    QCOMPARE(bus.stats().delivered, quint64(0));
    QCOMPARE(bus.queueDepth(QStringLiteral("ghost")), -1);
}

void TestMessageBus::duplicateNameIsRefused()
{
    MessageBus bus;
    Recorder first(QStringLiteral("twin"), QStringLiteral("twin"));
    Recorder second(QStringLiteral("twin"), QStringLiteral("other"));
    QVERIFY(bus.registerModule(&first));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("already registered")));
    QVERIFY(!bus.registerModule(&second));
    QCOMPARE(first.bus(), &bus);
    QCOMPARE(second.bus(), nullptr);
    QVERIFY(bus.send(QStringLiteral("twin"), numbered(1)));
    QTRY_COMPARE(first.count(), 1);
    QCOMPARE(second.count(), 0);
}

void TestMessageBus::unregisteredModuleReceivesNothing()
{
    MessageBus bus;
    Recorder r(QStringLiteral("r"), QStringLiteral("g"));
    QVERIFY(bus.registerModule(&r));
    QVERIFY(bus.send(QStringLiteral("r"), numbered(1)));
    // Still queued (no event loop ran): dropped and counted when the module leaves.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("1 undelivered")));
    bus.unregisterModule(QStringLiteral("r"));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no module named")));
    QVERIFY(!bus.send(QStringLiteral("r"), numbered(2)));
    QCOMPARE(bus.sendToGroup(QStringLiteral("g"), numbered(3)), 0);
    QTest::qWait(20);
    QCOMPARE(r.count(), 0);
    QCOMPARE(bus.stats().dropped, quint64(2));
}

void TestMessageBus::deliveryRunsInModuleThread()
{
    MessageBus bus;
    Recorder r(QStringLiteral("r"), QStringLiteral("g"));
    ScopedThread worker;
    r.moveToThread(&worker.thread);
    QVERIFY(bus.registerModule(&r));
    for (int i = 0; i < 100; ++i)
        QVERIFY(bus.send(QStringLiteral("r"), numbered(i)));
    QTRY_COMPARE(r.count(), 100);
    QCOMPARE(r.threads(), QSet<QThread *>{&worker.thread});
    bus.unregisterModule(QStringLiteral("r"));
}

void TestMessageBus::requestGetsReplyByParentId_data()
{
    QTest::addColumn<bool>("useFuture");
    QTest::addColumn<bool>("responderThread");
    QTest::newRow("callback, responder in this thread") << false << false;
    QTest::newRow("callback, responder in another thread") << false << true;
    QTest::newRow("future, responder in this thread") << true << false;
    QTest::newRow("future, responder in another thread") << true << true;
}

void TestMessageBus::requestGetsReplyByParentId()
{
    QFETCH(bool, useFuture);
    QFETCH(bool, responderThread);
    MessageBus bus;
    Recorder responder(QStringLiteral("metamanager"), QStringLiteral("meta"));
    std::atomic<int> noiseAccepted{0};
    responder.onMessage = [&noiseAccepted](Recorder *r, const Message &m) {
        // An unrelated reply first: only the one whose parentId matches may complete the request.
        if (r->bus()->respond(Message::responseTo(numbered(9), QStringLiteral("noise"))))
            ++noiseAccepted;
        answerWithPong(r, m);
    };
    ScopedThread worker;
    if (responderThread)
        responder.moveToThread(&worker.thread);
    QVERIFY(bus.registerModule(&responder));

    const Message req = numbered(1);
    QList<Result<Message>> results;
    QList<QThread *> handlerThreads;
    if (useFuture) {
        QFuture<Result<Message>> f = bus.request(QStringLiteral("metamanager"), req, 5000);
        QTRY_VERIFY(f.isFinished());
        QCOMPARE(f.resultCount(), 1);
        results << f.result();
    } else {
        QObject context;
        bus.request(QStringLiteral("metamanager"), req, 5000, &context,
                    [&](Result<Message> r) {
                        results << r;
                        handlerThreads << QThread::currentThread();
                    });
        QTRY_COMPARE(results.size(), 1);
        QCOMPARE(handlerThreads.first(), QThread::currentThread());
    }
    QVERIFY2(results.first().ok(), qPrintable(results.first().errorMessage()));
    const Message reply = results.first().value();
    QCOMPARE(reply.parentId(), req.id());
    QCOMPARE(reply.contentText(), QStringLiteral("pong"));
    QVERIFY(responder.received().first().header().sync);
    QCOMPARE(bus.pendingRequests(), 0);
    QCOMPARE(bus.stats().timeouts, quint64(0));
    QCOMPARE(noiseAccepted.load(), 0);
    QCOMPARE(bus.stats().lateReplies, quint64(1)); // the noise
    bus.unregisterModule(QStringLiteral("metamanager"));
}

void TestMessageBus::requestTimesOutOnceAndIgnoresLateReply_data()
{
    QTest::addColumn<bool>("useFuture");
    QTest::newRow("callback") << false;
    QTest::newRow("future") << true;
}

void TestMessageBus::requestTimesOutOnceAndIgnoresLateReply()
{
    QFETCH(bool, useFuture);
    MessageBus bus;
    Recorder silent(QStringLiteral("edged"), QStringLiteral("edged"));
    QVERIFY(bus.registerModule(&silent));

    QList<Result<Message>> results;
    QFuture<Result<Message>> f;
    QObject context;
    if (useFuture) {
        f = bus.request(QStringLiteral("edged"), numbered(1), 50);
    } else {
        bus.request(QStringLiteral("edged"), numbered(1), 50, &context,
                    [&](Result<Message> r) { results << r; });
    }
    QTRY_COMPARE(silent.count(), 1);
    if (useFuture) {
        QTRY_VERIFY(f.isFinished());
        results << f.results();
    } else {
        QTRY_COMPARE(results.size(), 1);
    }
    QVERIFY(!results.first().ok());
    QCOMPARE(results.first().error().code, QStringLiteral("timeout"));
    QVERIFY2(results.first().errorMessage().contains(QLatin1String("'edged'"))
                 && results.first().errorMessage().contains(QLatin1String("50 ms")),
             qPrintable(results.first().errorMessage()));

    // The late reply finds nobody waiting.
    QVERIFY(!bus.respond(Message::responseTo(silent.received().first(), QStringLiteral("late"))));
    QTest::qWait(100);
    QCOMPARE(results.size(), 1);
    if (useFuture)
        QCOMPARE(f.resultCount(), 1);
    QCOMPARE(bus.stats().timeouts, quint64(1));
    QCOMPARE(bus.stats().lateReplies, quint64(1));
    QCOMPARE(bus.moduleStats(QStringLiteral("edged")).timeouts, quint64(1));
    QCOMPARE(bus.pendingRequests(), 0);
}

void TestMessageBus::requestToUnknownModuleFails()
{
    MessageBus bus;
    QObject context;
    QList<Result<Message>> results;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no module named")));
    bus.request(QStringLiteral("nowhere"), numbered(1), 1000, &context,
                [&](Result<Message> r) { results << r; });
    QCOMPARE(results.size(), 0); // never called synchronously
    QTRY_COMPARE(results.size(), 1);
    QCOMPARE(results.first().error().code, QStringLiteral("unknown-module"));
    QCOMPARE(bus.pendingRequests(), 0);
}

void TestMessageBus::fullQueueRefusesAndReports()
{
    constexpr int Capacity = 4;
    MessageBus bus;
    Recorder blocked(QStringLiteral("slow"), QStringLiteral("g"), Capacity);
    QSemaphore entered;
    QSemaphore gate;
    blocked.onMessage = [&](Recorder *, const Message &) {
        entered.release();
        gate.acquire();
    };
    ScopedThread worker;
    const auto unblock = qScopeGuard([&] { gate.release(1000); }); // the thread can quit on failure
    blocked.moveToThread(&worker.thread);
    QVERIFY(bus.registerModule(&blocked));
    QSignalSpy spy(&bus, &MessageBus::overflow);

    QVERIFY(bus.send(QStringLiteral("slow"), numbered(0)));
    QVERIFY(entered.tryAcquire(1, 5000)); // handleMessage is now stuck on the gate
    // The message being handled still counts against the capacity.
    for (int i = 1; i < Capacity; ++i)
        QVERIFY(bus.send(QStringLiteral("slow"), numbered(i)));
    QCOMPARE(bus.queueDepth(QStringLiteral("slow")), Capacity);

    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("inbox of module \"slow\" is full")));
    QTest::failOnWarning(QRegularExpression(QStringLiteral("is full")));
    constexpr int Refused = 10;
    for (int i = 0; i < Refused; ++i)
        QVERIFY(!bus.send(QStringLiteral("slow"), numbered(100 + i)));
    QCOMPARE(bus.moduleStats(QStringLiteral("slow")).dropped, quint64(Refused));
    QCOMPARE(bus.stats().dropped, quint64(Refused));
    QTRY_VERIFY(spy.size() >= 1);
    QCOMPARE(spy.first().at(0).toString(), QStringLiteral("slow"));
    QTRY_COMPARE(spy.last().at(1).toULongLong(), quint64(Refused));
    QVERIFY(spy.size() < Refused); // coalesced, not one event per drop

    gate.release(Capacity);
    QTRY_COMPARE(blocked.count(), Capacity);
    QTRY_COMPARE(bus.queueDepth(QStringLiteral("slow")), 0);
    QCOMPARE(bus.moduleStats(QStringLiteral("slow")).delivered, quint64(Capacity));
    const QList<Message> got = blocked.received();
    for (int i = 0; i < Capacity; ++i)
        QCOMPARE(got.at(i).resource(), QStringLiteral("node/n/%1").arg(i));
    bus.unregisterModule(QStringLiteral("slow"));
}

void TestMessageBus::destroyedModuleLeavesBus()
{
    MessageBus bus;
    auto *r = new Recorder(QStringLiteral("r"), QStringLiteral("g"));
    QVERIFY(bus.registerModule(r));
    QVERIFY(bus.send(QStringLiteral("r"), numbered(1))); // its delivery is posted, not yet run
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("1 undelivered")));
    delete r;
    QTest::qWait(10); // the posted delivery must have died with the module
    QCOMPARE(bus.queueDepth(QStringLiteral("r")), -1);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no module named")));
    QVERIFY(!bus.send(QStringLiteral("r"), numbered(2)));
    QCOMPARE(bus.stats().delivered, quint64(0));
}

void TestMessageBus::destroyedBusCancelsRequestsAndDetaches()
{
    Recorder silent(QStringLiteral("silent"), QStringLiteral("g"));
    QObject context;
    QList<Result<Message>> results;
    QFuture<Result<Message>> f;
    {
        MessageBus bus;
        QVERIFY(bus.registerModule(&silent));
        bus.request(QStringLiteral("silent"), numbered(1), 60000, &context,
                    [&](Result<Message> r) { results << r; });
        f = bus.request(QStringLiteral("silent"), numbered(2), 60000);
        QCOMPARE(bus.pendingRequests(), 2);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("2 undelivered")));
    }
    QCOMPARE(silent.bus(), nullptr);
    QTRY_COMPARE(results.size(), 1);
    QCOMPARE(results.first().error().code, QStringLiteral("cancelled"));
    QVERIFY(f.isFinished());
    QCOMPARE(f.result().error().code, QStringLiteral("cancelled"));
    QCOMPARE(silent.count(), 0);
}

QTEST_GUILESS_MAIN(TestMessageBus)
#include "tst_messagebus.moc"
