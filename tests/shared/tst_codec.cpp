#include "shared/codec.h"

#include <QJsonObject>
#include <QTest>

using namespace qedge;

namespace {

const QString kPodId = QStringLiteral("6f0b3c1e-2d5a-4c1e-9f4b-0a1b2c3d4e5f");
const QString kAckId = QStringLiteral("0c9d8e7f-6a5b-4c3d-8e2f-1a2b3c4d5e6f");

Message makeMessage(const QString &id, qint64 timestamp, const char *source, const char *group,
                    const char *operation, const char *resource, const QByteArray &content)
{
    Message m;
    m.header().id = id;
    m.header().timestamp = timestamp;
    m.setSource(QString::fromUtf8(source))
        .setGroup(QString::fromUtf8(group))
        .setOperation(QString::fromUtf8(operation))
        .setResource(QString::fromUtf8(resource))
        .setRawContent(content);
    return m;
}

// A minimal valid envelope whose route.resource is the given JSON string body.
QByteArray withResource(const QString &resource)
{
    Message m = makeMessage(QStringLiteral("id"), 1, "s", "g", "o", "", "null");
    m.setResource(resource);
    return codec::encode(m);
}

QByteArray frameWithContent(const QByteArray &content)
{
    return QByteArrayLiteral(R"({"header":{"msg_id":"a","timestamp":1},"content":)") + content +
           QByteArrayLiteral("}");
}

} // namespace

class TestCodec : public QObject
{
    Q_OBJECT
private slots:
    void goldenFrames_data();
    void goldenFrames();
    void omitsEmptyFieldsAndSync();
    void roundTrip_data();
    void roundTrip();
    void escapingInStrings_data();
    void escapingInStrings();
    void escapingInContent_data();
    void escapingInContent();
    void largeContentAcrossChunks_data();
    void largeContentAcrossChunks();
    void timestampExtremes_data();
    void timestampExtremes();
    void tolerantDecoding_data();
    void tolerantDecoding();
    void contentKeptByteForByte();
    void malformed_data();
    void malformed();
    void everyTruncationFails();
    void nestingLimitIsExact();
    void errorCodes();
};

// Reference §1.4: the three frames a Go hub sends, byte for byte.
void TestCodec::goldenFrames_data()
{
    QTest::addColumn<Message>("message");
    QTest::addColumn<QByteArray>("expected");

    // The pod content is given pretty-printed: the encoder must compact it as Go does.
    const QByteArray pod = R"({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": "nginx-7d9c", "namespace": "default",
                     "uid": "3f1e2d4c-5b6a-4798-8a7b-6c5d4e3f2a1b", "resourceVersion": "81234"},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]},
        "status": {"phase": "Pending"}
    })";
    Message insert = makeMessage(kPodId, 1754460000123, "edgecontroller", "resource", "insert",
                                 "default/pod/nginx-7d9c", pod);
    insert.setResourceVersion(QStringLiteral("81234"));
    QTest::newRow("pod insert")
        << insert
        << QByteArray(
               R"({"header":{"msg_id":"6f0b3c1e-2d5a-4c1e-9f4b-0a1b2c3d4e5f","timestamp":1754460000123,"resourceversion":"81234"},)"
               R"("route":{"source":"edgecontroller","group":"resource","operation":"insert","resource":"default/pod/nginx-7d9c"},)"
               R"("content":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"nginx-7d9c","namespace":"default",)"
               R"("uid":"3f1e2d4c-5b6a-4798-8a7b-6c5d4e3f2a1b","resourceVersion":"81234"},)"
               R"("spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80}]}]},)"
               R"("status":{"phase":"Pending"}}})"
               "\n");

    Message ack = makeMessage(kAckId, 1754460000456, "edgecontroller", "resource", "response",
                              "default/pod/nginx-7d9c", "\"OK\"");
    ack.setParentId(kPodId);
    QTest::newRow("metamanager ack")
        << ack
        << QByteArray(
               R"({"header":{"msg_id":"0c9d8e7f-6a5b-4c3d-8e2f-1a2b3c4d5e6f","parent_msg_id":"6f0b3c1e-2d5a-4c1e-9f4b-0a1b2c3d4e5f","timestamp":1754460000456},)"
               R"("route":{"source":"edgecontroller","group":"resource","operation":"response","resource":"default/pod/nginx-7d9c"},)"
               R"("content":"OK"})"
               "\n");

    const Message keepalive =
        makeMessage(kAckId, 1754460001000, "websocket", "resource", "keepalive", "node", "\"ping\"");
    QTest::newRow("keepalive")
        << keepalive
        << QByteArray(
               R"({"header":{"msg_id":"0c9d8e7f-6a5b-4c3d-8e2f-1a2b3c4d5e6f","timestamp":1754460001000},)"
               R"("route":{"source":"websocket","group":"resource","operation":"keepalive","resource":"node"},"content":"ping"})"
               "\n");
}

