#include "edgehub/twinmodel.h"

#include <QDateTime>
#include <QJsonArray>
#include <QRegularExpression>

#include <vector>

namespace qedge::twin {

namespace {
const QLatin1String Expected("expected");
const QLatin1String Actual("actual");
const QLatin1String Metadata("metadata");
const QLatin1String Type("type");
const QLatin1String Value("value");
const QLatin1String Deleted("deleted");
const QLatin1String ExpectedVersion("expected_version");
const QLatin1String ActualVersion("actual_version");

Error fail(int code, const QString &reason)
{
    return Error{QString::number(code), reason};
}

QString typeOf(const QJsonObject &twin)
{
    return twin.value(Metadata).toObject().value(Type).toString();
}

bool isDeleted(const QJsonObject &twin)
{
    return typeOf(twin) == Deleted;
}

struct Version
{
    qint64 cloud = 0, edge = 0;
    static Version of(const QJsonValue &v)
    {
        const QJsonObject o = v.toObject();
        return {o.value(QLatin1String("cloud")).toInteger(), o.value(QLatin1String("edge")).toInteger()};
    }
    QJsonObject toJson() const
    {
        return {{QLatin1String("cloud"), cloud}, {QLatin1String("edge"), edge}};
    }
};

/// One key of a request, validated.
struct Planned
{
    QString key;
    bool remove = false;
    QString type;
    bool setType = false;
    bool hasExpected = false, hasActual = false;
    QString expected, actual;
    QJsonValue expectedVersion, actualVersion;
    QJsonValue optional;
};

/// Reads {value: "..."} of expected/actual; false (with the error) when it is malformed.
bool readValue(const QJsonObject &twin, QLatin1String part, const QString &key, const QString &type, bool *has,
               QString *value, Error *error)
{
    const QJsonValue v = twin.value(part);
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isObject()) {
        *error = fail(BadRequest, QStringLiteral("twin %1: %2 must be an object").arg(key, part));
        return false;
    }
    const QJsonValue inner = v.toObject().value(Value);
    if (inner.isUndefined() || inner.isNull())
        return true;
    if (!inner.isString()) {
        *error = fail(BadRequest, QStringLiteral("twin %1: %2.value must be a string").arg(key, part));
        return false;
    }
    const QString text = inner.toString();
    if (!validValue(text)) {
        *error = fail(BadRequest, QStringLiteral("twin %1: %2 value is not allowed (1-512 characters of "
                                                 "a-z A-Z 0-9 - _ . , : / @ #)")
                                      .arg(key, part));
        return false;
    }
    if (Status s = checkType(type, text); !s) {
        *error = fail(BadRequest, QStringLiteral("twin %1: %2").arg(key, s.errorMessage()));
        return false;
    }
    *has = true;
    *value = text;
    return true;
}
} // namespace

bool validKey(const QString &key)
{
    static const QRegularExpression re(QStringLiteral("^[a-zA-Z0-9\\-_.,:/@#]{1,128}$"));
    return re.match(key).hasMatch();
}

bool validValue(const QString &value)
{
    static const QRegularExpression re(QStringLiteral("^[a-zA-Z0-9\\-_.,:/@#]{1,512}$"));
    return re.match(value).hasMatch();
}

Status checkType(const QString &type, const QString &value)
{
    bool ok = true;
    if (type == QLatin1String("string") || type == Deleted)
        return {};
    if (type == QLatin1String("int") || type == QLatin1String("integer"))
        value.toLongLong(&ok);
    else if (type == QLatin1String("float"))
        value.toDouble(&ok);
    else if (type == QLatin1String("boolean"))
        ok = value == QLatin1String("true") || value == QLatin1String("false");
    else
        return Status::failure(QStringLiteral("type"), QStringLiteral("value type \"%1\" is not allowed").arg(type));
    if (!ok)
        return Status::failure(QStringLiteral("type"),
                               QStringLiteral("value \"%1\" is not a valid %2").arg(value, type));
    return {};
}

bool knownType(const QString &type)
{
    static const QStringList types = {QStringLiteral("string"), QStringLiteral("int"), QStringLiteral("integer"),
                                      QStringLiteral("float"), QStringLiteral("boolean"), QStringLiteral("deleted")};
    return types.contains(type);
}

bool validState(const QString &state)
{
    static const QStringList states = {QStringLiteral("online"), QStringLiteral("offline"), QStringLiteral("ok"),
                                       QStringLiteral("unknown"), QStringLiteral("unhealthy")};
    return states.contains(state);
}

