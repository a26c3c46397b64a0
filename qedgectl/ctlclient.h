#pragma once

#include "qedgectl/ctlsettings.h"

#include <QByteArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSslConfiguration>

#include <functional>

namespace qedge::ctl {

/// The outcome of one admin API call, already judged: ok, or one line saying what went wrong.
struct Reply
{
    bool ok = false;
    int status = 0;
    QJsonObject json;
    QByteArray body;
    QString error; ///< one clear line when !ok
    int exitCode = 0;
};

/// Exit codes: API said no, bad usage or input, hub unreachable.
enum ExitCode { ExitOk = 0, ExitApiError = 1, ExitUsage = 2, ExitUnreachable = 3 };

/// Blocking admin API client (a CLI may wait).
class Client
{
public:
    explicit Client(const Settings &settings);

    Reply call(const QByteArray &method, const QString &pathAndQuery, const QByteArray &body = {});
    /// Follows the event stream; prints each event through onEvent until the stream ends.
    /// Returns an exit code (the stream never ends on its own while the hub runs).
    int follow(const QString &query, const std::function<void(const QJsonObject &)> &onEvent);

private:
    Settings m_settings;
    QSslConfiguration m_tls;
    QNetworkAccessManager m_nam;
};

} // namespace qedge::ctl
