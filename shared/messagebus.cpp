#include "shared/messagebus.h"

#include "shared/module.h"
#include "shared/requesttracker.h"

#include <QDeadlineTimer>
#include <QMutex>
#include <QPointer>
#include <QPromise>
#include <QThread>

#include <algorithm>

namespace qedge {

Q_LOGGING_CATEGORY(lcBus, "qedge.bus")

namespace {
constexpr int DefaultRequestTimeoutMs = 30000; // beehive SendSync
constexpr qint64 WarnIntervalMs = 1000;

qint64 monotonicMs()
{
    return QDeadlineTimer::current().deadline();
}

/// True at most once per WarnIntervalMs for one `last` stamp, across threads.
bool claimWarning(std::atomic<qint64> &last)
{
    const qint64 now = monotonicMs();
    qint64 prev = last.load(std::memory_order_relaxed);
    return (prev == 0 || now - prev >= WarnIntervalMs)
        && last.compare_exchange_strong(prev, now, std::memory_order_relaxed);
}
} // namespace

struct BusCounters
{
    std::atomic<quint64> delivered{0};
    std::atomic<quint64> dropped{0};
    std::atomic<qint64> lastUnknownWarning{0};
    std::atomic<quint64> unknownSinceWarning{0};
};

/// One module's bounded queue. Senders append under the mutex; the module's thread swaps the
/// whole queue out and handles it, so one posted event carries a whole batch.
struct Inbox
{
    Module *module = nullptr;
    QString name;
    QString group;
    int capacity = 0;
    std::shared_ptr<BusCounters> counters;

    QMutex mutex;
    std::vector<Message> queue;   // guarded by mutex
    bool scheduled = false;       // guarded by mutex: a drain is posted or running
    bool active = false;          // guarded by mutex: started, may deliver
    std::atomic<bool> closed{false};
    std::vector<Message> batch;   // touched only by the module's thread