QJsonObject Device::liveTwins() const
{
    QJsonObject out;
    for (auto it = twins.begin(); it != twins.end(); ++it)
        if (!isDeleted(it.value().toObject()))
            out.insert(it.key(), it.value());
    return out;
}

QJsonObject Device::delta() const
{
    QJsonObject out;
    for (auto it = twins.begin(); it != twins.end(); ++it) {
        const QJsonObject t = it.value().toObject();
        if (isDeleted(t))
            continue;
        const QJsonValue e = t.value(Expected).toObject().value(Value);
        if (!e.isString())
            continue;
        if (t.value(Actual).toObject().value(Value) != e)
            out.insert(it.key(), e);
    }
    return out;
}

QJsonObject Device::toJson() const
{
    QJsonObject o{{QLatin1String("id"), id}, {QLatin1String("name"), name}};
    if (!description.isEmpty())
        o.insert(QLatin1String("description"), description);
    if (!state.isEmpty())
        o.insert(QLatin1String("state"), state);
    if (!lastOnline.isEmpty())
        o.insert(QLatin1String("last_online"), lastOnline);
    if (!attributes.isEmpty())
        o.insert(QLatin1String("attributes"), attributes);
    const QJsonObject live = liveTwins();
    if (!live.isEmpty())
        o.insert(QLatin1String("twin"), live);
    return o;
}

Result<TwinOutcome> applyTwins(Device &device, const QJsonObject &twins, Origin origin, qint64 nowMs)
{
    // Validate every key first: a bad request changes nothing.
    std::vector<Planned> plan;
    for (auto it = twins.begin(); it != twins.end(); ++it) {
        Planned p;
        p.key = it.key();
        if (!validKey(p.key))
            return fail(BadRequest, QStringLiteral("twin key \"%1\" is not allowed (1-128 characters of "
                                                   "a-z A-Z 0-9 - _ . , : / @ #)")
                                        .arg(p.key.left(160)));
        const QJsonValue v = it.value();
        if (v.isNull()) {
            p.remove = true;
            plan.push_back(p);
            continue;
        }
        if (!v.isObject())
            return fail(BadRequest, QStringLiteral("twin %1 must be an object").arg(p.key));
        const QJsonObject r = v.toObject();
        const QJsonObject current = device.twins.value(p.key).toObject();
        const QJsonValue meta = r.value(Metadata);
        if (!meta.isUndefined() && !meta.isNull() && !meta.isObject())
            return fail(BadRequest, QStringLiteral("twin %1: metadata must be an object").arg(p.key));
        const QJsonValue requestedType = meta.toObject().value(Type);
        if (!requestedType.isUndefined() && !requestedType.isString())
            return fail(BadRequest, QStringLiteral("twin %1: metadata.type must be a string").arg(p.key));
        p.setType = requestedType.isString();
        p.type = p.setType ? requestedType.toString()
                           : (current.isEmpty() || isDeleted(current) ? QStringLiteral("string") : typeOf(current));
        if (p.type == Deleted) {
            p.remove = true;
            plan.push_back(p);
            continue;
        }
        if (!knownType(p.type))
            return fail(BadRequest, QStringLiteral("twin %1: value type \"%2\" is not allowed").arg(p.key, p.type));
        Error e;
        if (!readValue(r, Expected, p.key, p.type, &p.hasExpected, &p.expected, &e)
            || !readValue(r, Actual, p.key, p.type, &p.hasActual, &p.actual, &e))
            return e;
        const QJsonValue opt = r.value(QLatin1String("optional"));
        if (!opt.isUndefined() && !opt.isNull() && !opt.isBool())
            return fail(BadRequest, QStringLiteral("twin %1: optional must be true or false").arg(p.key));
        p.optional = opt;
        p.expectedVersion = r.value(ExpectedVersion);
        p.actualVersion = r.value(ActualVersion);
        plan.push_back(p);
    }

    TwinOutcome out;
    const QString stamp = QString::number(nowMs);
    for (const Planned &p : plan) {
        const QJsonObject last = device.twins.value(p.key).toObject();
        const bool exists = !last.isEmpty() && !isDeleted(last);
        QJsonObject next = last;
        bool changed = false;
        if (p.remove) {
            if (!exists)
                continue;
            next.remove(Expected);
            next.remove(Actual);
            next.insert(Metadata, QJsonObject{{Type, QString(Deleted)}});
            changed = true;
        } else {
            if (origin == Origin::Cloud) {
                // §9.5 dealVersion, SyncDealType: the cloud must have seen every local change.
                bool refused = false;
                auto check = [&](bool has, const QJsonValue &req, QLatin1String field) {
                    if (!has)
                        return;
                    if (!req.isObject()) {
                        refused = true;
                        return;
                    }
                    const Version local = Version::of(last.value(field));
                    const Version want = Version::of(req);
                    if (local.cloud > want.cloud || local.edge > want.edge)
                        refused = true;
                };
                check(p.hasExpected, p.expectedVersion, ExpectedVersion);
                check(p.hasActual, p.actualVersion, ActualVersion);
                if (refused) {
                    out.rejected.append(p.key);
                    continue;
                }
                if (p.hasExpected)
                    next.insert(ExpectedVersion, Version::of(p.expectedVersion).toJson());
                if (p.hasActual)
                    next.insert(ActualVersion, Version::of(p.actualVersion).toJson());
            }
            if (!exists) {
                next.remove(Metadata);
                next.remove(Expected);
                next.remove(Actual);
                changed = true;
            }
            auto setPart = [&](bool has, const QString &value, QLatin1String part, QLatin1String versionField) {
                if (!has)
                    return false;
                if (exists && next.value(part).toObject().value(Value) == QJsonValue(value))
                    return false;
                next.insert(part, QJsonObject{{Value, value},
                                              {Metadata, QJsonObject{{QLatin1String("timestamp"), stamp}}}});
                if (origin == Origin::Mapper) {
                    Version v = Version::of(next.value(versionField));
                    ++v.edge;
                    next.insert(versionField, v.toJson());
                }
                return true;
            };
            if (setPart(p.hasExpected, p.expected, Expected, ExpectedVersion)) {
                changed = true;
                out.expectedChanged = true;
            }
            if (setPart(p.hasActual, p.actual, Actual, ActualVersion))
                changed = true;
            if (p.setType || !exists) {
                if (typeOf(next) != p.type || !exists) {
                    QJsonObject meta = next.value(Metadata).toObject();
                    meta.insert(Type, p.type);
                    next.insert(Metadata, meta);
                    changed = true;
                }
            }
            if (p.optional.isBool() && next.value(QLatin1String("optional")) != p.optional) {
                next.insert(QLatin1String("optional"), p.optional);
                changed = true;
            }
        }
        device.twins.insert(p.key, next);
        if (!p.remove)
            out.result.insert(p.key, next);
        if (changed) {
            out.changed.insert(p.key, next);
            out.document.insert(p.key, QJsonObject{{QLatin1String("last"), exists ? QJsonValue(last) : QJsonValue()},
                                                   {QLatin1String("current"),
                                                    p.remove ? QJsonValue() : QJsonValue(next)}});
        }
    }
    return out;
}

