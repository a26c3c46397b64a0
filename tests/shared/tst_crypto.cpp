#include "shared/crypto/certauthority.h"
#include "shared/crypto/csr.h"
#include "shared/crypto/jointoken.h"
#include "shared/crypto/securefile.h"
#include "shared/crypto/sslconfig.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSslCipher>
#include <QSslServer>
#include <QTemporaryDir>
#include <QTest>

using namespace qedge;
using namespace qedge::crypto;

namespace {

// A throwaway P-256 key in PKCS#8 form, generated for this test only.
const QByteArray Pkcs8Pem =
    QByteArrayLiteral("-----BEGIN PRIVATE KEY-----\n"
                      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4ApY2peF/8NGGEy4\n"
                      "HPGp9c+OmeRm8DLl/CLAqcd5/+mhRANCAAR/qfx3643xI2mGbjhvp/pyELELQ9u0\n"
                      "weL2Okb12FFXiouoHYZsMTeO4kLY9o70VzZB9hrc82Uc0kaZQ+ywN85o\n"
                      "-----END PRIVATE KEY-----\n");

const QString NodeCn = QStringLiteral("system:node:n1");
const QString NodeO = QStringLiteral("system:nodes");

qint64 nowSecs()
{
    return QDateTime::currentSecsSinceEpoch();
}

QByteArray b64(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

class TestCrypto : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void caCreateSaveLoad();
    void caFromFilesRejectsMismatchedKey();
    void keyFormats();
    void serverCertificate();
    void csrSignRoundTrip();
    void csrSignServerAuthToo();
    void csrRejectsBadSan();
    void tamperedCsr();
    void garbageCsr_data();
    void garbageCsr();
    void mutatedCsrNeverVerifies();
    void joinToken();
    void jwtRejections_data();
    void jwtRejections();
    void jwtOtherHmacAccepted();
    void splitJoinToken_data();
    void splitJoinToken();
    void constantTime_data();
    void constantTime();
    void tlsHandshake_data();
    void tlsHandshake();

private:
    std::optional<CertAuthority> m_ca;
    std::optional<CertAuthority> m_otherCa;
    CertifiedKey m_server;
    CertifiedKey m_client;
    CertifiedKey m_foreignClient;
    QByteArray m_csr;
};

void TestCrypto::initTestCase()
{
    auto ca = CertAuthority::create(QStringLiteral("Test CA"));
    QVERIFY2(ca.ok(), qPrintable(ca.errorMessage()));
    m_ca = ca.value();
    auto other = CertAuthority::create(QStringLiteral("Other CA"));
    QVERIFY2(other.ok(), qPrintable(other.errorMessage()));
    m_otherCa = other.value();

    auto server = m_ca->issueServerCertificate(QStringLiteral("QEdge hub"), {QStringLiteral("localhost")},
                                               {QStringLiteral("127.0.0.1")}, 30);
    QVERIFY2(server.ok(), qPrintable(server.errorMessage()));
    m_server = server.value();

    auto issueClient = [](const CertAuthority &ca, CertifiedKey *out) {
        auto key = PrivateKey::generateP256();
        QVERIFY(key.ok());
        auto csr = createCsrDer(key.value(), NodeCn, {NodeO});
        QVERIFY2(csr.ok(), qPrintable(csr.errorMessage()));
        auto cert = ca.signCsr(csr.value(), 3600);
        QVERIFY2(cert.ok(), qPrintable(cert.errorMessage()));
        *out = CertifiedKey{cert.value(), key.value()};
    };
    issueClient(*m_ca, &m_client);
    issueClient(*m_otherCa, &m_foreignClient);

    auto key = PrivateKey::generateP256();
    QVERIFY(key.ok());
    auto csr = createCsrDer(key.value(), NodeCn, {NodeO});
    QVERIFY(csr.ok());
    m_csr = csr.value();
}

void TestCrypto::caCreateSaveLoad()
{
    const CertInfo info = m_ca->certificate().info();
    QCOMPARE(info.commonName, QStringLiteral("Test CA"));
    QCOMPARE(info.issuerCommonName, QStringLiteral("Test CA"));
    QVERIFY(info.isCa);
    QVERIFY(info.serverAuth);
    QVERIFY(info.clientAuth);
    QCOMPARE(info.serialHex, QByteArray("0400")); // 1024, like KubeEdge
    QVERIFY(info.notBefore <= QDateTime::currentDateTimeUtc());
    const qint64 years = info.notBefore.daysTo(info.notAfter) / 365;
    QVERIFY2(years >= 99 && years <= 100, qPrintable(QString::number(years)));
    QVERIFY(m_ca->certificate().verifySignedBy(m_ca->certificate()).ok());
    QVERIFY(m_ca->key().isEc());

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString certPath = dir.filePath(QStringLiteral("ca.crt"));
    const QString keyPath = dir.filePath(QStringLiteral("ca.key"));
    const Status saved = m_ca->saveTo(certPath, keyPath);
    QVERIFY2(saved.ok(), qPrintable(saved.errorMessage()));

    const QFileDevice::Permissions groupOther = QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                                QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                                QFileDevice::WriteOther | QFileDevice::ExeOther;
    const QFileDevice::Permissions keyMode = QFile::permissions(keyPath);
    QVERIFY(keyMode & QFileDevice::ReadOwner);
    QVERIFY(keyMode & QFileDevice::WriteOwner);
    QCOMPARE(keyMode & groupOther, QFileDevice::Permissions());
    QVERIFY(QFile::permissions(certPath) & QFileDevice::ReadOther);
    QVERIFY(!(QFile::permissions(certPath) & QFileDevice::WriteOther));

    QFile keyFile(keyPath);
    QVERIFY(keyFile.open(QIODevice::ReadOnly));
    QVERIFY(keyFile.readAll().startsWith("-----BEGIN EC PRIVATE KEY-----\n"));

    auto loaded = CertAuthority::fromFiles(certPath, keyPath);
    QVERIFY2(loaded.ok(), qPrintable(loaded.errorMessage()));
    QCOMPARE(loaded->certificate().toDer(), m_ca->certificate().toDer());
    QCOMPARE(loaded->key().toDer(), m_ca->key().toDer());

    // Saving again over existing files keeps the modes (QSaveFile would copy the old ones).
    QVERIFY(QFile::setPermissions(keyPath, QFile::permissions(keyPath) | QFileDevice::ReadOther));
    QVERIFY(m_ca->saveTo(certPath, keyPath).ok());
    QCOMPARE(QFile::permissions(keyPath) & groupOther, QFileDevice::Permissions());

    auto missing = CertAuthority::fromFiles(dir.filePath(QStringLiteral("nope.crt")), keyPath);
    QVERIFY(!missing.ok());
    QVERIFY(missing.errorMessage().contains(QStringLiteral("nope.crt")));
}

void TestCrypto::caFromFilesRejectsMismatchedKey()
{
    auto mismatched = CertAuthority::fromParts(m_ca->certificate(), m_otherCa->key());
    QVERIFY(!mismatched.ok());
    QCOMPARE(mismatched.error().code, QStringLiteral("ca.load"));
    auto notCa = CertAuthority::fromParts(m_client.certificate, m_client.key);
    QVERIFY(!notCa.ok());
    QVERIFY(CertAuthority::fromParts(m_ca->certificate(), m_ca->key()).ok());
}

void TestCrypto::keyFormats()
{
    auto pkcs8 = PrivateKey::fromPem(Pkcs8Pem);
    QVERIFY2(pkcs8.ok(), qPrintable(pkcs8.errorMessage()));
    QVERIFY(pkcs8->isEc());
    QVERIFY(pkcs8->toPem().startsWith("-----BEGIN EC PRIVATE KEY-----\n"));

    const PrivateKey &key = m_client.key;
    auto again = PrivateKey::fromPem(key.toPem());
    QVERIFY(again.ok());
    QCOMPARE(again->toDer(), key.toDer());
    auto fromDer = PrivateKey::fromDer(key.toDer());
    QVERIFY(fromDer.ok());
    QCOMPARE(fromDer->publicKeyDer(), key.publicKeyDer());
    QCOMPARE(key.publicKeyDer(), m_client.certificate.publicKeyDer());
    // SEC1: SEQUENCE { INTEGER 1, OCTET STRING (32) ... }
    QCOMPARE(key.toDer().at(0), '\x30');
    QCOMPARE(key.toDer().mid(2, 5), QByteArray::fromHex("0201010420"));

    const QSslKey qkey = key.toQSslKey();
    QVERIFY(!qkey.isNull());
    QCOMPARE(qkey.algorithm(), QSsl::Ec);
    QCOMPARE(qkey.type(), QSsl::PrivateKey);
    QCOMPARE(qkey.length(), 256);

    QVERIFY(!PrivateKey::fromPem("not pem").ok());
    QVERIFY(!PrivateKey::fromDer(QByteArray(40, 'x')).ok());
    QVERIFY(PrivateKey().toPem().isEmpty());
    QVERIFY(PrivateKey().toQSslKey().isNull());
}

void TestCrypto::serverCertificate()
{
    auto issued = m_ca->issueServerCertificate(QStringLiteral("hub"),
                                               {QStringLiteral("localhost"), QStringLiteral("hub.example")},
                                               {QStringLiteral("127.0.0.1"), QStringLiteral("::1")}, 365);
    QVERIFY2(issued.ok(), qPrintable(issued.errorMessage()));
    const Certificate &cert = issued->certificate;
    const CertInfo info = cert.info();
    QCOMPARE(info.commonName, QStringLiteral("hub"));
    QCOMPARE(info.issuerCommonName, QStringLiteral("Test CA"));
    QCOMPARE(info.dnsNames, QStringList({QStringLiteral("localhost"), QStringLiteral("hub.example")}));
    QCOMPARE(info.ipAddresses, QStringList({QStringLiteral("127.0.0.1"), QStringLiteral("::1")}));
    QVERIFY(!info.isCa);
    QVERIFY(info.serverAuth);
    QVERIFY(!info.clientAuth);
    QCOMPARE(issued->key.publicKeyDer(), cert.publicKeyDer());

    QVERIFY(cert.verifySignedBy(m_ca->certificate(), Certificate::Purpose::ServerAuth).ok());
    QVERIFY(!cert.verifySignedBy(m_ca->certificate(), Certificate::Purpose::ClientAuth).ok());
    const Status foreign = cert.verifySignedBy(m_otherCa->certificate());
    QVERIFY(!foreign.ok());
    QCOMPARE(foreign.error().code, QStringLiteral("cert.verify"));

    // Qt sees the same certificate.
    const QSslCertificate qcert = cert.toQSslCertificate();
    QVERIFY(!qcert.isNull());
    QCOMPARE(qcert.subjectInfo(QSslCertificate::CommonName), QStringList{QStringLiteral("hub")});
    QCOMPARE(qcert.subjectAlternativeNames().values(QSsl::DnsEntry).size(), 2);
    auto back = Certificate::fromPem(cert.toPem());
    QVERIFY(back.ok());
    QCOMPARE(back->toDer(), cert.toDer());
    QCOMPARE(cert.sha256Hex(), QCryptographicHash::hash(cert.toDer(), QCryptographicHash::Sha256).toHex());

    QVERIFY(!m_ca->issueServerCertificate(QStringLiteral("hub"), {}, {QStringLiteral("300.1.1.1")}, 1).ok());
    QVERIFY(!m_ca->issueServerCertificate(QStringLiteral("hub"), {QStringLiteral("a b")}, {}, 1).ok());
}

void TestCrypto::csrSignRoundTrip()
{
    auto key = PrivateKey::generateP256();
    QVERIFY(key.ok());
    const QStringList dns{QStringLiteral("n1.local")};
    const QStringList ips{QStringLiteral("10.0.0.7")};
    auto csr = createCsrDer(key.value(), NodeCn, {NodeO}, dns, ips);
    QVERIFY2(csr.ok(), qPrintable(csr.errorMessage()));

    auto parsed = parseAndVerifyCsrDer(csr.value());
    QVERIFY2(parsed.ok(), qPrintable(parsed.errorMessage()));
    QCOMPARE(parsed->commonName, NodeCn);
    QCOMPARE(parsed->organizations, QStringList{NodeO});
    QCOMPARE(parsed->dnsNames, dns);
    QCOMPARE(parsed->ipAddresses, ips);
    QCOMPARE(parsed->publicKeyDer, key->publicKeyDer());

    const qint64 validity = 365LL * 86400;
    const QDateTime before = QDateTime::currentDateTimeUtc();
    auto cert = m_ca->signCsr(csr.value(), validity);
    QVERIFY2(cert.ok(), qPrintable(cert.errorMessage()));
    const CertInfo info = cert->info();
    QCOMPARE(info.commonName, NodeCn);
    QCOMPARE(info.organizations, QStringList{NodeO});
    QCOMPARE(info.dnsNames, dns);
    QCOMPARE(info.ipAddresses, ips);
    QVERIFY(!info.isCa);
    QVERIFY(info.clientAuth);
    QVERIFY(!info.serverAuth);
    QCOMPARE(info.serialHex.size(), 16); // 63 random bits, top bit clear
    QVERIFY(info.serialHex.at(0) < '8');
    // Valid from a minute ago (clock skew allowance) until now + validity.
    const QDateTime after = QDateTime::currentDateTimeUtc();
    QVERIFY(info.notBefore >= before.addSecs(-61));
    QVERIFY(info.notBefore <= after.addSecs(-59));
    QVERIFY(info.notAfter >= before.addSecs(validity - 1));
    QVERIFY(info.notAfter <= after.addSecs(validity));
    QCOMPARE(cert->publicKeyDer(), key->publicKeyDer());

    QVERIFY(cert->verifySignedBy(m_ca->certificate(), Certificate::Purpose::ClientAuth).ok());
    QVERIFY(!cert->verifySignedBy(m_otherCa->certificate(), Certificate::Purpose::ClientAuth).ok());
    QVERIFY(!cert->verifySignedBy(m_ca->certificate(), Certificate::Purpose::ServerAuth).ok());

    auto second = m_ca->signCsr(csr.value(), validity);
    QVERIFY(second.ok());
    QVERIFY(second->info().serialHex != info.serialHex);
}

void TestCrypto::csrSignServerAuthToo()
{
    auto cert = m_ca->signCsr(m_csr, 60, true);
    QVERIFY(cert.ok());
    QVERIFY(cert->info().clientAuth);
    QVERIFY(cert->info().serverAuth);
    QVERIFY(!m_ca->signCsr(m_csr, 0).ok());

    auto key = PrivateKey::generateP256();
    auto noCn = createCsrDer(key.value(), QString(), {NodeO});
    QVERIFY(noCn.ok());
    QVERIFY(parseAndVerifyCsrDer(noCn.value()).ok());
    const auto refused = m_ca->signCsr(noCn.value(), 60);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, QStringLiteral("csr.sign"));
}

