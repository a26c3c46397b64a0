#include "shared/message.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

namespace qedge {

bool MessageHeader::operator==(const MessageHeader &o) const
{
    return id == o.id && parentId == o.parentId && timestamp == o.timestamp
        && resourceVersion == o.resourceVersion && sync == o.sync && type == o.type;
}

bool MessageRoute::operator==(const MessageRoute &o) const
{
    return source == o.source && destination == o.destination && group == o.group
        && operation == o.operation && resource == o.resource;
}

Message::Message() : m_content(QByteArrayLiteral("null")) {}

QString Message::newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

qint64 Message::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

Message Message::create(const QString &source, const QString &group, const QString &operation,
                        const QString &resource, const QByteArray &rawContent)
{
    Message m;
    m.m_header.id = newId();
    m.m_header.timestamp = nowMs();
    m.m_route.source = source;
    m.m_route.group = group;
    m.m_route.operation = operation;
    m.m_route.resource = resource;
    m.setRawContent(rawContent);
    return m;
}

Message Message::responseTo(const Message &m, const QJsonValue &content)
{
    Message r = create(m.source(), m.group(), op::Response, m.resource());
    r.m_header.parentId = m.id();
    r.m_header.type = m.m_header.type;
    r.setContent(content);
    return r;
}

Message Message::errorFor(const Message &m, const QString &errorText)
{
    Message r = create(QString(), QString(), op::Error, m.resource());
    r.m_header.parentId = m.id();
    r.setContentString(errorText);
    return r;
}

Message Message::cloneWithNewId() const
{
    Message c = *this;
    c.m_header.id = newId();
    c.m_header.timestamp = nowMs();
    return c;
}

Message &Message::setRawContent(const QByteArray &json)
{
    m_content = json.isEmpty() ? QByteArrayLiteral("null") : json;
    return *this;
}

Message &Message::setContent(const QJsonValue &value)
{
    // QJsonDocument only wraps objects and arrays; scalars are wrapped in an array and unwrapped.
    if (value.isObject()) {
        m_content = QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    } else if (value.isArray()) {
        m_content = QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    } else if (value.isUndefined() || value.isNull()) {
        m_content = QByteArrayLiteral("null");
    } else {
        QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        m_content = wrapped.mid(1, wrapped.size() - 2);
    }
    return *this;
}

Message &Message::setContentString(const QString &text)
{
    return setContent(QJsonValue(text));
}

QJsonValue Message::content() const
{
    QByteArray wrapped;
    wrapped.reserve(m_content.size() + 2);
    wrapped.append('[').append(m_content).append(']');
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &err);
    if (err.error != QJsonParseError::NoError || !doc.isArray() || doc.array().size() != 1)
        return QJsonValue(QJsonValue::Undefined);
    return doc.array().at(0);
}

QString Message::contentText() const
{
    if (m_content.startsWith('"')) {
        const QJsonValue v = content();
        if (v.isString())
            return v.toString();
    }
    return QString::fromUtf8(m_content);
}

QByteArray Message::contentData() const
{
    if (m_content.startsWith('"')) {
        const QJsonValue v = content();
        if (v.isString())
            return v.toString().toUtf8();
    }
    return m_content;
}

bool Message::operator==(const Message &o) const
{
    return m_header == o.m_header && m_route == o.m_route && m_content == o.m_content;
}

QDebug operator<<(QDebug dbg, const Message &m)
{
    QDebugStateSaver saver(dbg);
    dbg.nospace() << "Message(" << m.id() << ' ' << m.source() << '/' << m.group() << ' '
                  << m.operation() << ' ' << m.resource();
    if (!m.parentId().isEmpty())
        dbg << " parent=" << m.parentId();
    if (!m.resourceVersion().isEmpty())
        dbg << " rv=" << m.resourceVersion();
    dbg << ' ' << m.rawContent().size() << "B)";
    return dbg;
}

} // namespace qedge