void TestCodec::goldenFrames()
{
    QFETCH(Message, message);
    QFETCH(QByteArray, expected);
    QCOMPARE(codec::encode(message), expected);
    // Headroom for a frame header only shifts the JSON.
    QCOMPARE(codec::encode(message, 10).sliced(10), expected);

    const Result<Message> decoded = codec::decode(expected);
    QVERIFY2(decoded.ok(), qPrintable(decoded.errorMessage()));
    QCOMPARE(decoded->header(), message.header());
    QCOMPARE(decoded->route(), message.route());
    QCOMPARE(codec::encode(decoded.value()), expected);
}

void TestCodec::omitsEmptyFieldsAndSync()
{
    Message m;
    QCOMPARE(codec::encode(m),
             QByteArray(R"({"header":{"msg_id":"","timestamp":0},"route":{},"content":null})"
                        "\n"));

    m.header().sync = true;
    m.header().type = QStringLiteral("channel");
    m.route().destination = QStringLiteral("edged");
    m.setRawContent(QByteArray());
    QCOMPARE(
        codec::encode(m),
        QByteArray(
            R"({"header":{"msg_id":"","timestamp":0,"type":"channel"},"route":{"destination":"edged"},"content":null})"
            "\n"));

    m.setRawContent(" \n\t ");
    QVERIFY(codec::encode(m).endsWith(R"("content":null})"
                                      "\n"));
}

void TestCodec::roundTrip_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::newRow("object") << QByteArray(R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})");
    QTest::newRow("empty object") << QByteArray("{}");
    QTest::newRow("array") << QByteArray(R"(["x","y",[],{}])");
    QTest::newRow("string") << QByteArray(R"("OK")");
    QTest::newRow("string holding json")
        << QByteArray(R"("{\"twin\":{\"temp\":{\"actual\":{\"value\":\"21\"}}}}")");
    QTest::newRow("integer") << QByteArray("42");
    QTest::newRow("number kept as written") << QByteArray("-1.50E+010");
    QTest::newRow("big number kept") << QByteArray("123456789012345678901234567890");
    QTest::newRow("null") << QByteArray("null");
    QTest::newRow("bool") << QByteArray("true");
    QTest::newRow("unicode") << QByteArray(
        "\"gr\xc3\xbc\xc3\x9f \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"");
}

void TestCodec::roundTrip()
{
    QFETCH(QByteArray, content);
    Message m =
        makeMessage(kPodId, 1754460000123, "edgecontroller", "resource", "update", "ns/configmap/c", content);
    m.setParentId(kAckId).setResourceVersion(QStringLiteral("18446744073709551615"));
    m.header().type = QStringLiteral("channel");
    m.route().destination = QStringLiteral("metamanager");
    m.route().resource = QStringLiteral("ns/secret/\u00e4\u20ac\U0001F600 <&>\n\"\\");

    const QByteArray wire = codec::encode(m);
    QVERIFY(wire.endsWith('\n'));
    const Result<Message> back = codec::decode(wire);
    QVERIFY2(back.ok(), qPrintable(back.errorMessage()));
    QCOMPARE(back.value(), m);
    QCOMPARE(codec::encode(back.value()), wire);
}

// Go encoding/json with HTML escaping: one row per rule, applied to a header/route string.
void TestCodec::escapingInStrings_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("quote") << QStringLiteral("a\"b") << QByteArray(R"("a\"b")");
    QTest::newRow("backslash") << QStringLiteral("a\\b") << QByteArray(R"("a\\b")");
    QTest::newRow("slash kept") << QStringLiteral("a/b") << QByteArray(R"("a/b")");
    QTest::newRow("newline") << QStringLiteral("\n") << QByteArray(R"("\n")");
    QTest::newRow("return") << QStringLiteral("\r") << QByteArray(R"("\r")");
    QTest::newRow("tab") << QStringLiteral("\t") << QByteArray(R"("\t")");
    QTest::newRow("backspace") << QStringLiteral("\b") << QByteArray(R"("\b")");
    QTest::newRow("form feed") << QStringLiteral("\f") << QByteArray(R"("\f")");
    QTest::newRow("nul") << QString(QChar(0)) << QByteArray(R"("\u0000")");
    QTest::newRow("0x01") << QStringLiteral("\x01") << QByteArray(R"("\u0001")");
    QTest::newRow("0x1f lower-case hex") << QStringLiteral("\x1f") << QByteArray(R"("\u001f")");
    QTest::newRow("0x1b") << QStringLiteral("\x1b") << QByteArray(R"("\u001b")");
    QTest::newRow("del kept") << QStringLiteral("\x7f") << QByteArray("\"\x7f\"");
    QTest::newRow("less") << QStringLiteral("<") << QByteArray(R"("\u003c")");
    QTest::newRow("greater") << QStringLiteral(">") << QByteArray(R"("\u003e")");
    QTest::newRow("ampersand") << QStringLiteral("&") << QByteArray(R"("\u0026")");
    QTest::newRow("U+2028") << QStringLiteral("\u2028") << QByteArray(R"("\u2028")");
    QTest::newRow("U+2029") << QStringLiteral("\u2029") << QByteArray(R"("\u2029")");
    QTest::newRow("2-byte utf8 raw") << QStringLiteral("\u00e9") << QByteArray("\"\xc3\xa9\"");
    QTest::newRow("3-byte utf8 raw") << QStringLiteral("\u20ac") << QByteArray("\"\xe2\x82\xac\"");
    QTest::newRow("U+FFFD raw") << QStringLiteral("\ufffd") << QByteArray("\"\xef\xbf\xbd\"");
    QTest::newRow("astral raw") << QStringLiteral("\U0001F600") << QByteArray("\"\xf0\x9f\x98\x80\"");
    QTest::newRow("lone surrogate") << QString(QChar(0xD800)) << QByteArray(R"("\ufffd")");
    QTest::newRow("html in text") << QStringLiteral("<a href=\"x\">&amp;</a>")
                                  << QByteArray(R"("\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e")");
}

