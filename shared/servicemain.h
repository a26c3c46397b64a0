#pragma once

#include "shared/config.h"

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

class QTextStream;

namespace qedge {

/// What a service tells the common command line about itself.
struct ServiceOptions
{
    QString appName;
    QString description;
    ConfigSchema schema;
    QString defaultConfigFile; ///< read when present and no --config/QEDGE_CONFIG is given; may be empty
};

/// Outcome of the command line: either done (exit with exitCode) or a loaded config to run with.
struct ServiceStart
{
    bool done = false;
    int exitCode = 0;
    Config config;
};

/// Parses --help, --version, --config FILE, --log-rules RULES, --print-default-config and the schema's
/// flags; answers the informational ones itself (done=true), installs logging and loads the config.
/// Errors print one line to stderr and give done=true, exitCode 2.
ServiceStart parseServiceCommandLine(const ServiceOptions &opts, const QStringList &arguments);

/// The same with the environment and output streams given, for tests.
ServiceStart parseServiceCommandLine(const ServiceOptions &opts, const QStringList &arguments,
                                     const QProcessEnvironment &env, QTextStream &out, QTextStream &err);

/// For processes that hold thousands of sockets (cloudhub, edge simulators): call before the
/// QCoreApplication is created. On Unix it selects Qt's own event dispatcher instead of the glib
/// one: glib's scans every registered socket notifier whenever one is disabled, which a buffered
/// socket write does once per message, so a write cost O(sockets) (docs/benchmarks.md: hub CPU per
/// delivered message 259 -> 83 us at 10,000 sessions). An environment that sets QT_NO_GLIB,
/// even to an empty value, is left as it is (empty brings glib back).
void preferScalableEventDispatcher();

} // namespace qedge
