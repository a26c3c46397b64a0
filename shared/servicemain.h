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

} // namespace qedge