void TestCrypto::csrRejectsBadSan()
{
    auto key = PrivateKey::generateP256();
    QVERIFY(!createCsrDer(key.value(), NodeCn, {}, {}, {QStringLiteral("not-an-ip")}).ok());
    QVERIFY(!createCsrDer(PrivateKey(), NodeCn, {}).ok());
}

void TestCrypto::tamperedCsr()
{
    QVERIFY(parseAndVerifyCsrDer(m_csr).ok());
    QByteArray tampered = m_csr;
    tampered[tampered.size() - 1] = char(tampered.at(tampered.size() - 1) ^ 0x01);
    const auto bad = parseAndVerifyCsrDer(tampered);
    QVERIFY(!bad.ok());
    QVERIFY(!m_ca->signCsr(tampered, 60).ok());

    // Same request with another CN: the subject is covered by the signature.
    QByteArray renamed = m_csr;
    const QByteArray cn = NodeCn.toUtf8();
    const qsizetype at = renamed.indexOf(cn);
    QVERIFY(at > 0);
    renamed.replace(at, cn.size(), QByteArray("system:node:n2"));
    QVERIFY(!parseAndVerifyCsrDer(renamed).ok());
}

void TestCrypto::garbageCsr_data()
{
    QTest::addColumn<QByteArray>("der");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("text") << QByteArray("-----BEGIN CERTIFICATE REQUEST-----");
    QTest::newRow("zero bytes") << QByteArray(64, '\0');
    QRandomGenerator rng(42);
    for (int size : {1, 2, 16, 300, 4096}) {
        QByteArray bytes(size, Qt::Uninitialized);
        for (char &c : bytes)
            c = char(rng.bounded(256));
        QTest::addRow("random %d", size) << bytes;
    }
    QByteArray sequence = QByteArray::fromHex("3082ffff") + QByteArray(8, '\x30');
    QTest::newRow("sequence with huge length") << sequence;
    for (qsizetype len : {qsizetype(1), qsizetype(2), qsizetype(10), m_csr.size() / 2, m_csr.size() - 1})
        QTest::addRow("truncated to %d", int(len)) << m_csr.left(len);
    QTest::newRow("trailing byte") << (m_csr + '\0');
    QTest::newRow("a certificate") << m_client.certificate.toDer();
}

