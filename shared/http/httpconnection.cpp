#include "shared/http/httpconnection.h"

#include "shared/http/httplog.h"
#include "shared/http/responder.h"
#include "shared/http/router.h"

#include <QSslSocket>
#include <QTcpSocket>
#include <QUrl>
#include <QWebSocketServer>

namespace qedge::http {

namespace {

// Room above the header limit in the socket's read buffer: a TLS record is up to 16 KiB.
constexpr qint64 ReadBufferSlack = 64 * 1024;
// A pipelining client that does not read its responses stops being served past this.
constexpr qint64 MaxPendingWrite = 1024 * 1024;
// Time a closing connection gets to flush its last response.
constexpr int CloseGraceMs = 5000;

bool hasToken(const QByteArray &list, const QByteArray &token)
{
    const QByteArrayList parts = list.split(',');
    for (const QByteArray &p : parts) {
        if (p.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

HttpConnection::HttpConnection(QTcpSocket *socket, const Router &router, const Limits &limits,
                               RejectionCounter countRejection, QObject *parent)
    : QObject(parent), m_socket(socket), m_router(router), m_limits(limits),
      m_countRejection(std::move(countRejection))
{
    m_socket->setParent(this);
    // Bounds memory per connection: Qt stops reading from the kernel when the buffer is full.
    m_socket->setReadBufferSize(m_limits.maxHeaderBytes + ReadBufferSlack);
    m_deadline.setSingleShot(true);
    m_responderTimer.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, &HttpConnection::onDeadline);
    connect(&m_responderTimer, &QTimer::timeout, this, [this] {
        qCWarning(lcHttp) << "handler for" << m_request.method << m_request.path << "did not answer within"
                          << m_limits.responderTimeoutMs << "ms";
        respond(m_sequence, Response::error(504, QStringLiteral("handler-timeout"),
                                            QStringLiteral("the request was not answered in time")));
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::process);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_state == State::Head && m_socket->bytesToWrite() < MaxPendingWrite)
            process();
    });
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        m_state = State::Closing;
        deleteLater();
    });
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error != QAbstractSocket::RemoteHostClosedError)
            qCDebug(lcHttp) << "connection from" << m_socket->peerAddress()
                            << "failed:" << m_socket->errorString();
        m_state = State::Closing;
        m_socket->abort();
        deleteLater();
    });
    armDeadline(Deadline::Idle, m_limits.idleTimeoutMs);
    // Bytes that arrived with the end of the TLS handshake raised readyRead before we listened.
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::process, Qt::QueuedConnection);
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::process()
{
    if (m_inProcess)
        return; // a synchronous answer re-enters through respond(); the loop below continues
    m_inProcess = true;
    bool progress = true;
    while (progress) {
        switch (m_state) {
        case State::Head:
            progress = readHead();
            break;
        case State::Body:
            progress = readBody();
            break;
        default:
            progress = false;
            break;
        }
    }
    m_inProcess = false;
}

