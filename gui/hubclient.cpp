#include "gui/hubclient.h"

#include "gui/tlspin.h"

#include <QCoreApplication>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QThreadPool>
#include <QUrlQuery>

namespace qedge {

namespace {
const char *const kCertProperty = "qedgeCertVerdict";
const char *const kCertFingerprint = "qedgeCertFingerprint";

template <typename T, typename F>
HubClient::Callback<QJsonDocument> mapJson(HubClient::Callback<T> done, F convert)
{
    return [done = std::move(done), convert](Result<QJsonDocument> r) {
        if (!r.ok()) {
            done(Result<T>(r.error()));
            return;
        }
        done(Result<T>(convert(r.value())));
    };
}
} // namespace

HubClient::HubClient(QObject *parent) : QObject(parent), m_nam(new QNetworkAccessManager(this))
{
    m_nam->setStrictTransportSecurityEnabled(false);
    connect(m_nam, &QNetworkAccessManager::sslErrors, this, &HubClient::onSslErrors);
}

void HubClient::setHub(const QUrl &baseUrl, const QByteArray &token)
{
    m_base = baseUrl;
    m_token = token;
    // Connections made under another pin or token must not be reused.
    m_nam->clearConnectionCache();
}

void HubClient::setPinnedFingerprint(const QString &fingerprint)
{
    m_pin = tlspin::normalize(fingerprint);
    m_nam->clearConnectionCache();
}

QString HubClient::apiPath(const QStringList &segments)
{
    QString path = QStringLiteral("/api/v1");
    for (const QString &s : segments)
        path += QLatin1Char('/') + QString::fromLatin1(QUrl::toPercentEncoding(s));
    return path;
}

QString HubClient::typeOf(const QJsonObject &object)
{
    return object.value(QLatin1String("kind")).toString().toLower();
}

Status HubClient::validateResource(const QJsonObject &object)
{
    if (object.value(QLatin1String("kind")).toString().isEmpty())
        return Status::failure(QStringLiteral("bad_request"), tr("The object needs a \"kind\"."));
    if (object.value(QLatin1String("apiVersion")).toString().isEmpty())
        return Status::failure(QStringLiteral("bad_request"), tr("The object needs an \"apiVersion\"."));
    const QJsonObject meta = object.value(QLatin1String("metadata")).toObject();
    if (meta.value(QLatin1String("name")).toString().isEmpty())
        return Status::failure(QStringLiteral("bad_request"), tr("The object needs \"metadata.name\"."));
    return {};
}

void HubClient::call(const QByteArray &verb, const QString &path, const QByteArray &body, QObject *ctx,
                     Callback<QJsonDocument> done)
{
    callBody(verb, path, body, ctx, [done = std::move(done)](Result<QByteArray> r) {
        done(r.ok() ? parseJson(r.value()) : Result<QJsonDocument>(r.error()));
    });
}

void HubClient::callBody(const QByteArray &verb, const QString &path, const QByteArray &body, QObject *ctx,
                         Callback<QByteArray> done)
{
    QUrl url = m_base;
    const int q = path.indexOf(QLatin1Char('?'));
    url.setPath(m_base.path().chopped(m_base.path().endsWith(QLatin1Char('/')) ? 1 : 0) +
                    (q < 0 ? path : path.left(q)),
                QUrl::StrictMode);
    if (q >= 0)
        url.setQuery(path.mid(q + 1));
    QNetworkRequest req(url);
    req.setRawHeader("Authorization", "Bearer " + m_token);
    req.setRawHeader("Accept", "application/json");
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    req.setTransferTimeout(m_timeoutMs);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    QNetworkReply *reply = m_nam->sendCustomRequest(req, verb, body);
    reply->setProperty(kCertProperty, -1);
    connect(reply, &QNetworkReply::encrypted, this, [this, reply] {
        // No TLS error (e.g. a publicly trusted certificate) still has to match a pin.
        if (m_pin.isEmpty())
            return;
        const auto chain = reply->sslConfiguration().peerCertificateChain();
        if (tlspin::check(chain, m_pin) == tlspin::Verdict::Mismatch) {
            reply->setProperty(kCertProperty, int(tlspin::Verdict::Mismatch));
            reply->setProperty(kCertFingerprint,
                               chain.isEmpty() ? QString() : tlspin::fingerprint(chain.first()));
            reply->abort();
        }
    });
    const QPointer<QObject> guard(ctx);
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, guard, done = std::move(done)] { finish(reply, guard, done); });
}

