#pragma once

#include "shared/message.h"
#include "shared/result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace qedge {

/// Bounds a decoder enforces before and while it scans untrusted input.
struct DecodeLimits
{
    qsizetype maxBytes = 16 * 1024 * 1024; ///< larger frames are refused without scanning
    int maxDepth = 64;                     ///< nesting of objects/arrays, the envelope counts as 1
};

namespace codec {

/// Error code of decode(): the frame is over a DecodeLimits bound (size or nesting).
inline const QString ErrLimit = QStringLiteral("codec.limit");
/// Error code of decode(): the frame is not valid JSON (RFC 8259).
inline const QString ErrSyntax = QStringLiteral("codec.syntax");
/// Error code of decode(): valid JSON, but a known field has the wrong type or value, or is missing.
inline const QString ErrField = QStringLiteral("codec.field");

/// Byte-compatible with Go's json.Encoder on KubeEdge's model.Message (key order, omitempty, trailing '\n').
/// With `headroom`, that many unset bytes come first (room for a transport header, no copy needed).
QByteArray encode(const Message &m, qsizetype headroom = 0);

/// Tolerant decoder: any key order, unknown keys ignored, surrounding whitespace, text or binary frames.
/// Errors name the field and what was wrong, e.g. "header.timestamp: expected an integer, got string".
Result<Message> decode(QByteArrayView frame, const DecodeLimits &limits = {});

} // namespace codec
} // namespace qedge
