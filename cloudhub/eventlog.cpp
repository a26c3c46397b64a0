#include "cloudhub/eventlog.h"

#include "cloudhub/hublogging.h"
#include "shared/storage.h"

#include <algorithm>

namespace qedge::cloud {

EventLog::EventLog(Database *db, int keepPerNode, int flushIntervalMs, QObject *parent)
    : QObject(parent), m_db(db), m_keepPerNode(std::max(1, keepPerNode))
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(flushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, [this] {
        if (Status s = flush(); !s)
            qCWarning(lcHubStore).noquote() << "event log:" << s.errorMessage();
    });
}

EventLog::~EventLog()
{
    if (Status s = flush(); !s)
        qCWarning(lcHubStore).noquote() << "event log: final flush failed:" << s.errorMessage();
}

Result<std::unique_ptr<EventLog>> EventLog::open(Database *db, int keepPerNode, int flushIntervalMs, QObject *parent)
{
    const QList<QStringList> steps = {
        {QStringLiteral("CREATE TABLE events (id {{autoinc_pk}}, node {{text}} NOT NULL, time {{bigint}} NOT NULL, "
                        "operation {{text}} NOT NULL, resource {{text}} NOT NULL, content {{text}} NOT NULL)"),
         QStringLiteral("CREATE INDEX events_node ON events (node, id)")},
    };
    if (Status s = db->migrate(QStringLiteral("cloudhub_events"), steps); !s)
        return s.error();
    return std::unique_ptr<EventLog>(new EventLog(db, keepPerNode, flushIntervalMs, parent));
}

void EventLog::append(Event event)
{
    m_pending.append(std::move(event));
    if (m_pending.size() >= 500) {
        if (Status s = flush(); !s)
            qCWarning(lcHubStore).noquote() << "event log:" << s.errorMessage();
    } else if (!m_flushTimer.isActive()) {
        m_flushTimer.start();
    }
}

Status EventLog::flush()
{
    m_flushTimer.stop();
    if (m_pending.isEmpty())
        return {};
    QList<QVariantList> rows;
    rows.reserve(m_pending.size());
    for (const Event &e : std::as_const(m_pending)) {
        rows.append({e.node, e.time.toMSecsSinceEpoch(), e.operation, e.resource, QString::fromUtf8(e.content)});
    }
    const qsizetype count = m_pending.size();
    QHash<QString, int> perNode;
    for (const Event &e : std::as_const(m_pending))
        ++perNode[e.node];
    m_pending.clear();
    if (Status s = m_db->execBatch(QStringLiteral("INSERT INTO events (node, time, operation, resource, content) "
                                                  "VALUES (?, ?, ?, ?, ?)"),
                                   rows);
        !s)
        return s;
    m_stored += quint64(count);
    // Prune a node once it may have gone a tenth over its limit, so deletes stay rare.
    for (auto it = perNode.cbegin(); it != perNode.cend(); ++it) {
        int &since = m_sincePrune[it.key()];
        since += it.value();
        if (since < std::max(1, m_keepPerNode / 10))
            continue;
        since = 0;
        auto r = m_db->exec(QStringLiteral("DELETE FROM events WHERE node = ? AND id <= (SELECT id FROM events "
                                           "WHERE node = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"),
                            {it.key(), it.key(), m_keepPerNode});
        if (!r)
            return r.error();
    }
    return {};
}

Result<QList<EventLog::Event>> EventLog::recent(const QString &node, int limit)
{
    if (Status s = flush(); !s)
        return s.error();
    auto q = m_db->exec(QStringLiteral("SELECT node, time, operation, resource, content FROM events WHERE node = ? "
                                       "ORDER BY id DESC LIMIT ?"),
                        {node, std::clamp(limit, 1, m_keepPerNode)});
    if (!q)
        return q.error();
    QList<Event> out;
    while (q->next()) {
        Event e;
        e.node = q->value(0).toString();
        e.time = QDateTime::fromMSecsSinceEpoch(q->value(1).toLongLong(), Qt::UTC);
        e.operation = q->value(2).toString();
        e.resource = q->value(3).toString();
        e.content = q->value(4).toString().toUtf8();
        out.append(std::move(e));
    }
    return out;
}

} // namespace qedge::cloud
