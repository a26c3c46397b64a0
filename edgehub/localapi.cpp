#include "edgehub/localapi.h"

#include "edgehub/edgelogging.h"
#include "shared/http/server.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>
#include <QWebSocket>
#include <QWebSocketServer>

namespace qedge {

namespace {
constexpr int MaxWatchers = 64;
constexpr qint64 MaxWatcherBacklog = 8 * 1024 * 1024; // a watcher that stops reading is dropped

bool isLoopbackHost(const QString &hostAndPort)
{
    const QUrl u(QStringLiteral("http://") + hostAndPort);
    const QString h = u.host();
    return u.isValid() &&
           (h == QLatin1String("127.0.0.1") || h == QLatin1String("localhost") || h == QLatin1String("::1"));
}

http::Response notLocal()
{
    return http::Response::error(
        403, QStringLiteral("forbidden"),
        QStringLiteral("the local API answers only requests for 127.0.0.1 or localhost from loopback pages"));
}

/// Wraps a handler with the loopback Host/Origin check.
http::SyncHandler localOnly(http::SyncHandler handler)
{
    return [handler = std::move(handler)](const http::Request &req) {
        if (!LocalApi::isLocalRequest(req.header("host"), req.header("origin")))
            return notLocal();
        return handler(req);
    };
}

http::Response noMeta()
{
    return http::Response::error(503, QStringLiteral("unavailable"),
                                 QStringLiteral("the metamanager module is disabled"));
}
} // namespace

void LocalApi::addGetRoute(const QString &pattern, std::function<http::Response(const http::Request &)> handler)
{
    m_server->routeSync("GET", pattern, localOnly(std::move(handler)));
}

LocalApi::LocalApi(MetaManager *meta, StatusFunction status, QObject *parent)
    : QObject(parent), m_meta(meta), m_status(std::move(status)), m_server(new http::Server(this)),
      m_ws(new QWebSocketServer(QStringLiteral("edgehub"), QWebSocketServer::NonSecureMode, this))
{
    m_server->routeSync("GET", QStringLiteral("/api/v1/status"), localOnly([this](const http::Request &) {
                            return http::Response::json(200, m_status());
                        }));
    m_server->routeSync(
        "GET", QStringLiteral("/api/v1/resources"), localOnly([this](const http::Request &req) {
            if (!m_meta)
                return noMeta();
            auto rows = m_meta->list(req.query.queryItemValue(QStringLiteral("type"), QUrl::FullyDecoded));
            if (!rows)
                return http::Response::error(500, QStringLiteral("internal"), rows.errorMessage());
            QJsonArray items;
            for (const StoredResource &r : rows.value())
                items.append(objectOf(r));
            return http::Response::json(200, QJsonObject{{QStringLiteral("resources"), items}});
        }));
    m_server->routeSync(
        "GET", QStringLiteral("/api/v1/resources/{namespace}/{type}/{name}"),
        localOnly([this](const http::Request &req) {
            if (!m_meta)
                return noMeta();
            const QString key = QStringList{req.pathParams.value(QStringLiteral("namespace")).toString(),
                                            req.pathParams.value(QStringLiteral("type")).toString(),
                                            req.pathParams.value(QStringLiteral("name")).toString()}
                                    .join(u'/');
            auto row = m_meta->get(key);
            if (!row)
                return http::Response::error(500, QStringLiteral("internal"), row.errorMessage());
            if (!row.value())
                return http::Response::error(404, QStringLiteral("not_found"),
                                             QStringLiteral("no resource %1").arg(key));
            return http::Response::json(200, objectOf(*row.value()));
        }));
    m_server->setWebSocketRoute(QStringLiteral("/api/v1/watch"), m_ws, [this](const http::Request &req) {
        return m_watchers.size() < MaxWatchers && isLocalRequest(req.header("host"), req.header("origin"));
    });
    connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *s = m_ws->nextPendingConnection()) {
            m_watchers.append(s);
            connect(s, &QWebSocket::disconnected, this, [this, s] {
                m_watchers.removeAll(s);
                s->deleteLater();
            });
            qCDebug(lcEdgeApi) << "watcher connected," << m_watchers.size() << "in all";
        }
    });
    if (m_meta)
        connect(m_meta, &MetaManager::changed, this, &LocalApi::onChanged);
}

LocalApi::~LocalApi()
{
    for (QWebSocket *s : std::as_const(m_watchers)) {
        s->disconnect(this);
        s->abort();
    }
}

Status LocalApi::listen(quint16 port)
{
    if (!m_server->listen(QHostAddress::LocalHost, port))
        return Status::failure(QStringLiteral("api.listen"),
                               QStringLiteral("cannot listen on 127.0.0.1:%1 for the local API: %2")
                                   .arg(port)
                                   .arg(m_server->errorString()));
    return {};
}

quint16 LocalApi::port() const
{
    return m_server->port();
}

bool LocalApi::isLocalRequest(const QByteArray &host, const QByteArray &origin)
{
    if (!isLoopbackHost(QString::fromLatin1(host)))
        return false;
    if (origin.isEmpty())
        return true; // not a browser: curl, QWebSocket, local services
    const QUrl o(QString::fromLatin1(origin));
    return (o.scheme() == QLatin1String("http") || o.scheme() == QLatin1String("https")) &&
           isLoopbackHost(o.authority());
}

QJsonValue LocalApi::objectOf(const StoredResource &r)
{
    if (r.value.isEmpty())
        return QJsonValue::Null;
    // The cloud sends objects; anything else is shown as the text it was.
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(r.value, &err);
    if (err.error == QJsonParseError::NoError && doc.isObject())
        return doc.object();
    if (err.error == QJsonParseError::NoError && doc.isArray())
        return doc.array();
    return QString::fromUtf8(r.value);
}

QJsonObject LocalApi::changeEvent(const ResourceChange &change)
{
    const bool removed = change.operation == QLatin1String("delete");
    const QString type = removed          ? QStringLiteral("deleted")
                         : change.existed ? QStringLiteral("modified")
                                          : QStringLiteral("added");
    return QJsonObject{{QStringLiteral("type"), type},
                       {QStringLiteral("key"), change.resource.key},
                       {QStringLiteral("resourceVersion"), change.resource.resourceVersion},
                       {QStringLiteral("object"), objectOf(change.resource)}};
}

void LocalApi::publish(const QString &type, const QJsonObject &fields)
{
    if (m_watchers.isEmpty())
        return;
    QJsonObject o = fields;
    o.insert(QStringLiteral("type"), type);
    const QString text = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
    const QList<QWebSocket *> watchers = m_watchers;
    for (QWebSocket *s : watchers) {
        if (s->bytesToWrite() > MaxWatcherBacklog) {
            qCWarning(lcEdgeApi) << "dropping a watcher that stopped reading";
            s->abort();
            continue;
        }
        s->sendTextMessage(text);
    }
}

void LocalApi::onChanged(const ResourceChange &change)
{
    QJsonObject event = changeEvent(change);
    const QString type = event.take(QStringLiteral("type")).toString();
    publish(type, event);
}

} // namespace qedge
