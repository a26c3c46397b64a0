#pragma once

#include "shared/message.h"
#include "shared/module.h"

#include <QList>
#include <QLoggingCategory>

class QNetworkAccessManager;

namespace qedge {

Q_DECLARE_LOGGING_CATEGORY(lcEdgeServiceBus)

/// ServiceBus (module `servicebus`, group `bus`, reference §10.3; off by default): the cloud calls
/// HTTP services on this edge's loopback. A request (source router_servicebus, resource
/// `<port>:<path>`, operation = method, content {header, body(base64), method, url}) is made to
/// http://127.0.0.1:<port><path> only when the port is on the allowlist; the answer goes back to
/// the cloud (parent = the request, source servicebus, group user, operation upload, content
/// {header, status_code, body(base64)}). Anything refused gets a clear error answer in that shape.
class ServiceBus : public Module
{
    Q_OBJECT
public:
    struct Settings
    {
        QList<int> allowedPorts;
        int timeoutMs = 60000;
        qint64 maxBodyBytes = 4 * 1024 * 1024;
    };

    explicit ServiceBus(const Settings &settings, QObject *parent = nullptr);
    ~ServiceBus() override;

    /// Parses "8080,9000" into ports; false on anything else.
    static bool parsePorts(const QString &text, QList<int> *ports);

protected:
    void start() override;
    void handleMessage(const Message &m) override;

private:
    void answer(const Message &request, int status, const QJsonObject &headers, const QByteArray &body);
    void refuse(const Message &request, int status, const QString &why);

    Settings m_settings;
    QNetworkAccessManager *m_net = nullptr;
};

} // namespace qedge
