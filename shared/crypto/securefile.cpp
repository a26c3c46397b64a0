#include "shared/crypto/securefile.h"

#include <QSaveFile>

namespace qedge::crypto {

namespace {

Status writeFile(const QString &path, const QByteArray &data, QFileDevice::Permissions mode)
{
    QSaveFile file(path);
    // QSaveFile gives its temporary file the permissions of the file it replaces; set ours before
    // the data goes in so that a secret is never readable by others, not even briefly.
    if (!file.open(QIODevice::WriteOnly) || !file.setPermissions(mode)) {
        const QString why = file.errorString();
        file.cancelWriting();
        return Status::failure(QStringLiteral("file.write"),
                               QStringLiteral("cannot write %1: %2").arg(path, why));
    }
    if (file.write(data) != data.size() || !file.commit())
        return Status::failure(QStringLiteral("file.write"),
                               QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return {};
}

} // namespace

Status writeSecretFile(const QString &path, const QByteArray &data)
{
    return writeFile(path, data, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

Status writePublicFile(const QString &path, const QByteArray &data)
{
    return writeFile(path, data,
                     QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup |
                         QFileDevice::ReadOther);
}

} // namespace qedge::crypto
