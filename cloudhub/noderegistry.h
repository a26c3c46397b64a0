#pragma once

#include "shared/result.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <QVariantList>

#include <optional>

namespace qedge {
class Database;
}

namespace qedge::cloud {

struct SessionInfo;

/// Every node that ever connected, in table `nodes` (schema "cloudhub_nodes"): first and last
/// seen, online, remote address, client certificate serial and expiry, labels (JSON object).
/// Nothing is written on the caller's turn of the event loop: connects and disconnects are
/// queued and written in one transaction a moment later (a reconnect storm of thousands of nodes
/// costs a few commits, not one each), keepalives only mark the node and the marks are written
/// every flush interval.
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

    /// Queues the node's row as online with this session's address and certificate.
    void recordConnected(const SessionInfo &info);
    /// Queues the node's row as offline since `at`.
    void recordDisconnected(const QString &node, const QDateTime &at);
    /// Notes that the node was alive now; written at the next flush.
    void touch(const QString &node);
    /// Writes everything queued, in order, in one transaction.
    Status flush();

    Result<QList<Node>> nodes() const;
    Result<std::optional<Node>> node(const QString &id) const;
    /// Adds a node that never connected (first and last seen unset), so labels can be set ahead.
    Status provision(const QString &id);
    Status setLabels(const QString &id, const QJsonObject &labels);

private:
    void flushBeforeRead() const;
    NodeRegistry(Database *db, int flushIntervalMs, QObject *parent);

    struct Change
    {
        QString sql;
        QVariantList binds;
    };
    void queue(Change change);

    Database *m_db;
    QList<Change> m_changes;              // connects/disconnects, in order
    QHash<QString, qint64> m_pendingSeen; // node → ms since epoch
    QTimer m_flushTimer;
    QTimer m_soonTimer;
};

} // namespace qedge::cloud
