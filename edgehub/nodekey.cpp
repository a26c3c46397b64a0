#include "edgehub/nodekey.h"

namespace qedge {

Result<CertManager::KeyRequest> makeNodeKeyRequest(const QString &commonName, const QStringList &organizations)
{
    Q_UNUSED(commonName);
    Q_UNUSED(organizations);
    // Until shared/crypto lands this build cannot make keys; the manager logs this and retries.
    return Result<CertManager::KeyRequest>::failure(QStringLiteral("cert.crypto"),
                                                    QStringLiteral("this build has no key generator"));
}

} // namespace qedge
