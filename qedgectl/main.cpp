// qedgectl: command-line client of the QEdge cloudhub admin API (docs/api.md).
#include "qedgectl/commands.h"
#include "qedgectl/ctlclient.h"
#include "qedgectl/ctlsettings.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using namespace qedge::ctl;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("qedgectl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QEDGE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Command-line client of the QEdge cloudhub admin API.\n\n"
        "Commands:\n"
        "  nodes                                  list nodes\n"
        "  get NODE [TYPE [NAMESPACE/NAME]]       a node, its objects of a type, or one object\n"
        "  apply -f FILE|- --node N[,N]           create or update the JSON object(s) in FILE on nodes\n"
        "  delete NODE NAMESPACE/TYPE/NAME        delete an object from a node\n"
        "  queue NODE                             the node's delivery queue\n"
        "  token create [--ttl S] [--node N]      a join token (for one node with --node)\n"
        "  events --follow [--node N]             follow the hub's event stream\n"
        "  events --node N                        events the node sent that the hub stored\n\n"
        "Hub URL and token: flags, else QEDGECTL_HUB / QEDGECTL_TOKEN / QEDGECTL_TOKEN_FILE / QEDGECTL_CACERT,\n"
        "else ~/.config/qedge/qedgectl.conf (or QEDGECTL_CONFIG) with keys hub, token, token_file, cacert.\n"
        "Exit codes: 0 ok, 1 the hub refused (4xx/5xx), 2 bad usage or input, 3 hub unreachable."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption hub(QStringLiteral("hub"), QStringLiteral("Admin API URL (https://host:10010)."), QStringLiteral("URL"));
    const QCommandLineOption token(QStringLiteral("token"), QStringLiteral("Bearer token."), QStringLiteral("T"));
    const QCommandLineOption tokenFile(QStringLiteral("token-file"), QStringLiteral("File holding the bearer token."), QStringLiteral("F"));
    const QCommandLineOption cacert(QStringLiteral("cacert"), QStringLiteral("The hub CA (DATA_DIR/pki/ca.crt)."), QStringLiteral("FILE"));
    const QCommandLineOption output({QStringLiteral("o"), QStringLiteral("output")}, QStringLiteral("table (default) or json."),
                                    QStringLiteral("FORMAT"), QStringLiteral("table"));
    const QCommandLineOption file({QStringLiteral("f"), QStringLiteral("filename")}, QStringLiteral("apply: JSON file, - for stdin."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption node(QStringLiteral("node"), QStringLiteral("Target node(s), comma separated."), QStringLiteral("N"));
    const QCommandLineOption ttl(QStringLiteral("ttl"), QStringLiteral("token create: lifetime in seconds."), QStringLiteral("S"));
    const QCommandLineOption follow(QStringLiteral("follow"), QStringLiteral("events: keep streaming."));
    parser.addOptions({hub, token, tokenFile, cacert, output, file, node, ttl, follow});
    if (!parser.parse(QCoreApplication::arguments())) {
        std::fprintf(stderr, "qedgectl: %s (see qedgectl --help)\n", qPrintable(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(0);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();

    Invocation inv;
    inv.args = parser.positionalArguments();
    const QString format = parser.value(output);
    if (format != QLatin1String("table") && format != QLatin1String("json")) {
        std::fprintf(stderr, "qedgectl: -o must be table or json, not \"%s\"\n", qPrintable(format));
        return ExitUsage;
    }
    inv.json = format == QLatin1String("json");
    inv.file = parser.value(file);
    for (const QString &n : parser.values(node))
        inv.nodes += n.split(u',', Qt::SkipEmptyParts);
    inv.follow = parser.isSet(follow);
    if (parser.isSet(ttl)) {
        bool ok = false;
        inv.ttl = parser.value(ttl).toLongLong(&ok);
        if (!ok || inv.ttl < 1) {
            std::fprintf(stderr, "qedgectl: --ttl must be a whole number of seconds, at least 1\n");
            return ExitUsage;
        }
    }

    const Settings settings =
        Settings::resolve({parser.value(hub), parser.value(token), parser.value(tokenFile), parser.value(cacert)});
    if (!settings.error.isEmpty()) {
        std::fprintf(stderr, "qedgectl: %s\n", qPrintable(settings.error));
        return ExitUsage;
    }
    Client client(settings);
    return Commands(client, inv).run();
}
