#include "edgehub/devicetwin.h"

#include "edgehub/eventbus.h"
#include "edgehub/metamanager.h"
#include "edgehub/router.h"
#include "shared/messagebus.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace qedge {

Q_LOGGING_CATEGORY(lcEdgeTwin, "qedge.edgehub.twin")

namespace {
const QString TwinSource = QStringLiteral("twin");

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QJsonObject base(const QString &eventId)
{
    return {{QStringLiteral("event_id"), eventId}, {QStringLiteral("timestamp"), now()}};
}

/// Content that may be an object, a JSON text in a string, or base64 of JSON (Go []byte).
QJsonObject objectContent(const Message &m)
{
    const QJsonValue v = m.content();
    if (v.isObject())
        return v.toObject();
    if (!v.isString())
        return {};
    const QByteArray text = v.toString().toUtf8();
    QJsonDocument doc = QJsonDocument::fromJson(text);
    if (doc.isObject())
        return doc.object();
    doc = QJsonDocument::fromJson(QByteArray::fromBase64(text));
    return doc.object();
}

QString splitName(const QString &id)
{
    const int slash = id.indexOf(QLatin1Char('/'));
    return slash < 0 ? id : id.mid(slash + 1);
}
} // namespace

DeviceTwin::DeviceTwin(QSqlDatabase db, const Settings &settings, QObject *parent)
    : Module(edge::TwinModule, edge::TwinGroup, parent), m_db(db), m_settings(settings), m_store(db)
{
}

Status DeviceTwin::open()
{
    if (Status s = m_store.open(); !s)
        return s;
    auto all = m_store.loadAll();
    if (!all)
        return all.error();
    m_devices.clear();
    for (const twin::Device &d : all.value())
        m_devices.insert(d.id, d);
    return {};
}

QList<twin::Device> DeviceTwin::devices() const
{
    QList<twin::Device> out = m_devices.values();
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.id < b.id; });
    return out;
}

std::optional<twin::Device> DeviceTwin::device(const QString &id) const
{
    auto it = m_devices.constFind(id);
    if (it == m_devices.cend())
        return std::nullopt;
    return *it;
}

void DeviceTwin::start()
{
    m_resendTimer.setInterval(qMax(100, m_settings.confirmResendMs / 4));
    connect(&m_resendTimer, &QTimer::timeout, this, &DeviceTwin::resendUnconfirmed);
    m_resendTimer.start();
}

void DeviceTwin::cleanup()
{
    m_resendTimer.stop();
}

std::optional<Message> DeviceTwin::fromMetaChange(const ResourceChange &change)
{
    if (change.resource.type != QLatin1String("device"))
        return std::nullopt;
    const bool removed = change.operation == QLatin1String("delete");
    Message m = Message::create(edge::MetaModule, QStringLiteral("resource"), removed ? op::Delete : op::Update,
                                change.resource.key);
    m.setResourceVersion(change.resource.resourceVersion);
    if (!change.resource.value.isEmpty() && !removed)
        m.setRawContent(change.resource.value);
    return m;
}

void DeviceTwin::handleMessage(const Message &m)
{
    if (m.resource() == edge::ConnectionResource) {
        m_connected = m.contentText() == edge::CloudConnected;
        if (m_connected)
            QTimer::singleShot(0, this, &DeviceTwin::resendUnconfirmed);
        return;
    }
    if (m.source() == QLatin1String("bus")) {
        const QString topic = EventBus::topicFromResource(m.resource());
        if (topic.isEmpty()) {
            qCDebug(lcEdgeTwin) << "message from the bus without a topic resource:" << m;
            return;
        }
        onMqtt(topic, m.contentText());
        return;
    }
    if (!m.parentId().isEmpty()) {
        // The cloud's confirmation of a report (§9.6).
        if (m_unconfirmed.remove(m.parentId()) == 0)
            qCDebug(lcEdgeTwin) << "confirmation of an unknown report:" << m.parentId();
        return;
    }
    const QString resource = m.resource();
    if (m.group() == QLatin1String("resource") || m.source() == edge::MetaModule) {
        onDeviceObject(m);
        return;
    }
    if (resource.contains(QLatin1String("membership/detail")) || resource.contains(QLatin1String("membership"))) {
        onMembership(objectContent(m));
        return;
    }
    if (resource.startsWith(QLatin1String("device/")) && resource.endsWith(QLatin1String("/twin/cloud_updated"))) {
        const QString id = resource.mid(7, resource.size() - 7 - int(qstrlen("/twin/cloud_updated")));
        onCloudTwin(id, objectContent(m));
        return;
    }
    qCDebug(lcEdgeTwin) << "unhandled message:" << m;
}

