#include "shared/http/router.h"

#include <QUrl>

namespace qedge::http {

void Router::add(const QByteArray &method, const QString &pattern, Handler handler)
{
    Route route;
    route.method = method;
    route.handler = std::move(handler);
    const QStringList parts = pattern.split(QLatin1Char('/'));
    for (qsizetype i = 1; i < parts.size(); ++i) { // parts[0] is the empty text before the leading '/'
        const QString &p = parts.at(i);
        if (p.size() > 2 && p.startsWith(QLatin1Char('{')) && p.endsWith(QLatin1Char('}')))
            route.segments.append({p.mid(1, p.size() - 2), true});
        else
            route.segments.append({p, false});
    }
    m_routes.append(std::move(route));
}

Router::Match Router::match(const QByteArray &method, const QByteArray &rawPath) const
{
    Match result;
    const QByteArrayList raw = rawPath.split('/');
    QStringList decoded;
    decoded.reserve(raw.size());
    for (qsizetype i = 1; i < raw.size(); ++i)
        decoded.append(QUrl::fromPercentEncoding(raw.at(i)));

    for (const Route &route : m_routes) {
        if (route.segments.size() != decoded.size())
            continue;
        QVariantMap params;
        bool matched = true;
        for (qsizetype i = 0; i < decoded.size() && matched; ++i) {
            const Segment &s = route.segments.at(i);
            if (s.isParam) {
                matched = !decoded.at(i).isEmpty();
                params.insert(s.text, decoded.at(i));
            } else {
                matched = s.text == decoded.at(i);
            }
        }
        if (!matched)
            continue;
        if (route.method == method && !result.handler) {
            result.handler = route.handler;
            result.params = std::move(params);
        }
        if (!result.allowed.contains(route.method))
            result.allowed.append(route.method);
    }
    return result;
}

} // namespace qedge::http
