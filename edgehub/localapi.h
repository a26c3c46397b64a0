#pragma once

#include "edgehub/metamanager.h"
#include "shared/result.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

class QWebSocket;
class QWebSocketServer;

namespace qedge {

namespace http {
class Server;
}

/// The edge's local API on 127.0.0.1 (QEdge's own, docs/edgehub.md): status, the resources
/// MetaManager stored, and a WebSocket of change events. Served from SQLite, so it keeps working
/// while the hub is unreachable.
class LocalApi : public QObject
{
    Q_OBJECT
public:
    using StatusFunction = std::function<QJsonObject()>;

    /// `meta` may be null (module disabled): resource routes then answer 503.
    LocalApi(MetaManager *meta, StatusFunction status, QObject *parent = nullptr);
    ~LocalApi() override;

    /// Listens on 127.0.0.1:port (0 picks one).
    Status listen(quint16 port);
    quint16 port() const;
    /// Sends {"event": event, ...fields} to every watcher (e.g. "connected", "disconnected").
    void publish(const QString &event, const QJsonObject &fields = {});
    int watcherCount() const { return int(m_watchers.size()); }

    /// The JSON form of a stored row: key, namespace, type, name, resourceVersion, object.
    static QJsonObject toJson(const StoredResource &r);
    /// True when Host names the loopback and Origin, if sent, is a loopback page: a web page on
    /// another site (or a DNS-rebound name) must not read the node's resources.
    static bool isLocalRequest(const QByteArray &host, const QByteArray &origin);

private:
    void onChanged(const ResourceChange &change);

    QPointer<MetaManager> m_meta;
    StatusFunction m_status;
    http::Server *m_server;
    QWebSocketServer *m_ws;
    QList<QWebSocket *> m_watchers;
};

} // namespace qedge