void DeviceTwin::onMqtt(const QString &topic, const QString &payload)
{
    const twin::Topic t = twin::parseTopic(topic);
    if (t.kind == twin::Topic::Invalid) {
        qCDebug(lcEdgeTwin).noquote() << "ignoring MQTT topic" << topic;
        return;
    }
    const QString resultTopic = topic + QStringLiteral("/result");
    const QByteArray bytes = payload.toUtf8();
    if (bytes.size() > m_settings.maxPayloadBytes) {
        publish(resultTopic, twin::errorPayload({}, twin::BadRequest,
                                                QStringLiteral("payload of %1 bytes is over the limit of %2")
                                                    .arg(bytes.size())
                                                    .arg(m_settings.maxPayloadBytes),
                                                now()));
        return;
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
    if (!doc.isObject()) {
        publish(resultTopic, twin::errorPayload({}, twin::BadRequest,
                                                err.error != QJsonParseError::NoError
                                                    ? QStringLiteral("payload is not JSON: %1").arg(err.errorString())
                                                    : QStringLiteral("payload is not a JSON object"),
                                                now()));
        return;
    }
    const QJsonObject req = doc.object();
    switch (t.kind) {
    case twin::Topic::TwinUpdate:
        twinUpdate(t.deviceId, req);
        break;
    case twin::Topic::TwinGet:
        twinGet(t.deviceId, req);
        break;
    case twin::Topic::StateUpdate:
        stateUpdate(t.deviceId, req);
        break;
    case twin::Topic::MembershipGet:
        membershipGet(t.node, req);
        break;
    case twin::Topic::Invalid:
        break;
    }
}

void DeviceTwin::twinUpdate(const QString &id, const QJsonObject &req)
{
    const QString eventId = req.value(QStringLiteral("event_id")).toString();
    const QString resultTopic = twin::deviceTopic(id, QStringLiteral("twin/update/result"));
    auto it = m_devices.find(id);
    if (it == m_devices.end()) {
        publish(resultTopic, twin::errorPayload(eventId, twin::NotFound,
                                                QStringLiteral("device %1 is not a member of this node").arg(id),
                                                now()));
        return;
    }
    const QJsonValue twins = req.value(QStringLiteral("twin"));
    if (!twins.isObject()) {
        publish(resultTopic, twin::errorPayload(eventId, twin::BadRequest,
                                                QStringLiteral("twin must be an object of key: twin"), now()));
        return;
    }
    twin::Device next = *it;
    auto outcome = twin::applyTwins(next, twins.toObject(), twin::Origin::Mapper, now());
    if (!outcome) {
        publish(resultTopic, twin::errorPayload(eventId, outcome.error().code.toInt(), outcome.errorMessage(), now()));
        return;
    }
    if (!outcome->changed.isEmpty() && !store(next)) {
        publish(resultTopic, twin::errorPayload(eventId, twin::InternalError,
                                                QStringLiteral("the twin could not be stored"), now()));
        return;
    }
    *it = next;
    QJsonObject result = base(eventId);
    result.insert(QStringLiteral("twin"), outcome->result);
    publish(resultTopic, result);
    if (outcome->changed.isEmpty())
        return;
    QJsonObject document = base(eventId);
    document.insert(QStringLiteral("twin"), outcome->document);
    publish(twin::deviceTopic(id, QStringLiteral("twin/update/document")), document);
    publishDelta(next, eventId);
    reportTwin(id, outcome->changed);
    emit deviceChanged(id);
}

void DeviceTwin::twinGet(const QString &id, const QJsonObject &req)
{
    const QString eventId = req.value(QStringLiteral("event_id")).toString();
    const QString topic = twin::deviceTopic(id, QStringLiteral("twin/get/result"));
    auto it = m_devices.constFind(id);
    if (it == m_devices.cend()) {
        publish(topic, twin::errorPayload(eventId, twin::NotFound,
                                          QStringLiteral("device %1 is not a member of this node").arg(id), now()));
        return;
    }
    QJsonObject result = base(eventId);
    result.insert(QStringLiteral("twin"), it->liveTwins());
    publish(topic, result);
}

void DeviceTwin::stateUpdate(const QString &id, const QJsonObject &req)
{
    const QString eventId = req.value(QStringLiteral("event_id")).toString();
    const QString topic = twin::deviceTopic(id, QStringLiteral("state/update/result"));
    auto it = m_devices.find(id);
    if (it == m_devices.end()) {
        publish(topic, twin::errorPayload(eventId, twin::NotFound,
                                          QStringLiteral("device %1 is not a member of this node").arg(id), now()));
        return;
    }
    const QString state = req.value(QStringLiteral("state")).toString();
    if (!twin::validState(state)) {
        publish(topic, twin::errorPayload(eventId, twin::BadRequest,
                                          QStringLiteral("state \"%1\" is not one of online, offline, ok, unknown, "
                                                         "unhealthy")
                                              .arg(state.left(64)),
                                          now()));
        return;
    }
    twin::Device next = *it;
    next.state = state;
    next.lastOnline = twin::lastOnlineNow();
    if (!store(next)) {
        publish(topic, twin::errorPayload(eventId, twin::InternalError,
                                          QStringLiteral("the state could not be stored"), now()));
        return;
    }
    *it = next;
    QJsonObject result = base(eventId);
    result.insert(QStringLiteral("device"), QJsonObject{{QStringLiteral("name"), next.name},
                                                        {QStringLiteral("state"), next.state},
                                                        {QStringLiteral("lastOnlineTime"), next.lastOnline}});
    publish(topic, result);
    // §9.6: the cloud gets the same document as a JSON string.
    Message up = Message::create(TwinSource, QStringLiteral("resource"), op::Update,
                                 QStringLiteral("device/") + id + QStringLiteral("/state/update"));
    up.setContentString(QString::fromUtf8(QJsonDocument(result).toJson(QJsonDocument::Compact)));
    reportToCloud(up);
    emit deviceChanged(id);
}

void DeviceTwin::membershipGet(const QString &node, const QJsonObject &req)
{
    QJsonArray list;
    for (const twin::Device &d : devices())
        list.append(d.toJson());
    QJsonObject result = base(req.value(QStringLiteral("event_id")).toString());
    result.insert(QStringLiteral("devices"), list);
    publish(twin::nodeTopic(node, QStringLiteral("membership/get/result")), result);
}

bool DeviceTwin::applyFromCloud(twin::Device &d, const QJsonObject &twins, const QString &eventId)
{
    auto outcome = twin::applyTwins(d, twins, twin::Origin::Cloud, now());
    if (!outcome) {
        qCWarning(lcEdgeTwin).noquote() << "desired twins of" << d.id << "refused:" << outcome.errorMessage();
        return false;
    }
    if (!outcome->rejected.isEmpty()) {
        // §9.5 SyncResult: tell the cloud what the edge holds for the keys it may not overwrite.
        QJsonObject current;
        for (const QString &k : std::as_const(outcome->rejected))
            current.insert(k, d.twins.value(k));
        qCInfo(lcEdgeTwin).noquote() << "version conflict on" << d.id << outcome->rejected.join(QLatin1Char(','))
                                     << "- the edge's values are reported back";
        reportTwin(d.id, current);
    }
    if (outcome->changed.isEmpty())
        return true;
    QJsonObject document = base(eventId);
    document.insert(QStringLiteral("twin"), outcome->document);
    publish(twin::deviceTopic(d.id, QStringLiteral("twin/update/document")), document);
    if (outcome->expectedChanged)
        publishDelta(d, eventId);
    return true;
}

void DeviceTwin::onMembership(const QJsonObject &content)
{
    const QString eventId = content.value(QStringLiteral("event_id")).toString();
    QJsonArray added, removed;
    for (const QJsonValue &v : content.value(QStringLiteral("added_devices")).toArray()) {
        const QJsonObject o = v.toObject();
        QString id = o.value(QStringLiteral("id")).toString();
        if (id.isEmpty())
            continue;
        twin::Device d = m_devices.value(id);
        const bool isNew = d.id.isEmpty();
        d.id = id;
        d.name = o.value(QStringLiteral("name")).toString(splitName(id));
        d.description = o.value(QStringLiteral("description")).toString(d.description);
        if (o.contains(QStringLiteral("state")))
            d.state = o.value(QStringLiteral("state")).toString();
        if (o.contains(QStringLiteral("attributes")))
            d.attributes = o.value(QStringLiteral("attributes")).toObject();
        applyFromCloud(d, o.value(QStringLiteral("twin")).toObject(), eventId);
        if (!store(d))
            continue;
        m_devices.insert(id, d);
        if (isNew)
            added.append(d.toJson());
        emit deviceChanged(id);
    }
    for (const QJsonValue &v : content.value(QStringLiteral("removed_devices")).toArray()) {
        const QString id = v.toObject().value(QStringLiteral("id")).toString();
        if (!m_devices.contains(id))
            continue;
        removed.append(m_devices.value(id).toJson());
        removeDevice(id);
    }
    if (added.isEmpty() && removed.isEmpty())
        return;
    QJsonObject msg = base(eventId);
    msg.insert(QStringLiteral("added_devices"), added);
    msg.insert(QStringLiteral("removed_devices"), removed);
    publish(twin::nodeTopic(m_settings.nodeId, QStringLiteral("membership/updated")), msg);
}

void DeviceTwin::onDeviceObject(const Message &m)
{
    const QStringList parts = m.resource().split(QLatin1Char('/'));
    if (parts.size() < 3 || parts[1] != QLatin1String("device"))
        return;
    const QString id = parts[0] + QLatin1Char('/') + parts.mid(2).join(QLatin1Char('/'));
    if (m.operation() == op::Delete) {
        if (!m_devices.contains(id))
            return;
        QJsonObject msg = base(m.id());
        msg.insert(QStringLiteral("added_devices"), QJsonArray());
        msg.insert(QStringLiteral("removed_devices"), QJsonArray{m_devices.value(id).toJson()});
        removeDevice(id);
        publish(twin::nodeTopic(m_settings.nodeId, QStringLiteral("membership/updated")), msg);
        return;
    }
    const QJsonObject object = m.content().toObject();
    const QJsonObject spec = object.value(QStringLiteral("spec")).toObject();
    const qint64 rv = object.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("resourceVersion"))
                          .toString(m.resourceVersion()).toLongLong();
    twin::Device d = m_devices.value(id);
    const bool isNew = d.id.isEmpty();
    d.id = id;
    d.name = parts.mid(2).join(QLatin1Char('/'));
    d.description = spec.value(QStringLiteral("description")).toString(d.description);
    if (isNew)
        d.state = QStringLiteral("unknown");
    // QEdge's extension: attributes as {name: {value, type}}; a KubeEdge edge ignores the field.
    const QJsonObject attrs = spec.value(QStringLiteral("attributes")).toObject();
    if (!attrs.isEmpty()) {
        QJsonObject mapped;
        for (auto it = attrs.begin(); it != attrs.end(); ++it) {
            const QJsonObject a = it.value().toObject();
            mapped.insert(it.key(), QJsonObject{{QStringLiteral("value"), a.value(QStringLiteral("value")).toString()},
                                                {QStringLiteral("metadata"),
                                                 QJsonObject{{QStringLiteral("type"),
                                                              a.value(QStringLiteral("type")).toString(
                                                                  QStringLiteral("string"))}}}});
        }
        d.attributes = mapped;
    }
    // v1beta1 spec.properties[].desired {value, metadata}; versions ride in the metadata strings.
    QJsonObject twins;
    for (const QJsonValue &pv : spec.value(QStringLiteral("properties")).toArray()) {
        const QJsonObject p = pv.toObject();
        const QString key = p.value(QStringLiteral("name")).toString();
        const QJsonObject desired = p.value(QStringLiteral("desired")).toObject();
        if (key.isEmpty() || !desired.contains(QStringLiteral("value")))
            continue;
        const QJsonObject meta = desired.value(QStringLiteral("metadata")).toObject();
        const qint64 cloudVersion = meta.value(QStringLiteral("cloudVersion")).toString().toLongLong();
        const qint64 edgeVersion = meta.value(QStringLiteral("edgeVersion")).toString().toLongLong();
        twins.insert(key, QJsonObject{
            {QStringLiteral("expected"), QJsonObject{{QStringLiteral("value"), desired.value(QStringLiteral("value"))}}},
            {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("type"),
                                                      meta.value(QStringLiteral("type")).toString(QStringLiteral("string"))}}},
            {QStringLiteral("expected_version"), QJsonObject{{QStringLiteral("cloud"), cloudVersion > 0 ? cloudVersion : rv},
                                                             {QStringLiteral("edge"), edgeVersion}}}});
    }
    applyFromCloud(d, twins, m.id());
    if (!store(d))
        return;
    m_devices.insert(id, d);
    if (isNew) {
        QJsonObject msg = base(m.id());
        msg.insert(QStringLiteral("added_devices"), QJsonArray{d.toJson()});
        msg.insert(QStringLiteral("removed_devices"), QJsonArray());
        publish(twin::nodeTopic(m_settings.nodeId, QStringLiteral("membership/updated")), msg);
    }
    emit deviceChanged(id);
}

