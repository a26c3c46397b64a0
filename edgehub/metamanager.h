#pragma once

#include "shared/message.h"
#include "shared/module.h"
#include "shared/result.h"

#include <QList>
#include <QSqlDatabase>
#include <QTimer>

#include <optional>
#include <vector>

namespace qedge {

/// One row of the `meta` table as the local API shows it.
struct StoredResource
{
    QString key; ///< edge resource string "<namespace>/<type>/<name>"
    QString type;
    QByteArray value;        ///< JSON text as the cloud sent it
    QString resourceVersion; ///< last applied, "" when unknown
};

/// A committed change, for watchers.
struct ResourceChange
{
    QString operation; ///< "upsert" or "delete"
    StoredResource resource;
    bool existed = false; ///< the key was stored before this change (an upsert that modified)
};

/// MetaManager (module `metamanager`, group `meta`, reference §8): stores what the cloud sends in
/// `meta(key, type, value)` (the edgecore.db schema), commits in short batches, then acks "OK".
/// Applies each resourceVersion at most once; answers queries remotely when online, else locally.
class MetaManager : public Module
{
    Q_OBJECT
public:
    struct Settings
    {
        int remoteQueryTimeoutMs = 60000;
        int batchWindowMs = 2; ///< how long writes are collected for one transaction
        int maxBatch = 512;
    };
    struct Counters
    {
        quint64 applied = 0, duplicates = 0, stale = 0, acked = 0, commitFailures = 0;
        quint64 localQueries = 0, remoteQueries = 0;
    };

    MetaManager(QSqlDatabase db, const Settings &settings, QObject *parent = nullptr);

    /// Creates the tables; call before the module starts.
    Status open();

    /// Rows of `type` (all rows when empty), ordered by key.
    Result<QList<StoredResource>> list(const QString &type = {}) const;
    /// The row for `key`, if any.
    Result<std::optional<StoredResource>> get(const QString &key) const;
    bool cloudConnected() const { return m_connected; }
    Counters counters() const { return m_counters; }

    /// Resource types queried from the cloud while connected (reference §8.2).
    static bool isRemoteQueryType(const QString &type);
    /// Room for a burst from the cloud: a full inbox drops, and the cloud has to resend.
    int queueCapacity() const override { return 8192; }

signals:
    /// Emitted after the change is committed, before or while its ack goes out.
    void changed(const qedge::ResourceChange &change);

protected:
    void handleMessage(const Message &m) override;
    void cleanup() override;

private:
    enum class Outcome { Applied, Duplicate, Stale, Invalid, Failed };
    void flush();
    Outcome applyOne(const Message &m, ResourceChange *change);
    void handleQuery(const Message &m);
    void answerLocally(const Message &m);
    void reply(const Message &request, const Message &answer);
    Status storeRemoteAnswer(const Message &answer, const QString &key);
    bool fromCloud(const Message &m) const;

    QSqlDatabase m_db;
    Settings m_settings;
    Counters m_counters;
    std::vector<Message> m_pending;
    QTimer m_batchTimer;
    bool m_connected = false;
};

} // namespace qedge

Q_DECLARE_METATYPE(qedge::ResourceChange)
