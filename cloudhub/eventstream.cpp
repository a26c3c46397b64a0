#include "cloudhub/eventstream.h"

#include "cloudhub/hublogging.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSslSocket>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketServer>

namespace qedge::cloud {

namespace {

QString nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

} // namespace

EventStream::EventStream(qint64 maxBufferedBytes, QObject *parent)
    : QObject(parent),
      m_server(new QWebSocketServer(QStringLiteral("qedge-events"), QWebSocketServer::NonSecureMode, this)),
      m_maxBuffered(maxBufferedBytes)
{
    connect(m_server, &QWebSocketServer::newConnection, this, &EventStream::onNewConnection);
}

EventStream::~EventStream()
{
    for (auto it = m_clients.cbegin(); it != m_clients.cend(); ++it)
        it.key()->disconnect(this);
}

void EventStream::onNewConnection()
{
    while (QWebSocket *socket = m_server->nextPendingConnection()) {
        Client c;
        c.node = QUrlQuery(socket->requestUrl()).queryItemValue(QStringLiteral("node"), QUrl::FullyDecoded);
        // The upgraded TLS socket is a child of the server (or of the QWebSocket) now.
        QList<QSslSocket *> candidates = m_server->findChildren<QSslSocket *>();
        candidates += socket->findChildren<QSslSocket *>();
        for (QSslSocket *tls : std::as_const(candidates)) {
            if (tls->peerPort() == socket->peerPort() && tls->peerAddress() == socket->peerAddress()) {
                c.tls = tls;
                break;
            }
        }
        m_clients.insert(socket, c);
        connect(socket, &QWebSocket::disconnected, this, [this, socket] {
            m_clients.remove(socket);
            socket->deleteLater();
        });
        // Clients only listen; whatever they send is ignored.
        qCInfo(lcHubAdmin).noquote() << "event stream client from" << socket->peerAddress().toString()
                                     << (c.node.isEmpty() ? QString() : QStringLiteral("node=") + c.node);
    }
}

void EventStream::publish(QJsonObject event)
{
    if (m_clients.isEmpty())
        return;
    if (!event.contains(QStringLiteral("time")))
        event.insert(QStringLiteral("time"), nowIso());
    const QString node = event.value(QStringLiteral("node")).toString();
    QString text;
    for (auto it = m_clients.begin(); it != m_clients.end(); ++it) {
        if (!it->node.isEmpty() && it->node != node)
            continue;
        if (text.isEmpty())
            text = QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact));
        sendTo(it.key(), *it, text);
    }
}

void EventStream::sendTo(QWebSocket *socket, Client &client, const QString &text)
{
    const qint64 pending = socket->bytesToWrite() + (client.tls ? client.tls->encryptedBytesToWrite() : 0);
    if (pending > m_maxBuffered) {
        ++client.dropped;
        ++m_droppedTotal;
        return;
    }
    if (client.dropped > 0) {
        const QJsonObject note{{QStringLiteral("type"), QStringLiteral("dropped")},
                               {QStringLiteral("time"), nowIso()},
                               {QStringLiteral("count"), double(client.dropped)}};
        socket->sendTextMessage(QString::fromUtf8(QJsonDocument(note).toJson(QJsonDocument::Compact)));
        client.dropped = 0;
    }
    socket->sendTextMessage(text);
}

} // namespace qedge::cloud
