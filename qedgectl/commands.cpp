#include "qedgectl/commands.h"

#include "qedgectl/table.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTextStream>
#include <QUrl>

#include <cstdio>
#include <utility>

namespace qedge::ctl {

namespace {

QString text(const QJsonValue &v)
{
    if (v.isNull() || v.isUndefined())
        return QStringLiteral("-");
    if (v.isBool())
        return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    if (v.isDouble())
        return QString::number(qint64(v.toDouble()));
    if (v.isString())
        return v.toString().isEmpty() ? QStringLiteral("-") : v.toString();
    return QString::fromUtf8(
        QJsonDocument(v.isObject() ? QJsonDocument(v.toObject()) : QJsonDocument(v.toArray()))
            .toJson(QJsonDocument::Compact));
}

QString labels(const QJsonObject &o)
{
    QStringList parts;
    for (auto it = o.constBegin(); it != o.constEnd(); ++it)
        parts.append(it.key() + u'=' + it.value().toString());
    return parts.isEmpty() ? QStringLiteral("-") : parts.join(u',');
}

QString age(const QJsonValue &ms)
{
    const qint64 s = qint64(ms.toDouble()) / 1000;
    if (s < 120)
        return QString::number(s) + u's';
    if (s < 7200)
        return QString::number(s / 60) + u'm';
    return QString::number(s / 3600) + u'h';
}

QJsonObject metadata(const QJsonObject &o)
{
    return o.value(QStringLiteral("metadata")).toObject();
}

} // namespace

QTextStream &Commands::out()
{
    static QTextStream s(stdout);
    return s;
}

QString Commands::enc(const QString &part)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(part));
}

int Commands::fail(const Reply &r)
{
    std::fprintf(stderr, "qedgectl: %s\n", qPrintable(r.error));
    return r.exitCode;
}

int Commands::usage(const QString &message)
{
    std::fprintf(stderr, "qedgectl: %s (see qedgectl --help)\n", qPrintable(message));
    return ExitUsage;
}

void Commands::printJson(const QJsonValue &v)
{
    const QJsonDocument doc = v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject());
    out() << doc.toJson(QJsonDocument::Indented);
    out().flush();
}

int Commands::print(const Reply &r, const std::function<void(const QJsonObject &)> &asText)
{
    if (!r.ok)
        return fail(r);
    if (m_inv.json) {
        printJson(r.json);
        return ExitOk;
    }
    asText(r.json);
    out().flush();
    return ExitOk;
}

void Commands::printTable(const QStringList &header, const QList<QStringList> &rows)
{
    out() << renderTable(header, rows);
}

int Commands::run()
{
    if (m_inv.args.isEmpty())
        return usage(QStringLiteral("no command given"));
    const QString cmd = m_inv.args.first();
    static const std::pair<const char *, int (Commands::*)()> handlers[] = {
        {"nodes", &Commands::nodes},   {"get", &Commands::get},         {"apply", &Commands::apply},
        {"delete", &Commands::remove}, {"queue", &Commands::queue},     {"token", &Commands::tokenCreate},
        {"events", &Commands::events}, {"devices", &Commands::devices}, {"twin", &Commands::twinSet}};
    for (const auto &[name, handler] : handlers)
        if (cmd == QLatin1String(name))
            return (this->*handler)();
    return usage(QStringLiteral("unknown command \"%1\"").arg(cmd));
}

int Commands::nodes()
{
    if (m_inv.args.size() != 1)
        return usage(QStringLiteral("nodes takes no operands"));
    return print(m_client.call("GET", QStringLiteral("/api/v1/nodes")), [](const QJsonObject &json) {
        QList<QStringList> rows;
        for (const QJsonValue &v : json.value(QStringLiteral("nodes")).toArray()) {
            const QJsonObject n = v.toObject();
            rows.append({text(n.value(QStringLiteral("id"))),
                         n.value(QStringLiteral("online")).toBool() ? QStringLiteral("online")
                                                                    : QStringLiteral("offline"),
                         text(n.value(QStringLiteral("queueDepth"))),
                         text(n.value(QStringLiteral("inFlight"))), text(n.value(QStringLiteral("sent"))),
                         text(n.value(QStringLiteral("acked"))), text(n.value(QStringLiteral("lastSeen"))),
                         labels(n.value(QStringLiteral("labels")).toObject())});
        }
        printTable({QStringLiteral("node"), QStringLiteral("status"), QStringLiteral("queue"),
                    QStringLiteral("in-flight"), QStringLiteral("sent"), QStringLiteral("acked"),
                    QStringLiteral("last-seen"), QStringLiteral("labels")},
                   rows);
    });
}

