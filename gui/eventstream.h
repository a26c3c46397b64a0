#pragma once

#include "gui/apitypes.h"

#include <QObject>
#include <QTimer>
#include <QUrl>

class QWebSocket;

namespace qedge {

/// The admin event stream (GET /api/v1/events as a WebSocket) that reconnects by itself with
/// exponential backoff (1 s doubling up to 30 s) and tells the UI what it is doing.
class EventStream : public QObject
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Connected, Reconnecting, Error };
    Q_ENUM(State)

    explicit EventStream(QObject *parent = nullptr);
    ~EventStream() override;

    /// Hub base URL (https://...), bearer token, pinned fingerprint; node filters to one node.
    void setHub(const QUrl &baseUrl, const QByteArray &token, const QString &pinnedFingerprint,
                const QString &node = QString());
    void start();
    void stop();

    State state() const { return m_state; }
    /// "connected", "reconnecting in 4 s (...)", "error: ..." for the status bar.
    QString stateText() const;
    /// Seconds until the next attempt while Reconnecting.
    int secondsToRetry() const;
    /// The delay before the next retry, for tests.
    int nextDelayMs() const { return m_delayMs; }
    void setInitialDelay(int ms)
    {
        m_initialDelayMs = ms;
        m_delayMs = ms;
    }

signals:
    void event(const qedge::HubEvent &event);
    void stateChanged(qedge::EventStream::State state, const QString &text);

private:
    void open();
    void onDisconnected();
    void onText(const QString &text);
    void setState(State s, const QString &detail = QString());
    void scheduleRetry(const QString &why);

    QWebSocket *m_socket = nullptr;
    QUrl m_url;
    QByteArray m_token;
    QString m_pin;
    State m_state = State::Disconnected;
    QString m_detail;
    QTimer m_retry;
    QTimer m_tick;
    int m_initialDelayMs = 1000;
    int m_delayMs = 1000;
    bool m_wanted = false;
    bool m_fatal = false;
};

} // namespace qedge
