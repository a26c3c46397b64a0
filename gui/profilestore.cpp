#include "gui/profilestore.h"

#include <QCoreApplication>
#include <QFile>
#include <QSettings>

namespace qedge {

namespace {
QString groupOf(const QString &name)
{
    // QSettings treats '/' as a separator; keep names flat.
    QString g = name;
    g.replace(QLatin1Char('/'), QLatin1Char('_'));
    return QStringLiteral("profiles/") + g;
}
} // namespace

Result<QByteArray> HubProfile::resolveToken() const
{
    if (!token.isEmpty())
        return token.trimmed();
    if (tokenFile.isEmpty())
        return Result<QByteArray>::failure(
            QStringLiteral("no_token"),
            QCoreApplication::translate("HubProfile", "Give a token or a token file."));
    QFile f(tokenFile);
    if (!f.open(QIODevice::ReadOnly))
        return Result<QByteArray>::failure(
            QStringLiteral("token_file"),
            QCoreApplication::translate("HubProfile", "Cannot read the token file %1: %2")
                .arg(tokenFile, f.errorString()));
    const QByteArray t = f.readLine(4096).trimmed();
    if (t.isEmpty())
        return Result<QByteArray>::failure(
            QStringLiteral("token_file"),
            QCoreApplication::translate("HubProfile", "The token file %1 is empty.").arg(tokenFile));
    return t;
}

QStringList ProfileStore::names() const
{
    QSettings s;
    s.beginGroup(QStringLiteral("profiles"));
    QStringList list;
    for (const QString &g : s.childGroups()) {
        s.beginGroup(g);
        list << s.value(QStringLiteral("name"), g).toString();
        s.endGroup();
    }
    list.sort(Qt::CaseInsensitive);
    return list;
}

HubProfile ProfileStore::load(const QString &name) const
{
    QSettings s;
    s.beginGroup(groupOf(name));
    HubProfile p;
    p.name = s.value(QStringLiteral("name"), name).toString();
    p.url = s.value(QStringLiteral("url")).toUrl();
    p.token = s.value(QStringLiteral("token")).toByteArray();
    p.tokenFile = s.value(QStringLiteral("tokenFile")).toString();
    p.pin = s.value(QStringLiteral("pin")).toString();
    return p;
}

void ProfileStore::save(const HubProfile &p)
{
    QSettings s;
    s.beginGroup(groupOf(p.name));
    s.setValue(QStringLiteral("name"), p.name);
    s.setValue(QStringLiteral("url"), p.url);
    if (p.token.isEmpty())
        s.remove(QStringLiteral("token"));
    else
        s.setValue(QStringLiteral("token"), p.token);
    s.setValue(QStringLiteral("tokenFile"), p.tokenFile);
    s.setValue(QStringLiteral("pin"), p.pin);
}

void ProfileStore::remove(const QString &name)
{
    QSettings s;
    s.remove(groupOf(name));
}

void ProfileStore::savePin(const QString &name, const QString &pin)
{
    QSettings s;
    s.setValue(groupOf(name) + QStringLiteral("/pin"), pin);
}

QString ProfileStore::lastUsed() const
{
    return QSettings().value(QStringLiteral("lastProfile")).toString();
}

void ProfileStore::setLastUsed(const QString &name)
{
    QSettings().setValue(QStringLiteral("lastProfile"), name);
}

} // namespace qedge