int Commands::get()
{
    const QStringList &a = m_inv.args;
    if (a.size() < 2 || a.size() > 4)
        return usage(QStringLiteral("usage: get NODE [TYPE [NAMESPACE/NAME]]"));
    const QString node = QStringLiteral("/api/v1/nodes/") + enc(a.at(1));
    if (a.size() == 2) {
        return print(m_client.call("GET", node), [](const QJsonObject &json) {
            QList<QStringList> rows;
            for (const char *key : {"id", "online", "since", "firstSeen", "lastSeen", "remoteAddress",
                                    "queueDepth", "inFlight", "sent", "acked", "certSerial", "certExpiry"})
                rows.append({QLatin1String(key), text(json.value(QLatin1String(key)))});
            rows.append({QStringLiteral("labels"), labels(json.value(QStringLiteral("labels")).toObject())});
            printTable({QStringLiteral("field"), QStringLiteral("value")}, rows);
        });
    }
    const QString type = a.at(2).toLower();
    if (a.size() == 3) {
        return print(m_client.call("GET", node + QStringLiteral("/resources?type=") + enc(type)),
                     [](const QJsonObject &json) {
                         QList<QStringList> rows;
                         for (const QJsonValue &v : json.value(QStringLiteral("resources")).toArray()) {
                             const QJsonObject meta = metadata(v.toObject());
                             rows.append({text(meta.value(QStringLiteral("namespace"))),
                                          text(meta.value(QStringLiteral("name"))),
                                          text(v.toObject().value(QStringLiteral("kind"))),
                                          text(meta.value(QStringLiteral("resourceVersion"))),
                                          text(meta.value(QStringLiteral("uid")))});
                         }
                         printTable({QStringLiteral("namespace"), QStringLiteral("name"),
                                     QStringLiteral("kind"), QStringLiteral("resource-version"),
                                     QStringLiteral("uid")},
                                    rows);
                     });
    }
    const QStringList nsName = a.at(3).split(u'/');
    if (nsName.size() != 2 || nsName.at(0).isEmpty() || nsName.at(1).isEmpty())
        return usage(QStringLiteral("\"%1\" is not NAMESPACE/NAME").arg(a.at(3)));
    const Reply r = m_client.call(
        "GET",
        node + QStringLiteral("/resources/%1/%2/%3").arg(enc(nsName.at(0)), enc(type), enc(nsName.at(1))));
    if (!r.ok)
        return fail(r);
    printJson(r.json); // an object reads best as itself in both formats
    return ExitOk;
}