void DeviceTwin::onCloudTwin(const QString &id, const QJsonObject &content)
{
    auto it = m_devices.find(id);
    if (it == m_devices.end()) {
        qCDebug(lcEdgeTwin).noquote() << "cloud twin update for unknown device" << id;
        return;
    }
    twin::Device d = *it;
    if (applyFromCloud(d, content.value(QStringLiteral("twin")).toObject(),
                       content.value(QStringLiteral("event_id")).toString())
        && store(d)) {
        *it = d;
        emit deviceChanged(id);
    }
}

bool DeviceTwin::store(const twin::Device &d)
{
    if (Status s = m_store.save(d); !s) {
        qCWarning(lcEdgeTwin).noquote() << "cannot store device" << d.id << ":" << s.errorMessage();
        return false;
    }
    return true;
}

void DeviceTwin::removeDevice(const QString &id)
{
    if (Status s = m_store.remove(id); !s) {
        qCWarning(lcEdgeTwin).noquote() << "cannot remove device" << id << ":" << s.errorMessage();
        return;
    }
    m_devices.remove(id);
    emit deviceChanged(id);
}

void DeviceTwin::publish(const QString &topic, const QJsonObject &payload)
{
    MessageBus *b = bus();
    if (!b)
        return;
    Message m = Message::create(TwinSource, QStringLiteral("user"), QStringLiteral("publish"), topic);
    m.setContentString(QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact)));
    if (!b->send(edge::EventBusModule, m))
        qCDebug(lcEdgeTwin).noquote() << "no eventbus; not published:" << topic;
}

