#include "shared/config.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSettings>
#include <QTemporaryFile>

#include <cmath>
#include <optional>
#include <utility>

namespace qedge {

namespace {

Q_LOGGING_CATEGORY(lcConfig, "qedge.shared.config")

const QString kGeneral = QStringLiteral("general");

QString sectionOf(const QString &key)
{
    const qsizetype slash = key.indexOf(QLatin1Char('/'));
    return slash < 0 ? QString() : key.left(slash);
}

QString nameOf(const QString &key)
{
    return key.mid(key.indexOf(QLatin1Char('/')) + 1);
}

// QSettings folds a "[general]" section (any case) into the root, so those keys live there.
QString iniLookupKey(const QString &key)
{
    const QString section = sectionOf(key);
    if (section.isEmpty() || section.compare(kGeneral, Qt::CaseInsensitive) == 0)
        return nameOf(key);
    return key;
}

QString rawText(const QVariant &raw)
{
    if (raw.metaType().id() == QMetaType::QStringList)
        return raw.toStringList().join(QLatin1String(", "));
    return raw.toString();
}

QStringList splitList(const QString &text)
{
    QStringList out;
    const QStringList parts = text.split(QLatin1Char(','));
    for (const QString &part : parts) {
        const QString item = part.trimmed();
        if (!item.isEmpty())
            out.append(item);
    }
    return out;
}

QString expandPath(QString path)
{
    path = path.trimmed();
    if (path == QLatin1String("~") || path.startsWith(QLatin1String("~/")))
        path = QDir::homePath() + path.mid(1);
    return path.isEmpty() ? path : QDir::cleanPath(path);
}

// Converts a raw value to the key's type; an empty optional means it does not fit.
std::optional<QVariant> convert(const ConfigKey &key, const QVariant &raw)
{
    switch (key.type) {
    case ConfigKey::String:
        return QVariant(rawText(raw));
    case ConfigKey::Path:
        return QVariant(expandPath(rawText(raw)));
    case ConfigKey::Int: {
        if (raw.metaType().id() == QMetaType::LongLong || raw.metaType().id() == QMetaType::Int
            || raw.metaType().id() == QMetaType::UInt || raw.metaType().id() == QMetaType::Long) {
            const qint64 v = raw.toLongLong();
            return v < key.min || v > key.max ? std::nullopt : std::optional<QVariant>(QVariant(v));
        }
        bool ok = false;
        const qint64 v = rawText(raw).trimmed().toLongLong(&ok, 10);
        if (!ok || v < key.min || v > key.max)
            return std::nullopt;
        return QVariant(v);
    }
    case ConfigKey::Bool: {
        if (raw.metaType().id() == QMetaType::Bool)
            return raw;
        const QString t = rawText(raw).trimmed().toLower();
        if (t == QLatin1String("true") || t == QLatin1String("yes") || t == QLatin1String("on")
            || t == QLatin1String("1"))
            return QVariant(true);
        if (t == QLatin1String("false") || t == QLatin1String("no") || t == QLatin1String("off")
            || t == QLatin1String("0"))
            return QVariant(false);
        return std::nullopt;
    }
    case ConfigKey::Double: {
        bool ok = false;
        const double v = raw.metaType().id() == QMetaType::Double
            ? raw.toDouble(&ok)
            : rawText(raw).trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(v))
            return std::nullopt;
        return QVariant(v);
    }
    case ConfigKey::StringList: {
        if (raw.metaType().id() == QMetaType::QStringList) {
            QStringList out;
            const QStringList items = raw.toStringList();
            for (const QString &item : items) {
                if (!item.trimmed().isEmpty())
                    out.append(item.trimmed());
            }
            return QVariant(out);
        }
        return QVariant(splitList(raw.toString()));
    }
    }
    return std::nullopt;
}

// Quotes a value the way QSettings' INI reader unquotes it, so the sample reads back verbatim.
QString escapeIniValue(QString s)
{
    if (s.startsWith(QLatin1Char('@')))
        s.prepend(QLatin1Char('@'));
    bool quote = !s.isEmpty() && (s.front().isSpace() || s.back().isSpace());
    for (const QChar c : std::as_const(s)) {
        if (QStringView(u",;\"\\#=\n\r\t").contains(c))
            quote = true;
    }
    if (!quote)
        return s;
    s.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    s.replace(QLatin1Char('"'), QLatin1String("\\\""));
    s.replace(QLatin1Char('\n'), QLatin1String("\\n"));
    s.replace(QLatin1Char('\r'), QLatin1String("\\r"));
    s.replace(QLatin1Char('\t'), QLatin1String("\\t"));
    return QLatin1Char('"') + s + QLatin1Char('"');
}

QString iniValueText(const ConfigKey &key, const QVariant &value)
{
    switch (key.type) {
    case ConfigKey::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case ConfigKey::Int:
        return QString::number(value.toLongLong());
    case ConfigKey::Double:
        return value.toString();
    case ConfigKey::StringList: {
        QStringList items;
        const QStringList list = value.toStringList();
        for (const QString &item : list)
            items.append(escapeIniValue(item));
        return items.join(QLatin1String(", "));
    }
    case ConfigKey::String:
    case ConfigKey::Path:
        break;
    }
    return escapeIniValue(value.toString());
}

QString valueName(ConfigKey::Type type)
{
    switch (type) {
    case ConfigKey::Int:
        return QStringLiteral("N");
    case ConfigKey::Bool:
        return QStringLiteral("BOOL");
    case ConfigKey::Double:
        return QStringLiteral("NUMBER");
    case ConfigKey::StringList:
        return QStringLiteral("LIST");
    case ConfigKey::Path:
        return QStringLiteral("PATH");
    case ConfigKey::String:
        break;
    }
    return QStringLiteral("VALUE");
}

} // namespace

