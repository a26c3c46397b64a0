#pragma once

#include "cloudhub/metrics.h"
#include "cloudhub/noderegistry.h"
#include "shared/http/request.h"
#include "shared/http/response.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <optional>

namespace qedge::cloud {

class AdminServer;
class Dispatcher;
class EventLog;
class SessionManager;
class UpstreamRouter;

/// The admin API's routes (docs/api.md): nodes, labels, per-node and fleet-wide resources, queues,
/// stats and stored upstream events. Every failing request is answered before anything changes.
class AdminApi : public QObject
{
    Q_OBJECT
public:
    struct Parts
    {
        AdminServer *server = nullptr;
        Dispatcher *dispatcher = nullptr;
        NodeRegistry *registry = nullptr;
        SessionManager *sessions = nullptr;
        UpstreamRouter *upstream = nullptr;
        EventLog *log = nullptr;
    };

    explicit AdminApi(Parts parts, QObject *parent = nullptr);

    /// Adds every route to the server.
    void addRoutes();

    /// Rates over the last 10 s (sampled every second).
    RateMeter::Rates rates() const { return m_rates.rates(); }

private:
    struct NodeCounts
    {
        quint64 sent = 0;
        quint64 acked = 0;
    };

    http::Response listNodes(const http::Request &req);
    http::Response getNode(const http::Request &req);
    http::Response putLabels(const http::Request &req);
    http::Response putResource(const http::Request &req);
    http::Response getResource(const http::Request &req);
    http::Response deleteResource(const http::Request &req);
    http::Response listResources(const http::Request &req);
    http::Response putFleet(const http::Request &req);
    http::Response getFleet(const http::Request &req);
    http::Response deleteFleet(const http::Request &req);
    http::Response getQueue(const http::Request &req);
    http::Response getNodeEvents(const http::Request &req);
    http::Response stats(const http::Request &req);

    /// The Node object, or nullopt when the node was never seen nor provisioned.
    std::optional<QJsonObject> nodeJson(const QString &node);
    /// The same from a registry row already read (nullopt: the node has none).
    std::optional<QJsonObject> nodeJson(const QString &node, const std::optional<NodeRegistry::Node> &row);
    bool isKnown(const QString &node);
    /// The shared start of a per-node route: valid path parts and a known node (set in `node`),
    /// else the error response.
    std::optional<http::Response> knownNode(const http::Request &req, bool withObject, QString &node);
    /// The shared start of a fleet-wide route: valid object path parts, then resolveTargets().
    std::optional<http::Response> fleetTargets(const http::Request &req, bool allowEmpty,
                                               QStringList &targets);
    void flushRegistry();
    /// Target nodes of a fleet-wide call (?nodes= or ?selector=); empty list with allowEmpty when neither.
    std::optional<http::Response> resolveTargets(const http::Request &req, bool allowEmpty, QStringList &out);
    QStringList activeNodes(const QString &ns, const QString &type, const QString &name) const;
    void sample();
    /// Node labels, read from the registry once and kept current by putLabels(), so a selector
    /// costs no database round trip per request.
    const QHash<QString, QJsonObject> *labels();

    Parts m_p;
    QHash<QString, NodeCounts> m_counts;
    QHash<QString, QJsonObject> m_labels;
    bool m_labelsLoaded = false;
    RateMeter m_rates;
    QTimer m_sampler;
};

} // namespace qedge::cloud
