#include "edgehub/servicebus.h"

#include "edgehub/router.h"
#include "shared/messagebus.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QUrl>

namespace qedge {

Q_LOGGING_CATEGORY(lcEdgeServiceBus, "qedge.edgehub.servicebus")

ServiceBus::ServiceBus(const Settings &settings, QObject *parent)
    : Module(edge::ServiceBusModule, edge::BusGroup, parent), m_settings(settings)
{
}

ServiceBus::~ServiceBus() = default;

bool ServiceBus::parsePorts(const QString &text, QList<int> *ports)
{
    ports->clear();
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int p = part.trimmed().toInt(&ok);
        if (!ok || p < 1 || p > 65535)
            return false;
        ports->append(p);
    }
    return true;
}

void ServiceBus::start()
{
    m_net = new QNetworkAccessManager(this);
    m_net->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

void ServiceBus::handleMessage(const Message &m)
{
    if (m.resource() == edge::ConnectionResource)
        return;
    const QString resource = m.resource();
    const int colon = resource.indexOf(QLatin1Char(':'));
    bool portOk = false;
    const int port = colon > 0 ? resource.left(colon).toInt(&portOk) : 0;
    QString path = colon > 0 ? resource.mid(colon + 1) : QString();
    if (!portOk || port < 1 || port > 65535) {
        refuse(m, 400, QStringLiteral("servicebus: resource \"%1\" is not <port>:<path>").arg(resource.left(200)));
        return;
    }
    if (!m_settings.allowedPorts.contains(port)) {
        refuse(m, 403, QStringLiteral("servicebus: port %1 is not on this edge's allowlist (servicebus/allowed_ports)")
                           .arg(port));
        return;
    }
    if (!path.startsWith(QLatin1Char('/')))
        path.prepend(QLatin1Char('/'));
    const QUrl url(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path));
    if (!url.isValid() || url.host() != QLatin1String("127.0.0.1") || url.port() != port) {
        refuse(m, 400, QStringLiteral("servicebus: path \"%1\" does not make a valid URL").arg(path.left(200)));
        return;
    }
    const QJsonObject content = m.content().toObject();
    const QByteArray method = (m.operation().isEmpty() ? content.value(QStringLiteral("method")).toString()
                                                       : m.operation())
                                  .toUpper()
                                  .toLatin1();
    static const QList<QByteArray> methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    if (!methods.contains(method)) {
        refuse(m, 405, QStringLiteral("servicebus: method \"%1\" is not supported").arg(QString::fromLatin1(method.left(20))));
        return;
    }
    auto body = QByteArray::fromBase64Encoding(content.value(QStringLiteral("body")).toString().toLatin1(),
                                               QByteArray::AbortOnBase64DecodingErrors);
    if (!body) {
        refuse(m, 400, QStringLiteral("servicebus: body is not base64"));
        return;
    }
    QNetworkRequest req(url);
    req.setTransferTimeout(m_settings.timeoutMs);
    const QJsonObject headers = content.value(QStringLiteral("header")).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        const QJsonValue v = it.value();
        const QString value = v.isArray() ? v.toArray().first().toString() : v.toString();
        const QByteArray name = it.key().toLatin1();
        if (name.compare("host", Qt::CaseInsensitive) == 0 || name.compare("content-length", Qt::CaseInsensitive) == 0)
            continue;
        req.setRawHeader(name, value.toUtf8());
    }
    QNetworkReply *reply = m_net->sendCustomRequest(req, method, *body);
    const Message request = m;
    connect(reply, &QNetworkReply::finished, this, [this, reply, request] {
        reply->deleteLater();
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!status.isValid()) {
            const bool timedOut = reply->error() == QNetworkReply::OperationCanceledError
                                  || reply->error() == QNetworkReply::TimeoutError;
            refuse(request, timedOut ? 504 : 502,
                   QStringLiteral("servicebus: %1 failed: %2")
                       .arg(reply->url().toString(), timedOut ? QStringLiteral("no answer in time")
                                                               : reply->errorString()));
            return;
        }
        QJsonObject headers;
        for (const auto &pair : reply->rawHeaderPairs())
            headers.insert(QString::fromLatin1(pair.first), QJsonArray{QString::fromLatin1(pair.second)});
        QByteArray data = reply->readAll();
        if (data.size() > m_settings.maxBodyBytes) {
            refuse(request, 502, QStringLiteral("servicebus: the answer is over %1 bytes").arg(m_settings.maxBodyBytes));
            return;
        }
        answer(request, status.toInt(), headers, data);
    });
}

void ServiceBus::answer(const Message &request, int status, const QJsonObject &headers, const QByteArray &body)
{
    Message reply = Message::create(edge::ServiceBusModule, QStringLiteral("user"), op::Upload, request.resource());
    reply.setParentId(request.id());
    reply.setContent(QJsonObject{{QStringLiteral("header"), headers},
                                 {QStringLiteral("status_code"), status},
                                 {QStringLiteral("body"), QString::fromLatin1(body.toBase64())}});
    if (MessageBus *b = bus(); !b || b->sendToGroup(edge::HubGroup, reply) == 0)
        qCWarning(lcEdgeServiceBus) << "no link module; answer to" << request.id() << "dropped";
}

void ServiceBus::refuse(const Message &request, int status, const QString &why)
{
    qCInfo(lcEdgeServiceBus).noquote() << why;
    answer(request, status,
           QJsonObject{{QStringLiteral("Content-Type"), QJsonArray{QStringLiteral("text/plain; charset=utf-8")}}},
           why.toUtf8());
}

} // namespace qedge
