#include "gui/connectdialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

namespace qedge {

ConnectDialog::ConnectDialog(ProfileStore *store, QWidget *parent)
    : QDialog(parent), m_store(store), m_profile(new QComboBox(this)), m_url(new QLineEdit(this)),
      m_token(new QLineEdit(this)), m_tokenFile(new QLineEdit(this)), m_pinLabel(new QLabel(this)),
      m_forgetPin(new QPushButton(tr("Forget"), this)), m_error(new QLabel(this))
{
    setWindowTitle(tr("Connect to a hub"));
    setObjectName(QStringLiteral("connectDialog"));
    m_profile->setEditable(true);
    m_profile->setObjectName(QStringLiteral("profile"));
    m_profile->addItems(store->names());
    m_url->setObjectName(QStringLiteral("url"));
    m_url->setPlaceholderText(QStringLiteral("https://hub.example:10010"));
    m_token->setObjectName(QStringLiteral("token"));
    m_token->setEchoMode(QLineEdit::Password);
    m_tokenFile->setObjectName(QStringLiteral("tokenFile"));
    m_tokenFile->setPlaceholderText(tr("or a file holding it, e.g. <data dir>/admin.token"));
    m_error->setObjectName(QStringLiteral("error"));
    m_error->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_error->setWordWrap(true);
    m_pinLabel->setWordWrap(true);
    m_pinLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *browse = new QToolButton(this);
    browse->setText(QStringLiteral("…"));
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_tokenFile);
    fileRow->addWidget(browse);
    auto *pinRow = new QHBoxLayout;
    pinRow->addWidget(m_pinLabel, 1);
    pinRow->addWidget(m_forgetPin);

    auto *form = new QFormLayout;
    form->addRow(tr("&Profile:"), m_profile);
    form->addRow(tr("Hub &URL:"), m_url);
    form->addRow(tr("&Token:"), m_token);
    auto *fileLabel = new QLabel(tr("Token &file:"), this);
    fileLabel->setBuddy(m_tokenFile);
    form->addRow(fileLabel, fileRow);
    form->addRow(tr("Certificate:"), pinRow);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    connect(browse, &QToolButton::clicked, this, &ConnectDialog::browseTokenFile);
    connect(m_forgetPin, &QPushButton::clicked, this, &ConnectDialog::forgetPin);
    connect(m_profile, &QComboBox::currentTextChanged, this, &ConnectDialog::loadProfile);
    connect(m_token, &QLineEdit::textEdited, this, [this] { m_storedToken.clear(); });

    const QString last = store->lastUsed();
    if (!last.isEmpty())
        selectProfile(last);
    else if (m_profile->count() == 0)
        m_profile->setEditText(QStringLiteral("local"));
    loadProfile(m_profile->currentText());
    resize(520, sizeHint().height());
}

void ConnectDialog::selectProfile(const QString &name)
{
    const int i = m_profile->findText(name);
    if (i >= 0)
        m_profile->setCurrentIndex(i);
    else
        m_profile->setEditText(name);
}

void ConnectDialog::loadProfile(const QString &name)
{
    const HubProfile p = m_store->load(name);
    if (p.url.isEmpty() && p.tokenFile.isEmpty() && p.token.isEmpty()) {
        m_pin.clear();
        m_storedToken.clear();
        if (m_url->text().isEmpty())
            m_url->setText(QStringLiteral("https://127.0.0.1:10010"));
        updatePinLabel();
        return;
    }
    m_url->setText(p.url.toString());
    m_tokenFile->setText(p.tokenFile);
    m_storedToken = p.token;
    // The stored token is never put back in the field: only a placeholder says one is there.
    m_token->clear();
    m_token->setPlaceholderText(p.token.isEmpty() ? QString() : tr("(stored; type to replace)"));
    m_pin = p.pin;
    updatePinLabel();
}

void ConnectDialog::updatePinLabel()
{
    m_pinLabel->setText(m_pin.isEmpty() ? tr("not pinned yet: you will be asked on first connection")
                                        : tr("pinned SHA-256 %1").arg(m_pin.left(23) + QStringLiteral("…")));
    m_pinLabel->setToolTip(m_pin);
    m_forgetPin->setEnabled(!m_pin.isEmpty());
}

void ConnectDialog::forgetPin()
{
    m_pin.clear();
    updatePinLabel();
}

void ConnectDialog::browseTokenFile()
{
    const QString f = QFileDialog::getOpenFileName(this, tr("Token file"), m_tokenFile->text());
    if (!f.isEmpty())
        m_tokenFile->setText(f);
}

HubProfile ConnectDialog::profile() const
{
    HubProfile p;
    p.name = m_profile->currentText().trimmed();
    p.url = QUrl::fromUserInput(m_url->text().trimmed());
    p.token = m_token->text().isEmpty() ? m_storedToken : m_token->text().toUtf8().trimmed();
    p.tokenFile = m_tokenFile->text().trimmed();
    if (!p.tokenFile.isEmpty() && m_token->text().isEmpty())
        p.token.clear();
    p.pin = m_pin;
    return p;
}

void ConnectDialog::accept()
{
    const HubProfile p = profile();
    QString problem;
    if (p.name.isEmpty())
        problem = tr("Give the profile a name.");
    else if (!p.url.isValid() || p.url.host().isEmpty())
        problem = tr("The hub URL is not valid.");
    else if (p.url.scheme() != QLatin1String("https"))
        problem = tr("The admin API speaks HTTPS only: use https://.");
    else if (const auto token = p.resolveToken(); !token.ok())
        problem = token.errorMessage();
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        return;
    }
    m_store->save(p);
    m_store->setLastUsed(p.name);
    QDialog::accept();
}

} // namespace qedge
