#pragma once

#include "cloudhub/deliverystore.h"

#include <QList>
#include <QMutex>
#include <QObject>

class QTimer;

namespace qedge::cloud {

/// Records acks in batches on its own (storage) thread, so the thread that reads acks off the
/// sockets never waits on disk. A batch is written flushIntervalMs after its first ack, or at once
/// when it reaches maxBatch. Durability window: acks not yet flushed when the process is killed
/// (at most about flushIntervalMs plus one commit) are lost; their entries are sent again after the
/// restart and the edge, which applies a resourceVersion at most once, just acks them again.
class AckWriter : public QObject
{
    Q_OBJECT
public:
    AckWriter(DeliveryStore &store, int flushIntervalMs, int maxBatch);

    /// Queues an ack for the next batch; callable from any thread.
    void add(AckRecord ack);
    /// Writes everything queued now; call it in the writer's thread (or through a blocking invoke).
    void flush();

    /// Acks recorded (not counting the drops of rows nothing needs).
    quint64 written() const;
    quint64 failedBatches() const;

private:
    void arm();

    DeliveryStore &m_store;
    QTimer *m_timer;
    int m_intervalMs;
    int m_maxBatch;
    mutable QMutex m_mutex;
    QList<AckRecord> m_pending;
    quint64 m_written = 0;
    quint64 m_failedBatches = 0;
};

} // namespace qedge::cloud
