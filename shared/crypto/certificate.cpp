#include "shared/crypto/certificate.h"

#include "shared/crypto/openssl_p.h"

#include <QCryptographicHash>

#include <openssl/pem.h>

namespace qedge::crypto {

Certificate::Certificate() = default;
Certificate::~Certificate() = default;
Certificate::Certificate(const Certificate &) = default;
Certificate &Certificate::operator=(const Certificate &) = default;

Certificate detail::Access::wrap(X509Ptr c)
{
    Certificate cert;
    cert.m_d = std::make_shared<const CertData>(c.release());
    return cert;
}

Result<Certificate> Certificate::fromDer(QByteArrayView der)
{
    if (der.isEmpty() || der.size() > (1 << 20))
        return Result<Certificate>::failure(QStringLiteral("cert.parse"),
                                            QStringLiteral("certificate: empty or too large"));
    auto *p = reinterpret_cast<const unsigned char *>(der.data());
    detail::X509Ptr x(d2i_X509(nullptr, &p, long(der.size())));
    if (!x)
        return detail::makeError("cert.parse", QStringLiteral("not a DER X.509 certificate"));
    if (p != reinterpret_cast<const unsigned char *>(der.data()) + der.size())
        return Result<Certificate>::failure(QStringLiteral("cert.parse"),
                                            QStringLiteral("trailing bytes after the certificate"));
    return detail::Access::wrap(std::move(x));
}

Result<Certificate> Certificate::fromPem(const QByteArray &pem)
{
    auto der = detail::firstPemBlock(pem);
    if (!der)
        return der.error();
    return fromDer(der.value());
}

Result<Certificate> Certificate::fromQSslCertificate(const QSslCertificate &cert)
{
    return fromDer(cert.toDer());
}

bool Certificate::isNull() const
{
    return !m_d;
}

QByteArray Certificate::toDer() const
{
    return detail::toDerBytes(detail::Access::x509(*this), i2d_X509);
}

QByteArray Certificate::toPem() const
{
    X509 *x = detail::Access::x509(*this);
    if (!x)
        return {};
    detail::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), x) != 1)
        return {};
    return detail::bioContents(bio.get());
}

static QDateTime toDateTime(const ASN1_TIME *t)
{
    struct tm tm = {};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return {};
    return QDateTime(QDate(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
                     QTime(tm.tm_hour, tm.tm_min, tm.tm_sec), Qt::UTC);
}

CertInfo Certificate::info() const
{
    CertInfo info;
    X509 *x = detail::Access::x509(*this);
    if (!x)
        return info;
    const X509_NAME *subject = X509_get_subject_name(x);
    info.commonName = detail::nameEntry(subject, NID_commonName);
    info.organizations = detail::nameEntries(subject, NID_organizationName);
    info.issuerCommonName = detail::nameEntry(X509_get_issuer_name(x), NID_commonName);

    if (BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr)) {
        if (char *hex = BN_bn2hex(bn)) {
            info.serialHex = QByteArray(hex).toLower();
            OPENSSL_free(hex);
        }
        BN_free(bn);
    }
    info.notBefore = toDateTime(X509_get0_notBefore(x));
    info.notAfter = toDateTime(X509_get0_notAfter(x));

    detail::GeneralNamesPtr names(
        static_cast<GENERAL_NAMES *>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
    detail::readGeneralNames(names.get(), &info.dnsNames, &info.ipAddresses);

    // X509_get_extension_flags() caches the decoded extensions; the X509 is not otherwise changed.
    info.isCa = X509_check_ca(x) != 0;
    const uint32_t xku = X509_get_extended_key_usage(x); // UINT32_MAX when there is no EKU
    info.serverAuth = xku & XKU_SSL_SERVER;
    info.clientAuth = xku & XKU_SSL_CLIENT;
    return info;
}

QSslCertificate Certificate::toQSslCertificate() const
{
    return QSslCertificate(toDer(), QSsl::Der);
}

QByteArray Certificate::sha256Hex() const
{
    return QCryptographicHash::hash(toDer(), QCryptographicHash::Sha256).toHex();
}

QByteArray Certificate::publicKeyDer() const
{
    X509 *x = detail::Access::x509(*this);
    return detail::toDerBytes(x ? X509_get0_pubkey(x) : nullptr, i2d_PUBKEY);
}

Status Certificate::verifySignedBy(const Certificate &ca, Purpose purpose) const
{
    X509 *leaf = detail::Access::x509(*this);
    X509 *anchor = detail::Access::x509(ca);
    if (!leaf || !anchor)
        return Status::failure(QStringLiteral("cert.verify"), QStringLiteral("null certificate"));
    detail::StorePtr store(X509_STORE_new());
    detail::StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!store || !ctx || X509_STORE_add_cert(store.get(), anchor) != 1 ||
        X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1)
        return detail::makeError("cert.verify", QStringLiteral("cannot set up verification"));
    // The CA may itself be an intermediate handed to us by an operator: trust it as the anchor.
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
    if (purpose != Purpose::Any) {
        const int p = purpose == Purpose::ClientAuth ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER;
        X509_STORE_CTX_set_purpose(ctx.get(), p);
    }
    if (X509_verify_cert(ctx.get()) != 1) {
        const int err = X509_STORE_CTX_get_error(ctx.get());
        ERR_clear_error();
        return Status::failure(QStringLiteral("cert.verify"),
                               QStringLiteral("certificate does not verify against the CA: %1")
                                   .arg(QString::fromLatin1(X509_verify_cert_error_string(err))));
    }
    return {};
}

} // namespace qedge::crypto
