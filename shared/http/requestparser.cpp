#include "shared/http/requestparser.h"

namespace qedge::http {

namespace {

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView v)
{
    if (v.isEmpty())
        return false;
    for (char c : v) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

// Field values: visible ASCII, space, tab and obs-text; any other control byte is an attack or a bug.
bool isFieldValue(QByteArrayView v)
{
    for (char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

bool isTargetChar(char ch)
{
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f;
}

QByteArrayView trimOws(QByteArrayView v)
{
    while (!v.isEmpty() && (v.front() == ' ' || v.front() == '\t'))
        v = v.sliced(1);
    while (!v.isEmpty() && (v.back() == ' ' || v.back() == '\t'))
        v.chop(1);
    return v;
}

HeadParseResult failure(int status, const char *detail)
{
    HeadParseResult r;
    r.errorStatus = status;
    r.errorDetail = QString::fromLatin1(detail);
    return r;
}

constexpr int MaxMethodLength = 32;

} // namespace

qsizetype findHeadEnd(QByteArrayView data)
{
    const qsizetype i = data.indexOf(QByteArrayView("\r\n\r\n"));
    return i < 0 ? -1 : i + 4;
}

qint64 parseContentLength(QByteArrayView value)
{
    if (value.isEmpty() || value.size() > 18)
        return -1;
    qint64 n = 0;
    for (char c : value) {
        if (c < '0' || c > '9')
            return -1;
        n = n * 10 + (c - '0');
    }
    return n;
}

HeadParseResult parseRequestHead(QByteArrayView head, int maxHeaders)
{
    if (head.endsWith(QByteArrayView("\r\n\r\n")))
        head.chop(2); // keep the last header line's CRLF, drop the blank line
    HeadParseResult result;

    qsizetype lineEnd = head.indexOf(QByteArrayView("\r\n"));
    if (lineEnd < 0)
        return failure(400, "request line not terminated");
    const QByteArrayView requestLine = head.first(lineEnd);

    // request-line = method SP request-target SP HTTP-version, single spaces only.
    const qsizetype sp1 = requestLine.indexOf(' ');
    if (sp1 <= 0)
        return failure(400, "malformed request line");
    const qsizetype sp2 = requestLine.indexOf(' ', sp1 + 1);
    if (sp2 < 0 || sp2 == sp1 + 1 || requestLine.indexOf(' ', sp2 + 1) >= 0)
        return failure(400, "malformed request line");
    const QByteArrayView method = requestLine.first(sp1);
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);

    if (method.size() > MaxMethodLength || !isToken(method))
        return failure(400, "malformed method");
    if (target.front() != '/')
        return failure(400, "request target must be an absolute path");
    for (char c : target) {
        if (!isTargetChar(c))
            return failure(400, "invalid byte in request target");
    }
    if (version.size() != 8 || !version.startsWith(QByteArrayView("HTTP/")) || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return failure(400, "malformed HTTP version");
    if (version[5] != '1')
        return failure(505, "only HTTP/1.x is supported");

    result.head.method = method.toByteArray();
    result.head.minorVersion = version[7] - '0';
    const qsizetype q = target.indexOf('?');
    if (q >= 0) {
        result.head.rawPath = target.first(q).toByteArray();
        result.head.rawQuery = target.sliced(q + 1).toByteArray();
    } else {
        result.head.rawPath = target.toByteArray();
    }

    int count = 0;
    qsizetype pos = lineEnd + 2;
    while (pos < head.size()) {
        lineEnd = head.indexOf(QByteArrayView("\r\n"), pos);
        if (lineEnd < 0)
            return failure(400, "header line not terminated");
        const QByteArrayView line = head.sliced(pos, lineEnd - pos);
        pos = lineEnd + 2;
        if (line.isEmpty())
            return failure(400, "unexpected blank line in headers");
        if (++count > maxHeaders)
            return failure(431, "too many header fields");
        if (line.front() == ' ' || line.front() == '\t')
            return failure(400, "obsolete header line folding");
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return failure(400, "header line without a name");
        const QByteArrayView name = line.first(colon);
        if (!isToken(name))
            return failure(400, "malformed header name");
        const QByteArrayView value = trimOws(line.sliced(colon + 1));
        if (!isFieldValue(value))
            return failure(400, "control character in header value");

        const QByteArray key = name.toByteArray().toLower();
        auto it = result.head.headers.find(key);
        if (it == result.head.headers.end()) {
            result.head.headers.insert(key, value.toByteArray());
        } else if (key == "content-length") {
            // Differing lengths are the classic request-smuggling vector.
            if (*it != value)
                return failure(400, "conflicting Content-Length headers");
        } else {
            *it += ", " + value.toByteArray();
        }
    }
    return result;
}

} // namespace qedge::http
