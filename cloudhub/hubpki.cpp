#include "cloudhub/hubpki.h"

#include "cloudhub/hubconfig.h"
#include "cloudhub/hublogging.h"
#include "shared/crypto/jointoken.h"
#include "shared/crypto/securefile.h"
#include "shared/crypto/sslconfig.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QUuid>

namespace qedge::cloud {

namespace {

bool bothExist(const QString &a, const QString &b)
{
    return QFile::exists(a) && QFile::exists(b);
}

Result<crypto::CertAuthority> loadOrCreateCa(const Config &config, const QString &pkiDir)
{
    const QString certFile = config.string(key::CaCertFile);
    const QString keyFile = config.string(key::CaKeyFile);
    if (!certFile.isEmpty() || !keyFile.isEmpty()) {
        if (certFile.isEmpty() || keyFile.isEmpty())
            return Result<crypto::CertAuthority>::failure(
                QStringLiteral("config"), QStringLiteral("pki/ca_cert and pki/ca_key must be set together"));
        return crypto::CertAuthority::fromFiles(certFile, keyFile);
    }
    const QString cert = pkiDir + QStringLiteral("/ca.crt");
    const QString key = pkiDir + QStringLiteral("/ca.key");
    if (bothExist(cert, key))
        return crypto::CertAuthority::fromFiles(cert, key);
    auto ca = crypto::CertAuthority::create(QStringLiteral("QEdge CA"));
    if (!ca)
        return ca;
    if (Status saved = ca->saveTo(cert, key); !saved)
        return saved.error();
    qCInfo(lcHubCerts) << "created a new CA in" << pkiDir;
    return ca;
}

} // namespace

HubPki::HubPki(crypto::CertAuthority ca, crypto::Certificate serverCert, crypto::PrivateKey serverKey)
    : m_ca(std::move(ca)), m_serverCert(std::move(serverCert)), m_serverKey(std::move(serverKey))
{}

Result<std::unique_ptr<HubPki>> HubPki::load(const Config &config, const QString &dataDir)
{
    using R = Result<std::unique_ptr<HubPki>>;
    const QString pkiDir = dataDir + QStringLiteral("/pki");
    if (!QDir().mkpath(pkiDir))
        return R::failure(QStringLiteral("io"), QStringLiteral("cannot create %1").arg(pkiDir));
    QFile::setPermissions(pkiDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

    auto ca = loadOrCreateCa(config, pkiDir);
    if (!ca)
        return ca.error();

    std::optional<crypto::Certificate> serverCert;
    std::optional<crypto::PrivateKey> serverKey;
    QString certFile = config.string(key::ServerCertFile);
    QString keyFile = config.string(key::ServerKeyFile);
    const bool operatorFiles = !certFile.isEmpty() || !keyFile.isEmpty();
    if (!operatorFiles) {
        certFile = pkiDir + QStringLiteral("/server.crt");
        keyFile = pkiDir + QStringLiteral("/server.key");
    }
    if (bothExist(certFile, keyFile)) {
        QFile cf(certFile), kf(keyFile);
        if (!cf.open(QIODevice::ReadOnly) || !kf.open(QIODevice::ReadOnly))
            return R::failure(QStringLiteral("io"),
                              QStringLiteral("cannot read %1 or %2").arg(certFile, keyFile));
        auto c = crypto::Certificate::fromPem(cf.readAll());
        if (!c)
            return R::failure(QStringLiteral("pki"), certFile + QStringLiteral(": ") + c.errorMessage());
        auto k = crypto::PrivateKey::fromPem(kf.readAll());
        if (!k)
            return R::failure(QStringLiteral("pki"), keyFile + QStringLiteral(": ") + k.errorMessage());
        serverCert = c.value();
        serverKey = k.value();
    } else if (operatorFiles) {
        return R::failure(QStringLiteral("config"),
                          QStringLiteral("pki/server_cert and pki/server_key must both name readable files"));
    } else {
        auto issued = ca->issueServerCertificate(QStringLiteral("QEdge cloudhub"), config.list(key::DnsNames),
                                                 config.list(key::AdvertiseAddress), 365 * 100);
        if (!issued)
            return issued.error();
        serverCert = issued->certificate;
        serverKey = issued->key;
        if (Status s = crypto::writePublicFile(certFile, serverCert->toPem()); !s)
            return s.error();
        if (Status s = crypto::writeSecretFile(keyFile, serverKey->toPem()); !s)
            return s.error();
        qCInfo(lcHubCerts) << "issued the hub certificate for" << config.list(key::DnsNames)
                           << config.list(key::AdvertiseAddress);
    }

    std::unique_ptr<HubPki> pki(new HubPki(std::move(ca).value(), *serverCert, *serverKey));
    pki->m_dataDir = dataDir;
    pki->m_refreshSeconds = config.integer(key::TokenRefreshHours) * 3600;
    const qint64 seconds = config.integer(key::EdgeCertSigningSeconds);
    pki->m_edgeCertValidity = seconds > 0 ? seconds : config.integer(key::EdgeCertSigningDays) * 24 * 3600;
    if (Status s = pki->renewJoinToken(); !s)
        return s.error();
    // QTimer holds an int of milliseconds: past ~24 days renew early rather than overflow.
    pki->m_renewTimer.setInterval(
        std::chrono::seconds(qMin<qint64>(pki->m_refreshSeconds, 20LL * 24 * 3600)));
    connect(&pki->m_renewTimer, &QTimer::timeout, pki.get(), [p = pki.get()] {
        if (Status s = p->renewJoinToken(); !s)
            qCWarning(lcHubCerts) << "join token renewal failed:" << s.errorMessage();
    });
    pki->m_renewTimer.start();
    return pki;
}

QString HubPki::joinTokenPath() const
{
    return m_dataDir + QStringLiteral("/join.token");
}

Status HubPki::renewJoinToken()
{
    m_joinToken = issueToken(2 * m_refreshSeconds);
    return crypto::writeSecretFile(joinTokenPath(), m_joinToken.toUtf8() + '\n');
}

QString HubPki::issueToken(qint64 ttlSeconds, const QString &node) const
{
    QJsonObject extra;
    if (!node.isEmpty())
        extra.insert(QStringLiteral("node"), node);
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + ttlSeconds;
    return crypto::createJoinToken(m_ca, exp, extra);
}

Status HubPki::verifyToken(const QByteArray &token, const QString &nodeName) const
{
    QByteArray jwt = token.trimmed();
    if (jwt.count('.') == 3) {
        auto split = crypto::splitJoinToken(QString::fromLatin1(jwt));
        if (!split)
            return Status::failure(QStringLiteral("token"), split.errorMessage());
        if (!crypto::constantTimeEquals(split->caHash, m_ca.certificate().sha256Hex()))
            return Status::failure(QStringLiteral("token"), QStringLiteral("token was made for another CA"));
        jwt = split->jwt;
    }
    auto claims = crypto::verifyJwt(jwt, m_ca.key().toDer(), QDateTime::currentSecsSinceEpoch());
    if (!claims)
        return Status::failure(QStringLiteral("token"), claims.errorMessage());
    const QString boundNode = claims->claims.value(QStringLiteral("node")).toString();
    if (!boundNode.isEmpty() && boundNode != nodeName)
        return Status::failure(QStringLiteral("token"), QStringLiteral("token is bound to another node"));
    return {};
}

QSslConfiguration HubPki::edgeTlsConfiguration() const
{
    return crypto::serverSslConfiguration(m_serverCert, m_serverKey, m_ca.certificate(),
                                          QSslSocket::VerifyPeer);
}

QSslConfiguration HubPki::httpsTlsConfiguration(bool requestClientCert) const
{
    return crypto::serverSslConfiguration(m_serverCert, m_serverKey, m_ca.certificate(),
                                          requestClientCert ? QSslSocket::QueryPeer : QSslSocket::VerifyNone);
}

} // namespace qedge::cloud