void DeviceTwin::publishDelta(const twin::Device &d, const QString &eventId)
{
    const QJsonObject delta = d.delta();
    if (delta.isEmpty())
        return;
    QJsonObject msg = base(eventId);
    msg.insert(QStringLiteral("twin"), d.liveTwins());
    msg.insert(QStringLiteral("delta"), delta);
    publish(twin::deviceTopic(d.id, QStringLiteral("twin/update/delta")), msg);
}

void DeviceTwin::reportTwin(const QString &id, const QJsonObject &twins)
{
    Message up = Message::create(TwinSource, QStringLiteral("resource"), op::Update,
                                 QStringLiteral("device/") + id + QStringLiteral("/twin/edge_updated"));
    QJsonObject content = base(Message::newId());
    content.insert(QStringLiteral("twin"), twins);
    up.setContent(content);
    reportToCloud(up);
}

void DeviceTwin::reportToCloud(Message m)
{
    m_unconfirmed.insert(m.id(), {m, now()});
    if (MessageBus *b = bus(); !b || !b->send(edge::LinkModule, m))
        qCDebug(lcEdgeTwin) << "no link module now; the report waits for the re-send timer:" << m.id();
}

void DeviceTwin::resendUnconfirmed()
{
    // The link keeps what it cannot write in its outbox, so re-sends only help once connected.
    if (!m_connected)
        return;
    MessageBus *b = bus();
    const qint64 t = now();
    for (auto it = m_unconfirmed.begin(); it != m_unconfirmed.end(); ++it) {
        if (t - it->sentMs < m_settings.confirmResendMs)
            continue;
        it->sentMs = t;
        if (b)
            b->send(edge::LinkModule, it->message);
    }
}

