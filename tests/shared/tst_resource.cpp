#include "shared/resource.h"

#include <QTest>

using namespace qedge;

class TestResource : public QObject
{
    Q_OBJECT
private slots:
    void trim_data();
    void trim();
    void nodeOf();
    void parseEdge_data();
    void parseEdge();
    void versions_data();
    void versions();
};

void TestResource::trim_data()
{
    QTest::addColumn<QString>("hub");
    QTest::addColumn<QString>("edge");
    QTest::newRow("pod") << "node/n1/default/pod/nginx" << "default/pod/nginx";
    QTest::newRow("membership") << "node/n1/membership" << "membership";
    QTest::newRow("two tokens kept") << "node/n1" << "node/n1";
    QTest::newRow("not node") << "default/pod/x" << "default/pod/x";
}

void TestResource::trim()
{
    QFETCH(QString, hub);
    QFETCH(QString, edge);
    QCOMPARE(resource::trimmed(hub), edge);
}

void TestResource::nodeOf()
{
    QCOMPARE(resource::nodeOf(QStringLiteral("node/edge-1/default/pod/a")), QStringLiteral("edge-1"));
    QCOMPARE(resource::nodeOf(QStringLiteral("x/node/e2/twin")), QStringLiteral("e2"));
    QCOMPARE(resource::nodeOf(QStringLiteral("default/pod/a")), QString());
    QCOMPARE(resource::prefixed(QStringLiteral("e"), QStringLiteral("default/pod/a")),
             QStringLiteral("node/e/default/pod/a"));
}

void TestResource::parseEdge_data()
{
    QTest::addColumn<QString>("res");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("ns");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("name");
    QTest::newRow("three") << "default/configmap/cfg" << true << "default" << "configmap" << "cfg";
    QTest::newRow("two") << "default/pod" << true << "default" << "pod" << "";
    QTest::newRow("cluster") << "null/node/n1" << true << "null" << "node" << "n1";
    QTest::newRow("slash in name") << "ns/t/a/b" << true << "ns" << "t" << "a/b";
    QTest::newRow("one") << "pod" << false << "" << "" << "";
    QTest::newRow("empty type") << "ns//x" << false << "" << "" << "";
    QTest::newRow("trailing slash") << "ns/t/" << false << "" << "" << "";
}

void TestResource::parseEdge()
{
    QFETCH(QString, res);
    QFETCH(bool, ok);
    const auto p = resource::parseEdge(res);
    QCOMPARE(p.has_value(), ok);
    if (!ok)
        return;
    QFETCH(QString, ns);
    QFETCH(QString, type);
    QFETCH(QString, name);
    QCOMPARE(p->namespaceName, ns);
    QCOMPARE(p->type, type);
    QCOMPARE(p->name, name);
}

void TestResource::versions_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<int>("cmp");
    QTest::newRow("numeric not lexical") << "9" << "10" << -1;
    QTest::newRow("equal") << "81234" << "81234" << 0;
    QTest::newRow("max u64") << "18446744073709551615" << "18446744073709551614" << 1;
    QTest::newRow("overflow invalid") << "18446744073709551616" << "1" << -1;
    QTest::newRow("invalid") << "12a" << "1" << -1;
    QTest::newRow("negative invalid") << "-1" << "0" << -1;
}

void TestResource::versions()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(int, cmp);
    QCOMPARE(resource::compareVersions(a, b), cmp);
    QCOMPARE(resource::compareVersions(b, a), -cmp);
}

QTEST_GUILESS_MAIN(TestResource)
#include "tst_resource.moc"
