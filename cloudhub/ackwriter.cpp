#include "cloudhub/ackwriter.h"

#include "cloudhub/hublogging.h"

#include <QTimer>

#include <algorithm>

namespace qedge::cloud {

namespace {
// Past this many unwritten acks (storage down) the oldest are given up: they will be re-sent
// after a restart, which the edge tolerates.
constexpr qsizetype MaxBacklog = 1000000;
} // namespace

AckWriter::AckWriter(DeliveryStore &store, int flushIntervalMs, int maxBatch)
    : m_store(store), m_timer(new QTimer(this)), m_intervalMs(std::max(0, flushIntervalMs)),
      m_maxBatch(std::max(1, maxBatch))
{
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, &AckWriter::flush);
}

void AckWriter::add(AckRecord ack)
{
    qsizetype size;
    {
        QMutexLocker lock(&m_mutex);
        m_pending.append(std::move(ack));
        size = m_pending.size();
    }
    if (size == 1)
        QMetaObject::invokeMethod(this, &AckWriter::arm, Qt::QueuedConnection);
    else if (size == m_maxBatch)
        QMetaObject::invokeMethod(this, &AckWriter::flush, Qt::QueuedConnection);
}

void AckWriter::arm()
{
    if (!m_timer->isActive())
        m_timer->start(m_intervalMs);
}

void AckWriter::flush()
{
    m_timer->stop();
    QList<AckRecord> batch;
    {
        QMutexLocker lock(&m_mutex);
        batch.swap(m_pending);
    }
    if (batch.isEmpty())
        return;
    const Status st = m_store.recordAcks(batch);
    QMutexLocker lock(&m_mutex);
    if (st) {
        m_written += quint64(std::count_if(batch.cbegin(), batch.cend(), [](const AckRecord &r) {
            return r.kind == AckRecord::Kind::Ack;
        }));
        return;
    }
    ++m_failedBatches;
    qCWarning(lcHubStore).noquote() << "recording" << batch.size()
                                    << "acks failed, will retry:" << st.errorMessage();
    batch.append(m_pending);
    m_pending.swap(batch);
    if (m_pending.size() > MaxBacklog) {
        qCCritical(lcHubStore) << "ack backlog over" << MaxBacklog
                               << "- dropping the oldest; they will be re-sent after a restart";
        m_pending.remove(0, m_pending.size() - MaxBacklog);
    }
    m_timer->start(std::max(m_intervalMs, 1000));
}

quint64 AckWriter::written() const
{
    QMutexLocker lock(&m_mutex);
    return m_written;
}

quint64 AckWriter::failedBatches() const
{
    QMutexLocker lock(&m_mutex);
    return m_failedBatches;
}

} // namespace qedge::cloud
