#pragma once

#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>

#include <vector>

class QThread;

namespace qedge {

class MessageBus;
class Module;

/// Owns the modules of a process, registers the enabled ones on the bus, starts them in
/// registration order and stops them in reverse order (beehive core.Register/Run/GracefulShutdown).
class ModuleHost : public QObject
{
    Q_OBJECT
public:
    explicit ModuleHost(MessageBus *bus, QObject *parent = nullptr);
    /// Stops what is running, then deletes the modules.
    ~ModuleHost() override;

    /// Names from config whose modules are never registered nor started. Call before add().
    void setDisabledModules(const QStringList &names);
    /// Takes ownership; false (and `m` deleted) if it is disabled or its name is taken.
    /// Modules must be created in the host's thread and have no parent.
    bool add(Module *m);
    /// Starts every module in registration order; wantsOwnThread() modules get a QThread each.
    /// Blocks until each start() has returned, so start() must not wait for the host's thread.
    void startAll();
    /// Reverse order: delivery to the module stops, cleanup() runs in its thread (blocking),
    /// then its thread quits and is joined.
    void stopAll();
    /// Enabled modules, in registration order.
    QStringList moduleNames() const;
    bool isRunning() const { return m_running; }

private:
    struct Entry
    {
        Module *module = nullptr;
        QThread *thread = nullptr;
        bool started = false;
    };
    void startOne(Entry &e);
    void stopOne(Entry &e);

    QPointer<MessageBus> m_bus; // the bus may go first; modules are then already detached
    QSet<QString> m_disabled;
    std::vector<Entry> m_entries;
    bool m_running = false;
};

} // namespace qedge
