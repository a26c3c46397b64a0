#include "shared/service_win.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QMetaObject>
#include <QPointer>

#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#ifdef _MSC_VER
#pragma comment(lib, "advapi32.lib")
#endif

namespace qedge {
namespace {

const QString InstallFlag = QStringLiteral("--install-service");
const QString UninstallFlag = QStringLiteral("--uninstall-service");
const QString RunFlag = QStringLiteral("--run-as-service");

// The SCM starts services in System32: path options must be absolute in the registered command line.
const QStringList PathOptions = {QStringLiteral("--config"), QStringLiteral("--data-dir"),
                                 QStringLiteral("--token-file")};

// ServiceMain and the control handler get no user pointer from the SCM, so the one service of
// this process keeps its state here. Never freed: a late SCM callback must not touch freed memory.
struct ScmState
{
    std::wstring name;
    SERVICE_STATUS_HANDLE handle = nullptr;
    SERVICE_STATUS status{};
    std::mutex statusMutex;
    HANDLE stoppedEvent = nullptr;
    std::promise<bool> registered;
    std::thread dispatcher;
    QPointer<WindowsService> service; // read and written on the Qt main thread only
    bool running = false;
};
ScmState *g_state = nullptr;

void printError(const QString &text)
{
    std::fprintf(stderr, "%s\n", qPrintable(text));
}

QString errorText(DWORD code)
{
    wchar_t *buffer = nullptr;
    const DWORD length = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM
                                            | FORMAT_MESSAGE_IGNORE_INSERTS,
                                        nullptr, code, 0, reinterpret_cast<LPWSTR>(&buffer), 0, nullptr);
    const QString text = length ? QString::fromWCharArray(buffer, int(length)).trimmed() : QString();
    LocalFree(buffer);
    QString hint;
    if (code == ERROR_ACCESS_DENIED)
        hint = QStringLiteral(" Run it from an Administrator prompt.");
    return QStringLiteral("%1 (Windows error %2).%3").arg(text).arg(code).arg(hint);
}

void setStatus(DWORD state, DWORD win32ExitCode = NO_ERROR, DWORD serviceExitCode = 0, DWORD waitHintMs = 0)
{
    std::lock_guard<std::mutex> lock(g_state->statusMutex);
    SERVICE_STATUS &s = g_state->status;
    s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    s.dwCurrentState = state;
    s.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    s.dwWin32ExitCode = win32ExitCode;
    s.dwServiceSpecificExitCode = serviceExitCode;
    s.dwWaitHint = waitHintMs;
    s.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : s.dwCheckPoint + 1;
    SetServiceStatus(g_state->handle, &s);
}

// Runs on the dispatcher thread: never touch Qt objects here, only post to the main thread.
DWORD WINAPI controlHandler(DWORD control, DWORD, LPVOID, LPVOID)
{
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        setStatus(SERVICE_STOP_PENDING, NO_ERROR, 0, 30000);
        if (QCoreApplication *app = QCoreApplication::instance()) {
            QMetaObject::invokeMethod(
                app,
                [] {
                    if (g_state->service)
                        emit g_state->service->stopRequested();
                    QCoreApplication::quit();
                },
                Qt::QueuedConnection);
        }
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

void WINAPI serviceMain(DWORD, LPWSTR *)
{
    g_state->handle = RegisterServiceCtrlHandlerExW(g_state->name.c_str(), controlHandler, nullptr);
    if (!g_state->handle) {
        g_state->registered.set_value(false);
        return;
    }
    setStatus(SERVICE_RUNNING);
    g_state->registered.set_value(true);
    // ServiceMain returns only when the service is done (Microsoft's contract for ServiceMain).
    WaitForSingleObject(g_state->stoppedEvent, INFINITE);
}

// Quotes one argument so CommandLineToArgvW (and the MSVC runtime) give it back unchanged.
QString quoteArgument(const QString &argument)
{
    if (!argument.isEmpty() && !argument.contains(QLatin1Char(' ')) && !argument.contains(QLatin1Char('\t'))
        && !argument.contains(QLatin1Char('"')))
        return argument;
    QString quoted(QLatin1Char('"'));
    qsizetype backslashes = 0;
    for (const QChar c : argument) {
        if (c == QLatin1Char('\\')) {
            ++backslashes;
            continue;
        }
        if (c == QLatin1Char('"'))
            quoted += QString(backslashes * 2 + 1, QLatin1Char('\\'));
        else
            quoted += QString(backslashes, QLatin1Char('\\'));
        quoted += c;
        backslashes = 0;
    }
    quoted += QString(backslashes * 2, QLatin1Char('\\'));
    quoted += QLatin1Char('"');
    return quoted;
}

QString absoluteNative(const QString &path)
{
    return QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath());
}

QString modulePath()
{
    std::vector<wchar_t> buffer(MAX_PATH);
    for (;;) {
        const DWORD length = GetModuleFileNameW(nullptr, buffer.data(), DWORD(buffer.size()));
        if (length == 0)
            return QString();
        if (length < buffer.size())
            return QString::fromWCharArray(buffer.data(), int(length));
        buffer.resize(buffer.size() * 2);
    }
}

// The command line the SCM runs: this executable, --run-as-service and the caller's options.
QString serviceCommandLine(const QStringList &arguments)
{
    QStringList serviceArguments{RunFlag};
    const QStringList rest = WindowsService::withoutServiceFlags(arguments).mid(1);
    for (qsizetype i = 0; i < rest.size(); ++i) {
        const QString &argument = rest.at(i);
        const qsizetype equals = argument.indexOf(QLatin1Char('='));
        if (PathOptions.contains(argument) && i + 1 < rest.size()) {
            serviceArguments << argument << absoluteNative(rest.at(++i));
        } else if (equals > 0 && PathOptions.contains(argument.left(equals))) {
            serviceArguments << QString(argument.left(equals + 1) + absoluteNative(argument.mid(equals + 1)));
        } else {
            serviceArguments << argument;
        }
    }
    QString commandLine = quoteArgument(QDir::toNativeSeparators(modulePath()));
    for (const QString &argument : serviceArguments)
        commandLine += QLatin1Char(' ') + quoteArgument(argument);
    return commandLine;
}

int installService(const QString &name, const QString &displayName, const QStringList &arguments)
{
    const std::wstring wname = name.toStdWString();
    const std::wstring wdisplay = displayName.toStdWString();
    const QString commandLine = serviceCommandLine(arguments);
    const std::wstring wcommand = commandLine.toStdWString();

    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
    if (!scm) {
        printError(QStringLiteral("%1: cannot open the service control manager: %2").arg(name, errorText(GetLastError())));
        return 1;
    }
    const DWORD access = SERVICE_CHANGE_CONFIG | SERVICE_START | SERVICE_QUERY_CONFIG;
    SC_HANDLE service = CreateServiceW(scm, wname.c_str(), wdisplay.c_str(), access, SERVICE_WIN32_OWN_PROCESS,
                                       SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, wcommand.c_str(), nullptr, nullptr,
                                       nullptr, nullptr, nullptr);
    bool updated = false;
    if (!service && GetLastError() == ERROR_SERVICE_EXISTS) {
        // Reinstall or upgrade: keep the service, point it at this executable and these options.
        service = OpenServiceW(scm, wname.c_str(), access);
        if (service
            && !ChangeServiceConfigW(service, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, wcommand.c_str(),
                                     nullptr, nullptr, nullptr, nullptr, nullptr, wdisplay.c_str())) {
            CloseServiceHandle(service);
            service = nullptr;
        }
        updated = service != nullptr;
    }
    if (!service) {
        printError(QStringLiteral("%1: cannot register the service: %2").arg(name, errorText(GetLastError())));
        CloseServiceHandle(scm);
        return 1;
    }

    std::wstring description = QStringLiteral("QEdge %1 (%2)").arg(name, displayName).toStdWString();
    SERVICE_DESCRIPTIONW descriptionInfo{description.data()};
    ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, &descriptionInfo);

