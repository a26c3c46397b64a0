#include "cloudhub/upstreamrouter.h"

#include "cloudhub/dispatcher.h"
#include "cloudhub/eventlog.h"
#include "cloudhub/eventstream.h"
#include "cloudhub/hublogging.h"

#include <QDateTime>
#include <QJsonDocument>

namespace qedge::cloud {

UpstreamRouter::UpstreamRouter(Dispatcher *dispatcher, EventLog *log, EventStream *stream, QObject *parent)
    : QObject(parent), m_dispatcher(dispatcher), m_log(log), m_stream(stream)
{
}

bool UpstreamRouter::isCloudModule(const QString &source)
{
    static const QStringList names{QStringLiteral("cloudhub"), QStringLiteral("edgecontroller"),
                                   QStringLiteral("devicecontroller"), QStringLiteral("synccontroller"),
                                   QStringLiteral("cloudStream")};
    return names.contains(source);
}

void UpstreamRouter::countReceived(const QString &operation)
{
    ++m_received[operation];
    ++m_receivedTotal;
}

void UpstreamRouter::route(const QString &node, const Message &m)
{
    countReceived(m.operation());
    if (m.operation() == op::Error) {
        ++m_errors;
        qCWarning(lcHubDelivery).noquote() << "edge" << node << "reported an error for" << m.parentId() << "on"
                                           << m.resource() << ":" << m.contentText().left(500);
        return;
    }
    if (isCloudModule(m.source())) {
        ++m_droppedCloudSource;
        qCDebug(lcHubDelivery).noquote() << "dropped an upstream message from" << node << "with cloud source"
                                         << m.source();
        return;
    }
    if (m.operation() == op::Query) {
        answerQuery(node, m);
        return;
    }
    store(node, m);
}

void UpstreamRouter::answerQuery(const QString &node, const Message &m)
{
    QString resource = m.resource();
    const QString prefix = QStringLiteral("node/") + node + u'/';
    if (resource.startsWith(prefix))
        resource = resource.mid(prefix.size());
    const QStringList parts = resource.split(u'/');
    std::optional<QJsonObject> object;
    if (parts.size() == 3)
        object = m_dispatcher->get(node, parts.at(0), parts.at(1), parts.at(2));
    if (!object) {
        ++m_queriesFailed;
        // KubeEdge answers a failed query with the error as content; such responses need no ack.
        Message reply = Message::responseTo(m, QJsonValue(QStringLiteral("%1 not found").arg(resource)));
        reply.setSource(QStringLiteral("edgecontroller")).setGroup(QStringLiteral("resource")).setResource(resource);
        m_dispatcher->sendNoAck(node, reply);
        return;
    }
    ++m_queriesAnswered;
    Message query = m;
    query.setResource(resource);
    const quint64 rv = object->value(QStringLiteral("metadata"))
                           .toObject()
                           .value(QStringLiteral("resourceVersion"))
                           .toString()
                           .toULongLong();
    m_dispatcher->respond(node, query, QJsonDocument(*object).toJson(QJsonDocument::Compact), rv);
}

void UpstreamRouter::store(const QString &node, const Message &m)
{
    ++m_stored;
    const QString resource = QStringLiteral("node/") + node + u'/' + m.resource();
    const QDateTime time =
        m.header().timestamp > 0 ? QDateTime::fromMSecsSinceEpoch(m.header().timestamp, Qt::UTC)
                                 : QDateTime::currentDateTimeUtc();
    if (m_log)
        m_log->append(EventLog::Event{node, time, m.operation(), resource, m.rawContent()});
    if (m_stream && m_stream->hasClients()) {
        m_stream->publish(QJsonObject{{QStringLiteral("type"), QStringLiteral("upstream")},
                                      {QStringLiteral("node"), node},
                                      {QStringLiteral("msgId"), m.id()},
                                      {QStringLiteral("source"), m.source()},
                                      {QStringLiteral("group"), m.group()},
                                      {QStringLiteral("operation"), m.operation()},
                                      {QStringLiteral("resource"), resource},
                                      {QStringLiteral("content"), m.content()}});
    }
}

} // namespace qedge::cloud
