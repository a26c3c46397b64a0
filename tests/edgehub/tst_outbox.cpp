#include "edgehub/outbox.h"
#include "shared/storage.h"

#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace qedge;

class TestOutbox : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void keepsOrderAcrossReopen();
    void dropsOldestDroppableWhenFull_data();
    void dropsOldestDroppableWhenFull();
    void refusesWhenNothingDroppable();
    void removeThroughIsPartial();

private:
    Outbox reopen();
    static Message upload(int i);
    static Message ack(int i);

    std::unique_ptr<QTemporaryDir> m_dir;
    int m_gen = 0;
    std::vector<std::unique_ptr<Database>> m_databases; // one per simulated process
};

void TestOutbox::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestOutbox::cleanup()
{
    m_databases.clear();
}

Outbox TestOutbox::reopen()
{
    // A fresh connection each time, like a restarted process.
    auto db = Database::open(m_dir->filePath(QStringLiteral("edgehub.db")),
                             QStringLiteral("outbox%1").arg(++m_gen));
    if (!db)
        qFatal("%s", qPrintable(db.errorMessage()));
    m_databases.push_back(std::move(db.value()));
    return Outbox(m_databases.back()->connection(), 4);
}

Message TestOutbox::upload(int i)
{
    Message m = Message::create(QStringLiteral("twin"), QStringLiteral("twin"), op::Upload,
                                QStringLiteral("default/event/e%1").arg(i));
    m.setContentString(QStringLiteral("payload %1").arg(i));
    return m;
}

Message TestOutbox::ack(int i)
{
    Message m = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"), op::Response,
                                QStringLiteral("default/configmap/c%1").arg(i));
    m.setContentString(QStringLiteral("OK"));
    return m;
}

void TestOutbox::keepsOrderAcrossReopen()
{
    QList<Message> sent;
    {
        Outbox box = reopen();
        QVERIFY(box.open());
        for (int i = 0; i < 3; ++i) {
            sent.append(upload(i));
            QVERIFY(box.push(sent.last()));
        }
        QCOMPARE(box.depth(), 3);
    }
    Outbox box = reopen();
    QVERIFY(box.open());
    QCOMPARE(box.depth(), 3);
    auto entries = box.peek(10);
    QVERIFY2(entries.ok(), qPrintable(entries.errorMessage()));
    QCOMPARE(entries.value().size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(entries.value().at(i).message, sent.at(i));
    QVERIFY(box.removeThrough(entries.value().last().seq));
    QCOMPARE(box.depth(), 0);
    QCOMPARE(reopen().open().ok(), true);
}

void TestOutbox::dropsOldestDroppableWhenFull_data()
{
    QTest::addColumn<QString>("pattern"); // u = upload, a = ack, pushed in order into a box of 4
    QTest::addColumn<QString>("kept");    // what remains, by index of the pattern
    QTest::addColumn<int>("dropped");
    QTest::newRow("acks go first") << QStringLiteral("aauuu") << QStringLiteral("1234") << 1;
    QTest::newRow("oldest ack, not the newest") << QStringLiteral("uaauua") << QStringLiteral("0345") << 2;
    QTest::newRow("under capacity") << QStringLiteral("uau") << QStringLiteral("012") << 0;
}

void TestOutbox::dropsOldestDroppableWhenFull()
{
    QFETCH(QString, pattern);
    QFETCH(QString, kept);
    QFETCH(int, dropped);
    Outbox box = reopen();
    QVERIFY(box.open());
    QList<Message> sent;
    for (int i = 0; i < pattern.size(); ++i) {
        sent.append(pattern.at(i) == u'a' ? ack(i) : upload(i));
        const Status s = box.push(sent.last());
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
    }
    QCOMPARE(box.dropped(), quint64(dropped));
    auto entries = box.peek(10);
    QVERIFY(entries.ok());
    QCOMPARE(entries.value().size(), kept.size());
    for (int i = 0; i < kept.size(); ++i)
        QCOMPARE(entries.value().at(i).message.id(), sent.at(kept.at(i).digitValue()).id());
}

void TestOutbox::refusesWhenNothingDroppable()
{
    Outbox box = reopen();
    QVERIFY(box.open());
    for (int i = 0; i < 4; ++i)
        QVERIFY(box.push(upload(i)));
    const Status s = box.push(upload(4));
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, QStringLiteral("outbox.full"));
    QCOMPARE(box.depth(), 4);
}

void TestOutbox::removeThroughIsPartial()
{
    Outbox box = reopen();
    QVERIFY(box.open());
    QList<Message> ms = {upload(0), upload(1), upload(2)};
    QVERIFY(box.pushAll(ms));
    auto first = box.peek(1);
    QVERIFY(first.ok());
    QVERIFY(box.removeThrough(first.value().first().seq));
    QCOMPARE(box.depth(), 2);
    auto rest = box.peek(10);
    QCOMPARE(rest.value().first().message.id(), ms.at(1).id());
}

QTEST_GUILESS_MAIN(TestOutbox)
#include "tst_outbox.moc"
