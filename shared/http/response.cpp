#include "shared/http/response.h"

#include "shared/http/httplog.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

namespace qedge::http {

namespace {

bool isSafeHeaderPart(const QByteArray &part)
{
    for (char c : part) {
        if (c == '\r' || c == '\n' || c == '\0')
            return false;
    }
    return true;
}

// The server owns framing: a handler's copy of these would contradict the real values.
bool isFramingHeader(const QByteArray &name)
{
    const QByteArray lower = name.toLower();
    return lower == "content-length" || lower == "connection" || lower == "date" ||
           lower == "transfer-encoding" || lower == "content-type";
}

} // namespace

Response Response::json(int status, const QJsonValue &value)
{
    Response r;
    r.status = status;
    if (value.isObject()) {
        r.body = QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    } else if (value.isArray()) {
        r.body = QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    } else {
        // QJsonDocument holds only containers: wrap the scalar and drop the brackets.
        const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        r.body = wrapped.mid(1, wrapped.size() - 2);
    }
    return r;
}

Response Response::error(int status, const QString &error, const QString &detail)
{
    QJsonObject o{{QStringLiteral("error"), error}};
    if (!detail.isEmpty())
        o.insert(QStringLiteral("detail"), detail);
    return json(status, o);
}

Response Response::bytes(int status, QByteArray contentType, QByteArray body)
{
    Response r;
    r.status = status;
    r.contentType = std::move(contentType);
    r.body = std::move(body);
    return r;
}

Response Response::text(int status, const QString &text)
{
    return bytes(status, QByteArrayLiteral("text/plain; charset=utf-8"), text.toUtf8());
}

QByteArray Response::serialize(bool keepAlive, bool headOnly) const
{
    const int code = (status >= 100 && status <= 999) ? status : 500;
    QByteArray out;
    out.reserve(160 + body.size());
    out += "HTTP/1.1 " + QByteArray::number(code) + ' ' + reasonPhrase(code) + "\r\n";
    out += "Date: " + httpDate() + "\r\n";
    if (!contentType.isEmpty() && isSafeHeaderPart(contentType))
        out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    for (const auto &h : headers) {
        if (h.first.isEmpty() || !isSafeHeaderPart(h.first) || !isSafeHeaderPart(h.second) ||
            h.first.contains(':') || isFramingHeader(h.first)) {
            qCWarning(lcHttp) << "dropping unsafe or framing response header" << h.first;
            continue;
        }
        out += h.first + ": " + h.second + "\r\n";
    }
    out += "\r\n";
    if (!headOnly)
        out += body;
    return out;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

QByteArray httpDate()
{
    // Formatting a date per response is measurable at high request rates; it changes once a second.
    thread_local qint64 cachedSecond = -1;
    thread_local QByteArray cached;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const qint64 second = now.toSecsSinceEpoch();
    if (second != cachedSecond) {
        cachedSecond = second;
        cached = QLocale::c().toString(now, QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'")).toLatin1();
    }
    return cached;
}

} // namespace qedge::http