void TestCodec::escapingInStrings()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, json);
    const QByteArray wire = withResource(text);
    const QByteArray needle = QByteArrayLiteral("\"resource\":") + json + QByteArrayLiteral("}");
    QVERIFY2(wire.contains(needle), wire.constData());

    const Result<Message> back = codec::decode(wire);
    QVERIFY2(back.ok(), qPrintable(back.errorMessage()));
    if (!text.contains(QChar(0xD800)))
        QCOMPARE(back->resource(), text);
}

// The raw content is compacted and gets Go's HTML/U+2028 escaping inside its strings.
void TestCodec::escapingInContent_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("whitespace outside strings dropped")
        << QByteArray(" {\r\n\t\"a\" : [ 1 , 2 ] ,\n \"b\" : { } } ") << QByteArray(R"({"a":[1,2],"b":{}})");
    QTest::newRow("whitespace inside strings kept")
        << QByteArray(R"({ "a b" : " x  y " })") << QByteArray(R"({"a b":" x  y "})");
    QTest::newRow("html escaped") << QByteArray(R"("<b>&</b>")")
                                  << QByteArray(R"("\u003cb\u003e\u0026\u003c/b\u003e")");
    QTest::newRow("html in keys") << QByteArray(R"({"<":1})") << QByteArray(R"({"\u003c":1})");
    QTest::newRow("escapes kept as written") << QByteArray(R"("\" \\ \/ \n \u00e9 \uD83D\uDE00")")
                                             << QByteArray(R"("\" \\ \/ \n \u00e9 \uD83D\uDE00")");
    QTest::newRow("escaped quote does not end string")
        << QByteArray(R"([ "a\" , b" , 1 ])") << QByteArray(R"(["a\" , b",1])");
    QTest::newRow("U+2028 raw") << QByteArray("\"a\xe2\x80\xa8"
                                              "b\xe2\x80\xa9\"")
                                << QByteArray(R"("a\u2028b\u2029")");
    QTest::newRow("other 3-byte kept") << QByteArray("\"\xe2\x80\xa7\"") << QByteArray("\"\xe2\x80\xa7\"");
    QTest::newRow("invalid byte") << QByteArray("\"a\xff"
                                                "b\"")
                                  << QByteArray(R"("a\ufffdb")");
    QTest::newRow("truncated sequence") << QByteArray("\"\xe2\x82\"") << QByteArray(R"("\ufffd\ufffd")");
    QTest::newRow("overlong") << QByteArray("\"\xc0\xaf\"") << QByteArray(R"("\ufffd\ufffd")");
    QTest::newRow("encoded surrogate")
        << QByteArray("\"\xed\xa0\x80\"") << QByteArray(R"("\ufffd\ufffd\ufffd")");
    QTest::newRow("beyond U+10FFFF") << QByteArray("\"\xf4\x90\x80\x80\"")
                                     << QByteArray(R"("\ufffd\ufffd\ufffd\ufffd")");
    QTest::newRow("numbers as written")
        << QByteArray("[ 1.0 , -0 , 1e400 , 0.000001 ]") << QByteArray("[1.0,-0,1e400,0.000001]");
}

void TestCodec::escapingInContent()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, encoded);
    Message m;
    m.setRawContent(raw);
    const QByteArray tail = "\"content\":" + encoded + "}\n";
    const QByteArray wire = codec::encode(m);
    QVERIFY2(wire.endsWith(tail), wire.constData());

    // The raw text as it arrives on the wire is accepted and re-encodes the same way.
    const Result<Message> back = codec::decode(frameWithContent(raw));
    QVERIFY2(back.ok(), qPrintable(back.errorMessage()));
    QCOMPARE(back->rawContent(), raw.trimmed()); // the span of the value, without surrounding space
    QVERIFY(codec::encode(back.value()).endsWith(tail));
}

