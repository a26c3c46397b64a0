#include "shared/codec.h"

#include <QVarLengthArray>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace qedge {
namespace codec {

namespace {

// ---------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------

constexpr char kHex[] = "0123456789abcdef";

enum : unsigned char { Plain = 0, Escape = 1, NonAscii = 2 };

// Go's encodeState.string with escapeHTML=true: which bytes leave the fast path.
constexpr std::array<unsigned char, 256> makeEncodeTable()
{
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[c] = c < 0x20 ? Escape : c >= 0x80 ? NonAscii : Plain;
    t['"'] = t['\\'] = t['<'] = t['>'] = t['&'] = Escape;
    return t;
}
constexpr std::array<unsigned char, 256> kEnc = makeEncodeTable();

// Every escape is at most 6 bytes, so output buffers are sized as 6 * input units.
constexpr qsizetype kMaxGrowth = 6;

inline char *put(char *o, const char *lit, size_t n)
{
    std::memcpy(o, lit, n);
    return o + n;
}
template <size_t N> inline char *put(char *o, const char (&lit)[N])
{
    return put(o, lit, N - 1);
}

inline char *putUnicodeEscape(char *o, unsigned cp)
{
    *o++ = '\\';
    *o++ = 'u';
    *o++ = kHex[(cp >> 12) & 0xF];
    *o++ = kHex[(cp >> 8) & 0xF];
    *o++ = kHex[(cp >> 4) & 0xF];
    *o++ = kHex[cp & 0xF];
    return o;
}

inline char *putEscapedAscii(char *o, unsigned char c)
{
    char shortForm = 0;
    switch (c) {
    case '"':
        shortForm = '"';
        break;
    case '\\':
        shortForm = '\\';
        break;
    case '\n':
        shortForm = 'n';
        break;
    case '\r':
        shortForm = 'r';
        break;
    case '\t':
        shortForm = 't';
        break;
    case '\b':
        shortForm = 'b';
        break;
    case '\f':
        shortForm = 'f';
        break;
    default:
        return putUnicodeEscape(o, c);
    }
    *o++ = '\\';
    *o++ = shortForm;
    return o;
}

// Length of the valid UTF-8 sequence at p, 0 when invalid (Go's utf8.DecodeRune rules).
inline int utf8SequenceLength(const unsigned char *p, const unsigned char *end)
{
    const unsigned char c = p[0];
    const auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return end - p >= 2 && cont(p[1]) ? 2 : 0;
    if (c < 0xF0) {
        if (end - p < 3)
            return 0;
        const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
        const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
        return p[1] >= lo && p[1] <= hi && cont(p[2]) ? 3 : 0;
    }
    if (c < 0xF5) {
        if (end - p < 4)
            return 0;
        const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
        const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
        return p[1] >= lo && p[1] <= hi && cont(p[2]) && cont(p[3]) ? 4 : 0;
    }
    return 0;
}

// Writes s as a quoted JSON string; needs 6 * s.size() + 2 bytes at o.
char *putString(char *o, const QString &s)
{
    *o++ = '"';
    const auto *u = reinterpret_cast<const char16_t *>(s.utf16());
    const qsizetype n = s.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = u[i];
        if (c < 0x80) {
            if (kEnc[c] == Plain)
                *o++ = char(c);
            else
                o = putEscapedAscii(o, static_cast<unsigned char>(c));
        } else if (c < 0x800) {
            *o++ = char(0xC0 | (c >> 6));
            *o++ = char(0x80 | (c & 0x3F));
        } else if (QChar::isHighSurrogate(c) && i + 1 < n && QChar::isLowSurrogate(u[i + 1])) {
            const char32_t cp = QChar::surrogateToUcs4(c, u[i + 1]);
            ++i;
            *o++ = char(0xF0 | (cp >> 18));
            *o++ = char(0x80 | ((cp >> 12) & 0x3F));
            *o++ = char(0x80 | ((cp >> 6) & 0x3F));
            *o++ = char(0x80 | (cp & 0x3F));
        } else if (QChar::isSurrogate(c)) {
            o = putUnicodeEscape(o, 0xFFFD);
        } else if (c == 0x2028 || c == 0x2029) {
            // Go escapes these because JavaScript treats them as line terminators.
            o = putUnicodeEscape(o, c);
        } else {
            *o++ = char(0xE0 | (c >> 12));
            *o++ = char(0x80 | ((c >> 6) & 0x3F));
            *o++ = char(0x80 | (c & 0x3F));
        }
    }
    *o++ = '"';
    return o;
}

// Compacts raw JSON and applies Go's string escaping inside its strings, like Go does for
// json.RawMessage, so a decoded message re-encodes to what a Go hub would send.
// Consumes input from p up to at least stop (a UTF-8 sequence or an escape may run up to 3 bytes
// past it, never past end), so it needs 6 * (stop - p + 3) bytes at o.
char *putRawJson(char *o, const unsigned char *&p, const unsigned char *stop, const unsigned char *end,
                 bool &inString)
{
    while (p < stop) {
        const unsigned char c = *p;
        if (!inString) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++p;
                continue;
            }
            inString = c == '"';
            *o++ = char(c);
            ++p;
            continue;
        }
        switch (kEnc[c]) {
        case Plain:
            *o++ = char(c);
            ++p;
            while (p < stop && kEnc[*p] == Plain)
                *o++ = char(*p++);
            break;
        case Escape:
            if (c == '"') {
                inString = false;
                *o++ = '"';
                ++p;
            } else if (c == '\\') {
                *o++ = '\\';
                ++p;
                // The escaped character is structural: keep it as written.
                if (p < end && *p >= 0x20 && *p < 0x80)
                    *o++ = char(*p++);
            } else {
                o = putEscapedAscii(o, c);
                ++p;
            }
            break;
        default: {
            const int len = utf8SequenceLength(p, end);
            if (len == 0) {
                o = putUnicodeEscape(o, 0xFFFD);
                ++p;
            } else if (len == 3 && c == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
                o = putUnicodeEscape(o, p[2] == 0xA8 ? 0x2028 : 0x2029);
                p += 3;
            } else {
                for (int k = 0; k < len; ++k)
                    *o++ = char(*p++);
            }
            break;
        }
        }
    }
    return o;
}