void TestCrypto::garbageCsr()
{
    QFETCH(QByteArray, der);
    const auto parsed = parseAndVerifyCsrDer(der);
    QVERIFY(!parsed.ok());
    QVERIFY(!parsed.errorMessage().isEmpty());
    QVERIFY(!m_ca->signCsr(der, 60).ok());
    if (QByteArrayView(QTest::currentDataTag()) != "a certificate")
        QVERIFY(!Certificate::fromDer(der).ok());
    QVERIFY(!PrivateKey::fromDer(der).ok());
}

void TestCrypto::mutatedCsrNeverVerifies()
{
    QRandomGenerator rng(7);
    for (int i = 0; i < 400; ++i) {
        QByteArray mutated = m_csr;
        const int flips = 1 + rng.bounded(3);
        for (int f = 0; f < flips; ++f) {
            const int at = rng.bounded(int(mutated.size()));
            mutated[at] = char(mutated.at(at) ^ (1 + rng.bounded(255)));
        }
        QVERIFY2(!parseAndVerifyCsrDer(mutated).ok(), qPrintable(QString::number(i)));
    }
}

void TestCrypto::joinToken()
{
    const qint64 exp = nowSecs() + 24 * 3600;
    const QJsonObject extra{{QStringLiteral("node"), QStringLiteral("n1")},
                            {QStringLiteral("jti"), QStringLiteral("abc")},
                            {QStringLiteral("exp"), 1}};
    const QString token = createJoinToken(*m_ca, exp, extra);
    QCOMPARE(token.split(QLatin1Char('.')).size(), 4);

    auto split = crypto::splitJoinToken(token);
    QVERIFY2(split.ok(), qPrintable(split.errorMessage()));
    QCOMPARE(split->caHash,
             QCryptographicHash::hash(m_ca->certificate().toDer(), QCryptographicHash::Sha256).toHex());
    QCOMPARE(split->caHash.size(), 64);
    QCOMPARE(split->caHash, split->caHash.toLower());

    const QByteArray header =
        QByteArray::fromBase64(split->jwt.split('.').at(0), QByteArray::Base64UrlEncoding);
    QCOMPARE(QJsonDocument::fromJson(header).object().value(QLatin1String("alg")).toString(),
             QStringLiteral("HS256"));
    QVERIFY(!split->jwt.contains('='));

    auto claims = verifyJoinJwt(*m_ca, split->jwt, nowSecs());
    QVERIFY2(claims.ok(), qPrintable(claims.errorMessage()));
    QCOMPARE(claims->exp, exp);
    QCOMPARE(claims->claims.value(QLatin1String("node")).toString(), QStringLiteral("n1"));
    QCOMPARE(claims->claims.value(QLatin1String("jti")).toString(), QStringLiteral("abc"));
    QVERIFY(verifyJwt(split->jwt, m_ca->key().toDer(), exp).ok()); // still valid at exp

    const auto otherKey = verifyJoinJwt(*m_otherCa, split->jwt, nowSecs());
    QVERIFY(!otherKey.ok());
    QCOMPARE(otherKey.error().code, QStringLiteral("token.signature"));
    const auto expired = verifyJoinJwt(*m_ca, split->jwt, exp + 1);
    QVERIFY(!expired.ok());
    QCOMPARE(expired.error().code, QStringLiteral("token.expired"));
}

