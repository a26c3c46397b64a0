#include "gui/edgeview.h"
#include "gui/mainwindow.h"
#include "gui/profilestore.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("QEdge"));
    QApplication::setApplicationName(QStringLiteral("qedge-console"));
    QApplication::setApplicationVersion(QStringLiteral(QEDGE_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/qedge.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("QEdge desktop console"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption profileOpt(QStringLiteral("profile"),
                                        QStringLiteral("Connect with this saved profile."),
                                        QStringLiteral("name"));
    const QCommandLineOption urlOpt(
        QStringLiteral("hub"), QStringLiteral("Hub admin URL (https://host:10010)."), QStringLiteral("url"));
    const QCommandLineOption tokenFileOpt(QStringLiteral("token-file"),
                                          QStringLiteral("File holding the admin token."),
                                          QStringLiteral("path"));
    const QCommandLineOption pinOpt(QStringLiteral("pin"),
                                    QStringLiteral("SHA-256 fingerprint to trust (skips the question)."),
                                    QStringLiteral("sha256"));
    const QCommandLineOption edgeOpt(QStringLiteral("edge"),
                                     QStringLiteral("Edgehub local API URL to show in the Edge tab."),
                                     QStringLiteral("url"));
    const QCommandLineOption tabOpt(QStringLiteral("tab"),
                                    QStringLiteral("Tab to show first (fleet, overview, events, edge) "
                                                   "or a node id to open."),
                                    QStringLiteral("name"));
    parser.addOptions({profileOpt, urlOpt, tokenFileOpt, pinOpt, edgeOpt, tabOpt});
    parser.process(app);

    qedge::MainWindow window;
    window.show();

    qedge::ProfileStore store;
    if (parser.isSet(urlOpt)) {
        qedge::HubProfile p = store.load(parser.value(profileOpt).isEmpty() ? QStringLiteral("command line")
                                                                            : parser.value(profileOpt));
        p.name =
            parser.value(profileOpt).isEmpty() ? QStringLiteral("command line") : parser.value(profileOpt);
        p.url = QUrl::fromUserInput(parser.value(urlOpt));
        if (parser.isSet(tokenFileOpt)) {
            p.tokenFile = parser.value(tokenFileOpt);
            p.token.clear();
        }
        if (parser.isSet(pinOpt))
            p.pin = parser.value(pinOpt);
        store.save(p);
        window.connectTo(p);
    } else if (parser.isSet(profileOpt)) {
        window.connectTo(store.load(parser.value(profileOpt)));
    } else {
        QTimer::singleShot(0, &window, &qedge::MainWindow::showConnectDialog);
    }
    if (parser.isSet(edgeOpt))
        window.edgeView()->setUrl(QUrl::fromUserInput(parser.value(edgeOpt)));
    if (parser.isSet(tabOpt)) {
        const QString tab = parser.value(tabOpt);
        const QStringList fixed{QStringLiteral("fleet"), QStringLiteral("overview"), QStringLiteral("events"),
                                QStringLiteral("edge")};
        if (fixed.contains(tab)) {
            window.tabs()->setCurrentIndex(int(fixed.indexOf(tab)));
            if (tab == QLatin1String("edge"))
                window.edgeView()->refresh();
        } else {
            QObject::connect(&window, &qedge::MainWindow::connected, &window,
                             [&window, tab] { window.openNode(tab); });
        }
    }
    return app.exec();
}
