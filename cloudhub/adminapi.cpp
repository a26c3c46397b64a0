#include "cloudhub/adminapi.h"

#include "cloudhub/adminserver.h"
#include "cloudhub/dispatcher.h"
#include "cloudhub/eventlog.h"
#include "cloudhub/hublogging.h"
#include "cloudhub/noderegistry.h"
#include "cloudhub/nodesession.h"
#include "cloudhub/sessionmanager.h"
#include "cloudhub/upstreamrouter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace qedge::cloud {

namespace {

using http::Response;

const QString ApiNodes = QStringLiteral("/api/v1/nodes");
const QString NodePath = QStringLiteral("/api/v1/nodes/{node}");
const QString NodeResource = QStringLiteral("/api/v1/nodes/{node}/resources/{namespace}/{type}/{name}");
const QString FleetResource = QStringLiteral("/api/v1/resources/{namespace}/{type}/{name}");

QJsonValue isoTime(const QDateTime &t)
{
    if (!t.isValid() || t.toMSecsSinceEpoch() <= 0)
        return QJsonValue::Null;
    return t.toUTC().toString(Qt::ISODate);
}

Response badRequest(const QString &detail)
{
    return Response::error(400, QStringLiteral("bad_request"), detail);
}

Response notFound(const QString &detail)
{
    return Response::error(404, QStringLiteral("not_found"), detail);
}

Response internal(const QString &detail)
{
    qCWarning(lcHubAdmin).noquote() << "admin API:" << detail;
    return Response::error(500, QStringLiteral("internal"), detail);
}

/// A dispatcher error as an HTTP answer.
Response fromError(const Error &e)
{
    if (e.code == QLatin1String("invalid"))
        return badRequest(e.message);
    if (e.code == QLatin1String("conflict"))
        return Response::error(409, QStringLiteral("conflict"), e.message);
    return internal(e.message);
}

QString param(const http::Request &req, const char *name)
{
    return req.pathParams.value(QLatin1String(name)).toString();
}

/// Names of nodes and objects: a DNS-subdomain-like token (upper case tolerated), at most 253 chars.
bool validName(const QString &s, int max = 253)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"));
    return !s.isEmpty() && s.size() <= max && re.match(s).hasMatch();
}

bool validType(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]+$"));
    return !s.isEmpty() && s.size() <= 63 && re.match(s).hasMatch();
}

/// Checks node and object path parts; an error response for the first bad one.
std::optional<Response> checkParts(const http::Request &req, bool withNode, bool withObject)
{
    if (withNode) {
        const QString node = param(req, "node");
        if (!validName(node))
            return badRequest(QStringLiteral("node name \"%1\" is not valid (letters, digits, '.', '-', '_', "
                                             "at most 253)")
                                  .arg(node));
    }
    if (withObject) {
        const QString ns = param(req, "namespace");
        const QString type = param(req, "type");
        const QString name = param(req, "name");
        if (!validName(ns, 63))
            return badRequest(QStringLiteral("namespace \"%1\" is not valid").arg(ns));
        if (!validType(type))
            return badRequest(QStringLiteral("type \"%1\" is not valid: use the lower-case kind (configmap, "
                                             "secret, pod...)")
                                  .arg(type));
        if (!validName(name))
            return badRequest(QStringLiteral("name \"%1\" is not valid").arg(name));
    }
    return std::nullopt;
}

/// The namespace/type/name path parameters of an object route.
struct ObjectRef
{
    QString ns;
    QString type;
    QString name;
};

ObjectRef objectRef(const http::Request &req)
{
    return {param(req, "namespace"), param(req, "type"), param(req, "name")};
}

/// ?limit= as a positive whole number (defaultLimit when absent); an error response otherwise.
std::optional<Response> limitParam(const http::Request &req, int defaultLimit, int &limit)
{
    bool ok = true;
    const QString text = req.query.queryItemValue(QStringLiteral("limit"));
    limit = text.isEmpty() ? defaultLimit : text.toInt(&ok);
    if (!ok || limit < 1)
        return badRequest(QStringLiteral("limit must be a positive whole number"));
    return std::nullopt;
}

