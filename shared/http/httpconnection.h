#pragma once

#include "shared/http/limits.h"
#include "shared/http/request.h"
#include "shared/http/requestparser.h"
#include "shared/http/response.h"

#include <QObject>
#include <QTimer>

#include <functional>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace qedge::http {

class Router;

/// Serves HTTP/1.1 on one socket (internal to Server): one request at a time, keep-alive,
/// limits, timeouts, and the hand-off of WebSocket upgrades. Owns the socket and deletes itself
/// when the connection ends.
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    using RejectionCounter = std::function<void(const QString &reason)>;

    HttpConnection(QTcpSocket *socket, const Router &router, const Limits &limits,
                   RejectionCounter countRejection, QObject *parent);
    ~HttpConnection() override;

    /// Called by Responder: answers request number sequence if it is still the one being handled.
    void respond(quint64 sequence, const Response &response);
    bool isWaitingFor(quint64 sequence) const { return m_state == State::Handling && m_sequence == sequence; }

private:
    enum class State { Head, Body, Handling, Closing, HandedOff };
    enum class Deadline { Idle, Request, Closing };

    void process();
    bool readHead();
    bool readBody();
    void dispatch();
    bool isWebSocketUpgrade() const;
    void handOffWebSocket(qsizetype headSize);
    void fail(int status, const QString &reason, const QString &detail);
    void closeAfterWrite();
    void onDeadline();
    void armDeadline(Deadline kind, int ms);
    void resetRequest();

    QTcpSocket *m_socket;
    const Router &m_router;
    Limits m_limits;
    RejectionCounter m_countRejection;
    QTimer m_deadline;
    QTimer m_responderTimer;
    Deadline m_deadlineKind = Deadline::Idle;
    State m_state = State::Head;
    bool m_requestStarted = false;
    bool m_inProcess = false;
    bool m_keepAlive = true;
    quint64 m_sequence = 0;
    qint64 m_expectedBody = 0;
    RequestHead m_head;
    Request m_request;
};

} // namespace qedge::http
