#pragma once

#include "cloudhub/nodesession.h"

#include <QHash>
#include <QObject>
#include <QTimer>

namespace qedge::cloud {

/// The live sessions, one per node: a newer connection evicts the older one, the node limit is
/// enforced here, and every session's events are re-emitted with the node name for the hub's parts
/// (delivery: upstream/ackReceived and nodeConnected/nodeDisconnected; registry; admin event stream).
class SessionManager : public QObject
{
    Q_OBJECT
public:
    SessionManager(int nodeLimit, const NodeSession::Options &options, QObject *parent = nullptr);
    ~SessionManager() override;

    const NodeSession::Options &sessionOptions() const { return m_options; }
    int nodeLimit() const { return m_nodeLimit; }
    int count() const { return int(m_sessions.size()); }
    QStringList nodes() const { return m_sessions.keys(); }
    NodeSession *session(const QString &node) const { return m_sessions.value(node); }

    /// True when a connection for `node` must be refused: the limit is reached and it would not
    /// replace a session of the same node.
    bool wouldExceedLimit(const QString &node) const;
    /// Takes ownership of the session and makes it the node's current one, evicting the older one.
    void adopt(NodeSession *session);
    /// Sends to the node's current session; false when it has none or the write failed.
    bool send(const QString &node, const Message &m);
    /// Pushes the node's buffered frames onto the wire now (NodeSession::flush()).
    void flush(const QString &node);
    /// Closes every session (shutdown), with close code 1001.
    void closeAll(const QString &reason);

    quint64 evictions() const { return m_evictions; }

signals:
    void upstream(const QString &node, const qedge::Message &m);
    void ackReceived(const QString &node, const qedge::Message &m);
    void keepaliveReceived(const QString &node);
    /// A node's session is up (after any eviction of its older session).
    void nodeConnected(const QString &node, const qedge::cloud::SessionInfo &info);
    /// A node's current session ended; an evicted session reports here before its successor connects.
    void nodeDisconnected(const QString &node, const QString &reason, const QDateTime &at);

private:
    void onSessionClosed(NodeSession *session, const QString &reason);

    int m_nodeLimit;
    NodeSession::Options m_options;
    QHash<QString, NodeSession *> m_sessions;
    QTimer m_bufferSweep; // NodeSession::releaseBuffersIfIdle() for every session, each second
    quint64 m_evictions = 0;
};

} // namespace qedge::cloud

Q_DECLARE_METATYPE(qedge::cloud::SessionInfo)
