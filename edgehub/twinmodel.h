#pragma once

#include "shared/result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace qedge::twin {

/// Result codes of twin answers (reference §9.1, dtcommon).
enum Code { BadRequest = 400, NotFound = 404, Conflict = 409, InternalError = 500 };

/// A device as DeviceTwin keeps it; attributes and twins in KubeEdge's JSON shapes
/// (MsgAttr {value, optional, metadata{type}}, MsgTwin {expected, actual, optional, metadata{type},
/// expected_version{cloud,edge}, actual_version{cloud,edge}}).
struct Device
{
    QString id; ///< "<namespace>/<name>"
    QString name;
    QString description;
    QString state;
    QString lastOnline;
    QJsonObject attributes;
    QJsonObject twins;

    /// The Device JSON of membership and get results (deleted twins left out).
    QJsonObject toJson() const;
    /// Twins without the deleted ones.
    QJsonObject liveTwins() const;
    /// key -> expected value for twins whose expected differs from actual.
    QJsonObject delta() const;
};

/// Who changes a twin: a mapper over MQTT (edge counters go up) or the cloud (versions checked, §9.5).
enum class Origin { Mapper, Cloud };

/// What one twin update did.
struct TwinOutcome
{
    QJsonObject result;   ///< the requested twins as stored now (for /twin/update/result)
    QJsonObject document; ///< key -> {last, current} for changed twins
    QJsonObject changed;  ///< changed twins as stored now (reported to the cloud)
    QStringList rejected; ///< Cloud only: keys refused by the version rules
    bool expectedChanged = false;
};

/// Error code and reason of a refused update; nothing was changed.
struct TwinError
{
    int code = BadRequest;
    QString reason;
};

bool validKey(const QString &key);
bool validValue(const QString &value);
/// Checks value against a metadata.type (string, int, integer, float, boolean, deleted).
Status checkType(const QString &type, const QString &value);
bool knownType(const QString &type);
bool validState(const QString &state);

/// Applies `twins` (key -> MsgTwin) to `device` or changes nothing and returns the error.
/// Everything is validated before anything changes. nowMs stamps value metadata.
Result<TwinOutcome> applyTwins(Device &device, const QJsonObject &twins, Origin origin, qint64 nowMs);
inline TwinError toTwinError(const Error &e) { return {e.code.toInt(), e.message}; }

/// A parsed MQTT topic of the twin (v1.16 form, §9.3).
struct Topic
{
    enum Kind { Invalid, TwinUpdate, TwinGet, StateUpdate, MembershipGet };
    Kind kind = Invalid;
    QString deviceId; ///< "<namespace>/<name>"
    QString node;     ///< membership topics
};
Topic parseTopic(const QString &topic);
QString deviceTopic(const QString &deviceId, const QString &suffix);
QString nodeTopic(const QString &node, const QString &suffix);

/// {event_id, timestamp, code, reason}
QJsonObject errorPayload(const QString &eventId, int code, const QString &reason, qint64 nowMs);
/// Go's "2006-01-02 15:04:05" in UTC, KubeEdge's lastOnline format.
QString lastOnlineNow();

} // namespace qedge::twin
