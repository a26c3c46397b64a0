#pragma once

#include <QString>

namespace qedge::ctl {

/// Where qedgectl talks to, resolved from flags, then QEDGECTL_* variables, then the config file
/// (QEDGECTL_CONFIG or ~/.config/qedge/qedgectl.conf: keys hub, token, token_file, cacert).
struct Settings
{
    QString hub;       ///< https://host:port
    QString token;
    QString cacert;    ///< PEM file of the hub CA; empty: the system's roots
    QString configFile;
    QString error;     ///< why the settings are unusable (reading the token file failed...)

    struct Flags
    {
        QString hub, token, tokenFile, cacert;
    };
    static Settings resolve(const Flags &flags);
};

} // namespace qedge::ctl
