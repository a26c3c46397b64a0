#include "shared/http/request.h"

namespace qedge::http {

QByteArray Request::header(const QByteArray &name) const
{
    return headers.value(name.toLower());
}

} // namespace qedge::http