QString ConfigKey::deriveEnvVar(const QString &key)
{
    QString name = QStringLiteral("QEDGE_") + key.toUpper();
    for (QChar &c : name) {
        if (!(c.isDigit() || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))))
            c = QLatin1Char('_');
    }
    return name;
}

QString ConfigKey::envVar() const
{
    return env.isEmpty() ? deriveEnvVar(key) : env;
}

QString ConfigKey::expectation() const
{
    switch (type) {
    case String:
        return QStringLiteral("a string");
    case Path:
        return QStringLiteral("a path");
    case Bool:
        return QStringLiteral("a boolean (true/false, yes/no, on/off, 1/0)");
    case Double:
        return QStringLiteral("a number");
    case StringList:
        return QStringLiteral("a comma-separated list");
    case Int:
        break;
    }
    if (min != LLONG_MIN && max != LLONG_MAX)
        return QStringLiteral("an integer %1..%2").arg(min).arg(max);
    if (min != LLONG_MIN)
        return QStringLiteral("an integer >= %1").arg(min);
    if (max != LLONG_MAX)
        return QStringLiteral("an integer <= %1").arg(max);
    return QStringLiteral("an integer");
}

ConfigSchema::ConfigSchema(QString appName, QList<ConfigKey> keys)
    : m_appName(std::move(appName)), m_keys(std::move(keys))
{
}

const ConfigKey *ConfigSchema::find(const QString &key) const
{
    for (const ConfigKey &k : m_keys) {
        if (k.key == key)
            return &k;
    }
    return nullptr;
}

QString ConfigSchema::defaultConfigText() const
{
    QString text;
    // ';' starts a comment for QSettings; a '#' line holding '=' would be read as a key.
    text += QStringLiteral("; %1 configuration (INI). Pass it with --config FILE or QEDGE_CONFIG=FILE.\n")
                .arg(m_appName);
    text += QStringLiteral(
        "; Every key is listed at its built-in default.\n"
        "; Precedence: defaults < this file < environment variables (QEDGE_*) < command-line flags.\n"
        "; Booleans: true/false, yes/no, on/off, 1/0. Lists: comma-separated.\n"
        "; Put values containing a comma, a semicolon or a quote in double quotes; inside quotes\n"
        "; write a backslash as two (or use forward slashes in Windows paths).\n"
        "; Empty environment variables are ignored.\n");

    // Sections in order of first appearance; keys without a section belong to [general].
    QStringList sections;
    for (const ConfigKey &k : m_keys) {
        const QString s = sectionOf(k.key).isEmpty() ? kGeneral : sectionOf(k.key);
        if (!sections.contains(s))
            sections.append(s);
    }
    for (const QString &section : std::as_const(sections)) {
        text += QLatin1String("\n[") + section + QLatin1String("]\n");
        for (const ConfigKey &k : m_keys) {
            const QString s = sectionOf(k.key).isEmpty() ? kGeneral : sectionOf(k.key);
            if (s != section)
                continue;
            const QStringList lines = k.description.split(QLatin1Char('\n'));
            for (const QString &line : lines)
                text += QLatin1String("; ") + line + QLatin1Char('\n');
            text += QLatin1String("; type: ") + k.expectation() + QLatin1String("; env: ") + k.envVar();
            if (!k.flag.isEmpty())
                text += QLatin1String("; flag: --") + k.flag;
            text += QLatin1Char('\n');
            QVariant def = convert(k, k.defaultValue).value_or(k.defaultValue);
            text += nameOf(k.key) + QLatin1Char('=') + iniValueText(k, def) + QLatin1Char('\n');
        }
    }
    return text;
}

void ConfigSchema::addOptionsTo(QCommandLineParser &parser) const
{
    for (const ConfigKey &k : m_keys) {
        if (k.flag.isEmpty())
            continue;
        QString help = k.description;
        help.replace(QLatin1Char('\n'), QLatin1Char(' '));
        help += QStringLiteral(" [%1; env %2]").arg(k.key, k.envVar());
        parser.addOption(QCommandLineOption(QStringList{k.flag}, help, valueName(k.type)));
    }
}

