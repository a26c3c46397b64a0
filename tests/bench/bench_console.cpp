// Console figures: time to load and show 10,000 nodes, and the delay from an event's arrival to
// the screen while 1,000 events/s flow (JSON text -> HubEvent -> models -> batched flush ->
// repaint). Prints figures; runs offscreen unless QT_QPA_PLATFORM says otherwise.
#include "gui/eventlogmodel.h"
#include "gui/fleetview.h"
#include "gui/nodefilterproxy.h"
#include "gui/nodemodel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTableView>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <cstdio>
#include <deque>

using namespace qedge;

namespace {

QByteArray fleetJson(int n)
{
    QJsonArray nodes;
    for (int i = 0; i < n; ++i) {
        nodes.append(QJsonObject{
            {QStringLiteral("id"), QStringLiteral("edge-%1").arg(i, 5, 10, QLatin1Char('0'))},
            {QStringLiteral("online"), i % 4 != 0},
            {QStringLiteral("since"), QStringLiteral("2026-11-23T09:00:00Z")},
            {QStringLiteral("firstSeen"), QStringLiteral("2026-11-01T09:00:00Z")},
            {QStringLiteral("lastSeen"), QStringLiteral("2026-11-23T09:10:00.123Z")},
            {QStringLiteral("remoteAddress"), QStringLiteral("10.0.%1.%2:40000").arg(i / 250).arg(i % 250)},
            {QStringLiteral("queueDepth"), i % 13},
            {QStringLiteral("inFlight"), i % 3},
            {QStringLiteral("sent"), 1000 + i},
            {QStringLiteral("acked"), 990 + i},
            {QStringLiteral("certSerial"), QStringLiteral("5f3a%1").arg(i)},
            {QStringLiteral("certExpiry"), QStringLiteral("2027-11-23T09:00:00Z")},
            {QStringLiteral("labels"),
             QJsonObject{{QStringLiteral("site"), QStringLiteral("site-%1").arg(i % 40)}}}});
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("nodes"), nodes}}).toJson(QJsonDocument::Compact);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

/// Records the time of each paint of a view's viewport.
class PaintWatch : public QObject
{
public:
    QElapsedTimer *clock = nullptr;
    qint64 lastPaintNs = -1;
    int paints = 0;
    bool eventFilter(QObject *o, QEvent *e) override
    {
        if (e->type() == QEvent::Paint) {
            // The paint is done when the filter returns; stamp after the real handler ran.
            const bool handled = QObject::eventFilter(o, e);
            ++paints;
            lastPaintNs = clock->nsecsElapsed();
            return handled;
        }
        return false;
    }
};

void loadAndShow(int runs)
{
    const QByteArray json = fleetJson(10000);
    std::vector<double> parse, model, shown, sorted;
    for (int r = 0; r < runs; ++r) {
        NodeModel nodes;
        FleetView view(&nodes);
        view.resize(1280, 760);
        QElapsedTimer t;
        t.start();
        const QJsonArray arr = QJsonDocument::fromJson(json).object().value(QLatin1String("nodes")).toArray();
        QList<NodeInfo> list;
        list.reserve(arr.size());
        for (const QJsonValue &v : arr)
            list << NodeInfo::fromJson(v.toObject());
        parse.push_back(t.nsecsElapsed() / 1e6);
        nodes.setNodes(list);
        model.push_back(t.nsecsElapsed() / 1e6);
        view.show();
        if (!QTest::qWaitForWindowExposed(&view))
            std::fprintf(stderr, "window not exposed\n");
        view.table()->viewport()->repaint();
        QCoreApplication::processEvents();
        shown.push_back(t.nsecsElapsed() / 1e6);
        QElapsedTimer s;
        s.start();
        view.table()->sortByColumn(NodeModel::QueueDepth, Qt::DescendingOrder);
        view.table()->viewport()->repaint();
        sorted.push_back(s.nsecsElapsed() / 1e6);
    }
    std::printf("load 10,000 nodes (%d runs, median):\n", runs);
    std::printf("  parse /api/v1/nodes JSON (%.1f MiB)          %8.1f ms\n", json.size() / 1048576.0,
                median(parse));
    std::printf("  ... then model reset (cumulative)           %8.1f ms\n", median(model));
    std::printf("  ... then table shown and painted (cumulative) %6.1f ms   <- time to load and show\n",
                median(shown));
    std::printf("  re-sort by queue depth + repaint            %8.1f ms\n", median(sorted));
}

