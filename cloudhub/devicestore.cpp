#include "cloudhub/devicestore.h"

#include "edgehub/twinmodel.h"
#include "shared/storage.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace qedge::cloud {

namespace {
const QString SchemaName = QStringLiteral("devices");
const QString DeviceType = QStringLiteral("device");

QString nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QString isoFromMs(const QString &ms)
{
    const qint64 v = ms.toLongLong();
    return v > 0 ? QDateTime::fromMSecsSinceEpoch(v, Qt::UTC).toString(Qt::ISODateWithMs) : nowIso();
}

QJsonValue orNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue() : QJsonValue(s);
}

Error invalid(const QString &detail)
{
    return Error{QStringLiteral("bad_request"), detail};
}

QJsonObject twinToJson(const TwinState &t)
{
    return {{QStringLiteral("type"), t.type},
            {QStringLiteral("hasDesired"), t.hasDesired},
            {QStringLiteral("desired"), t.desired},
            {QStringLiteral("desiredVersion"), t.desiredVersion},
            {QStringLiteral("desiredEdgeVersion"), t.desiredEdgeVersion},
            {QStringLiteral("desiredTime"), t.desiredTime},
            {QStringLiteral("hasReported"), t.hasReported},
            {QStringLiteral("reported"), t.reported},
            {QStringLiteral("reportedVersion"), t.reportedVersion},
            {QStringLiteral("reportedTime"), t.reportedTime}};
}

TwinState twinFromJson(const QJsonObject &o)
{
    TwinState t;
    t.type = o.value(QStringLiteral("type")).toString(QStringLiteral("string"));
    t.hasDesired = o.value(QStringLiteral("hasDesired")).toBool();
    t.desired = o.value(QStringLiteral("desired")).toString();
    t.desiredVersion = o.value(QStringLiteral("desiredVersion")).toInteger();
    t.desiredEdgeVersion = o.value(QStringLiteral("desiredEdgeVersion")).toInteger();
    t.desiredTime = o.value(QStringLiteral("desiredTime")).toString();
    t.hasReported = o.value(QStringLiteral("hasReported")).toBool();
    t.reported = o.value(QStringLiteral("reported")).toString();
    t.reportedVersion = o.value(QStringLiteral("reportedVersion")).toInteger();
    t.reportedTime = o.value(QStringLiteral("reportedTime")).toString();
    return t;
}

QByteArray toDoc(const DeviceState &d)
{
    QJsonObject attrs, twins;
    for (auto it = d.attributes.cbegin(); it != d.attributes.cend(); ++it)
        attrs.insert(it.key(), QJsonObject{{QStringLiteral("value"), it->first}, {QStringLiteral("type"), it->second}});
    for (auto it = d.twins.cbegin(); it != d.twins.cend(); ++it)
        twins.insert(it.key(), twinToJson(*it));
    return QJsonDocument(QJsonObject{{QStringLiteral("state"), d.state},
                                     {QStringLiteral("lastOnline"), d.lastOnline},
                                     {QStringLiteral("attributes"), attrs},
                                     {QStringLiteral("twins"), twins}})
        .toJson(QJsonDocument::Compact);
}

void fromDoc(DeviceState &d, const QByteArray &doc)
{
    const QJsonObject o = QJsonDocument::fromJson(doc).object();
    d.state = o.value(QStringLiteral("state")).toString();
    d.lastOnline = o.value(QStringLiteral("lastOnline")).toString();
    const QJsonObject attrs = o.value(QStringLiteral("attributes")).toObject();
    for (auto it = attrs.begin(); it != attrs.end(); ++it) {
        const QJsonObject a = it.value().toObject();
        d.attributes.insert(it.key(), {a.value(QStringLiteral("value")).toString(),
                                       a.value(QStringLiteral("type")).toString(QStringLiteral("string"))});
    }
    const QJsonObject twins = o.value(QStringLiteral("twins")).toObject();
    for (auto it = twins.begin(); it != twins.end(); ++it)
        d.twins.insert(it.key(), twinFromJson(it.value().toObject()));
}

/// "device/<ns>/<name>/<suffix...>" in the edge's form (a node/<id>/ prefix is dropped).
bool parseDeviceResource(QString resource, QString *id, QString *suffix)
{
    if (resource.startsWith(QLatin1String("node/"))) {
        const int second = resource.indexOf(QLatin1Char('/'), 5);
        if (second < 0)
            return false;
        resource = resource.mid(second + 1);
    }
    const QStringList parts = resource.split(QLatin1Char('/'));
    if (parts.size() < 5 || parts[0] != QLatin1String("device"))
        return false;
    *id = parts[1] + QLatin1Char('/') + parts[2];
    *suffix = parts.mid(3).join(QLatin1Char('/'));
    return true;
}
} // namespace

