#pragma once

#include "shared/result.h"

#include <QString>

class QAbstractItemModel;
class QAbstractItemView;

namespace qedge {

/// CSV of a model as shown (headers, then display text of every row), RFC 4180 quoting.
QString toCsv(const QAbstractItemModel *model);
/// Writes toCsv() atomically to path.
Status writeCsv(const QAbstractItemModel *model, const QString &path);
/// Text of the selected cells (tab between columns, newline between rows) for the clipboard.
QString selectionText(const QAbstractItemView *view);

} // namespace qedge
