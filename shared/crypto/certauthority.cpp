#include "shared/crypto/certauthority.h"

#include "shared/crypto/csr.h"
#include "shared/crypto/openssl_p.h"
#include "shared/crypto/securefile.h"

#include <QDateTime>
#include <QFile>

#include <openssl/bn.h>
#include <openssl/rand.h>

namespace qedge::crypto {

namespace {

// A small allowance for peers whose clock runs behind ours: they must accept a CA or a
// server certificate created a moment ago.
constexpr qint64 ClockSkewAllowanceSecs = 5 * 60;
// Node certificates are checked by the hub itself, right after signing, possibly through a
// clock that lags the one used here (time() vs clock_gettime()): a minute is enough.
constexpr qint64 NodeCertBackdateSecs = 60;

struct IssueSpec
{
    detail::NamePtr subject;
    EVP_PKEY *publicKey = nullptr;
    long fixedSerial = 0; ///< 0: random 63-bit serial
    qint64 backdateSecs = 0;
    qint64 validitySecs = 0;
    bool ca = false;
    const char *keyUsage = nullptr;
    const char *extKeyUsage = nullptr;
    GENERAL_NAMES *sans = nullptr; ///< not owned
};

bool setRandomSerial(X509 *x)
{
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return false;
    bytes[0] &= 0x7f; // 63 bits, positive, like KubeEdge
    bytes[0] |= 0x01; // never zero, never shorter than 8 bytes
    BIGNUM *bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
    const bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    return ok;
}

bool setTime(ASN1_TIME *t, time_t base, qint64 offsetSecs)
{
    // Split so that 32-bit longs (Windows) cannot overflow for 100-year validities.
    const qint64 day = 86400;
    return X509_time_adj_ex(t, int(offsetSecs / day), long(offsetSecs % day), &base) != nullptr;
}

bool addExtension(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    detail::ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
    return ext && X509_add_ext(x, ext.get(), -1) == 1;
}

// issuer == nullptr: self-signed.
Result<Certificate> issue(const IssueSpec &spec, X509 *issuer, EVP_PKEY *signingKey)
{
    detail::X509Ptr x(X509_new());
    if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1 ||
        X509_set_subject_name(x.get(), spec.subject.get()) != 1 ||
        X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : spec.subject.get()) != 1 ||
        X509_set_pubkey(x.get(), spec.publicKey) != 1)
        return detail::makeError("cert.issue", QStringLiteral("cannot build the certificate"));
    const bool serialOk = spec.fixedSerial
                              ? ASN1_INTEGER_set(X509_get_serialNumber(x.get()), spec.fixedSerial) == 1
                              : setRandomSerial(x.get());
    // Qt's clock, not time(): in some sandboxes time() lags clock_gettime() by a second.
    const auto now = time_t(QDateTime::currentSecsSinceEpoch());
    if (!serialOk || !setTime(X509_getm_notBefore(x.get()), now, -spec.backdateSecs) ||
        !setTime(X509_getm_notAfter(x.get()), now, spec.validitySecs))
        return detail::makeError("cert.issue", QStringLiteral("cannot set serial or validity"));

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
    bool ok = addExtension(x.get(), &ctx, NID_basic_constraints,
                           spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
              addExtension(x.get(), &ctx, NID_key_usage, spec.keyUsage) &&
              addExtension(x.get(), &ctx, NID_ext_key_usage, spec.extKeyUsage) &&
              addExtension(x.get(), &ctx, NID_subject_key_identifier, "hash");
    if (ok && issuer)
        ok = addExtension(x.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    if (ok && spec.sans && sk_GENERAL_NAME_num(spec.sans) > 0)
        ok = X509_add1_ext_i2d(x.get(), NID_subject_alt_name, spec.sans, 0, X509V3_ADD_DEFAULT) == 1;
    if (!ok)
        return detail::makeError("cert.issue", QStringLiteral("cannot add extensions"));
    if (X509_sign(x.get(), signingKey, EVP_sha256()) <= 0)
        return detail::makeError("cert.issue", QStringLiteral("cannot sign the certificate"));
    return detail::Access::wrap(std::move(x));
}

Result<detail::NamePtr> makeName(const QString &cn, const QStringList &organizations)
{
    detail::NamePtr name(X509_NAME_new());
    if (!name)
        return detail::makeError("cert.issue", QStringLiteral("out of memory"));
    auto add = [&](int nid, const QString &value) {
        const QByteArray utf8 = value.toUtf8();
        return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char *>(utf8.constData()),
                                          int(utf8.size()), -1, 0) == 1;
    };
    for (const QString &o : organizations) {
        if (!add(NID_organizationName, o))
            return detail::makeError("cert.issue", QStringLiteral("bad organization: %1").arg(o));
    }
    if (!add(NID_commonName, cn))
        return detail::makeError("cert.issue", QStringLiteral("bad common name: %1").arg(cn));
    return Result<detail::NamePtr>(std::move(name));
}

Result<QByteArray> readSmallFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Result<QByteArray>::failure(
            QStringLiteral("file.read"), QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    if (file.size() > (1 << 20))
        return Result<QByteArray>::failure(QStringLiteral("file.read"),
                                           QStringLiteral("%1 is larger than 1 MiB").arg(path));
    return file.readAll();
}

} // namespace

