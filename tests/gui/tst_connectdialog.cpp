// The connect dialog and profiles: the token is a password field and never comes back in clear,
// profiles are remembered, bad input is explained, a pin can be forgotten.
#include "gui/connectdialog.h"
#include "gui/profilestore.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace qedge;

class tst_ConnectDialog : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void tokenIsNeverShownAgain();
    void refusesBadInput_data();
    void refusesBadInput();
    void tokenFile();
    void forgetPin();

private:
    static QLineEdit *field(QDialog &d, const char *name)
    {
        return d.findChild<QLineEdit *>(QLatin1String(name));
    }
};

void tst_ConnectDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("QEdgeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_connectdialog"));
}

void tst_ConnectDialog::init()
{
    QSettings().clear();
}

void tst_ConnectDialog::tokenIsNeverShownAgain()
{
    ProfileStore store;
    {
        ConnectDialog d(&store);
        QCOMPARE(field(d, "token")->echoMode(), QLineEdit::Password);
        d.findChild<QComboBox *>(QStringLiteral("profile"))->setEditText(QStringLiteral("plant"));
        field(d, "url")->setText(QStringLiteral("https://hub.example:10010"));
        QTest::keyClicks(field(d, "token"), QStringLiteral("s3cret-token"));
        d.accept();
        QCOMPARE(d.result(), int(QDialog::Accepted));
    }
    QCOMPARE(store.names(), QStringList{QStringLiteral("plant")});
    QCOMPARE(store.lastUsed(), QStringLiteral("plant"));
    const HubProfile saved = store.load(QStringLiteral("plant"));
    QCOMPARE(saved.url, QUrl(QStringLiteral("https://hub.example:10010")));
    QCOMPARE(saved.token, QByteArray("s3cret-token"));

    // Reopened: the field is empty (only a placeholder says a token is stored), yet the profile has it.
    ConnectDialog again(&store);
    QLineEdit *token = field(again, "token");
    QVERIFY(token->text().isEmpty());
    QVERIFY(!token->placeholderText().isEmpty());
    QVERIFY(!token->placeholderText().contains(QLatin1String("s3cret")));
    QCOMPARE(again.profile().token, QByteArray("s3cret-token"));
    QCOMPARE(field(again, "url")->text(), QStringLiteral("https://hub.example:10010"));
    // Typing replaces it.
    QTest::keyClicks(token, QStringLiteral("other"));
    QCOMPARE(again.profile().token, QByteArray("other"));
}

void tst_ConnectDialog::refusesBadInput_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("message");
    QTest::newRow("plain http") << QStringLiteral("http://hub:10010") << QStringLiteral("t")
                                << QStringLiteral("HTTPS");
    QTest::newRow("no host") << QStringLiteral("https://") << QStringLiteral("t")
                             << QStringLiteral("not valid");
    QTest::newRow("no token") << QStringLiteral("https://hub:10010") << QString() << QStringLiteral("token");
}

void tst_ConnectDialog::refusesBadInput()
{
    QFETCH(QString, url);
    QFETCH(QString, token);
    QFETCH(QString, message);
    ProfileStore store;
    ConnectDialog d(&store);
    field(d, "url")->setText(url);
    field(d, "token")->setText(token);
    d.accept();
    QCOMPARE(d.result(), int(QDialog::Rejected));
    const QString error = d.findChild<QLabel *>(QStringLiteral("error"))->text();
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY(store.names().isEmpty());
}

void tst_ConnectDialog::tokenFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("admin.token"));
    HubProfile p;
    p.tokenFile = path;
    QCOMPARE(p.resolveToken().error().code, QStringLiteral("token_file"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("abc.def\n");
    f.close();
    QCOMPARE(p.resolveToken().value(), QByteArray("abc.def"));

    ProfileStore store;
    ConnectDialog d(&store);
    field(d, "url")->setText(QStringLiteral("https://127.0.0.1:10010"));
    field(d, "tokenFile")->setText(path);
    d.accept();
    QCOMPARE(d.result(), int(QDialog::Accepted));
    const HubProfile saved = store.load(d.profile().name);
    QCOMPARE(saved.tokenFile, path);
    QVERIFY(saved.token.isEmpty());
}

void tst_ConnectDialog::forgetPin()
{
    ProfileStore store;
    HubProfile p;
    p.name = QStringLiteral("pinned");
    p.url = QUrl(QStringLiteral("https://hub:10010"));
    p.token = "t";
    p.pin = QStringLiteral("AB:CD");
    store.save(p);
    store.setLastUsed(p.name);
    ConnectDialog d(&store);
    QCOMPARE(d.profile().pin, QStringLiteral("AB:CD"));
    QPushButton *forget = nullptr;
    for (QPushButton *b : d.findChildren<QPushButton *>()) {
        if (b->text() == QLatin1String("Forget"))
            forget = b;
    }
    QVERIFY(forget && forget->isEnabled());
    forget->click();
    QVERIFY(d.profile().pin.isEmpty());
    QVERIFY(!forget->isEnabled());
    d.accept();
    QVERIFY(store.load(QStringLiteral("pinned")).pin.isEmpty());
}

QTEST_MAIN(tst_ConnectDialog)
#include "tst_connectdialog.moc"
