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

/// Error codes carried in Error::code by decode().
inline const QString ErrLimit = QStringLiteral("codec.limit"); ///< size or nesting over DecodeLimits
inline const QString ErrSyntax = QStringLiteral("codec.syntax"); ///< not valid JSON (RFC 8259)
inline const QString ErrField = QStringLiteral("codec.field");   ///< valid JSON, but a known field is wrong or missing

/// Byte-compatible with Go's json.Encoder on KubeEdge's model.Message (key order, omitempty, trailing '\n').
QByteArray encode(const Message &m);

/// Tolerant decoder: any key order, unknown keys ignored, surrounding whitespace, text or binary frames.
/// Errors name the field and what was wrong, e.g. "header.timestamp: expected an integer, got string".
Result<Message> decode(QByteArrayView frame, const DecodeLimits &limits = {});

} // namespace codec
} // namespace qedge
