#pragma once

#include "shared/result.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <optional>

namespace qedge {
class Database;
}

namespace qedge::cloud {

struct SessionInfo;

/// Every node that ever connected, in table `nodes` (schema "cloudhub_nodes"): first and last
/// seen, online, remote address, client certificate serial and expiry, labels (JSON object).
/// Connects and disconnects are written at once; keepalives only mark the node, and the marks are
/// written together every flush interval so keepalives don't hit the disk one by one.
class NodeRegistry : public QObject
{
    Q_OBJECT
public:
    struct Node
    {
        QString id;
        QDateTime firstSeen;
        QDateTime lastSeen;
        bool online = false;
        QString remoteAddress;
        QString certSerial;
        QDateTime certExpiry;
        QJsonObject labels;
    };

    /// Migrates the table and marks every node offline (no session survives a restart).
    static Result<std::unique_ptr<NodeRegistry>> open(Database *db, int flushIntervalMs = 5000,
                                                      QObject *parent = nullptr);
    ~NodeRegistry() override;

    Status recordConnected(const SessionInfo &info);
    Status recordDisconnected(const QString &node, const QDateTime &at);
    /// Notes that the node was alive now; written at the next flush.
    void touch(const QString &node);
    /// Writes the pending last_seen marks in one transaction.
    Status flush();

    Result<QList<Node>> nodes() const;
    Result<std::optional<Node>> node(const QString &id) const;
    /// Adds a node that never connected (first and last seen unset), so labels can be set ahead.
    Status provision(const QString &id);
    Status setLabels(const QString &id, const QJsonObject &labels);

private:
    NodeRegistry(Database *db, int flushIntervalMs, QObject *parent);

    Database *m_db;
    QHash<QString, qint64> m_pendingSeen; // node → ms since epoch
    QTimer m_flushTimer;
};

} // namespace qedge::cloud
