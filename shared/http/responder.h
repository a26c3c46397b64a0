#pragma once

#include "shared/http/request.h"
#include "shared/http/response.h"

#include <QPointer>

#include <functional>
#include <memory>

namespace qedge::http {

class HttpConnection;

/// Answers one request, now or later (async handlers). The first send() wins; later ones, and
/// sends after the client left or after the server's safety timeout answered 504, do nothing.
/// Use it from the server's thread.
class Responder
{
public:
    /// Sends the response unless this request was already answered or its connection is gone.
    void send(const Response &response);
    /// True until send() is called.
    bool isAnswered() const { return m_answered; }
    /// True while the connection is open and still waits for this answer.
    bool isPending() const;

private:
    friend class HttpConnection;
    Responder(HttpConnection *connection, quint64 sequence);

    QPointer<HttpConnection> m_connection;
    quint64 m_sequence;
    bool m_answered = false;
};

/// A request handler; it answers through the responder, at once or later.
using Handler = std::function<void(const Request &, std::shared_ptr<Responder>)>;
/// A handler that answers at once.
using SyncHandler = std::function<Response(const Request &)>;

/// Wraps a synchronous handler as a Handler.
Handler makeHandler(SyncHandler handler);

} // namespace qedge::http