void eventToScreen(int rate, int seconds)
{
    NodeModel nodes;
    EventLogModel log;
    FleetView view(&nodes);
    QTableView logView;
    logView.setModel(&log);
    view.resize(1280, 760);
    nodes.setNodes([] {
        QList<NodeInfo> list;
        for (int i = 0; i < 10000; ++i) {
            NodeInfo n;
            n.id = QStringLiteral("edge-%1").arg(i, 5, 10, QLatin1Char('0'));
            n.online = true;
            list << n;
        }
        return list;
    }());
    view.show();
    if (!QTest::qWaitForWindowExposed(&view))
        std::fprintf(stderr, "window not exposed\n");
    // Sorting by queue depth makes every event move rows: the worst case for the view.
    view.table()->sortByColumn(NodeModel::QueueDepth, Qt::DescendingOrder);

    QElapsedTimer clock;
    clock.start();
    PaintWatch watch;
    watch.clock = &clock;
    view.table()->viewport()->installEventFilter(&watch);

    // Events the models took but the screen has not shown yet: arrival times.
    std::deque<qint64> waiting;
    std::vector<qint64> flushedBatch;
    std::vector<double> delaysMs;
    int batches = 0;
    QObject::connect(&nodes, &NodeModel::flushed, &view, [&](int, int) {
        ++batches;
        flushedBatch.assign(waiting.begin(), waiting.end());
        waiting.clear();
        // Ask for the paint now and stamp when it happened.
        view.table()->viewport()->repaint();
        for (qint64 arrived : flushedBatch)
            delaysMs.push_back((watch.lastPaintNs - arrived) / 1e6);
    });

    const QStringList types{QStringLiteral("resource.queued"), QStringLiteral("resource.delivered"),
                            QStringLiteral("resource.acked")};
    int sent = 0;
    const qint64 total = qint64(rate) * seconds;
    double busyMs = 0;
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    feeder.setInterval(10);
    QObject::connect(&feeder, &QTimer::timeout, &view, [&] {
        // Catch up to the schedule: rate events per second since the start.
        const qint64 due = std::min<qint64>(total, clock.elapsed() * rate / 1000);
        QElapsedTimer busy;
        busy.start();
        while (sent < due) {
            const int node = QRandomGenerator::global()->bounded(10000);
            const QByteArray frame =
                QStringLiteral(
                    R"({"type":"%1","time":"2026-11-23T09:00:01.234Z","node":"edge-%2","uid":"u","resourceVersion":"%3","latencyMs":3})")
                    .arg(types.at(sent % 3))
                    .arg(node, 5, 10, QLatin1Char('0'))
                    .arg(sent)
                    .toUtf8();
            const qint64 arrived = clock.nsecsElapsed();
            const HubEvent e = HubEvent::fromJson(QJsonDocument::fromJson(frame).object());
            nodes.applyEvent(e);
            log.append(e);
            waiting.push_back(arrived);
            ++sent;
        }
        busyMs += busy.nsecsElapsed() / 1e6;
        if (sent >= total)
            feeder.stop();
    });
    QElapsedTimer wall;
    wall.start();
    feeder.start();
    while (feeder.isActive() || nodes.hasPending())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    const double wallS = wall.nsecsElapsed() / 1e9;
    std::printf("event to screen, %d events/s for %d s over 10,000 rows sorted by queue depth:\n", rate,
                seconds);
    std::printf("  events %d in %.2f s (%.0f/s), %d batches, %d paints\n", sent, wallS, sent / wallS, batches,
                watch.paints);
    std::printf("  delay arrival -> painted: median %.0f ms, p99 %.0f ms, max %.0f ms\n", median(delaysMs),
                percentile(delaysMs, 0.99), percentile(delaysMs, 1.0));
    std::printf("  parse + model cost: %.1f us/event (%.1f%% of one core at this rate)\n",
                busyMs * 1000 / std::max(1, sent), busyMs / (wallS * 10));
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int rate = app.arguments().value(1, QStringLiteral("1000")).toInt();
    const int seconds = app.arguments().value(2, QStringLiteral("10")).toInt();
    std::printf("bench_console (Qt %s, platform %s)\n", qVersion(),
                qPrintable(QGuiApplication::platformName()));
    loadAndShow(5);
    eventToScreen(rate, seconds);
    return 0;
}
