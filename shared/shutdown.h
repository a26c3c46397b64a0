#pragma once

#include <QObject>

#include <memory>

namespace qedge {

class ShutdownWatcherPrivate;

/// Turns SIGINT/SIGTERM (console control events on Windows) into shutdownRequested() and SIGHUP into
/// reloadRequested(), delivered in the watcher's thread. Only one watcher is active at a time.
class ShutdownWatcher : public QObject
{
    Q_OBJECT
public:
    explicit ShutdownWatcher(QObject *parent = nullptr);
    ~ShutdownWatcher() override;

    /// False when another watcher already held the signals at construction; this one never fires.
    bool isActive() const;

    /// Emits the signal that `signal` stands for; the OS hooks call it, so can a service control handler.
    void deliver(int signal);

signals:
    void shutdownRequested(int signal);
    void reloadRequested();

private:
    std::unique_ptr<ShutdownWatcherPrivate> d;
};

} // namespace qedge
