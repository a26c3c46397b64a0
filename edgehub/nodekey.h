#pragma once

#include "edgehub/certmanager.h"

namespace qedge {

/// The edge's CsrFactory: a fresh ECDSA P-256 key (SEC1 PEM) and a DER CSR with subject
/// CN `commonName`, O `organizations` (reference §5.5 step 2c).
Result<CertManager::KeyRequest> makeNodeKeyRequest(const QString &commonName,
                                                   const QStringList &organizations);

} // namespace qedge