int Commands::apply()
{
    if (m_inv.args.size() != 1)
        return usage(QStringLiteral("usage: apply -f FILE|- --node N[,N]"));
    if (m_inv.file.isEmpty())
        return usage(QStringLiteral("apply needs -f FILE (or - for stdin)"));
    if (m_inv.nodes.isEmpty())
        return usage(QStringLiteral("apply needs --node N[,N]"));
    QByteArray data;
    if (m_inv.file == QLatin1String("-")) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return usage(QStringLiteral("cannot read stdin"));
        data = in.readAll();
    } else {
        QFile in(m_inv.file);
        if (!in.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "qedgectl: cannot read %s: %s\n", qPrintable(m_inv.file),
                         qPrintable(in.errorString()));
            return ExitUsage;
        }
        data = in.readAll();
    }
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(data, &err);
    if (err.error != QJsonParseError::NoError) {
        std::fprintf(stderr,
                     "qedgectl: %s is not valid JSON at offset %d: %s (only JSON is read, not YAML)\n",
                     qPrintable(m_inv.file == QLatin1String("-") ? QStringLiteral("stdin") : m_inv.file),
                     err.offset, qPrintable(err.errorString()));
        return ExitUsage;
    }
    // One object, an array of objects, or a Kubernetes List ({"items": [...]}).
    QJsonArray items;
    if (doc.isArray())
        items = doc.array();
    else if (doc.object().contains(QStringLiteral("items")))
        items = doc.object().value(QStringLiteral("items")).toArray();
    else
        items.append(doc.object());
    QJsonArray results;
    for (const QJsonValue &v : std::as_const(items)) {
        const QJsonObject o = v.toObject();
        const QString kind = o.value(QStringLiteral("kind")).toString();
        const QJsonObject meta = metadata(o);
        const QString name = meta.value(QStringLiteral("name")).toString();
        const QString ns = meta.value(QStringLiteral("namespace")).toString(QStringLiteral("default"));
        if (kind.isEmpty() || name.isEmpty())
            return usage(QStringLiteral("every object needs kind and metadata.name"));
        const QString type = kind.toLower();
        const QString path = m_inv.nodes.size() == 1
                                 ? QStringLiteral("/api/v1/nodes/%1/resources/%2/%3/%4")
                                       .arg(enc(m_inv.nodes.first()), enc(ns), enc(type), enc(name))
                                 : QStringLiteral("/api/v1/resources/%1/%2/%3?nodes=%4")
                                       .arg(enc(ns), enc(type), enc(name), enc(m_inv.nodes.join(u',')));
        const Reply r = m_client.call("PUT", path, QJsonDocument(o).toJson(QJsonDocument::Compact));
        if (!r.ok)
            return fail(r);
        const QJsonObject stored = r.json.contains(QStringLiteral("object"))
                                       ? r.json.value(QStringLiteral("object")).toObject()
                                       : r.json;
        results.append(r.json);
        if (!m_inv.json) {
            out() << QStringLiteral("%1 %2/%3 %4 (resourceVersion %5) on %6\n")
                         .arg(type, ns, name,
                              r.status == 201 ? QStringLiteral("created") : QStringLiteral("updated"),
                              metadata(stored).value(QStringLiteral("resourceVersion")).toString(),
                              m_inv.nodes.join(u','));
        }
    }
    if (m_inv.json)
        printJson(results.size() == 1 ? results.first() : QJsonValue(results));
    out().flush();
    return ExitOk;
}

int Commands::remove()
{
    const QStringList &a = m_inv.args;
    if (a.size() != 3)
        return usage(QStringLiteral("usage: delete NODE NAMESPACE/TYPE/NAME"));
    const QStringList p = a.at(2).split(u'/');
    if (p.size() != 3 || p.contains(QString()))
        return usage(QStringLiteral("\"%1\" is not NAMESPACE/TYPE/NAME").arg(a.at(2)));
    const Reply r =
        m_client.call("DELETE", QStringLiteral("/api/v1/nodes/%1/resources/%2/%3/%4")
                                    .arg(enc(a.at(1)), enc(p.at(0)), enc(p.at(1).toLower()), enc(p.at(2))));
    return print(r, [&a](const QJsonObject &json) {
        out() << QStringLiteral("deleted %1 from %2 (resourceVersion %3)\n")
                     .arg(a.at(2), a.at(1), json.value(QStringLiteral("resourceVersion")).toString());
    });
}