/// Validates a PUT body against its path and fills in metadata.name/namespace from the path.
std::optional<Response> prepareObject(const http::Request &req, QJsonObject &object)
{
    auto body = AdminServer::jsonBody(req);
    if (!body)
        return Response::error(400, QStringLiteral("bad_json"), body.errorMessage());
    object = body.value();
    const QString ns = param(req, "namespace");
    const QString type = param(req, "type");
    const QString name = param(req, "name");
    const QJsonValue kind = object.value(QStringLiteral("kind"));
    if (!kind.isString() || kind.toString().isEmpty())
        return badRequest(QStringLiteral("kind is required (a string such as \"ConfigMap\")"));
    if (kind.toString().toLower() != type)
        return badRequest(
            QStringLiteral("kind %1 does not match the path's type %2").arg(kind.toString(), type));
    const QJsonValue apiVersion = object.value(QStringLiteral("apiVersion"));
    if (!apiVersion.isString() || apiVersion.toString().isEmpty())
        return badRequest(QStringLiteral("apiVersion is required (a string such as \"v1\")"));
    const QJsonValue metaValue = object.value(QStringLiteral("metadata"));
    if (!metaValue.isUndefined() && !metaValue.isObject())
        return badRequest(QStringLiteral("metadata must be an object"));
    QJsonObject meta = metaValue.toObject();
    const QJsonValue bodyName = meta.value(QStringLiteral("name"));
    if (!bodyName.isUndefined() && bodyName.toString() != name)
        return badRequest(QStringLiteral("metadata.name \"%1\" does not match the path's name \"%2\"")
                              .arg(bodyName.toString(), name));
    const QJsonValue bodyNs = meta.value(QStringLiteral("namespace"));
    if (!bodyNs.isUndefined() && bodyNs.toString() != ns)
        return badRequest(
            QStringLiteral("metadata.namespace \"%1\" does not match the path's namespace \"%2\"")
                .arg(bodyNs.toString(), ns));
    const QJsonValue labels = meta.value(QStringLiteral("labels"));
    if (!labels.isUndefined() && !labels.isObject())
        return badRequest(QStringLiteral("metadata.labels must be an object"));
    meta.insert(QStringLiteral("name"), name);
    meta.insert(QStringLiteral("namespace"), ns);
    object.insert(QStringLiteral("metadata"), meta);
    return std::nullopt;
}

QString stateName(EntryState s)
{
    switch (s) {
    case EntryState::Pending:
        return QStringLiteral("pending");
    case EntryState::InFlight:
        return QStringLiteral("inflight");
    case EntryState::Backoff:
        return QStringLiteral("backoff");
    }
    return {};
}

QString versionOf(const QJsonObject &object)
{
    return object.value(QStringLiteral("metadata"))
        .toObject()
        .value(QStringLiteral("resourceVersion"))
        .toString();
}

} // namespace

AdminApi::AdminApi(Parts parts, QObject *parent) : QObject(parent), m_p(parts)
{
    connect(
        m_p.dispatcher, &Dispatcher::delivered, this,
        [this](const QString &node, const QString &, qulonglong, const QString &) { ++m_counts[node].sent; });
    connect(m_p.dispatcher, &Dispatcher::acked, this,
            [this](const QString &node, const QString &, qulonglong, qint64) { ++m_counts[node].acked; });
    // A node that connects for the first time enters the registry without labels.
    connect(m_p.sessions, &SessionManager::nodeConnected, this, [this](const QString &node) {
        if (m_labelsLoaded && !m_labels.contains(node))
            m_labels.insert(node, QJsonObject());
    });
    m_sampler.setInterval(1000);
    connect(&m_sampler, &QTimer::timeout, this, &AdminApi::sample);
    m_sampler.start();
    sample();
}

void AdminApi::sample()
{
    const DeliveryCounters c = m_p.dispatcher->counters();
    quint64 sent = 0;
    for (const quint64 v : c.messagesOut)
        sent += v;
    m_rates.sample(QDateTime::currentMSecsSinceEpoch(), sent, c.acks,
                   m_p.upstream ? m_p.upstream->receivedTotal() : 0);
}

