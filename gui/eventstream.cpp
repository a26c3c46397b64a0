#include "gui/eventstream.h"

#include "gui/tlspin.h"

#include <QJsonDocument>
#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QUrlQuery>
#include <QWebSocket>

namespace qedge {

namespace {
constexpr int kMaxDelayMs = 30000;
}

EventStream::EventStream(QObject *parent) : QObject(parent)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &EventStream::open);
    // Ticks the "reconnecting in N s" text so the countdown is visible.
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        if (m_state == State::Reconnecting)
            emit stateChanged(m_state, stateText());
    });
}

EventStream::~EventStream()
{
    m_wanted = false;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

void EventStream::setHub(const QUrl &baseUrl, const QByteArray &token, const QString &pin,
                         const QString &node)
{
    m_url = baseUrl;
    m_url.setScheme(baseUrl.scheme() == QLatin1String("http") ? QStringLiteral("ws") : QStringLiteral("wss"));
    m_url.setPath(QStringLiteral("/api/v1/events"));
    if (!node.isEmpty()) {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("node"), node);
        m_url.setQuery(q);
    }
    m_token = token;
    m_pin = pin;
}

void EventStream::start()
{
    m_wanted = true;
    m_fatal = false;
    m_delayMs = m_initialDelayMs;
    open();
}

void EventStream::stop()
{
    m_wanted = false;
    m_retry.stop();
    m_tick.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    setState(State::Disconnected);
}

QString EventStream::stateText() const
{
    switch (m_state) {
    case State::Disconnected:
        return tr("events: off");
    case State::Connecting:
        return tr("events: connecting");
    case State::Connected:
        return tr("events: connected");
    case State::Reconnecting:
        return m_detail.isEmpty()
                   ? tr("events: reconnecting in %1 s").arg(secondsToRetry())
                   : tr("events: reconnecting in %1 s (%2)").arg(secondsToRetry()).arg(m_detail);
    case State::Error:
        return tr("events: error: %1").arg(m_detail);
    }
    return {};
}

int EventStream::secondsToRetry() const
{
    return m_retry.isActive() ? (m_retry.remainingTime() + 999) / 1000 : 0;
}

void EventStream::setState(State s, const QString &detail)
{
    m_state = s;
    m_detail = detail;
    emit stateChanged(s, stateText());
}

void EventStream::open()
{
    if (!m_wanted)
        return;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
    }
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    QWebSocket *ws = m_socket;
    connect(ws, &QWebSocket::connected, this, [this, ws] {
        if (!m_pin.isEmpty() && tlspin::check(ws->sslConfiguration().peerCertificateChain(), m_pin) ==
                                    tlspin::Verdict::Mismatch) {
            m_fatal = true;
            setState(State::Error, tr("the hub's certificate changed"));
            ws->abort();
            return;
        }
        m_delayMs = m_initialDelayMs;
        m_tick.stop();
        setState(State::Connected);
    });
    connect(ws, &QWebSocket::disconnected, this, &EventStream::onDisconnected);
    connect(ws, &QWebSocket::textMessageReceived, this, &EventStream::onText);
    connect(ws, &QWebSocket::sslErrors, this, [this, ws](const QList<QSslError> &errors) {
        const auto chain = tlspin::collectChain(ws->sslConfiguration().peerCertificateChain(), errors);
        switch (tlspin::check(chain, m_pin)) {
        case tlspin::Verdict::Match:
            ws->ignoreSslErrors();
            break;
        case tlspin::Verdict::Unknown:
            m_fatal = true;
            m_detail = tr("the hub's certificate is not trusted yet");
            break;
        case tlspin::Verdict::Mismatch:
            m_fatal = true;
            m_detail = tr("the hub's certificate changed");
            break;
        }
    });
    connect(ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this, ws](QAbstractSocket::SocketError) {
                const QString why = ws->errorString();
                if (why.contains(QLatin1String("401"))) {
                    m_fatal = true;
                    m_detail = tr("the hub refused the token (401)");
                }
                if (ws->state() == QAbstractSocket::UnconnectedState)
                    onDisconnected();
                else if (m_detail.isEmpty())
                    m_detail = why;
            });
    setState(State::Connecting);
    QNetworkRequest req(m_url);
    req.setRawHeader("Authorization", "Bearer " + m_token);
    ws->open(req);
}

void EventStream::onDisconnected()
{
    if (!m_socket)
        return;
    const QString why = m_detail.isEmpty() ? m_socket->errorString() : m_detail;
    m_socket->disconnect(this);
    m_socket->deleteLater();
    m_socket = nullptr;
    if (!m_wanted)
        return;
    if (m_fatal) {
        setState(State::Error, why);
        return;
    }
    scheduleRetry(why);
}

void EventStream::scheduleRetry(const QString &why)
{
    m_retry.start(m_delayMs);
    m_delayMs = qMin(m_delayMs * 2, kMaxDelayMs);
    m_tick.start();
    setState(State::Reconnecting, why);
}

void EventStream::onText(const QString &text)
{
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
    if (!doc.isObject())
        return;
    emit event(HubEvent::fromJson(doc.object()));
}

} // namespace qedge
