#include "shared/crypto/jointoken.h"

#include "shared/crypto/certauthority.h"

#include <QJsonDocument>
#include <QList>
#include <QMessageAuthenticationCode>

#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>

namespace qedge::crypto {

namespace {

constexpr auto B64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
constexpr qsizetype MaxJwtSize = 8 * 1024;

Result<QByteArray> decodeSegment(QByteArrayView segment)
{
    // Go's jwt uses RawURLEncoding: no padding, URL alphabet only.
    if (segment.isEmpty() || segment.contains('='))
        return Result<QByteArray>::failure(QStringLiteral("token.format"),
                                           QStringLiteral("bad base64url segment"));
    auto decoded = QByteArray::fromBase64Encoding(
        segment.toByteArray(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (decoded.decodingStatus != QByteArray::Base64DecodingStatus::Ok)
        return Result<QByteArray>::failure(QStringLiteral("token.format"),
                                           QStringLiteral("bad base64url segment"));
    return decoded.decoded;
}

Result<QJsonObject> decodeObject(QByteArrayView segment)
{
    auto bytes = decodeSegment(segment);
    if (!bytes)
        return bytes.error();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes.value(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return Result<QJsonObject>::failure(QStringLiteral("token.format"),
                                            QStringLiteral("token part is not a JSON object"));
    return doc.object();
}

QByteArray sign(QCryptographicHash::Algorithm algorithm, QByteArrayView input, const QByteArray &key)
{
    return QMessageAuthenticationCode::hash(input.toByteArray(), key, algorithm);
}

// Clamped: a forged "exp": 1e300 must not overflow the conversion.
qint64 toSecs(double d)
{
    constexpr double limit = 9.0e18;
    return qint64(std::floor(std::clamp(d, -limit, limit)));
}

Result<TokenClaims> fail(const QString &code, const QString &message)
{
    return Result<TokenClaims>::failure(code, message);
}

} // namespace

bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    return a.isEmpty() || CRYPTO_memcmp(a.data(), b.data(), size_t(a.size())) == 0;
}

QByteArray createJwt(const QJsonObject &payload, const QByteArray &hmacKey)
{
    const QByteArray header = QByteArrayLiteral("{\"alg\":\"HS256\",\"typ\":\"JWT\"}").toBase64(B64);
    const QByteArray body = QJsonDocument(payload).toJson(QJsonDocument::Compact).toBase64(B64);
    const QByteArray input = header + '.' + body;
    return input + '.' + sign(QCryptographicHash::Sha256, input, hmacKey).toBase64(B64);
}

QString createJoinToken(const CertAuthority &ca, qint64 expiresAtSecs, const QJsonObject &extraClaims)
{
    QJsonObject claims = extraClaims;
    claims.insert(QStringLiteral("exp"), expiresAtSecs);
    const QByteArray jwt = createJwt(claims, ca.key().toDer());
    return QString::fromLatin1(ca.certificate().sha256Hex() + '.' + jwt);
}

Result<TokenClaims> verifyJwt(const QByteArray &jwt, const QByteArray &hmacKey, qint64 nowSecs)
{
    if (jwt.size() > MaxJwtSize)
        return fail(QStringLiteral("token.format"), QStringLiteral("token too large"));
    const QList<QByteArray> parts = jwt.split('.');
    if (parts.size() != 3)
        return fail(QStringLiteral("token.format"), QStringLiteral("a JWT has three dot-separated parts"));
    auto header = decodeObject(parts[0]);
    if (!header)
        return header.error();
    const QString alg = header->value(QLatin1String("alg")).toString();
    QCryptographicHash::Algorithm algorithm;
    if (alg == QLatin1String("HS256"))
        algorithm = QCryptographicHash::Sha256;
    else if (alg == QLatin1String("HS384"))
        algorithm = QCryptographicHash::Sha384;
    else if (alg == QLatin1String("HS512"))
        algorithm = QCryptographicHash::Sha512;
    else
        return fail(QStringLiteral("token.alg"), QStringLiteral("unsupported JWT algorithm: %1").arg(alg));
    if (hmacKey.isEmpty())
        return fail(QStringLiteral("token.key"), QStringLiteral("no verification key"));

    auto signature = decodeSegment(parts[2]);
    if (!signature)
        return signature.error();
    const QByteArray input = parts[0] + '.' + parts[1];
    if (!constantTimeEquals(sign(algorithm, input, hmacKey), signature.value()))
        return fail(QStringLiteral("token.signature"), QStringLiteral("token signature is invalid"));

    auto payload = decodeObject(parts[1]);
    if (!payload)
        return payload.error();
    const QJsonValue exp = payload->value(QLatin1String("exp"));
    if (!exp.isDouble() || !std::isfinite(exp.toDouble()))
        return fail(QStringLiteral("token.claims"), QStringLiteral("token has no numeric exp claim"));
    TokenClaims claims;
    claims.exp = toSecs(exp.toDouble());
    claims.claims = payload.value();
    if (nowSecs > claims.exp)
        return fail(QStringLiteral("token.expired"), QStringLiteral("token has expired"));
    const QJsonValue nbf = payload->value(QLatin1String("nbf"));
    if (nbf.isDouble() && nowSecs < toSecs(nbf.toDouble()))
        return fail(QStringLiteral("token.notyet"), QStringLiteral("token is not valid yet"));
    return claims;
}

Result<TokenClaims> verifyJoinJwt(const CertAuthority &ca, const QByteArray &jwt, qint64 nowSecs)
{
    return verifyJwt(jwt, ca.key().toDer(), nowSecs);
}

Result<SplitToken> splitJoinToken(const QString &token)
{
    const QByteArray bytes = token.trimmed().toLatin1();
    const QList<QByteArray> parts = bytes.split('.');
    if (parts.size() != 4 ||
        std::any_of(parts.begin(), parts.end(), [](const QByteArray &p) { return p.isEmpty(); }))
        return Result<SplitToken>::failure(QStringLiteral("token.format"),
                                           QStringLiteral("a join token has four dot-separated parts"));
    return SplitToken{parts[0], parts[1] + '.' + parts[2] + '.' + parts[3]};
}

} // namespace qedge::crypto
