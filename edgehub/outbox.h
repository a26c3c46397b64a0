#pragma once

#include "shared/message.h"
#include "shared/result.h"

#include <QList>
#include <QSqlDatabase>

namespace qedge {

/// Upstream messages that cannot be written now, kept in SQLite (table `outbox`) so they
/// survive a restart, and handed back in the order they came. Bounded: past `capacity` the
/// oldest droppable message (an ack or error: the cloud resends what it needs) goes first;
/// when nothing is droppable, push() refuses.
class Outbox
{
public:
    struct Entry
    {
        qint64 seq = 0;
        Message message;
    };

    Outbox(QSqlDatabase db, int capacity);

    /// Creates the table if needed and loads the depth.
    Status open();
    /// Appends `m` (encoded on the KubeEdge wire form).
    Status push(const Message &m);
    /// Appends all of `ms` in one transaction, in order.
    Status pushAll(const QList<Message> &ms);
    /// Up to `max` oldest entries, oldest first.
    Result<QList<Entry>> peek(int max) const;
    /// Removes every entry up to and including `seq`.
    Status removeThrough(qint64 seq);

    int depth() const { return m_depth; }
    int capacity() const { return m_capacity; }
    /// Droppable messages discarded to stay under the capacity since open().
    quint64 dropped() const { return m_dropped; }

    /// True for messages that may be dropped when the outbox is full.
    static bool isDroppable(const Message &m);

private:
    Status insert(const Message &m);
    Status makeRoom();

    QSqlDatabase m_db;
    int m_capacity;
    int m_depth = 0;
    quint64 m_dropped = 0;
};

} // namespace qedge