// Content is encoded in chunks: escapes, multi-byte sequences and growth must survive the seams.
void TestCodec::largeContentAcrossChunks_data()
{
    QTest::addColumn<QByteArray>("unit");
    QTest::addColumn<int>("repeat");
    QTest::newRow("every byte escaped") << QByteArray("<") << 30000;
    QTest::newRow("mixed, odd length")
        << QByteArray("\xc3\xa9<\xe2\x80\xa8\\\"a\xf0\x9f\x98\x80 \xff") << 5000;
    QTest::newRow("escape at seams") << QByteArray("abc\\\"") << 4000;
}

void TestCodec::largeContentAcrossChunks()
{
    QFETCH(QByteArray, unit);
    QFETCH(int, repeat);
    const QByteArray body = unit.repeated(repeat);
    QByteArray expected = body;
    expected.replace("<", "\\u003c").replace("\xe2\x80\xa8", "\\u2028").replace("\xff", "\\ufffd");

    Message m;
    m.setRawContent("[ \"" + body + "\" , 1 ]");
    const QByteArray wire = codec::encode(m);
    const QByteArray tail = "\"content\":[\"" + expected + "\",1]}\n";
    QCOMPARE(wire, QByteArray(R"({"header":{"msg_id":"","timestamp":0},"route":{},)" + tail));
    QCOMPARE(wire.capacity(), wire.size());          // no 6x worst-case buffer kept around
    QCOMPARE(codec::encode(m, 10).sliced(10), wire); // the buffer grows with the headroom counted
}

void TestCodec::timestampExtremes_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<qint64>("value");
    QTest::newRow("zero") << QByteArray("0") << qint64(0);
    QTest::newRow("minus zero") << QByteArray("-0") << qint64(0);
    QTest::newRow("negative") << QByteArray("-1") << qint64(-1);
    QTest::newRow("max") << QByteArray("9223372036854775807") << std::numeric_limits<qint64>::max();
    QTest::newRow("min") << QByteArray("-9223372036854775808") << std::numeric_limits<qint64>::min();
}

void TestCodec::timestampExtremes()
{
    QFETCH(QByteArray, json);
    QFETCH(qint64, value);
    const Result<Message> m = codec::decode(QByteArray("{\"header\":{\"timestamp\":" + json + "}}"));
    QVERIFY2(m.ok(), qPrintable(m.errorMessage()));
    QCOMPARE(m->header().timestamp, value);
    const QByteArray canonical = json == "-0" ? QByteArray("0") : json;
    QVERIFY(codec::encode(m.value()).contains(QByteArray(",\"timestamp\":" + canonical + "},")));
}

void TestCodec::tolerantDecoding_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("operation");
    QTest::addColumn<QByteArray>("content");

    QTest::newRow("reordered keys")
        << QByteArray(
               R"({"content":"x","route":{"resource":"r","operation":"op"},"header":{"timestamp":5,"msg_id":"m"}})")
        << QStringLiteral("m") << QStringLiteral("op") << QByteArray(R"("x")");
    QTest::newRow("unknown keys of every kind")
        << QByteArray(
               R"({"extra":{"deep":[1,{"x":[null,true,false,-1.5e-3,"s\u00e9"]}]},"header":{"msg_id":"m","node_id":"n","x":[],"timestamp":1},)"
               R"("route":{"router":{},"operation":"op","zz":"\"}"},"content":1,"tail":null})")
        << QStringLiteral("m") << QStringLiteral("op") << QByteArray("1");
    QTest::newRow("whitespace everywhere")
        << QByteArray(" \r\n\t{ \"header\" :\n{ \"msg_id\" : \"m\" , \"timestamp\" : 1 } ,\t\"route\" : { "
                      "\"operation\" : \"op\" } , \"content\" : [ 1 , 2 ] }\r\n \n")
        << QStringLiteral("m") << QStringLiteral("op") << QByteArray("[ 1 , 2 ]");
    QTest::newRow("missing content is null")
        << QByteArray(R"({"header":{"msg_id":"m"},"route":{"operation":"op"}})") << QStringLiteral("m")
        << QStringLiteral("op") << QByteArray("null");
    QTest::newRow("missing route") << QByteArray(R"({"header":{"msg_id":"m"},"content":{}})")
                                   << QStringLiteral("m") << QString() << QByteArray("{}");
    QTest::newRow("null route and optional fields")
        << QByteArray(
               R"({"header":{"msg_id":"m","parent_msg_id":null,"resourceversion":null,"sync":null,"type":null},"route":null})")
        << QStringLiteral("m") << QString() << QByteArray("null");
    QTest::newRow("key case folded like Go")
        << QByteArray(R"({"Header":{"MSG_ID":"m"},"ROUTE":{"Operation":"op"},"Content":true})")
        << QStringLiteral("m") << QStringLiteral("op") << QByteArray("true");
    QTest::newRow("escaped key names")
        << QByteArray(R"({"he\u0061der":{"msg\u005fid":"m"},"route":{"\u006fperation":"op"}})")
        << QStringLiteral("m") << QStringLiteral("op") << QByteArray("null");
    QTest::newRow("duplicate keys: last wins")
        << QByteArray(
               R"({"header":{"msg_id":"a","msg_id":"m"},"route":{"operation":"x"},"route":{"operation":"op"},"content":1,"content":2})")
        << QStringLiteral("m") << QStringLiteral("op") << QByteArray("2");
    QTest::newRow("escapes in values")
        << QByteArray(
               R"({"header":{"msg_id":"\u006d\t\"\\\/\uD83D\uDE00"},"route":{"operation":"\u00e9\u20AC"}})")
        << QStringLiteral("m\t\"\\/\U0001F600") << QStringLiteral("\u00e9\u20ac") << QByteArray("null");
    QTest::newRow("binary-ish: invalid utf8 in strings")
        << QByteArray("{\"header\":{\"msg_id\":\"m\"},\"route\":{\"operation\":\"op\",\"resource\":"
                      "\"\xff\xfe\"},\"content\":\"\x80\xc3\"}")
        << QStringLiteral("m") << QStringLiteral("op") << QByteArray("\"\x80\xc3\"");
    QTest::newRow("binary-ish: raw utf8 and DEL")
        << QByteArray("{\"header\":{\"msg_id\":\"\xe6\x97\xa5\x7f\"},\"route\":{\"operation\":\"op\"}}")
        << QStringLiteral("\u65e5\x7f") << QStringLiteral("op") << QByteArray("null");
    QTest::newRow("embedded NUL via escape")
        << QByteArray(R"({"header":{"msg_id":"a\u0000b"},"route":{"operation":"op"}})")
        << QString::fromUtf8("a\0b", 3) << QStringLiteral("op") << QByteArray("null");
}

