#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QSslCertificate>
#include <QUrl>
#include <QWebSocket>

#include <functional>
#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
QT_END_NAMESPACE

namespace qedge::test {

/// One admin API exchange.
struct AdminReply
{
    int status = 0; ///< 0 when no HTTP answer came
    QByteArray body;
    QString networkError;
    QList<QPair<QByteArray, QByteArray>> headers;

    QJsonObject json() const;
    /// The "error" code of an error body.
    QString error() const { return json().value(QStringLiteral("error")).toString(); }
};

/// A blocking client of the hub's admin API for tests and benchmarks: HTTPS verified against the
/// hub CA (DIR/pki/ca.crt), bearer token.
class AdminClient
{
public:
    AdminClient(const QUrl &base, const QString &caFile, const QByteArray &token);

    void setToken(const QByteArray &token) { m_token = token; }
    AdminReply call(const QByteArray &method, const QString &pathAndQuery, const QByteArray &body = {},
                    int timeoutMs = 10000) const;
    AdminReply get(const QString &path) const { return call("GET", path); }
    AdminReply put(const QString &path, const QJsonObject &body) const;
    AdminReply del(const QString &path) const { return call("DELETE", path); }

    /// Opens the event stream (wss, same token); true once connected.
    bool openEvents(QWebSocket &socket, const QString &query = {}, int timeoutMs = 5000) const;

private:
    QUrl m_base;
    QList<QSslCertificate> m_ca;
    std::shared_ptr<QNetworkAccessManager> m_nam; // kept: connections are reused between calls
    QByteArray m_token;
};

/// Collects the JSON events of a stream socket.
class EventCollector : public QObject
{
    Q_OBJECT
public:
    explicit EventCollector(QWebSocket *socket);
    const QList<QJsonObject> &events() const { return m_events; }
    /// Waits for an event matching pred (already received ones count).
    std::optional<QJsonObject> waitFor(const std::function<bool(const QJsonObject &)> &pred, int timeoutMs = 5000);

private:
    QList<QJsonObject> m_events;
};

} // namespace qedge::test
