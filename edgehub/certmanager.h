#pragma once

#include "shared/result.h"

#include <QDateTime>
#include <QObject>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTimer>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace qedge {

/// The edge's certificate manager (reference §5.5, PROTOCOL §6): bootstraps a node certificate
/// with the join token (CA pinned by the token's hash), reuses valid files on restart, rotates at
/// a random point in 70–90 % of the lifetime presenting the current certificate. Failures are
/// logged in one line and retried with backoff; nothing here ends the process.
class CertManager : public QObject
{
    Q_OBJECT
public:
    /// A new private key (PEM) and a DER PKCS#10 CSR for it.
    struct KeyRequest
    {
        QByteArray keyPem;
        QByteArray csrDer;
    };
    /// Makes a P-256 key and a CSR with subject CN `commonName`, O `organizations`.
    using CsrFactory =
        std::function<Result<KeyRequest>(const QString &commonName, const QStringList &organizations)>;

    struct Settings
    {
        QString certDir; ///< DIR/certs: ca.crt, edge.crt, edge.key
        QString nodeId;
        QUrl certServer;   ///< https://<hub host>:10002
        QString token;     ///< "<caHash>.<jwt>", needed only to bootstrap
        QString tokenFile; ///< when set, read before every attempt (a fixed or renewed token is picked up)
        int retryBaseMs = 2000;
        int retryCapMs = 60000;
        int httpTimeoutMs = 30000;
        bool rotate = true;
    };

    CertManager(const Settings &settings, CsrFactory factory, QObject *parent = nullptr);
    ~CertManager() override;

    /// Uses the files when they are valid for this node, else bootstraps; emits ready() once.
    void start();

    bool hasCertificate() const { return !m_cert.isNull(); }
    QSslCertificate certificate() const { return m_cert; }
    QSslCertificate caCertificate() const { return m_ca; }
    QDateTime expiry() const { return m_cert.expiryDate(); }
    /// TLS for the hub link: the pinned CA, the node certificate and key, TLS 1.2 or later.
    QSslConfiguration clientSslConfiguration() const;

    /// "system:node:<node>".
    static QString commonNameFor(const QString &nodeId);
    /// Checks `token` has 4 dot-separated parts and its first is the SHA-256 hex of `caDer`; gives the JWT.
    static Result<QString> pinnedJwt(const QString &token, const QByteArray &caDer);
    /// Milliseconds from `now` to start + fraction × (notAfter − start), never negative, where start
    /// is the later of notBefore and `issuedAt` (hubs backdate notBefore for clock skew; with short
    /// lifetimes that backdating would otherwise make every new certificate due at once).
    static qint64 rotationDelayMs(const QSslCertificate &cert, double fraction, const QDateTime &now,
                                  const QDateTime &issuedAt = {});

signals:
    /// A certificate is there (loaded or bootstrapped).
    void ready();
    /// The certificate was replaced (renewed, or joined again after it expired): reconnect with the new one.
    void rotated();

private:
    enum class Phase { Idle, FetchCa, Sign, Rotate };
    Status loadExisting();
    void bootstrap();
    void onCa(QNetworkReply *reply);
    void requestCertificate(bool rotation);
    void onCertificate(QNetworkReply *reply, const QByteArray &keyPem, bool rotation);
    void fail(const QString &what, bool rotation);
    void scheduleRotation();
    QString path(const char *file) const;

    Settings m_settings;
    CsrFactory m_factory;
    QNetworkAccessManager *m_nam;
    QSslCertificate m_ca;
    QSslCertificate m_cert;
    QSslKey m_key;
    QTimer m_retryTimer;
    QTimer m_rotationTimer;
    QString m_jwt;
    QDateTime m_rotationDue;
    QDateTime m_issuedAt;            ///< when this edge got m_cert (the file's mtime after a restart)
    QByteArray m_rotationPlannedFor; ///< serial of the certificate m_rotationDue was drawn for
    int m_failures = 0;
    bool m_readyEmitted = false;
};

} // namespace qedge