void TestCodec::tolerantDecoding()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, id);
    QFETCH(QString, operation);
    QFETCH(QByteArray, content);
    const Result<Message> m = codec::decode(frame);
    QVERIFY2(m.ok(), qPrintable(m.errorMessage()));
    QCOMPARE(m->id(), id);
    QCOMPARE(m->operation(), operation);
    QCOMPARE(m->rawContent(), content);

    // Whatever was accepted re-encodes to valid UTF-8 that decodes to the same header and route.
    const QByteArray wire = codec::encode(m.value());
    QCOMPARE(QString::fromUtf8(wire).toUtf8(), wire);
    const Result<Message> again = codec::decode(wire);
    QVERIFY2(again.ok(), qPrintable(again.errorMessage()));
    QCOMPARE(again->header(), m->header());
    QCOMPARE(again->route(), m->route());
}

void TestCodec::contentKeptByteForByte()
{
    const QByteArray content = "{ \"n\" : 1.000 ,\n \"s\" : \"\\u00e9\" }";
    const QByteArray frame = "{\"content\":" + content + " ,\"header\":{\"msg_id\":\"m\"}}";
    const Result<Message> m = codec::decode(QByteArrayView(frame));
    QVERIFY2(m.ok(), qPrintable(m.errorMessage()));
    QCOMPARE(m->rawContent(), content);
    QCOMPARE(m->content().toObject().value(QStringLiteral("s")).toString(), QStringLiteral("\u00e9"));
}

