#pragma once

#include <QDateTime>
#include <QString>
#include <QtGlobal>

namespace qedge {

/// Installs the one-line stderr format and the filter rules (separated by ';' or newlines),
/// which apply on top of defaultLogRules(), e.g. "qedge.*.debug=true".
void installLogging(const QString &rules = QString());

/// Info and up for qedge.*, warnings and up for qt.*.
QString defaultLogRules();

/// One line as installLogging() writes it, without the newline:
/// "2026-11-23T08:00:00.123Z info qedge.cloudhub.session: text".
QString formatLogLine(QtMsgType type, const char *category, const QString &message,
                      const QDateTime &timeUtc);

} // namespace qedge
