#include "cloudhub/resourcestore.h"

#include "shared/message.h"
#include "shared/resource.h"

#include <QJsonDocument>
#include <QUuid>

#include <algorithm>

namespace qedge::cloud {

namespace {

const QString Metadata = QStringLiteral("metadata");
const QString ResourceVersionKey = QStringLiteral("resourceVersion");

Error invalid(const QString &message)
{
    return Error{QStringLiteral("invalid"), message};
}

bool validToken(const QString &s)
{
    if (s.isEmpty() || s.size() > 253)
        return false;
    for (const QChar c : s)
        if (c == QLatin1Char('/') || c.isSpace() || c.unicode() < 0x20)
            return false;
    return true;
}

/// Deduplicated node list, or an error naming the bad node.
Result<QStringList> checkNodes(const QStringList &nodes)
{
    QStringList out;
    QSet<QString> seen;
    for (const QString &n : nodes) {
        if (!validToken(n))
            return invalid(QStringLiteral("invalid node name \"%1\"").arg(n));
        if (!seen.contains(n)) {
            seen.insert(n);
            out.append(n);
        }
    }
    return out;
}

QJsonObject parse(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

QString StoredResource::edgeResource() const
{
    return resource::build(namespaceName, type, name);
}

bool StoredResource::activeOn(const QString &node) const
{
    const auto it = targets.constFind(node);
    return !deleted && it != targets.constEnd() && *it == 0;
}

QString ResourceStore::typeOf(const QJsonObject &object)
{
    return object.value(QLatin1String("kind")).toString().toLower();
}

QString ResourceStore::key(const QString &ns, const QString &type, const QString &name)
{
    return resource::build(ns, type, name);
}

QByteArray ResourceStore::withVersion(const QByteArray &json, quint64 rv)
{
    QJsonObject o = parse(json);
    QJsonObject meta = o.value(Metadata).toObject();
    meta.insert(ResourceVersionKey, QString::number(rv));
    o.insert(Metadata, meta);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

Result<ResourcePlan> ResourceStore::planApply(const QStringList &nodes, const QJsonObject &object,
                                              const QString &givenType) const
{
    if (object.value(QLatin1String("kind")).toString().isEmpty())
        return invalid(QStringLiteral("kind is required"));
    if (object.value(QLatin1String("apiVersion")).toString().isEmpty())
        return invalid(QStringLiteral("apiVersion is required"));
    QJsonObject meta = object.value(Metadata).toObject();
    const QString name = meta.value(QLatin1String("name")).toString();
    if (!validToken(name))
        return invalid(QStringLiteral("metadata.name is required and must not contain '/' or spaces"));
    QString ns = meta.value(QLatin1String("namespace")).toString();
    if (ns.isEmpty())
        ns = QStringLiteral("default");
    if (!validToken(ns))
        return invalid(QStringLiteral("metadata.namespace must not contain '/' or spaces"));
    const QString type = givenType.isEmpty() ? typeOf(object) : givenType.toLower();
    if (!validToken(type))
        return invalid(QStringLiteral("resource type \"%1\" is not valid").arg(type));
    const auto checked = checkNodes(nodes);
    if (!checked)
        return checked.error();

    ResourcePlan plan;
    plan.kind = ResourcePlan::Kind::Apply;
    const StoredResource *existing = byName(ns, type, name);
    if (existing) {
        plan.next = *existing;
        for (const QString &n : checked.value()) {
            const auto t = existing->targets.constFind(n);
            if (t != existing->targets.constEnd() && *t != 0)
                return Error{QStringLiteral("conflict"),
                             QStringLiteral("%1 is being removed from node %2; apply again after the node "
                                            "acknowledged the delete")
                                 .arg(key(ns, type, name), n)};
            plan.next.targets.insert(n, 0);
        }
    } else {
        if (checked->isEmpty())
            return invalid(QStringLiteral("no target node for a new object"));
        plan.created = true;
        plan.next.uid = QUuid::createUuid().toString(QUuid::WithoutBraces);
        plan.next.namespaceName = ns;
        plan.next.type = type;
        plan.next.name = name;
        plan.next.source = (type == QLatin1String("device") || type == QLatin1String("devicemodel"))
                               ? QStringLiteral("devicecontroller")
                               : QStringLiteral("edgecontroller");
        for (const QString &n : checked.value())
            plan.next.targets.insert(n, 0);
    }
    // The uid is the hub's: a client-sent uid is overwritten, as the API server does.
    meta.insert(QLatin1String("namespace"), ns);
    meta.insert(QLatin1String("uid"), plan.next.uid);
    meta.remove(ResourceVersionKey);
    plan.object = object;
    plan.object.insert(Metadata, meta);

    for (auto it = plan.next.targets.cbegin(); it != plan.next.targets.cend(); ++it) {
        if (*it != 0)
            continue; // being removed there: not ours to update
        NodeChange c;
        c.node = it.key();
        c.operation = (existing && existing->targets.contains(it.key())) ? op::Update : op::Insert;
        plan.changes.append(c);
    }
    return plan;
}

Result<ResourcePlan> ResourceStore::planRemove(const QStringList &nodes, const QString &namespaceName,
                                               const QString &type, const QString &name) const
{
    const QString ns = namespaceName.isEmpty() ? QStringLiteral("default") : namespaceName;
    const StoredResource *existing = byName(ns, type.toLower(), name);
    if (!existing)
        return Error{QStringLiteral("not_found"), QStringLiteral("no object %1").arg(key(ns, type, name))};
    const auto checked = checkNodes(nodes);
    if (!checked)
        return checked.error();

    QStringList active;
    for (auto it = existing->targets.cbegin(); it != existing->targets.cend(); ++it)
        if (*it == 0)
            active.append(it.key());
    QStringList removing = checked->isEmpty() ? active : QStringList();
    for (const QString &n : checked.value())
        if (active.contains(n))
            removing.append(n);
    if (removing.isEmpty())
        return Error{QStringLiteral("not_found"),
                     QStringLiteral("%1 is not on node(s) %2")
                         .arg(key(ns, type, name), checked->join(QLatin1Char(',')))};

    ResourcePlan plan;
    plan.next = *existing;
    plan.kind =
        removing.size() == active.size() ? ResourcePlan::Kind::RemoveAll : ResourcePlan::Kind::RemoveSome;
    for (const QString &n : removing) {
        NodeChange c;
        c.node = n;
        c.operation = op::Delete;
        plan.changes.append(c);
    }
    return plan;
}

void ResourceStore::finalize(ResourcePlan &plan, quint64 rv)
{
    QByteArray json;
    switch (plan.kind) {
    case ResourcePlan::Kind::Apply: {
        QJsonObject meta = plan.object.value(Metadata).toObject();
        meta.insert(ResourceVersionKey, QString::number(rv));
        plan.object.insert(Metadata, meta);
        json = QJsonDocument(plan.object).toJson(QJsonDocument::Compact);
        plan.next.json = json;
        plan.next.resourceVersion = rv;
        break;
    }
    case ResourcePlan::Kind::RemoveAll:
        json = withVersion(plan.next.json, rv);
        plan.next.json = json;
        plan.next.resourceVersion = rv;
        plan.next.deleted = true;
        break;
    case ResourcePlan::Kind::RemoveSome:
        // The object itself is unchanged; only the delete message carries the new version.
        json = withVersion(plan.next.json, rv);
        break;
    }
    for (NodeChange &c : plan.changes) {
        c.resourceVersion = rv;
        c.json = json;
        if (c.operation == op::Delete)
            plan.next.targets.insert(c.node, rv);
    }
}

void ResourceStore::put(StoredResource r)
{
    const QString k = key(r.namespaceName, r.type, r.name);
    if (r.deleted) {
        if (m_liveByKey.value(k) == r.uid)
            m_liveByKey.remove(k);
    } else {
        m_liveByKey.insert(k, r.uid);
    }
    for (auto it = r.targets.cbegin(); it != r.targets.cend(); ++it)
        m_uidsByNode[it.key()].insert(r.uid);
    if (r.deleted && r.targets.isEmpty()) {
        m_byUid.remove(r.uid);
        return;
    }
    const QString uid = r.uid;
    m_byUid.insert(uid, std::move(r));
}

void ResourceStore::settleDelete(const QString &node, const QString &uid)
{
    const auto it = m_byUid.find(uid);
    if (it == m_byUid.end())
        return;
    const auto t = it->targets.constFind(node);
    if (t == it->targets.constEnd() || *t == 0)
        return;
    it->targets.remove(node);
    const auto n = m_uidsByNode.find(node);
    if (n != m_uidsByNode.end()) {
        n->remove(uid);
        if (n->isEmpty())
            m_uidsByNode.erase(n);
    }
    if (it->deleted && it->targets.isEmpty())
        m_byUid.erase(it);
}

const StoredResource *ResourceStore::byUid(const QString &uid) const
{
    const auto it = m_byUid.constFind(uid);
    return it == m_byUid.constEnd() ? nullptr : &*it;
}

const StoredResource *ResourceStore::byName(const QString &ns, const QString &type, const QString &name) const
{
    const auto it = m_liveByKey.constFind(key(ns, type, name));
    return it == m_liveByKey.constEnd() ? nullptr : byUid(*it);
}

std::optional<QJsonObject> ResourceStore::get(const QString &node, const QString &ns, const QString &type,
                                              const QString &name) const
{
    const StoredResource *r = byName(ns.isEmpty() ? QStringLiteral("default") : ns, type.toLower(), name);
    if (!r || !r->activeOn(node))
        return std::nullopt;
    return parse(r->json);
}

QList<QJsonObject> ResourceStore::list(const QString &node, const QString &type) const
{
    QList<const StoredResource *> found;
    const auto n = m_uidsByNode.constFind(node);
    if (n == m_uidsByNode.constEnd())
        return {};
    const QString t = type.toLower();
    for (const QString &uid : *n) {
        const StoredResource *r = byUid(uid);
        if (r && r->activeOn(node) && (t.isEmpty() || r->type == t))
            found.append(r);
    }
    std::sort(found.begin(), found.end(), [](const StoredResource *a, const StoredResource *b) {
        return std::tie(a->type, a->namespaceName, a->name) < std::tie(b->type, b->namespaceName, b->name);
    });
    QList<QJsonObject> out;
    out.reserve(found.size());
    for (const StoredResource *r : found)
        out.append(parse(r->json));
    return out;
}

} // namespace qedge::cloud
