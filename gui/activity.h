#pragma once

#include <QObject>
#include <QStringList>

namespace qedge {

/// Long operations in progress, for the status bar's busy indicator; pages report here.
class Activity : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    /// Starts an operation; pass the id to end().
    int begin(const QString &what);
    /// Ends it; message (if any) goes to the status bar, error true shows it as a failure.
    void end(int id, const QString &message = QString(), bool error = false);
    bool busy() const { return !m_running.isEmpty(); }
    QString current() const;

signals:
    void changed();
    void finished(const QString &message, bool error);

private:
    QList<QPair<int, QString>> m_running;
    int m_next = 1;
};

} // namespace qedge
