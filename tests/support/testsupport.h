#pragma once

#include <QString>

namespace qedge::test {

/// Path of a binary built by this project (cloudhub, edgehub, qedgectl...).
QString binaryPath(const QString &name);

/// A TCP port on 127.0.0.1 that was free a moment ago.
quint16 freePort();

} // namespace qedge::test
