#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

QT_BEGIN_NAMESPACE
class QSslSocket;
class QWebSocket;
class QWebSocketServer;
QT_END_NAMESPACE

namespace qedge::cloud {

/// GET /api/v1/events: the admin event stream. The admin server hands authenticated upgrades to
/// server() (a QWebSocketServer in NonSecureMode: TLS is already done below it). Every publish()ed
/// event goes to each client as one JSON text frame, filtered by the upgrade's ?node=.
///
/// Slow consumers: a client whose unsent bytes pass maxBufferedBytes misses events instead of
/// growing the hub's memory; once it drained, it gets {"type": "dropped", "count": N} first.
class EventStream : public QObject
{
    Q_OBJECT
public:
    explicit EventStream(qint64 maxBufferedBytes = 4 * 1024 * 1024, QObject *parent = nullptr);
    ~EventStream() override;

    QWebSocketServer *server() const { return m_server; }
    /// True when somebody listens (callers skip building events otherwise).
    bool hasClients() const { return !m_clients.isEmpty(); }
    int clientCount() const { return int(m_clients.size()); }
    /// Sends event (its "time" is added if missing) to every client whose filter matches its "node".
    void publish(QJsonObject event);

    quint64 droppedTotal() const { return m_droppedTotal; }

private:
    struct Client
    {
        QString node; ///< filter; empty: everything
        quint64 dropped = 0;
        QPointer<QSslSocket> tls; ///< the transport, whose encrypted buffer holds most of the backlog
    };
    void onNewConnection();
    void sendTo(QWebSocket *socket, Client &client, const QString &text);

    QWebSocketServer *m_server;
    QHash<QWebSocket *, Client> m_clients;
    qint64 m_maxBuffered;
    quint64 m_droppedTotal = 0;
};

} // namespace qedge::cloud
