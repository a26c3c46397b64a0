#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QSslCertificate>
#include <QString>
#include <QUrlQuery>
#include <QVariantMap>

namespace qedge::http {

/// One parsed HTTP request as handlers see it.
struct Request
{
    QByteArray method; ///< as sent, case-sensitive ("GET")
    QString path;      ///< percent-decoded path, without the query
    QUrlQuery query;
    QHash<QByteArray, QByteArray> headers; ///< names lower-case; repeated headers joined with ", "
    QByteArray body;
    QHostAddress peer;
    QList<QSslCertificate> peerCertificateChain; ///< empty on plain TCP or when the client sent none
    QVariantMap pathParams; ///< from the route's {name} segments, each decoded on its own

    /// Value of a header (name in any case), empty if absent.
    QByteArray header(const QByteArray &name) const;
};

} // namespace qedge::http
