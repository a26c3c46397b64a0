#pragma once

#include "cloudhub/failurelimiter.h"
#include "shared/http/server.h"
#include "shared/result.h"

#include <QJsonObject>
#include <QObject>

namespace qedge::cloud {

/// The admin API's HTTPS server: bearer-token authentication with two roles, JSON errors
/// ({"error","detail"}), rate-limited failed authentication. Routes are added by the hub's parts.
class AdminServer : public QObject
{
    Q_OBJECT
public:
    enum class Role { ReadOnly, Admin };

    /// Reads or creates <data dir>/admin.token and <data dir>/readonly.token (0600).
    static Result<std::unique_ptr<AdminServer>> create(const QString &dataDir, QObject *parent = nullptr);

    void route(const QByteArray &method, const QString &pattern, Role role, http::Handler handler);
    void routeSync(const QByteArray &method, const QString &pattern, Role role,
                   std::function<http::Response(const http::Request &)> handler);
    /// A route anyone on loopback may call (for /metrics), the token otherwise.
    void routePublicOnLoopback(const QByteArray &method, const QString &pattern,
                               std::function<http::Response(const http::Request &)> handler);
    /// The live event stream; the token is checked before the upgrade.
    void setWebSocketRoute(const QString &path, QWebSocketServer *server);

    bool listen(const QHostAddress &address, quint16 port, const QSslConfiguration &tls);
    quint16 port() const;
    QString errorString() const;
    QString adminTokenPath() const { return m_adminTokenPath; }

    /// The JSON object of a request body, or a 400 response explaining what is wrong.
    static Result<QJsonObject> jsonBody(const http::Request &req);

private:
    explicit AdminServer(QObject *parent);
    std::optional<http::Response> authorize(const http::Request &req, Role role);

    QByteArray m_adminToken;
    QByteArray m_readOnlyToken;
    QString m_adminTokenPath;
    FailureLimiter m_limiter{20};
    http::Server m_server;
};

} // namespace qedge::cloud
