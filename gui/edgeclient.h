#pragma once

#include "gui/apitypes.h"
#include "shared/result.h"

#include <QJsonArray>
#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

namespace qedge {

/// Async client of an edgehub's local API (plain HTTP on 127.0.0.1, docs/api.md "Local API").
class EdgeClient : public QObject
{
    Q_OBJECT
public:
    template <typename T> using Callback = std::function<void(Result<T>)>;

    explicit EdgeClient(QObject *parent = nullptr);

    void setBaseUrl(const QUrl &url) { m_base = url; }
    QUrl baseUrl() const { return m_base; }

    void status(QObject *ctx, Callback<EdgeStatus> done);
    void resources(QObject *ctx, Callback<QJsonArray> done);
    void devices(QObject *ctx, Callback<QList<DeviceInfo>> done);
    /// A Kubernetes-shaped object from one item of the edge's resource list (bare or wrapped).
    static QJsonObject unwrapResource(const QJsonObject &item);

private:
    void get(const QString &path, QObject *ctx, Callback<QJsonObject> done);

    QNetworkAccessManager *m_nam;
    QUrl m_base = QUrl(QStringLiteral("http://127.0.0.1:10550"));
};

} // namespace qedge
