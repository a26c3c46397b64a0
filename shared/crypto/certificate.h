#pragma once

#include "shared/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QSslCertificate>
#include <QStringList>

#include <memory>

namespace qedge::crypto {

namespace detail {
struct Access;
struct CertData;
} // namespace detail

/// What QEdge needs to know about a certificate.
struct CertInfo
{
    QString commonName;        ///< subject CN (the last one if several)
    QStringList organizations; ///< subject O entries, in order
    QString issuerCommonName;
    QByteArray serialHex;    ///< lower-case hex, no separators
    QDateTime notBefore;     ///< UTC
    QDateTime notAfter;      ///< UTC
    QStringList dnsNames;    ///< subjectAltName DNS entries
    QStringList ipAddresses; ///< subjectAltName IP entries, textual
    bool isCa = false;
    bool serverAuth = false; ///< usable for TLS servers (EKU serverAuth, or no EKU at all)
    bool clientAuth = false; ///< usable for TLS clients (EKU clientAuth, or no EKU at all)
};

/// An X.509 certificate; cheap to copy, immutable.
class Certificate
{
public:
    /// What verifySignedBy() requires of the leaf beyond chain and validity.
    enum class Purpose { Any, ClientAuth, ServerAuth };

    Certificate();
    ~Certificate();
    Certificate(const Certificate &);
    Certificate &operator=(const Certificate &);

    /// Exactly one DER certificate, no trailing bytes.
    static Result<Certificate> fromDer(QByteArrayView der);
    /// The first PEM block, whatever its label (KubeEdge's ReadPEMFile).
    static Result<Certificate> fromPem(const QByteArray &pem);
    static Result<Certificate> fromQSslCertificate(const QSslCertificate &cert);

    bool isNull() const;
    QByteArray toDer() const;
    /// PEM "CERTIFICATE".
    QByteArray toPem() const;
    CertInfo info() const;
    QSslCertificate toQSslCertificate() const;
    /// Lower-case hex SHA-256 of the DER: the CA hash of join tokens.
    QByteArray sha256Hex() const;
    /// SubjectPublicKeyInfo DER, to match a certificate with a key.
    QByteArray publicKeyDer() const;
    /// Chain of one to \a ca (the only trust anchor), valid now, and the EKU \a purpose.
    Status verifySignedBy(const Certificate &ca, Purpose purpose = Purpose::Any) const;

    bool operator==(const Certificate &other) const { return toDer() == other.toDer(); }
    bool operator!=(const Certificate &other) const { return !(*this == other); }

private:
    friend struct detail::Access;
    std::shared_ptr<const detail::CertData> m_d;
};

} // namespace qedge::crypto