void TestCrypto::jwtRejections_data()
{
    QTest::addColumn<QByteArray>("jwt");
    QTest::addColumn<QString>("code");
    const QByteArray key = QByteArrayLiteral("k");
    const QByteArray valid = createJwt(QJsonObject{{QStringLiteral("exp"), nowSecs() + 600}}, key);
    const QList<QByteArray> parts = valid.split('.');
    const QByteArray noneHeader = b64(R"({"alg":"none","typ":"JWT"})");

    QTest::newRow("alg none, no signature")
        << (noneHeader + '.' + parts[1] + '.') << QStringLiteral("token.alg");
    QTest::newRow("alg none, old signature")
        << (noneHeader + '.' + parts[1] + '.' + parts[2]) << QStringLiteral("token.alg");
    QTest::newRow("alg RS256") << (b64(R"({"alg":"RS256"})") + '.' + parts[1] + '.' + parts[2])
                               << QStringLiteral("token.alg");
    const QByteArray laterExp = b64(QJsonDocument(QJsonObject{{QStringLiteral("exp"), nowSecs() + 999999}})
                                        .toJson(QJsonDocument::Compact));
    QTest::newRow("modified payload")
        << (parts[0] + '.' + laterExp + '.' + parts[2]) << QStringLiteral("token.signature");
    QByteArray badSig = parts[2];
    badSig[0] = badSig.at(0) == 'A' ? 'B' : 'A';
    QTest::newRow("modified signature")
        << (parts[0] + '.' + parts[1] + '.' + badSig) << QStringLiteral("token.signature");
    QTest::newRow("two parts") << (parts[0] + '.' + parts[1]) << QStringLiteral("token.format");
    QTest::newRow("four parts") << (valid + ".x") << QStringLiteral("token.format");
    QTest::newRow("padding") << (valid + '=') << QStringLiteral("token.format");
    QTest::newRow("not base64") << (parts[0] + '.' + parts[1] + ".$$$") << QStringLiteral("token.format");
    QTest::newRow("header not json") << (b64("nope") + '.' + parts[1] + '.' + parts[2])
                                     << QStringLiteral("token.format");
    QTest::newRow("no exp") << createJwt(QJsonObject{{QStringLiteral("node"), QStringLiteral("n1")}}, key)
                            << QStringLiteral("token.claims");
    QTest::newRow("string exp") << createJwt(
                                       QJsonObject{{QStringLiteral("exp"), QStringLiteral("9999999999")}},
                                       key)
                                << QStringLiteral("token.claims");
    QTest::newRow("expired") << createJwt(QJsonObject{{QStringLiteral("exp"), nowSecs() - 1}}, key)
                             << QStringLiteral("token.expired");
    QTest::newRow("not yet valid") << createJwt(QJsonObject{{QStringLiteral("exp"), nowSecs() + 600},
                                                            {QStringLiteral("nbf"), nowSecs() + 300}},
                                                key)
                                   << QStringLiteral("token.notyet");
    QTest::newRow("huge exp is fine") << QByteArray() << QString();
}

