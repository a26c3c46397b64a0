#pragma once

#include "shared/result.h"

#include <QByteArray>
#include <QSslKey>

#include <memory>

namespace qedge::crypto {

namespace detail {
struct Access;
struct PkeyData;
} // namespace detail

/// A private key (ECDSA P-256 for everything QEdge creates); cheap to copy, immutable.
class PrivateKey
{
public:
    PrivateKey();
    ~PrivateKey();
    PrivateKey(const PrivateKey &);
    PrivateKey &operator=(const PrivateKey &);

    /// A fresh ECDSA P-256 key.
    static Result<PrivateKey> generateP256();
    /// First PEM block of any label: SEC1 "EC PRIVATE KEY", PKCS#8 "PRIVATE KEY" (unencrypted) or PKCS#1.
    static Result<PrivateKey> fromPem(const QByteArray &pem);
    /// DER: SEC1, PKCS#8 or PKCS#1 (KubeEdge secrets hold SEC1 DER).
    static Result<PrivateKey> fromDer(QByteArrayView der);

    bool isNull() const;
    /// True for an EC key (the only kind usable with the KubeEdge TLS 1.2 cipher suites).
    bool isEc() const;
    /// PEM "EC PRIVATE KEY" (SEC1) for EC keys, like the KubeEdge edge writes it.
    QByteArray toPem() const;
    /// SEC1 DER for EC keys: also the HMAC key of join tokens.
    QByteArray toDer() const;
    /// SubjectPublicKeyInfo DER of the public half.
    QByteArray publicKeyDer() const;
    /// The key for QSslConfiguration / QSslSocket.
    QSslKey toQSslKey() const;

private:
    friend struct detail::Access;
    std::shared_ptr<const detail::PkeyData> m_d;
};

} // namespace qedge::crypto
