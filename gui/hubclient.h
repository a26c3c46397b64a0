#pragma once

#include "gui/apitypes.h"
#include "shared/result.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QObject>
#include <QPointer>
#include <QSslError>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace qedge {

/// Async client of the cloudhub admin API (docs/api.md). Every call returns at once and calls
/// back on the context object's thread; a dead context drops the answer. TLS is trust on first
/// use: an unpinned certificate fails with "certificate_unknown" and certificateUnknown() so the
/// UI can ask, a different one than pinned fails with "certificate_changed".
class HubClient : public QObject
{
    Q_OBJECT
public:
    template <typename T> using Callback = std::function<void(Result<T>)>;

    explicit HubClient(QObject *parent = nullptr);

    /// Base URL (https://host:10010) and bearer token for all later calls.
    void setHub(const QUrl &baseUrl, const QByteArray &token);
    QUrl baseUrl() const { return m_base; }
    QByteArray token() const { return m_token; }
    /// The pinned SHA-256 fingerprint; empty means nothing trusted yet.
    void setPinnedFingerprint(const QString &fingerprint);
    QString pinnedFingerprint() const { return m_pin; }
    /// The fingerprint of the certificate the hub presented last (what the user is asked to trust).
    QString presentedFingerprint() const { return m_presented; }
    /// Request timeout in ms (default 15 s).
    void setTimeout(int ms) { m_timeoutMs = ms; }

    void nodes(QObject *ctx, Callback<QList<NodeInfo>> done);
    void node(const QString &id, QObject *ctx, Callback<NodeInfo> done);
    /// Resources of a node; type empty for all types.
    void resources(const QString &node, const QString &type, QObject *ctx, Callback<QJsonArray> done);
    void resource(const QString &node, const QString &ns, const QString &type, const QString &name,
                  QObject *ctx, Callback<QJsonObject> done);
    void queue(const QString &node, QObject *ctx, Callback<QueueInfo> done);
    void stats(QObject *ctx, Callback<HubStats> done);
    void devices(const QString &node, QObject *ctx, Callback<QList<DeviceInfo>> done);
    /// PUT the object at the path its kind and metadata name; answers the stored object.
    void applyResource(const QString &node, const QJsonObject &object, QObject *ctx,
                       Callback<QJsonObject> done);
    void deleteResource(const QString &node, const QString &ns, const QString &type, const QString &name,
                        QObject *ctx, Callback<QJsonObject> done);
    /// Sets one desired twin value of a device; answers the updated device.
    void setDesired(const QString &node, const QString &ns, const QString &device, const QString &property,
                    const QString &value, QObject *ctx, Callback<DeviceInfo> done);

    /// Low-level call: verb, path under the base URL (already encoded), JSON body or empty.
    void call(const QByteArray &verb, const QString &path, const QByteArray &body, QObject *ctx,
              Callback<QJsonDocument> done);

    /// "/api/v1/nodes/a%2Fb": joins and percent-encodes path segments.
    static QString apiPath(const QStringList &segments);
    /// The lower-case type of a resource object ("ConfigMap" -> "configmap").
    static QString typeOf(const QJsonObject &object);
    /// Checks what the API needs before a PUT: kind, apiVersion, metadata.name.
    static Status validateResource(const QJsonObject &object);

signals:
    /// The hub presented a certificate nobody pinned yet: ask the user, then setPinnedFingerprint().
    void certificateUnknown(const QString &fingerprint, const QString &subject);
    /// The hub presented a certificate different from the pinned one.
    void certificateChanged(const QString &fingerprint);
    /// Any call failed because of the token (401/403), for a global banner.
    void authenticationFailed(const QString &message);

private:
    void onSslErrors(QNetworkReply *reply, const QList<QSslError> &errors);
    /// The request without JSON parsing: the body of a 2xx answer, or the error.
    void callBody(const QByteArray &verb, const QString &path, const QByteArray &body, QObject *ctx,
                  Callback<QByteArray> done);
    void finish(QNetworkReply *reply, const QPointer<QObject> &ctx, const Callback<QByteArray> &done);
    static Result<QJsonDocument> parseJson(const QByteArray &body);
    Error errorFor(QNetworkReply *reply, const QByteArray &body) const;

    QNetworkAccessManager *m_nam;
    QUrl m_base;
    QByteArray m_token;
    QString m_pin;
    QString m_presented;
    int m_timeoutMs = 15000;
};

} // namespace qedge
