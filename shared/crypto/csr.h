#pragma once

#include "shared/crypto/pkey.h"
#include "shared/result.h"

#include <QByteArray>
#include <QStringList>

namespace qedge::crypto {

/// A PKCS#10 request as the hub sees it after checking its self-signature.
struct CsrInfo
{
    QString commonName;
    QStringList organizations;
    QStringList dnsNames;
    QStringList ipAddresses;
    QByteArray publicKeyDer; ///< SubjectPublicKeyInfo DER
};

/// DER PKCS#10 request signed with \a key (SHA-256); subject CN + O entries, optional SANs.
Result<QByteArray> createCsrDer(const PrivateKey &key, const QString &commonName,
                                const QStringList &organizations, const QStringList &dnsNames = {},
                                const QStringList &ips = {});

/// Parses a DER request (no trailing bytes) and checks its self-signature; any input is safe.
Result<CsrInfo> parseAndVerifyCsrDer(QByteArrayView der);

} // namespace qedge::crypto
