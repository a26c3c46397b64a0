#pragma once

#include "shared/crypto/certificate.h"
#include "shared/crypto/pkey.h"

#include <QSslConfiguration>
#include <QSslSocket>

namespace qedge::crypto {

/// TLS >= 1.2 with KubeEdge's suites (ECDHE-ECDSA AES-GCM / ChaCha20 for 1.2, the 1.3 defaults),
/// no ALPN (HTTP/1.1 only), \a ca as the only trust root for client certificates.
/// VerifyPeer for mTLS (edge port), QueryPeer where the client certificate is optional (bootstrap).
QSslConfiguration serverSslConfiguration(const Certificate &cert, const PrivateKey &key,
                                         const Certificate &ca, QSslSocket::PeerVerifyMode mode);

/// Same protocol and suites; \a ca as the only trust root; an optional client certificate.
QSslConfiguration clientSslConfiguration(const Certificate &ca, const Certificate *clientCert = nullptr,
                                         const PrivateKey *clientKey = nullptr);

/// The cipher suites above, as far as the TLS backend knows them.
QList<QSslCipher> kubeEdgeCiphers();

} // namespace qedge::crypto
