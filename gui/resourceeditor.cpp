#include "gui/resourceeditor.h"

#include "gui/hubclient.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QJsonDocument>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace qedge {

ResourceEditor::ResourceEditor(const QString &node, const QJsonObject &object, QWidget *parent)
    : QDialog(parent), m_node(node), m_edit(new QPlainTextEdit(this)), m_status(new QLabel(this))
{
    setWindowTitle(tr("Apply a resource to %1").arg(node));
    setObjectName(QStringLiteral("resourceEditor"));
    m_edit->setObjectName(QStringLiteral("json"));
    m_edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_edit->setTabChangesFocus(false);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("Apply"));
    m_ok->setIcon(QIcon(QStringLiteral(":/icons/apply.svg")));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_edit);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &ResourceEditor::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ResourceEditor::reject);
    connect(m_edit, &QPlainTextEdit::textChanged, this, &ResourceEditor::validate);
    QJsonObject shown = object;
    if (shown.isEmpty()) {
        shown = QJsonObject{
            {QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("kind"), QStringLiteral("ConfigMap")},
            {QStringLiteral("metadata"),
             QJsonObject{{QStringLiteral("name"), QStringLiteral("example")},
                         {QStringLiteral("namespace"), QStringLiteral("default")}}},
            {QStringLiteral("data"), QJsonObject{{QStringLiteral("key"), QStringLiteral("value")}}}};
    }
    m_edit->setPlainText(QString::fromUtf8(QJsonDocument(shown).toJson(QJsonDocument::Indented)));
    resize(640, 520);
}

void ResourceEditor::setText(const QString &text)
{
    m_edit->setPlainText(text);
}

void ResourceEditor::validate()
{
    const QByteArray text = m_edit->toPlainText().toUtf8();
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &pe);
    m_problem.clear();
    if (pe.error != QJsonParseError::NoError) {
        const QByteArray before = text.left(pe.offset);
        const int line = int(before.count('\n')) + 1;
        const int col = int(pe.offset - (before.lastIndexOf('\n') + 1)) + 1;
        m_problem = tr("Line %1, column %2: %3").arg(line).arg(col).arg(pe.errorString());
    } else if (!doc.isObject()) {
        m_problem = tr("A resource is a JSON object.");
    } else if (const Status s = HubClient::validateResource(doc.object()); !s.ok()) {
        m_problem = s.errorMessage();
    }
    m_object = m_problem.isEmpty() ? doc.object() : QJsonObject();
    m_status->setText(m_problem.isEmpty() ? tr("Valid %1.").arg(HubClient::typeOf(m_object)) : m_problem);
    m_status->setStyleSheet(m_problem.isEmpty() ? QStringLiteral("color: #1b7f3b")
                                                : QStringLiteral("color: #c0392b"));
    m_ok->setEnabled(m_problem.isEmpty());
}

void ResourceEditor::accept()
{
    if (!m_problem.isEmpty())
        return;
    if (m_confirm) {
        const QJsonObject meta = m_object.value(QLatin1String("metadata")).toObject();
        const QString ns = meta.value(QLatin1String("namespace")).toString(QStringLiteral("default"));
        const auto answer = QMessageBox::question(
            this, tr("Apply resource"),
            tr("Apply %1 %2/%3 to node %4? The hub delivers it to the edge.")
                .arg(HubClient::typeOf(m_object), ns, meta.value(QLatin1String("name")).toString(), m_node));
        if (answer != QMessageBox::Yes)
            return;
    }
    QDialog::accept();
}

} // namespace qedge
