#pragma once

#include "shared/config.h"
#include "shared/crypto/certauthority.h"
#include "shared/result.h"

#include <QObject>
#include <QSslConfiguration>
#include <QTimer>

namespace qedge::cloud {

/// The hub's CA, its server certificate and the join tokens (PROTOCOL.md §6, reference §5.3/§5.4).
/// Files live under <data dir>/pki unless the operator names their own; keys are 0600.
class HubPki : public QObject
{
    Q_OBJECT
public:
    static Result<std::unique_ptr<HubPki>> load(const Config &config, const QString &dataDir);

    const crypto::CertAuthority &ca() const { return m_ca; }
    const crypto::Certificate &serverCertificate() const { return m_serverCert; }
    const crypto::PrivateKey &serverKey() const { return m_serverKey; }

    /// The current shared join token (also in <data dir>/join.token).
    QString joinToken() const { return m_joinToken; }
    /// A new token: valid for ttlSeconds, optionally bound to one node.
    QString issueToken(qint64 ttlSeconds, const QString &node = QString()) const;
    /// Checks the JWT part (or a whole "<hash>.<jwt>" token) for a node. Error codes: "token".
    Status verifyToken(const QByteArray &token, const QString &nodeName) const;

    qint64 edgeCertValiditySeconds() const { return m_edgeCertValidity; }
    QString joinTokenPath() const;

    /// TLS configuration of the edge port (client certificate required) and of the HTTPS ports.
    QSslConfiguration edgeTlsConfiguration() const;
    QSslConfiguration httpsTlsConfiguration(bool requestClientCert) const;

private:
    HubPki(crypto::CertAuthority ca, crypto::Certificate serverCert, crypto::PrivateKey serverKey);
    Status renewJoinToken();

    crypto::CertAuthority m_ca;
    crypto::Certificate m_serverCert;
    crypto::PrivateKey m_serverKey;
    QString m_dataDir;
    QString m_joinToken;
    qint64 m_refreshSeconds = 12 * 3600;
    qint64 m_edgeCertValidity = 365LL * 24 * 3600;
    QTimer m_renewTimer;
};

} // namespace qedge::cloud
