#pragma once

#include "shared/result.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>

namespace qedge::cloud {

/// One resource as the hub keeps it. Objects are global by (namespace, type, name) as in Kubernetes;
/// the nodes it is delivered to are its targets.
struct StoredResource
{
    QString uid;
    QString namespaceName;
    QString type;
    QString name;
    quint64 resourceVersion = 0;
    QByteArray json;                 ///< the whole object, compact JSON, metadata.uid/resourceVersion set
    QString source;                  ///< edgecontroller, or devicecontroller for device objects
    bool deleted = false;            ///< tombstone: kept until every target acked the delete
    QHash<QString, quint64> targets; ///< node -> RV of its pending delete (0: delivered/active)

    QString edgeResource() const;
    /// True when the object is delivered (or on its way) to node and not being removed from it.
    bool activeOn(const QString &node) const;
};

/// One node's part of a change: the message that goes into its queue.
struct NodeChange
{
    QString node;
    QString operation; ///< insert (new target), update, or delete
    quint64 resourceVersion = 0;
    QByteArray json; ///< content of the message
};

/// A validated change, not yet committed: the resource's next state and a message per node.
struct ResourcePlan
{
    enum class Kind { Apply, RemoveSome, RemoveAll };
    Kind kind = Kind::Apply;
    StoredResource next;
    QJsonObject object; ///< Apply: the object without its resourceVersion yet
    QList<NodeChange> changes;
    bool created = false;
};

/// The in-memory object model of the delivery path: validation, uid and version stamping, targets,
/// tombstones and per-node listing. Persistence and queues are the Dispatcher's job.
class ResourceStore
{
public:
    /// Validates and plans an apply to `nodes` (empty: the object's current targets). The RV is
    /// stamped later by finalize(), inside the write transaction.
    Result<ResourcePlan> planApply(const QStringList &nodes, const QJsonObject &object,
                                   const QString &type = {}) const;
    /// Plans withdrawing an object from `nodes` (empty, or all of its targets: delete the object).
    Result<ResourcePlan> planRemove(const QStringList &nodes, const QString &namespaceName,
                                    const QString &type, const QString &name) const;
    /// Stamps the global resourceVersion into the plan and its per-node messages.
    static void finalize(ResourcePlan &plan, quint64 resourceVersion);

    /// Takes a committed state into the model.
    void put(StoredResource resource);
    /// A node acked the delete of uid: drops the target, and the tombstone once no target is left.
    void settleDelete(const QString &node, const QString &uid);

    const StoredResource *byUid(const QString &uid) const;
    const StoredResource *byName(const QString &namespaceName, const QString &type,
                                 const QString &name) const;
    /// The object as delivered to node, if it targets that node and is not being removed from it.
    std::optional<QJsonObject> get(const QString &node, const QString &namespaceName, const QString &type,
                                   const QString &name) const;
    /// Objects on node, of one type (empty: all types), sorted by namespace and name.
    QList<QJsonObject> list(const QString &node, const QString &type = {}) const;
    int size() const { return int(m_byUid.size()); }

    /// Lower-case kind, the default type of an object.
    static QString typeOf(const QJsonObject &object);
    /// Sets metadata.resourceVersion in a compact JSON object.
    static QByteArray withVersion(const QByteArray &json, quint64 rv);

private:
    static QString key(const QString &ns, const QString &type, const QString &name);

    QHash<QString, StoredResource> m_byUid;
    QHash<QString, QString> m_liveByKey;        // "ns/type/name" -> uid of the live object
    QHash<QString, QSet<QString>> m_uidsByNode; // node -> uids targeting it
};

} // namespace qedge::cloud