void HubClient::onSslErrors(QNetworkReply *reply, const QList<QSslError> &errors)
{
    const auto chain = tlspin::collectChain(reply->sslConfiguration().peerCertificateChain(), errors);
    const tlspin::Verdict verdict = tlspin::check(chain, m_pin);
    reply->setProperty(kCertProperty, int(verdict));
    reply->setProperty(kCertFingerprint, chain.isEmpty() ? QString() : tlspin::fingerprint(chain.first()));
    m_presented = reply->property(kCertFingerprint).toString();
    if (verdict == tlspin::Verdict::Match)
        reply->ignoreSslErrors(errors);
    else if (verdict == tlspin::Verdict::Unknown && !chain.isEmpty())
        emit certificateUnknown(tlspin::fingerprint(chain.first()), chain.first().subjectDisplayName());
    else if (verdict == tlspin::Verdict::Mismatch)
        emit certificateChanged(reply->property(kCertFingerprint).toString());
}

Error HubClient::errorFor(QNetworkReply *reply, const QByteArray &body) const
{
    const int verdict = reply->property(kCertProperty).toInt();
    const QString fp = reply->property(kCertFingerprint).toString();
    if (verdict == int(tlspin::Verdict::Mismatch))
        return {QStringLiteral("certificate_changed"),
                tr("The hub's certificate changed (now %1, pinned %2). This may be an attack or a "
                   "reinstalled hub; remove the pin in the connect dialog only if you know why it changed.")
                    .arg(fp, m_pin)};
    if (verdict == int(tlspin::Verdict::Unknown))
        return {QStringLiteral("certificate_unknown"),
                tr("The hub's certificate (SHA-256 %1) is not trusted yet.").arg(fp)};

    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0) {
        switch (reply->error()) {
        case QNetworkReply::ConnectionRefusedError:
        case QNetworkReply::HostNotFoundError:
        case QNetworkReply::TimeoutError:
        case QNetworkReply::OperationCanceledError:
        case QNetworkReply::RemoteHostClosedError:
        case QNetworkReply::NetworkSessionFailedError:
        case QNetworkReply::TemporaryNetworkFailureError:
        case QNetworkReply::UnknownNetworkError:
            return {QStringLiteral("unreachable"),
                    tr("Cannot reach the hub at %1 (%2). Check that cloudhub runs and the address and "
                       "port are right.")
                        .arg(m_base.toString(), reply->errorString())};
        case QNetworkReply::SslHandshakeFailedError:
            return {QStringLiteral("tls"),
                    tr("TLS handshake with %1 failed: %2").arg(m_base.toString(), reply->errorString())};
        default:
            return {QStringLiteral("network"), reply->errorString()};
        }
    }
    const QJsonObject err = QJsonDocument::fromJson(body).object();
    const QString detail = err.value(QLatin1String("detail")).toString();
    QString code = err.value(QLatin1String("error")).toString();
    if (status == 401)
        return {QStringLiteral("unauthorized"),
                tr("The hub refused the token (401). Use the token from <data dir>/admin.token.")};
    if (status == 403)
        return {QStringLiteral("forbidden"),
                tr("This token may only read (403). Use the admin token to change things.")};
    if (status == 429)
        return {QStringLiteral("too_many_attempts"),
                tr("Too many failed attempts; the hub asks to wait %1 s.")
                    .arg(QString::fromLatin1(reply->rawHeader("Retry-After")))};
    if (code.isEmpty())
        code = QStringLiteral("http_%1").arg(status);
    return {code, detail.isEmpty() ? tr("The hub answered HTTP %1.").arg(status)
                                   : tr("%1 (HTTP %2)").arg(detail).arg(status)};
}

void HubClient::finish(QNetworkReply *reply, const QPointer<QObject> &ctx, const Callback<QByteArray> &done)
{
    reply->deleteLater();
    const QByteArray body = reply->readAll();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    Result<QByteArray> result = body;
    if (reply->error() != QNetworkReply::NoError || status >= 400 || status == 0) {
        result = errorFor(reply, body);
        if (result.error().code == QLatin1String("unauthorized") ||
            result.error().code == QLatin1String("forbidden"))
            emit authenticationFailed(result.errorMessage());
    }
    if (ctx)
        done(std::move(result));
}

Result<QJsonDocument> HubClient::parseJson(const QByteArray &body)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError && !body.trimmed().isEmpty())
        return Error{QStringLiteral("bad_json"),
                     tr("The hub sent JSON that does not parse: %1").arg(pe.errorString())};
    return doc;
}

void HubClient::nodes(QObject *ctx, Callback<QList<NodeInfo>> done)
{
    // A large fleet's list is megabytes of JSON: parse it on a pool thread so the UI keeps painting.
    callBody("GET", apiPath({QStringLiteral("nodes")}), {}, ctx,
             [ctx = QPointer<QObject>(ctx), done](Result<QByteArray> r) {
                 if (!r.ok()) {
                     done(Result<QList<NodeInfo>>(r.error()));
                     return;
                 }
                 QThreadPool::globalInstance()->start([ctx, done, body = std::move(r).value()] {
                     Result<QJsonDocument> doc = parseJson(body);
                     Result<QList<NodeInfo>> out = QList<NodeInfo>();
                     if (!doc.ok()) {
                         out = doc.error();
                     } else {
                         QList<NodeInfo> list;
                         const QJsonArray arr = doc.value().object().value(QLatin1String("nodes")).toArray();
                         list.reserve(arr.size());
                         for (const QJsonValue &v : arr)
                             list << NodeInfo::fromJson(v.toObject());
                         out = std::move(list);
                     }
                     // qApp lives longer than any request; ctx is checked back on its own thread.
                     QMetaObject::invokeMethod(
                         qApp,
                         [ctx, done, out = std::move(out)]() mutable {
                             if (ctx)
                                 done(std::move(out));
                         },
                         Qt::QueuedConnection);
                 });
             });
}

