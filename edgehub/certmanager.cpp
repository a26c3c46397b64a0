#include "edgehub/certmanager.h"

#include "edgehub/edgelogging.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QSaveFile>

#include <algorithm>

namespace qedge {

namespace {
constexpr qint64 MaxBody = 1024 * 1024;           // reference §2.7: 1 MiB for certificate bodies
constexpr qint64 MaxTimerMs = 24LL * 3600 * 1000; // QTimer takes an int; re-arm daily

Status writeFile(const QString &path, const QByteArray &data, bool secret)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return Status::failure(QStringLiteral("cert.write"),
                               QStringLiteral("cannot write %1: %2").arg(path, f.errorString()));
    if (secret)
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(data);
    if (!f.commit())
        return Status::failure(QStringLiteral("cert.write"),
                               QStringLiteral("cannot write %1: %2").arg(path, f.errorString()));
    return {};
}

QString commonNameOf(const QSslCertificate &c)
{
    const QStringList cn = c.subjectInfo(QSslCertificate::CommonName);
    return cn.isEmpty() ? QString() : cn.first();
}
} // namespace

CertManager::CertManager(const Settings &settings, CsrFactory factory, QObject *parent)
    : QObject(parent), m_settings(settings), m_factory(std::move(factory)),
      m_nam(new QNetworkAccessManager(this))
{
    m_retryTimer.setSingleShot(true);
    m_rotationTimer.setSingleShot(true);
    connect(&m_rotationTimer, &QTimer::timeout, this, [this] {
        if (QDateTime::currentDateTimeUtc() < m_rotationDue) {
            scheduleRotation(); // a long wait is re-armed in daily steps
            return;
        }
        requestCertificate(true);
    });
}

CertManager::~CertManager() = default;

QString CertManager::commonNameFor(const QString &nodeId)
{
    return QStringLiteral("system:node:") + nodeId;
}

QString CertManager::path(const char *file) const
{
    return QDir(m_settings.certDir).filePath(QString::fromLatin1(file));
}

Result<QString> CertManager::pinnedJwt(const QString &token, const QByteArray &caDer)
{
    const QString trimmed = token.trimmed();
    if (trimmed.isEmpty())
        return Result<QString>::failure(
            QStringLiteral("cert.token"),
            QStringLiteral(
                "no join token: pass --token or --token-file (the hub writes it to DIR/join.token)"));
    const QStringList parts = trimmed.split(u'.');
    if (parts.size() != 4)
        return Result<QString>::failure(
            QStringLiteral("cert.token"),
            QStringLiteral("the join token is malformed: expected <caHash>.<jwt>"));
    const QString caHash =
        QString::fromLatin1(QCryptographicHash::hash(caDer, QCryptographicHash::Sha256).toHex());
    if (parts.first().compare(caHash, Qt::CaseInsensitive) != 0)
        return Result<QString>::failure(
            QStringLiteral("cert.pin"),
            QStringLiteral(
                "the hub's CA does not match the join token (CA hash %1); check --hub and the token")
                .arg(caHash));
    return QStringList(parts.mid(1)).join(u'.');
}

qint64 CertManager::rotationDelayMs(const QSslCertificate &cert, double fraction, const QDateTime &now,
                                    const QDateTime &issuedAt)
{
    qint64 from = cert.effectiveDate().toMSecsSinceEpoch();
    if (issuedAt.isValid())
        from = std::max(from, issuedAt.toMSecsSinceEpoch());
    const qint64 to = cert.expiryDate().toMSecsSinceEpoch();
    const qint64 due = from + qint64(double(to - from) * fraction);
    return std::max<qint64>(0, due - now.toMSecsSinceEpoch());
}

QSslConfiguration CertManager::clientSslConfiguration() const
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setProtocol(QSsl::TlsV1_2OrLater);
    c.setCaCertificates({m_ca});
    c.setPeerVerifyMode(QSslSocket::VerifyPeer);
    c.setLocalCertificate(m_cert);
    c.setPrivateKey(m_key);
    c.setAllowedNextProtocols({}); // no h2 (reference §2.3)
    return c;
}

