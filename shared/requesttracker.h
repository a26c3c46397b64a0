#pragma once

#include "shared/message.h"
#include "shared/result.h"

#include <QHash>
#include <QMutex>
#include <QString>
#include <QWaitCondition>

#include <atomic>
#include <functional>
#include <map>
#include <memory>

class QThread;

namespace qedge {

/// Requests waiting for a reply, and the one thread that times them out (a shared timer
/// wheel, so a timeout never depends on the requester's thread being free). Internal to the bus.
class RequestTracker
{
public:
    using Completion = std::function<void(Result<Message>)>;
    using TimeoutHook = std::function<void(const QString &module)>;

    explicit RequestTracker(TimeoutHook onTimeout);
    /// Completes every waiting request with "cancelled".
    ~RequestTracker();

    /// Waits for the reply to `id`; false if a request with that id is already waiting.
    bool add(const QString &id, const QString &module, int timeoutMs, Completion done);
    /// Hands `reply` to the request whose id is reply.parentId(); false if none waits (late/unknown).
    bool resolve(const Message &reply);
    /// Completes a waiting request with an error (the send failed).
    void fail(const QString &id, const Error &error);

    quint64 lateReplies() const { return m_late.load(std::memory_order_relaxed); }
    quint64 timeouts() const { return m_timeouts.load(std::memory_order_relaxed); }
    int waiting() const;

private:
    struct Pending
    {
        QString module;
        int timeoutMs = 0;
        qint64 deadline = 0;
        Completion done;
    };
    using Deadlines = std::multimap<qint64, QString>;

    void run();
    Pending take(QHash<QString, Pending>::iterator it);

    TimeoutHook m_onTimeout;
    mutable QMutex m_mutex;
    QWaitCondition m_wake;
    QHash<QString, Pending> m_pending;
    Deadlines m_deadlines;
    QThread *m_thread = nullptr;
    bool m_stopping = false;
    std::atomic<quint64> m_late{0};
    std::atomic<quint64> m_timeouts{0};
};

} // namespace qedge
