#pragma once

#include "shared/result.h"

#include <QObject>

#include <memory>

namespace qedge {
class Database;
}

namespace qedge::cloud {

class AdminApi;
class AdminServer;
class Dispatcher;
class EdgeServer;
class EventLog;
class EventStream;
class Metrics;
class NodeRegistry;
class SessionManager;
class UpstreamRouter;

/// Everything the admin side adds to the hub: upstream routing, the event log, the event stream,
/// the admin API routes and /metrics. Created once the hub's core parts exist; wires itself to them.
class AdminLayer : public QObject
{
    Q_OBJECT
public:
    struct Parts
    {
        AdminServer *server = nullptr;
        Dispatcher *dispatcher = nullptr;
        NodeRegistry *registry = nullptr;
        SessionManager *sessions = nullptr;
        EdgeServer *edge = nullptr;
        Database *db = nullptr;
        bool metricsWithoutAuth = true; ///< /metrics open to loopback without a token
    };

    static Result<std::unique_ptr<AdminLayer>> create(const Parts &parts, QObject *parent = nullptr);
    ~AdminLayer() override;

    UpstreamRouter *upstream() const { return m_upstream.get(); }
    EventStream *stream() const { return m_stream.get(); }
    EventLog *log() const { return m_log.get(); }
    AdminApi *api() const { return m_api.get(); }

private:
    explicit AdminLayer(QObject *parent);
    void wire(const Parts &parts);

    std::unique_ptr<EventLog> m_log;
    std::unique_ptr<EventStream> m_stream;
    std::unique_ptr<UpstreamRouter> m_upstream;
    std::unique_ptr<Metrics> m_metrics;
    std::unique_ptr<AdminApi> m_api;
};

} // namespace qedge::cloud