void TestCodec::malformed_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("error");

    const QByteArray h = R"({"header":{"msg_id":"m","timestamp":1})";
    QTest::newRow("empty") << QByteArray() << QStringLiteral("offset 0: unexpected end of input");
    QTest::newRow("only whitespace") << QByteArray(" \n\t")
                                     << QStringLiteral("offset 3: unexpected end of input");
    QTest::newRow("array") << QByteArray("[]") << QStringLiteral("message: expected an object, got array");
    QTest::newRow("string") << QByteArray("\"x\"")
                            << QStringLiteral("message: expected an object, got string");
    QTest::newRow("null") << QByteArray("null") << QStringLiteral("message: expected an object, got null");
    QTest::newRow("missing header") << QByteArray(R"({"route":{},"content":null})")
                                    << QStringLiteral("header: missing");
    QTest::newRow("empty object") << QByteArray("{}") << QStringLiteral("header: missing");
    QTest::newRow("header string") << QByteArray(R"({"header":"x"})")
                                   << QStringLiteral("header: expected an object, got string");
    QTest::newRow("header null") << QByteArray(R"({"header":null})")
                                 << QStringLiteral("header: expected an object, got null");
    QTest::newRow("header array") << QByteArray(R"({"header":[]})")
                                  << QStringLiteral("header: expected an object, got array");
    QTest::newRow("msg_id number") << QByteArray(R"({"header":{"msg_id":5}})")
                                   << QStringLiteral("header.msg_id: expected a string, got number");
    QTest::newRow("msg_id null") << QByteArray(R"({"header":{"msg_id":null}})")
                                 << QStringLiteral("header.msg_id: expected a string, got null");
    QTest::newRow("parent_msg_id array")
        << QByteArray(R"({"header":{"parent_msg_id":[]}})")
        << QStringLiteral("header.parent_msg_id: expected a string, got array");
    QTest::newRow("timestamp string") << QByteArray(R"({"header":{"timestamp":"1"}})")
                                      << QStringLiteral("header.timestamp: expected an integer, got string");
    QTest::newRow("timestamp bool") << QByteArray(R"({"header":{"timestamp":true}})")
                                    << QStringLiteral("header.timestamp: expected an integer, got boolean");
    QTest::newRow("timestamp null") << QByteArray(R"({"header":{"timestamp":null}})")
                                    << QStringLiteral("header.timestamp: expected an integer, got null");
    QTest::newRow("timestamp fraction")
        << QByteArray(R"({"header":{"timestamp":1.5e3}})")
        << QStringLiteral("header.timestamp: expected an integer, got number 1.5e3");
    QTest::newRow("timestamp exponent")
        << QByteArray(R"({"header":{"timestamp":1e30}})")
        << QStringLiteral("header.timestamp: expected an integer, got number 1e30");
    QTest::newRow("timestamp 1.0") << QByteArray(R"({"header":{"timestamp":1.0}})")
                                   << QStringLiteral("header.timestamp: expected an integer, got number 1.0");
    QTest::newRow("timestamp max+1")
        << QByteArray(R"({"header":{"timestamp":9223372036854775808}})")
        << QStringLiteral("header.timestamp: integer 9223372036854775808 out of int64 range");
    QTest::newRow("timestamp min-1")
        << QByteArray(R"({"header":{"timestamp":-9223372036854775809}})")
        << QStringLiteral("header.timestamp: integer -9223372036854775809 out of int64 range");
    QTest::newRow("timestamp huge")
        << QByteArray(R"({"header":{"timestamp":)" + QByteArray(400, '9') + "}}")
        << QStringLiteral(
               "header.timestamp: integer 9999999999999999999999999999999999999999... out of int64 range");
    QTest::newRow("resourceversion letters")
        << QByteArray(R"({"header":{"resourceversion":"12a"}})")
        << QStringLiteral("header.resourceversion: not a decimal number: \"12a\"");
    QTest::newRow("resourceversion negative")
        << QByteArray(R"({"header":{"resourceversion":"-1"}})")
        << QStringLiteral("header.resourceversion: not a decimal number");
    QTest::newRow("resourceversion space") << QByteArray(R"({"header":{"resourceversion":" 1"}})")
                                           << QStringLiteral("header.resourceversion: not a decimal number");
    QTest::newRow("resourceversion plus") << QByteArray(R"({"header":{"resourceversion":"+1"}})")
                                          << QStringLiteral("header.resourceversion: not a decimal number");
    QTest::newRow("resourceversion uint64 overflow")
        << QByteArray(R"({"header":{"resourceversion":"18446744073709551616"}})")
        << QStringLiteral("header.resourceversion: not a decimal number");
    QTest::newRow("resourceversion number")
        << QByteArray(R"({"header":{"resourceversion":5}})")
        << QStringLiteral("header.resourceversion: expected a string, got number");
    QTest::newRow("sync string") << QByteArray(R"({"header":{"sync":"true"}})")
                                 << QStringLiteral("header.sync: expected a boolean, got string");
    QTest::newRow("type object") << QByteArray(R"({"header":{"type":{}}})")
                                 << QStringLiteral("header.type: expected a string, got object");
    QTest::newRow("route array") << QByteArray(h + R"(,"route":[]})")
                                 << QStringLiteral("route: expected an object, got array");
    QTest::newRow("route.source number") << QByteArray(h + R"(,"route":{"source":1}})")
                                         << QStringLiteral("route.source: expected a string, got number");
    QTest::newRow("route.destination bool")
        << QByteArray(h + R"(,"route":{"destination":true}})")
        << QStringLiteral("route.destination: expected a string, got boolean");
    QTest::newRow("route.group array") << QByteArray(h + R"(,"route":{"group":["g"]}})")
                                       << QStringLiteral("route.group: expected a string, got array");
    QTest::newRow("route.operation object")
        << QByteArray(h + R"(,"route":{"operation":{}}})")
        << QStringLiteral("route.operation: expected a string, got object");
    QTest::newRow("route.resource number") << QByteArray(h + R"(,"route":{"resource":-0.5}})")
                                           << QStringLiteral("route.resource: expected a string, got number");
    QTest::newRow("first field error wins")
        << QByteArray(R"({"header":{"msg_id":1,"timestamp":"x"}})") << QStringLiteral("header.msg_id:");
    QTest::newRow("syntax error beats field error")
        << QByteArray(R"({"header":{"timestamp":"x"},"content":[1,]})")
        << QStringLiteral("offset 41: unexpected character");
    QTest::newRow("invalid escape") << QByteArray(R"({"header":{"msg_id":"a\x"}})")
                                    << QStringLiteral("offset 23: invalid escape in string");
    QTest::newRow("invalid \\u hex") << QByteArray(R"({"header":{"msg_id":"\u12G4"}})")
                                     << QStringLiteral("invalid \\u escape");
    QTest::newRow("truncated \\u") << QByteArray(R"({"header":{"msg_id":"\u12)")
                                   << QStringLiteral("truncated \\u escape");
    QTest::newRow("lone high surrogate")
        << QByteArray(R"({"header":{"msg_id":"\ud800"}})") << QStringLiteral("lone surrogate in \\u escape");
    QTest::newRow("lone low surrogate")
        << QByteArray(R"({"header":{"msg_id":"\uDC00x"}})") << QStringLiteral("lone surrogate in \\u escape");
    QTest::newRow("high + non-low") << QByteArray(R"({"header":{"msg_id":"\ud800\u0041"}})")
                                    << QStringLiteral("lone surrogate in \\u escape");
    QTest::newRow("high + high") << QByteArray(R"({"header":{"msg_id":"\ud800\ud800"}})")
                                 << QStringLiteral("lone surrogate in \\u escape");
    QTest::newRow("lone surrogate in content")
        << frameWithContent(R"({"k":["\udfff"]})") << QStringLiteral("lone surrogate in \\u escape");
    QTest::newRow("raw control char")
        << QByteArray("{\"header\":{\"msg_id\":\"a\x01\"}}") << QStringLiteral("control character in string");
    QTest::newRow("raw newline in string")
        << frameWithContent("\"a\nb\"") << QStringLiteral("control character in string");
    QTest::newRow("trailing garbage")
        << QByteArray(h + "}x") << QStringLiteral("trailing data after the message");
    QTest::newRow("two messages") << QByteArray(h + "}\n" + h + "}\n")
                                  << QStringLiteral("trailing data after the message");
    QTest::newRow("trailing NUL") << QByteArray(h + "}" + QByteArray(1, '\0'))
                                  << QStringLiteral("trailing data after the message");
    QTest::newRow("leading zero") << frameWithContent("01") << QStringLiteral("expected ',' or '}'");
    QTest::newRow("bare minus") << frameWithContent("-") << QStringLiteral("invalid number");
    QTest::newRow("minus letter") << frameWithContent("-a") << QStringLiteral("invalid number");
    QTest::newRow("dot without digits")
        << frameWithContent("1.") << QStringLiteral("digit expected after '.'");
    QTest::newRow("leading dot") << frameWithContent(".5") << QStringLiteral("unexpected character");
    QTest::newRow("exponent without digits")
        << frameWithContent("1e+") << QStringLiteral("digit expected in exponent");
    QTest::newRow("plus sign") << frameWithContent("+1") << QStringLiteral("unexpected character");
    QTest::newRow("NaN") << frameWithContent("NaN") << QStringLiteral("unexpected character");
    QTest::newRow("bad literal") << frameWithContent("tru") << QStringLiteral("invalid literal");
    QTest::newRow("capital literal") << frameWithContent("True") << QStringLiteral("unexpected character");
    QTest::newRow("missing colon") << QByteArray(R"({"header" {}})") << QStringLiteral("expected ':'");
    QTest::newRow("object trailing comma")
        << frameWithContent(R"({"a":1,})") << QStringLiteral("expected a string key");
    QTest::newRow("envelope trailing comma")
        << QByteArray(h + ",}") << QStringLiteral("expected a string key");
    QTest::newRow("array trailing comma")
        << frameWithContent("[1,]") << QStringLiteral("unexpected character");
    QTest::newRow("array missing comma")
        << frameWithContent("[1 2]") << QStringLiteral("expected ',' or ']'");
    QTest::newRow("unquoted key") << QByteArray("{header:{}}") << QStringLiteral("expected a string key");
    QTest::newRow("single quotes") << QByteArray("{'header':{}}") << QStringLiteral("expected a string key");
    QTest::newRow("BOM") << QByteArray("\xef\xbb\xbf" + h + "}")
                         << QStringLiteral("offset 0: unexpected character");
    QTest::newRow("nesting 10000 deep") << frameWithContent(QByteArray(10000, '[') + QByteArray(10000, ']'))
                                        << QStringLiteral("nesting deeper than 64 levels");
    QTest::newRow("nesting 10000 objects") << frameWithContent(QByteArray("{\"a\":").repeated(10000))
                                           << QStringLiteral("nesting deeper than 64 levels");
    QTest::newRow("deep unknown key")
        << QByteArray(R"({"x":)" + QByteArray(100, '[')) << QStringLiteral("nesting deeper than 64 levels");
    QTest::newRow("truncated in key") << QByteArray(R"({"head)") << QStringLiteral("unterminated string");
    QTest::newRow("truncated after key")
        << QByteArray(R"({"header")") << QStringLiteral("unexpected end of input");
    QTest::newRow("truncated after colon")
        << QByteArray(R"({"header":)") << QStringLiteral("unexpected end of input");
    QTest::newRow("truncated in value")
        << QByteArray(R"({"header":{"msg_id":"ab)") << QStringLiteral("unterminated string");
    QTest::newRow("truncated in escape")
        << QByteArray(R"({"header":{"msg_id":"a\)") << QStringLiteral("unterminated string");
    QTest::newRow("truncated in number")
        << QByteArray(R"({"header":{"timestamp":12)") << QStringLiteral("unexpected end of input");
    QTest::newRow("truncated in literal")
        << QByteArray(R"({"header":{"sync":tr)") << QStringLiteral("invalid literal");
    QTest::newRow("truncated in content")
        << QByteArray(h + R"(,"content":{"a":[1,{"b")") << QStringLiteral("unexpected end of input");
    QTest::newRow("missing final brace") << QByteArray(h) << QStringLiteral("unexpected end of input");
}