void AdminApi::addRoutes()
{
    using Role = AdminServer::Role;
    AdminServer *s = m_p.server;
    const auto bind = [this](Response (AdminApi::*fn)(const http::Request &)) {
        return [this, fn](const http::Request &req) { return (this->*fn)(req); };
    };
    s->routeSync("GET", ApiNodes, Role::ReadOnly, bind(&AdminApi::listNodes));
    s->routeSync("GET", NodePath, Role::ReadOnly, bind(&AdminApi::getNode));
    s->routeSync("PUT", NodePath + QStringLiteral("/labels"), Role::Admin, bind(&AdminApi::putLabels));
    s->routeSync("GET", NodePath + QStringLiteral("/resources"), Role::ReadOnly,
                 bind(&AdminApi::listResources));
    s->routeSync("PUT", NodeResource, Role::Admin, bind(&AdminApi::putResource));
    s->routeSync("GET", NodeResource, Role::ReadOnly, bind(&AdminApi::getResource));
    s->routeSync("DELETE", NodeResource, Role::Admin, bind(&AdminApi::deleteResource));
    s->routeSync("GET", NodePath + QStringLiteral("/queue"), Role::ReadOnly, bind(&AdminApi::getQueue));
    s->routeSync("GET", NodePath + QStringLiteral("/events"), Role::ReadOnly, bind(&AdminApi::getNodeEvents));
    s->routeSync("PUT", FleetResource, Role::Admin, bind(&AdminApi::putFleet));
    s->routeSync("GET", FleetResource, Role::ReadOnly, bind(&AdminApi::getFleet));
    s->routeSync("DELETE", FleetResource, Role::Admin, bind(&AdminApi::deleteFleet));
    s->routeSync("GET", QStringLiteral("/api/v1/stats"), Role::ReadOnly, bind(&AdminApi::stats));
}

void AdminApi::flushRegistry()
{
    // The registry writes connects in batches; what the API shows must include them.
    if (Status s = m_p.registry->flush(); !s)
        qCWarning(lcHubAdmin).noquote() << "node registry:" << s.errorMessage();
}

bool AdminApi::isKnown(const QString &node)
{
    if (m_p.dispatcher->queue(node) || m_p.sessions->session(node))
        return true;
    auto n = m_p.registry->node(node);
    return n && n->has_value();
}

std::optional<Response> AdminApi::knownNode(const http::Request &req, bool withObject, QString &node)
{
    if (auto bad = checkParts(req, true, withObject))
        return bad;
    node = param(req, "node");
    if (!isKnown(node))
        return notFound(QStringLiteral("node %1 is not known").arg(node));
    return std::nullopt;
}

std::optional<Response> AdminApi::fleetTargets(const http::Request &req, bool allowEmpty,
                                               QStringList &targets)
{
    if (auto bad = checkParts(req, false, true))
        return bad;
    return resolveTargets(req, allowEmpty, targets);
}

std::optional<QJsonObject> AdminApi::nodeJson(const QString &node)
{
    flushRegistry();
    auto reg = m_p.registry->node(node);
    return nodeJson(node, reg ? reg.value() : std::nullopt);
}

std::optional<QJsonObject> AdminApi::nodeJson(const QString &node,
                                              const std::optional<NodeRegistry::Node> &row)
{
    const NodeQueue *q = m_p.dispatcher->queue(node);
    const NodeSession *session = m_p.sessions->session(node);
    if (!row && !q && !session)
        return std::nullopt;
    const NodeCounts counts = m_counts.value(node);
    QJsonObject o{
        {QStringLiteral("id"), node},
        {QStringLiteral("online"), session != nullptr},
        {QStringLiteral("since"), session ? isoTime(session->info().connectedAt) : QJsonValue::Null},
        {QStringLiteral("firstSeen"), row ? isoTime(row->firstSeen) : QJsonValue::Null},
        {QStringLiteral("lastSeen"), row ? isoTime(row->lastSeen) : QJsonValue::Null},
        {QStringLiteral("remoteAddress"), QJsonValue::Null},
        {QStringLiteral("queueDepth"), q ? q->depth() : 0},
        {QStringLiteral("inFlight"), q ? q->inFlight() : 0},
        {QStringLiteral("sent"), double(counts.sent)},
        {QStringLiteral("acked"), double(counts.acked)},
        {QStringLiteral("certSerial"),
         row && !row->certSerial.isEmpty() ? QJsonValue(row->certSerial) : QJsonValue::Null},
        {QStringLiteral("certExpiry"), row ? isoTime(row->certExpiry) : QJsonValue::Null},
        {QStringLiteral("labels"), row ? row->labels : QJsonObject()}};
    if (session) {
        const SessionInfo &info = session->info();
        o.insert(QStringLiteral("remoteAddress"),
                 QStringLiteral("%1:%2").arg(info.remoteAddress.toString()).arg(info.remotePort));
        o.insert(QStringLiteral("certSerial"), info.certSerial);
        o.insert(QStringLiteral("certExpiry"), isoTime(info.certExpiry));
    } else if (row && !row->remoteAddress.isEmpty()) {
        o.insert(QStringLiteral("remoteAddress"), row->remoteAddress);
    }
    return o;
}