QJsonObject DeviceState::toApiJson() const
{
    QJsonObject attrs, twinsJson;
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it)
        attrs.insert(it.key(), QJsonObject{{QStringLiteral("value"), it->first}, {QStringLiteral("type"), it->second}});
    for (auto it = twins.cbegin(); it != twins.cend(); ++it) {
        QJsonObject t{{QStringLiteral("type"), it->type}};
        t.insert(QStringLiteral("desired"),
                 it->hasDesired ? QJsonValue(QJsonObject{{QStringLiteral("value"), it->desired},
                                                         {QStringLiteral("version"), it->desiredVersion},
                                                         {QStringLiteral("timestamp"), orNull(it->desiredTime)}})
                                : QJsonValue());
        t.insert(QStringLiteral("reported"),
                 it->hasReported ? QJsonValue(QJsonObject{{QStringLiteral("value"), it->reported},
                                                          {QStringLiteral("version"), it->reportedVersion},
                                                          {QStringLiteral("timestamp"), orNull(it->reportedTime)}})
                                 : QJsonValue());
        twinsJson.insert(it.key(), t);
    }
    return {{QStringLiteral("id"), id()},
            {QStringLiteral("namespace"), namespaceName},
            {QStringLiteral("name"), name},
            {QStringLiteral("state"), orNull(state)},
            {QStringLiteral("lastOnline"), orNull(lastOnline)},
            {QStringLiteral("attributes"), attrs},
            {QStringLiteral("twins"), twinsJson}};
}

QJsonObject DeviceState::toObject() const
{
    QJsonArray properties;
    for (auto it = twins.cbegin(); it != twins.cend(); ++it) {
        QJsonObject p{{QStringLiteral("name"), it.key()}};
        if (it->hasDesired)
            p.insert(QStringLiteral("desired"),
                     QJsonObject{{QStringLiteral("value"), it->desired},
                                 {QStringLiteral("metadata"),
                                  QJsonObject{{QStringLiteral("type"), it->type},
                                              {QStringLiteral("timestamp"), it->desiredTime},
                                              {QStringLiteral("cloudVersion"), QString::number(it->desiredVersion)},
                                              {QStringLiteral("edgeVersion"),
                                               QString::number(it->desiredEdgeVersion)}}}});
        properties.append(p);
    }
    QJsonObject attrs;
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it)
        attrs.insert(it.key(), QJsonObject{{QStringLiteral("value"), it->first}, {QStringLiteral("type"), it->second}});
    return {{QStringLiteral("kind"), QStringLiteral("Device")},
            {QStringLiteral("apiVersion"), QStringLiteral("devices.kubeedge.io/v1beta1")},
            {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("name"), name},
                                                     {QStringLiteral("namespace"), namespaceName}}},
            {QStringLiteral("spec"), QJsonObject{{QStringLiteral("nodeName"), node},
                                                 {QStringLiteral("properties"), properties},
                                                 {QStringLiteral("attributes"), attrs}}}};
}

QJsonObject DeviceState::toMembershipJson() const
{
    QJsonObject attrs, twinsJson;
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it)
        attrs.insert(it.key(), QJsonObject{{QStringLiteral("value"), it->first},
                                           {QStringLiteral("optional"), false},
                                           {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("type"), it->second}}}});
    for (auto it = twins.cbegin(); it != twins.cend(); ++it) {
        QJsonObject t{{QStringLiteral("optional"), false},
                      {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("type"), it->type}}}};
        if (it->hasDesired) {
            t.insert(QStringLiteral("expected"), QJsonObject{{QStringLiteral("value"), it->desired}});
            t.insert(QStringLiteral("expected_version"), QJsonObject{{QStringLiteral("cloud"), it->desiredVersion},
                                                                     {QStringLiteral("edge"), it->desiredEdgeVersion}});
        }
        twinsJson.insert(it.key(), t);
    }
    QJsonObject o{{QStringLiteral("id"), id()}, {QStringLiteral("name"), name}};
    if (!attrs.isEmpty())
        o.insert(QStringLiteral("attributes"), attrs);
    if (!twinsJson.isEmpty())
        o.insert(QStringLiteral("twin"), twinsJson);
    return o;
}

DeviceStore::DeviceStore(QObject *parent) : QObject(parent) {}

Status DeviceStore::open(Database *db)
{
    const QList<QStringList> steps{
        {QStringLiteral("CREATE TABLE twin_devices (node {{text}} NOT NULL, id {{text}} NOT NULL, "
                        "namespace {{text}} NOT NULL, name {{text}} NOT NULL, doc {{text}} NOT NULL, "
                        "PRIMARY KEY (node, id))")}};
    if (Status s = db->migrate(SchemaName, steps); !s)
        return s;
    auto q = db->exec(QStringLiteral("SELECT node, namespace, name, doc FROM twin_devices"));
    if (!q)
        return q.error();
    m_devices.clear();
    while (q->next()) {
        DeviceState d;
        d.node = q->value(0).toString();
        d.namespaceName = q->value(1).toString();
        d.name = q->value(2).toString();
        fromDoc(d, q->value(3).toByteArray());
        m_devices.insert(key(d.node, d.id()), d);
    }
    m_db = db;
    return {};
}

