#pragma once

#include "shared/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QString>

namespace qedge::crypto {

class CertAuthority;

/// Claims of a verified JWT.
struct TokenClaims
{
    qint64 exp = 0;     ///< expiry, Unix seconds
    QJsonObject claims; ///< the whole payload, exp included
};

/// The two halves of a join token.
struct SplitToken
{
    QByteArray caHash; ///< hex SHA-256 of the CA certificate DER, as written in the token
    QByteArray jwt;    ///< header.payload.signature
};

/// Join token (reference §5.3): "<hex sha256(CA DER)>.<HS256 JWT>", JWT key = CA key SEC1 DER,
/// claims {"exp": expiresAtSecs} plus \a extraClaims (QEdge's "node", "jti"...; "exp" wins).
QString createJoinToken(const CertAuthority &ca, qint64 expiresAtSecs, const QJsonObject &extraClaims = {});

/// HS256 JWT over \a payload with \a hmacKey (base64url, no padding).
QByteArray createJwt(const QJsonObject &payload, const QByteArray &hmacKey);

/// Checks an HS256/384/512 JWT (constant-time), requires a numeric "exp" with now <= exp,
/// and honours "nbf" when present. Any other "alg" (e.g. "none") is refused.
Result<TokenClaims> verifyJwt(const QByteArray &jwt, const QByteArray &hmacKey, qint64 nowSecs);

/// verifyJwt() with the CA's key, as the bootstrap server does with the bearer token.
Result<TokenClaims> verifyJoinJwt(const CertAuthority &ca, const QByteArray &jwt, qint64 nowSecs);

/// Splits a join token like the KubeEdge edge: exactly four dot-separated parts, none empty.
Result<SplitToken> splitJoinToken(const QString &token);

/// Comparison whose time does not depend on where the inputs differ.
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

} // namespace qedge::crypto