Response AdminApi::listNodes(const http::Request &)
{
    flushRegistry();
    auto rows = m_p.registry->nodes();
    if (!rows)
        return internal(QStringLiteral("node registry: ") + rows.errorMessage());
    // One registry read for all nodes, not one per node.
    QMap<QString, std::optional<NodeRegistry::Node>> byId;
    for (const NodeRegistry::Node &n : rows.value())
        byId.insert(n.id, n);
    for (const QString &id : m_p.dispatcher->nodes())
        byId.insert(id, byId.value(id));
    for (const QString &id : m_p.sessions->nodes())
        byId.insert(id, byId.value(id));
    QJsonArray nodes;
    for (auto it = byId.cbegin(); it != byId.cend(); ++it)
        if (auto o = nodeJson(it.key(), it.value()))
            nodes.append(*o);
    return Response::json(200, QJsonObject{{QStringLiteral("nodes"), nodes}});
}

Response AdminApi::getNode(const http::Request &req)
{
    if (auto bad = checkParts(req, true, false))
        return *bad;
    const QString node = param(req, "node");
    auto o = nodeJson(node);
    if (!o)
        return notFound(QStringLiteral("node %1 is not known; PUT a resource to pre-provision it").arg(node));
    return Response::json(200, *o);
}

Response AdminApi::putLabels(const http::Request &req)
{
    if (auto bad = checkParts(req, true, false))
        return *bad;
    const QString node = param(req, "node");
    auto body = AdminServer::jsonBody(req);
    if (!body)
        return Response::error(400, QStringLiteral("bad_json"), body.errorMessage());
    const QJsonValue labels = body->value(QStringLiteral("labels"));
    if (!labels.isObject())
        return badRequest(QStringLiteral("labels is required: {\"labels\": {\"key\": \"value\"}}"));
    const QJsonObject map = labels.toObject();
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        const QStringList keyParts = it.key().split(u'/');
        const bool keyOk = keyParts.size() <= 2 && std::all_of(keyParts.cbegin(), keyParts.cend(),
                                                               [](const QString &p) { return validName(p); });
        if (!keyOk)
            return badRequest(QStringLiteral("label key \"%1\" is not valid").arg(it.key()));
        if (!it.value().isString())
            return badRequest(QStringLiteral("label %1 must have a string value").arg(it.key()));
        const QString v = it.value().toString();
        if (!v.isEmpty() && !validName(v, 63))
            return badRequest(QStringLiteral("label value \"%1\" is not valid").arg(v));
    }
    // Labels may be set before a node ever connects, so selectors can target it from the start.
    flushRegistry();
    if (Status s = m_p.registry->provision(node); !s)
        return internal(QStringLiteral("node registry: ") + s.errorMessage());
    if (Status s = m_p.registry->setLabels(node, map); !s)
        return internal(QStringLiteral("node registry: ") + s.errorMessage());
    if (m_labelsLoaded)
        m_labels.insert(node, map);
    return Response::json(200, *nodeJson(node));
}

