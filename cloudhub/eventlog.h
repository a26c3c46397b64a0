#pragma once

#include "shared/result.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

namespace qedge {
class Database;
}

namespace qedge::cloud {

/// What an edge sent that the hub keeps: node status, events, user uploads (PROTOCOL.md §5), in table
/// `events` (schema "cloudhub_events"). Rows are written in batches every flush interval and only the
/// newest `keepPerNode` rows of each node are kept.
class EventLog : public QObject
{
    Q_OBJECT
public:
    struct Event
    {
        QString node;
        QDateTime time;
        QString operation;
        QString resource;
        QByteArray content; ///< raw JSON
    };

    static Result<std::unique_ptr<EventLog>> open(Database *db, int keepPerNode = 1000, int flushIntervalMs = 200,
                                                  QObject *parent = nullptr);
    ~EventLog() override;

    /// Queues one event for the next batch.
    void append(Event event);
    /// Writes the waiting events and prunes the nodes they belong to.
    Status flush();
    /// The newest events of a node, newest first (flushes first).
    Result<QList<Event>> recent(const QString &node, int limit = 100);

    quint64 stored() const { return m_stored; }

private:
    EventLog(Database *db, int keepPerNode, int flushIntervalMs, QObject *parent);

    Database *m_db;
    int m_keepPerNode;
    QList<Event> m_pending;
    QHash<QString, int> m_sincePrune; // node -> rows written since its last prune
    QTimer m_flushTimer;
    quint64 m_stored = 0;
};

} // namespace qedge::cloud
