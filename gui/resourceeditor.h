#pragma once

#include <QDialog>
#include <QJsonObject>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace qedge {

/// JSON editor for one resource: validates as you type (JSON syntax with line and column, then
/// kind/apiVersion/metadata.name) and asks for confirmation before accepting.
class ResourceEditor : public QDialog
{
    Q_OBJECT
public:
    ResourceEditor(const QString &node, const QJsonObject &object, QWidget *parent = nullptr);

    QJsonObject object() const { return m_object; }
    /// The validation message now, empty when the text is a valid resource.
    QString problem() const { return m_problem; }
    void setText(const QString &text);
    /// Skips the confirmation question (tests, scripted use).
    void setConfirm(bool confirm) { m_confirm = confirm; }

    void accept() override;

private:
    void validate();

    QString m_node;
    QPlainTextEdit *m_edit;
    QLabel *m_status;
    QPushButton *m_ok;
    QJsonObject m_object;
    QString m_problem;
    bool m_confirm = true;
};

} // namespace qedge