Result<CertAuthority> CertAuthority::create(const QString &commonName, int validityDays)
{
    if (commonName.isEmpty() || validityDays <= 0)
        return Result<CertAuthority>::failure(QStringLiteral("ca.create"),
                                              QStringLiteral("CA needs a common name and a validity"));
    auto key = PrivateKey::generateP256();
    if (!key)
        return key.error();
    auto name = makeName(commonName, {});
    if (!name)
        return name.error();
    IssueSpec spec;
    spec.subject = std::move(name.value());
    spec.publicKey = detail::Access::pkey(key.value());
    spec.fixedSerial = 1024;
    spec.backdateSecs = ClockSkewAllowanceSecs;
    spec.validitySecs = qint64(validityDays) * 86400;
    spec.ca = true;
    spec.keyUsage = "critical,digitalSignature,keyEncipherment,keyCertSign";
    spec.extKeyUsage = "serverAuth,clientAuth";
    auto cert = issue(spec, nullptr, spec.publicKey);
    if (!cert)
        return cert.error();
    return CertAuthority(std::move(cert.value()), std::move(key.value()));
}

Result<CertAuthority> CertAuthority::fromParts(const Certificate &cert, const PrivateKey &key)
{
    using R = Result<CertAuthority>;
    X509 *x = detail::Access::x509(cert);
    EVP_PKEY *k = detail::Access::pkey(key);
    if (!x || !k)
        return R::failure(QStringLiteral("ca.load"), QStringLiteral("CA certificate or key missing"));
    if (X509_check_private_key(x, k) != 1) {
        ERR_clear_error();
        return R::failure(QStringLiteral("ca.load"),
                          QStringLiteral("the CA key does not belong to the CA certificate"));
    }
    if (!cert.info().isCa)
        return R::failure(
            QStringLiteral("ca.load"),
            QStringLiteral("the CA certificate is not a CA (basicConstraints CA:FALSE or missing)"));
    return CertAuthority(cert, key);
}

Result<CertAuthority> CertAuthority::fromFiles(const QString &certPemPath, const QString &keyPemPath)
{
    auto certPem = readSmallFile(certPemPath);
    if (!certPem)
        return certPem.error();
    auto keyPem = readSmallFile(keyPemPath);
    if (!keyPem)
        return keyPem.error();
    auto cert = Certificate::fromPem(certPem.value());
    if (!cert)
        return Error{cert.error().code, certPemPath + QLatin1String(": ") + cert.errorMessage()};
    auto key = PrivateKey::fromPem(keyPem.value());
    if (!key)
        return Error{key.error().code, keyPemPath + QLatin1String(": ") + key.errorMessage()};
    return fromParts(cert.value(), key.value());
}

Status CertAuthority::saveTo(const QString &certPemPath, const QString &keyPemPath) const
{
    // Key first: a certificate on disk without its key would make the next start fail to load.
    if (Status s = writeSecretFile(keyPemPath, m_key.toPem()); !s)
        return s;
    return writePublicFile(certPemPath, m_cert.toPem());
}

Result<CertifiedKey> CertAuthority::issueServerCertificate(const QString &cn, const QStringList &dnsNames,
                                                           const QStringList &ips, int validityDays) const
{
    if (cn.isEmpty() || validityDays <= 0)
        return Result<CertifiedKey>::failure(QStringLiteral("cert.issue"),
                                             QStringLiteral("server certificate needs a CN and a validity"));
    auto key = PrivateKey::generateP256();
    if (!key)
        return key.error();
    auto name = makeName(cn, {});
    if (!name)
        return name.error();
    auto sans = detail::makeGeneralNames(dnsNames, ips);
    if (!sans)
        return sans.error();
    IssueSpec spec;
    spec.subject = std::move(name.value());
    spec.publicKey = detail::Access::pkey(key.value());
    spec.backdateSecs = ClockSkewAllowanceSecs;
    spec.validitySecs = qint64(validityDays) * 86400;
    spec.keyUsage = "critical,digitalSignature,keyEncipherment";
    spec.extKeyUsage = "serverAuth";
    spec.sans = sans.value().get();
    auto cert = issue(spec, detail::Access::x509(m_cert), detail::Access::pkey(m_key));
    if (!cert)
        return cert.error();
    return CertifiedKey{std::move(cert.value()), std::move(key.value())};
}

Result<Certificate> CertAuthority::signCsr(QByteArrayView csrDer, qint64 validitySeconds,
                                           bool serverAuthToo) const
{
    using R = Result<Certificate>;
    if (validitySeconds <= 0)
        return R::failure(QStringLiteral("csr.sign"), QStringLiteral("validity must be positive"));
    auto csr = parseAndVerifyCsrDer(csrDer);
    if (!csr)
        return csr.error();
    if (csr->commonName.isEmpty())
        return R::failure(QStringLiteral("csr.sign"), QStringLiteral("the request has no common name"));
    const QByteArray &spki = csr->publicKeyDer;
    auto *p = reinterpret_cast<const unsigned char *>(spki.constData());
    detail::PkeyPtr pub(d2i_PUBKEY(nullptr, &p, long(spki.size())));
    if (!pub)
        return detail::makeError("csr.sign", QStringLiteral("unusable public key in the request"));
    auto name = makeName(csr->commonName, csr->organizations);
    if (!name)
        return name.error();
    auto sans = detail::makeGeneralNames(csr->dnsNames, csr->ipAddresses);
    if (!sans)
        return sans.error();
    IssueSpec spec;
    spec.subject = std::move(name.value());
    spec.publicKey = pub.get();
    spec.backdateSecs = NodeCertBackdateSecs;
    spec.validitySecs = validitySeconds;
    spec.keyUsage = "critical,digitalSignature,keyEncipherment";
    spec.extKeyUsage = serverAuthToo ? "clientAuth,serverAuth" : "clientAuth";
    spec.sans = sans.value().get();
    return issue(spec, detail::Access::x509(m_cert), detail::Access::pkey(m_key));
}

} // namespace qedge::crypto
