#include "tools/edgesim/edgeclient.h"

#include "shared/crypto/csr.h"
#include "shared/crypto/jointoken.h"
#include "shared/crypto/sslconfig.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

#include <memory>

namespace qedge::edgeclient {

namespace {
Error fail(const QString &code, const QString &message)
{
    return Error{code, message};
}
} // namespace

HttpReply get(const QNetworkRequest &req, const QByteArray &body, QNetworkAccessManager *nam, int timeoutMs)
{
    std::unique_ptr<QNetworkAccessManager> own;
    if (!nam) {
        own = std::make_unique<QNetworkAccessManager>();
        nam = own.get();
    }
    QNetworkReply *reply = nam->sendCustomRequest(req, "GET", body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    HttpReply out;
    if (!reply->isFinished()) {
        reply->abort();
        out.networkError = QStringLiteral("timed out");
    }
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    if (out.status == 0)
        out.networkError = reply->errorString();
    reply->deleteLater();
    return out;
}

HttpReply fetchCa(const QUrl &bootstrapBase, QNetworkAccessManager *nam)
{
    QNetworkRequest req(bootstrapBase.resolved(QUrl(QStringLiteral("/ca.crt"))));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    req.setSslConfiguration(tls);
    return get(req, QByteArray(), nam);
}

HttpReply requestCertificate(const QUrl &bootstrapBase, const crypto::Certificate &ca,
                             const QByteArray &csrDer, const QByteArray &authorization,
                             const QString &nodeName, const crypto::Certificate *clientCert,
                             const crypto::PrivateKey *clientKey, QNetworkAccessManager *nam)
{
    QNetworkRequest req(bootstrapBase.resolved(QUrl(QStringLiteral("/edge.crt"))));
    req.setSslConfiguration(crypto::clientSslConfiguration(ca, clientCert, clientKey));
    if (!authorization.isEmpty())
        req.setRawHeader("Authorization", authorization);
    if (!nodeName.isNull())
        req.setRawHeader("NodeName", nodeName.toUtf8());
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/octet-stream"));
    return get(req, csrDer, nam);
}

Result<crypto::Certificate> fetchPinnedCa(const QUrl &bootstrapBase, const QString &token,
                                          QNetworkAccessManager *nam)
{
    auto split = crypto::splitJoinToken(token);
    if (!split)
        return split.error();
    const HttpReply reply = fetchCa(bootstrapBase, nam);
    if (reply.status != 200)
        return fail(QStringLiteral("ca"),
                    QStringLiteral("GET /ca.crt: %1 %2").arg(reply.status).arg(reply.networkError));
    auto ca = crypto::Certificate::fromDer(reply.body);
    if (!ca)
        return ca.error();
    if (ca->sha256Hex() != split->caHash)
        return fail(QStringLiteral("pin"), QStringLiteral("the CA does not match the token's hash"));
    return ca.value();
}

Result<Identity> bootstrap(const QUrl &bootstrapBase, const crypto::Certificate &ca, const QString &token,
                           const QString &node, QNetworkAccessManager *nam)
{
    auto split = crypto::splitJoinToken(token);
    if (!split)
        return split.error();
    auto key = crypto::PrivateKey::generateP256();
    if (!key)
        return key.error();
    auto csr = crypto::createCsrDer(key.value(), QStringLiteral("system:node:") + node,
                                    {QStringLiteral("system:nodes")});
    if (!csr)
        return csr.error();
    const HttpReply reply = requestCertificate(bootstrapBase, ca, csr.value(), "Bearer " + split->jwt, node,
                                               nullptr, nullptr, nam);
    if (reply.status != 200)
        return fail(QStringLiteral("edge.crt"), QStringLiteral("GET /edge.crt: %1 %2 %3")
                                                    .arg(reply.status)
                                                    .arg(QString::fromUtf8(reply.body), reply.networkError));
    auto cert = crypto::Certificate::fromDer(reply.body);
    if (!cert)
        return cert.error();
    return Identity{ca, cert.value(), key.value()};
}

namespace {

Result<QByteArray> readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("io"), path + QStringLiteral(": ") + f.errorString());
    return f.readAll();
}

Status writeFile(const QString &path, const QByteArray &data, bool secret)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return fail(QStringLiteral("io"), path + QStringLiteral(": ") + f.errorString());
    if (secret)
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (f.write(data) != data.size())
        return fail(QStringLiteral("io"), path + QStringLiteral(": ") + f.errorString());
    return {};
}

} // namespace

Result<Identity> loadIdentity(const QString &dir, const QString &node)
{
    const QDir d(dir);
    auto caPem = readFile(d.filePath(QStringLiteral("ca.crt")));
    auto certPem = readFile(d.filePath(node + QStringLiteral(".crt")));
    auto keyPem = readFile(d.filePath(node + QStringLiteral(".key")));
    if (!caPem || !certPem || !keyPem)
        return fail(QStringLiteral("io"), QStringLiteral("no cached identity for ") + node);
    auto ca = crypto::Certificate::fromPem(caPem.value());
    auto cert = crypto::Certificate::fromPem(certPem.value());
    auto key = crypto::PrivateKey::fromPem(keyPem.value());
    if (!ca)
        return ca.error();
    if (!cert)
        return cert.error();
    if (!key)
        return key.error();
    return Identity{ca.value(), cert.value(), key.value()};
}

Status saveIdentity(const QString &dir, const QString &node, const Identity &id)
{
    const QDir d(dir);
    if (!QDir().mkpath(dir))
        return fail(QStringLiteral("io"), QStringLiteral("cannot create ") + dir);
    if (Status s = writeFile(d.filePath(QStringLiteral("ca.crt")), id.ca.toPem(), false); !s)
        return s;
    if (Status s = writeFile(d.filePath(node + QStringLiteral(".key")), id.key.toPem(), true); !s)
        return s;
    return writeFile(d.filePath(node + QStringLiteral(".crt")), id.cert.toPem(), false);
}

QNetworkRequest sessionRequest(const QString &host, quint16 port, const QString &node)
{
    QNetworkRequest req(QUrl(QStringLiteral("wss://%1:%2/%3/%4/events")
                                 .arg(host)
                                 .arg(port)
                                 .arg(QString::fromLatin1(DefaultProject), node)));
    req.setRawHeader("node_id", node.toUtf8());
    req.setRawHeader("project_id", DefaultProject);
    req.setRawHeader("ConnectionUse", "msg");
    return req;
}

QSslConfiguration sslConfiguration(const Identity &id)
{
    if (id.cert.isNull())
        return crypto::clientSslConfiguration(id.ca);
    return crypto::clientSslConfiguration(id.ca, &id.cert, &id.key);
}

Message keepalive()
{
    return Message::create(QStringLiteral("websocket"), QStringLiteral("resource"), op::Keepalive,
                           QStringLiteral("node"), "\"ping\"");
}

Message ackFor(const Message &m)
{
    return Message::responseTo(m, QStringLiteral("OK"));
}

} // namespace qedge::edgeclient
