#include "gui/activity.h"

namespace qedge {

int Activity::begin(const QString &what)
{
    const int id = m_next++;
    m_running << qMakePair(id, what);
    emit changed();
    return id;
}

void Activity::end(int id, const QString &message, bool error)
{
    for (int i = 0; i < m_running.size(); ++i) {
        if (m_running.at(i).first == id) {
            m_running.removeAt(i);
            break;
        }
    }
    emit changed();
    if (!message.isEmpty())
        emit finished(message, error);
}

QString Activity::current() const
{
    return m_running.isEmpty() ? QString() : m_running.last().second;
}

} // namespace qedge
