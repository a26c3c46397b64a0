#include "shared/http/responder.h"

#include "shared/http/httpconnection.h"

namespace qedge::http {

Responder::Responder(HttpConnection *connection, quint64 sequence)
    : m_connection(connection), m_sequence(sequence)
{}

void Responder::send(const Response &response)
{
    if (m_answered)
        return;
    m_answered = true;
    if (m_connection)
        m_connection->respond(m_sequence, response);
}

bool Responder::isPending() const
{
    return !m_answered && m_connection && m_connection->isWaitingFor(m_sequence);
}

Handler makeHandler(SyncHandler handler)
{
    return [handler = std::move(handler)](const Request &request, std::shared_ptr<Responder> responder) {
        responder->send(handler(request));
    };
}

} // namespace qedge::http
