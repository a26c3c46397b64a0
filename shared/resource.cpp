#include "shared/resource.h"

#include <QStringList>

namespace qedge::resource {

QString prefixed(const QString &nodeId, const QString &edgeResource)
{
    return QStringLiteral("node/") + nodeId + u'/' + edgeResource;
}

QString trimmed(const QString &hubResource)
{
    const QStringList tokens = hubResource.split(u'/');
    if (tokens.size() >= 3 && tokens.first() == QLatin1String("node"))
        return tokens.mid(2).join(u'/');
    return hubResource;
}

QString nodeOf(const QString &hubResource)
{
    const QStringList tokens = hubResource.split(u'/');
    for (int i = 0; i + 1 < tokens.size(); ++i) {
        if (tokens.at(i) == QLatin1String("node") && !tokens.at(i + 1).isEmpty())
            return tokens.at(i + 1);
    }
    return {};
}

std::optional<Parts> parseEdge(const QString &edgeResource)
{
    const QStringList tokens = edgeResource.split(u'/');
    if (tokens.size() < 2 || tokens.at(0).isEmpty() || tokens.at(1).isEmpty())
        return std::nullopt;
    Parts p;
    p.namespaceName = tokens.at(0);
    p.type = tokens.at(1);
    if (tokens.size() >= 3) {
        p.name = tokens.mid(2).join(u'/');
        if (p.name.isEmpty())
            return std::nullopt;
    }
    return p;
}

QString build(const QString &namespaceName, const QString &type, const QString &name)
{
    return namespaceName + u'/' + type + u'/' + name;
}

bool isDecimalVersion(const QString &rv)
{
    if (rv.isEmpty() || rv.size() > 20)
        return false;
    for (QChar c : rv) {
        if (c < u'0' || c > u'9')
            return false;
    }
    bool ok = false;
    rv.toULongLong(&ok, 10);
    return ok;
}

int compareVersions(const QString &a, const QString &b)
{
    const bool va = isDecimalVersion(a);
    const bool vb = isDecimalVersion(b);
    if (!va || !vb)
        return va == vb ? 0 : (va ? 1 : -1);
    const quint64 x = a.toULongLong();
    const quint64 y = b.toULongLong();
    return x < y ? -1 : (x > y ? 1 : 0);
}

} // namespace qedge::resource