    std::atomic<int> depth{0};    // queued plus not yet handled from the current batch
    std::atomic<quint64> delivered{0};
    std::atomic<quint64> dropped{0};
    std::atomic<quint64> timeouts{0};
    std::atomic<qint64> lastWarning{0};
    std::atomic<quint64> droppedAtWarning{0};
    std::atomic<bool> overflowQueued{false};
};

MessageBus::MessageBus(QObject *parent)
    : QObject(parent),
      m_counters(std::make_shared<BusCounters>()),
      m_requests(std::make_unique<RequestTracker>([this](const QString &module) {
          QReadLocker lock(&m_lock);
          if (const auto in = m_byName.value(module))
              in->timeouts.fetch_add(1, std::memory_order_relaxed);
      }))
{
}

MessageBus::~MessageBus()
{
    m_requests.reset(); // its timeout hook reads m_byName
    std::vector<std::shared_ptr<Inbox>> all;
    {
        QWriteLocker lock(&m_lock);
        all.swap(m_inboxes);
        m_byName.clear();
    }
    for (const auto &in : all) {
        close(in);
        in->module->m_registered.store(false, std::memory_order_release);
        in->module->m_bus.store(nullptr, std::memory_order_release);
    }
}

bool MessageBus::registerModule(Module *m)
{
    return attach(m, true);
}

bool MessageBus::attach(Module *m, bool deliverNow)
{
    if (!m)
        return false;
    auto in = std::make_shared<Inbox>();
    in->module = m;
    in->name = m->name();
    in->group = m->group();
    in->capacity = qMax(1, m->queueCapacity());
    in->counters = m_counters;
    in->active = deliverNow;
    {
        QWriteLocker lock(&m_lock);
        if (m_byName.contains(in->name)) {
            qCWarning(lcBus) << "module name" << in->name << "is already registered; refused";
            return false;
        }
        m_byName.insert(in->name, in);
        m_inboxes.push_back(in);
    }
    m->m_bus.store(this, std::memory_order_release);
    m->m_registered.store(true, std::memory_order_release);
    qCDebug(lcBus) << "registered module" << in->name << "group" << in->group;
    return true;
}

void MessageBus::startDelivery(Module *m)
{
    std::shared_ptr<Inbox> in;
    {
        QReadLocker lock(&m_lock);
        in = m_byName.value(m->name());
    }
    if (!in || in->module != m)
        return;
    QMutexLocker lock(&in->mutex);
    in->active = true;
    if (!in->queue.empty() && !in->scheduled) {
        in->scheduled = true;
        schedule(in);
    }
}

void MessageBus::unregisterModule(const QString &name)
{
    std::shared_ptr<Inbox> in;
    {
        QWriteLocker lock(&m_lock);
        in = m_byName.take(name);
        if (in)
            m_inboxes.erase(std::find(m_inboxes.begin(), m_inboxes.end(), in));
    }
    if (in) {
        close(in);
        in->module->m_registered.store(false, std::memory_order_release);
    }
}

void MessageBus::detach(Module *m)
{
    std::shared_ptr<Inbox> in;
    {
        QReadLocker lock(&m_lock);
        in = m_byName.value(m->name());
    }
    if (in && in->module == m)
        unregisterModule(m->name());
}

void MessageBus::close(const std::shared_ptr<Inbox> &in)
{
    size_t discarded = 0;
    {
        QMutexLocker lock(&in->mutex);
        in->closed.store(true, std::memory_order_release);
        discarded = in->queue.size();
        in->queue.clear();
    }
    if (discarded > 0) {
        in->dropped.fetch_add(discarded, std::memory_order_relaxed);
        m_counters->dropped.fetch_add(discarded, std::memory_order_relaxed);
        qCWarning(lcBus).nospace() << "module " << in->name << " left the bus with " << discarded
                                   << " undelivered message(s); they are dropped";
    }
}

bool MessageBus::send(const QString &module, const Message &m)
{
    return enqueue(module, Message(m)) == Outcome::Accepted;
}

bool MessageBus::send(const QString &module, Message &&m)
{
    return enqueue(module, std::move(m)) == Outcome::Accepted;
}

int MessageBus::sendToGroup(const QString &group, const Message &m)
{
    std::vector<std::shared_ptr<Inbox>> members;
    {
        QReadLocker lock(&m_lock);
        for (const auto &in : m_inboxes) {
            if (in->group == group)
                members.push_back(in);
        }
    }
    int accepted = 0;
    for (const auto &in : members) {
        if (push(in, Message(m)) == Outcome::Accepted)
            ++accepted;
    }
    if (members.empty())
        qCDebug(lcBus) << "no module in group" << group;
    return accepted;
}

MessageBus::Outcome MessageBus::enqueue(const QString &module, Message &&m)
{
    Outcome result = Outcome::Unknown;
    {
        // The read lock keeps the inbox alive without copying the shared pointer per message.
        QReadLocker lock(&m_lock);
        const auto it = m_byName.constFind(module);
        if (it != m_byName.constEnd())
            result = push(*it, std::move(m));
    }
    if (result == Outcome::Unknown)
        reportUnknown(module);
    return result;
}

MessageBus::Outcome MessageBus::push(const std::shared_ptr<Inbox> &in, Message &&m)
{
    QMutexLocker lock(&in->mutex);
    if (in->closed.load(std::memory_order_relaxed))
        return Outcome::Unknown;
    if (in->depth.load(std::memory_order_relaxed) >= in->capacity) {
        lock.unlock();
        reportFull(in);
        return Outcome::Full;
    }
    in->queue.push_back(std::move(m));
    in->depth.fetch_add(1, std::memory_order_relaxed);
    if (in->active && !in->scheduled) {
        in->scheduled = true;
        // Posted under the mutex: close() (run by ~Module) then cannot finish in between,
        // so the module is alive while the event is posted.
        schedule(in);
    }
    return Outcome::Accepted;
}

void MessageBus::schedule(const std::shared_ptr<Inbox> &in)
{
    // Queued even within one thread: a send never runs the receiver re-entrantly.
    QMetaObject::invokeMethod(in->module, [in] { drain(in); }, Qt::QueuedConnection);
}

void MessageBus::drain(const std::shared_ptr<Inbox> &in)
{
    {
        QMutexLocker lock(&in->mutex);
        if (in->closed.load(std::memory_order_relaxed)) {
            in->scheduled = false;
            return;
        }
        in->batch.swap(in->queue);
    }
    quint64 handled = 0;
    for (const Message &m : in->batch) {
        if (in->closed.load(std::memory_order_acquire))
            break;
        in->module->handleMessage(m);
        in->depth.fetch_sub(1, std::memory_order_relaxed);
        ++handled;
    }
    in->batch.clear(); // keeps its capacity: the next swap hands it back to the senders
    in->delivered.fetch_add(handled, std::memory_order_relaxed);
    in->counters->delivered.fetch_add(handled, std::memory_order_relaxed);

    bool again = false;
    {
        QMutexLocker lock(&in->mutex);
        again = !in->queue.empty() && !in->closed.load(std::memory_order_relaxed);
        in->scheduled = again;
    }
    // One batch per event: other events of this thread get their turn between batches.
    if (again)
        schedule(in);
}

void MessageBus::reportFull(const std::shared_ptr<Inbox> &in)
{
    const quint64 total = in->dropped.fetch_add(1, std::memory_order_relaxed) + 1;
    m_counters->dropped.fetch_add(1, std::memory_order_relaxed);
    if (claimWarning(in->lastWarning)) {
        const quint64 before = in->droppedAtWarning.exchange(total, std::memory_order_relaxed);
        qCWarning(lcBus).nospace() << "inbox of module " << in->name << " is full ("
                                   << in->capacity << " messages): dropped " << (total - before)
                                   << " message(s) since the last report, " << total << " in total";
    }
    if (!in->overflowQueued.exchange(true, std::memory_order_acq_rel)) {
        QMetaObject::invokeMethod(
            this,
            [this, in] {
                in->overflowQueued.store(false, std::memory_order_release);
                emit overflow(in->name, in->dropped.load(std::memory_order_relaxed));
            },
            Qt::QueuedConnection);
    }
}

void MessageBus::reportUnknown(const QString &module)
{
    m_counters->dropped.fetch_add(1, std::memory_order_relaxed);
    const quint64 count = m_counters->unknownSinceWarning.fetch_add(1, std::memory_order_relaxed) + 1;
    if (claimWarning(m_counters->lastUnknownWarning)) {
        m_counters->unknownSinceWarning.fetch_sub(count, std::memory_order_relaxed);
        qCWarning(lcBus).nospace() << "no module named " << module << ": message dropped (" << count
                                   << " to unknown modules since the last report)";
    }
}

void MessageBus::request(const QString &module, const Message &m, int timeoutMs, QObject *context,
                         ReplyHandler handler)
{
    if (!context) {
        startRequest(module, m, timeoutMs, std::move(handler));
        return;
    }
    QPointer<QObject> ctx(context);
    startRequest(module, m, timeoutMs,
                 [ctx, handler = std::move(handler)](Result<Message> r) {
                     // Same caveat as QFuture::then(context): delete the context in its own thread.
                     if (QObject *c = ctx.data()) {
                         QMetaObject::invokeMethod(
                             c, [handler, r = std::move(r)] { handler(r); }, Qt::QueuedConnection);
                     }
                 });
}

QFuture<Result<Message>> MessageBus::request(const QString &module, const Message &m, int timeoutMs)
{
    auto promise = std::make_shared<QPromise<Result<Message>>>();
    promise->start();
    QFuture<Result<Message>> future = promise->future();
    startRequest(module, m, timeoutMs, [promise](Result<Message> r) {
        promise->addResult(std::move(r));
        promise->finish();
    });
    return future;
}

void MessageBus::startRequest(const QString &module, const Message &m, int timeoutMs,
                              std::function<void(Result<Message>)> done)
{
    Message msg = m;
    if (msg.id().isEmpty())
        msg.header().id = Message::newId();
    msg.header().sync = true;
    const QString id = msg.id();
    const int timeout = timeoutMs > 0 ? timeoutMs : DefaultRequestTimeoutMs;
    // Registered before sending: a fast module may reply before enqueue() returns.
    if (!m_requests->add(id, module, timeout, done)) {
        done(Result<Message>::failure(
            QStringLiteral("duplicate-id"),
            QStringLiteral("a request with id %1 is already waiting for a reply").arg(id)));
        return;
    }
    switch (enqueue(module, std::move(msg))) {
    case Outcome::Accepted:
        break;
    case Outcome::Unknown:
        m_requests->fail(id, Error{QStringLiteral("unknown-module"),
                                   QStringLiteral("request %1: no module named '%2' is registered")
                                       .arg(id, module)});
        break;
    case Outcome::Full:
        m_requests->fail(id, Error{QStringLiteral("queue-full"),
                                   QStringLiteral("request %1: the inbox of module '%2' is full")
                                       .arg(id, module)});
        break;
    }
}

bool MessageBus::respond(const Message &reply)
{
    if (m_requests->resolve(reply))
        return true;
    qCDebug(lcBus) << "reply" << reply.id() << "to" << reply.parentId()
                   << "matches no waiting request (late or unknown); ignored";
    return false;
}

MessageBus::Stats MessageBus::stats() const
{
    Stats s;
    s.delivered = m_counters->delivered.load(std::memory_order_relaxed);
    s.dropped = m_counters->dropped.load(std::memory_order_relaxed);
    s.lateReplies = m_requests->lateReplies();
    s.timeouts = m_requests->timeouts();
    return s;
}

MessageBus::Stats MessageBus::moduleStats(const QString &module) const
{
    Stats s;
    QReadLocker lock(&m_lock);
    if (const auto in = m_byName.value(module)) {
        s.delivered = in->delivered.load(std::memory_order_relaxed);
        s.dropped = in->dropped.load(std::memory_order_relaxed);
        s.timeouts = in->timeouts.load(std::memory_order_relaxed);
    }
    return s;
}

int MessageBus::queueDepth(const QString &module) const
{
    QReadLocker lock(&m_lock);
    const auto in = m_byName.value(module);
    return in ? in->depth.load(std::memory_order_relaxed) : -1;
}

int MessageBus::pendingRequests() const
{
    return m_requests->waiting();
}

} // namespace qedge