Status DeviceStore::persist(const DeviceState &d)
{
    if (!m_db)
        return {};
    auto q = m_db->exec(QStringLiteral("INSERT INTO twin_devices (node, id, namespace, name, doc) VALUES (?, ?, ?, ?, ?) "
                                       "ON CONFLICT (node, id) DO UPDATE SET doc = excluded.doc"),
                        {d.node, d.id(), d.namespaceName, d.name, QString::fromUtf8(toDoc(d))});
    return q ? Status() : Status(q.error());
}

QList<DeviceState> DeviceStore::list(const QString &node) const
{
    QList<DeviceState> out;
    for (const DeviceState &d : m_devices)
        if (d.node == node)
            out.append(d);
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.id() < b.id(); });
    return out;
}

std::optional<DeviceState> DeviceStore::get(const QString &node, const QString &namespaceName,
                                            const QString &name) const
{
    auto it = m_devices.constFind(key(node, namespaceName + QLatin1Char('/') + name));
    if (it == m_devices.cend())
        return std::nullopt;
    return *it;
}

Result<DeviceState> DeviceStore::put(const QString &node, const QString &namespaceName, const QString &name,
                                     const QJsonObject &body)
{
    static const QRegularExpression nameRe(QStringLiteral("^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$"));
    if (!nameRe.match(namespaceName).hasMatch() || !nameRe.match(name).hasMatch())
        return invalid(QStringLiteral("namespace and name must be DNS labels (lower case, digits, '-', '.')"));
    for (const char *field : {"desired", "types", "attributes"}) {
        const QJsonValue v = body.value(QLatin1String(field));
        if (!v.isUndefined() && !v.isNull() && !v.isObject())
            return invalid(QStringLiteral("%1 must be an object").arg(QLatin1String(field)));
    }
    const QJsonObject desired = body.value(QStringLiteral("desired")).toObject();
    const QJsonObject types = body.value(QStringLiteral("types")).toObject();
    const QJsonObject attributes = body.value(QStringLiteral("attributes")).toObject();

    const QString k = key(node, namespaceName + QLatin1Char('/') + name);
    DeviceState d = m_devices.value(k);
    d.node = node;
    d.namespaceName = namespaceName;
    d.name = name;
    // Validate everything first, as the edge does: a bad request changes nothing.
    for (auto it = types.begin(); it != types.end(); ++it) {
        if (!twin::validKey(it.key()))
            return invalid(QStringLiteral("twin key \"%1\" is not allowed").arg(it.key().left(130)));
        if (!it.value().isString() || !twin::knownType(it.value().toString()) || it.value().toString() == QLatin1String("deleted"))
            return invalid(QStringLiteral("type of %1 must be one of string, int, integer, float, boolean").arg(it.key()));
    }
    for (auto it = desired.begin(); it != desired.end(); ++it) {
        if (!twin::validKey(it.key()))
            return invalid(QStringLiteral("twin key \"%1\" is not allowed (1-128 characters of a-z A-Z 0-9 - _ . , : / @ #)")
                               .arg(it.key().left(130)));
        if (!it.value().isString())
            return invalid(QStringLiteral("desired %1 must be a string").arg(it.key()));
        if (!twin::validValue(it.value().toString()))
            return invalid(QStringLiteral("desired %1 is not allowed (1-512 characters of a-z A-Z 0-9 - _ . , : / @ #)")
                               .arg(it.key()));
        const QString type = types.value(it.key()).toString(d.twins.value(it.key()).type);
        if (Status s = twin::checkType(type, it.value().toString()); !s)
            return invalid(QStringLiteral("desired %1: %2").arg(it.key(), s.errorMessage()));
    }
    for (auto it = attributes.begin(); it != attributes.end(); ++it)
        if (!twin::validKey(it.key()) || !it.value().isString())
            return invalid(QStringLiteral("attribute %1 must be a valid key with a string value").arg(it.key().left(130)));

    QJsonObject changed;
    for (auto it = types.begin(); it != types.end(); ++it)
        d.twins[it.key()].type = it.value().toString();
    for (auto it = desired.begin(); it != desired.end(); ++it) {
        TwinState &t = d.twins[it.key()];
        const QString value = it.value().toString();
        if (t.hasDesired && t.desired == value)
            continue;
        t.hasDesired = true;
        t.desired = value;
        ++t.desiredVersion;
        t.desiredTime = nowIso();
        changed.insert(it.key(), value);
    }
    for (auto it = attributes.begin(); it != attributes.end(); ++it)
        d.attributes.insert(it.key(), {it.value().toString(), QStringLiteral("string")});
    if (Status s = persist(d); !s)
        return s.error();
    m_devices.insert(k, d);
    if (!changed.isEmpty())
        emit twinDesired(node, d.id(), changed);
    return d;
}