bool HttpConnection::readHead()
{
    // RFC 9112 2.2: ignore empty lines before a request line.
    while (m_socket->bytesAvailable() >= 2 && m_socket->peek(2) == "\r\n")
        m_socket->skip(2);
    const qint64 available = m_socket->bytesAvailable();
    if (available == 0 || m_socket->bytesToWrite() >= MaxPendingWrite)
        return false;
    if (!m_requestStarted) {
        m_requestStarted = true;
        armDeadline(Deadline::Request, m_limits.requestTimeoutMs);
    }

    // Peek, don't read: a WebSocket upgrade is handed on with its request still in the socket.
    const QByteArray data = m_socket->peek(qMin<qint64>(available, m_limits.maxHeaderBytes));
    const qsizetype end = findHeadEnd(data);
    if (end < 0) {
        if (data.size() >= m_limits.maxHeaderBytes)
            fail(431, QStringLiteral("header-too-large"),
                 QStringLiteral("header section over %1 bytes").arg(m_limits.maxHeaderBytes));
        return false;
    }
    HeadParseResult parsed = parseRequestHead(QByteArrayView(data).first(end), m_limits.maxHeaders);
    if (!parsed.ok()) {
        fail(parsed.errorStatus,
             parsed.errorStatus == 431 ? QStringLiteral("header-too-large") : QStringLiteral("bad-request"),
             parsed.errorDetail);
        return false;
    }
    m_head = std::move(parsed.head);
    m_request.method = m_head.method;
    m_request.path = QUrl::fromPercentEncoding(m_head.rawPath);
    m_request.query = QUrlQuery(QString::fromLatin1(m_head.rawQuery));
    m_request.headers = m_head.headers;
    m_request.peer = m_socket->peerAddress();
    if (auto *ssl = qobject_cast<QSslSocket *>(m_socket))
        m_request.peerCertificateChain = ssl->peerCertificateChain();
    const QByteArray connection = m_head.header("connection");
    m_keepAlive =
        m_head.minorVersion >= 1 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");

    if (isWebSocketUpgrade()) {
        handOffWebSocket(end);
        return false;
    }
    m_socket->skip(end);

    // Chunked uploads are refused rather than parsed: no client of ours sends them, and a length
    // known up front lets 413 be decided before any body byte is read.
    if (m_head.headers.contains("transfer-encoding")) {
        fail(411, QStringLiteral("length-required"),
             QStringLiteral("Transfer-Encoding request bodies are not supported; send Content-Length"));
        return false;
    }
    qint64 length = 0;
    if (m_head.headers.contains("content-length")) {
        length = parseContentLength(m_head.header("content-length"));
        if (length < 0) {
            fail(400, QStringLiteral("bad-request"), QStringLiteral("malformed Content-Length"));
            return false;
        }
    }
    if (length > m_limits.maxBodyBytes) {
        fail(413, QStringLiteral("body-too-large"),
             QStringLiteral("body of %1 bytes is over the limit of %2")
                 .arg(length)
                 .arg(m_limits.maxBodyBytes));
        return false;
    }
    const QByteArray expect = m_head.header("expect");
    if (!expect.isEmpty()) {
        if (expect.compare("100-continue", Qt::CaseInsensitive) != 0) {
            fail(417, QStringLiteral("expectation-failed"), QStringLiteral("only 100-continue is supported"));
            return false;
        }
        if (length > 0 && m_socket->bytesAvailable() < length)
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    m_expectedBody = length;
    m_state = State::Body;
    return true;
}

bool HttpConnection::readBody()
{
    const qint64 missing = m_expectedBody - m_request.body.size();
    if (missing > 0) {
        m_request.body += m_socket->read(missing);
        if (m_request.body.size() < m_expectedBody)
            return false;
    }
    m_state = State::Handling;
    m_deadline.stop();
    dispatch();
    return true;
}

void HttpConnection::dispatch()
{
    Router::Match match = m_router.match(m_head.method, m_head.rawPath);
    if (!match.handler) {
        if (match.allowed.isEmpty()) {
            respond(m_sequence, Response::error(404, QStringLiteral("not_found"),
                                                QStringLiteral("no resource at %1").arg(m_request.path)));
        } else {
            Response r = Response::error(
                405, QStringLiteral("method_not_allowed"),
                QStringLiteral("%1 is not allowed here").arg(QString::fromLatin1(m_head.method)));
            r.headers.append({QByteArrayLiteral("Allow"), match.allowed.join(", ")});
            respond(m_sequence, r);
        }
        return;
    }
    m_request.pathParams = std::move(match.params);
    // The handler gets its own copy: a synchronous answer resets m_request while it still runs.
    const Request request = m_request;
    std::shared_ptr<Responder> responder(new Responder(this, m_sequence));
    m_responderTimer.start(m_limits.responderTimeoutMs);
    match.handler(request, std::move(responder));
}

bool HttpConnection::isWebSocketUpgrade() const
{
    const WebSocketRoute &ws = m_router.webSocketRoute();
    return !ws.path.isEmpty() && m_head.method == "GET" && m_request.path == ws.path &&
           hasToken(m_head.header("upgrade"), "websocket");
}

void HttpConnection::handOffWebSocket(qsizetype headSize)
{
    const WebSocketRoute &ws = m_router.webSocketRoute();
    if (!ws.server) {
        m_socket->skip(headSize);
        fail(503, QStringLiteral("unavailable"), QStringLiteral("WebSocket service is not running"));
        return;
    }
    if (m_head.headers.contains("content-length") || m_head.headers.contains("transfer-encoding")) {
        m_socket->skip(headSize);
        fail(400, QStringLiteral("bad-request"), QStringLiteral("upgrade request with a body"));
        return;
    }
    if (ws.accept && !ws.accept(m_request)) {
        m_socket->skip(headSize);
        fail(401, QStringLiteral("websocket-refused"), QStringLiteral("WebSocket upgrade not allowed"));
        return;
    }
    m_state = State::HandedOff;
    m_deadline.stop();
    m_responderTimer.stop();
    QTcpSocket *socket = m_socket;
    m_socket = nullptr;
    disconnect(socket, nullptr, this, nullptr);
    socket->setReadBufferSize(0); // the WebSocket enforces its own frame and message limits
    // The QWebSocketServer deletes the socket when it disconnects; until then it lives with the server.
    socket->setParent(ws.server);
    ws.server->handleConnection(socket);
    deleteLater();
}

void HttpConnection::respond(quint64 sequence, const Response &response)
{
    if (!isWaitingFor(sequence))
        return;
    ++m_sequence;
    m_responderTimer.stop();
    const bool keepAlive = m_keepAlive;
    m_socket->write(response.serialize(keepAlive, m_head.method == "HEAD"));
    if (!keepAlive) {
        closeAfterWrite();
        return;
    }
    resetRequest();
    m_state = State::Head;
    armDeadline(Deadline::Idle, m_limits.idleTimeoutMs);
    if (!m_inProcess)
        process();
}

namespace {
// Rejection reasons are metric labels ("body-too-large"); the JSON error code follows the API
// contract in docs/api.md ("payload_too_large", snake case).
QString apiErrorCode(const QString &reason)
{
    if (reason == QLatin1String("body-too-large"))
        return QStringLiteral("payload_too_large");
    QString code = reason;
    return code.replace(u'-', u'_');
}
} // namespace

void HttpConnection::fail(int status, const QString &reason, const QString &detail)
{
    if (m_countRejection)
        m_countRejection(reason);
    qCDebug(lcHttp) << "closing connection from" << m_socket->peerAddress() << status << reason << detail;
    ++m_sequence;
    m_responderTimer.stop();
    m_socket->write(Response::error(status, apiErrorCode(reason), detail).serialize(false));
    closeAfterWrite();
}

void HttpConnection::closeAfterWrite()
{
    m_state = State::Closing;
    armDeadline(Deadline::Closing, CloseGraceMs);
    m_socket->disconnectFromHost(); // after the buffered response is flushed
}

void HttpConnection::onDeadline()
{
    switch (m_deadlineKind) {
    case Deadline::Idle:
        qCDebug(lcHttp) << "closing idle connection from" << m_socket->peerAddress();
        closeAfterWrite();
        break;
    case Deadline::Request:
        fail(408, QStringLiteral("request-timeout"),
             QStringLiteral("request not complete within %1 ms").arg(m_limits.requestTimeoutMs));
        break;
    case Deadline::Closing:
        m_socket->abort();
        deleteLater();
        break;
    }
}

void HttpConnection::armDeadline(Deadline kind, int ms)
{
    m_deadlineKind = kind;
    m_deadline.start(ms);
}

void HttpConnection::resetRequest()
{
    m_head = RequestHead();
    m_request = Request();
    m_expectedBody = 0;
    m_requestStarted = false;
}

} // namespace qedge::http
