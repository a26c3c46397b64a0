// EventStream: node filter, and a client that stops reading costs bounded memory and is told how
// many events it missed. A raw TCP WebSocket client, so reading can really stop.
#include "cloudhub/eventstream.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

using namespace qedge::cloud;

namespace {

/// Upgrades a plain TCP socket by hand; true once the 101 arrived.
bool upgrade(QTcpSocket &s, quint16 port, const QByteArray &query)
{
    // The server lives in this thread: wait with the event loop running.
    s.connectToHost(QHostAddress::LocalHost, port);
    for (int i = 0; i < 300 && s.state() != QAbstractSocket::ConnectedState; ++i)
        QTest::qWait(10);
    s.write("GET /api/v1/events" + query +
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray head;
    for (int i = 0; i < 300 && !head.contains("\r\n\r\n"); ++i) {
        while (!head.contains("\r\n\r\n") && s.bytesAvailable() > 0)
            head += s.read(1); // byte by byte: nothing after the head may be consumed here
        if (!head.contains("\r\n\r\n"))
            QTest::qWait(10);
    }
    return head.startsWith("HTTP/1.1 101");
}

/// Unmasked server frames -> text payloads; returns the complete ones and keeps the rest in buf.
QList<QByteArray> frames(QByteArray &buf)
{
    QList<QByteArray> out;
    qsizetype pos = 0;
    for (;;) {
        const qsizetype left = buf.size() - pos;
        if (left < 2)
            break;
        qint64 len = quint8(buf.at(pos + 1)) & 0x7f;
        int header = 2;
        if (len == 126) {
            if (left < 4)
                break;
            len = (qint64(quint8(buf.at(pos + 2))) << 8) | quint8(buf.at(pos + 3));
            header = 4;
        } else if (len == 127) {
            if (left < 10)
                break;
            len = 0;
            for (int i = 2; i < 10; ++i)
                len = (len << 8) | quint8(buf.at(pos + i));
            header = 10;
        }
        if (left < header + len)
            break;
        out.append(buf.mid(pos + header, len));
        pos += header + len;
    }
    buf.remove(0, pos); // once: removing frame by frame is quadratic on megabytes
    return out;
}

QJsonObject makeEvent(const QString &node, int i)
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("resource.queued")},
                       {QStringLiteral("node"), node},
                       {QStringLiteral("seq"), i},
                       {QStringLiteral("pad"), QString(200, u'x')}};
}

} // namespace

class TestEventStream : public QObject
{
    Q_OBJECT

private slots:
    void filtersByNode();
    void slowClientMissesEventsAndIsTold();
};

void TestEventStream::filtersByNode()
{
    EventStream stream;
    QVERIFY(stream.server()->listen(QHostAddress::LocalHost, 0));
    QTcpSocket all, one;
    QVERIFY(upgrade(all, stream.server()->serverPort(), {}));
    QVERIFY(upgrade(one, stream.server()->serverPort(), "?node=edge-2"));
    QTRY_COMPARE(stream.clientCount(), 2);
    stream.publish(makeEvent(QStringLiteral("edge-1"), 1));
    stream.publish(makeEvent(QStringLiteral("edge-2"), 2));
    QByteArray a, b;
    QList<QByteArray> fa, fb;
    QTRY_VERIFY((a += all.readAll(), fa += frames(a), fa.size() == 2));
    QTRY_VERIFY((b += one.readAll(), fb += frames(b), fb.size() == 1));
    QCOMPARE(QJsonDocument::fromJson(fb.at(0)).object().value(QStringLiteral("seq")).toInt(), 2);
    QVERIFY(
        QJsonDocument::fromJson(fa.at(0)).object().value(QStringLiteral("time")).toString().endsWith(u'Z'));
    QTest::qWait(100);
    b += one.readAll();
    QCOMPARE(frames(b).size(), 0);
}

void TestEventStream::slowClientMissesEventsAndIsTold()
{
    constexpr qint64 Limit = 64 * 1024;
    EventStream stream(Limit);
    QVERIFY(stream.server()->listen(QHostAddress::LocalHost, 0));
    QTcpSocket slow;
    QVERIFY(upgrade(slow, stream.server()->serverPort(), {}));
    QTRY_COMPARE(stream.clientCount(), 1);
    // The client reads nothing now: the kernel buffers fill, then the hub's, up to the limit.
    slow.setReadBufferSize(1);
    constexpr int Published = 60000; // ~15 MB of events, beyond any loopback buffering
    for (int i = 0; i < Published; ++i) {
        stream.publish(makeEvent(QStringLiteral("edge-1"), i));
        if (i % 500 == 0)
            QCoreApplication::processEvents();
    }
    QVERIFY2(stream.droppedTotal() > 0, "a client that stopped reading missed nothing");
    const quint64 dropped = stream.droppedTotal();

    // It reads again: it gets what was buffered, then the count of what it missed (without any new
    // event to carry it), then new events.
    slow.setReadBufferSize(0);
    QByteArray buf;
    QList<QByteArray> got;
    const auto isDropped = [](const QByteArray &f) {
        return QJsonDocument::fromJson(f).object().value(QStringLiteral("type")) == QLatin1String("dropped");
    };
    QTRY_VERIFY_WITH_TIMEOUT(
        (buf += slow.readAll(), got += frames(buf), !got.isEmpty() && isDropped(got.last())), 20000);
    stream.publish(makeEvent(QStringLiteral("edge-1"), Published));
    QTRY_VERIFY_WITH_TIMEOUT(
        (buf += slow.readAll(), got += frames(buf),
         QJsonDocument::fromJson(got.last()).object().value(QStringLiteral("seq")).toInt() == Published),
        5000);
    int events = 0;
    quint64 toldDropped = 0;
    for (const QByteArray &f : std::as_const(got)) {
        const QJsonObject o = QJsonDocument::fromJson(f).object();
        if (isDropped(f))
            toldDropped += quint64(o.value(QStringLiteral("count")).toDouble());
        else
            ++events;
    }
    QCOMPARE(toldDropped, dropped);
    QCOMPARE(quint64(events) + dropped, quint64(Published + 1));
}

QTEST_GUILESS_MAIN(TestEventStream)
#include "tst_eventstream.moc"