int Commands::queue()
{
    if (m_inv.args.size() != 2)
        return usage(QStringLiteral("usage: queue NODE"));
    const Reply r = m_client.call("GET", QStringLiteral("/api/v1/nodes/%1/queue").arg(enc(m_inv.args.at(1))));
    return print(r, [](const QJsonObject &json) {
        QList<QStringList> rows;
        for (const QJsonValue &v : json.value(QStringLiteral("entries")).toArray()) {
            const QJsonObject e = v.toObject();
            rows.append({text(e.value(QStringLiteral("resource"))),
                         text(e.value(QStringLiteral("operation"))),
                         text(e.value(QStringLiteral("resourceVersion"))),
                         text(e.value(QStringLiteral("state"))), text(e.value(QStringLiteral("attempts"))),
                         age(e.value(QStringLiteral("ageMs"))), text(e.value(QStringLiteral("uid")))});
        }
        out() << QStringLiteral("depth %1, in flight %2\n")
                     .arg(json.value(QStringLiteral("depth")).toInt())
                     .arg(json.value(QStringLiteral("inFlight")).toInt());
        printTable({QStringLiteral("resource"), QStringLiteral("operation"),
                    QStringLiteral("resource-version"), QStringLiteral("state"), QStringLiteral("attempts"),
                    QStringLiteral("age"), QStringLiteral("uid")},
                   rows);
    });
}

int Commands::tokenCreate()
{
    if (m_inv.args.size() != 2 || m_inv.args.at(1) != QLatin1String("create"))
        return usage(QStringLiteral("usage: token create [--ttl SECONDS] [--node NODE]"));
    if (m_inv.nodes.size() > 1)
        return usage(QStringLiteral("a token is for at most one node"));
    QJsonObject body;
    if (m_inv.ttl >= 0)
        body.insert(QStringLiteral("ttl"), double(m_inv.ttl));
    if (!m_inv.nodes.isEmpty())
        body.insert(QStringLiteral("node"), m_inv.nodes.first());
    const Reply r = m_client.call("POST", QStringLiteral("/api/v1/tokens"),
                                  QJsonDocument(body).toJson(QJsonDocument::Compact));
    return print(
        r, [](const QJsonObject &json) { out() << json.value(QStringLiteral("token")).toString() << u'\n'; });
}

int Commands::events()
{
    if (m_inv.args.size() != 1)
        return usage(QStringLiteral("usage: events --follow [--node NODE] | events --node NODE"));
    if (m_inv.nodes.size() > 1)
        return usage(QStringLiteral("events filters on one node"));
    const QString node = m_inv.nodes.isEmpty() ? QString() : m_inv.nodes.first();
    if (!m_inv.follow) {
        if (node.isEmpty())
            return usage(
                QStringLiteral("events needs --follow, or --node NODE for the stored events of a node"));
        const Reply r = m_client.call("GET", QStringLiteral("/api/v1/nodes/%1/events").arg(enc(node)));
        return print(r, [](const QJsonObject &json) {
            QList<QStringList> rows;
            for (const QJsonValue &v : json.value(QStringLiteral("events")).toArray()) {
                const QJsonObject e = v.toObject();
                rows.append({text(e.value(QStringLiteral("time"))),
                             text(e.value(QStringLiteral("operation"))),
                             text(e.value(QStringLiteral("resource"))),
                             text(e.value(QStringLiteral("content"))).left(80)});
            }
            printTable({QStringLiteral("time"), QStringLiteral("operation"), QStringLiteral("resource"),
                        QStringLiteral("content")},
                       rows);
        });
    }
    const QString query = node.isEmpty() ? QString() : QStringLiteral("node=") + enc(node);
    const bool json = m_inv.json;
    return m_client.follow(query, [json](const QJsonObject &e) {
        if (json) {
            out() << QJsonDocument(e).toJson(QJsonDocument::Compact) << u'\n';
        } else {
            QStringList rest;
            for (auto it = e.constBegin(); it != e.constEnd(); ++it) {
                if (it.key() == QLatin1String("time") || it.key() == QLatin1String("type") ||
                    it.key() == QLatin1String("node"))
                    continue;
                rest.append(it.key() + u'=' + text(it.value()));
            }
            out() << QStringLiteral("%1  %2  %3  %4\n")
                         .arg(e.value(QStringLiteral("time")).toString(),
                              e.value(QStringLiteral("type")).toString().leftJustified(18),
                              text(e.value(QStringLiteral("node"))).leftJustified(12), rest.join(u' '));
        }
        out().flush();
    });
}

} // namespace qedge::ctl
