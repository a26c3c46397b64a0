// bench_delivery_edges: the edge side of bench_delivery, in its own process.
//
//   bench_delivery_edges --ws-port P --bootstrap URL --token T --nodes N --prefix bench- --cache DIR
//
// Bootstraps one certificate per node through the hub's real bootstrap protocol (once: they are
// cached in DIR and reused while the hub keeps its CA), opens N mTLS WebSocket sessions and acks
// every object message once it is committed to SQLite (WAL, synchronous=NORMAL, as edgehub's
// MetaManager stores it: key, type, value), so delivery is durable on both ends. The messages read in
// one event-loop turn share one commit (group commit); --no-store acks without storing.
// Prints "ready N" when all are up.
// Stdin commands: "phase NAME EXPECTED" starts counting; when EXPECTED messages arrived it prints
// "done NAME COUNT FIRST_US LAST_US P50_US P99_US MAX_US" (latency = receipt - data.sentAtUs).
#include "shared/servicemain.h"
#include "shared/codec.h"
#include "shared/message.h"
#include "shared/storage.h"
#include "tests/support/testedge.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QSslConfiguration>
#include <QTimer>

#include <functional>
#include <memory>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <unistd.h>
#include <vector>

using namespace qedge;

namespace {

const QByteArray Project = "e632aba927ea4ac2b575ec1603d56f10";

qint64 monoUs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct Phase
{
    QByteArray name;
    qint64 expected = 0;
    qint64 count = 0;
    qint64 firstUs = 0;
    qint64 lastUs = 0;
    std::vector<qint64> latencies;
    bool active = false;
};

/// Loads the node's cached identity, or bootstraps and caches it.
bool identityFor(test::TestEdge &edge, const QString &cacheDir, const crypto::Certificate &hubCa,
                 const QUrl &bootstrap, const QString &token)
{
    QFile certFile(cacheDir + u'/' + edge.node() + QStringLiteral(".crt"));
    QFile keyFile(cacheDir + u'/' + edge.node() + QStringLiteral(".key"));
    if (certFile.open(QIODevice::ReadOnly) && keyFile.open(QIODevice::ReadOnly)) {
        auto cert = crypto::Certificate::fromPem(certFile.readAll());
        auto key = crypto::PrivateKey::fromPem(keyFile.readAll());
        if (cert && key) {
            edge.setIdentity(hubCa, cert.value(), key.value());
            return true;
        }
    }
    certFile.close();
    keyFile.close();
    if (Status s = edge.bootstrap(bootstrap, token); !s) {
        std::fprintf(stderr, "bootstrap of %s failed: %s\n", qPrintable(edge.node()),
                     qPrintable(s.errorMessage()));
        return false;
    }
    if (!certFile.open(QIODevice::WriteOnly) || !keyFile.open(QIODevice::WriteOnly))
        return false;
    certFile.write(edge.certificate().toPem());
    keyFile.write(edge.key().toPem());
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    qedge::preferScalableEventDispatcher();
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    const QCommandLineOption wsPort(QStringLiteral("ws-port"), QStringLiteral("edge WebSocket port"),
                                    QStringLiteral("P"));
    const QCommandLineOption bootstrap(QStringLiteral("bootstrap"), QStringLiteral("bootstrap URL"),
                                       QStringLiteral("URL"));
    const QCommandLineOption token(QStringLiteral("token"), QStringLiteral("join token"),
                                   QStringLiteral("T"));
    const QCommandLineOption nodes(QStringLiteral("nodes"), QStringLiteral("node count"),
                                   QStringLiteral("N"));
    const QCommandLineOption prefix(QStringLiteral("prefix"), QStringLiteral("node name prefix"),
                                    QStringLiteral("S"));
    const QCommandLineOption cache(QStringLiteral("cache"), QStringLiteral("certificate cache dir"),
                                   QStringLiteral("DIR"));
    const QCommandLineOption caFile(QStringLiteral("ca"), QStringLiteral("hub CA (PEM)"),
                                    QStringLiteral("FILE"));
    const QCommandLineOption noStore(QStringLiteral("no-store"), QStringLiteral("ack without committing"));
    p.addOptions({wsPort, bootstrap, token, nodes, prefix, cache, caFile, noStore});
    p.process(app);
    const int n = p.value(nodes).toInt();
    const QString cacheDir = p.value(cache);
    QDir().mkpath(cacheDir);
    QFile ca(p.value(caFile));
    if (!ca.open(QIODevice::ReadOnly))
        return 2;
    const auto hubCa = crypto::Certificate::fromPem(ca.readAll());
    if (!hubCa)
        return 2;
    // A cache made for another CA is useless.
    QFile cachedCa(cacheDir + QStringLiteral("/ca.pem"));
    if (!cachedCa.open(QIODevice::ReadOnly) || cachedCa.readAll() != hubCa->toPem()) {
        cachedCa.close();
        for (const QString &f : QDir(cacheDir).entryList({QStringLiteral("*.crt"), QStringLiteral("*.key")}))
            QFile::remove(cacheDir + u'/' + f);
        if (!cachedCa.open(QIODevice::WriteOnly))
            return 2;
        cachedCa.write(hubCa->toPem());
    }
    cachedCa.close();

    // The edges' store: one SQLite file for all simulated nodes, keyed by node and resource.
    std::unique_ptr<Database> store;
    if (!p.isSet(noStore)) {
        const QString path = cacheDir + QStringLiteral("/../edges-store.db");
        for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            QFile::remove(path + suffix);
        auto opened = Database::open(QStringLiteral("sqlite:") + QDir(path).absolutePath(), QStringLiteral("edges"));
        if (!opened || !opened.value()->exec(QStringLiteral("CREATE TABLE meta (key TEXT PRIMARY KEY, "
                                                              "type TEXT NOT NULL, value BLOB NOT NULL)"))) {
            std::fprintf(stderr, "cannot open the edges' store %s: %s\n", qPrintable(path),
                         opened ? "CREATE TABLE failed" : qPrintable(opened.errorMessage()));
            return 2;
        }
        store = std::move(opened.value());
    }
    Phase phase;
    // A message counts for the phase when it is stored (or, with --no-store, received).
    const auto account = [&](qint64 sentUs, qint64 atUs) {
        if (!phase.active)
            return;
        if (phase.count == 0)
            phase.firstUs = atUs;
        phase.lastUs = atUs;
        ++phase.count;
        if (sentUs > 0)
            phase.latencies.push_back(atUs - sentUs);
        if (phase.count == phase.expected) {
            std::sort(phase.latencies.begin(), phase.latencies.end());
            const auto pct = [&](double q) {
                return phase.latencies.empty()
                           ? 0
                           : phase.latencies[size_t(q * double(phase.latencies.size() - 1))];
            };
            std::printf("done %s %lld %lld %lld %lld %lld %lld\n", phase.name.constData(), phase.count,
                        phase.firstUs, phase.lastUs, pct(0.5), pct(0.99),
                        phase.latencies.empty() ? 0 : phase.latencies.back());
            std::fflush(stdout);
            phase.active = false;
        }
    };
    struct Pending
    {
        QWebSocket *socket;
        QString ack;
        QString key;
        QByteArray value;
        qint64 sentUs;
    };
    QList<Pending> pending;
    const auto commitAndAck = [&] {
        QList<QVariantList> rows;
        rows.reserve(pending.size());
        for (const Pending &w : std::as_const(pending))
            rows.append({w.key, QStringLiteral("configmap"), w.value});
        if (Status st = store->execBatch(QStringLiteral("INSERT INTO meta (key, type, value) VALUES (?, ?, ?) "
                                                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
                                         rows);
            !st) {
            std::fprintf(stderr, "edges' store: %s\n", qPrintable(st.errorMessage()));
            pending.clear();
            return; // not acked: the hub writes them again
        }
        const qint64 at = monoUs();
        for (const Pending &w : std::as_const(pending)) {
            w.socket->sendTextMessage(w.ack);
            account(w.sentUs, at);
        }
        pending.clear();
    };

    QList<QWebSocket *> sockets;
    int connected = 0;
    int failed = 0;
    const auto onMessage = [&](QWebSocket *socket, const QString &node, const QString &text) {
        const qint64 at = monoUs();
        auto m = codec::decode(text.toUtf8());
        if (!m || m->group() != QLatin1String("resource") || m->operation() == op::Response)
            return;
        const QString ack =
            QString::fromUtf8(codec::encode(Message::responseTo(m.value(), QStringLiteral("OK"))));
        // Only the stamp is needed: find it in the raw content rather than parsing 1 KiB of JSON.
        const QByteArray &raw = m->rawContent();
        const qsizetype at0 = raw.indexOf("\"sentAtUs\":\"");
        const qint64 sent = at0 < 0 ? 0 : raw.mid(at0 + 12, 20).split('"').value(0).toLongLong();
        if (store) {
            if (pending.isEmpty())
                QMetaObject::invokeMethod(&app, commitAndAck, Qt::QueuedConnection);
            pending.append(Pending{socket, ack, node + u'/' + m->resource(), raw, sent});
        } else {
            socket->sendTextMessage(ack);
            account(sent, at);
        }
    };

    // Identities first: a bootstrap blocks this thread, and sessions opened meanwhile would miss
    // their keepalives and be closed by the hub (what lost sessions at 10,000 nodes).
    QStringList names;
    QList<QSslConfiguration> tls;
    for (int i = 0; i < n; ++i) {
        const QString node = p.value(prefix) + QString::number(i).rightJustified(4, u'0');
        test::TestEdge edge(node);
        if (!identityFor(edge, cacheDir, hubCa.value(), QUrl(p.value(bootstrap)), p.value(token)))
            return 3;
        names.append(node);
        tls.append(edge.sslConfiguration());
        if ((i + 1) % 1000 == 0)
            std::fprintf(stderr, "identities: %d of %d\n", i + 1, n);
    }

    QTimer keepalive;
    QObject::connect(&keepalive, &QTimer::timeout, &app, [&] {
        const QString ka = QString::fromUtf8(codec::encode(Message::create(
            QStringLiteral("edgehub"), QStringLiteral("resource"), op::Keepalive, QStringLiteral("node"))));
        for (QWebSocket *s : std::as_const(sockets))
            if (s->state() == QAbstractSocket::ConnectedState)
                s->sendTextMessage(ka);
    });
    keepalive.start(10000);

    // At most this many handshakes in progress: more than the hub's accept queue and this one
    // thread can finish would only wait, and time out.
    constexpr int MaxHandshakes = 64;
    int next = 0;
    int handshaking = 0;
    std::function<void()> openMore = [&] {
        while (next < n && handshaking < MaxHandshakes) {
            const QString node = names.at(next);
            auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, &app);
            socket->setSslConfiguration(tls.at(next));
            ++next;
            ++handshaking;
            auto up = std::make_shared<bool>(false);
            QObject::connect(socket, &QWebSocket::connected, &app, [&, up] {
                *up = true;
                --handshaking;
                if (++connected + failed == n) {
                    std::printf("ready %d\n", connected);
                    std::fflush(stdout);
                }
                QMetaObject::invokeMethod(&app, openMore, Qt::QueuedConnection);
            });
            QObject::connect(socket, &QWebSocket::disconnected, &app, [&, node, up] {
                std::fprintf(stderr, "edge %s disconnected%s\n", qPrintable(node),
                             *up ? "" : " before the handshake completed");
                ++failed;
                if (!*up) {
                    --handshaking;
                    if (connected + failed == n) {
                        std::printf("ready %d\n", connected);
                        std::fflush(stdout);
                    }
                    QMetaObject::invokeMethod(&app, openMore, Qt::QueuedConnection);
                }
            });
            QObject::connect(socket, &QWebSocket::textMessageReceived, &app,
                             [&, socket, node](const QString &text) { onMessage(socket, node, text); });
            QNetworkRequest req(QUrl(QStringLiteral("wss://127.0.0.1:%1/%2/%3/events")
                                         .arg(p.value(wsPort), QString::fromLatin1(Project), node)));
            req.setRawHeader("node_id", node.toUtf8());
            req.setRawHeader("project_id", Project);
            req.setRawHeader("ConnectionUse", "msg");
            socket->open(req);
            sockets.append(socket);
        }
    };
    openMore();

    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QByteArray buffer;
    QObject::connect(&input, &QSocketNotifier::activated, &app, [&] {
        char chunk[512];
        const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
        if (got <= 0) {
            app.quit();
            return;
        }
        buffer.append(chunk, got);
        qsizetype nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
            const QList<QByteArray> words = buffer.left(nl).split(' ');
            buffer.remove(0, nl + 1);
            if (words.size() == 3 && words.at(0) == "phase") {
                phase = Phase();
                phase.name = words.at(1);
                phase.expected = words.at(2).toLongLong();
                phase.latencies.reserve(size_t(phase.expected));
                phase.active = true;
            }
        }
    });
    return app.exec();
}
