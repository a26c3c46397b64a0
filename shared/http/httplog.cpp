#include "shared/http/httplog.h"

namespace qedge::http {

Q_LOGGING_CATEGORY(lcHttp, "qedge.http")

} // namespace qedge::http
