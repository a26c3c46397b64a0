// The node page's models under QAbstractItemModelTester: resources, queue, device twins
// (desired vs reported, edit requests) and the batched event log.
#include "gui/eventlogmodel.h"
#include "gui/queuemodel.h"
#include "gui/resourcemodel.h"
#include "gui/tableexport.h"
#include "gui/twinmodel.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace qedge;

namespace {
QJsonObject object(const QString &kind, const QString &ns, const QString &name, int rv)
{
    QJsonObject meta{{QStringLiteral("name"), name},
                     {QStringLiteral("resourceVersion"), QString::number(rv)},
                     {QStringLiteral("uid"), QString(QStringLiteral("uid-") + name)}};
    if (!ns.isEmpty())
        meta.insert(QStringLiteral("namespace"), ns);
    return QJsonObject{{QStringLiteral("kind"), kind},
                       {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                       {QStringLiteral("metadata"), meta}};
}

QJsonObject device(const QString &name, const QString &desired, const QString &reported)
{
    QJsonObject twin{{QStringLiteral("type"), QStringLiteral("float")}};
    if (!desired.isNull())
        twin.insert(QStringLiteral("desired"),
                    QJsonObject{{QStringLiteral("value"), desired},
                                {QStringLiteral("version"), 3},
                                {QStringLiteral("timestamp"), QStringLiteral("2026-11-23T09:00:00Z")}});
    if (!reported.isNull())
        twin.insert(QStringLiteral("reported"),
                    QJsonObject{{QStringLiteral("value"), reported},
                                {QStringLiteral("version"), 7},
                                {QStringLiteral("timestamp"), QStringLiteral("2026-11-23T09:00:05Z")}});
    return QJsonObject{{QStringLiteral("id"), QString(QStringLiteral("default/") + name)},
                       {QStringLiteral("namespace"), QStringLiteral("default")},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("state"), QStringLiteral("online")},
                       {QStringLiteral("twins"),
                        QJsonObject{{QStringLiteral("temperature"), twin},
                                    {QStringLiteral("mode"),
                                     QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}}};
}
} // namespace

class tst_PageModels : public QObject
{
    Q_OBJECT
private slots:
    void resources();
    void queue();
    void twinDiffers_data();
    void twinDiffers();
    void twinEditAsksTheHub();
    void twinUpdateInPlace();
    void eventLogBatchesAndCaps();
    void csvQuotes();
};

void tst_PageModels::resources()
{
    ResourceModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setResources(
        QJsonArray{object(QStringLiteral("Secret"), QString(), QStringLiteral("s"), 5),
                   object(QStringLiteral("ConfigMap"), QStringLiteral("team"), QStringLiteral("b"), 3),
                   object(QStringLiteral("ConfigMap"), QStringLiteral("default"), QStringLiteral("z"), 9)});
    QCOMPARE(model.rowCount(), 3);
    // Sorted by type, namespace, name; a missing namespace is "default".
    QCOMPARE(model.index(0, ResourceModel::Name).data().toString(), QStringLiteral("z"));
    QCOMPARE(model.index(1, ResourceModel::Namespace).data().toString(), QStringLiteral("team"));
    QCOMPARE(model.index(2, ResourceModel::Namespace).data().toString(), QStringLiteral("default"));
    QCOMPARE(model.index(2, ResourceModel::Type).data().toString(), QStringLiteral("secret"));
    QCOMPARE(model.index(2, ResourceModel::ResourceVersion).data().toString(), QStringLiteral("5"));
    QCOMPARE(model.types(), (QStringList{QStringLiteral("configmap"), QStringLiteral("secret")}));
    QCOMPARE(model.find(QStringLiteral("configmap"), QStringLiteral("team"), QStringLiteral("b")), 1);
    QCOMPARE(model.find(QStringLiteral("configmap"), QStringLiteral("default"), QStringLiteral("b")), -1);
    model.setResources({});
    QCOMPARE(model.rowCount(), 0);
}

void tst_PageModels::queue()
{
    QueueModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QJsonObject json{
        {QStringLiteral("depth"), 2},
        {QStringLiteral("inFlight"), 1},
        {QStringLiteral("entries"),
         QJsonArray{QJsonObject{{QStringLiteral("uid"), QStringLiteral("u1")},
                                {QStringLiteral("resource"), QStringLiteral("default/configmap/a")},
                                {QStringLiteral("operation"), QStringLiteral("update")},
                                {QStringLiteral("resourceVersion"), QStringLiteral("42")},
                                {QStringLiteral("attempts"), 3},
                                {QStringLiteral("ageMs"), 125000},
                                {QStringLiteral("state"), QStringLiteral("backoff")}},
                    QJsonObject{{QStringLiteral("uid"), QStringLiteral("u2")},
                                {QStringLiteral("resourceVersion"), 43},
                                {QStringLiteral("ageMs"), 900},
                                {QStringLiteral("state"), QStringLiteral("inflight")}}}}};
    model.setQueue(QueueInfo::fromJson(json));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.queue().depth, 2);
    QCOMPARE(model.index(0, QueueModel::Attempts).data().toInt(), 3);
    QCOMPARE(model.index(0, QueueModel::Age).data().toString(), QStringLiteral("2 min"));
    QCOMPARE(model.index(1, QueueModel::Age).data().toString(), QStringLiteral("900 ms"));
    QCOMPARE(model.index(1, QueueModel::ResourceVersion).data().toString(), QStringLiteral("43"));
    QVERIFY(model.index(0, QueueModel::State).data(Qt::ForegroundRole).isValid());
    QVERIFY(!model.index(1, QueueModel::State).data(Qt::ForegroundRole).isValid());
}