void TestCrypto::jwtRejections()
{
    QFETCH(QByteArray, jwt);
    QFETCH(QString, code);
    if (jwt.isEmpty()) {
        const QByteArray huge = createJwt(QJsonObject{{QStringLiteral("exp"), 1e300}}, "k");
        QVERIFY(verifyJwt(huge, "k", nowSecs()).ok());
        return;
    }
    const auto result = verifyJwt(jwt, QByteArrayLiteral("k"), nowSecs());
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, code);
}

void TestCrypto::jwtOtherHmacAccepted()
{
    // KubeEdge's verifier accepts any HMAC method; so do we.
    const QByteArray key = m_ca->key().toDer();
    const QByteArray header = b64(R"({"alg":"HS512","typ":"JWT"})");
    const QByteArray payload = b64(
        QJsonDocument(QJsonObject{{QStringLiteral("exp"), nowSecs() + 60}}).toJson(QJsonDocument::Compact));
    const QByteArray input = header + '.' + payload;
    const QByteArray sig = b64(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha512));
    QVERIFY(verifyJwt(input + '.' + sig, key, nowSecs()).ok());
    const QByteArray sig256 = b64(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256));
    QVERIFY(!verifyJwt(input + '.' + sig256, key, nowSecs()).ok());
}

void TestCrypto::splitJoinToken_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<bool>("ok");
    QTest::newRow("four parts") << QStringLiteral("aa.bb.cc.dd") << true;
    QTest::newRow("trailing newline") << QStringLiteral("aa.bb.cc.dd\n") << true;
    QTest::newRow("three parts") << QStringLiteral("bb.cc.dd") << false;
    QTest::newRow("five parts") << QStringLiteral("aa.bb.cc.dd.ee") << false;
    QTest::newRow("empty part") << QStringLiteral("aa..cc.dd") << false;
    QTest::newRow("empty") << QString() << false;
}

