#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>

namespace qedge {

/// One edge node as the admin API reports it (docs/api.md "Node").
struct NodeInfo
{
    QString id;
    bool online = false;
    QDateTime since;
    QDateTime firstSeen;
    QDateTime lastSeen;
    QString remoteAddress;
    qint64 queueDepth = 0;
    qint64 inFlight = 0;
    qint64 sent = 0;
    qint64 acked = 0;
    QString certSerial;
    QDateTime certExpiry;
    QMap<QString, QString> labels;

    static NodeInfo fromJson(const QJsonObject &o);
    /// "k=v, k2=v2" sorted by key, for display and filtering.
    QString labelsText() const;
    bool operator==(const NodeInfo &o) const;
    bool operator!=(const NodeInfo &o) const { return !(*this == o); }
};

/// One entry of a node's delivery queue.
struct QueueEntry
{
    QString uid;
    QString resource;
    QString operation;
    QString resourceVersion;
    QString msgId;
    int attempts = 0;
    qint64 ageMs = 0;
    QString state;

    static QueueEntry fromJson(const QJsonObject &o);
};

/// A node's queue: totals and entries.
struct QueueInfo
{
    qint64 depth = 0;
    qint64 inFlight = 0;
    QList<QueueEntry> entries;

    static QueueInfo fromJson(const QJsonObject &o);
};

/// One side (desired or reported) of a twin property.
struct TwinValue
{
    bool present = false;
    QString value;
    qint64 version = 0;
    QDateTime timestamp;

    static TwinValue fromJson(const QJsonValue &v);
};

/// A twin property: desired vs reported.
struct Twin
{
    QString name;
    QString type;
    TwinValue desired;
    TwinValue reported;

    /// True when both sides are known and their values differ, or only desired is set.
    bool differs() const;
};

/// A device with its twins, as GET /nodes/{node}/devices reports it.
struct DeviceInfo
{
    QString id;
    QString ns;
    QString name;
    QString state;
    QDateTime lastOnline;
    QJsonObject attributes;
    QList<Twin> twins;

    static DeviceInfo fromJson(const QJsonObject &o);
};

/// Fleet-wide figures from GET /api/v1/stats.
struct HubStats
{
    QDateTime time;
    qint64 nodesTotal = 0;
    qint64 nodesOnline = 0;
    qint64 queueDepth = 0;
    qint64 maxDepth = 0;
    qint64 inFlight = 0;
    qint64 sent = 0;
    qint64 acked = 0;
    qint64 retries = 0;
    qint64 received = 0;
    double sentPerSec = 0;
    double ackedPerSec = 0;
    double receivedPerSec = 0;

    static HubStats fromJson(const QJsonObject &o);
};

/// One frame of the admin event stream.
struct HubEvent
{
    QString type;
    QDateTime time;
    QString node;
    QJsonObject raw;

    static HubEvent fromJson(const QJsonObject &o);
    /// A one-line human summary ("acked default/configmap/a rv 42 in 3 ms").
    QString summary() const;
};

/// Edge status from the edgehub local API (GET /api/v1/status).
struct EdgeStatus
{
    QString node;
    bool connected = false;
    QString hub;
    QDateTime certExpiry;
    qint64 outboxDepth = 0;
    QJsonObject counters;

    static EdgeStatus fromJson(const QJsonObject &o);
};

/// Parses an ISO 8601 time from the API; null for JSON null or garbage.
QDateTime parseApiTime(const QJsonValue &v);
/// Reads an integer that the API may send as number or decimal string.
qint64 apiInteger(const QJsonValue &v);
/// "3 s", "5 min", "2 h", "4 d" — compact age for tables.
QString humanAge(qint64 ms);

} // namespace qedge

Q_DECLARE_METATYPE(qedge::NodeInfo)
Q_DECLARE_METATYPE(qedge::HubEvent)