void tst_PageModels::twinDiffers_data()
{
    QTest::addColumn<QString>("desired");
    QTest::addColumn<QString>("reported");
    QTest::addColumn<bool>("differs");
    QTest::newRow("same") << QStringLiteral("21.5") << QStringLiteral("21.5") << false;
    QTest::newRow("different") << QStringLiteral("21.5") << QStringLiteral("20.9") << true;
    QTest::newRow("not reported yet") << QStringLiteral("21.5") << QString() << true;
    QTest::newRow("only reported") << QString() << QStringLiteral("20.9") << false;
}

void tst_PageModels::twinDiffers()
{
    QFETCH(QString, desired);
    QFETCH(QString, reported);
    TwinModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDevices({DeviceInfo::fromJson(device(QStringLiteral("thermo-1"), desired, reported))});
    QCOMPARE(model.rowCount(), 2);
    const int row = model.findRow(QStringLiteral("default/thermo-1"), QStringLiteral("temperature"));
    QVERIFY(row >= 0);
    QTEST(model.index(row, TwinModel::Desired).data(TwinModel::DiffersRole).toBool(), "differs");
    QFETCH(bool, differs);
    QCOMPARE(model.index(row, TwinModel::Reported).data(Qt::BackgroundRole).isValid(), differs);
    QCOMPARE(model.index(row, TwinModel::Desired).data().toString(), desired.isNull() ? QString() : desired);
    QCOMPARE(model.index(row, TwinModel::Reported).data().toString(),
             reported.isNull() ? QString() : reported);
    if (!reported.isNull())
        QCOMPARE(model.index(row, TwinModel::ReportedVersion).data().toInt(), 7);
}