void HubClient::node(const QString &id, QObject *ctx, Callback<NodeInfo> done)
{
    call("GET", apiPath({QStringLiteral("nodes"), id}), {}, ctx,
         mapJson(std::move(done), [](const QJsonDocument &d) { return NodeInfo::fromJson(d.object()); }));
}

void HubClient::resources(const QString &node, const QString &type, QObject *ctx, Callback<QJsonArray> done)
{
    QString path = apiPath({QStringLiteral("nodes"), node, QStringLiteral("resources")});
    if (!type.isEmpty())
        path += QStringLiteral("?type=") + QString::fromLatin1(QUrl::toPercentEncoding(type));
    call("GET", path, {}, ctx, mapJson(std::move(done), [](const QJsonDocument &d) {
             return d.object().value(QLatin1String("resources")).toArray();
         }));
}

void HubClient::resource(const QString &node, const QString &ns, const QString &type, const QString &name,
                         QObject *ctx, Callback<QJsonObject> done)
{
    call("GET", apiPath({QStringLiteral("nodes"), node, QStringLiteral("resources"), ns, type, name}), {},
         ctx, mapJson(std::move(done), [](const QJsonDocument &d) { return d.object(); }));
}

void HubClient::queue(const QString &node, QObject *ctx, Callback<QueueInfo> done)
{
    call("GET", apiPath({QStringLiteral("nodes"), node, QStringLiteral("queue")}), {}, ctx,
         mapJson(std::move(done), [](const QJsonDocument &d) { return QueueInfo::fromJson(d.object()); }));
}

void HubClient::stats(QObject *ctx, Callback<HubStats> done)
{
    call("GET", apiPath({QStringLiteral("stats")}), {}, ctx,
         mapJson(std::move(done), [](const QJsonDocument &d) { return HubStats::fromJson(d.object()); }));
}

void HubClient::devices(const QString &node, QObject *ctx, Callback<QList<DeviceInfo>> done)
{
    call("GET", apiPath({QStringLiteral("nodes"), node, QStringLiteral("devices")}), {}, ctx,
         mapJson(std::move(done), [](const QJsonDocument &d) {
             QList<DeviceInfo> list;
             const QJsonArray arr = d.object().value(QLatin1String("devices")).toArray();
             for (const QJsonValue &v : arr)
                 list << DeviceInfo::fromJson(v.toObject());
             return list;
         }));
}

void HubClient::applyResource(const QString &node, const QJsonObject &object, QObject *ctx,
                              Callback<QJsonObject> done)
{
    const Status valid = validateResource(object);
    if (!valid.ok()) {
        done(Result<QJsonObject>(valid.error()));
        return;
    }
    const QJsonObject meta = object.value(QLatin1String("metadata")).toObject();
    QString ns = meta.value(QLatin1String("namespace")).toString();
    if (ns.isEmpty())
        ns = QStringLiteral("default");
    const QString name = meta.value(QLatin1String("name")).toString();
    call("PUT",
         apiPath({QStringLiteral("nodes"), node, QStringLiteral("resources"), ns, typeOf(object), name}),
         QJsonDocument(object).toJson(QJsonDocument::Compact), ctx,
         mapJson(std::move(done), [](const QJsonDocument &d) { return d.object(); }));
}

void HubClient::deleteResource(const QString &node, const QString &ns, const QString &type,
                               const QString &name, QObject *ctx, Callback<QJsonObject> done)
{
    call("DELETE", apiPath({QStringLiteral("nodes"), node, QStringLiteral("resources"), ns, type, name}), {},
         ctx, mapJson(std::move(done), [](const QJsonDocument &d) { return d.object(); }));
}

void HubClient::setDesired(const QString &node, const QString &ns, const QString &device,
                           const QString &property, const QString &value, QObject *ctx,
                           Callback<DeviceInfo> done)
{
    const QJsonObject body{{QStringLiteral("desired"), QJsonObject{{property, value}}}};
    call("PUT", apiPath({QStringLiteral("nodes"), node, QStringLiteral("devices"), ns, device}),
         QJsonDocument(body).toJson(QJsonDocument::Compact), ctx,
         mapJson(std::move(done), [](const QJsonDocument &d) { return DeviceInfo::fromJson(d.object()); }));
}

} // namespace qedge
