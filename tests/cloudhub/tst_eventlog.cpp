// EventLog: batched writes, newest-first reads, and per-node retention.
#include "cloudhub/eventlog.h"
#include "shared/storage.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace qedge;
using namespace qedge::cloud;

class TestEventLog : public QObject
{
    Q_OBJECT

private slots:
    void keepsTheNewestPerNode();
    void survivesReopen();
};

void TestEventLog::keepsTheNewestPerNode()
{
    QTemporaryDir dir;
    auto db = Database::open(QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("e.db")),
                             QStringLiteral("evlog1"));
    QVERIFY2(db, qPrintable(db.errorMessage()));
    auto log = EventLog::open(db->get(), 20);
    QVERIFY2(log, qPrintable(log.errorMessage()));
    const QDateTime t0 = QDateTime::fromMSecsSinceEpoch(1795000000000, Qt::UTC);
    for (int i = 0; i < 100; ++i)
        log.value()->append({QStringLiteral("busy"), t0.addMSecs(i), QStringLiteral("update"),
                             QStringLiteral("node/busy/default/nodestatus/busy"),
                             QByteArray("{\"i\":") + QByteArray::number(i) + '}'});
    log.value()->append({QStringLiteral("quiet"), t0, QStringLiteral("upload"),
                         QStringLiteral("node/quiet/topic"), "\"hello\""});
    QVERIFY(log.value()->flush());
    QCOMPARE(log.value()->stored(), quint64(101));

    auto busy = log.value()->recent(QStringLiteral("busy"), 1000);
    QVERIFY(busy);
    QVERIFY2(busy->size() <= 22 && busy->size() >= 20,
             qPrintable(QString::number(busy->size()))); // pruned in steps of a tenth
    QCOMPARE(busy->first().content, QByteArray("{\"i\":99}"));
    QCOMPARE(busy->first().time, t0.addMSecs(99));
    QCOMPARE(busy->first().operation, QStringLiteral("update"));
    auto quiet = log.value()->recent(QStringLiteral("quiet"));
    QVERIFY(quiet);
    QCOMPARE(quiet->size(), 1); // one node's retention never touches another's rows
    QCOMPARE(quiet->first().content, QByteArray("\"hello\""));
    QCOMPARE(log.value()->recent(QStringLiteral("busy"), 3)->size(), 3);
}

void TestEventLog::survivesReopen()
{
    QTemporaryDir dir;
    const QString url = QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("e.db"));
    {
        auto db = Database::open(url, QStringLiteral("evlog2"));
        QVERIFY(db);
        auto log = EventLog::open(db->get());
        QVERIFY(log);
        log.value()->append({QStringLiteral("n"), QDateTime::currentDateTimeUtc(), QStringLiteral("update"),
                             QStringLiteral("r"), "{}"});
        // No explicit flush: destroying the log writes what waits.
    }
    auto db = Database::open(url, QStringLiteral("evlog3"));
    QVERIFY(db);
    auto log = EventLog::open(db->get());
    QVERIFY(log);
    QCOMPARE(log.value()->recent(QStringLiteral("n"))->size(), 1);
}

QTEST_GUILESS_MAIN(TestEventLog)
#include "tst_eventlog.moc"