Response AdminApi::putResource(const http::Request &req)
{
    if (auto bad = checkParts(req, true, true))
        return *bad;
    QJsonObject object;
    if (auto bad = prepareObject(req, object))
        return *bad;
    const QString node = param(req, "node");
    const QString type = param(req, "type");
    const bool existed =
        m_p.dispatcher->get(node, param(req, "namespace"), type, param(req, "name")).has_value();
    auto stored = m_p.dispatcher->apply({node}, object, type);
    if (!stored)
        return fromError(stored.error());
    return Response::json(existed ? 200 : 201, stored.value());
}

Response AdminApi::getResource(const http::Request &req)
{
    QString node;
    if (auto bad = knownNode(req, true, node))
        return *bad;
    const auto [ns, type, name] = objectRef(req);
    auto o = m_p.dispatcher->get(node, ns, type, name);
    if (!o)
        return notFound(QStringLiteral("%1/%2/%3 is not on node %4").arg(ns, type, name, node));
    return Response::json(200, *o);
}

Response AdminApi::deleteResource(const http::Request &req)
{
    QString node;
    if (auto bad = knownNode(req, true, node))
        return *bad;
    const auto [ns, type, name] = objectRef(req);
    if (!m_p.dispatcher->get(node, ns, type, name))
        return notFound(QStringLiteral("%1/%2/%3 is not on node %4").arg(ns, type, name, node));
    auto removed = m_p.dispatcher->remove({node}, ns, type, name);
    if (!removed)
        return fromError(removed.error());
    return Response::json(200, QJsonObject{{QStringLiteral("deleted"), true},
                                           {QStringLiteral("resourceVersion"), versionOf(removed.value())}});
}

Response AdminApi::listResources(const http::Request &req)
{
    QString node;
    if (auto bad = knownNode(req, false, node))
        return *bad;
    const QString type = req.query.queryItemValue(QStringLiteral("type"), QUrl::FullyDecoded);
    if (!type.isEmpty() && !validType(type))
        return badRequest(QStringLiteral("type \"%1\" is not valid").arg(type));
    QJsonArray out;
    for (const QJsonObject &o : m_p.dispatcher->list(node, type))
        out.append(o);
    return Response::json(200, QJsonObject{{QStringLiteral("resources"), out}});
}

std::optional<Response> AdminApi::resolveTargets(const http::Request &req, bool allowEmpty, QStringList &out)
{
    const bool hasNodes = req.query.hasQueryItem(QStringLiteral("nodes"));
    const bool hasSelector = req.query.hasQueryItem(QStringLiteral("selector"));
    if (hasNodes && hasSelector)
        return badRequest(QStringLiteral("give either ?nodes= or ?selector=, not both"));
    if (hasNodes) {
        const QStringList names = req.query.queryItemValue(QStringLiteral("nodes"), QUrl::FullyDecoded)
                                      .split(u',', Qt::SkipEmptyParts);
        for (const QString &n : names) {
            if (!validName(n.trimmed()))
                return badRequest(QStringLiteral("node name \"%1\" is not valid").arg(n));
            out.append(n.trimmed());
        }
        out.removeDuplicates();
        if (out.isEmpty())
            return badRequest(QStringLiteral("?nodes= names no node"));
        return std::nullopt;
    }
    if (hasSelector) {
        const QString selector = req.query.queryItemValue(QStringLiteral("selector"), QUrl::FullyDecoded);
        QList<std::pair<QString, QString>> terms;
        for (const QString &term : selector.split(u',', Qt::SkipEmptyParts)) {
            const qsizetype eq = term.indexOf(u'=');
            if (eq <= 0)
                return badRequest(QStringLiteral("selector term \"%1\" is not key=value").arg(term));
            terms.append({term.left(eq).trimmed(), term.mid(eq + 1).trimmed()});
        }
        if (terms.isEmpty())
            return badRequest(QStringLiteral("?selector= needs key=value[,key=value]"));
        const QHash<QString, QJsonObject> *all = labels();
        if (!all)
            return internal(QStringLiteral("node registry: cannot read the node labels"));
        for (auto it = all->cbegin(); it != all->cend(); ++it) {
            const QJsonObject &nodeLabels = it.value();
            const bool match = std::all_of(terms.cbegin(), terms.cend(), [&nodeLabels](const auto &t) {
                const QJsonValue v = nodeLabels.value(t.first);
                return v.isString() && v.toString() == t.second;
            });
            if (match)
                out.append(it.key());
        }
        out.sort();
        if (out.isEmpty())
            return notFound(QStringLiteral("no node has the labels %1").arg(selector));
        return std::nullopt;
    }
    if (!allowEmpty)
        return badRequest(QStringLiteral("name the target nodes: ?nodes=a,b or ?selector=key=value"));
    return std::nullopt;
}

