#pragma once

#include "tests/support/serviceprocess.h"

#include <QJsonObject>
#include <QStringList>

namespace qedge::test {

class HubProcess;

/// The real edgehub binary with a data dir (temporary unless given), local API on a free port:
/// start() waits for the "edgehub ready: local API http://127.0.0.1:N" line; stop() sends SIGTERM.
class EdgeProcess : public ServiceProcess
{
public:
    struct Reply
    {
        int status = 0; ///< 0 when no HTTP answer came
        QJsonObject body;
    };

    explicit EdgeProcess(const QString &node, const QString &dataDir = QString());

    /// --hub, --cert-server and --token for `hub`.
    static QStringList joinArgs(HubProcess &hub);

    /// Starts with --data-dir, --node, --local-api-port 0, short reconnect waits, then `args`.
    bool start(const QStringList &args, int timeoutMs = 10000);

    QString node() const { return m_node; }
    quint16 apiPort() const { return m_apiPort; }

    /// GET http://127.0.0.1:<api port><path> (the event loop runs meanwhile).
    Reply get(const QString &path, int timeoutMs = 5000);
    /// Polls GET /api/v1/status until "connected" equals `connected`.
    bool waitForConnected(bool connected, int timeoutMs = 10000);

private:
    QString m_node;
    quint16 m_apiPort = 0;
};

} // namespace qedge::test
