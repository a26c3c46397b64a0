#include "shared/servicemain.h"

#ifdef Q_OS_WIN
#include "shared/service_win.h"
#endif

#include "shared/logging.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QTextStream>

#include <cstdio>

namespace qedge {

namespace {

ServiceStart finished(int exitCode)
{
    ServiceStart start;
    start.done = true;
    start.exitCode = exitCode;
    return start;
}

ServiceStart failed(const ServiceOptions &opts, QTextStream &err, const QString &message)
{
    err << opts.appName << ": " << message << Qt::endl;
    return finished(2);
}

} // namespace

ServiceStart parseServiceCommandLine(const ServiceOptions &opts, const QStringList &arguments)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    QStringList args = arguments;
#ifdef Q_OS_WIN
    // The one platform hook of the service front: --install-service / --uninstall-service, and
    // running under the Service Control Manager (its stop request quits the event loop, which
    // runs the same graceful shutdown as SIGTERM on Unix). shared/service_win.cpp.
    const QString serviceName = QStringLiteral("qedge-") + opts.appName;
    if (auto code = WindowsService::handleCommandLine(serviceName, QStringLiteral("QEdge ") + opts.appName, args))
        return finished(*code);
    if (WindowsService::isServiceLaunch(args)) {
        static WindowsService service(serviceName);
        if (!service.start())
            return finished(1);
    }
    args = WindowsService::withoutServiceFlags(args);
#endif
    return parseServiceCommandLine(opts, args, QProcessEnvironment::systemEnvironment(), out, err);
}

ServiceStart parseServiceCommandLine(const ServiceOptions &opts, const QStringList &arguments,
                                     const QProcessEnvironment &env, QTextStream &out, QTextStream &err)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(opts.description);
    const QCommandLineOption help(QStringList{QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help and exit."));
    const QCommandLineOption version(QStringList{QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version and exit."));
    const QCommandLineOption config(QStringList{QStringLiteral("c"), QStringLiteral("config")},
                                    QStringLiteral("Read the INI config FILE (env QEDGE_CONFIG); it must exist."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption logRules(QStringLiteral("log-rules"),
                                      QStringLiteral("Logging filter rules, e.g. \"qedge.*.debug=true\" (env QEDGE_LOG_RULES)."),
                                      QStringLiteral("RULES"));
    const QCommandLineOption printDefault(QStringLiteral("print-default-config"),
                                          QStringLiteral("Print a documented config with every default and exit."));
    parser.addOptions({help, version, config, logRules, printDefault});
    opts.schema.addOptionsTo(parser);

    if (!parser.parse(arguments))
        return failed(opts, err, parser.errorText() + QStringLiteral(" (see --help)"));
    if (parser.isSet(help)) {
        out << parser.helpText();
        out.flush();
        return finished(0);
    }
    if (parser.isSet(version)) {
        out << opts.appName << ' ' << QStringLiteral(QEDGE_VERSION) << Qt::endl;
        return finished(0);
    }
    if (parser.isSet(printDefault)) {
        out << opts.schema.defaultConfigText();
        out.flush();
        return finished(0);
    }
    if (!parser.positionalArguments().isEmpty()) {
        return failed(opts, err, QStringLiteral("unexpected argument \"%1\" (see --help)")
                                     .arg(parser.positionalArguments().constFirst()));
    }

    installLogging(parser.isSet(logRules) ? parser.value(logRules) : env.value(QStringLiteral("QEDGE_LOG_RULES")));

    QString file = parser.isSet(config) ? parser.value(config) : env.value(QStringLiteral("QEDGE_CONFIG"));
    const bool explicitFile = !file.isEmpty();
    if (!explicitFile)
        file = opts.defaultConfigFile;

    Result<Config> loaded = Config::load(opts.schema, file, explicitFile, &parser, env);
    if (!loaded)
        return failed(opts, err, loaded.errorMessage());

    ServiceStart start;
    start.config = std::move(loaded).value();
    return start;
}

void preferScalableEventDispatcher()
{
#ifdef Q_OS_UNIX
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
#endif
}

} // namespace qedge
