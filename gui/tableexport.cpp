#include "gui/tableexport.h"

#include <QAbstractItemView>
#include <QItemSelectionModel>
#include <QMap>
#include <QSaveFile>
#include <QStringList>

namespace qedge {

namespace {
QString csvField(const QString &s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString q = s;
    q.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}
} // namespace

QString toCsv(const QAbstractItemModel *model)
{
    QString out;
    QStringList row;
    const int cols = model->columnCount();
    for (int c = 0; c < cols; ++c)
        row << csvField(model->headerData(c, Qt::Horizontal).toString());
    out += row.join(QLatin1Char(',')) + QLatin1String("\r\n");
    for (int r = 0; r < model->rowCount(); ++r) {
        row.clear();
        for (int c = 0; c < cols; ++c)
            row << csvField(model->index(r, c).data().toString());
        out += row.join(QLatin1Char(',')) + QLatin1String("\r\n");
    }
    return out;
}

Status writeCsv(const QAbstractItemModel *model, const QString &path)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return Status::failure(QStringLiteral("io"),
                               QStringLiteral("Cannot write %1: %2").arg(path, f.errorString()));
    f.write(toCsv(model).toUtf8());
    if (!f.commit())
        return Status::failure(QStringLiteral("io"),
                               QStringLiteral("Cannot write %1: %2").arg(path, f.errorString()));
    return {};
}

QString selectionText(const QAbstractItemView *view)
{
    const QItemSelectionModel *sel = view->selectionModel();
    QModelIndexList indexes = sel ? sel->selectedIndexes() : QModelIndexList();
    if (indexes.isEmpty() && view->currentIndex().isValid())
        indexes << view->currentIndex();
    QMap<int, QMap<int, QString>> grid;
    for (const QModelIndex &i : indexes)
        grid[i.row()][i.column()] = i.data().toString();
    QStringList lines;
    for (const auto &cols : grid)
        lines << QStringList(cols.values()).join(QLatin1Char('\t'));
    return lines.join(QLatin1Char('\n'));
}

} // namespace qedge
