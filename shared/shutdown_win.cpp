#include "shared/shutdown.h"

#include <QLoggingCategory>
#include <QMetaObject>

#include <csignal>
#include <mutex>

#include <windows.h>

namespace qedge {

namespace {

Q_LOGGING_CATEGORY(lcShutdown, "qedge.shared.shutdown")

std::mutex g_mutex;
ShutdownWatcher *g_active = nullptr;

// Runs on a thread the system creates, so posting to the watcher is allowed here.
BOOL WINAPI onConsoleEvent(DWORD type)
{
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        ShutdownWatcher *watcher = g_active;
        if (!watcher)
            return FALSE;
        const int signo = type == CTRL_C_EVENT ? SIGINT : SIGTERM;
        QMetaObject::invokeMethod(watcher, [watcher, signo] { watcher->deliver(signo); },
                                  Qt::QueuedConnection);
    }
    // The process ends when this returns for these events; leave the event loop time to shut down.
    if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
        ::Sleep(5000);
    return TRUE;
}

} // namespace

class ShutdownWatcherPrivate
{
public:
    bool active = false;
};

ShutdownWatcher::ShutdownWatcher(QObject *parent) : QObject(parent), d(new ShutdownWatcherPrivate)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_active) {
        qCWarning(lcShutdown) << "another ShutdownWatcher is active; this one stays inert";
        return;
    }
    if (!::SetConsoleCtrlHandler(onConsoleEvent, TRUE)) {
        qCWarning(lcShutdown) << "SetConsoleCtrlHandler failed, error" << ::GetLastError();
        return;
    }
    g_active = this;
    d->active = true;
}

ShutdownWatcher::~ShutdownWatcher()
{
    if (!d->active)
        return;
    ::SetConsoleCtrlHandler(onConsoleEvent, FALSE);
    std::lock_guard<std::mutex> lock(g_mutex);
    g_active = nullptr;
}

bool ShutdownWatcher::isActive() const
{
    return d->active;
}

void ShutdownWatcher::deliver(int signal)
{
    emit shutdownRequested(signal);
}

} // namespace qedge
