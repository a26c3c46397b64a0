#include "shared/http/websocketframe.h"

#include <QTest>

using namespace qedge;

namespace {

// A payload whose bytes differ along its length, so a shifted or cut copy shows.
QByteArray payloadOf(int size)
{
    QByteArray p(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        p[i] = char('a' + i % 26);
    return p;
}

} // namespace

class TestWebSocketFrame : public QObject
{
    Q_OBJECT
private slots:
    void header_data();
    void header();
    void appendKeepsWhatIsThere();
    void inPlaceMatchesCopy_data();
    void inPlaceMatchesCopy();
};

// RFC 6455 §5.2: FIN + opcode 1, mask bit clear, the shortest length form.
void TestWebSocketFrame::header_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("0") << 0 << QByteArray::fromHex("8100");
    QTest::newRow("1") << 1 << QByteArray::fromHex("8101");
    QTest::newRow("125, last 7-bit") << 125 << QByteArray::fromHex("817d");
    QTest::newRow("126, first 16-bit") << 126 << QByteArray::fromHex("817e007e");
    QTest::newRow("65535, last 16-bit") << 65535 << QByteArray::fromHex("817effff");
    QTest::newRow("65536, first 64-bit") << 65536 << QByteArray::fromHex("817f0000000000010000");
    QTest::newRow("70000") << 70000 << QByteArray::fromHex("817f0000000000011170");
}

void TestWebSocketFrame::header()
{
    QFETCH(int, size);
    QFETCH(QByteArray, header);
    const QByteArray payload = payloadOf(size);
    const QByteArray frame = http::textFrame(payload);
    QCOMPARE(frame.size(), header.size() + size);
    QCOMPARE(frame.first(header.size()).toHex(), header.toHex());
    QVERIFY(frame.sliced(header.size()) == payload);
}

void TestWebSocketFrame::appendKeepsWhatIsThere()
{
    QByteArray out("prefix");
    http::appendTextFrame(out, "hi");
    http::appendTextFrame(out, payloadOf(300));
    QCOMPARE(out.first(10), QByteArray("prefix\x81\x02hi"));
    QCOMPARE(out.sliced(10).toHex(), http::textFrame(payloadOf(300)).toHex());
}

void TestWebSocketFrame::inPlaceMatchesCopy_data()
{
    QTest::addColumn<int>("size");
    for (int size : {0, 125, 126, 65535, 65536})
        QTest::addRow("%d", size) << size;
}

void TestWebSocketFrame::inPlaceMatchesCopy()
{
    QFETCH(int, size);
    const QByteArray payload = payloadOf(size);
    QByteArray buffer(http::MaxFrameHeaderBytes, 'X');
    buffer += payload;
    const QByteArrayView frame = http::textFrameInPlace(buffer);
    QVERIFY(frame.data() >= buffer.constData());
    QCOMPARE(frame.data() + frame.size(), buffer.constData() + buffer.size()); // ends with the payload
    QVERIFY(frame.toByteArray() == http::textFrame(payload));
}

QTEST_GUILESS_MAIN(TestWebSocketFrame)
#include "tst_websocketframe.moc"
