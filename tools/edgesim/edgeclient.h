#pragma once

#include "shared/crypto/certificate.h"
#include "shared/crypto/pkey.h"
#include "shared/message.h"
#include "shared/result.h"

#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QUrl>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
QT_END_NAMESPACE

/// The edge side of the KubeEdge protocol as far as a test or a simulator needs it: certificate
/// bootstrap over /ca.crt and /edge.crt, the session request, keepalive and ack messages.
namespace qedge::edgeclient {

/// KubeEdge's default project id, sent as project_id and in the session path.
inline const QByteArray DefaultProject = QByteArrayLiteral("e632aba927ea4ac2b575ec1603d56f10");

/// Status and body of one HTTP exchange with the bootstrap server.
struct HttpReply
{
    int status = 0; ///< 0 when no HTTP answer came (TLS or network failure)
    QByteArray body;
    QString networkError; ///< QNetworkReply's error text when status is 0
};

/// An edge node's certificate material.
struct Identity
{
    crypto::Certificate ca;
    crypto::Certificate cert;
    crypto::PrivateKey key;
};

/// A blocking GET with a body (runs a local event loop); `nam` may be shared to reuse connections.
HttpReply get(const QNetworkRequest &req, const QByteArray &body, QNetworkAccessManager *nam = nullptr,
              int timeoutMs = 10000);
/// GET <base>/ca.crt without verifying the server (the edge does the same, then pins).
HttpReply fetchCa(const QUrl &bootstrapBase, QNetworkAccessManager *nam = nullptr);
/// GET <base>/edge.crt with a CSR body, the server verified against `ca`; presents
/// `clientCert`/`clientKey` when given (rotation). Empty auth sends no Authorization.
HttpReply requestCertificate(const QUrl &bootstrapBase, const crypto::Certificate &ca,
                             const QByteArray &csrDer, const QByteArray &authorization,
                             const QString &nodeName, const crypto::Certificate *clientCert = nullptr,
                             const crypto::PrivateKey *clientKey = nullptr,
                             QNetworkAccessManager *nam = nullptr);
/// Fetches the CA and checks it against the join token's hash.
Result<crypto::Certificate> fetchPinnedCa(const QUrl &bootstrapBase, const QString &token,
                                          QNetworkAccessManager *nam = nullptr);
/// New P-256 key, CSR for system:node:<node>, signed by the hub with the token's JWT.
Result<Identity> bootstrap(const QUrl &bootstrapBase, const crypto::Certificate &ca, const QString &token,
                           const QString &node, QNetworkAccessManager *nam = nullptr);

/// Reads <dir>/<node>.crt, <dir>/<node>.key and <dir>/ca.crt (PEM).
Result<Identity> loadIdentity(const QString &dir, const QString &node);
/// Writes them (the key 0600).
Status saveIdentity(const QString &dir, const QString &node, const Identity &id);

/// wss://<host>:<port>/<project>/<node>/events with node_id, project_id and ConnectionUse: msg.
QNetworkRequest sessionRequest(const QString &host, quint16 port, const QString &node);
/// The mTLS configuration of an identity.
QSslConfiguration sslConfiguration(const Identity &id);

/// What edgecore sends as keepalive (reference §1.4, §2.6).
Message keepalive();
/// The KubeEdge ack: operation response, parent = m.id, content "OK".
Message ackFor(const Message &m);

} // namespace qedge::edgeclient
