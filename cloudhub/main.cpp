// cloudhub: parses arguments, loads config, builds the hub, runs the event loop.
#include "cloudhub/cloudhub.h"
#include "cloudhub/hubconfig.h"
#include "shared/servicemain.h"
#include "shared/shutdown.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char *argv[])
{
    qedge::preferScalableEventDispatcher();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("cloudhub"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QEDGE_VERSION));

    const qedge::ServiceOptions options{
        QStringLiteral("cloudhub"), QStringLiteral("QEdge cloudhub: the cloud side of the cloud-edge link."),
        qedge::cloud::hubConfigSchema(), QString()};
    qedge::ServiceStart start = qedge::parseServiceCommandLine(options, QCoreApplication::arguments());
    if (start.done)
        return start.exitCode;

    auto hub = qedge::cloud::CloudHub::create(start.config);
    if (!hub) {
        std::fprintf(stderr, "cloudhub: %s\n", qPrintable(hub.errorMessage()));
        return 1;
    }
    if (qedge::Status s = hub.value()->start(); !s) {
        std::fprintf(stderr, "cloudhub: %s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    qedge::ShutdownWatcher shutdown;
    QObject::connect(&shutdown, &qedge::ShutdownWatcher::shutdownRequested, &app, [&](int) {
        hub.value()->stop();
        QCoreApplication::quit();
    });
    return app.exec();
}