char *putInt64(char *o, qint64 v)
{
    char buf[24];
    int n = 0;
    quint64 u = v < 0 ? quint64(0) - quint64(v) : quint64(v);
    do {
        buf[n++] = char('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *o++ = '-';
    while (n > 0)
        *o++ = buf[--n];
    return o;
}

// ---------------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------------

// Bytes that end the fast path inside a JSON string.
constexpr std::array<unsigned char, 256> makeStringTable()
{
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 0x20; ++c)
        t[c] = 1;
    t['"'] = t['\\'] = 1;
    return t;
}
constexpr std::array<unsigned char, 256> kStr = makeStringTable();

inline bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

inline int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Four hex digits at p (caller checked the bounds), -1 when one is not hex.
inline int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; ++i) {
        const int h = hexValue(p[i]);
        if (h < 0)
            return -1;
        v = (v << 4) | h;
    }
    return v;
}

inline void appendUtf8(QByteArray &out, char32_t cp)
{
    if (cp < 0x80) {
        out.append(char(cp));
    } else if (cp < 0x800) {
        out.append(char(0xC0 | (cp >> 6)));
        out.append(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.append(char(0xE0 | (cp >> 12)));
        out.append(char(0x80 | ((cp >> 6) & 0x3F)));
        out.append(char(0x80 | (cp & 0x3F)));
    } else {
        out.append(char(0xF0 | (cp >> 18)));
        out.append(char(0x80 | ((cp >> 12) & 0x3F)));
        out.append(char(0x80 | ((cp >> 6) & 0x3F)));
        out.append(char(0x80 | (cp & 0x3F)));
    }
}

// The body of a scanned JSON string (between the quotes) and whether it holds escapes.
struct StringSpan
{
    const char *begin = nullptr;
    const char *end = nullptr;
    bool escaped = false;
};

// Unescapes a string the scanner has already validated, giving UTF-8 bytes.
QByteArray unescape(const StringSpan &s)
{
    if (!s.escaped)
        return QByteArray(s.begin, s.end - s.begin);
    QByteArray out;
    out.reserve(s.end - s.begin);
    for (const char *p = s.begin; p < s.end;) {
        if (*p != '\\') {
            out.append(*p++);
            continue;
        }
        const char e = p[1];
        p += 2;
        switch (e) {
        case 'b':
            out.append('\b');
            break;
        case 'f':
            out.append('\f');
            break;
        case 'n':
            out.append('\n');
            break;
        case 'r':
            out.append('\r');
            break;
        case 't':
            out.append('\t');
            break;
        case 'u': {
            char32_t cp = char32_t(hex4(p));
            p += 4;
            if (QChar::isHighSurrogate(cp)) {
                cp = QChar::surrogateToUcs4(char16_t(cp), char16_t(hex4(p + 2)));
                p += 6;
            }
            appendUtf8(out, cp);
            break;
        }
        default:
            out.append(e);
            break; // '"', '\\', '/'
        }
    }
    return out;
}

inline QString toQString(const StringSpan &s)
{
    if (!s.escaped)
        return QString::fromUtf8(s.begin, s.end - s.begin);
    return QString::fromUtf8(unescape(s));
}

// Go's encoding/json matches keys to fields case-insensitively; so does this decoder.
inline bool keyIs(QByteArrayView key, const char *name)
{
    const qsizetype n = qsizetype(std::strlen(name));
    if (key.size() != n)
        return false;
    for (qsizetype i = 0; i < n; ++i) {
        char c = key[i];
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    return true;
}

const char *jsonTypeName(char c)
{
    switch (c) {
    case '"':
        return "string";
    case '{':
        return "object";
    case '[':
        return "array";
    case 't':
    case 'f':
        return "boolean";
    case 'n':
        return "null";
    default:
        return "number";
    }
}

QString shortened(const char *b, const char *e)
{
    constexpr qsizetype kMax = 40;
    const qsizetype n = e - b;
    if (n <= kMax)
        return QString::fromUtf8(b, n);
    return QString::fromUtf8(b, kMax) + QStringLiteral("...");
}

class Decoder
{
public:
    Decoder(const char *begin, const char *end, int maxDepth)
        : m_begin(begin), m_p(begin), m_end(end), m_maxDepth(maxDepth)
    {}

    Result<Message> run();

private:
    bool fail(const char *what)
    {
        if (m_syntaxError.isEmpty())
            m_syntaxError =
                QStringLiteral("invalid JSON at offset %1: %2").arg(m_p - m_begin).arg(QLatin1String(what));
        return false;
    }
    bool failDepth()
    {
        if (m_syntaxError.isEmpty()) {
            m_depthExceeded = true;
            m_syntaxError = QStringLiteral("invalid JSON at offset %1: nesting deeper than %2 levels")
                                .arg(m_p - m_begin)
                                .arg(m_maxDepth);
        }
        return false;
    }
    // Only the first field error is kept; syntax errors found later still take precedence.
    void fieldError(const QString &message)
    {
        if (m_fieldError.isEmpty())
            m_fieldError = message;
    }
    void wrongType(const char *field, const char *expected)
    {
        fieldError(
            QStringLiteral("%1: expected %2, got %3")
                .arg(QLatin1String(field), QLatin1String(expected), QLatin1String(jsonTypeName(*m_p))));
    }

    void skipWs()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }
    bool atEnd() const { return m_p >= m_end; }

    bool scanString(StringSpan &s);
    bool scanNumber();
    bool scanLiteral(const char *lit, size_t n);
    bool scanKeyColon(StringSpan *key);
    bool scanValue(int depth);
    template <typename OnMember> bool scanObject(int depth, OnMember onMember);

    bool stringField(const char *field, QString &out, bool nullAllowed);
    bool timestampField(qint64 &out);
    bool resourceVersionField(QString &out);
    bool syncField(bool &out);
    bool parseHeader(MessageHeader &h);
    bool parseRoute(MessageRoute &r);

    const char *m_begin;
    const char *m_p;
    const char *m_end;
    int m_maxDepth;
    bool m_depthExceeded = false;
    QString m_syntaxError;
    QString m_fieldError;
};

bool Decoder::scanString(StringSpan &s)
{
    ++m_p; // opening quote
    s.begin = m_p;
    s.escaped = false;
    for (;;) {
        while (m_p < m_end && kStr[static_cast<unsigned char>(*m_p)] == 0)
            ++m_p;
        if (atEnd())
            return fail("unterminated string");
        const char c = *m_p;
        if (c == '"') {
            s.end = m_p++;
            return true;
        }
        if (c != '\\')
            return fail("control character in string");
        s.escaped = true;
        if (m_end - m_p < 2)
            return fail("unterminated string");
        switch (m_p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            m_p += 2;
            break;
        case 'u': {
            if (m_end - m_p < 6)
                return fail("truncated \\u escape");
            const int u = hex4(m_p + 2);
            if (u < 0)
                return fail("invalid \\u escape");
            if (QChar::isLowSurrogate(char32_t(u)))
                return fail("lone surrogate in \\u escape");
            if (QChar::isHighSurrogate(char32_t(u))) {
                if (m_end - m_p < 12 || m_p[6] != '\\' || m_p[7] != 'u')
                    return fail("lone surrogate in \\u escape");
                const int low = hex4(m_p + 8);
                if (low < 0 || !QChar::isLowSurrogate(char32_t(low)))
                    return fail("lone surrogate in \\u escape");
                m_p += 12;
            } else {
                m_p += 6;
            }
            break;
        }
        default:
            ++m_p;
            return fail("invalid escape in string");
        }
    }
}

bool Decoder::scanNumber()
{
    if (*m_p == '-')
        ++m_p;
    if (atEnd())
        return fail("invalid number");
    if (*m_p == '0') {
        ++m_p;
    } else if (isDigit(*m_p)) {
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
    } else {
        return fail("invalid number");
    }
    if (m_p < m_end && *m_p == '.') {
        ++m_p;
        if (atEnd() || !isDigit(*m_p))
            return fail("invalid number: digit expected after '.'");
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
    }
    if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
        ++m_p;
        if (m_p < m_end && (*m_p == '+' || *m_p == '-'))
            ++m_p;
        if (atEnd() || !isDigit(*m_p))
            return fail("invalid number: digit expected in exponent");
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
    }
    return true;
}

