#pragma once

#include "shared/result.h"

#include <QHash>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <climits>

class QCommandLineParser;

namespace qedge {

/// One documented, typed configuration key.
struct ConfigKey
{
    enum Type { String, Int, Bool, Double, StringList, Path };

    // Every member has an initializer so aggregate initialisation may stop after any field.
    QString key = {};          ///< INI "section/name", e.g. "websocket/port"
    Type type = String;
    QVariant defaultValue = {};
    QString description = {};  ///< printed as the comment above the key in the sample config
    QString flag = {};         ///< long command-line flag without "--", empty if none
    QString env = {};          ///< environment variable; derived from key when empty
    qint64 min = LLONG_MIN; ///< lower bound, Int only
    qint64 max = LLONG_MAX; ///< upper bound, Int only

    /// The environment variable that sets this key (env, or QEDGE_<SECTION>_<NAME>).
    QString envVar() const;
    /// What a valid value looks like, e.g. "an integer 0..65535" (for errors and the sample).
    QString expectation() const;

    /// QEDGE_<SECTION>_<NAME>: upper case, every non-alphanumeric character becomes '_'.
    static QString deriveEnvVar(const QString &key);
};

/// The set of keys a service understands; produces the sample config and the flags.
class ConfigSchema
{
public:
    ConfigSchema() = default;
    ConfigSchema(QString appName, QList<ConfigKey> keys);

    const QString &appName() const { return m_appName; }
    const QList<ConfigKey> &keys() const { return m_keys; }
    /// The key named `key`, or nullptr.
    const ConfigKey *find(const QString &key) const;

    /// A commented INI text holding every key at its default; QSettings reads it back as the defaults.
    QString defaultConfigText() const;
    /// Adds a value option for every key that has a flag.
    void addOptionsTo(QCommandLineParser &parser) const;

private:
    QString m_appName;
    QList<ConfigKey> m_keys;
};

/// Validated configuration values and where each came from.
class Config
{
public:
    Config() = default;

    /// Precedence: defaults < file < environment (QEDGE_*) < command-line flags.
    /// With explicitFile the file must exist and be readable; unknown keys in the file only warn.
    /// Errors name the origin (file, "env VAR", "flag --x") and the key.
    static Result<Config> load(const ConfigSchema &schema, const QString &file, bool explicitFile,
                               const QCommandLineParser *parser = nullptr,
                               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

    QVariant value(const QString &key) const;
    QString string(const QString &key) const;
    qint64 integer(const QString &key) const;
    bool boolean(const QString &key) const;
    double number(const QString &key) const;
    QStringList list(const QString &key) const;

    /// "default", the file path, "env QEDGE_X" or "flag --x".
    QString sourceOf(const QString &key) const;
    /// Non-fatal findings of load(), e.g. unknown keys in the file.
    const QStringList &warnings() const { return m_warnings; }
    /// The file that was read, empty when none was.
    const QString &file() const { return m_file; }

    /// Type-checks and sets a value (source "override"); for tests and programmatic setups.
    Status set(const QString &key, const QVariant &value);

private:
    Status apply(const ConfigKey &key, const QVariant &raw, const QString &origin);

    QList<ConfigKey> m_keys;
    QHash<QString, QVariant> m_values;
    QHash<QString, QString> m_sources;
    QStringList m_warnings;
    QString m_file;
};

} // namespace qedge
