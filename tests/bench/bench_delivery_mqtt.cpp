// bench_delivery_mqtt: the subscriber side of bench_delivery's mosquitto peer, in its own process.
//
//   bench_delivery_mqtt PORT SUBSCRIBERS TOPIC
//
// SUBSCRIBERS persistent sessions (clean_session false) subscribe TOPIC with QoS 1 and are served by
// one poll() loop. libmosquitto sends each PUBACK as it reads the PUBLISH. Prints "ready N" once all
// are subscribed. Stdin: "phase NAME EXPECTED"; prints "done NAME COUNT FIRST_US LAST_US P50_US P99_US
// MAX_US" once EXPECTED messages arrived (latency = receipt - the sender's timestamp that starts the
// payload).
#include <mosquitto.h>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

long long realUs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct Phase
{
    std::string name;
    long long expected = 0;
    long long count = 0;
    long long firstUs = 0;
    long long lastUs = 0;
    std::vector<long long> latencies;
    bool active = false;
};

Phase g_phase;
int g_subscribed = 0;
const char *g_topic = nullptr;

void onConnect(mosquitto *m, void *, int rc)
{
    if (rc != 0) {
        std::fprintf(stderr, "connect refused: %d\n", rc);
        std::exit(3);
    }
    mosquitto_subscribe(m, nullptr, g_topic, 1);
}

void onSubscribe(mosquitto *, void *, int, int, const int *)
{
    ++g_subscribed;
}

void onMessage(mosquitto *, void *, const mosquitto_message *msg)
{
    const long long at = realUs();
    if (!g_phase.active)
        return;
    const long long sent = std::strtoll(static_cast<const char *>(msg->payload), nullptr, 10);
    if (g_phase.count == 0)
        g_phase.firstUs = at;
    g_phase.lastUs = at;
    ++g_phase.count;
    if (sent > 0)
        g_phase.latencies.push_back(at - sent);
    if (g_phase.count == g_phase.expected) {
        auto &l = g_phase.latencies;
        std::sort(l.begin(), l.end());
        const auto pct = [&](double q) { return l.empty() ? 0LL : l[static_cast<size_t>(q * double(l.size() - 1))]; };
        std::printf("done %s %lld %lld %lld %lld %lld %lld\n", g_phase.name.c_str(), g_phase.count, g_phase.firstUs,
                    g_phase.lastUs, pct(0.5), pct(0.99), l.empty() ? 0LL : l.back());
        std::fflush(stdout);
        g_phase.active = false;
    }
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s PORT SUBSCRIBERS TOPIC\n", argv[0]);
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const int n = std::atoi(argv[2]);
    g_topic = argv[3];
    mosquitto_lib_init();
    std::vector<mosquitto *> clients;
    for (int i = 0; i < n; ++i) {
        char id[64];
        std::snprintf(id, sizeof id, "bench-sub-%04d", i);
        mosquitto *m = mosquitto_new(id, false, nullptr);
        mosquitto_connect_callback_set(m, onConnect);
        mosquitto_subscribe_callback_set(m, onSubscribe);
        mosquitto_message_callback_set(m, onMessage);
        if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
            std::fprintf(stderr, "cannot connect subscriber %d\n", i);
            return 3;
        }
        clients.push_back(m);
    }
    bool announced = false;
    std::string input;
    std::vector<pollfd> fds(clients.size() + 1);
    long long lastMisc = 0;
    for (;;) {
        for (size_t i = 0; i < clients.size(); ++i) {
            fds[i].fd = mosquitto_socket(clients[i]);
            fds[i].events = short(POLLIN | (mosquitto_want_write(clients[i]) ? POLLOUT : 0));
            fds[i].revents = 0;
        }
        fds.back() = {STDIN_FILENO, POLLIN, 0};
        if (poll(fds.data(), fds.size(), 100) < 0)
            return 4;
        for (size_t i = 0; i < clients.size(); ++i) {
            if (fds[i].revents & POLLIN)
                mosquitto_loop_read(clients[i], 16);
            if (fds[i].revents & POLLOUT)
                mosquitto_loop_write(clients[i], 16);
        }
        const long long now = realUs();
        if (now - lastMisc > 100000) {
            for (mosquitto *m : clients)
                mosquitto_loop_misc(m);
            lastMisc = now;
        }
        if (!announced && g_subscribed == n) {
            std::printf("ready %d\n", n);
            std::fflush(stdout);
            announced = true;
        }
        if (fds.back().revents & (POLLIN | POLLHUP)) {
            char chunk[256];
            const ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
            if (got <= 0)
                break;
            input.append(chunk, size_t(got));
            size_t nl;
            while ((nl = input.find('\n')) != std::string::npos) {
                char name[64] = {};
                long long expected = 0;
                if (std::sscanf(input.substr(0, nl).c_str(), "phase %63s %lld", name, &expected) == 2) {
                    g_phase = Phase();
                    g_phase.name = name;
                    g_phase.expected = expected;
                    g_phase.latencies.reserve(size_t(expected));
                    g_phase.active = true;
                }
                input.erase(0, nl + 1);
            }
        }
    }
    for (mosquitto *m : clients) {
        mosquitto_disconnect(m);
        mosquitto_destroy(m);
    }
    mosquitto_lib_cleanup();
    return 0;
}
