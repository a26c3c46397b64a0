#pragma once

#include "shared/message.h"

#include <QHash>
#include <QObject>

namespace qedge::cloud {

class Dispatcher;
class EventLog;
class EventStream;

/// Upstream routing at the hub (PROTOCOL.md §5) for what the sessions hand over after keepalives and
/// acks: errors are logged and counted, a message from a cloud module name is dropped, a query for a
/// stored object is answered through the node's ack queue, and everything else is stored per node
/// and published on the admin event stream.
class UpstreamRouter : public QObject
{
    Q_OBJECT
public:
    UpstreamRouter(Dispatcher *dispatcher, EventLog *log, EventStream *stream, QObject *parent = nullptr);

    /// One upstream message of node (resource in the edge's form, without node/<id>/).
    void route(const QString &node, const Message &m);
    /// Counts a message the session handled itself (keepalive, response) as received.
    void countReceived(const QString &operation);

    /// Received messages by operation, keepalives and acks included.
    const QHash<QString, quint64> &received() const { return m_received; }
    quint64 receivedTotal() const { return m_receivedTotal; }
    quint64 errors() const { return m_errors; }
    quint64 droppedCloudSource() const { return m_droppedCloudSource; }
    quint64 queriesAnswered() const { return m_queriesAnswered; }
    quint64 queriesFailed() const { return m_queriesFailed; }
    quint64 stored() const { return m_stored; }

    /// True for source names only cloud modules use (KubeEdge drops such upstream messages).
    static bool isCloudModule(const QString &source);

private:
    void answerQuery(const QString &node, const Message &m);
    void store(const QString &node, const Message &m);

    Dispatcher *m_dispatcher;
    EventLog *m_log;
    EventStream *m_stream;
    QHash<QString, quint64> m_received;
    quint64 m_receivedTotal = 0;
    quint64 m_errors = 0;
    quint64 m_droppedCloudSource = 0;
    quint64 m_queriesAnswered = 0;
    quint64 m_queriesFailed = 0;
    quint64 m_stored = 0;
};

} // namespace qedge::cloud
