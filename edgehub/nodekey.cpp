#include "edgehub/nodekey.h"

#include "shared/crypto/csr.h"
#include "shared/crypto/pkey.h"

namespace qedge {

Result<CertManager::KeyRequest> makeNodeKeyRequest(const QString &commonName,
                                                   const QStringList &organizations)
{
    using R = Result<CertManager::KeyRequest>;
    auto key = crypto::PrivateKey::generateP256();
    if (!key)
        return key.error();
    auto csr = crypto::createCsrDer(key.value(), commonName, organizations);
    if (!csr)
        return csr.error();
    return R(CertManager::KeyRequest{key.value().toPem(), csr.value()});
}

} // namespace qedge
