#pragma once

#include "shared/crypto/certificate.h"
#include "shared/crypto/pkey.h"
#include "shared/result.h"

#include <QStringList>

#include <utility>

namespace qedge::crypto {

/// A certificate paired with its private key.
struct CertifiedKey
{
    Certificate certificate;
    PrivateKey key;
};

/// The hub's CA (KubeEdge reference §5.4): issues the hub's server certificate and signs node CSRs.
class CertAuthority
{
public:
    /// 100 years, like KubeEdge's CA.
    static constexpr int DefaultCaValidityDays = 36500;

    /// A new self-signed P-256 CA: serial 1024, KeyUsage digitalSignature|keyEncipherment|keyCertSign,
    /// EKU serverAuth+clientAuth, CA:TRUE.
    static Result<CertAuthority> create(const QString &commonName = QStringLiteral("QEdge CA"),
                                        int validityDays = DefaultCaValidityDays);
    /// Loads operator-provided PEM files (first block of any label); the key must match the
    /// certificate and the certificate must be a CA.
    static Result<CertAuthority> fromFiles(const QString &certPemPath, const QString &keyPemPath);
    /// Same checks as fromFiles().
    static Result<CertAuthority> fromParts(const Certificate &cert, const PrivateKey &key);

    /// Key 0600 and certificate 0644, each written atomically.
    Status saveTo(const QString &certPemPath, const QString &keyPemPath) const;

    const Certificate &certificate() const { return m_cert; }
    const PrivateKey &key() const { return m_key; }

    /// New P-256 key and a certificate for a TLS server: CN \a cn, EKU serverAuth, SANs.
    Result<CertifiedKey> issueServerCertificate(const QString &cn, const QStringList &dnsNames,
                                                const QStringList &ips, int validityDays) const;
    /// Signs a node's DER CSR after checking its self-signature: CN, O and SANs copied, random
    /// 63-bit serial, valid from a minute ago (clock skew) until now + \a validitySeconds,
    /// EKU clientAuth (+ serverAuth).
    /// The caller enforces the CN policy (system:node:<node>).
    Result<Certificate> signCsr(QByteArrayView csrDer, qint64 validitySeconds,
                                bool serverAuthToo = false) const;

private:
    CertAuthority(Certificate cert, PrivateKey key) : m_cert(std::move(cert)), m_key(std::move(key)) {}
    Certificate m_cert;
    PrivateKey m_key;
};

} // namespace qedge::crypto
