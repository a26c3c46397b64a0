#include "shared/crypto/openssl_p.h"

#include <QHostAddress>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>

namespace qedge::crypto::detail {

QString opensslErrors()
{
    QStringList parts;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        parts << QString::fromLatin1(buf);
    }
    return parts.join(QLatin1String("; "));
}

Error makeError(const char *code, const QString &what)
{
    const QString detail = opensslErrors();
    return Error{QString::fromLatin1(code),
                 detail.isEmpty() ? what : what + QLatin1String(" (") + detail + QLatin1Char(')')};
}

BioPtr memBio(QByteArrayView data)
{
    return BioPtr(BIO_new_mem_buf(data.data(), int(data.size())));
}

QByteArray bioContents(BIO *bio)
{
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return len > 0 ? QByteArray(data, qsizetype(len)) : QByteArray();
}

Result<QByteArray> firstPemBlock(const QByteArray &pem, QByteArray *label)
{
    BioPtr bio = memBio(pem);
    char *name = nullptr;
    char *header = nullptr;
    unsigned char *data = nullptr;
    long len = 0;
    if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1)
        return makeError("pem.parse", QStringLiteral("no PEM block found"));
    if (label)
        *label = QByteArray(name);
    QByteArray der(reinterpret_cast<const char *>(data), qsizetype(len));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(data, size_t(len));
    return der;
}

QStringList nameEntries(const X509_NAME *name, int nid)
{
    QStringList out;
    if (!name)
        return out;
    for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(name, nid, i)) {
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        unsigned char *utf8 = nullptr;
        const int len = ASN1_STRING_to_UTF8(&utf8, s);
        if (len < 0)
            continue;
        out << QString::fromUtf8(reinterpret_cast<const char *>(utf8), len);
        OPENSSL_free(utf8);
    }
    return out;
}

QString nameEntry(const X509_NAME *name, int nid)
{
    const QStringList all = nameEntries(name, nid);
    return all.isEmpty() ? QString() : all.last();
}

void readGeneralNames(const GENERAL_NAMES *names, QStringList *dns, QStringList *ips)
{
    if (!names)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        int type = 0;
        const auto *value = static_cast<const ASN1_STRING *>(GENERAL_NAME_get0_value(gn, &type));
        if (!value)
            continue;
        const auto *bytes = ASN1_STRING_get0_data(value);
        const int len = ASN1_STRING_length(value);
        if (type == GEN_DNS) {
            *dns << QString::fromLatin1(reinterpret_cast<const char *>(bytes), len);
        } else if (type == GEN_IPADD) {
            QHostAddress address;
            if (len == 4) {
                address.setAddress(quint32(bytes[0]) << 24 | quint32(bytes[1]) << 16 |
                                   quint32(bytes[2]) << 8 | quint32(bytes[3]));
            } else if (len == 16) {
                address.setAddress(bytes);
            }
            if (!address.isNull())
                *ips << address.toString();
        }
    }
}

Result<GeneralNamesPtr> makeGeneralNames(const QStringList &dns, const QStringList &ips)
{
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    if (!names)
        return makeError("san", QStringLiteral("out of memory"));
    for (const QString &name : dns) {
        const QByteArray ascii = name.toLatin1();
        const bool printableAscii = std::all_of(
            name.begin(), name.end(), [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
        if (name.isEmpty() || !printableAscii)
            return Result<GeneralNamesPtr>::failure(QStringLiteral("san"),
                                                    QStringLiteral("invalid DNS name: %1").arg(name));
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        GENERAL_NAME *gn = GENERAL_NAME_new();
        if (!s || !gn || ASN1_STRING_set(s, ascii.constData(), int(ascii.size())) != 1) {
            ASN1_IA5STRING_free(s);
            GENERAL_NAME_free(gn);
            return makeError("san", QStringLiteral("out of memory"));
        }
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        sk_GENERAL_NAME_push(names.get(), gn);
    }
    for (const QString &ip : ips) {
        ASN1_OCTET_STRING *s = a2i_IPADDRESS(ip.toLatin1().constData());
        if (!s) {
            ERR_clear_error();
            return Result<GeneralNamesPtr>::failure(QStringLiteral("san"),
                                                    QStringLiteral("invalid IP address: %1").arg(ip));
        }
        GENERAL_NAME *gn = GENERAL_NAME_new();
        if (!gn) {
            ASN1_OCTET_STRING_free(s);
            return makeError("san", QStringLiteral("out of memory"));
        }
        GENERAL_NAME_set0_value(gn, GEN_IPADD, s);
        sk_GENERAL_NAME_push(names.get(), gn);
    }
    return Result<GeneralNamesPtr>(std::move(names));
}

} // namespace qedge::crypto::detail
