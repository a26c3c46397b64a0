#pragma once

#include "shared/message.h"

#include <QObject>
#include <QString>

#include <atomic>

namespace qedge {

class MessageBus;

/// A named unit of work (beehive module). Lives in the host's thread or in a QThread of its own;
/// the bus calls handleMessage() in that thread, one message at a time, in the order sent.
class Module : public QObject
{
    Q_OBJECT
public:
    Module(const QString &name, const QString &group, QObject *parent = nullptr);
    ~Module() override;

    /// Unique name the bus routes by (e.g. "websocket", "metamanager").
    QString name() const { return m_name; }
    /// Group for sendToGroup (e.g. "hub", "meta").
    QString group() const { return m_group; }
    /// True to be moved into a QThread of its own by ModuleHost::startAll().
    virtual bool wantsOwnThread() const { return false; }
    /// Messages that may wait in the inbox before send() refuses more (beehive: 1024).
    virtual int queueCapacity() const { return 1024; }
    /// The bus this module is registered with; null before registration.
    MessageBus *bus() const { return m_bus.load(std::memory_order_acquire); }

protected:
    friend class MessageBus;
    friend class ModuleHost;

    /// Called in the module's thread, in registration order, before any message is delivered.
    virtual void start() {}
    /// Called in the module's thread, in reverse order, after delivery to it has stopped.
    virtual void cleanup() {}
    /// Called in the module's thread, FIFO per module.
    virtual void handleMessage(const Message &m) = 0;

private:
    const QString m_name;
    const QString m_group;
    std::atomic<MessageBus *> m_bus{nullptr};
    std::atomic<bool> m_registered{false};
};

} // namespace qedge
