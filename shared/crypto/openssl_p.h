#pragma once

// Private to shared/crypto: OpenSSL handle owners. Never include from a public header.

#include "shared/crypto/certificate.h"
#include "shared/crypto/pkey.h"
#include "shared/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringList>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace qedge::crypto::detail {

template <typename T, void (*Free)(T *)> struct Deleter
{
    void operator()(T *p) const { Free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

/// Shared, immutable EVP_PKEY behind PrivateKey.
struct PkeyData
{
    explicit PkeyData(EVP_PKEY *k) : pkey(k) {}
    ~PkeyData() { EVP_PKEY_free(pkey); }
    PkeyData(const PkeyData &) = delete;
    PkeyData &operator=(const PkeyData &) = delete;
    EVP_PKEY *pkey;
};

/// Shared, immutable X509 behind Certificate.
struct CertData
{
    explicit CertData(X509 *c) : x509(c) {}
    ~CertData() { X509_free(x509); }
    CertData(const CertData &) = delete;
    CertData &operator=(const CertData &) = delete;
    X509 *x509;
};

/// Friend of the public value types: the only way to their OpenSSL handles.
struct Access
{
    static EVP_PKEY *pkey(const PrivateKey &k) { return k.m_d ? k.m_d->pkey : nullptr; }
    static X509 *x509(const Certificate &c) { return c.m_d ? c.m_d->x509 : nullptr; }
    /// Takes ownership.
    static PrivateKey wrap(PkeyPtr k);
    /// Takes ownership.
    static Certificate wrap(X509Ptr c);
};

/// DER bytes of an OpenSSL object through its i2d_* function; empty when obj is null or encoding fails.
template <typename T, typename I2d> QByteArray toDerBytes(T *obj, I2d i2d)
{
    if (!obj)
        return {};
    unsigned char *out = nullptr;
    const int len = i2d(obj, &out);
    if (len <= 0)
        return {};
    QByteArray result(reinterpret_cast<const char *>(out), len);
    OPENSSL_free(out);
    return result;
}

/// Drains OpenSSL's error queue into one line (for error messages and logs).
QString opensslErrors();
Error makeError(const char *code, const QString &what);

BioPtr memBio(QByteArrayView data);
QByteArray bioContents(BIO *bio);
/// First PEM block of any label (KubeEdge's ReadPEMFile); label returned through *label.
Result<QByteArray> firstPemBlock(const QByteArray &pem, QByteArray *label = nullptr);

QString nameEntry(const X509_NAME *name, int nid);
QStringList nameEntries(const X509_NAME *name, int nid);
void readGeneralNames(const GENERAL_NAMES *names, QStringList *dns, QStringList *ips);
/// Builds a subjectAltName value; fails on an IP that does not parse.
Result<GeneralNamesPtr> makeGeneralNames(const QStringList &dns, const QStringList &ips);

} // namespace qedge::crypto::detail
