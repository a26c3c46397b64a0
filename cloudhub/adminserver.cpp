#include "cloudhub/adminserver.h"

#include "cloudhub/hublogging.h"
#include "shared/crypto/jointoken.h"
#include "shared/crypto/securefile.h"

#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>

namespace qedge::cloud {

namespace {

Result<QByteArray> readOrCreateToken(const QString &path)
{
    QFile f(path);
    if (f.exists()) {
        if (!f.open(QIODevice::ReadOnly))
            return Result<QByteArray>::failure(QStringLiteral("io"), QStringLiteral("cannot read ") + path);
        const QByteArray token = f.readAll().trimmed();
        if (token.size() >= 16)
            return token;
    }
    QByteArray raw(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(raw.data()),
                                         reinterpret_cast<quint32 *>(raw.data() + raw.size()));
    const QByteArray token = raw.toHex();
    if (Status s = crypto::writeSecretFile(path, token + '\n'); !s)
        return s.error();
    return token;
}

} // namespace

AdminServer::AdminServer(QObject *parent) : QObject(parent)
{}

Result<std::unique_ptr<AdminServer>> AdminServer::create(const QString &dataDir, QObject *parent)
{
    std::unique_ptr<AdminServer> s(new AdminServer(parent));
    s->m_adminTokenPath = dataDir + QStringLiteral("/admin.token");
    auto admin = readOrCreateToken(s->m_adminTokenPath);
    if (!admin)
        return admin.error();
    auto ro = readOrCreateToken(dataDir + QStringLiteral("/readonly.token"));
    if (!ro)
        return ro.error();
    s->m_adminToken = admin.value();
    s->m_readOnlyToken = ro.value();
    return s;
}

std::optional<http::Response> AdminServer::authorize(const http::Request &req, Role role)
{
    if (m_limiter.blocked(req.peer)) {
        http::Response r =
            http::Response::error(429, QStringLiteral("too_many_attempts"),
                                  QStringLiteral("too many failed authentications; try again later"));
        r.headers.append(
            qMakePair(QByteArray("Retry-After"), QByteArray::number(m_limiter.retryAfterSeconds(req.peer))));
        return r;
    }
    const QByteArray auth = req.header("authorization");
    const QByteArray prefix = "Bearer ";
    if (!auth.startsWith(prefix)) {
        m_limiter.recordFailure(req.peer);
        http::Response r =
            http::Response::error(401, QStringLiteral("unauthorized"),
                                  QStringLiteral("send Authorization: Bearer <token from admin.token>"));
        r.headers.append(qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer")));
        return r;
    }
    const QByteArray token = auth.mid(prefix.size()).trimmed();
    const bool isAdmin = crypto::constantTimeEquals(token, m_adminToken);
    const bool isReadOnly = crypto::constantTimeEquals(token, m_readOnlyToken);
    if (!isAdmin && !isReadOnly) {
        m_limiter.recordFailure(req.peer);
        qCWarning(lcHubAdmin).noquote() << "rejected a bad admin token from" << req.peer.toString();
        return http::Response::error(401, QStringLiteral("unauthorized"),
                                     QStringLiteral("the bearer token is not valid"));
    }
    if (role == Role::Admin && !isAdmin)
        return http::Response::error(
            403, QStringLiteral("forbidden"),
            QStringLiteral("this call needs the admin token, not the read-only one"));
    return std::nullopt;
}

void AdminServer::route(const QByteArray &method, const QString &pattern, Role role, http::Handler handler)
{
    m_server.route(
        method, pattern,
        [this, role, handler](const http::Request &req, std::shared_ptr<http::Responder> responder) {
            if (auto denied = authorize(req, role)) {
                responder->send(*denied);
                return;
            }
            handler(req, std::move(responder));
        });
}

void AdminServer::routeSync(const QByteArray &method, const QString &pattern, Role role,
                            std::function<http::Response(const http::Request &)> handler)
{
    m_server.routeSync(method, pattern, [this, role, handler](const http::Request &req) {
        if (auto denied = authorize(req, role))
            return *denied;
        return handler(req);
    });
}

void AdminServer::routePublicOnLoopback(const QByteArray &method, const QString &pattern,
                                        std::function<http::Response(const http::Request &)> handler)
{
    m_server.routeSync(method, pattern, [this, handler](const http::Request &req) {
        if (!req.peer.isLoopback()) {
            if (auto denied = authorize(req, Role::ReadOnly))
                return *denied;
        }
        return handler(req);
    });
}

void AdminServer::setWebSocketRoute(const QString &path, QWebSocketServer *server)
{
    m_server.setWebSocketRoute(path, server, [this](const http::Request &req) {
        return !authorize(req, Role::ReadOnly).has_value();
    });
}

bool AdminServer::listen(const QHostAddress &address, quint16 port, const QSslConfiguration &tls)
{
    return m_server.listen(address, port, tls);
}

quint16 AdminServer::port() const
{
    return m_server.port();
}

QString AdminServer::errorString() const
{
    return m_server.errorString();
}

Result<QJsonObject> AdminServer::jsonBody(const http::Request &req)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(req.body, &err);
    if (err.error != QJsonParseError::NoError)
        return Result<QJsonObject>::failure(
            QStringLiteral("bad_json"),
            QStringLiteral("body is not valid JSON at offset %1: %2").arg(err.offset).arg(err.errorString()));
    if (!doc.isObject())
        return Result<QJsonObject>::failure(QStringLiteral("bad_json"),
                                            QStringLiteral("body must be a JSON object"));
    return doc.object();
}

} // namespace qedge::cloud
