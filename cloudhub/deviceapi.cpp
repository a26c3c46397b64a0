#include "cloudhub/deviceapi.h"

#include "cloudhub/adminserver.h"
#include "cloudhub/dispatcher.h"
#include "cloudhub/eventstream.h"
#include "shared/http/response.h"

#include <QDateTime>
#include <QJsonArray>

namespace qedge::cloud {

namespace {
using http::Response;

QString param(const http::Request &req, const char *name)
{
    return req.pathParams.value(QLatin1String(name)).toString();
}

Response fromError(const Error &e)
{
    const bool bad = e.code == QLatin1String("bad_request");
    return Response::error(bad ? 400 : 500, bad ? QStringLiteral("bad_request") : QStringLiteral("internal"),
                           e.message);
}

const int DefaultCallTimeoutMs = 60000;
const int MaxCallTimeoutMs = 300000;
} // namespace

DeviceApi::DeviceApi(Dispatcher *dispatcher, EventStream *stream, QObject *parent)
    : QObject(parent), m_dispatcher(dispatcher), m_stream(stream), m_store(std::make_unique<DeviceStore>()),
      m_service(std::make_unique<DeviceService>(m_store.get(), dispatcher))
{
    connect(m_store.get(), &DeviceStore::twinReported, this,
            [this](const QString &node, const QString &id, const QJsonObject &twins) {
                publish("twin.reported", node, id, {{QStringLiteral("twins"), twins}});
            });
    connect(m_store.get(), &DeviceStore::twinDesired, this,
            [this](const QString &node, const QString &id, const QJsonObject &twins) {
                publish("twin.desired", node, id, {{QStringLiteral("twins"), twins}});
            });
    connect(m_store.get(), &DeviceStore::deviceState, this,
            [this](const QString &node, const QString &id, const QString &state, const QString &lastOnline) {
                publish("device.state", node, id,
                        {{QStringLiteral("state"), state}, {QStringLiteral("lastOnline"), lastOnline}});
            });
}

DeviceApi::~DeviceApi()
{
    for (const PendingCall &c : std::as_const(m_calls))
        delete c.timer;
}

Status DeviceApi::open(Database *db)
{
    return db ? m_store->open(db) : Status();
}

void DeviceApi::publish(const char *type, const QString &node, const QString &deviceId, QJsonObject fields)
{
    if (!m_stream || !m_stream->hasClients())
        return;
    fields.insert(QStringLiteral("type"), QLatin1String(type));
    fields.insert(QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    fields.insert(QStringLiteral("node"), node);
    fields.insert(QStringLiteral("device"), deviceId);
    m_stream->publish(fields);
}

void DeviceApi::addRoutes(AdminServer *server)
{
    using Role = AdminServer::Role;
    server->routeSync("GET", QStringLiteral("/api/v1/nodes/{node}/devices"), Role::ReadOnly,
                      [this](const http::Request &req) {
                          QJsonArray list;
                          for (const DeviceState &d : m_store->list(param(req, "node")))
                              list.append(d.toApiJson());
                          return Response::json(200, QJsonObject{{QStringLiteral("devices"), list}});
                      });
    server->routeSync("GET", QStringLiteral("/api/v1/nodes/{node}/devices/{namespace}/{name}"), Role::ReadOnly,
                      [this](const http::Request &req) {
                          const auto d = m_store->get(param(req, "node"), param(req, "namespace"), param(req, "name"));
                          if (!d)
                              return Response::error(404, QStringLiteral("not_found"),
                                                     QStringLiteral("device %1/%2 is not on node %3")
                                                         .arg(param(req, "namespace"), param(req, "name"),
                                                              param(req, "node")));
                          return Response::json(200, d->toApiJson());
                      });
    server->routeSync("PUT", QStringLiteral("/api/v1/nodes/{node}/devices/{namespace}/{name}"), Role::Admin,
                      [this](const http::Request &req) {
                          auto body = AdminServer::jsonBody(req);
                          if (!body)
                              return Response::error(400, QStringLiteral("bad_json"), body.errorMessage());
                          auto d = m_service->put(param(req, "node"), param(req, "namespace"), param(req, "name"),
                                                  body.value());
                          if (!d)
                              return fromError(d.error());
                          return Response::json(200, d->toApiJson());
                      });
    server->routeSync("DELETE", QStringLiteral("/api/v1/nodes/{node}/devices/{namespace}/{name}"), Role::Admin,
                      [this](const http::Request &req) {
                          auto r = m_service->remove(param(req, "node"), param(req, "namespace"), param(req, "name"));
                          if (!r)
                              return fromError(r.error());
                          if (!r.value())
                              return Response::error(404, QStringLiteral("not_found"),
                                                     QStringLiteral("device %1/%2 is not on node %3")
                                                         .arg(param(req, "namespace"), param(req, "name"),
                                                              param(req, "node")));
                          return Response::json(200, QJsonObject{{QStringLiteral("deleted"), true}});
                      });
    server->route("POST", QStringLiteral("/api/v1/nodes/{node}/http"), Role::Admin,
                  [this](const http::Request &req, std::shared_ptr<http::Responder> responder) {
                      callEdge(req, std::move(responder));
                  });
}

void DeviceApi::callEdge(const http::Request &req, std::shared_ptr<http::Responder> responder)
{
    auto body = AdminServer::jsonBody(req);
    if (!body) {
        responder->send(Response::error(400, QStringLiteral("bad_json"), body.errorMessage()));
        return;
    }
    const QJsonObject b = body.value();
    const QString node = param(req, "node");
    const QString method = b.value(QStringLiteral("method")).toString(QStringLiteral("GET")).toUpper();
    const int port = b.value(QStringLiteral("port")).toInt();
    QString path = b.value(QStringLiteral("path")).toString(QStringLiteral("/"));
    if (port < 1 || port > 65535 || !path.startsWith(QLatin1Char('/'))) {
        responder->send(Response::error(400, QStringLiteral("bad_request"),
                                        QStringLiteral("give \"port\" (1-65535) and a \"path\" starting with /")));
        return;
    }
    const QString bodyText = b.value(QStringLiteral("body")).toString();
    if (!QByteArray::fromBase64Encoding(bodyText.toLatin1(), QByteArray::AbortOnBase64DecodingErrors)) {
        responder->send(Response::error(400, QStringLiteral("bad_request"), QStringLiteral("\"body\" must be base64")));
        return;
    }
    if (!m_dispatcher->isConnected(node)) {
        responder->send(Response::error(409, QStringLiteral("conflict"),
                                        QStringLiteral("node %1 is not connected; ServiceBus calls need a live link")
                                            .arg(node)));
        return;
    }
    QJsonObject headers;
    const QJsonObject given = b.value(QStringLiteral("headers")).toObject();
    for (auto it = given.begin(); it != given.end(); ++it)
        headers.insert(it.key(), it.value().isArray() ? it.value() : QJsonValue(QJsonArray{it.value().toString()}));
    const QString resource = QStringLiteral("%1:%2").arg(port).arg(path);
    Message m = Message::create(QStringLiteral("router_servicebus"), QStringLiteral("user"), method, resource);
    m.setContent(QJsonObject{{QStringLiteral("method"), method},
                             {QStringLiteral("url"), resource},
                             {QStringLiteral("header"), headers},
                             {QStringLiteral("body"), bodyText}});
    const int timeoutMs = qBound(100, b.value(QStringLiteral("timeoutMs")).toInt(DefaultCallTimeoutMs), MaxCallTimeoutMs);
    auto *timer = new QTimer;
    timer->setSingleShot(true);
    const QString id = m.id();
    connect(timer, &QTimer::timeout, this, [this, id, timeoutMs] {
        finishCall(id, Response::error(504, QStringLiteral("timeout"),
                                       QStringLiteral("the edge did not answer within %1 ms").arg(timeoutMs)));
    });
    m_calls.insert(id, {std::move(responder), timer});
    timer->start(timeoutMs);
    m_dispatcher->sendNoAck(node, m);
}

void DeviceApi::finishCall(const QString &msgId, const Response &response)
{
    auto it = m_calls.find(msgId);
    if (it == m_calls.end())
        return;
    PendingCall call = *it;
    m_calls.erase(it);
    call.timer->deleteLater();
    call.responder->send(response);
}

bool DeviceApi::handleUpstream(const QString &node, const Message &m)
{
    if (!m.parentId().isEmpty() && m_calls.contains(m.parentId()) && m.source() == QLatin1String("servicebus")) {
        const QJsonObject c = m.content().toObject();
        QJsonObject headers;
        const QJsonObject h = c.value(QStringLiteral("header")).toObject();
        for (auto it = h.begin(); it != h.end(); ++it)
            headers.insert(it.key(), it.value());
        finishCall(m.parentId(), Response::json(200, QJsonObject{{QStringLiteral("status"), c.value(QStringLiteral("status_code"))},
                                                                 {QStringLiteral("headers"), headers},
                                                                 {QStringLiteral("body"), c.value(QStringLiteral("body"))}}));
        return true;
    }
    return m_service->handleUpstream(node, m);
}

} // namespace qedge::cloud
