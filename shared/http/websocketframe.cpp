#include "shared/http/websocketframe.h"

#include <QtEndian>

#include <cstring>

namespace qedge::http {

namespace {

constexpr char FinText = char(0x81); // FIN, RSV1-3 clear, opcode 1 (text)
constexpr quint64 Max7BitLength = 125;
constexpr quint64 Max16BitLength = 0xFFFF;

qsizetype headerSize(quint64 length)
{
    return length <= Max7BitLength ? 2 : length <= Max16BitLength ? 4 : MaxFrameHeaderBytes;
}

// Writes the header at out (headerSize(length) bytes); the mask bit stays clear.
void putHeader(char *out, quint64 length)
{
    out[0] = FinText;
    if (length <= Max7BitLength) {
        out[1] = char(length);
    } else if (length <= Max16BitLength) {
        out[1] = char(126);
        qToBigEndian(quint16(length), out + 2);
    } else {
        out[1] = char(127);
        qToBigEndian(length, out + 2);
    }
}

} // namespace

void appendTextFrame(QByteArray &out, QByteArrayView utf8)
{
    const auto length = quint64(utf8.size());
    const qsizetype header = headerSize(length);
    const qsizetype at = out.size();
    out.resize(at + header + utf8.size());
    char *p = out.data() + at;
    putHeader(p, length);
    if (!utf8.isEmpty())
        std::memcpy(p + header, utf8.data(), size_t(utf8.size()));
}

QByteArray textFrame(QByteArrayView utf8)
{
    QByteArray out;
    out.reserve(headerSize(quint64(utf8.size())) + utf8.size());
    appendTextFrame(out, utf8);
    return out;
}

QByteArrayView textFrameInPlace(QByteArray &buffer)
{
    Q_ASSERT(buffer.size() >= MaxFrameHeaderBytes);
    const auto length = quint64(buffer.size() - MaxFrameHeaderBytes);
    const qsizetype header = headerSize(length);
    char *start = buffer.data() + (MaxFrameHeaderBytes - header);
    putHeader(start, length);
    return QByteArrayView(start, header + qsizetype(length));
}

} // namespace qedge::http
