#include "edgehub/router.h"

#include "edgehub/edgelogging.h"
#include "shared/messagebus.h"

namespace qedge {

EdgeRoute routeFromCloud(const Message &m)
{
    const QString group = m.group();
    if (group == QLatin1String("resource") || group == QLatin1String("func")) {
        if (!m.parentId().isEmpty())
            // A reply nobody waits for any more is still stored and acked by MetaManager, so a
            // hub that wants an ack for it stops resending.
            return {EdgeRoute::Respond, {}, edge::MetaModule, {}};
        return {EdgeRoute::Group, edge::MetaGroup, {}, {}};
    }
    if (group == QLatin1String("twin"))
        return {EdgeRoute::Group, edge::TwinGroup, {}, {}};
    if (group == QLatin1String("user")) {
        if (!m.parentId().isEmpty())
            return {EdgeRoute::Respond, {}, {}, {}};
        if (m.source() == QLatin1String("router_eventbus"))
            return {EdgeRoute::Module, edge::EventBusModule, {}, {}};
        if (m.source() == QLatin1String("router_servicebus"))
            return {EdgeRoute::Module, edge::ServiceBusModule, {}, {}};
        return {
            EdgeRoute::Drop, {}, {}, QStringLiteral("group user from unknown source \"%1\"").arg(m.source())};
    }
    if (group == QLatin1String("taskmanager"))
        return {EdgeRoute::Module, QStringLiteral("taskmanager"), {}, {}};
    return {EdgeRoute::Drop, {}, {}, QStringLiteral("no handler for group \"%1\"").arg(group)};
}

bool dispatchFromCloud(MessageBus *bus, const Message &m)
{
    const EdgeRoute r = routeFromCloud(m);
    switch (r.kind) {
    case EdgeRoute::Respond:
        if (bus->respond(m))
            return true;
        if (!r.fallback.isEmpty())
            return bus->send(r.fallback, m);
        qCDebug(lcEdgeLink) << "late reply dropped:" << m;
        return false;
    case EdgeRoute::Module:
        if (bus->send(r.target, m))
            return true;
        qCWarning(lcEdgeLink).noquote() << "no module" << r.target << "for" << m.id() << "- dropped";
        return false;
    case EdgeRoute::Group:
        if (bus->sendToGroup(r.target, m) > 0)
            return true;
        qCWarning(lcEdgeLink).noquote() << "no module in group" << r.target << "for" << m.id() << "- dropped";
        return false;
    case EdgeRoute::Drop:
        break;
    }
    qCWarning(lcEdgeLink).noquote() << "dropped message" << m.id() << "from the cloud:" << r.dropReason;
    return false;
}

Message connectionMessage(const QString &group, bool connected)
{
    Message m = Message::create(QStringLiteral("edgehub"), group, QStringLiteral("connect"),
                                edge::ConnectionResource);
    m.setContentString(connected ? edge::CloudConnected : edge::CloudDisconnected);
    return m;
}

} // namespace qedge
