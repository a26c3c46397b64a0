#pragma once

#include <QByteArray>
#include <QDebug>
#include <QJsonValue>
#include <QMetaType>
#include <QString>

namespace qedge {

/// Header of a beehive message (KubeEdge model.MessageHeader).
struct MessageHeader
{
    QString id;              ///< msg_id: random v4 UUID, lower case
    QString parentId;        ///< parent_msg_id: the message this one answers
    qint64 timestamp = 0;    ///< milliseconds since the Unix epoch
    QString resourceVersion; ///< decimal string, empty when not an object change
    bool sync = false;       ///< in-process only, never true on the wire
    QString type;            ///< beehive context type, normally empty

    bool operator==(const MessageHeader &o) const;
};

/// Route of a beehive message (KubeEdge model.MessageRoute).
struct MessageRoute
{
    QString source;
    QString destination;
    QString group;
    QString operation;
    QString resource;

    bool operator==(const MessageRoute &o) const;
};

/// Well-known operation names (PROTOCOL.md, reference §1.2).
namespace op {
inline const QString Insert = QStringLiteral("insert");
inline const QString Update = QStringLiteral("update");
inline const QString Delete = QStringLiteral("delete");
inline const QString Query = QStringLiteral("query");
inline const QString Response = QStringLiteral("response");
inline const QString Error = QStringLiteral("error");
inline const QString Upload = QStringLiteral("upload");
inline const QString Keepalive = QStringLiteral("keepalive");
inline const QString Ping = QStringLiteral("ping");
inline const QString Pong = QStringLiteral("pong");
inline const QString Config = QStringLiteral("config");
} // namespace op

/// A message between modules and across the cloud-edge link. A value type: copy freely.
/// The content is kept as raw JSON text so that it travels byte for byte from decode to encode.
class Message
{
public:
    Message();

    /// A new message with a fresh id and the current time.
    static Message create(const QString &source, const QString &group, const QString &operation,
                          const QString &resource, const QByteArray &rawContent = "null");
    /// KubeEdge NewRespByMessage: new id, parent = m.id, source/group/resource/type copied, op response.
    static Message responseTo(const Message &m, const QJsonValue &content);
    /// KubeEdge NewErrorMessage (HEAD): op error, parent = m.id, content = the error text.
    static Message errorFor(const Message &m, const QString &errorText);

    /// A copy with a new id and timestamp (beehive Clone/UpdateID).
    Message cloneWithNewId() const;

    static QString newId();
    static qint64 nowMs();

    MessageHeader &header() { return m_header; }
    const MessageHeader &header() const { return m_header; }
    MessageRoute &route() { return m_route; }
    const MessageRoute &route() const { return m_route; }

    QString id() const { return m_header.id; }
    QString parentId() const { return m_header.parentId; }
    QString source() const { return m_route.source; }
    QString group() const { return m_route.group; }
    QString operation() const { return m_route.operation; }
    QString resource() const { return m_route.resource; }
    QString resourceVersion() const { return m_header.resourceVersion; }

    Message &setParentId(const QString &v) { m_header.parentId = v; return *this; }
    Message &setResourceVersion(const QString &v) { m_header.resourceVersion = v; return *this; }
    Message &setResource(const QString &v) { m_route.resource = v; return *this; }
    Message &setSource(const QString &v) { m_route.source = v; return *this; }
    Message &setGroup(const QString &v) { m_route.group = v; return *this; }
    Message &setOperation(const QString &v) { m_route.operation = v; return *this; }

    /// Raw JSON text of the content ("null" when empty).
    const QByteArray &rawContent() const { return m_content; }
    /// Sets raw JSON text; the caller guarantees it is one valid JSON value.
    Message &setRawContent(const QByteArray &json);
    /// Sets the content from a JSON value (object, array, string, number, bool, null).
    Message &setContent(const QJsonValue &value);
    /// Sets the content to a JSON string.
    Message &setContentString(const QString &text);

    /// The content parsed as JSON (Undefined when it is not valid JSON).
    QJsonValue content() const;
    /// The content as text: a JSON string unquoted, anything else as its raw JSON.
    QString contentText() const;
    /// Content bytes as KubeEdge's GetContentData: string content as its bytes, else the raw JSON.
    QByteArray contentData() const;

    bool operator==(const Message &o) const;
    bool operator!=(const Message &o) const { return !(*this == o); }

private:
    MessageHeader m_header;
    MessageRoute m_route;
    QByteArray m_content;
};

QDebug operator<<(QDebug dbg, const Message &m);

} // namespace qedge

Q_DECLARE_METATYPE(qedge::Message)
