#include "cloudhub/bootstrapserver.h"

#include "cloudhub/hublogging.h"
#include "cloudhub/hubpki.h"
#include "shared/crypto/csr.h"

namespace qedge::cloud {

namespace {

const QString NodeCnPrefix = QStringLiteral("system:node:");
const QString NodesOrg = QStringLiteral("system:nodes");
const QString LegacyCn = QStringLiteral("kubeedge.io");

bool nodeNameValid(const QString &node)
{
    if (node.isEmpty() || node.size() > 253)
        return false;
    for (QChar c : node) {
        if (!(c.isLetterOrNumber() || c == u'-' || c == u'.' || c == u'_'))
            return false;
    }
    return true;
}

} // namespace

BootstrapServer::BootstrapServer(HubPki *pki, int failedAttemptsPerMinute, bool acceptLegacyCerts,
                                 QObject *parent)
    : QObject(parent), m_pki(pki), m_acceptLegacy(acceptLegacyCerts), m_limiter(failedAttemptsPerMinute)
{
    m_server.routeSync("GET", QStringLiteral("/ca.crt"),
                       [this](const http::Request &r) { return handleCa(r); });
    m_server.routeSync("GET", QStringLiteral("/edge.crt"),
                       [this](const http::Request &r) { return handleEdgeCert(r); });
}

bool BootstrapServer::listen(const QHostAddress &address, quint16 port)
{
    return m_server.listen(address, port, m_pki->httpsTlsConfiguration(true));
}

quint16 BootstrapServer::port() const
{
    return m_server.port();
}

QString BootstrapServer::errorString() const
{
    return m_server.errorString();
}

http::Response BootstrapServer::handleCa(const http::Request &)
{
    return http::Response::bytes(200, "application/octet-stream", m_pki->ca().certificate().toDer());
}

http::Response BootstrapServer::fail(const http::Request &req, int status, const QString &reason)
{
    m_limiter.recordFailure(req.peer);
    qCWarning(lcHubCerts).noquote() << "refused /edge.crt from" << req.peer.toString() << "node"
                                    << QString::fromUtf8(req.header("nodename")) << ':' << reason;
    return http::Response::text(status, reason);
}

http::Response BootstrapServer::handleEdgeCert(const http::Request &req)
{
    if (m_limiter.blocked(req.peer)) {
        http::Response r =
            http::Response::text(429, QStringLiteral("too many failed attempts; try again later"));
        r.headers.append(
            qMakePair(QByteArray("Retry-After"), QByteArray::number(m_limiter.retryAfterSeconds(req.peer))));
        return r;
    }
    const QString node = QString::fromUtf8(req.header("nodename"));
    if (!nodeNameValid(node))
        return fail(req, 400, QStringLiteral("missing or invalid NodeName header"));

    if (!req.peerCertificateChain.isEmpty()) {
        // Rotation: the current certificate authenticates the request; no token needed.
        auto current = crypto::Certificate::fromDer(req.peerCertificateChain.first().toDer());
        if (!current)
            return fail(req, 401, QStringLiteral("client certificate unreadable"));
        if (Status s = current->verifySignedBy(m_pki->ca().certificate()); !s)
            return fail(req, 401,
                        QStringLiteral("client certificate not issued by this hub: ") + s.errorMessage());
        const crypto::CertInfo info = current->info();
        const bool named = info.commonName == NodeCnPrefix + node;
        const bool legacy = m_acceptLegacy && info.commonName == LegacyCn;
        if (!named && !legacy)
            return fail(req, 401, QStringLiteral("client certificate does not name node ") + node);
    } else {
        const QByteArray auth = req.header("authorization");
        const QList<QByteArray> parts = auth.split(' ');
        if (auth.isEmpty())
            return fail(req, 401, QStringLiteral("missing Authorization: Bearer <token>"));
        if (parts.size() != 2 || parts.at(1).isEmpty())
            return fail(req, 401, QStringLiteral("malformed Authorization header"));
        if (Status s = m_pki->verifyToken(parts.at(1), node); !s)
            return fail(req, 401, s.errorMessage());
    }

    auto csr = crypto::parseAndVerifyCsrDer(req.body);
    if (!csr)
        return fail(req, 400, QStringLiteral("bad CSR: ") + csr.errorMessage());
    const bool named = csr->commonName == NodeCnPrefix + node;
    const bool legacy = m_acceptLegacy && csr->commonName == LegacyCn;
    if (!named && !legacy)
        return fail(req, 400, QStringLiteral("CSR CN must be system:node:") + node);

    auto cert = m_pki->ca().signCsr(req.body, m_pki->edgeCertValiditySeconds());
    if (!cert) {
        qCWarning(lcHubCerts) << "signing failed:" << cert.errorMessage();
        return http::Response::text(500, QStringLiteral("signing failed"));
    }
    ++m_issued;
    const crypto::CertInfo info = cert->info();
    qCInfo(lcHubCerts).noquote() << "issued a certificate for node" << node << "serial" << info.serialHex
                                 << "until" << info.notAfter.toString(Qt::ISODate);
    emit certificateIssued(node, info.serialHex, info.notAfter);
    return http::Response::bytes(200, "application/octet-stream", cert->toDer());
}

} // namespace qedge::cloud
