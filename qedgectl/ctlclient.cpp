#include "qedgectl/ctlclient.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

namespace qedge::ctl {

namespace {

QString hintFor(int status)
{
    switch (status) {
    case 401:
        return QStringLiteral(" (check --token, --token-file or QEDGECTL_TOKEN)");
    case 403:
        return QStringLiteral(" (this needs the admin token)");
    case 429:
        return QStringLiteral(" (too many failed attempts from this address; wait a minute)");
    default:
        return {};
    }
}

} // namespace

Client::Client(const Settings &settings) : m_settings(settings), m_tls(QSslConfiguration::defaultConfiguration())
{
    if (!settings.cacert.isEmpty())
        m_tls.setCaCertificates(QSslCertificate::fromPath(settings.cacert));
}

Reply Client::call(const QByteArray &method, const QString &pathAndQuery, const QByteArray &body)
{
    Reply out;
    const QUrl url(m_settings.hub + pathAndQuery);
    if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
        out.error = QStringLiteral("the hub URL %1 is not an http(s) URL").arg(m_settings.hub);
        out.exitCode = ExitUsage;
        return out;
    }
    QNetworkRequest req(url);
    req.setSslConfiguration(m_tls);
    req.setTransferTimeout(30000);
    if (!m_settings.token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_settings.token.toUtf8());
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = m_nam.sendCustomRequest(req, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    if (out.status == 0) {
        out.error = QStringLiteral("cannot reach the hub at %1: %2").arg(m_settings.hub, reply->errorString());
        out.exitCode = ExitUnreachable;
        reply->deleteLater();
        return out;
    }
    reply->deleteLater();
    out.json = QJsonDocument::fromJson(out.body).object();
    if (out.status >= 200 && out.status < 300) {
        out.ok = true;
        return out;
    }
    const QString code = out.json.value(QStringLiteral("error")).toString();
    const QString detail = out.json.value(QStringLiteral("detail")).toString();
    out.error = QStringLiteral("%1 (%2)%3%4")
                    .arg(code.isEmpty() ? QStringLiteral("HTTP error") : code)
                    .arg(out.status)
                    .arg(detail.isEmpty() ? QString() : QStringLiteral(": ") + detail, hintFor(out.status));
    out.exitCode = ExitApiError;
    return out;
}

int Client::follow(const QString &query, const std::function<void(const QJsonObject &)> &onEvent)
{
    QUrl url(m_settings.hub + QStringLiteral("/api/v1/events"));
    url.setScheme(url.scheme() == QLatin1String("http") ? QStringLiteral("ws") : QStringLiteral("wss"));
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest req(url);
    if (!m_settings.token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_settings.token.toUtf8());
    QWebSocket socket;
    socket.setSslConfiguration(m_tls);
    int code = ExitOk;
    bool connected = false;
    QEventLoop loop;
    QObject::connect(&socket, &QWebSocket::connected, &loop, [&] { connected = true; });
    QObject::connect(&socket, &QWebSocket::textMessageReceived, &loop, [&](const QString &text) {
        onEvent(QJsonDocument::fromJson(text.toUtf8()).object());
    });
    QObject::connect(&socket, &QWebSocket::disconnected, &loop, [&] {
        if (!connected) {
            qCritical("qedgectl: cannot open the event stream at %s: %s", qPrintable(url.toString()),
                      qPrintable(socket.errorString() + QStringLiteral(" (a bad token is refused with 401)")));
            code = ExitUnreachable;
        } else {
            qCritical("qedgectl: the hub closed the event stream");
            code = ExitUnreachable;
        }
        loop.quit();
    });
    socket.open(req);
    loop.exec();
    return code;
}

} // namespace qedge::ctl
