#include "gui/apitypes.h"

#include <QJsonArray>
#include <QStringList>

namespace qedge {

QDateTime parseApiTime(const QJsonValue &v)
{
    if (!v.isString())
        return {};
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(v.toString(), Qt::ISODate);
    return t.isValid() ? t.toUTC() : QDateTime();
}

qint64 apiInteger(const QJsonValue &v)
{
    if (v.isString())
        return v.toString().toLongLong();
    return v.toInteger();
}

QString humanAge(qint64 ms)
{
    if (ms < 0)
        ms = 0;
    const qint64 s = ms / 1000;
    if (s < 1)
        return QStringLiteral("%1 ms").arg(ms);
    if (s < 120)
        return QStringLiteral("%1 s").arg(s);
    if (s < 7200)
        return QStringLiteral("%1 min").arg(s / 60);
    if (s < 172800)
        return QStringLiteral("%1 h").arg(s / 3600);
    return QStringLiteral("%1 d").arg(s / 86400);
}

NodeInfo NodeInfo::fromJson(const QJsonObject &o)
{
    NodeInfo n;
    n.id = o.value(QLatin1String("id")).toString();
    n.online = o.value(QLatin1String("online")).toBool();
    n.since = parseApiTime(o.value(QLatin1String("since")));
    n.firstSeen = parseApiTime(o.value(QLatin1String("firstSeen")));
    n.lastSeen = parseApiTime(o.value(QLatin1String("lastSeen")));
    n.remoteAddress = o.value(QLatin1String("remoteAddress")).toString();
    n.queueDepth = apiInteger(o.value(QLatin1String("queueDepth")));
    n.inFlight = apiInteger(o.value(QLatin1String("inFlight")));
    n.sent = apiInteger(o.value(QLatin1String("sent")));
    n.acked = apiInteger(o.value(QLatin1String("acked")));
    n.certSerial = o.value(QLatin1String("certSerial")).toString();
    n.certExpiry = parseApiTime(o.value(QLatin1String("certExpiry")));
    const QJsonObject labels = o.value(QLatin1String("labels")).toObject();
    for (auto it = labels.begin(); it != labels.end(); ++it)
        n.labels.insert(it.key(), it.value().toString());
    return n;
}

QString NodeInfo::labelsText() const
{
    QStringList parts;
    for (auto it = labels.begin(); it != labels.end(); ++it)
        parts << it.key() + QLatin1Char('=') + it.value();
    return parts.join(QLatin1String(", "));
}

bool NodeInfo::operator==(const NodeInfo &o) const
{
    return id == o.id && online == o.online && since == o.since && firstSeen == o.firstSeen &&
           lastSeen == o.lastSeen && remoteAddress == o.remoteAddress && queueDepth == o.queueDepth &&
           inFlight == o.inFlight && sent == o.sent && acked == o.acked && certSerial == o.certSerial &&
           certExpiry == o.certExpiry && labels == o.labels;
}

QueueEntry QueueEntry::fromJson(const QJsonObject &o)
{
    QueueEntry e;
    e.uid = o.value(QLatin1String("uid")).toString();
    e.resource = o.value(QLatin1String("resource")).toString();
    e.operation = o.value(QLatin1String("operation")).toString();
    e.resourceVersion = o.value(QLatin1String("resourceVersion")).toVariant().toString();
    e.msgId = o.value(QLatin1String("msgId")).toString();
    e.attempts = int(apiInteger(o.value(QLatin1String("attempts"))));
    e.ageMs = apiInteger(o.value(QLatin1String("ageMs")));
    e.state = o.value(QLatin1String("state")).toString();
    return e;
}

QueueInfo QueueInfo::fromJson(const QJsonObject &o)
{
    QueueInfo q;
    q.depth = apiInteger(o.value(QLatin1String("depth")));
    q.inFlight = apiInteger(o.value(QLatin1String("inFlight")));
    const QJsonArray entries = o.value(QLatin1String("entries")).toArray();
    for (const QJsonValue &v : entries)
        q.entries << QueueEntry::fromJson(v.toObject());
    return q;
}

TwinValue TwinValue::fromJson(const QJsonValue &v)
{
    TwinValue t;
    if (!v.isObject())
        return t;
    const QJsonObject o = v.toObject();
    t.present = o.contains(QLatin1String("value"));
    t.value = o.value(QLatin1String("value")).toVariant().toString();
    t.version = apiInteger(o.value(QLatin1String("version")));
    t.timestamp = parseApiTime(o.value(QLatin1String("timestamp")));
    return t;
}

bool Twin::differs() const
{
    if (!desired.present)
        return false;
    return !reported.present || desired.value != reported.value;
}

DeviceInfo DeviceInfo::fromJson(const QJsonObject &o)
{
    DeviceInfo d;
    d.id = o.value(QLatin1String("id")).toString();
    d.ns = o.value(QLatin1String("namespace")).toString();
    d.name = o.value(QLatin1String("name")).toString();
    if (d.ns.isEmpty() || d.name.isEmpty()) {
        const int slash = d.id.indexOf(QLatin1Char('/'));
        d.ns = slash > 0 ? d.id.left(slash) : QStringLiteral("default");
        d.name = slash > 0 ? d.id.mid(slash + 1) : d.id;
    }
    if (d.id.isEmpty())
        d.id = d.ns + QLatin1Char('/') + d.name;
    d.state = o.value(QLatin1String("state")).toString();
    d.lastOnline = parseApiTime(o.value(QLatin1String("lastOnline")));
    d.attributes = o.value(QLatin1String("attributes")).toObject();
    const QJsonObject twins = o.value(QLatin1String("twins")).toObject();
    for (auto it = twins.begin(); it != twins.end(); ++it) {
        const QJsonObject t = it.value().toObject();
        Twin twin;
        twin.name = it.key();
        twin.type = t.value(QLatin1String("type")).toString();
        twin.desired = TwinValue::fromJson(t.value(QLatin1String("desired")));
        twin.reported = TwinValue::fromJson(t.value(QLatin1String("reported")));
        d.twins << twin;
    }
    return d;
}

HubStats HubStats::fromJson(const QJsonObject &o)
{
    HubStats s;
    s.time = parseApiTime(o.value(QLatin1String("time")));
    const QJsonObject nodes = o.value(QLatin1String("nodes")).toObject();
    s.nodesTotal = apiInteger(nodes.value(QLatin1String("total")));
    s.nodesOnline = apiInteger(nodes.value(QLatin1String("online")));
    const QJsonObject queue = o.value(QLatin1String("queue")).toObject();
    s.queueDepth = apiInteger(queue.value(QLatin1String("depth")));
    s.maxDepth = apiInteger(queue.value(QLatin1String("maxDepth")));
    s.inFlight = apiInteger(queue.value(QLatin1String("inFlight")));
    const QJsonObject msgs = o.value(QLatin1String("messages")).toObject();
    s.sent = apiInteger(msgs.value(QLatin1String("sent")));
    s.acked = apiInteger(msgs.value(QLatin1String("acked")));
    s.retries = apiInteger(msgs.value(QLatin1String("retries")));
    s.received = apiInteger(msgs.value(QLatin1String("received")));
    const QJsonObject rates = o.value(QLatin1String("rates")).toObject();
    s.sentPerSec = rates.value(QLatin1String("sentPerSec")).toDouble();
    s.ackedPerSec = rates.value(QLatin1String("ackedPerSec")).toDouble();
    s.receivedPerSec = rates.value(QLatin1String("receivedPerSec")).toDouble();
    return s;
}

HubEvent HubEvent::fromJson(const QJsonObject &o)
{
    HubEvent e;
    e.type = o.value(QLatin1String("type")).toString();
    e.time = parseApiTime(o.value(QLatin1String("time")));
    if (!e.time.isValid())
        e.time = QDateTime::currentDateTimeUtc();
    e.node = o.value(QLatin1String("node")).toString();
    e.raw = o;
    return e;
}

QString HubEvent::summary() const
{
    QStringList parts;
    for (const char *key :
         {"resource", "operation", "uid", "device", "property", "value", "state", "reason"}) {
        const QJsonValue v = raw.value(QLatin1String(key));
        if (v.isString() && !v.toString().isEmpty())
            parts << v.toString();
    }
    const QJsonValue rv = raw.value(QLatin1String("resourceVersion"));
    if (!rv.isUndefined() && !rv.isNull())
        parts << QStringLiteral("rv %1").arg(rv.toVariant().toString());
    const QJsonValue latency = raw.value(QLatin1String("latencyMs"));
    if (latency.isDouble())
        parts << QStringLiteral("in %1 ms").arg(latency.toDouble());
    return parts.join(QLatin1Char(' '));
}

EdgeStatus EdgeStatus::fromJson(const QJsonObject &o)
{
    EdgeStatus s;
    s.node = o.value(QLatin1String("node")).toString();
    s.connected = o.value(QLatin1String("connected")).toBool();
    s.hub = o.value(QLatin1String("hub")).toString();
    s.certExpiry = parseApiTime(o.value(QLatin1String("certExpiry")));
    s.outboxDepth = apiInteger(o.value(QLatin1String("outboxDepth")));
    s.counters = o.value(QLatin1String("counters")).toObject();
    return s;
}

} // namespace qedge
