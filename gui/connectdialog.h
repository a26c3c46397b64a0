#pragma once

#include "gui/profilestore.h"

#include <QDialog>

class QComboBox;
class QLineEdit;
class QLabel;
class QPushButton;

namespace qedge {

/// Hub URL, token (never shown again once entered) or token file, profile name.
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(ProfileStore *store, QWidget *parent = nullptr);

    /// The profile as filled in; the stored token is kept when the field was left untouched.
    HubProfile profile() const;
    void selectProfile(const QString &name);

    void accept() override;

private:
    void loadProfile(const QString &name);
    void forgetPin();
    void browseTokenFile();
    void updatePinLabel();

    ProfileStore *m_store;
    QComboBox *m_profile;
    QLineEdit *m_url;
    QLineEdit *m_token;
    QLineEdit *m_tokenFile;
    QLabel *m_pinLabel;
    QPushButton *m_forgetPin;
    QLabel *m_error;
    QByteArray m_storedToken;
    QString m_pin;
};

} // namespace qedge
