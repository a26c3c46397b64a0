// Module bus throughput: messages per second from one module to another, in two threads and in
// one, median of five runs of one million messages each. Prints a table; never fails on speed.

#include "shared/messagebus.h"
#include "shared/module.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QSemaphore>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

using namespace qedge;

namespace {

constexpr int Messages = 1000000;
constexpr int Runs = 5;
constexpr int Chunk = 1024; // messages the source sends before yielding to its event loop

class Sink : public Module
{
public:
    Sink(int capacity, const QElapsedTimer *clock, QSemaphore *done)
        : Module(QStringLiteral("sink"), QStringLiteral("bench")), m_capacity(capacity),
          m_clock(clock), m_done(done)
    {
    }
    int queueCapacity() const override { return m_capacity; }
    qint64 elapsedNs = 0;

protected:
    void handleMessage(const Message &m) override
    {
        m_bytes += m.rawContent().size(); // touch the message like a real handler would
        if (++m_count == Messages) {
            elapsedNs = m_clock->nsecsElapsed();
            m_done->release();
        }
    }

private:
    int m_capacity;
    const QElapsedTimer *m_clock;
    QSemaphore *m_done;
    int m_count = 0;
    qint64 m_bytes = 0;
};

class Source : public Module
{
public:
    Source(bool retryWhenFull)
        : Module(QStringLiteral("source"), QStringLiteral("bench")), m_retry(retryWhenFull),
          m_payload(Message::create(QStringLiteral("source"), QStringLiteral("bench"), op::Update,
                                    QStringLiteral("default/configmap/bench"),
                                    QByteArrayLiteral("{\"data\":{\"k\":\"v\"}}")))
    {
    }
    std::atomic<quint64> retries{0};

protected:
    void handleMessage(const Message &) override { sendChunk(); }

private:
    void sendChunk()
    {
        const int end = std::min(m_sent + Chunk, Messages);
        for (; m_sent < end; ++m_sent) {
            while (!bus()->send(QStringLiteral("sink"), m_payload)) {
                if (!m_retry)
                    qFatal("sink refused a message; the benchmark sizes its inbox to hold all");
                retries.fetch_add(1, std::memory_order_relaxed);
                QThread::yieldCurrentThread();
            }
        }
        // Continue from the event loop so a sink sharing this thread drains in between.
        if (m_sent < Messages)
            QMetaObject::invokeMethod(this, [this] { sendChunk(); }, Qt::QueuedConnection);
    }

    bool m_retry;
    Message m_payload;
    int m_sent = 0;
};

struct Scenario
{
    const char *name;
    bool twoThreads;
    int sinkCapacity;
    bool retryWhenFull;
};

struct RunResult
{
    double rate = 0;
    quint64 retries = 0;
    bool complete = false;
};

RunResult runOnce(const Scenario &s)
{
    MessageBus bus;
    QElapsedTimer clock;
    QSemaphore done;
    auto sink = std::make_unique<Sink>(s.sinkCapacity, &clock, &done);
    auto source = std::make_unique<Source>(s.retryWhenFull);
    QThread sinkThread;
    QThread sourceThread;
    sink->moveToThread(&sinkThread);
    source->moveToThread(s.twoThreads ? &sourceThread : &sinkThread);
    sinkThread.start();
    if (s.twoThreads)
        sourceThread.start();
    bus.registerModule(sink.get());
    bus.registerModule(source.get());

    clock.start();
    bus.send(QStringLiteral("source"), Message());
    RunResult r;
    r.complete = done.tryAcquire(1, 120000);
    if (r.complete)
        r.rate = double(Messages) * 1e9 / double(sink->elapsedNs);
    r.retries = source->retries.load();
    bus.unregisterModule(QStringLiteral("source"));
    bus.unregisterModule(QStringLiteral("sink"));
    sinkThread.quit();
    sourceThread.quit();
    sinkThread.wait();
    sourceThread.wait();
    return r;
}

QString cpuModel()
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (f.open(QIODevice::ReadOnly)) {
        // readAll: /proc files report size 0, so atEnd() is true before the first read.
        const QList<QByteArray> lines = f.readAll().split('\n');
        for (const QByteArray &line : lines) {
            if (line.startsWith("model name"))
                return QString::fromUtf8(line.mid(line.indexOf(':') + 1).trimmed());
        }
    }
    return QStringLiteral("unknown");
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // The bounded run refuses messages on purpose; its warnings would only add noise to the table.
    QLoggingCategory::setFilterRules(QStringLiteral("qedge.bus.debug=false\nqedge.bus.warning=false"));

    const Scenario scenarios[] = {
        {"two modules, two threads", true, Messages, false},
        {"two modules, two threads, bounded, sender retries when full", true, 1024, true},
        {"two modules, one thread", false, 1024, false},
    };

    std::printf("bench_bus: %d messages a run, median of %d runs\n", Messages, Runs);
    std::printf("machine: nproc %d, CPU %s, Qt %s\n\n", QThread::idealThreadCount(),
                qPrintable(cpuModel()), qVersion());
    std::printf("| scenario | sink capacity | runs (msg/s) | median msg/s |\n");
    std::printf("| --- | ---: | --- | ---: |\n");
    for (const Scenario &s : scenarios) {
        std::vector<double> rates;
        QString runs;
        quint64 retries = 0;
        for (int i = 0; i < Runs; ++i) {
            const RunResult r = runOnce(s);
            if (!r.complete) {
                std::fprintf(stderr, "%s: run %d did not finish\n", s.name, i + 1);
                return 1;
            }
            rates.push_back(r.rate);
            retries += r.retries;
            runs += (runs.isEmpty() ? QString() : QStringLiteral(", "))
                + QString::number(qRound64(r.rate));
        }
        std::sort(rates.begin(), rates.end());
        std::printf("| %s | %d | %s | %lld |\n", s.name, s.sinkCapacity, qPrintable(runs),
                    qRound64(rates[Runs / 2]));
        if (s.retryWhenFull)
            std::printf("|   (full-inbox retries over all runs: %llu) | | | |\n",
                        static_cast<unsigned long long>(retries));
    }
    return 0;
}
