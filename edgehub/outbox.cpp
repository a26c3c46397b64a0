#include "edgehub/outbox.h"

#include "edgehub/edgedb.h"
#include "edgehub/edgelogging.h"
#include "shared/codec.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace qedge {

namespace {
Status sqlError(const QSqlQuery &q, const char *what)
{
    return Status::failure(QStringLiteral("outbox.sql"),
                           QStringLiteral("outbox %1: %2").arg(QLatin1String(what), q.lastError().text()));
}
} // namespace

Outbox::Outbox(QSqlDatabase db, int capacity) : m_db(std::move(db)), m_capacity(std::max(capacity, 1))
{}

bool Outbox::isDroppable(const Message &m)
{
    const QString op = m.operation();
    return op == op::Response || op == op::Error || op == op::Keepalive;
}

Status Outbox::open()
{
    if (Status s = execSql(
            m_db, QStringLiteral("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                                 "droppable INTEGER NOT NULL, frame BLOB NOT NULL)"));
        !s)
        return s;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM outbox")) || !q.next())
        return sqlError(q, "count");
    m_depth = q.value(0).toInt();
    return {};
}

Status Outbox::makeRoom()
{
    if (m_depth < m_capacity)
        return {};
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE droppable = 1 "
                             "ORDER BY seq LIMIT :n)"));
    q.bindValue(QStringLiteral(":n"), m_depth - m_capacity + 1);
    if (!q.exec())
        return sqlError(q, "drop");
    const int gone = q.numRowsAffected();
    if (gone > 0) {
        m_depth -= gone;
        if (m_dropped == 0 || (m_dropped + gone) / 1000 != m_dropped / 1000)
            qCWarning(lcEdgeOutbox) << "outbox full:" << m_dropped + gone << "acks dropped so far";
        m_dropped += gone;
    }
    if (m_depth >= m_capacity)
        return Status::failure(QStringLiteral("outbox.full"),
                               QStringLiteral("outbox full (%1 messages); message refused").arg(m_depth));
    return {};
}

Status Outbox::insert(const Message &m)
{
    if (Status s = makeRoom(); !s)
        return s;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT INTO outbox (droppable, frame) VALUES (:d, :f)"));
    q.bindValue(QStringLiteral(":d"), isDroppable(m) ? 1 : 0);
    q.bindValue(QStringLiteral(":f"), codec::encode(m));
    if (!q.exec())
        return sqlError(q, "insert");
    ++m_depth;
    return {};
}

Status Outbox::push(const Message &m)
{
    return insert(m);
}

Status Outbox::pushAll(const QList<Message> &ms)
{
    if (ms.isEmpty())
        return {};
    const int before = m_depth;
    if (!m_db.transaction())
        return Status::failure(QStringLiteral("outbox.sql"), m_db.lastError().text());
    for (const Message &m : ms) {
        if (Status s = insert(m); !s) {
            m_db.rollback();
            m_depth = before;
            return s;
        }
    }
    if (!m_db.commit()) {
        m_db.rollback();
        m_depth = before;
        return Status::failure(QStringLiteral("outbox.sql"), m_db.lastError().text());
    }
    return {};
}

Result<QList<Outbox::Entry>> Outbox::peek(int max) const
{
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT seq, frame FROM outbox ORDER BY seq LIMIT :n"));
    q.bindValue(QStringLiteral(":n"), max);
    if (!q.exec())
        return sqlError(q, "peek").error();
    QList<Entry> out;
    while (q.next()) {
        const qint64 seq = q.value(0).toLongLong();
        auto m = codec::decode(q.value(1).toByteArray());
        if (!m) {
            // A row we cannot read would block the queue for ever: skip it, loudly.
            qCWarning(lcEdgeOutbox) << "outbox entry" << seq << "unreadable, skipped:" << m.errorMessage();
            out.append({seq, Message()});
            continue;
        }
        out.append({seq, std::move(m).value()});
    }
    return out;
}

Status Outbox::removeThrough(qint64 seq)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM outbox WHERE seq <= :s"));
    q.bindValue(QStringLiteral(":s"), seq);
    if (!q.exec())
        return sqlError(q, "remove");
    m_depth = std::max(0, m_depth - q.numRowsAffected());
    return {};
}

} // namespace qedge