Result<Config> Config::load(const ConfigSchema &schema, const QString &file, bool explicitFile,
                            const QCommandLineParser *parser, const QProcessEnvironment &env)
{
    Config config;
    config.m_keys = schema.keys();
    for (const ConfigKey &k : schema.keys()) {
        const Status st = config.apply(k, k.defaultValue, QStringLiteral("default"));
        if (!st)
            return st.error();
    }

    const QFileInfo info(file);
    if (!file.isEmpty() && (explicitFile || info.exists())) {
        if (!info.exists()) {
            return Result<Config>::failure(
                QStringLiteral("config-missing"),
                QStringLiteral("%1: config file does not exist").arg(file));
        }
        QFile source(file);
        if (info.isDir() || !source.open(QIODevice::ReadOnly)) {
            return Result<Config>::failure(
                QStringLiteral("config-unreadable"),
                QStringLiteral("%1: cannot read the config file: %2")
                    .arg(file, info.isDir() ? QStringLiteral("it is a directory") : source.errorString()));
        }
        // QSettings caches parsed files by path and re-reads only when size or mtime change, which
        // misses a rewrite within the same millisecond; a private copy is always parsed afresh.
        QTemporaryFile copy(QDir::tempPath() + QStringLiteral("/qedge-config-XXXXXX.ini"));
        if (!copy.open() || copy.write(source.readAll()) < 0 || !copy.flush()) {
            return Result<Config>::failure(
                QStringLiteral("config-unreadable"),
                QStringLiteral("%1: cannot read the config file: %2").arg(file, copy.errorString()));
        }
        source.close();

        const QSettings settings(copy.fileName(), QSettings::IniFormat);
        if (settings.status() != QSettings::NoError) {
            return Result<Config>::failure(
                QStringLiteral("config-unreadable"),
                QStringLiteral("%1: cannot parse the config file as INI").arg(file));
        }
        for (const ConfigKey &k : schema.keys()) {
            const QString iniKey = iniLookupKey(k.key);
            if (!settings.contains(iniKey))
                continue;
            const Status st = config.apply(k, settings.value(iniKey), file);
            if (!st)
                return st.error();
        }
        const QStringList present = settings.allKeys();
        for (const QString &iniKey : present) {
            bool known = false;
            for (const ConfigKey &k : schema.keys())
                known = known || iniLookupKey(k.key) == iniKey;
            if (!known) {
                const QString shown = iniKey.contains(QLatin1Char('/')) ? iniKey : kGeneral + QLatin1Char('/') + iniKey;
                config.m_warnings.append(QStringLiteral("%1: unknown key \"%2\" ignored").arg(file, shown));
            }
        }
        config.m_file = file;
    }

    for (const ConfigKey &k : schema.keys()) {
        const QString var = k.envVar();
        const QString v = env.value(var);
        if (v.isEmpty())
            continue;
        const Status st = config.apply(k, v, QLatin1String("env ") + var);
        if (!st)
            return st.error();
    }

    if (parser) {
        for (const ConfigKey &k : schema.keys()) {
            if (k.flag.isEmpty() || !parser->isSet(k.flag))
                continue;
            const QString v = k.type == ConfigKey::StringList
                ? parser->values(k.flag).join(QLatin1Char(','))
                : parser->value(k.flag);
            const Status st = config.apply(k, v, QLatin1String("flag --") + k.flag);
            if (!st)
                return st.error();
        }
    }

    for (const QString &w : std::as_const(config.m_warnings))
        qCWarning(lcConfig).noquote() << w;
    return config;
}

Status Config::apply(const ConfigKey &key, const QVariant &raw, const QString &origin)
{
    const std::optional<QVariant> v = convert(key, raw);
    if (!v) {
        return Status::failure(QStringLiteral("config-invalid"),
                               QStringLiteral("%1: %2: expected %3, got \"%4\"")
                                   .arg(origin, key.key, key.expectation(), rawText(raw)));
    }
    m_values.insert(key.key, *v);
    m_sources.insert(key.key, origin);
    return {};
}

Status Config::set(const QString &key, const QVariant &value)
{
    for (const ConfigKey &k : std::as_const(m_keys)) {
        if (k.key == key)
            return apply(k, value, QStringLiteral("override"));
    }
    return Status::failure(QStringLiteral("config-unknown-key"),
                           QStringLiteral("%1: unknown configuration key").arg(key));
}

QVariant Config::value(const QString &key) const
{
    const auto it = m_values.constFind(key);
    if (it == m_values.constEnd()) {
        qCWarning(lcConfig) << "unknown configuration key" << key;
        return {};
    }
    return *it;
}

QString Config::string(const QString &key) const
{
    return value(key).toString();
}

qint64 Config::integer(const QString &key) const
{
    return value(key).toLongLong();
}

bool Config::boolean(const QString &key) const
{
    return value(key).toBool();
}

double Config::number(const QString &key) const
{
    return value(key).toDouble();
}

QStringList Config::list(const QString &key) const
{
    return value(key).toStringList();
}

QString Config::sourceOf(const QString &key) const
{
    return m_sources.value(key);
}

} // namespace qedge
