#include "cloudhub/sessionmanager.h"

#include "cloudhub/hublogging.h"

namespace qedge::cloud {

SessionManager::SessionManager(int nodeLimit, const NodeSession::Options &options, QObject *parent)
    : QObject(parent), m_nodeLimit(nodeLimit), m_options(options)
{
    m_bufferSweep.setInterval(1000);
    connect(&m_bufferSweep, &QTimer::timeout, this, [this] {
        for (NodeSession *s : std::as_const(m_sessions))
            s->releaseBuffersIfIdle();
    });
    m_bufferSweep.start();
}

SessionManager::~SessionManager()
{
    // Sessions are children; make sure none reports into a half-destroyed manager.
    for (NodeSession *s : std::as_const(m_sessions))
        disconnect(s, nullptr, this, nullptr);
}

bool SessionManager::wouldExceedLimit(const QString &node) const
{
    return m_sessions.size() >= m_nodeLimit && !m_sessions.contains(node);
}

void SessionManager::adopt(NodeSession *session)
{
    const QString node = session->node();
    session->setParent(this);
    if (NodeSession *old = m_sessions.take(node)) {
        ++m_evictions;
        const QString reason = QStringLiteral("replaced by a newer connection from %1")
                                   .arg(session->info().remoteAddress.toString());
        old->close(QWebSocketProtocol::CloseCodeNormal, reason);
        emit nodeDisconnected(node, reason, QDateTime::currentDateTimeUtc());
    }
    m_sessions.insert(node, session);
    connect(session, &NodeSession::upstream, this, &SessionManager::upstream);
    connect(session, &NodeSession::ackReceived, this, &SessionManager::ackReceived);
    connect(session, &NodeSession::keepaliveReceived, this, &SessionManager::keepaliveReceived);
    connect(session, &NodeSession::closed, this, &SessionManager::onSessionClosed);
    qCInfo(lcHubSession).noquote() << "node" << node << "connected from"
                                   << session->info().remoteAddress.toString() << "sessions"
                                   << m_sessions.size();
    emit nodeConnected(node, session->info());
}

void SessionManager::onSessionClosed(NodeSession *session, const QString &reason)
{
    const QString node = session->node();
    if (m_sessions.value(node) != session)
        return; // an evicted session; its successor is current
    m_sessions.remove(node);
    qCInfo(lcHubSession).noquote() << "node" << node << "disconnected:" << reason;
    emit nodeDisconnected(node, reason, QDateTime::currentDateTimeUtc());
}

bool SessionManager::send(const QString &node, const Message &m)
{
    NodeSession *s = m_sessions.value(node);
    return s && s->send(m);
}

void SessionManager::flush(const QString &node)
{
    if (NodeSession *s = m_sessions.value(node))
        s->flush();
}

void SessionManager::closeAll(const QString &reason)
{
    const auto sessions = m_sessions.values();
    for (NodeSession *s : sessions)
        s->close(QWebSocketProtocol::CloseCodeGoingAway, reason);
}

} // namespace qedge::cloud
