#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace qedge::http {

// Server-to-client WebSocket data frames (RFC 6455 §5.2): FIN set, no mask, no extensions, the
// shortest of the 7-, 16- and 64-bit length forms. QWebSocket::sendTextMessage() takes a QString
// and converts and copies it again before framing; these frame UTF-8 the caller already has.

/// The longest header of an unmasked frame: 2 bytes and a 64-bit length.
constexpr qsizetype MaxFrameHeaderBytes = 10;

/// Appends one final, unmasked text frame carrying `utf8` to `out`.
void appendTextFrame(QByteArray &out, QByteArrayView utf8);

/// One final, unmasked text frame carrying `utf8`.
QByteArray textFrame(QByteArrayView utf8);

/// Frames a payload without moving it: `buffer` is MaxFrameHeaderBytes of room followed by the
/// payload. Writes the header right before the payload and returns the frame (a view into `buffer`).
QByteArrayView textFrameInPlace(QByteArray &buffer);

} // namespace qedge::http
