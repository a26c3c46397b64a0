#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QString>

namespace qedge::http {

/// Request line and headers of one request, before routing.
struct RequestHead
{
    QByteArray method;
    QByteArray rawPath;                    ///< still percent-encoded: routing splits on '/' before decoding
    QByteArray rawQuery;                   ///< after '?', still encoded
    int minorVersion = 1;                  ///< HTTP/1.x
    QHash<QByteArray, QByteArray> headers; ///< lower-case names, repeats joined with ", "

    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
};

/// Outcome of parseRequestHead: a head, or the status to answer with before closing.
struct HeadParseResult
{
    RequestHead head;
    int errorStatus = 0; ///< 0 when the head is good; 400, 431 or 505 otherwise
    QString errorDetail;

    bool ok() const { return errorStatus == 0; }
};

/// Offset just past the blank line ending the header section in data, or -1 if it is not there yet.
qsizetype findHeadEnd(QByteArrayView data);

/// Parses a complete header section (request line through the blank line). Strict: CRLF line ends,
/// token method and header names, origin-form target, no obs-fold, no control bytes. Never crashes.
HeadParseResult parseRequestHead(QByteArrayView head, int maxHeaders);

/// Content-Length as a number: digits only, at most 18 of them; -1 if malformed.
qint64 parseContentLength(QByteArrayView value);

} // namespace qedge::http
