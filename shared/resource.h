#pragma once

#include <QString>

#include <optional>

namespace qedge {

/// A KubeEdge resource string (PROTOCOL.md §3, reference §3).
/// Inside the hub: "node/<nodeID>/<namespace>/<type>/<name>"; on the wire to the edge the
/// "node/<nodeID>/" prefix is stripped; everything from the edge gets it prepended.
namespace resource {

inline const QString NullNamespace = QStringLiteral("null");

struct Parts
{
    QString namespaceName; ///< "null" for cluster-scoped objects
    QString type;
    QString name;          ///< empty for "<namespace>/<type>" queries
};

/// "node/<node>/<rest>" for a resource as the edge sent it.
QString prefixed(const QString &nodeId, const QString &edgeResource);
/// Drops the first two tokens when the resource starts with "node" and has at least three (KubeEdge TrimMessage).
QString trimmed(const QString &hubResource);
/// The node a hub resource is for: the token after the first "node" token, if any (KubeEdge GetNodeID).
QString nodeOf(const QString &hubResource);
/// Edge form: 3 tokens → namespace/type/name; 2 tokens → namespace/type. Names may contain '/': the rest is the name.
std::optional<Parts> parseEdge(const QString &edgeResource);
/// "<namespace>/<type>/<name>".
QString build(const QString &namespaceName, const QString &type, const QString &name);

/// True when every character is a digit and the value fits in 64 bits (KubeEdge ParseUint base 10).
bool isDecimalVersion(const QString &rv);
/// Numeric compare of decimal resource versions; -1, 0, 1. Invalid strings sort before valid ones.
int compareVersions(const QString &a, const QString &b);

} // namespace resource
} // namespace qedge
