#include "shared/crypto/sslconfig.h"

#include <QSslCipher>

namespace qedge::crypto {

QList<QSslCipher> kubeEdgeCiphers()
{
    static const char *const names[] = {
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_AES_128_GCM_SHA256",        "TLS_AES_256_GCM_SHA384",        "TLS_CHACHA20_POLY1305_SHA256",
    };
    QList<QSslCipher> ciphers;
    for (const char *name : names) {
        const QSslCipher cipher(QString::fromLatin1(name));
        if (!cipher.isNull())
            ciphers << cipher;
    }
    return ciphers;
}

static QSslConfiguration baseConfiguration(const Certificate &ca)
{
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setProtocol(QSsl::TlsV1_2OrLater);
    conf.setCiphers(kubeEdgeCiphers());
    // Replacing the list also stops Qt from loading system roots on demand.
    conf.setCaCertificates({ca.toQSslCertificate()});
    conf.setAllowedNextProtocols({});
    return conf;
}

QSslConfiguration serverSslConfiguration(const Certificate &cert, const PrivateKey &key,
                                         const Certificate &ca, QSslSocket::PeerVerifyMode mode)
{
    QSslConfiguration conf = baseConfiguration(ca);
    conf.setLocalCertificate(cert.toQSslCertificate());
    conf.setPrivateKey(key.toQSslKey());
    conf.setPeerVerifyMode(mode);
    return conf;
}

QSslConfiguration clientSslConfiguration(const Certificate &ca, const Certificate *clientCert,
                                         const PrivateKey *clientKey)
{
    QSslConfiguration conf = baseConfiguration(ca);
    conf.setPeerVerifyMode(QSslSocket::VerifyPeer);
    if (clientCert && clientKey) {
        conf.setLocalCertificate(clientCert->toQSslCertificate());
        conf.setPrivateKey(clientKey->toQSslKey());
    }
    return conf;
}

} // namespace qedge::crypto
