#include "shared/crypto/csr.h"

#include "shared/crypto/openssl_p.h"

namespace qedge::crypto {

namespace {

using ExtStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), void (*)(STACK_OF(X509_EXTENSION) *)>;

void freeExtensions(STACK_OF(X509_EXTENSION) * exts)
{
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

bool addUtf8Entry(X509_NAME *name, int nid, const QString &value)
{
    const QByteArray utf8 = value.toUtf8();
    return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char *>(utf8.constData()),
                                      int(utf8.size()), -1, 0) == 1;
}

} // namespace

Result<QByteArray> createCsrDer(const PrivateKey &key, const QString &commonName,
                                const QStringList &organizations, const QStringList &dnsNames,
                                const QStringList &ips)
{
    EVP_PKEY *pkey = detail::Access::pkey(key);
    if (!pkey)
        return Result<QByteArray>::failure(QStringLiteral("csr.create"), QStringLiteral("no key"));
    detail::ReqPtr req(X509_REQ_new());
    if (!req || X509_REQ_set_version(req.get(), 0) != 1 || X509_REQ_set_pubkey(req.get(), pkey) != 1)
        return detail::makeError("csr.create", QStringLiteral("cannot build the request"));
    X509_NAME *subject = X509_REQ_get_subject_name(req.get());
    for (const QString &o : organizations) {
        if (!addUtf8Entry(subject, NID_organizationName, o))
            return detail::makeError("csr.create", QStringLiteral("bad organization: %1").arg(o));
    }
    if (!commonName.isEmpty() && !addUtf8Entry(subject, NID_commonName, commonName))
        return detail::makeError("csr.create", QStringLiteral("bad common name: %1").arg(commonName));

    if (!dnsNames.isEmpty() || !ips.isEmpty()) {
        auto names = detail::makeGeneralNames(dnsNames, ips);
        if (!names)
            return names.error();
        ExtStackPtr exts(sk_X509_EXTENSION_new_null(), freeExtensions);
        X509_EXTENSION *san = X509V3_EXT_i2d(NID_subject_alt_name, 0, names.value().get());
        if (!exts || !san || sk_X509_EXTENSION_push(exts.get(), san) <= 0) {
            X509_EXTENSION_free(san);
            return detail::makeError("csr.create", QStringLiteral("cannot encode the SANs"));
        }
        if (X509_REQ_add_extensions(req.get(), exts.get()) != 1)
            return detail::makeError("csr.create", QStringLiteral("cannot add the SANs"));
    }
    if (X509_REQ_sign(req.get(), pkey, EVP_sha256()) <= 0)
        return detail::makeError("csr.create", QStringLiteral("cannot sign the request"));

    QByteArray der = detail::toDerBytes(req.get(), i2d_X509_REQ);
    if (der.isEmpty())
        return detail::makeError("csr.create", QStringLiteral("cannot encode the request"));
    return der;
}

Result<CsrInfo> parseAndVerifyCsrDer(QByteArrayView der)
{
    using R = Result<CsrInfo>;
    if (der.isEmpty() || der.size() > (1 << 20))
        return R::failure(QStringLiteral("csr.parse"), QStringLiteral("request: empty or too large"));
    auto *p = reinterpret_cast<const unsigned char *>(der.data());
    detail::ReqPtr req(d2i_X509_REQ(nullptr, &p, long(der.size())));
    if (!req)
        return detail::makeError("csr.parse", QStringLiteral("not a DER PKCS#10 request"));
    if (p != reinterpret_cast<const unsigned char *>(der.data()) + der.size())
        return R::failure(QStringLiteral("csr.parse"), QStringLiteral("trailing bytes after the request"));
    EVP_PKEY *pub = X509_REQ_get0_pubkey(req.get());
    if (!pub || X509_REQ_verify(req.get(), pub) != 1)
        return detail::makeError("csr.verify", QStringLiteral("request signature does not verify"));

    CsrInfo info;
    const X509_NAME *subject = X509_REQ_get_subject_name(req.get());
    info.commonName = detail::nameEntry(subject, NID_commonName);
    info.organizations = detail::nameEntries(subject, NID_organizationName);

    ExtStackPtr exts(X509_REQ_get_extensions(req.get()), freeExtensions);
    if (exts) {
        const int at = X509v3_get_ext_by_NID(exts.get(), NID_subject_alt_name, -1);
        if (at >= 0) {
            detail::GeneralNamesPtr names(
                static_cast<GENERAL_NAMES *>(X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts.get(), at))));
            if (!names)
                return detail::makeError("csr.parse", QStringLiteral("malformed subjectAltName"));
            detail::readGeneralNames(names.get(), &info.dnsNames, &info.ipAddresses);
        }
    }
    info.publicKeyDer = detail::toDerBytes(pub, i2d_PUBKEY);
    ERR_clear_error();
    return info;
}

} // namespace qedge::crypto
