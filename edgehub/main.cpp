// edgehub: parses arguments, loads config, locks the data dir, runs the edge until SIGTERM.
#include "edgehub/edgeconfig.h"
#include "edgehub/edgehubapp.h"
#include "edgehub/edgelogging.h"
#include "shared/datadirlock.h"
#include "shared/servicemain.h"
#include "shared/shutdown.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("edgehub"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QEDGE_VERSION));

    const qedge::ServiceOptions options{
        QStringLiteral("edgehub"), QStringLiteral("QEdge edgehub: the edge side of the cloud-edge link."),
        qedge::edgeConfigSchema(), QString()};
    qedge::ServiceStart start = qedge::parseServiceCommandLine(options, QCoreApplication::arguments());
    if (start.done)
        return start.exitCode;

    auto settings = qedge::EdgeHub::settingsFrom(start.config);
    if (!settings) {
        std::fprintf(stderr, "edgehub: %s\n", qPrintable(settings.errorMessage()));
        return 2;
    }
    auto lock = qedge::DataDirLock::acquire(settings.value().dataDir, QStringLiteral("edgehub"));
    if (!lock) {
        std::fprintf(stderr, "edgehub: %s\n", qPrintable(lock.errorMessage()));
        return 1;
    }

    qedge::ShutdownWatcher shutdown;
    qedge::EdgeHub edge(settings.value());
    if (qedge::Status s = edge.start(); !s) {
        std::fprintf(stderr, "edgehub: %s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    QObject::connect(&shutdown, &qedge::ShutdownWatcher::shutdownRequested, &app, [&](int) {
        qCInfo(lcEdge) << "stopping";
        edge.stop();
        QCoreApplication::quit();
    });
    qCInfo(lcEdge).noquote()
        << QStringLiteral("edgehub ready: local API http://127.0.0.1:%1").arg(edge.localApiPort());
    return app.exec();
}