Status CertManager::loadExisting()
{
    QFile caFile(path("ca.crt")), certFile(path("edge.crt")), keyFile(path("edge.key"));
    if (!caFile.open(QIODevice::ReadOnly) || !certFile.open(QIODevice::ReadOnly) ||
        !keyFile.open(QIODevice::ReadOnly))
        return Status::failure(QStringLiteral("cert.missing"), QStringLiteral("no certificate yet"));
    const auto ca = QSslCertificate::fromData(caFile.readAll(), QSsl::Pem);
    const auto cert = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
    const QSslKey key(keyFile.readAll(), QSsl::Ec, QSsl::Pem);
    if (ca.isEmpty() || cert.isEmpty() || key.isNull())
        return Status::failure(QStringLiteral("cert.invalid"),
                               QStringLiteral("certificate files unreadable"));
    if (commonNameOf(cert.first()) != commonNameFor(m_settings.nodeId))
        return Status::failure(
            QStringLiteral("cert.node"),
            QStringLiteral("certificate is for \"%1\", not this node").arg(commonNameOf(cert.first())));
    if (cert.first().expiryDate() <= QDateTime::currentDateTimeUtc())
        return Status::failure(QStringLiteral("cert.expired"), QStringLiteral("certificate expired"));
    m_ca = ca.first();
    m_cert = cert.first();
    m_key = key;
    m_issuedAt = QFileInfo(certFile).lastModified().toUTC();
    return {};
}

void CertManager::start()
{
    QDir().mkpath(m_settings.certDir);
    if (Status s = loadExisting()) {
        qCInfo(lcEdgeCert).noquote() << "using the node certificate in" << m_settings.certDir << "valid until"
                                     << m_cert.expiryDate().toString(Qt::ISODate);
        m_readyEmitted = true;
        emit ready();
        scheduleRotation();
        return;
    } else if (s.error().code != QLatin1String("cert.missing")) {
        qCInfo(lcEdgeCert).noquote() << s.errorMessage() << "- bootstrapping a new one";
    }
    bootstrap();
}

void CertManager::bootstrap()
{
    m_nam->clearConnectionCache(); // see requestCertificate()
    QUrl url = m_settings.certServer;
    url.setPath(QStringLiteral("/ca.crt"));
    QNetworkRequest req(url);
    req.setTransferTimeout(m_settings.httpTimeoutMs);
    // Not verified yet: the token's hash pins it below (reference §5.5 step 2a/b).
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
    req.setSslConfiguration(ssl);
    QNetworkReply *reply = m_nam->get(req);
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onCa(reply); });
}

void CertManager::onCa(QNetworkReply *reply)
{
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->error() != QNetworkReply::NoError || status != 200) {
        fail(QStringLiteral("cannot get the CA from %1: %2")
                 .arg(reply->url().toString(), reply->errorString()),
             false);
        return;
    }
    const QByteArray der = reply->read(MaxBody);
    QString token = m_settings.token;
    if (!m_settings.tokenFile.isEmpty()) {
        QFile f(m_settings.tokenFile);
        if (!f.open(QIODevice::ReadOnly)) {
            fail(QStringLiteral("cannot read the token file %1: %2")
                     .arg(m_settings.tokenFile, f.errorString()),
                 false);
            return;
        }
        token = QString::fromUtf8(f.read(64 * 1024));
    }
    auto jwt = pinnedJwt(token, der);
    if (!jwt) {
        fail(jwt.errorMessage(), false);
        return;
    }
    const auto ca = QSslCertificate::fromData(der, QSsl::Der);
    if (ca.isEmpty()) {
        fail(QStringLiteral("the hub sent a CA certificate that cannot be parsed"), false);
        return;
    }
    m_ca = ca.first();
    if (Status s = writeFile(path("ca.crt"), m_ca.toPem(), false); !s) {
        fail(s.errorMessage(), false);
        return;
    }
    m_jwt = jwt.value();
    requestCertificate(false);
}

void CertManager::requestCertificate(bool rotation)
{
    if (rotation && m_cert.expiryDate() <= QDateTime::currentDateTimeUtc()) {
        // An expired certificate authenticates nothing (the hub was unreachable through the whole
        // renewal window): join again with the token, as a new node would.
        qCWarning(lcEdgeCert).noquote() << "the node certificate expired before it could be renewed;"
                                        << "joining again with the join token";
        bootstrap();
        return;
    }
    auto kr = m_factory(commonNameFor(m_settings.nodeId), {QStringLiteral("system:nodes")});
    if (!kr) {
        fail(QStringLiteral("cannot make a key and CSR: %1").arg(kr.errorMessage()), rotation);
        return;
    }
    // The access manager keeps one connection object per host and port with the TLS settings of
    // the request that created it, and reuses it whatever a later request asks for: a client
    // certificate (or its absence) would leak from one kind of request into the other.
    m_nam->clearConnectionCache();
    QUrl url = m_settings.certServer;
    url.setPath(QStringLiteral("/edge.crt"));
    QNetworkRequest req(url);
    req.setTransferTimeout(m_settings.httpTimeoutMs);
    req.setRawHeader("NodeName", m_settings.nodeId.toUtf8());
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates({m_ca});
    ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
    if (rotation) {
        // The current certificate authenticates the request; no token (reference §5.5 step 3).
        ssl.setLocalCertificate(m_cert);
        ssl.setPrivateKey(m_key);
    } else {
        req.setRawHeader("Authorization", "Bearer " + m_jwt.toUtf8());
    }
    req.setSslConfiguration(ssl);
    QNetworkReply *reply = m_nam->sendCustomRequest(req, "GET", kr.value().csrDer);
    const QByteArray keyPem = kr.value().keyPem;
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, keyPem, rotation] { onCertificate(reply, keyPem, rotation); });
}

