#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslError>
#include <QString>

namespace qedge {

/// Trust on first use: the console pins the SHA-256 fingerprint of the hub's certificate.
namespace tlspin {

/// "AB:CD:..." (upper-case hex, colon separated) of the DER certificate.
QString fingerprint(const QSslCertificate &cert);

enum class Verdict { Match, Unknown, Mismatch };

/// Match if any certificate of the chain has the pinned fingerprint; Unknown when nothing is pinned.
Verdict check(const QList<QSslCertificate> &chain, const QString &pinned);

/// The peer chain plus the certificates the errors name (the chain may still be empty then).
QList<QSslCertificate> collectChain(const QList<QSslCertificate> &chain, const QList<QSslError> &errors);

/// Normalizes a fingerprint typed or stored in any case, with or without colons.
QString normalize(const QString &fingerprint);

} // namespace tlspin
} // namespace qedge
