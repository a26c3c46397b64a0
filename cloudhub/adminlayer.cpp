#include "cloudhub/adminlayer.h"

#include "cloudhub/adminapi.h"
#include "cloudhub/adminserver.h"
#include "cloudhub/dispatcher.h"
#include "cloudhub/eventlog.h"
#include "cloudhub/eventstream.h"
#include "cloudhub/metrics.h"
#include "cloudhub/sessionmanager.h"
#include "cloudhub/upstreamrouter.h"

#include <QDateTime>

namespace qedge::cloud {

AdminLayer::AdminLayer(QObject *parent) : QObject(parent) {}

AdminLayer::~AdminLayer() = default;

Result<std::unique_ptr<AdminLayer>> AdminLayer::create(const Parts &parts, QObject *parent)
{
    std::unique_ptr<AdminLayer> layer(new AdminLayer(parent));
    auto log = EventLog::open(parts.db);
    if (!log)
        return Result<std::unique_ptr<AdminLayer>>::failure(log.error().code,
                                                            QStringLiteral("event log: ") + log.errorMessage());
    layer->m_log = std::move(log).value();
    layer->m_stream = std::make_unique<EventStream>();
    layer->m_upstream = std::make_unique<UpstreamRouter>(parts.dispatcher, layer->m_log.get(), layer->m_stream.get());
    layer->m_metrics = std::make_unique<Metrics>(Metrics::Sources{parts.dispatcher, parts.sessions,
                                                                  layer->m_upstream.get(), parts.edge,
                                                                  layer->m_stream.get(), layer->m_log.get()});
    layer->m_api = std::make_unique<AdminApi>(AdminApi::Parts{parts.server, parts.dispatcher, parts.registry,
                                                              parts.sessions, layer->m_upstream.get(),
                                                              layer->m_log.get()});
    layer->wire(parts);
    return layer;
}

void AdminLayer::wire(const Parts &p)
{
    m_api->addRoutes();
    p.server->setWebSocketRoute(QStringLiteral("/api/v1/events"), m_stream->server());
    const auto metrics = [this](const http::Request &) {
        return http::Response::bytes(200, "text/plain; version=0.0.4; charset=utf-8", m_metrics->render());
    };
    if (p.metricsWithoutAuth)
        p.server->routePublicOnLoopback("GET", QStringLiteral("/metrics"), metrics);
    else
        p.server->routeSync("GET", QStringLiteral("/metrics"), AdminServer::Role::ReadOnly, metrics);

    UpstreamRouter *up = m_upstream.get();
    connect(p.sessions, &SessionManager::upstream, up, &UpstreamRouter::route);
    connect(p.sessions, &SessionManager::keepaliveReceived, up, [up] { up->countReceived(op::Keepalive); });
    connect(p.sessions, &SessionManager::ackReceived, up, [up] { up->countReceived(op::Response); });

    EventStream *stream = m_stream.get();
    const auto event = [](const char *type, const QString &node) {
        return QJsonObject{{QStringLiteral("type"), QLatin1String(type)},
                           {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                           {QStringLiteral("node"), node}};
    };
    connect(p.sessions, &SessionManager::nodeConnected, stream,
            [stream, event](const QString &node, const SessionInfo &info) {
                if (!stream->hasClients())
                    return;
                QJsonObject e = event("node.online", node);
                e.insert(QStringLiteral("remoteAddress"),
                         QStringLiteral("%1:%2").arg(info.remoteAddress.toString()).arg(info.remotePort));
                stream->publish(e);
            });
    connect(p.sessions, &SessionManager::nodeDisconnected, stream,
            [stream, event](const QString &node, const QString &reason, const QDateTime &) {
                if (!stream->hasClients())
                    return;
                QJsonObject e = event("node.offline", node);
                e.insert(QStringLiteral("reason"), reason);
                stream->publish(e);
            });
    connect(p.dispatcher, &Dispatcher::queued, stream,
            [stream, event](const QString &node, const QString &uid, qulonglong rv) {
                if (!stream->hasClients())
                    return;
                QJsonObject e = event("resource.queued", node);
                e.insert(QStringLiteral("uid"), uid);
                e.insert(QStringLiteral("resourceVersion"), QString::number(rv));
                stream->publish(e);
            });
    connect(p.dispatcher, &Dispatcher::delivered, stream,
            [stream, event](const QString &node, const QString &uid, qulonglong rv, const QString &msgId) {
                if (!stream->hasClients())
                    return;
                QJsonObject e = event("resource.delivered", node);
                e.insert(QStringLiteral("uid"), uid);
                e.insert(QStringLiteral("resourceVersion"), QString::number(rv));
                e.insert(QStringLiteral("msgId"), msgId);
                stream->publish(e);
            });
    connect(p.dispatcher, &Dispatcher::acked, stream,
            [stream, event](const QString &node, const QString &uid, qulonglong rv, qint64 latencyMs) {
                if (!stream->hasClients())
                    return;
                QJsonObject e = event("resource.acked", node);
                e.insert(QStringLiteral("uid"), uid);
                e.insert(QStringLiteral("resourceVersion"), QString::number(rv));
                e.insert(QStringLiteral("latencyMs"), double(latencyMs));
                stream->publish(e);
            });
    connect(p.dispatcher, &Dispatcher::dropped, stream,
            [stream, event](const QString &node, const QString &uid, const QString &reason) {
                if (!stream->hasClients())
                    return;
                QJsonObject e = event("resource.dropped", node);
                e.insert(QStringLiteral("uid"), uid);
                e.insert(QStringLiteral("reason"), reason);
                stream->publish(e);
            });
}

} // namespace qedge::cloud
