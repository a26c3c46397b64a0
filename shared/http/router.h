#pragma once

#include "shared/http/responder.h"

#include <QByteArrayList>
#include <QList>
#include <QPointer>
#include <QStringList>
#include <QVariantMap>

QT_BEGIN_NAMESPACE
class QWebSocketServer;
QT_END_NAMESPACE

namespace qedge::http {

/// Where WebSocket upgrades on one path go, and who may upgrade.
struct WebSocketRoute
{
    QString path;
    QPointer<QWebSocketServer> server;
    std::function<bool(const Request &)> accept;
};

/// Maps method and path to handlers; patterns have literal and {name} segments.
class Router
{
public:
    struct Match
    {
        Handler handler; ///< empty when nothing matched
        QVariantMap params;
        QByteArrayList allowed; ///< methods of routes whose pattern matched (for 405's Allow)
    };

    void add(const QByteArray &method, const QString &pattern, Handler handler);
    /// Matches the still-encoded path: it is split on '/' first, so %2F stays inside its segment.
    Match match(const QByteArray &method, const QByteArray &rawPath) const;

    void setWebSocketRoute(WebSocketRoute route) { m_webSocket = std::move(route); }
    const WebSocketRoute &webSocketRoute() const { return m_webSocket; }

private:
    struct Segment
    {
        QString text; ///< literal text, or the parameter name
        bool isParam = false;
    };
    struct Route
    {
        QByteArray method;
        QList<Segment> segments;
        Handler handler;
    };

    QList<Route> m_routes;
    WebSocketRoute m_webSocket;
};

} // namespace qedge::http