Result<bool> DeviceStore::remove(const QString &node, const QString &namespaceName, const QString &name)
{
    const QString id = namespaceName + QLatin1Char('/') + name;
    if (!m_devices.contains(key(node, id)))
        return false;
    if (m_db) {
        auto q = m_db->exec(QStringLiteral("DELETE FROM twin_devices WHERE node = ? AND id = ?"), {node, id});
        if (!q)
            return q.error();
    }
    m_devices.remove(key(node, id));
    return true;
}

bool DeviceStore::isDeviceUpstream(const Message &m)
{
    QString id, suffix;
    return m.source() == QLatin1String("twin") && parseDeviceResource(m.resource(), &id, &suffix)
           && (suffix == QLatin1String("twin/edge_updated") || suffix == QLatin1String("state/update"));
}

Result<Message> DeviceStore::handleUpstream(const QString &node, const Message &m)
{
    QString id, suffix;
    if (!parseDeviceResource(m.resource(), &id, &suffix))
        return Error{QStringLiteral("bad_request"), QStringLiteral("not a device resource: %1").arg(m.resource())};
    const int slash = id.indexOf(QLatin1Char('/'));
    const QString k = key(node, id);
    DeviceState d = m_devices.value(k);
    d.node = node;
    d.namespaceName = id.left(slash);
    d.name = id.mid(slash + 1);

    QJsonObject content = m.content().toObject();
    if (m.content().isString())
        content = QJsonDocument::fromJson(m.contentText().toUtf8()).object();
    QJsonObject reported;
    bool stateChanged = false;
    if (suffix == QLatin1String("state/update")) {
        const QJsonObject dev = content.value(QStringLiteral("device")).toObject();
        const QString state = dev.value(QStringLiteral("state")).toString();
        const QString last = dev.value(QStringLiteral("lastOnlineTime")).toString();
        stateChanged = state != d.state || last != d.lastOnline;
        d.state = state;
        d.lastOnline = last;
    } else {
        const QJsonObject twins = content.value(QStringLiteral("twin")).toObject();
        for (auto it = twins.begin(); it != twins.end(); ++it) {
            const QJsonObject t = it.value().toObject();
            TwinState &s = d.twins[it.key()];
            const QString type = t.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("type")).toString();
            if (type == QLatin1String("deleted")) {
                d.twins.remove(it.key());
                continue;
            }
            if (!type.isEmpty())
                s.type = type;
            const QJsonObject actual = t.value(QStringLiteral("actual")).toObject();
            const qint64 actualEdge = t.value(QStringLiteral("actual_version")).toObject().value(QStringLiteral("edge")).toInteger();
            if (actual.contains(QStringLiteral("value")) && (!s.hasReported || actualEdge > s.reportedVersion)) {
                s.hasReported = true;
                s.reported = actual.value(QStringLiteral("value")).toString();
                s.reportedVersion = actualEdge;
                s.reportedTime = isoFromMs(actual.value(QStringLiteral("metadata")).toObject()
                                               .value(QStringLiteral("timestamp")).toString());
                reported.insert(it.key(), s.reported);
            }
            // The edge changed the expected value itself (§9.5): the cloud follows, and its next
            // desired value carries the edge's counter so the edge accepts it.
            const QJsonObject expected = t.value(QStringLiteral("expected")).toObject();
            const QJsonObject ev = t.value(QStringLiteral("expected_version")).toObject();
            const qint64 expectedEdge = ev.value(QStringLiteral("edge")).toInteger();
            if (expected.contains(QStringLiteral("value")) && expectedEdge > s.desiredEdgeVersion) {
                s.desiredEdgeVersion = expectedEdge;
                s.hasDesired = true;
                s.desired = expected.value(QStringLiteral("value")).toString();
                s.desiredVersion = qMax(s.desiredVersion, ev.value(QStringLiteral("cloud")).toInteger());
                s.desiredTime = nowIso();
            }
        }
    }
    if (Status s = persist(d); !s)
        return s.error(); // not confirmed: the edge sends it again
    m_devices.insert(k, d);
    if (!reported.isEmpty())
        emit twinReported(node, id, reported);
    if (stateChanged)
        emit deviceState(node, id, d.state, d.lastOnline);

    Message ack = Message::create(QStringLiteral("devicecontroller"), QStringLiteral("twin"), op::Response,
                                  QStringLiteral("twin"));
    ack.setParentId(m.id());
    ack.setContentString(QStringLiteral("OK"));
    return ack;
}

} // namespace qedge::cloud