void TestCrypto::splitJoinToken()
{
    QFETCH(QString, token);
    QFETCH(bool, ok);
    const auto split = crypto::splitJoinToken(token);
    QCOMPARE(split.ok(), ok);
    if (ok) {
        QCOMPARE(split->caHash, QByteArray("aa"));
        QCOMPARE(split->jwt, QByteArray("bb.cc.dd"));
    }
}

void TestCrypto::constantTime_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::newRow("equal") << QByteArray("secret") << QByteArray("secret") << true;
    QTest::newRow("both empty") << QByteArray() << QByteArray() << true;
    QTest::newRow("last byte") << QByteArray("secret") << QByteArray("secreT") << false;
    QTest::newRow("first byte") << QByteArray("secret") << QByteArray("Secret") << false;
    QTest::newRow("prefix") << QByteArray("secret") << QByteArray("secre") << false;
    QTest::newRow("one empty") << QByteArray() << QByteArray("x") << false;
}

void TestCrypto::constantTime()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(constantTimeEquals(a, b), equal);
    QCOMPARE(constantTimeEquals(b, a), equal);
}

void TestCrypto::tlsHandshake_data()
{
    QTest::addColumn<QString>("client");
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("protocol");
    QTest::addColumn<bool>("accepted");
    const int verify = int(QSslSocket::VerifyPeer);
    const int query = int(QSslSocket::QueryPeer);
    const int any = int(QSsl::TlsV1_2OrLater);
    const int tls12 = int(QSsl::TlsV1_2);
    QTest::newRow("ca-signed client") << QStringLiteral("ours") << verify << any << true;
    QTest::newRow("ca-signed client, TLS 1.2") << QStringLiteral("ours") << verify << tls12 << true;
    QTest::newRow("no client cert") << QStringLiteral("none") << verify << any << false;
    QTest::newRow("no client cert, TLS 1.2") << QStringLiteral("none") << verify << tls12 << false;
    QTest::newRow("client cert from another CA") << QStringLiteral("foreign") << verify << any << false;
    QTest::newRow("no client cert, query mode") << QStringLiteral("none") << query << any << true;
}