    // Like systemd's Restart=on-failure: restart after a crash or a non-zero exit status.
    SC_ACTION actions[3] = {{SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 60000}};
    SERVICE_FAILURE_ACTIONSW failureActions{};
    failureActions.dwResetPeriod = 24 * 60 * 60;
    failureActions.cActions = 3;
    failureActions.lpsaActions = actions;
    ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS, &failureActions);
    SERVICE_FAILURE_ACTIONS_FLAG onNonCrash{TRUE};
    ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &onNonCrash);

    CloseServiceHandle(service);
    CloseServiceHandle(scm);
    std::printf("%s service %s: %s\n", updated ? "updated" : "installed", qPrintable(name), qPrintable(commandLine));
    return 0;
}

int uninstallService(const QString &name)
{
    const std::wstring wname = name.toStdWString();
    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
    if (!scm) {
        printError(QStringLiteral("%1: cannot open the service control manager: %2").arg(name, errorText(GetLastError())));
        return 1;
    }
    SC_HANDLE service = OpenServiceW(scm, wname.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
    if (!service) {
        const DWORD error = GetLastError();
        CloseServiceHandle(scm);
        if (error == ERROR_SERVICE_DOES_NOT_EXIST) {
            std::printf("service %s is not installed\n", qPrintable(name));
            return 0;
        }
        printError(QStringLiteral("%1: cannot open the service: %2").arg(name, errorText(error)));
        return 1;
    }
    SERVICE_STATUS status{};
    if (ControlService(service, SERVICE_CONTROL_STOP, &status)) {
        // The graceful shutdown commits queues first; give it the same 30 s systemd gives it.
        for (int i = 0; i < 300 && status.dwCurrentState != SERVICE_STOPPED; ++i) {
            Sleep(100);
            if (!QueryServiceStatus(service, &status))
                break;
        }
    }
    const bool deleted = DeleteService(service) || GetLastError() == ERROR_SERVICE_MARKED_FOR_DELETE;
    const DWORD error = GetLastError();
    CloseServiceHandle(service);
    CloseServiceHandle(scm);
    if (!deleted) {
        printError(QStringLiteral("%1: cannot remove the service: %2").arg(name, errorText(error)));
        return 1;
    }
    std::printf("removed service %s\n", qPrintable(name));
    return 0;
}

} // namespace

