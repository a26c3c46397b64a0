#include "tests/support/adminclient.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QTimer>

namespace qedge::test {

QJsonObject AdminReply::json() const
{
    return QJsonDocument::fromJson(body).object();
}

AdminClient::AdminClient(const QUrl &base, const QString &caFile, const QByteArray &token)
    : m_base(base), m_ca(QSslCertificate::fromPath(caFile)), m_nam(std::make_shared<QNetworkAccessManager>()),
      m_token(token)
{
}

AdminReply AdminClient::call(const QByteArray &method, const QString &pathAndQuery, const QByteArray &body,
                             int timeoutMs) const
{
    QNetworkRequest req(QUrl(m_base.toString() + pathAndQuery));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(m_ca);
    req.setSslConfiguration(tls);
    if (!m_token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_token);
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = m_nam->sendCustomRequest(req, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    AdminReply out;
    if (!reply->isFinished()) {
        reply->abort();
        out.networkError = QStringLiteral("timeout");
    }
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    out.headers = reply->rawHeaderPairs();
    if (out.status == 0)
        out.networkError = reply->errorString();
    delete reply;
    return out;
}

AdminReply AdminClient::put(const QString &path, const QJsonObject &body) const
{
    return call("PUT", path, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

bool AdminClient::openEvents(QWebSocket &socket, const QString &query, int timeoutMs) const
{
    QUrl url = m_base;
    url.setScheme(QStringLiteral("wss"));
    url.setPath(QStringLiteral("/api/v1/events"));
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest req(url);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(m_ca);
    socket.setSslConfiguration(tls);
    req.setRawHeader("Authorization", "Bearer " + m_token);
    QEventLoop loop;
    QObject::connect(&socket, &QWebSocket::connected, &loop, &QEventLoop::quit);
    QObject::connect(&socket, &QWebSocket::disconnected, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    socket.open(req);
    loop.exec();
    return socket.state() == QAbstractSocket::ConnectedState;
}

EventCollector::EventCollector(QWebSocket *socket)
{
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this](const QString &text) { m_events.append(QJsonDocument::fromJson(text.toUtf8()).object()); });
}

std::optional<QJsonObject> EventCollector::waitFor(const std::function<bool(const QJsonObject &)> &pred,
                                                   int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    qsizetype checked = 0;
    while (true) {
        for (; checked < m_events.size(); ++checked)
            if (pred(m_events.at(checked)))
                return m_events.at(checked);
        if (t.elapsed() >= timeoutMs)
            return std::nullopt;
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
}

} // namespace qedge::test