void CertManager::onCertificate(QNetworkReply *reply, const QByteArray &keyPem, bool rotation)
{
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->read(MaxBody);
    if (reply->error() != QNetworkReply::NoError && status == 0) {
        fail(QStringLiteral("cannot reach %1: %2").arg(reply->url().toString(), reply->errorString()),
             rotation);
        return;
    }
    if (status != 200) {
        QString detail = QString::fromUtf8(body.left(300)).trimmed();
        if (status == 401)
            detail =
                QStringLiteral("the join token was refused (%1); get a fresh one from the hub").arg(detail);
        fail(QStringLiteral("the hub refused the certificate request: HTTP %1: %2").arg(status).arg(detail),
             rotation);
        return;
    }
    const auto cert = QSslCertificate::fromData(body, QSsl::Der);
    const QSslKey key(keyPem, QSsl::Ec, QSsl::Pem);
    if (cert.isEmpty() || key.isNull() || commonNameOf(cert.first()) != commonNameFor(m_settings.nodeId)) {
        fail(QStringLiteral("the hub sent a certificate that is unusable or not for this node"), rotation);
        return;
    }
    // The key goes first: a certificate without its key on disk would be unusable after a crash.
    if (Status s = writeFile(path("edge.key"), keyPem, true); !s) {
        fail(s.errorMessage(), rotation);
        return;
    }
    if (Status s = writeFile(path("edge.crt"), cert.first().toPem(), false); !s) {
        fail(s.errorMessage(), rotation);
        return;
    }
    m_cert = cert.first();
    m_key = key;
    m_issuedAt = QDateTime::currentDateTimeUtc();
    m_failures = 0;
    m_jwt.clear();
    qCInfo(lcEdgeCert).noquote() << (rotation ? "rotated" : "obtained") << "the node certificate, valid until"
                                 << m_cert.expiryDate().toString(Qt::ISODate);
    scheduleRotation();
    if (rotation || m_readyEmitted) {
        emit rotated();
    } else {
        m_readyEmitted = true;
        emit ready();
    }
}

void CertManager::fail(const QString &what, bool rotation)
{
    const qint64 base = std::max(m_settings.retryBaseMs, 1);
    const qint64 wait = std::min<qint64>(base << std::min(m_failures++, 20),
                                         std::max(m_settings.retryCapMs, m_settings.retryBaseMs));
    const qint64 jittered = wait + QRandomGenerator::global()->bounded(wait / 10 + 1);
    qCWarning(lcEdgeCert).noquote()
        << (rotation ? "certificate rotation failed:" : "certificate bootstrap failed:") << what
        << QStringLiteral("- retrying in %1 s").arg(QString::number(double(jittered) / 1000.0, 'g', 3));
    m_retryTimer.disconnect(this);
    connect(&m_retryTimer, &QTimer::timeout, this, [this, rotation] {
        if (rotation)
            requestCertificate(true);
        else
            bootstrap();
    });
    m_retryTimer.start(int(jittered));
}

void CertManager::scheduleRotation()
{
    if (!m_settings.rotate || m_cert.isNull())
        return;
    if (!m_rotationDue.isValid() || m_rotationPlannedFor != m_cert.serialNumber()) {
        // U[0.7, 0.9) of the lifetime, as KubeEdge's wait.Jitter(total, 0.2) − 0.3 × total.
        const double fraction = 0.7 + 0.2 * QRandomGenerator::global()->generateDouble();
        m_rotationDue = QDateTime::currentDateTimeUtc().addMSecs(
            rotationDelayMs(m_cert, fraction, QDateTime::currentDateTimeUtc(), m_issuedAt));
        m_rotationPlannedFor = m_cert.serialNumber();
        qCDebug(lcEdgeCert).noquote() << "rotation due at" << m_rotationDue.toString(Qt::ISODateWithMs);
    }
    const qint64 wait = std::max<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(m_rotationDue));
    m_rotationTimer.start(int(std::min(wait, MaxTimerMs)));
}

} // namespace qedge