bool Decoder::scanLiteral(const char *lit, size_t n)
{
    if (size_t(m_end - m_p) < n || std::memcmp(m_p, lit, n) != 0)
        return fail("invalid literal");
    m_p += n;
    return true;
}

bool Decoder::scanKeyColon(StringSpan *key)
{
    if (atEnd())
        return fail("unexpected end of input");
    if (*m_p != '"')
        return fail("expected a string key");
    StringSpan local;
    if (!scanString(key ? *key : local))
        return false;
    skipWs();
    if (atEnd())
        return fail("unexpected end of input");
    if (*m_p != ':')
        return fail("expected ':'");
    ++m_p;
    skipWs();
    return true;
}

// Validates one value of any kind; depth is the nesting of the container holding it.
// Iterative so that the nesting limit, not the C++ stack, bounds hostile input.
bool Decoder::scanValue(int depth)
{
    QVarLengthArray<char, 64> stack;
    for (;;) {
        if (atEnd())
            return fail("unexpected end of input");
        const char c = *m_p;
        bool complete = true;
        if (c == '{' || c == '[') {
            if (depth + stack.size() + 1 > m_maxDepth)
                return failDepth();
            stack.append(c);
            ++m_p;
            skipWs();
            if (atEnd())
                return fail("unexpected end of input");
            if (*m_p == (c == '{' ? '}' : ']')) {
                ++m_p;
                stack.removeLast();
            } else {
                if (c == '{' && !scanKeyColon(nullptr))
                    return false;
                complete = false;
            }
        } else if (c == '"') {
            StringSpan s;
            if (!scanString(s))
                return false;
        } else if (c == '-' || isDigit(c)) {
            if (!scanNumber())
                return false;
        } else if (c == 't') {
            if (!scanLiteral("true", 4))
                return false;
        } else if (c == 'f') {
            if (!scanLiteral("false", 5))
                return false;
        } else if (c == 'n') {
            if (!scanLiteral("null", 4))
                return false;
        } else {
            return fail("unexpected character");
        }
        if (!complete)
            continue;
        // A value ended: close finished containers until the next value starts.
        for (;;) {
            if (stack.isEmpty())
                return true;
            skipWs();
            if (atEnd())
                return fail("unexpected end of input");
            const char top = stack.last();
            if (*m_p == ',') {
                ++m_p;
                skipWs();
                if (top == '{' && !scanKeyColon(nullptr))
                    return false;
                break;
            }
            if (*m_p == (top == '{' ? '}' : ']')) {
                ++m_p;
                stack.removeLast();
                continue;
            }
            return fail(top == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

// Walks an object at m_p; onMember(key) must consume the member's value (m_p is at it).
template <typename OnMember> bool Decoder::scanObject(int depth, OnMember onMember)
{
    if (depth > m_maxDepth)
        return failDepth();
    ++m_p; // '{'
    skipWs();
    if (atEnd())
        return fail("unexpected end of input");
    if (*m_p == '}') {
        ++m_p;
        return true;
    }
    for (;;) {
        StringSpan keySpan;
        if (!scanKeyColon(&keySpan))
            return false;
        if (atEnd())
            return fail("unexpected end of input");
        bool ok;
        if (keySpan.escaped) {
            const QByteArray key = unescape(keySpan);
            ok = onMember(QByteArrayView(key));
        } else {
            ok = onMember(QByteArrayView(keySpan.begin, keySpan.end - keySpan.begin));
        }
        if (!ok)
            return false;
        skipWs();
        if (atEnd())
            return fail("unexpected end of input");
        if (*m_p == '}') {
            ++m_p;
            return true;
        }
        if (*m_p != ',')
            return fail("expected ',' or '}'");
        ++m_p;
        skipWs();
    }
}

// A string field; null leaves it unchanged like Go does, unless the field is mandatory.
bool Decoder::stringField(const char *field, QString &out, bool nullAllowed)
{
    if (*m_p == '"') {
        StringSpan s;
        if (!scanString(s))
            return false;
        out = toQString(s);
        return true;
    }
    if (!(nullAllowed && *m_p == 'n'))
        wrongType(field, "a string");
    return scanValue(2);
}

bool Decoder::timestampField(qint64 &out)
{
    const char *start = m_p;
    if (*m_p != '-' && !isDigit(*m_p)) {
        wrongType("header.timestamp", "an integer");
        return scanValue(2);
    }
    if (!scanNumber())
        return false;
    const char *p = start;
    const bool negative = *p == '-';
    if (negative)
        ++p;
    quint64 v = 0;
    const quint64 limit = negative ? quint64(std::numeric_limits<qint64>::max()) + 1
                                   : quint64(std::numeric_limits<qint64>::max());
    for (; p < m_p; ++p) {
        if (!isDigit(*p)) {
            fieldError(QStringLiteral("header.timestamp: expected an integer, got number %1")
                           .arg(shortened(start, m_p)));
            return true;
        }
        const unsigned d = unsigned(*p - '0');
        if (v > (limit - d) / 10) {
            fieldError(
                QStringLiteral("header.timestamp: integer %1 out of int64 range").arg(shortened(start, m_p)));
            return true;
        }
        v = v * 10 + d;
    }
    out = negative ? qint64(quint64(0) - v) : qint64(v);
    return true;
}

// KubeEdge parses resourceversion with strconv.ParseUint(s, 10, 64) and panics on failure.
bool Decoder::resourceVersionField(QString &out)
{
    if (*m_p != '"') {
        if (*m_p != 'n')
            wrongType("header.resourceversion", "a string");
        return scanValue(2);
    }
    StringSpan s;
    if (!scanString(s))
        return false;
    const QByteArray bytes = unescape(s);
    quint64 v = 0;
    const quint64 max = std::numeric_limits<quint64>::max();
    for (const char c : bytes) {
        const unsigned d = unsigned(c - '0');
        if (!isDigit(c) || v > (max - d) / 10) {
            fieldError(QStringLiteral("header.resourceversion: not a decimal number: \"%1\"")
                           .arg(shortened(bytes.constBegin(), bytes.constEnd())));
            return true;
        }
        v = v * 10 + d;
    }
    out = QString::fromLatin1(bytes);
    return true;
}

bool Decoder::syncField(bool &out)
{
    if (*m_p == 't' || *m_p == 'f') {
        out = *m_p == 't';
        return scanValue(2);
    }
    if (*m_p != 'n')
        wrongType("header.sync", "a boolean");
    return scanValue(2);
}

bool Decoder::parseHeader(MessageHeader &h)
{
    return scanObject(2, [&](QByteArrayView key) {
        if (keyIs(key, "msg_id"))
            return stringField("header.msg_id", h.id, false);
        if (keyIs(key, "parent_msg_id"))
            return stringField("header.parent_msg_id", h.parentId, true);
        if (keyIs(key, "timestamp"))
            return timestampField(h.timestamp);
        if (keyIs(key, "resourceversion"))
            return resourceVersionField(h.resourceVersion);
        if (keyIs(key, "sync"))
            return syncField(h.sync);
        if (keyIs(key, "type"))
            return stringField("header.type", h.type, true);
        return scanValue(2);
    });
}

bool Decoder::parseRoute(MessageRoute &r)
{
    return scanObject(2, [&](QByteArrayView key) {
        if (keyIs(key, "source"))
            return stringField("route.source", r.source, true);
        if (keyIs(key, "destination"))
            return stringField("route.destination", r.destination, true);
        if (keyIs(key, "group"))
            return stringField("route.group", r.group, true);
        if (keyIs(key, "operation"))
            return stringField("route.operation", r.operation, true);
        if (keyIs(key, "resource"))
            return stringField("route.resource", r.resource, true);
        return scanValue(2);
    });
}

Result<Message> Decoder::run()
{
    Message msg;
    bool haveHeader = false;
    skipWs();
    bool ok;
    if (atEnd()) {
        ok = fail("unexpected end of input");
    } else if (*m_p != '{') {
        fieldError(
            QStringLiteral("message: expected an object, got %1").arg(QLatin1String(jsonTypeName(*m_p))));
        ok = scanValue(0);
    } else {
        ok = scanObject(1, [&](QByteArrayView key) {
            if (keyIs(key, "header")) {
                if (*m_p == '{') {
                    haveHeader = true;
                    return parseHeader(msg.header());
                }
                wrongType("header", "an object");
                return scanValue(1);
            }
            if (keyIs(key, "route")) {
                if (*m_p == '{')
                    return parseRoute(msg.route());
                if (*m_p != 'n')
                    wrongType("route", "an object");
                return scanValue(1);
            }
            if (keyIs(key, "content")) {
                const char *start = m_p;
                if (!scanValue(1))
                    return false;
                msg.setRawContent(QByteArray(start, m_p - start));
                return true;
            }
            return scanValue(1);
        });
    }
    if (ok) {
        skipWs();
        if (!atEnd())
            fail("trailing data after the message");
    }
    if (!m_syntaxError.isEmpty())
        return Result<Message>::failure(m_depthExceeded ? ErrLimit : ErrSyntax, m_syntaxError);
    if (!m_fieldError.isEmpty())
        return Result<Message>::failure(ErrField, m_fieldError);
    if (!haveHeader)
        return Result<Message>::failure(ErrField, QStringLiteral("header: missing"));
    return msg;
}

} // namespace

QByteArray encode(const Message &m, qsizetype headroom)
{
    const MessageHeader &h = m.header();
    const MessageRoute &r = m.route();
    const QByteArray &content = m.rawContent();

    const qsizetype strings = h.id.size() + h.parentId.size() + h.resourceVersion.size() + h.type.size() +
                              r.source.size() + r.destination.size() + r.group.size() + r.operation.size() +
                              r.resource.size();
    // Fixed keys and punctuation take under 200 bytes. Content is written in chunks so that the
    // buffer grows with the actual output instead of the 6x worst case of escaping every byte.
    constexpr qsizetype kChunk = 4096;
    constexpr qsizetype kTail = 16; // "null" + "}\n"
    QByteArray out;
    const qsizetype firstChunk = std::min<qsizetype>(kChunk, content.size());
    out.resize(headroom + 256 + kMaxGrowth * strings + content.size() + kMaxGrowth * (firstChunk + 3) +
               kTail);
    char *o = out.data() + headroom;

    o = put(o, "{\"header\":{\"msg_id\":");
    o = putString(o, h.id);
    if (!h.parentId.isEmpty()) {
        o = put(o, ",\"parent_msg_id\":");
        o = putString(o, h.parentId);
    }
    o = put(o, ",\"timestamp\":");
    o = putInt64(o, h.timestamp);
    if (!h.resourceVersion.isEmpty()) {
        o = put(o, ",\"resourceversion\":");
        o = putString(o, h.resourceVersion);
    }
    // sync is omitted: viaduct forces it to false before writing, and omitempty drops false.
    if (!h.type.isEmpty()) {
        o = put(o, ",\"type\":");
        o = putString(o, h.type);
    }
    o = put(o, "},\"route\":{");
    bool first = true;
    const auto routeField = [&](const auto &keyWithColon, const QString &v) {
        if (v.isEmpty())
            return;
        if (!first)
            *o++ = ',';
        first = false;
        o = put(o, keyWithColon);
        o = putString(o, v);
    };
    routeField("\"source\":", r.source);
    routeField("\"destination\":", r.destination);
    routeField("\"group\":", r.group);
    routeField("\"operation\":", r.operation);
    routeField("\"resource\":", r.resource);
    o = put(o, "},\"content\":");
    const qsizetype contentStart = o - out.constData();
    const auto *p = reinterpret_cast<const unsigned char *>(content.constData());
    const auto *const end = p + content.size();
    bool inString = false;
    while (p < end) {
        const qsizetype chunk = std::min<qsizetype>(kChunk, end - p);
        const qsizetype pos = o - out.constData();
        const qsizetype need = pos + kMaxGrowth * (chunk + 3) + kTail;
        if (out.size() < need)
            out.resize(need + (end - p) + (end - p) / 4); // room for the rest at modest escaping
        o = putRawJson(out.data() + pos, p, p + chunk, end, inString);
    }
    if (o - out.constData() == contentStart)
        o = put(o, "null");
    o = put(o, "}\n");

    out.truncate(o - out.constData());
    out.squeeze();
    return out;
}

Result<Message> decode(QByteArrayView frame, const DecodeLimits &limits)
{
    if (frame.size() > limits.maxBytes) {
        return Result<Message>::failure(ErrLimit,
                                        QStringLiteral("frame of %1 bytes exceeds the limit of %2 bytes")
                                            .arg(frame.size())
                                            .arg(limits.maxBytes));
    }
    if (frame.isEmpty())
        return Result<Message>::failure(ErrSyntax,
                                        QStringLiteral("invalid JSON at offset 0: unexpected end of input"));
    Decoder d(frame.data(), frame.data() + frame.size(), limits.maxDepth);
    return d.run();
}

} // namespace codec
} // namespace qedge
