#include "qedgectl/table.h"

#include <algorithm>

namespace qedge::ctl {

QString renderTable(const QStringList &header, const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QString &h : header)
        widths.append(h.size());
    for (const QStringList &row : rows)
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).size());
    QString out;
    const auto line = [&](const QStringList &cells) {
        QString l;
        for (qsizetype i = 0; i < widths.size(); ++i) {
            const QString cell = i < cells.size() ? cells.at(i) : QString();
            l += i + 1 < widths.size() ? cell.leftJustified(widths[i] + 2) : cell;
        }
        out += l + u'\n';
    };
    QStringList upper;
    for (const QString &h : header)
        upper.append(h.toUpper());
    line(upper);
    for (const QStringList &row : rows)
        line(row);
    return out;
}

} // namespace qedge::ctl