const QHash<QString, QJsonObject> *AdminApi::labels()
{
    if (!m_labelsLoaded) {
        auto rows = m_p.registry->nodes();
        if (!rows)
            return nullptr;
        for (const NodeRegistry::Node &n : rows.value())
            m_labels.insert(n.id, n.labels);
        m_labelsLoaded = true;
    }
    return &m_labels;
}

QStringList AdminApi::activeNodes(const QString &ns, const QString &type, const QString &name) const
{
    QStringList out;
    const StoredResource *r = m_p.dispatcher->resources().byName(ns, type, name);
    if (!r)
        return out;
    for (auto it = r->targets.cbegin(); it != r->targets.cend(); ++it)
        if (r->activeOn(it.key()))
            out.append(it.key());
    out.sort();
    return out;
}

Response AdminApi::putFleet(const http::Request &req)
{
    QStringList targets;
    if (auto bad = fleetTargets(req, false, targets))
        return *bad;
    QJsonObject object;
    if (auto bad = prepareObject(req, object))
        return *bad;
    const auto [ns, type, name] = objectRef(req);
    const bool existed = m_p.dispatcher->resources().byName(ns, type, name) != nullptr;
    auto stored = m_p.dispatcher->apply(targets, object, type);
    if (!stored)
        return fromError(stored.error());
    QJsonArray nodes;
    for (const QString &n : activeNodes(ns, type, name))
        nodes.append(n);
    return Response::json(existed ? 200 : 201, QJsonObject{{QStringLiteral("object"), stored.value()},
                                                           {QStringLiteral("nodes"), nodes}});
}

Response AdminApi::getFleet(const http::Request &req)
{
    QStringList targets;
    if (auto bad = fleetTargets(req, true, targets))
        return *bad;
    const auto [ns, type, name] = objectRef(req);
    const StoredResource *r = m_p.dispatcher->resources().byName(ns, type, name);
    if (!r || r->deleted)
        return notFound(QStringLiteral("%1/%2/%3 is not stored").arg(ns, type, name));
    QStringList active = activeNodes(ns, type, name);
    if (!targets.isEmpty()) {
        active.erase(std::remove_if(active.begin(), active.end(),
                                    [&targets](const QString &n) { return !targets.contains(n); }),
                     active.end());
    }
    return Response::json(200,
                          QJsonObject{{QStringLiteral("object"), QJsonDocument::fromJson(r->json).object()},
                                      {QStringLiteral("nodes"), QJsonArray::fromStringList(active)}});
}

Response AdminApi::deleteFleet(const http::Request &req)
{
    QStringList targets;
    if (auto bad = fleetTargets(req, true, targets))
        return *bad;
    const auto [ns, type, name] = objectRef(req);
    const QStringList active = activeNodes(ns, type, name);
    if (active.isEmpty())
        return notFound(QStringLiteral("%1/%2/%3 is not stored").arg(ns, type, name));
    QStringList from;
    for (const QString &n : targets)
        if (active.contains(n))
            from.append(n);
    if (!targets.isEmpty() && from.isEmpty())
        return notFound(QStringLiteral("%1/%2/%3 is on none of those nodes").arg(ns, type, name));
    if (targets.isEmpty())
        from = active;
    auto removed = m_p.dispatcher->remove(from, ns, type, name);
    if (!removed)
        return fromError(removed.error());
    return Response::json(200, QJsonObject{{QStringLiteral("deleted"), true},
                                           {QStringLiteral("resourceVersion"), versionOf(removed.value())},
                                           {QStringLiteral("nodes"), QJsonArray::fromStringList(from)}});
}

