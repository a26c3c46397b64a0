// qedgectl devices ... and twin set ...: the admin API's "Devices and twins" routes.
#include "qedgectl/commands.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace qedge::ctl {

namespace {
QString side(const QJsonObject &twin, const char *which)
{
    const QJsonObject s = twin.value(QLatin1String(which)).toObject();
    if (s.isEmpty())
        return QStringLiteral("-");
    return QStringLiteral("%1 (v%2)")
        .arg(s.value(QStringLiteral("value")).toString())
        .arg(s.value(QStringLiteral("version")).toInteger());
}

void addRows(const QJsonObject &d, QList<QStringList> &rows)
{
    const QString state = d.value(QStringLiteral("state")).toString(QStringLiteral("-"));
    const QJsonObject twins = d.value(QStringLiteral("twins")).toObject();
    if (twins.isEmpty())
        rows.append({d.value(QStringLiteral("id")).toString(), state, QStringLiteral("-"),
                     QStringLiteral("-"), QStringLiteral("-"), QStringLiteral("-")});
    for (auto it = twins.begin(); it != twins.end(); ++it) {
        const QJsonObject t = it.value().toObject();
        rows.append({d.value(QStringLiteral("id")).toString(), state, it.key(),
                     t.value(QStringLiteral("type")).toString(), side(t, "desired"), side(t, "reported")});
    }
}

const QStringList Header{QStringLiteral("device"), QStringLiteral("state"),   QStringLiteral("twin"),
                         QStringLiteral("type"),   QStringLiteral("desired"), QStringLiteral("reported")};
} // namespace

QString Commands::devicePath(const QString &node, const QString &device)
{
    const int slash = device.indexOf(u'/');
    const QString ns = slash < 0 ? QStringLiteral("default") : device.left(slash);
    const QString name = slash < 0 ? device : device.mid(slash + 1);
    return QStringLiteral("/api/v1/nodes/%1/devices/%2/%3").arg(enc(node), enc(ns), enc(name));
}

int Commands::devices()
{
    const QStringList &a = m_inv.args;
    const QString sub = a.value(1);
    Reply r;
    if (sub == QLatin1String("list") && a.size() == 3)
        r = m_client.call("GET", QStringLiteral("/api/v1/nodes/%1/devices").arg(enc(a.at(2))));
    else if (sub == QLatin1String("get") && a.size() == 4)
        r = m_client.call("GET", devicePath(a.at(2), a.at(3)));
    else
        return usage(QStringLiteral("usage: devices list NODE | devices get NODE [NAMESPACE/]NAME"));
    const bool list = sub == QLatin1String("list");
    return print(r, [list](const QJsonObject &json) {
        QList<QStringList> rows;
        if (list)
            for (const QJsonValue &v : json.value(QStringLiteral("devices")).toArray())
                addRows(v.toObject(), rows);
        else
            addRows(json, rows);
        printTable(Header, rows);
    });
}

int Commands::twinSet()
{
    const QStringList &a = m_inv.args;
    if (a.size() < 5 || a.at(1) != QLatin1String("set"))
        return usage(QStringLiteral("usage: twin set NODE [NAMESPACE/]NAME KEY=VALUE [KEY=VALUE...]"));
    QJsonObject desired;
    for (const QString &kv : a.mid(4)) {
        const int eq = kv.indexOf(u'=');
        if (eq <= 0)
            return usage(QStringLiteral("\"%1\" is not KEY=VALUE").arg(kv));
        desired.insert(kv.left(eq), kv.mid(eq + 1));
    }
    const Reply r = m_client.call(
        "PUT", devicePath(a.at(2), a.at(3)),
        QJsonDocument(QJsonObject{{QStringLiteral("desired"), desired}}).toJson(QJsonDocument::Compact));
    return print(r, [](const QJsonObject &json) {
        QList<QStringList> rows;
        addRows(json, rows);
        printTable(Header, rows);
    });
}

} // namespace qedge::ctl
