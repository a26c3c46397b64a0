#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QString>

namespace qedge::http {

/// An HTTP response; the server adds Content-Length, Connection and Date itself.
struct Response
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers; ///< extra headers; CR, LF or NUL in them drop that header

    /// JSON body (objects, arrays and scalars).
    static Response json(int status, const QJsonValue &value);
    /// JSON error body {"error": error, "detail": detail}; detail left out when empty.
    static Response error(int status, const QString &error, const QString &detail = {});
    static Response bytes(int status, QByteArray contentType, QByteArray body);
    /// text/plain; charset=utf-8.
    static Response text(int status, const QString &text);

    /// Wire form: status line, headers, blank line and (unless headOnly) the body.
    QByteArray serialize(bool keepAlive, bool headOnly = false) const;
};

/// Reason phrase for a status code ("Not Found"); "Unknown" for codes it does not know.
QByteArray reasonPhrase(int status);

/// Current time as an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
QByteArray httpDate();

} // namespace qedge::http