QJsonObject DeviceTwin::apiJson(const twin::Device &d)
{
    const int slash = d.id.indexOf(QLatin1Char('/'));
    QJsonObject attrs;
    for (auto it = d.attributes.begin(); it != d.attributes.end(); ++it) {
        const QJsonObject a = it.value().toObject();
        attrs.insert(it.key(), QJsonObject{{QStringLiteral("value"), a.value(QStringLiteral("value"))},
                                           {QStringLiteral("type"), a.value(QStringLiteral("metadata")).toObject()
                                                                         .value(QStringLiteral("type"))
                                                                         .toString(QStringLiteral("string"))}});
    }
    QJsonObject twins;
    const QJsonObject live = d.liveTwins();
    for (auto it = live.begin(); it != live.end(); ++it) {
        const QJsonObject t = it.value().toObject();
        QJsonObject out{{QStringLiteral("type"), t.value(QStringLiteral("metadata")).toObject()
                                                     .value(QStringLiteral("type")).toString(QStringLiteral("string"))}};
        auto side = [&](const char *part, const char *version, const char *name, const char *counter) {
            const QJsonObject p = t.value(QLatin1String(part)).toObject();
            if (!p.contains(QStringLiteral("value")))
                return;
            const qint64 ms = p.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("timestamp"))
                                  .toString().toLongLong();
            out.insert(QLatin1String(name),
                       QJsonObject{{QStringLiteral("value"), p.value(QStringLiteral("value"))},
                                   {QStringLiteral("version"),
                                    t.value(QLatin1String(version)).toObject().value(QLatin1String(counter)).toInteger()},
                                   {QStringLiteral("timestamp"),
                                    ms > 0 ? QJsonValue(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
                                                            .toString(Qt::ISODateWithMs))
                                           : QJsonValue()}});
        };
        side("expected", "expected_version", "desired", "cloud");
        side("actual", "actual_version", "reported", "edge");
        twins.insert(it.key(), out);
    }
    return {{QStringLiteral("id"), d.id},
            {QStringLiteral("namespace"), slash < 0 ? QString() : d.id.left(slash)},
            {QStringLiteral("name"), d.name},
            {QStringLiteral("state"), d.state.isEmpty() ? QJsonValue() : QJsonValue(d.state)},
            {QStringLiteral("lastOnline"), d.lastOnline.isEmpty() ? QJsonValue() : QJsonValue(d.lastOnline)},
            {QStringLiteral("attributes"), attrs},
            {QStringLiteral("twins"), twins}};
}

} // namespace qedge