Response AdminApi::getQueue(const http::Request &req)
{
    QString node;
    if (auto bad = knownNode(req, false, node))
        return *bad;
    int limit = 0;
    if (auto bad = limitParam(req, 1000, limit))
        return *bad;
    const NodeQueue *q = m_p.dispatcher->queue(node);
    QJsonArray entries;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (q) {
        const QList<QueueEntry> all = q->entries();
        for (qsizetype i = 0; i < all.size() && i < limit; ++i) {
            const QueueEntry &e = all.at(i);
            entries.append(
                QJsonObject{{QStringLiteral("uid"), e.uid},
                            {QStringLiteral("resource"), e.resource},
                            {QStringLiteral("operation"), e.operation},
                            {QStringLiteral("resourceVersion"), QString::number(e.resourceVersion)},
                            {QStringLiteral("msgId"), e.msgId},
                            {QStringLiteral("attempts"), e.writes},
                            {QStringLiteral("ageMs"), double(std::max<qint64>(0, now - e.enqueuedMs))},
                            {QStringLiteral("state"), stateName(e.state)}});
        }
    }
    return Response::json(200, QJsonObject{{QStringLiteral("depth"), q ? q->depth() : 0},
                                           {QStringLiteral("inFlight"), q ? q->inFlight() : 0},
                                           {QStringLiteral("entries"), entries}});
}

Response AdminApi::getNodeEvents(const http::Request &req)
{
    QString node;
    if (auto bad = knownNode(req, false, node))
        return *bad;
    int limit = 0;
    if (auto bad = limitParam(req, 100, limit))
        return *bad;
    QJsonArray out;
    if (m_p.log) {
        auto events = m_p.log->recent(node, limit);
        if (!events)
            return internal(QStringLiteral("event log: ") + events.errorMessage());
        for (const EventLog::Event &e : events.value()) {
            const QJsonDocument content = QJsonDocument::fromJson("[" + e.content + "]");
            out.append(QJsonObject{{QStringLiteral("time"), e.time.toString(Qt::ISODateWithMs)},
                                   {QStringLiteral("operation"), e.operation},
                                   {QStringLiteral("resource"), e.resource},
                                   {QStringLiteral("content"), content.array().at(0)}});
        }
    }
    return Response::json(200, QJsonObject{{QStringLiteral("events"), out}});
}

Response AdminApi::stats(const http::Request &)
{
    const DeliveryCounters c = m_p.dispatcher->counters();
    quint64 sent = 0;
    for (const quint64 v : c.messagesOut)
        sent += v;
    // The label cache knows every registry node: no database read for a figure polled often.
    const QStringList queued = m_p.dispatcher->nodes();
    QSet<QString> all(queued.cbegin(), queued.cend());
    if (const QHash<QString, QJsonObject> *known = labels())
        for (auto it = known->cbegin(); it != known->cend(); ++it)
            all.insert(it.key());
    for (const QString &n : m_p.sessions->nodes())
        all.insert(n);
    const RateMeter::Rates r = m_rates.rates();
    return Response::json(
        200,
        QJsonObject{
            {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
            {QStringLiteral("nodes"), QJsonObject{{QStringLiteral("total"), int(all.size())},
                                                  {QStringLiteral("online"), m_p.sessions->count()}}},
            {QStringLiteral("queue"), QJsonObject{{QStringLiteral("depth"), double(c.queueDepthTotal)},
                                                  {QStringLiteral("maxDepth"), double(c.queueDepthMax)},
                                                  {QStringLiteral("inFlight"), double(c.inFlightTotal)}}},
            {QStringLiteral("messages"),
             QJsonObject{
                 {QStringLiteral("sent"), double(sent)},
                 {QStringLiteral("acked"), double(c.acks)},
                 {QStringLiteral("retries"), double(c.retries)},
                 {QStringLiteral("received"), double(m_p.upstream ? m_p.upstream->receivedTotal() : 0)}}},
            {QStringLiteral("rates"), QJsonObject{{QStringLiteral("sentPerSec"), r.sentPerSec},
                                                  {QStringLiteral("ackedPerSec"), r.ackedPerSec},
                                                  {QStringLiteral("receivedPerSec"), r.receivedPerSec}}}});
}

} // namespace qedge::cloud
