#include "shared/message.h"

#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

using namespace qedge;

class TestMessage : public QObject
{
    Q_OBJECT
private slots:
    void createHasIdAndTime();
    void responseCopiesRouteLikeKubeEdge();
    void errorPointsAtRequest();
    void cloneChangesOnlyIdAndTime();
    void content_data();
    void content();
    void contentDataUnwrapsStrings();
};

void TestMessage::createHasIdAndTime()
{
    const Message m = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"),
                                      op::Insert, QStringLiteral("default/pod/a"));
    static const QRegularExpression uuid(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
    QVERIFY2(uuid.match(m.id()).hasMatch(), qPrintable(m.id()));
    QVERIFY(qAbs(m.header().timestamp - Message::nowMs()) < 5000);
    QCOMPARE(m.rawContent(), QByteArray("null"));
    QVERIFY(m.id() != Message::create({}, {}, {}, {}).id());
}

void TestMessage::responseCopiesRouteLikeKubeEdge()
{
    Message req = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"),
                                  op::Insert, QStringLiteral("default/pod/a"));
    req.header().type = QStringLiteral("channel");
    const Message r = Message::responseTo(req, QStringLiteral("OK"));
    QCOMPARE(r.parentId(), req.id());
    QVERIFY(r.id() != req.id());
    QCOMPARE(r.source(), req.source());
    QCOMPARE(r.group(), req.group());
    QCOMPARE(r.resource(), req.resource());
    QCOMPARE(r.operation(), op::Response);
    QCOMPARE(r.header().type, QStringLiteral("channel"));
    QCOMPARE(r.rawContent(), QByteArray("\"OK\""));
}

void TestMessage::errorPointsAtRequest()
{
    const Message req = Message::create(QStringLiteral("a"), QStringLiteral("b"), op::Query,
                                        QStringLiteral("default/configmap/x"));
    const Message e = Message::errorFor(req, QStringLiteral("not \"found\""));
    QCOMPARE(e.parentId(), req.id());
    QCOMPARE(e.operation(), op::Error);
    QCOMPARE(e.resource(), req.resource());
    QCOMPARE(e.contentText(), QStringLiteral("not \"found\""));
}

void TestMessage::cloneChangesOnlyIdAndTime()
{
    Message m = Message::create(QStringLiteral("s"), QStringLiteral("g"), op::Update, QStringLiteral("r"));
    m.setResourceVersion(QStringLiteral("42")).setParentId(QStringLiteral("p"));
    m.setContent(QJsonObject{{QStringLiteral("k"), 1}});
    const Message c = m.cloneWithNewId();
    QVERIFY(c.id() != m.id());
    QCOMPARE(c.route(), m.route());
    QCOMPARE(c.parentId(), m.parentId());
    QCOMPARE(c.resourceVersion(), m.resourceVersion());
    QCOMPARE(c.rawContent(), m.rawContent());
}

void TestMessage::content_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("object") << QJsonValue(QJsonObject{{QStringLiteral("a"), 1}}) << QByteArray("{\"a\":1}");
    QTest::newRow("string") << QJsonValue(QStringLiteral("OK")) << QByteArray("\"OK\"");
    QTest::newRow("number") << QJsonValue(3.5) << QByteArray("3.5");
    QTest::newRow("bool") << QJsonValue(true) << QByteArray("true");
    QTest::newRow("null") << QJsonValue() << QByteArray("null");
}

void TestMessage::content()
{
    QFETCH(QJsonValue, value);
    QFETCH(QByteArray, raw);
    Message m;
    m.setContent(value);
    QCOMPARE(m.rawContent(), raw);
    QCOMPARE(m.content(), value);
}

void TestMessage::contentDataUnwrapsStrings()
{
    Message m;
    m.setContentString(QStringLiteral("{\"twin\":1}"));
    QCOMPARE(m.contentData(), QByteArray("{\"twin\":1}"));
    m.setRawContent("{\"x\": [1,2]}");
    QCOMPARE(m.contentData(), QByteArray("{\"x\": [1,2]}"));
    m.setRawContent("{broken");
    QVERIFY(m.content().isUndefined());
}

QTEST_GUILESS_MAIN(TestMessage)
#include "tst_message.moc"