void tst_PageModels::twinEditAsksTheHub()
{
    TwinModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDevices({DeviceInfo::fromJson(
        device(QStringLiteral("thermo-1"), QStringLiteral("21.5"), QStringLiteral("21.5")))});
    const int row = model.findRow(QStringLiteral("default/thermo-1"), QStringLiteral("temperature"));
    QVERIFY(model.flags(model.index(row, TwinModel::Desired)) & Qt::ItemIsEditable);
    QVERIFY(!(model.flags(model.index(row, TwinModel::Reported)) & Qt::ItemIsEditable));
    QSignalSpy asked(&model, &TwinModel::desiredEditRequested);
    QVERIFY(!model.setData(model.index(row, TwinModel::Desired), QStringLiteral("23")));
    QCOMPARE(asked.count(), 1);
    QCOMPARE(asked.first(), (QVariantList{QStringLiteral("default"), QStringLiteral("thermo-1"),
                                          QStringLiteral("temperature"), QStringLiteral("23")}));
    // Until the hub answers, the model still shows what the hub holds.
    QCOMPARE(model.index(row, TwinModel::Desired).data().toString(), QStringLiteral("21.5"));
    // Same value again: nothing to ask.
    model.setData(model.index(row, TwinModel::Desired), QStringLiteral("21.5"));
    QCOMPARE(asked.count(), 1);
}

void tst_PageModels::twinUpdateInPlace()
{
    TwinModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDevices(
        {DeviceInfo::fromJson(device(QStringLiteral("a"), QStringLiteral("1"), QStringLiteral("1"))),
         DeviceInfo::fromJson(device(QStringLiteral("b"), QStringLiteral("1"), QStringLiteral("1")))});
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.updateDevice(
        DeviceInfo::fromJson(device(QStringLiteral("b"), QStringLiteral("5"), QStringLiteral("1"))));
    QCOMPARE(resets.count(), 0);
    QCOMPARE(changes.count(), 1);
    const int row = model.findRow(QStringLiteral("default/b"), QStringLiteral("temperature"));
    QCOMPARE(model.index(row, TwinModel::Desired).data().toString(), QStringLiteral("5"));
    QVERIFY(model.index(row, TwinModel::Desired).data(TwinModel::DiffersRole).toBool());
    // A new device appears as new rows.
    model.updateDevice(
        DeviceInfo::fromJson(device(QStringLiteral("c"), QStringLiteral("1"), QStringLiteral("1"))));
    QCOMPARE(model.rowCount(), 6);
}

void tst_PageModels::eventLogBatchesAndCaps()
{
    EventLogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setCapacity(100);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    for (int i = 0; i < 60; ++i)
        model.append(
            HubEvent::fromJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("resource.acked")},
                                           {QStringLiteral("node"), QStringLiteral("n%1").arg(i)},
                                           {QStringLiteral("resourceVersion"), QString::number(i)},
                                           {QStringLiteral("latencyMs"), 3}}));
    QCOMPARE(model.rowCount(), 0);
    QTRY_COMPARE(model.rowCount(), 60);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.index(59, EventLogModel::Details).data().toString(), QStringLiteral("rv 59 in 3 ms"));
    for (int i = 60; i < 130; ++i)
        model.append(HubEvent::fromJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("node.online")},
                                                    {QStringLiteral("node"), QStringLiteral("n%1").arg(i)}}));
    model.flush();
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.index(0, EventLogModel::Node).data().toString(), QStringLiteral("n30"));
    QCOMPARE(model.index(99, EventLogModel::Node).data().toString(), QStringLiteral("n129"));
}

void tst_PageModels::csvQuotes()
{
    ResourceModel model;
    model.setResources(
        QJsonArray{object(QStringLiteral("ConfigMap"), QString(), QStringLiteral("a,b"), 1),
                   object(QStringLiteral("ConfigMap"), QString(), QStringLiteral("say \"hi\""), 2)});
    const QString csv = toCsv(&model);
    QCOMPARE(csv.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts),
             (QStringList{QStringLiteral("Type,Namespace,Name,Resource version,UID"),
                          QStringLiteral("configmap,default,\"a,b\",1,\"uid-a,b\""),
                          QStringLiteral("configmap,default,\"say \"\"hi\"\"\",2,\"uid-say \"\"hi\"\"\"")}));
}

QTEST_MAIN(tst_PageModels)
#include "tst_pagemodels.moc"
