#include "shared/crypto/pkey.h"

#include "shared/crypto/openssl_p.h"

#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>

namespace qedge::crypto {

PrivateKey::PrivateKey() = default;
PrivateKey::~PrivateKey() = default;
PrivateKey::PrivateKey(const PrivateKey &) = default;
PrivateKey &PrivateKey::operator=(const PrivateKey &) = default;

PrivateKey detail::Access::wrap(PkeyPtr k)
{
    PrivateKey key;
    key.m_d = std::make_shared<const PkeyData>(k.release());
    return key;
}

Result<PrivateKey> PrivateKey::generateP256()
{
    detail::PkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!k)
        return detail::makeError("keygen", QStringLiteral("cannot generate a P-256 key"));
    return detail::Access::wrap(std::move(k));
}

Result<PrivateKey> PrivateKey::fromDer(QByteArrayView der)
{
    if (der.isEmpty() || der.size() > (1 << 20))
        return Result<PrivateKey>::failure(QStringLiteral("key.parse"),
                                           QStringLiteral("private key: empty or too large"));
    auto *p = reinterpret_cast<const unsigned char *>(der.data());
    detail::PkeyPtr k(d2i_AutoPrivateKey(nullptr, &p, long(der.size())));
    if (!k)
        return detail::makeError("key.parse",
                                 QStringLiteral("not a DER private key (SEC1, PKCS#8 or PKCS#1)"));
    return detail::Access::wrap(std::move(k));
}

Result<PrivateKey> PrivateKey::fromPem(const QByteArray &pem)
{
    auto der = detail::firstPemBlock(pem);
    if (!der)
        return der.error();
    return fromDer(der.value());
}

bool PrivateKey::isNull() const
{
    return !m_d;
}

bool PrivateKey::isEc() const
{
    return m_d && EVP_PKEY_is_a(m_d->pkey, "EC");
}

// "type-specific" is SEC1 for EC and PKCS#1 for RSA: the form Go's x509.MarshalECPrivateKey writes.
static QByteArray encodeKey(EVP_PKEY *pkey, const char *format, const char *structure)
{
    if (!pkey)
        return {};
    OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, format, structure, nullptr);
    if (!ctx)
        return {};
    unsigned char *out = nullptr;
    size_t len = 0;
    QByteArray result;
    if (OSSL_ENCODER_to_data(ctx, &out, &len) == 1)
        result = QByteArray(reinterpret_cast<const char *>(out), qsizetype(len));
    OPENSSL_clear_free(out, len);
    OSSL_ENCODER_CTX_free(ctx);
    return result;
}

QByteArray PrivateKey::toPem() const
{
    return encodeKey(detail::Access::pkey(*this), "PEM", "type-specific");
}

QByteArray PrivateKey::toDer() const
{
    return encodeKey(detail::Access::pkey(*this), "DER", "type-specific");
}

QByteArray PrivateKey::publicKeyDer() const
{
    return detail::toDerBytes(detail::Access::pkey(*this), i2d_PUBKEY);
}

QSslKey PrivateKey::toQSslKey() const
{
    if (!m_d)
        return {};
    const QSsl::KeyAlgorithm algorithm = isEc()                            ? QSsl::Ec
                                         : EVP_PKEY_is_a(m_d->pkey, "RSA") ? QSsl::Rsa
                                                                           : QSsl::Opaque;
    if (algorithm == QSsl::Opaque)
        return {};
    return QSslKey(toPem(), algorithm, QSsl::Pem, QSsl::PrivateKey);
}

} // namespace qedge::crypto
