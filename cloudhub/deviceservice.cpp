#include "cloudhub/deviceservice.h"

#include "cloudhub/dispatcher.h"
#include "cloudhub/hublogging.h"

#include <QJsonArray>

namespace qedge::cloud {

DeviceService::DeviceService(DeviceStore *store, Dispatcher *dispatcher, QObject *parent)
    : QObject(parent), m_store(store), m_dispatcher(dispatcher)
{
}

Message DeviceService::membershipUpdate(const QList<DeviceState> &added, const QList<DeviceState> &removed)
{
    QJsonArray a, r;
    for (const DeviceState &d : added)
        a.append(d.toMembershipJson());
    for (const DeviceState &d : removed)
        r.append(QJsonObject{{QStringLiteral("id"), d.id()}, {QStringLiteral("name"), d.name}});
    Message m = Message::create(QStringLiteral("devicecontroller"), QStringLiteral("twin"), op::Update,
                                QStringLiteral("membership"));
    m.setContent(QJsonObject{{QStringLiteral("event_id"), Message::newId()},
                             {QStringLiteral("timestamp"), Message::nowMs()},
                             {QStringLiteral("added_devices"), a},
                             {QStringLiteral("removed_devices"), r}});
    return m;
}

Result<DeviceState> DeviceService::put(const QString &node, const QString &namespaceName, const QString &name,
                                       const QJsonObject &body)
{
    auto stored = m_store->put(node, namespaceName, name, body);
    if (!stored)
        return stored;
    auto applied = m_dispatcher->apply({node}, stored->toObject(), QStringLiteral("device"));
    if (!applied)
        return applied.error();
    m_dispatcher->sendNoAck(node, membershipUpdate({stored.value()}, {}));
    return stored;
}

Result<bool> DeviceService::remove(const QString &node, const QString &namespaceName, const QString &name)
{
    const auto before = m_store->get(node, namespaceName, name);
    auto removed = m_store->remove(node, namespaceName, name);
    if (!removed || !removed.value())
        return removed;
    if (m_dispatcher->get(node, namespaceName, QStringLiteral("device"), name)) {
        auto r = m_dispatcher->remove({node}, namespaceName, QStringLiteral("device"), name);
        if (!r)
            return r.error();
    }
    m_dispatcher->sendNoAck(node, membershipUpdate({}, {*before}));
    return true;
}

bool DeviceService::handleUpstream(const QString &node, const Message &m)
{
    if (!DeviceStore::isDeviceUpstream(m))
        return false;
    auto ack = m_store->handleUpstream(node, m);
    if (!ack) {
        // Not confirmed: the edge re-sends it.
        qCWarning(lcHub).noquote() << "twin report of" << node << "not stored:" << ack.errorMessage();
        return true;
    }
    m_dispatcher->sendNoAck(node, ack.value());
    return true;
}

} // namespace qedge::cloud
