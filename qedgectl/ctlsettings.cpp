#include "qedgectl/ctlsettings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

namespace qedge::ctl {

namespace {

QString env(const char *name)
{
    return qEnvironmentVariable(name);
}

QString firstOf(std::initializer_list<QString> values)
{
    for (const QString &v : values)
        if (!v.isEmpty())
            return v;
    return {};
}

} // namespace

Settings Settings::resolve(const Flags &flags)
{
    Settings s;
    s.configFile = env("QEDGECTL_CONFIG");
    if (s.configFile.isEmpty())
        s.configFile = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
                       + QStringLiteral("/qedge/qedgectl.conf");
    QString fileHub, fileToken, fileTokenFile, fileCa;
    if (QFileInfo::exists(s.configFile)) {
        QSettings ini(s.configFile, QSettings::IniFormat);
        if (ini.status() != QSettings::NoError) {
            s.error = QStringLiteral("cannot read the config file %1").arg(s.configFile);
            return s;
        }
        fileHub = ini.value(QStringLiteral("hub")).toString();
        fileToken = ini.value(QStringLiteral("token")).toString();
        fileTokenFile = ini.value(QStringLiteral("token_file")).toString();
        fileCa = ini.value(QStringLiteral("cacert")).toString();
    }
    s.hub = firstOf({flags.hub, env("QEDGECTL_HUB"), fileHub, QStringLiteral("https://127.0.0.1:10010")});
    while (s.hub.endsWith(u'/'))
        s.hub.chop(1);
    s.cacert = firstOf({flags.cacert, env("QEDGECTL_CACERT"), fileCa});

    // A token given at a level wins over a token file of a lower level.
    QString tokenFile;
    if (!flags.token.isEmpty())
        s.token = flags.token;
    else if (!flags.tokenFile.isEmpty())
        tokenFile = flags.tokenFile;
    else if (!env("QEDGECTL_TOKEN").isEmpty())
        s.token = env("QEDGECTL_TOKEN");
    else if (!env("QEDGECTL_TOKEN_FILE").isEmpty())
        tokenFile = env("QEDGECTL_TOKEN_FILE");
    else if (!fileToken.isEmpty())
        s.token = fileToken;
    else
        tokenFile = fileTokenFile;
    if (!tokenFile.isEmpty()) {
        QFile f(tokenFile);
        if (!f.open(QIODevice::ReadOnly)) {
            s.error = QStringLiteral("cannot read the token file %1: %2").arg(tokenFile, f.errorString());
            return s;
        }
        s.token = QString::fromUtf8(f.readAll()).trimmed();
    }
    if (!s.cacert.isEmpty() && !QFileInfo::exists(s.cacert))
        s.error = QStringLiteral("the CA file %1 does not exist").arg(s.cacert);
    return s;
}

} // namespace qedge::ctl
