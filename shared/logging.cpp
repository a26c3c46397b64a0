#include "shared/logging.h"

#include <QByteArray>
#include <QLoggingCategory>
#include <QProcessEnvironment>

#include <atomic>
#include <cstdio>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace qedge {

namespace {

std::atomic<bool> g_journalPrefix{false};

const char *levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return "debug";
    case QtInfoMsg:
        return "info";
    case QtWarningMsg:
        return "warning";
    case QtCriticalMsg:
        return "critical";
    case QtFatalMsg:
        return "fatal";
    }
    return "info";
}

// syslog priorities, which journald reads from a "<N>" line prefix.
int syslogPriority(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 7;
    case QtInfoMsg:
        return 6;
    case QtWarningMsg:
        return 4;
    case QtCriticalMsg:
        return 3;
    case QtFatalMsg:
        return 2;
    }
    return 6;
}

// journald sets JOURNAL_STREAM to "dev:inode" of the stream it connected to stderr.
bool stderrIsJournal()
{
#ifdef Q_OS_UNIX
    const QString stream = QProcessEnvironment::systemEnvironment().value(QStringLiteral("JOURNAL_STREAM"));
    if (stream.isEmpty())
        return false;
    struct stat st = {};
    if (fstat(STDERR_FILENO, &st) != 0)
        return false;
    return stream == QStringLiteral("%1:%2").arg(quint64(st.st_dev)).arg(quint64(st.st_ino));
#else
    return false;
#endif
}

void writeLine(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    QByteArray line;
    if (g_journalPrefix.load(std::memory_order_relaxed))
        line = '<' + QByteArray::number(syslogPriority(type)) + '>';
    line += formatLogLine(type, context.category, message, QDateTime::currentDateTimeUtc()).toUtf8();
    line += '\n';
    // One fwrite per line keeps lines from different threads whole.
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}

} // namespace

QString defaultLogRules()
{
    return QStringLiteral("qedge.*.debug=false\nqt.*.debug=false\nqt.*.info=false");
}

QString formatLogLine(QtMsgType type, const char *category, const QString &message,
                      const QDateTime &timeUtc)
{
    QString text = message;
    text.replace(QLatin1Char('\n'), QLatin1String("\\n"));
    text.replace(QLatin1Char('\r'), QLatin1String("\\r"));
    return timeUtc.toUTC().toString(Qt::ISODateWithMs) + QLatin1Char(' ')
        + QLatin1String(levelName(type)) + QLatin1Char(' ')
        + QLatin1String(category && *category ? category : "default") + QLatin1String(": ") + text;
}

void installLogging(const QString &rules)
{
    QString extra = rules;
    extra.replace(QLatin1Char(';'), QLatin1Char('\n'));
    QLoggingCategory::setFilterRules(defaultLogRules() + QLatin1Char('\n') + extra);
    g_journalPrefix.store(stderrIsJournal());
    qInstallMessageHandler(writeLine);
}

} // namespace qedge
