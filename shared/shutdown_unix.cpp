#include "shared/shutdown.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace qedge {

namespace {

Q_LOGGING_CATEGORY(lcShutdown, "qedge.shared.shutdown")

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kSignalCount = int(sizeof(kSignals) / sizeof(kSignals[0]));

std::atomic<ShutdownWatcher *> g_active{nullptr};
volatile sig_atomic_t g_writeFd = -1;

// Async-signal-safe: one write(2) of the signal number, errno preserved; a full pipe drops the
// byte, which is harmless because an earlier byte is already waiting to be read.
extern "C" void onSignal(int signo)
{
    const int savedErrno = errno;
    const unsigned char byte = static_cast<unsigned char>(signo);
    ssize_t n;
    do {
        n = ::write(g_writeFd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    errno = savedErrno;
}

bool setNonBlockingCloexec(int fd)
{
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0
        && ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

} // namespace

class ShutdownWatcherPrivate
{
public:
    int fds[2] = {-1, -1};
    QSocketNotifier *notifier = nullptr;
    struct sigaction previous[kSignalCount] = {};
    bool active = false;
};

ShutdownWatcher::ShutdownWatcher(QObject *parent) : QObject(parent), d(new ShutdownWatcherPrivate)
{
    ShutdownWatcher *expected = nullptr;
    if (!g_active.compare_exchange_strong(expected, this)) {
        qCWarning(lcShutdown) << "another ShutdownWatcher is active; this one stays inert";
        return;
    }
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, d->fds) != 0 || !setNonBlockingCloexec(d->fds[0])
        || !setNonBlockingCloexec(d->fds[1])) {
        qCWarning(lcShutdown) << "cannot create the signal pipe:" << std::strerror(errno);
        for (int &fd : d->fds) {
            if (fd >= 0)
                ::close(fd);
            fd = -1;
        }
        g_active.store(nullptr);
        return;
    }
    g_writeFd = d->fds[0];

    d->notifier = new QSocketNotifier(d->fds[1], QSocketNotifier::Read, this);
    connect(d->notifier, &QSocketNotifier::activated, this, [this] {
        unsigned char buf[64];
        ssize_t n;
        while ((n = ::read(d->fds[1], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; ++i)
                deliver(buf[i]);
        }
    });

    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < kSignalCount; ++i)
        ::sigaction(kSignals[i], &sa, &d->previous[i]);
    d->active = true;
}

ShutdownWatcher::~ShutdownWatcher()
{
    if (!d->active)
        return;
    // Handlers go first so no signal writes to a closed descriptor.
    for (int i = 0; i < kSignalCount; ++i)
        ::sigaction(kSignals[i], &d->previous[i], nullptr);
    g_writeFd = -1;
    delete d->notifier;
    ::close(d->fds[0]);
    ::close(d->fds[1]);
    g_active.store(nullptr);
}

bool ShutdownWatcher::isActive() const
{
    return d->active;
}

void ShutdownWatcher::deliver(int signal)
{
    if (signal == SIGHUP)
        emit reloadRequested();
    else
        emit shutdownRequested(signal);
}

} // namespace qedge
