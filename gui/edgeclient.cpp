#include "gui/edgeclient.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>

namespace qedge {

EdgeClient::EdgeClient(QObject *parent) : QObject(parent), m_nam(new QNetworkAccessManager(this))
{}

void EdgeClient::get(const QString &path, QObject *ctx, Callback<QJsonObject> done)
{
    QUrl url = m_base;
    url.setPath(path);
    QNetworkRequest req(url);
    req.setTransferTimeout(5000);
    QNetworkReply *reply = m_nam->get(req);
    const QPointer<QObject> guard(ctx);
    connect(reply, &QNetworkReply::finished, this, [this, reply, guard, done = std::move(done)] {
        reply->deleteLater();
        if (!guard)
            return;
        const QByteArray body = reply->readAll();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 0) {
            done(Result<QJsonObject>::failure(QStringLiteral("unreachable"),
                                              tr("Cannot reach the edgehub at %1 (%2). Is edgehub running on "
                                                 "this machine with its local API on?")
                                                  .arg(m_base.toString(), reply->errorString())));
            return;
        }
        const QJsonObject o = QJsonDocument::fromJson(body).object();
        if (status >= 400) {
            const QString detail = o.value(QLatin1String("detail")).toString();
            done(Result<QJsonObject>::failure(
                o.value(QLatin1String("error")).toString(),
                detail.isEmpty() ? tr("The edgehub answered HTTP %1.").arg(status) : detail));
            return;
        }
        done(o);
    });
}

void EdgeClient::status(QObject *ctx, Callback<EdgeStatus> done)
{
    get(QStringLiteral("/api/v1/status"), ctx, [done = std::move(done)](Result<QJsonObject> r) {
        done(r.ok() ? Result<EdgeStatus>(EdgeStatus::fromJson(r.value())) : Result<EdgeStatus>(r.error()));
    });
}

QJsonObject EdgeClient::unwrapResource(const QJsonObject &item)
{
    // The edgehub lists stored rows: {key, namespace, type, name, resourceVersion, object}.
    if (!item.contains(QLatin1String("key")) || !item.contains(QLatin1String("object")))
        return item;
    QJsonObject o = item.value(QLatin1String("object")).toObject();
    QJsonObject meta = o.value(QLatin1String("metadata")).toObject();
    for (const char *k : {"namespace", "name", "resourceVersion"}) {
        const QString key = QLatin1String(k);
        if (meta.value(key).toString().isEmpty() && !item.value(key).toVariant().toString().isEmpty())
            meta.insert(key, item.value(key).toVariant().toString());
    }
    o.insert(QStringLiteral("metadata"), meta);
    if (o.value(QLatin1String("kind")).toString().isEmpty())
        o.insert(QStringLiteral("kind"), item.value(QLatin1String("type")).toString());
    return o;
}

void EdgeClient::resources(QObject *ctx, Callback<QJsonArray> done)
{
    get(QStringLiteral("/api/v1/resources"), ctx, [done = std::move(done)](Result<QJsonObject> r) {
        if (!r.ok()) {
            done(Result<QJsonArray>(r.error()));
            return;
        }
        QJsonArray out;
        for (const QJsonValue &v : r.value().value(QLatin1String("resources")).toArray())
            out.append(unwrapResource(v.toObject()));
        done(out);
    });
}

void EdgeClient::devices(QObject *ctx, Callback<QList<DeviceInfo>> done)
{
    get(QStringLiteral("/api/v1/devices"), ctx, [done = std::move(done)](Result<QJsonObject> r) {
        if (!r.ok()) {
            done(Result<QList<DeviceInfo>>(r.error()));
            return;
        }
        QList<DeviceInfo> list;
        for (const QJsonValue &v : r.value().value(QLatin1String("devices")).toArray())
            list << DeviceInfo::fromJson(v.toObject());
        done(list);
    });
}

} // namespace qedge