void TestCodec::malformed()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, error);
    const Result<Message> m = codec::decode(frame);
    QVERIFY(!m.ok());
    QVERIFY2(m.errorMessage().contains(error),
             qPrintable(QStringLiteral("got \"%1\", want \"%2\"").arg(m.errorMessage(), error)));
}

void TestCodec::everyTruncationFails()
{
    Message m = makeMessage(kPodId, 1754460000123, "edgecontroller", "resource", "insert",
                            "default/pod/nginx", R"({"a":[1,-2.5e3,true,false,null,"\u00e9\"x"],"b":{}})");
    m.setParentId(kAckId).setResourceVersion(QStringLiteral("7"));
    QByteArray wire = codec::encode(m);
    wire.chop(1); // the '\n' is optional
    QVERIFY(codec::decode(wire).ok());
    for (qsizetype n = 0; n < wire.size(); ++n) {
        // A copy of exactly n bytes, so a sanitizer would catch a read past the end.
        const QByteArray prefix(wire.constData(), n);
        const Result<Message> r = codec::decode(prefix);
        QVERIFY2(!r.ok(), prefix.constData());
        QVERIFY2(r.errorMessage().startsWith(QStringLiteral("invalid JSON at offset")),
                 qPrintable(r.errorMessage()));
    }
}

