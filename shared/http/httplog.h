#pragma once

#include <QLoggingCategory>

namespace qedge::http {

/// Logging category of the HTTP layer: qedge.http.
Q_DECLARE_LOGGING_CATEGORY(lcHttp)

} // namespace qedge::http