std::optional<int> WindowsService::handleCommandLine(const QString &name, const QString &displayName,
                                                     const QStringList &arguments)
{
    if (arguments.contains(UninstallFlag))
        return uninstallService(name);
    if (arguments.contains(InstallFlag))
        return installService(name, displayName, arguments);
    return std::nullopt;
}

bool WindowsService::isServiceLaunch(const QStringList &arguments)
{
    return arguments.contains(RunFlag);
}

QStringList WindowsService::withoutServiceFlags(const QStringList &arguments)
{
    QStringList rest;
    for (const QString &argument : arguments) {
        if (argument != InstallFlag && argument != UninstallFlag && argument != RunFlag)
            rest << argument;
    }
    return rest;
}

WindowsService::WindowsService(const QString &name, QObject *parent)
    : QObject(parent)
    , m_name(name)
{
    if (!g_state) {
        g_state = new ScmState;
        g_state->stoppedEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    }
    g_state->name = name.toStdWString();
    g_state->service = this;
}

WindowsService::~WindowsService()
{
    reportStopped(0);
    if (g_state->dispatcher.joinable())
        g_state->dispatcher.join();
    g_state->service = nullptr;
}

bool WindowsService::start()
{
    std::future<bool> registered = g_state->registered.get_future();
    // The dispatcher blocks its thread for the service's lifetime; Qt keeps the main thread.
    g_state->dispatcher = std::thread([] {
        SERVICE_TABLE_ENTRYW table[] = {{const_cast<LPWSTR>(g_state->name.c_str()), serviceMain}, {nullptr, nullptr}};
        if (!StartServiceCtrlDispatcherW(table)) {
            const DWORD error = GetLastError();
            printError(QStringLiteral("cannot connect to the service control manager: %1 Start it with "
                                      "\"sc.exe start\", or run without --run-as-service.")
                           .arg(errorText(error)));
            g_state->registered.set_value(false);
        }
    });
    if (registered.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        printError(QStringLiteral("%1: the service control manager did not start the service").arg(m_name));
        g_state->dispatcher.detach();
        return false;
    }
    g_state->running = registered.get();
    if (!g_state->running)
        g_state->dispatcher.detach(); // it has returned, or waits on an SCM that gave up on us
    return g_state->running;
}

void WindowsService::reportStopped(int exitCode)
{
    if (!g_state->running)
        return;
    g_state->running = false;
    if (exitCode == 0)
        setStatus(SERVICE_STOPPED);
    else
        setStatus(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, DWORD(exitCode));
    SetEvent(g_state->stoppedEvent);
}

} // namespace qedge
