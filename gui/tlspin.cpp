#include "gui/tlspin.h"

#include <QCryptographicHash>

namespace qedge::tlspin {

QString fingerprint(const QSslCertificate &cert)
{
    if (cert.isNull())
        return {};
    const QByteArray digest = cert.digest(QCryptographicHash::Sha256);
    return QString::fromLatin1(digest.toHex(':').toUpper());
}

QString normalize(const QString &fp)
{
    QString hex;
    for (const QChar c : fp) {
        if (c.isLetterOrNumber())
            hex += c.toUpper();
    }
    QString out;
    for (int i = 0; i < hex.size(); i += 2) {
        if (!out.isEmpty())
            out += QLatin1Char(':');
        out += hex.mid(i, 2);
    }
    return out;
}

Verdict check(const QList<QSslCertificate> &chain, const QString &pinned)
{
    if (pinned.isEmpty())
        return Verdict::Unknown;
    const QString want = normalize(pinned);
    for (const QSslCertificate &c : chain) {
        if (fingerprint(c) == want)
            return Verdict::Match;
    }
    return Verdict::Mismatch;
}

QList<QSslCertificate> collectChain(const QList<QSslCertificate> &chain, const QList<QSslError> &errors)
{
    QList<QSslCertificate> all = chain;
    for (const QSslError &e : errors) {
        if (!e.certificate().isNull() && !all.contains(e.certificate()))
            all << e.certificate();
    }
    return all;
}

} // namespace qedge::tlspin
