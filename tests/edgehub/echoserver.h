#pragma once

// A tiny HTTP/1.1 service for ServiceBus tests (edge module and end-to-end).

#include <QHash>
#include <QTcpServer>
#include <QTcpSocket>

namespace qedge::test {

/// A tiny HTTP/1.1 server: answers 201 with "<method> <path> <body>" and an X-Echo header, or
/// never answers when `silent`.
class EchoServer : public QTcpServer
{
public:
    bool silent = false;
    int connections = 0;
    EchoServer()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                ++connections;
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    m_buffers[s] += s->readAll();
                    const QByteArray &b = m_buffers[s];
                    const int end = b.indexOf("\r\n\r\n");
                    if (end < 0 || silent)
                        return;
                    const QList<QByteArray> lines = b.left(end).split('\n');
                    int length = 0;
                    QByteArray tag;
                    for (const QByteArray &l : lines) {
                        if (l.toLower().startsWith("content-length:"))
                            length = l.mid(15).trimmed().toInt();
                        if (l.toLower().startsWith("x-tag:"))
                            tag = l.mid(6).trimmed();
                    }
                    if (b.size() < end + 4 + length)
                        return;
                    const QList<QByteArray> first = lines.first().trimmed().split(' ');
                    const QByteArray body = first.value(0) + ' ' + first.value(1) + ' ' + b.mid(end + 4, length);
                    s->write("HTTP/1.1 201 Created\r\nX-Echo: " + tag + "\r\nContent-Length: "
                             + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
                    s->disconnectFromHost();
                });
            }
        });
    }

private:
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace qedge::test
