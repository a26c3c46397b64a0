#pragma once

#include "cloudhub/failurelimiter.h"
#include "shared/http/server.h"

#include <QObject>

namespace qedge::cloud {

class HubPki;

/// The certificate bootstrap server (HTTPS, default port 10002; PROTOCOL.md §6, reference §5.1/§5.2):
/// GET /ca.crt → CA DER; GET /edge.crt with a DER CSR body → signed certificate DER.
class BootstrapServer : public QObject
{
    Q_OBJECT
public:
    BootstrapServer(HubPki *pki, int failedAttemptsPerMinute, bool acceptLegacyCerts,
                    QObject *parent = nullptr);

    bool listen(const QHostAddress &address, quint16 port);
    quint16 port() const;
    QString errorString() const;

    quint64 issuedCount() const { return m_issued; }

signals:
    void certificateIssued(const QString &node, const QByteArray &serialHex, const QDateTime &notAfter);

private:
    http::Response handleCa(const http::Request &req);
    http::Response handleEdgeCert(const http::Request &req);
    http::Response fail(const http::Request &req, int status, const QString &reason);

    HubPki *m_pki;
    bool m_acceptLegacy;
    FailureLimiter m_limiter;
    http::Server m_server;
    quint64 m_issued = 0;
};

} // namespace qedge::cloud
