#pragma once

#include "qedgectl/ctlclient.h"

#include <QStringList>

#include <functional>

class QTextStream;

namespace qedge::ctl {

/// What the command line asked for, besides the hub settings.
struct Invocation
{
    QStringList args;  ///< positional arguments: the command and its operands
    bool json = false; ///< -o json
    QString file;      ///< apply -f
    QStringList nodes; ///< --node (apply: targets; events/token: the one node)
    qint64 ttl = -1;   ///< token create --ttl
    bool follow = false;
};

/// Runs one qedgectl command; prints results to stdout and one error line to stderr.
/// Returns the process exit code.
class Commands
{
public:
    Commands(Client &client, Invocation inv) : m_client(client), m_inv(std::move(inv)) {}
    int run();

private:
    int nodes();
    int get();
    int apply();
    int remove();
    int queue();
    int tokenCreate();
    int events();
    int devices(); // devicecommands.cpp
    int twinSet();

    int fail(const Reply &r);
    int usage(const QString &message);
    void printJson(const QJsonValue &v);
    /// The shared tail of a command: fail() on an error reply, else its JSON with -o json, else what
    /// asText writes to out(); returns the exit code.
    int print(const Reply &r, const std::function<void(const QJsonObject &)> &asText);
    /// Writes a table to out().
    static void printTable(const QStringList &header, const QList<QStringList> &rows);
    static QTextStream &out();
    /// One path segment or query value, percent-encoded.
    static QString enc(const QString &part);
    /// "ns/name" or "name" (namespace default) as a device's admin API path; devicecommands.cpp.
    static QString devicePath(const QString &node, const QString &device);

    Client &m_client;
    Invocation m_inv;
};

} // namespace qedge::ctl
