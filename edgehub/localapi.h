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
struct Request;
struct Response;
}

/// The edge's local API on 127.0.0.1 (QEdge's own; the contract is docs/api.md): status, the
/// resources MetaManager stored, and a WebSocket of change events. Served from SQLite, so it keeps
/// working while the hub is unreachable.
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
    /// Sends {"type": type, ...fields} to every watcher (e.g. "connected", "disconnected").
    void publish(const QString &type, const QJsonObject &fields = {});
    int watcherCount() const { return int(m_watchers.size()); }
    /// Adds a GET route served in this thread (modules the app wires, e.g. /api/v1/devices).
    void addGetRoute(const QString &pattern, std::function<http::Response(const http::Request &)> handler);

    /// A stored value as JSON: the object (or array) the cloud sent, its text otherwise, null when empty.
    static QJsonValue objectOf(const StoredResource &r);
    /// The watch event of a committed change: {"type": "added"|"modified"|"deleted", "key",
    /// "resourceVersion", "object"}.
    static QJsonObject changeEvent(const ResourceChange &change);
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
