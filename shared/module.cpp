#include "shared/module.h"

#include "shared/messagebus.h"

namespace qedge {

Module::Module(const QString &name, const QString &group, QObject *parent)
    : QObject(parent), m_name(name), m_group(group)
{
    setObjectName(name);
}

Module::~Module()
{
    // A registered module must leave the bus before its memory goes, or a sender could
    // post a delivery to a dead object.
    if (m_registered.load(std::memory_order_acquire)) {
        if (MessageBus *b = bus())
            b->detach(this);
    }
}

} // namespace qedge
