#pragma once

#include "cloudhub/deviceservice.h"
#include "cloudhub/devicestore.h"
#include "shared/http/request.h"
#include "shared/http/responder.h"
#include "shared/result.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

namespace qedge {
class Database;
}

namespace qedge::cloud {

class AdminServer;
class Dispatcher;
class EventStream;

/// The admin API's "Devices and twins" routes (docs/api.md) and ServiceBus calls
/// (POST /api/v1/nodes/{node}/http), the twin events on the event stream, and the upstream
/// handling of twin reports, device states and ServiceBus answers.
class DeviceApi : public QObject
{
    Q_OBJECT
public:
    DeviceApi(Dispatcher *dispatcher, EventStream *stream, QObject *parent = nullptr);
    ~DeviceApi() override;

    /// Loads the device store from db (null: memory only).
    Status open(Database *db);
    void addRoutes(AdminServer *server);
    /// Takes an upstream message that is a twin report, a state update or a ServiceBus answer
    /// waited for; false for anything else.
    bool handleUpstream(const QString &node, const Message &m);

    DeviceStore *store() const { return m_store.get(); }
    DeviceService *service() const { return m_service.get(); }

private:
    struct PendingCall
    {
        std::shared_ptr<http::Responder> responder;
        QTimer *timer = nullptr;
    };
    void callEdge(const http::Request &req, std::shared_ptr<http::Responder> responder);
    void finishCall(const QString &msgId, const http::Response &response);
    void publish(const char *type, const QString &node, const QString &deviceId, QJsonObject fields);

    Dispatcher *m_dispatcher;
    EventStream *m_stream;
    std::unique_ptr<DeviceStore> m_store;
    std::unique_ptr<DeviceService> m_service;
    QHash<QString, PendingCall> m_calls; // by request msg_id
};

} // namespace qedge::cloud
