#pragma once

#include <QStringList>

namespace qedge::ctl {

/// Left-aligned columns separated by two spaces; the header row in upper case.
QString renderTable(const QStringList &header, const QList<QStringList> &rows);

} // namespace qedge::ctl
