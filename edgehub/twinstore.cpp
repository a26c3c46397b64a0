#include "edgehub/twinstore.h"

#include "edgehub/edgedb.h"

#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace qedge {

namespace {
QString compact(const QJsonValue &v)
{
    if (v.isUndefined() || v.isNull())
        return {};
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
}

QJsonObject parseObject(const QVariant &v)
{
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

Status queryError(const QSqlQuery &q)
{
    return Status::failure(QStringLiteral("db.exec"),
                           QStringLiteral("%1: %2").arg(q.lastQuery(), q.lastError().text()));
}

QVariant nullable(const QString &s)
{
    return s.isNull() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(s);
}
} // namespace

TwinStore::TwinStore(QSqlDatabase db) : m_db(std::move(db)) {}

Status TwinStore::open()
{
    for (const char *sql : {
             "CREATE TABLE IF NOT EXISTS device (id VARCHAR(64) PRIMARY KEY, name VARCHAR(64), "
             "description VARCHAR(256), state VARCHAR(64), last_online VARCHAR(64))",
             "CREATE TABLE IF NOT EXISTS device_attr (id INTEGER PRIMARY KEY AUTOINCREMENT, "
             "deviceid VARCHAR(64), name VARCHAR(128), description VARCHAR(256), value VARCHAR(512), "
             "optional BOOLEAN, attr_type VARCHAR(32), metadata VARCHAR(1024))",
             "CREATE TABLE IF NOT EXISTS device_twin (id INTEGER PRIMARY KEY AUTOINCREMENT, "
             "deviceid VARCHAR(64), name VARCHAR(128), description VARCHAR(256), expected VARCHAR(512), "
             "actual VARCHAR(512), expected_meta VARCHAR(1024), actual_meta VARCHAR(1024), "
             "expected_version VARCHAR(1024), actual_version VARCHAR(1024), optional BOOLEAN, "
             "attr_type VARCHAR(32), metadata VARCHAR(1024))",
             "CREATE INDEX IF NOT EXISTS device_attr_deviceid ON device_attr (deviceid)",
             "CREATE INDEX IF NOT EXISTS device_twin_deviceid ON device_twin (deviceid)"}) {
        if (Status s = execSql(m_db, QString::fromLatin1(sql)); !s)
            return s;
    }
    return {};
}

Result<QList<twin::Device>> TwinStore::loadAll() const
{
    QList<twin::Device> devices;
    QHash<QString, int> index;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT id, name, description, state, last_online FROM device ORDER BY id")))
        return queryError(q).error();
    while (q.next()) {
        twin::Device d;
        d.id = q.value(0).toString();
        d.name = q.value(1).toString();
        d.description = q.value(2).toString();
        d.state = q.value(3).toString();
        d.lastOnline = q.value(4).toString();
        index.insert(d.id, int(devices.size()));
        devices.append(d);
    }
    if (!q.exec(QStringLiteral("SELECT deviceid, name, value, optional, attr_type, metadata FROM device_attr")))
        return queryError(q).error();
    while (q.next()) {
        const int i = index.value(q.value(0).toString(), -1);
        if (i < 0)
            continue;
        QJsonObject attr{{QStringLiteral("value"), q.value(2).toString()}};
        if (!q.value(3).isNull())
            attr.insert(QStringLiteral("optional"), q.value(3).toBool());
        QJsonObject meta = parseObject(q.value(5));
        if (!q.value(4).toString().isEmpty())
            meta.insert(QStringLiteral("type"), q.value(4).toString());
        if (!meta.isEmpty())
            attr.insert(QStringLiteral("metadata"), meta);
        devices[i].attributes.insert(q.value(1).toString(), attr);
    }
    if (!q.exec(QStringLiteral("SELECT deviceid, name, expected, actual, expected_meta, actual_meta, "
                               "expected_version, actual_version, optional, attr_type, metadata FROM device_twin")))
        return queryError(q).error();
    while (q.next()) {
        const int i = index.value(q.value(0).toString(), -1);
        if (i < 0)
            continue;
        QJsonObject t;
        auto part = [&](int valueCol, int metaCol, const QString &name) {
            if (q.value(valueCol).isNull())
                return;
            QJsonObject p{{QStringLiteral("value"), q.value(valueCol).toString()}};
            const QJsonObject meta = parseObject(q.value(metaCol));
            if (!meta.isEmpty())
                p.insert(QStringLiteral("metadata"), meta);
            t.insert(name, p);
        };
        part(2, 4, QStringLiteral("expected"));
        part(3, 5, QStringLiteral("actual"));
        const QJsonObject ev = parseObject(q.value(6));
        if (!ev.isEmpty())
            t.insert(QStringLiteral("expected_version"), ev);
        const QJsonObject av = parseObject(q.value(7));
        if (!av.isEmpty())
            t.insert(QStringLiteral("actual_version"), av);
        if (!q.value(8).isNull())
            t.insert(QStringLiteral("optional"), q.value(8).toBool());
        QJsonObject meta = parseObject(q.value(10));
        if (!q.value(9).toString().isEmpty())
            meta.insert(QStringLiteral("type"), q.value(9).toString());
        if (!meta.isEmpty())
            t.insert(QStringLiteral("metadata"), meta);
        devices[i].twins.insert(q.value(1).toString(), t);
    }
    return devices;
}

Status TwinStore::save(const twin::Device &device)
{
    if (!m_db.transaction())
        return Status::failure(QStringLiteral("db.tx"), m_db.lastError().text());
    if (Status s = writeRows(device); !s) {
        m_db.rollback();
        return s;
    }
    if (!m_db.commit()) {
        const QString text = m_db.lastError().text();
        m_db.rollback();
        return Status::failure(QStringLiteral("db.commit"), text);
    }
    return {};
}

Status TwinStore::writeRows(const twin::Device &d)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT INTO device (id, name, description, state, last_online) VALUES (?, ?, ?, ?, ?) "
                             "ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = "
                             "excluded.description, state = excluded.state, last_online = excluded.last_online"));
    for (const QString &v : {d.id, d.name, d.description, d.state, d.lastOnline})
        q.addBindValue(v);
    if (!q.exec())
        return queryError(q);
    for (const char *table : {"device_attr", "device_twin"}) {
        q.prepare(QStringLiteral("DELETE FROM %1 WHERE deviceid = ?").arg(QLatin1String(table)));
        q.addBindValue(d.id);
        if (!q.exec())
            return queryError(q);
    }
    q.prepare(QStringLiteral("INSERT INTO device_attr (deviceid, name, description, value, optional, attr_type, "
                             "metadata) VALUES (?, ?, '', ?, ?, ?, ?)"));
    for (auto it = d.attributes.begin(); it != d.attributes.end(); ++it) {
        const QJsonObject a = it.value().toObject();
        const QJsonObject meta = a.value(QStringLiteral("metadata")).toObject();
        q.addBindValue(d.id);
        q.addBindValue(it.key());
        q.addBindValue(a.value(QStringLiteral("value")).toString());
        q.addBindValue(a.value(QStringLiteral("optional")).toBool());
        q.addBindValue(meta.value(QStringLiteral("type")).toString());
        q.addBindValue(compact(meta));
        if (!q.exec())
            return queryError(q);
    }
    q.prepare(QStringLiteral("INSERT INTO device_twin (deviceid, name, description, expected, actual, expected_meta, "
                             "actual_meta, expected_version, actual_version, optional, attr_type, metadata) "
                             "VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (auto it = d.twins.begin(); it != d.twins.end(); ++it) {
        const QJsonObject t = it.value().toObject();
        const QJsonObject e = t.value(QStringLiteral("expected")).toObject();
        const QJsonObject a = t.value(QStringLiteral("actual")).toObject();
        const QJsonObject meta = t.value(QStringLiteral("metadata")).toObject();
        q.addBindValue(d.id);
        q.addBindValue(it.key());
        q.addBindValue(e.contains(QStringLiteral("value")) ? nullable(e.value(QStringLiteral("value")).toString())
                                                           : nullable(QString()));
        q.addBindValue(a.contains(QStringLiteral("value")) ? nullable(a.value(QStringLiteral("value")).toString())
                                                           : nullable(QString()));
        q.addBindValue(compact(e.value(QStringLiteral("metadata"))));
        q.addBindValue(compact(a.value(QStringLiteral("metadata"))));
        q.addBindValue(compact(t.value(QStringLiteral("expected_version"))));
        q.addBindValue(compact(t.value(QStringLiteral("actual_version"))));
        q.addBindValue(t.contains(QStringLiteral("optional")) ? QVariant(t.value(QStringLiteral("optional")).toBool())
                                                              : QVariant(QMetaType(QMetaType::Bool)));
        q.addBindValue(meta.value(QStringLiteral("type")).toString());
        q.addBindValue(compact(meta));
        if (!q.exec())
            return queryError(q);
    }
    return {};
}

Status TwinStore::remove(const QString &deviceId)
{
    if (!m_db.transaction())
        return Status::failure(QStringLiteral("db.tx"), m_db.lastError().text());
    QSqlQuery q(m_db);
    for (const char *table : {"device_attr", "device_twin"}) {
        q.prepare(QStringLiteral("DELETE FROM %1 WHERE deviceid = ?").arg(QLatin1String(table)));
        q.addBindValue(deviceId);
        if (!q.exec()) {
            m_db.rollback();
            return queryError(q);
        }
    }
    q.prepare(QStringLiteral("DELETE FROM device WHERE id = ?"));
    q.addBindValue(deviceId);
    if (!q.exec()) {
        m_db.rollback();
        return queryError(q);
    }
    return m_db.commit() ? Status() : Status::failure(QStringLiteral("db.commit"), m_db.lastError().text());
}

} // namespace qedge
