#pragma once

#include <QtGlobal>

namespace qedge::http {

/// Bounds one Server enforces on every connection; the defaults suit the admin and bootstrap APIs.
struct Limits
{
    int maxHeaderBytes = 16 * 1024;    ///< request line + headers; over it: 431 and close
    int maxHeaders = 100;              ///< header lines; over it: 431 and close
    qint64 maxBodyBytes = 1024 * 1024; ///< Content-Length over it: 413 and close, body not read
    int idleTimeoutMs = 30000;         ///< keep-alive connection without a request is closed
    int requestTimeoutMs = 10000;      ///< first byte to last body byte; over it: 408 and close
    int maxConnections = 10000;        ///< open connections; over it: closed at once
    int responderTimeoutMs = 75000;    ///< async handler that never answers: 504 (handlers may wait 60 s)
};

} // namespace qedge::http
