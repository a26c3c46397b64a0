#include "shared/modulehost.h"

#include "shared/messagebus.h"
#include "shared/module.h"

#include <QThread>

namespace qedge {

ModuleHost::ModuleHost(MessageBus *bus, QObject *parent) : QObject(parent), m_bus(bus) {}

ModuleHost::~ModuleHost()
{
    stopAll();
    for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it)
        delete it->module;
}

void ModuleHost::setDisabledModules(const QStringList &names)
{
    m_disabled = QSet<QString>(names.begin(), names.end());
}

bool ModuleHost::add(Module *m)
{
    if (!m)
        return false;
    if (m_disabled.contains(m->name())) {
        qCInfo(lcBus) << "module" << m->name() << "is disabled by configuration";
        delete m;
        return false;
    }
    if (m->parent() || m->thread() != thread()) {
        qCWarning(lcBus) << "module" << m->name()
                         << "must have no parent and live in the host's thread; refused";
        delete m;
        return false;
    }
    // Registered now so senders can queue for it; delivery starts once start() has returned.
    if (!m_bus || !m_bus->attach(m, false)) {
        delete m;
        return false;
    }
    m_entries.push_back(Entry{m, nullptr, false});
    if (m_running)
        startOne(m_entries.back());
    return true;
}

void ModuleHost::startAll()
{
    if (m_running)
        return;
    m_running = true;
    for (Entry &e : m_entries)
        startOne(e);
}

void ModuleHost::startOne(Entry &e)
{
    Module *m = e.module;
    QPointer<MessageBus> bus = m_bus;
    const auto begin = [m, bus] {
        m->start();
        if (bus)
            bus->startDelivery(m);
    };
    if (m->wantsOwnThread()) {
        e.thread = new QThread;
        e.thread->setObjectName(QStringLiteral("qedge-") + m->name());
        m->moveToThread(e.thread);
        e.thread->start();
        QMetaObject::invokeMethod(m, begin, Qt::BlockingQueuedConnection);
    } else {
        begin();
    }
    e.started = true;
    qCInfo(lcBus).nospace() << "module " << m->name() << " started"
                            << (e.thread ? " in its own thread" : "");
}

void ModuleHost::stopAll()
{
    if (!m_running)
        return;
    for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it)
        stopOne(*it);
    m_running = false;
}

void ModuleHost::stopOne(Entry &e)
{
    if (!e.started)
        return;
    Module *m = e.module;
    // Stop delivery first so handleMessage() never runs after cleanup(); the module keeps its
    // bus() so cleanup() can still send to the modules stopped after it.
    if (m_bus)
        m_bus->unregisterModule(m->name());
    if (e.thread) {
        QThread *home = thread();
        QMetaObject::invokeMethod(
            m,
            [m, home] {
                m->cleanup();
                m->moveToThread(home); // back to the host, which deletes it later
            },
            Qt::BlockingQueuedConnection);
        e.thread->quit();
        e.thread->wait();
        delete e.thread;
        e.thread = nullptr;
    } else {
        m->cleanup();
    }
    e.started = false;
    qCInfo(lcBus) << "module" << m->name() << "stopped";
}

QStringList ModuleHost::moduleNames() const
{
    QStringList names;
    for (const Entry &e : m_entries)
        names << e.module->name();
    return names;
}

} // namespace qedge
