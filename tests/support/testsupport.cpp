#include "tests/support/testsupport.h"

#include <QDir>
#include <QFileInfo>
#include <QTcpServer>

namespace qedge::test {

QString binaryPath(const QString &name)
{
    const QString root = QStringLiteral(QEDGE_BINARY_DIR);
    for (const QString &sub : {QStringLiteral("cloudhub"), QStringLiteral("edgehub"),
                               QStringLiteral("gui"), QStringLiteral("tests/bench"),
                               QStringLiteral("tools/edgesim"), QString()}) {
        const QString p = QDir(root).filePath(sub.isEmpty() ? name : sub + u'/' + name);
        if (QFileInfo(p).isExecutable())
            return p;
    }
    return QDir(root).filePath(name);
}

quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

} // namespace qedge::test