void TestCodec::nestingLimitIsExact()
{
    // The envelope is level 1, so content may nest maxDepth - 1 levels.
    const DecodeLimits limits{1024, 8};
    QVERIFY(codec::decode(frameWithContent(QByteArray(7, '[') + QByteArray(7, ']')), limits).ok());
    QVERIFY(!codec::decode(frameWithContent(QByteArray(8, '[') + QByteArray(8, ']')), limits).ok());
    QVERIFY(codec::decode(
                frameWithContent("[" + QByteArray("{\"a\":").repeated(6) + "1" + QByteArray(6, '}') + "]"),
                limits)
                .ok());
    QVERIFY(!codec::decode(QByteArray(R"({"header":{}})"), DecodeLimits{1024, 1}).ok());
    QVERIFY(codec::decode(QByteArray(R"({"header":{}})"), DecodeLimits{1024, 2}).ok());
}

void TestCodec::errorCodes()
{
    const QByteArray ok = R"({"header":{"msg_id":"m"}})";
    QVERIFY(codec::decode(ok, DecodeLimits{ok.size(), 64}).ok());
    const Result<Message> big = codec::decode(ok, DecodeLimits{ok.size() - 1, 64});
    QVERIFY(!big.ok());
    QCOMPARE(big.error().code, codec::ErrLimit);
    QCOMPARE(big.errorMessage(), QStringLiteral("frame of 25 bytes exceeds the limit of 24 bytes"));

    // An oversized frame is refused before scanning, even when it is not JSON at all.
    const QByteArray junk(17 * 1024 * 1024, '\xff');
    const Result<Message> huge = codec::decode(junk);
    QCOMPARE(huge.error().code, codec::ErrLimit);
    QVERIFY(huge.errorMessage().contains(QStringLiteral("exceeds the limit of 16777216 bytes")));

    QCOMPARE(codec::decode("{").error().code, codec::ErrSyntax);
    QCOMPARE(codec::decode(frameWithContent(QByteArray(100, '['))).error().code, codec::ErrLimit);
    QCOMPARE(codec::decode(R"({"header":{"msg_id":1}})").error().code, codec::ErrField);
    QCOMPARE(codec::decode("{}").error().code, codec::ErrField);
}

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