Topic parseTopic(const QString &topic)
{
    const QStringList parts = topic.split(QLatin1Char('/'));
    Topic t;
    if (parts.size() < 6 || parts[0] != QLatin1String("$hw") || parts[1] != QLatin1String("events"))
        return t;
    if (parts[2] == QLatin1String("device") && parts.size() == 7) {
        if (parts[3].isEmpty() || parts[4].isEmpty())
            return t;
        t.deviceId = parts[3] + QLatin1Char('/') + parts[4];
        const QString action = parts[5] + QLatin1Char('/') + parts[6];
        if (action == QLatin1String("twin/update"))
            t.kind = Topic::TwinUpdate;
        else if (action == QLatin1String("twin/get"))
            t.kind = Topic::TwinGet;
        else if (action == QLatin1String("state/update"))
            t.kind = Topic::StateUpdate;
        return t;
    }
    if (parts[2] == QLatin1String("node") && parts.size() == 6 && parts[4] == QLatin1String("membership")
        && parts[5] == QLatin1String("get") && !parts[3].isEmpty()) {
        t.kind = Topic::MembershipGet;
        t.node = parts[3];
    }
    return t;
}

QString deviceTopic(const QString &deviceId, const QString &suffix)
{
    return QStringLiteral("$hw/events/device/") + deviceId + QLatin1Char('/') + suffix;
}

QString nodeTopic(const QString &node, const QString &suffix)
{
    return QStringLiteral("$hw/events/node/") + node + QLatin1Char('/') + suffix;
}

QJsonObject errorPayload(const QString &eventId, int code, const QString &reason, qint64 nowMs)
{
    return {{QLatin1String("event_id"), eventId},
            {QLatin1String("timestamp"), nowMs},
            {QLatin1String("code"), code},
            {QLatin1String("reason"), reason}};
}

QString lastOnlineNow()
{
    return QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

} // namespace qedge::twin