void TestCrypto::tlsHandshake()
{
    QFETCH(QString, client);
    QFETCH(int, mode);
    QFETCH(int, protocol);
    QFETCH(bool, accepted);

    QSslServer server;
    server.setSslConfiguration(serverSslConfiguration(m_server.certificate, m_server.key, m_ca->certificate(),
                                                      QSslSocket::PeerVerifyMode(mode)));
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QSignalSpy pending(&server, &QSslServer::pendingConnectionAvailable);
    QSignalSpy serverErrors(&server, &QSslServer::errorOccurred);
    QSignalSpy serverSslErrors(&server, &QSslServer::sslErrors);

    QSslSocket socket;
    const CertifiedKey *identity = client == QLatin1String("ours")      ? &m_client
                                   : client == QLatin1String("foreign") ? &m_foreignClient
                                                                        : nullptr;
    QSslConfiguration conf =
        identity ? clientSslConfiguration(m_ca->certificate(), &identity->certificate, &identity->key)
                 : clientSslConfiguration(m_ca->certificate());
    conf.setProtocol(QSsl::SslProtocol(protocol));
    socket.setSslConfiguration(conf);
    QSignalSpy encrypted(&socket, &QSslSocket::encrypted);
    QSignalSpy clientSslErrors(&socket, &QSslSocket::sslErrors);
    QSignalSpy disconnected(&socket, &QSslSocket::disconnected);
    // The server certificate names 127.0.0.1 as an IP SAN: the edge dials addresses like this.
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());

    if (accepted) {
        QTRY_COMPARE(encrypted.size(), 1);
        QTRY_COMPARE(pending.size(), 1);
        QCOMPARE(clientSslErrors.size(), 0);
        auto *peer = qobject_cast<QSslSocket *>(server.nextPendingConnection());
        QVERIFY(peer);
        QVERIFY(peer->isEncrypted());
        if (identity)
            QCOMPARE(peer->peerCertificate().subjectInfo(QSslCertificate::CommonName), QStringList{NodeCn});
        else
            QVERIFY(peer->peerCertificate().isNull());
        const QString cipher = socket.sessionCipher().name();
        QVERIFY2(kubeEdgeCiphers().contains(socket.sessionCipher()), qPrintable(cipher));
        if (protocol == int(QSsl::TlsV1_2))
            QVERIFY2(cipher.startsWith(QLatin1String("ECDHE-ECDSA-")), qPrintable(cipher));
        // Data flows both ways.
        socket.write("ping");
        QTRY_COMPARE(peer->bytesAvailable(), qint64(4));
        QCOMPARE(peer->readAll(), QByteArray("ping"));
        delete peer;
    } else {
        // With TLS 1.3 the client may finish its side before the server rejects its certificate;
        // either way the connection must end without the server ever accepting it.
        QTRY_VERIFY(disconnected.size() > 0 || socket.state() == QAbstractSocket::UnconnectedState);
        QVERIFY(serverErrors.size() + serverSslErrors.size() > 0);
        QCOMPARE(pending.size(), 0);
        QVERIFY(!server.hasPendingConnections());
    }
}

QTEST_GUILESS_MAIN(TestCrypto)
#include "tst_crypto.moc"
