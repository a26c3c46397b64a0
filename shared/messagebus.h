#pragma once

#include "shared/message.h"
#include "shared/result.h"

#include <QFuture>
#include <QHash>
#include <QLoggingCategory>
#include <QObject>
#include <QReadWriteLock>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace qedge {

Q_DECLARE_LOGGING_CATEGORY(lcBus)

class Module;
class RequestTracker;
struct Inbox;
struct BusCounters;

/// Beehive's message context in Qt form: FIFO delivery into each module's thread, group fan-out,
/// request/reply by parentId. Thread-safe; never blocks a sender.
class MessageBus : public QObject
{
    Q_OBJECT
public:
    using ReplyHandler = std::function<void(Result<Message>)>;

    struct Stats
    {
        quint64 delivered = 0, dropped = 0, lateReplies = 0, timeouts = 0;
    };

    explicit MessageBus(QObject *parent = nullptr);
    ~MessageBus() override;

    /// Registers `m` and delivers to it at once; false if its name is taken.
    bool registerModule(Module *m);
    /// Stops delivery to the module; messages still queued for it are dropped and counted.
    void unregisterModule(const QString &name);

    /// Queues `m` for `module` (FIFO); false if the module is unknown or its inbox is full.
    bool send(const QString &module, const Message &m);
    bool send(const QString &module, Message &&m);
    /// Queues `m` for every module of `group`; returns how many accepted it.
    int sendToGroup(const QString &group, const Message &m);

    /// Sends `m` (sync=true, an id is set if empty) and calls `handler` once, in `context`'s thread,
    /// with the first reply whose parentId is m.id() or an error ("timeout", "unknown-module",
    /// "queue-full", "duplicate-id", "cancelled"). timeoutMs <= 0 means 30 s (beehive's default).
    /// Nothing is called if `context` is gone by then; a null context calls it in the completing thread.
    void request(const QString &module, const Message &m, int timeoutMs, QObject *context,
                 ReplyHandler handler);
    /// The same as a future; it finishes with exactly one result.
    QFuture<Result<Message>> request(const QString &module, const Message &m, int timeoutMs);
    /// Routes a reply by its parentId to the waiting request; false if none waits (late or unknown).
    bool respond(const Message &reply);

    /// Totals over all modules, including ones no longer registered.
    Stats stats() const;
    /// Counters of one registered module (lateReplies is always 0 here).
    Stats moduleStats(const QString &module) const;
    /// Messages accepted for `module` and not yet handled; -1 if it is not registered.
    int queueDepth(const QString &module) const;
    /// Requests waiting for a reply.
    int pendingRequests() const;

signals:
    /// A send found `module`'s inbox full. Coalesced: one emission per burst, with the running total.
    void overflow(const QString &module, quint64 droppedTotal);

private:
    friend class Module;
    friend class ModuleHost;
    enum class Outcome { Accepted, Unknown, Full };

    bool attach(Module *m, bool deliverNow);
    void startDelivery(Module *m);
    void detach(Module *m);
    void close(const std::shared_ptr<Inbox> &in);
    static void schedule(const std::shared_ptr<Inbox> &in);
    static void drain(const std::shared_ptr<Inbox> &in);
    Outcome enqueue(const QString &module, Message &&m);
    Outcome push(const std::shared_ptr<Inbox> &in, Message &&m);
    void reportFull(const std::shared_ptr<Inbox> &in);
    void reportUnknown(const QString &module);
    void startRequest(const QString &module, const Message &m, int timeoutMs,
                      std::function<void(Result<Message>)> done);

    mutable QReadWriteLock m_lock;
    QHash<QString, std::shared_ptr<Inbox>> m_byName;
    std::vector<std::shared_ptr<Inbox>> m_inboxes; // registration order, for group fan-out
    std::shared_ptr<BusCounters> m_counters;
    std::unique_ptr<RequestTracker> m_requests;
};

} // namespace qedge
