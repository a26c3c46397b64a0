#pragma once

#include "shared/result.h"

#include <QByteArray>
#include <QString>

namespace qedge::crypto {

/// Writes \a data atomically (QSaveFile) with mode 0600, set before any byte is written.
/// The parent directory must exist.
Status writeSecretFile(const QString &path, const QByteArray &data);
/// Writes \a data atomically with mode 0644.
Status writePublicFile(const QString &path, const QByteArray &data);

} // namespace qedge::crypto
