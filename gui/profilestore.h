#pragma once

#include "shared/result.h"

#include <QStringList>
#include <QUrl>

namespace qedge {

/// One hub the console knows: where, how to authenticate, which certificate it trusts.
struct HubProfile
{
    QString name;
    QUrl url;
    /// The token itself, or empty when tokenFile is used.
    QByteArray token;
    QString tokenFile;
    /// Pinned SHA-256 fingerprint of the hub's certificate; empty before first use.
    QString pin;

    /// The token to send: token, or the first line of tokenFile.
    Result<QByteArray> resolveToken() const;
};

/// Profiles and the last used one, in QSettings under "profiles/<name>".
class ProfileStore
{
public:
    QStringList names() const;
    HubProfile load(const QString &name) const;
    void save(const HubProfile &profile);
    void remove(const QString &name);
    /// Stores only the pin of an existing profile (after the user accepted a certificate).
    void savePin(const QString &name, const QString &pin);
    QString lastUsed() const;
    void setLastUsed(const QString &name);
};

} // namespace qedge
