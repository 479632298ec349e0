// Many live clients in one process, a server restart, everyone recovers:
//  - the emulator runs on its own thread (its own io_context) on a temporary SQLite file (WAL),
//    seeded so that each of N users is a member of K channels (channel i has members
//    client-i … client-(i+K-1), wrapping around);
//  - N streamchat::client objects (one user and token each, no thread per client) run on T
//    io_contexts, one thread each; all connect at once (or in waves of --connect-batch), then
//    each watches its K channels;
//  - the emulator is stopped (every socket closed), left down for --down-ms, and restarted on the
//    same port and file; each client reconnects on its own jittered backoff (Stream's defaults
//    unless overridden), catches up and announces connection.recovered;
//  - prints connect, watch and recovery percentiles, when the clients came back (a 250 ms
//    histogram from the restart), RSS and bytes per client, and the per-client checks (one
//    WebSocket each, never two at once, one recovery each, the server's view agreeing).
// Exits 0 when every check passed, 1 when one failed (a client not recovered within
// --recover-timeout-s included), 2 on bad arguments or a setup failure, 3 on a hang.
// Emulator functions run on the emulator's thread, client functions on their own io_context's
// thread; this thread only orchestrates and measures.

#include "summary.hpp"

#include "emulator/store/store.hpp"

#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using streamchat::error_code;

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);
/// A call onto another thread that takes longer than this is a hang: reported, exit 3.
constexpr auto call_deadline = 60s;

// ------------------------------------------------------------------ options

struct options {
    int clients = 1000;
    int channels_per_client = 2;
    int threads = 1;
    int connect_batch = 0;           ///< Connects started at once; 0 = all.
    int down_ms = 1000;              ///< How long the emulator stays down.
    int recover_timeout_s = 60;      ///< Every client must be recovered this long after the drop.
    int connect_timeout_s = 120;     ///< Every client must be connected and watching by then.
    int settle_ms = 2000;            ///< Quiet time after the last recovery before the checks.
    std::optional<int> backoff_floor_ms, backoff_first_max_ms, backoff_step_ms, backoff_cap_ms;
};

void usage(std::FILE* out)
{
    std::fprintf(out,
                 "usage: bench_many_clients [--clients N] [--channels-per-client K] [--threads T]\n"
                 "                          [--connect-batch B] [--down-ms MS] [--recover-timeout-s S]\n"
                 "                          [--connect-timeout-s S] [--settle-ms MS]\n"
                 "                          [--backoff-floor-ms MS] [--backoff-first-max-ms MS]\n"
                 "                          [--backoff-step-ms MS] [--backoff-cap-ms MS]\n"
                 "  --clients N              live clients (users), default 1000\n"
                 "  --channels-per-client K  channels each client is a member of and watches, default 2\n"
                 "  --threads T              io_contexts (one thread each) the clients are spread over, default 1\n"
                 "  --connect-batch B        connects started at once, the next wave when they are done; 0 = all (default)\n"
                 "  --down-ms MS             how long the emulator stays stopped, default 1000\n"
                 "  --recover-timeout-s S    bound from the drop to every client's connection.recovered, default 60\n"
                 "  --connect-timeout-s S    bound for connecting and watching everyone, default 120\n"
                 "  --settle-ms MS           quiet time after the last recovery before the checks, default 2000\n"
                 "  --backoff-*-ms MS        override client_config::backoff (default: Stream's schedule)\n");
}

/// Plain argv parsing: "--name value" or "--name=value", integers only.
bool parse(int argc, char** argv, options& o)
{
    struct flag {
        const char* name;
        int min;
        int* target;
        std::optional<int>* opt_target;
    };
    const flag flags[] = {
        {"--clients", 1, &o.clients, nullptr},
        {"--channels-per-client", 1, &o.channels_per_client, nullptr},
        {"--threads", 1, &o.threads, nullptr},
        {"--connect-batch", 0, &o.connect_batch, nullptr},
        {"--down-ms", 0, &o.down_ms, nullptr},
        {"--recover-timeout-s", 1, &o.recover_timeout_s, nullptr},
        {"--connect-timeout-s", 1, &o.connect_timeout_s, nullptr},
        {"--settle-ms", 0, &o.settle_ms, nullptr},
        {"--backoff-floor-ms", 0, nullptr, &o.backoff_floor_ms},
        {"--backoff-first-max-ms", 0, nullptr, &o.backoff_first_max_ms},
        {"--backoff-step-ms", 0, nullptr, &o.backoff_step_ms},
        {"--backoff-cap-ms", 0, nullptr, &o.backoff_cap_ms},
    };
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            usage(stdout);
            std::exit(0);
        }
        std::string value;
        bool has_value = false;
        if (const auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            has_value = true;
        }
        const flag* f = nullptr;
        for (const auto& candidate : flags)
            if (arg == candidate.name) f = &candidate;
        if (!f) {
            std::fprintf(stderr, "unknown argument: %s\n", argv[i]);
            return false;
        }
        if (!has_value) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", f->name);
                return false;
            }
            value = argv[++i];
        }
        char* end = nullptr;
        errno = 0;
        const long v = std::strtol(value.c_str(), &end, 10);
        if (errno || end == value.c_str() || *end || v < f->min || v > 10'000'000) {
            std::fprintf(stderr, "%s: bad value '%s' (an integer >= %d)\n", f->name, value.c_str(), f->min);
            return false;
        }
        if (f->target) *f->target = static_cast<int>(v);
        else *f->opt_target = static_cast<int>(v);
    }
    if (o.channels_per_client > o.clients) {
        std::fprintf(stderr, "--channels-per-client (%d) cannot exceed --clients (%d)\n", o.channels_per_client, o.clients);
        return false;
    }
    return true;
}

// ------------------------------------------------------------------ small helpers

std::string user_id(int i) { return "client-" + std::to_string(i); }
std::string channel_id(int i) { return "mc-" + std::to_string(i); }

/// VmRSS of this process in bytes (0 when unreadable).
std::uint64_t rss_bytes()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
    return 0;
}

double ms_between(clock_type::time_point a, clock_type::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p)
{
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

void print_row(const char* name, std::vector<double> v, const char* note = "")
{
    std::sort(v.begin(), v.end());
    if (v.empty()) {
        std::printf("%-34s %6d %9s %9s %9s %9s  %s\n", name, 0, "-", "-", "-", "-", note);
        return;
    }
    std::printf("%-34s %6zu %9.1f %9.1f %9.1f %9.1f  %s\n", name, v.size(), percentile(v, 50), percentile(v, 95),
                percentile(v, 99), v.back(), note);
}

/// Records p50 of `v` in the summary, with p95, p99 and max in the note.
void record_ms(const std::string& name, std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    streamchat::bench::figure f{.name = name + " p50", .unit = "ms"};
    if (v.empty()) {
        f.note = "no samples";
    } else {
        f.value = percentile(v, 50);
        char buf[96];
        std::snprintf(buf, sizeof buf, "p95 %.0f, p99 %.0f, max %.0f ms; n = %zu", percentile(v, 95), percentile(v, 99),
                      v.back(), v.size());
        f.note = buf;
    }
    streamchat::bench::record(f);
}

/// Runs `f` on `ioc`'s thread and returns its result; a call that does not come back within
/// call_deadline is a hang: reported, and the process ends (exit 3) since nothing can be torn down.
template <class F>
auto run_on(asio::io_context& ioc, const char* what, F f) -> decltype(f())
{
    using result = decltype(f());
    auto task = std::make_shared<std::packaged_task<result()>>(std::move(f));
    auto fut = task->get_future();
    asio::post(ioc, [task] { (*task)(); });
    if (fut.wait_for(call_deadline) != std::future_status::ready) {
        std::fprintf(stderr, "HANG: %s did not complete within %lld s; exiting\n", what,
                     static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(call_deadline).count()));
        std::fflush(nullptr);
        std::_Exit(3);
    }
    return fut.get();
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; prints both.
void raise_fd_limit(const options& o)
{
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        std::printf("fd limit: getrlimit failed: %s\n", std::strerror(errno));
        return;
    }
    const auto before = lim.rlim_cur;
    if (lim.rlim_cur != lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
            std::printf("fd limit: setrlimit to %llu failed: %s\n", static_cast<unsigned long long>(lim.rlim_max),
                        std::strerror(errno));
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    // Client side: a WebSocket and a REST keep-alive connection per client; the server holds the
    // other ends; plus the database, the listener and a margin.
    const unsigned long long needed = 4ull * static_cast<unsigned long long>(o.clients) + 64;
    std::printf("fd limit: soft %llu (was %llu), hard %llu; about %llu needed\n",
                static_cast<unsigned long long>(lim.rlim_cur), static_cast<unsigned long long>(before),
                static_cast<unsigned long long>(lim.rlim_max), needed);
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed)
        std::printf("WARNING: the fd limit is below what %d clients need; expect connect failures\n", o.clients);
}

// ------------------------------------------------------------------ the server side

/// Users client-0 … client-(N-1); channel mc-i with members client-i … client-(i+K-1) (mod N),
/// so every user is a member of exactly K channels. Written straight into the file before the
/// emulator opens it (the emulator's own seed covers only one user's channels).
bool seed_database(const std::string& path, const options& o, std::string& why)
{
    auto db = streamchat::emu::store::open(path, why);
    if (!db) return false;
    try {
        const auto now = streamchat::emu::to_nanos(
            std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()));
        streamchat::emu::store::transaction tx(*db);
        for (int i = 0; i < o.clients; ++i) db->ensure_user(user_id(i), now);
        for (int i = 0; i < o.clients; ++i) {
            streamchat::emu::channel_row c;
            c.id = channel_id(i);
            c.type = "messaging";
            c.cid = c.type + ":" + c.id;
            c.created_by_id = user_id(i);
            c.created_at = c.updated_at = now;
            c.extra = R"({"name":"Many clients )" + std::to_string(i) + "\"}";
            db->insert_channel(c);
            for (int k = 0; k < o.channels_per_client; ++k) {
                streamchat::emu::member_row m;
                m.cid = c.cid;
                m.user_id = user_id((i + k) % o.clients);
                m.channel_role = k == 0 ? "owner" : "channel_member";
                m.created_at = m.updated_at = m.last_read = now;
                db->add_member(m);
            }
        }
        tx.commit();
    } catch (const std::exception& e) {
        why = std::string("seeding failed: ") + e.what();
        return false;
    }
    return true;
}

// ------------------------------------------------------------------ the client side

/// One client and what was observed of it. Fields are written on the client's io_context
/// thread; the orchestrating thread reads them after an acquire of the matching counter (or
/// after a run_on() onto that thread).
struct probe {
    int index = 0;
    asio::io_context* ioc = nullptr;
    std::unique_ptr<streamchat::client> c;

    clock_type::time_point connect_start{}, connected_at{}, watched_at{};
    error_code connect_error{};
    std::string watch_error{};

    std::atomic<bool> armed{false};      ///< Set before the drop: statuses from then on count.
    std::atomic<int> recovered_events{0};
    clock_type::time_point reconnected_at{}; ///< First recovering/connected status after the drop.
    clock_type::time_point recovered_at{};   ///< First connection.recovered after the drop.
    int max_failures = 0;                     ///< Highest consecutive-failure count seen after the drop.
    int statuses_seen = 0;
    error_code drop_reason{};                 ///< Reason of the first non-connected status after the drop.
    std::map<std::string, int> message_new;   ///< message.new per message id (stray duplicates).
};

struct shared_counters {
    std::atomic<int> connected{0};   ///< async_connect completed (either way).
    std::atomic<int> watched{0};     ///< K watches completed (either way).
    std::atomic<int> recovered{0};   ///< First connection.recovered after the drop.
    std::atomic<int> reconnected{0}; ///< First recovering/connected status after the drop.
};

streamchat::client_config client_config_for(const std::string& base_url, const streamchat::emulator_config& e,
                                            const options& o, int i)
{
    streamchat::client_config cfg;
    cfg.base_url = base_url;
    cfg.api_key = e.api_key;
    cfg.user_id = user_id(i);
    cfg.token = streamchat::make_user_token(e.api_secret, cfg.user_id);
    if (o.backoff_floor_ms) cfg.backoff.floor = std::chrono::milliseconds(*o.backoff_floor_ms);
    if (o.backoff_first_max_ms) cfg.backoff.first_max = std::chrono::milliseconds(*o.backoff_first_max_ms);
    if (o.backoff_step_ms) cfg.backoff.step = std::chrono::milliseconds(*o.backoff_step_ms);
    if (o.backoff_cap_ms) cfg.backoff.cap = std::chrono::milliseconds(*o.backoff_cap_ms);
    if (static_cast<std::size_t>(o.channels_per_client) > cfg.watch.max_watched_channels)
        cfg.watch.max_watched_channels = static_cast<std::size_t>(o.channels_per_client);
    return cfg;
}

/// Every status change, until the client goes away.
void spawn_status_loop(probe& p, shared_counters& n)
{
    asio::co_spawn(
        *p.ioc,
        [&p, &n]() -> asio::awaitable<void> {
            for (;;) {
                if (!p.c) co_return;
                auto [ec, s] = co_await p.c->async_wait_status(tuple_token);
                if (ec) co_return;
                if (!p.armed.load(std::memory_order_acquire)) continue;
                ++p.statuses_seen;
                p.max_failures = std::max(p.max_failures, s.failures);
                if (s.state != streamchat::connection_state::connected && !p.drop_reason && s.reason) p.drop_reason = s.reason;
                // A status may be missed between two waits; the first of recovering / connected
                // marks the reconnect either way.
                const bool back = s.state == streamchat::connection_state::recovering ||
                                  s.state == streamchat::connection_state::connected;
                if (back && p.reconnected_at == clock_type::time_point{}) {
                    p.reconnected_at = clock_type::now();
                    n.reconnected.fetch_add(1, std::memory_order_release);
                }
            }
        },
        asio::detached);
}

/// Every batch: connection.recovered and message.new counted.
void spawn_receive_loop(probe& p, shared_counters& n)
{
    asio::co_spawn(
        *p.ioc,
        [&p, &n]() -> asio::awaitable<void> {
            for (;;) {
                if (!p.c) co_return;
                auto [ec, batch] = co_await p.c->async_receive(tuple_token);
                if (ec) co_return;
                for (const auto& e : batch.events) {
                    if (e.type == streamchat::event_type::connection_recovered) {
                        if (p.recovered_events.fetch_add(1, std::memory_order_relaxed) == 0) {
                            p.recovered_at = clock_type::now();
                            n.recovered.fetch_add(1, std::memory_order_release);
                        }
                    } else if (e.type == streamchat::event_type::message_new && e.message) {
                        ++p.message_new[e.message->id];
                    }
                }
            }
        },
        asio::detached);
}

/// Connects, then watches the K channels the user is a member of, one after the other.
void spawn_connect(probe& p, shared_counters& n, const options& o)
{
    asio::co_spawn(
        *p.ioc,
        [&p, &n, &o]() -> asio::awaitable<void> {
            p.connect_start = clock_type::now();
            // Arguments of a co_await expression are named variables, never temporaries: GCC
            // destroys some temporaries inside co_await expressions twice.
            streamchat::user_input who{};
            auto [ec, me] = co_await p.c->async_connect(who, tuple_token);
            p.connected_at = clock_type::now();
            p.connect_error = ec;
            n.connected.fetch_add(1, std::memory_order_release);
            if (!ec) {
                for (int k = 0; k < o.channels_per_client && p.watch_error.empty(); ++k) {
                    // Channel mc-j has members client-j … client-(j+K-1): client-i is in mc-(i-k).
                    const int j = ((p.index - k) % o.clients + o.clients) % o.clients;
                    streamchat::channel_ref ch{"messaging", channel_id(j)};
                    auto [wec] = co_await p.c->async_watch(ch, tuple_token);
                    if (wec) p.watch_error = ch.id + ": " + wec.message();
                }
            } else {
                p.watch_error = "not connected";
            }
            p.watched_at = clock_type::now();
            n.watched.fetch_add(1, std::memory_order_release);
        },
        asio::detached);
}

/// Waits (sleeping) until `done()` or `limit` passed; false on timeout.
template <class Pred>
bool wait_until(Pred done, clock_type::duration limit)
{
    const auto until = clock_type::now() + limit;
    while (!done()) {
        if (clock_type::now() >= until) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

struct check_list {
    int failed = 0;
    int total = 0;
    void line(bool ok, const std::string& what)
    {
        std::printf("  [%s] %s\n", ok ? " ok " : "FAIL", what.c_str());
        ++total;
        if (!ok) ++failed;
    }
};

std::string mib(std::uint64_t bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return buf;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    if (!parse(argc, argv, o)) {
        usage(stderr);
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const int N = o.clients, K = o.channels_per_client;
    {
        const streamchat::backoff_config b{};
        std::printf("bench_many_clients: %d clients x %d channels, %d client thread(s), emulator on its own thread\n"
                    "backoff floor %d ms, first_max %d ms, step %d ms, cap %d ms; emulator down for %d ms\n",
                    N, K, o.threads, o.backoff_floor_ms.value_or(static_cast<int>(b.floor.count())),
                    o.backoff_first_max_ms.value_or(static_cast<int>(b.first_max.count())),
                    o.backoff_step_ms.value_or(static_cast<int>(b.step.count())),
                    o.backoff_cap_ms.value_or(static_cast<int>(b.cap.count())), o.down_ms);
    }
    raise_fd_limit(o);

    const auto db_path = std::filesystem::temp_directory_path() /
                         ("streamchat-many-clients-" + std::to_string(std::random_device{}()) + ".db");
    auto remove_db = [&] {
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            std::filesystem::remove(db_path.string() + suffix, ignored);
    };

    // ---- seed, then start the emulator on its own thread
    {
        const auto t0 = clock_type::now();
        std::string why;
        if (!seed_database(db_path.string(), o, why)) {
            std::fprintf(stderr, "setup: %s\n", why.c_str());
            remove_db();
            return 2;
        }
        std::printf("database %s: %d users, %d channels, %d memberships written in %.0f ms\n", db_path.c_str(), N, N,
                    N * K, ms_between(t0, clock_type::now()));
    }

    asio::io_context server_ioc;
    auto server_work = asio::make_work_guard(server_ioc);
    std::thread server_thread([&] { server_ioc.run(); });
    streamchat::emulator_config ecfg;
    ecfg.db_path = db_path.string();
    std::unique_ptr<streamchat::emulator> emu;
    std::string base_url;
    auto stop_server_thread = [&] {
        run_on(server_ioc, "emulator teardown", [&] {
            if (emu) emu->stop();
            emu.reset();
            return 0;
        });
        server_work.reset();
        server_thread.join();
    };
    {
        std::string why;
        const error_code ec = run_on(server_ioc, "emulator start", [&] {
            emu = std::make_unique<streamchat::emulator>(server_ioc.get_executor(), ecfg);
            auto e = emu->start(&why);
            if (!e) {
                ecfg.port = emu->port(); // the restarted emulator must be where the clients look
                base_url = emu->base_url();
            }
            return e;
        });
        if (ec) {
            std::fprintf(stderr, "emulator start failed: %s %s\n", ec.message().c_str(), why.c_str());
            stop_server_thread();
            remove_db();
            return 2;
        }
        std::printf("emulator at %s\n", base_url.c_str());
    }

    // ---- the clients' io_contexts
    std::vector<std::unique_ptr<asio::io_context>> client_iocs;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> client_work;
    std::vector<std::thread> client_threads;
    std::vector<std::unique_ptr<std::atomic<bool>>> client_done;
    for (int t = 0; t < o.threads; ++t) {
        client_iocs.push_back(std::make_unique<asio::io_context>(1));
        client_work.push_back(asio::make_work_guard(*client_iocs.back()));
        client_done.push_back(std::make_unique<std::atomic<bool>>(false));
    }
    for (int t = 0; t < o.threads; ++t)
        client_threads.emplace_back([ioc = client_iocs[static_cast<std::size_t>(t)].get(),
                                     done = client_done[static_cast<std::size_t>(t)].get()] {
            ioc->run();
            done->store(true);
        });

    shared_counters counters;
    std::vector<std::unique_ptr<probe>> probes;
    probes.reserve(static_cast<std::size_t>(N));
    const auto rss_before = rss_bytes();

    // Clients are created on their own thread (the constructor may touch the executor).
    for (int i = 0; i < N; ++i) {
        auto p = std::make_unique<probe>();
        p->index = i;
        p->ioc = client_iocs[static_cast<std::size_t>(i % o.threads)].get();
        probes.push_back(std::move(p));
    }
    for (int t = 0; t < o.threads; ++t)
        run_on(*client_iocs[static_cast<std::size_t>(t)], "client construction", [&, t] {
            for (int i = t; i < N; i += o.threads) {
                auto& p = *probes[static_cast<std::size_t>(i)];
                p.c = std::make_unique<streamchat::client>(p.ioc->get_executor(), client_config_for(base_url, ecfg, o, i));
                spawn_status_loop(p, counters);
                spawn_receive_loop(p, counters);
            }
            return 0;
        });

    // ---- connect and watch
    const auto t_connect = clock_type::now();
    bool connect_in_time = true;
    {
        const int wave = o.connect_batch > 0 ? o.connect_batch : N;
        const auto until = t_connect + std::chrono::seconds(o.connect_timeout_s);
        for (int first = 0; first < N && connect_in_time; first += wave) {
            const int last = std::min(N, first + wave);
            for (int i = first; i < last; ++i) {
                auto& p = *probes[static_cast<std::size_t>(i)];
                asio::post(*p.ioc, [&p, &counters, &o] { spawn_connect(p, counters, o); });
            }
            connect_in_time = wait_until([&] { return counters.watched.load(std::memory_order_acquire) >= last; },
                                         until - clock_type::now());
        }
    }
    const auto t_all_watched = clock_type::now();
    const auto rss_connected = rss_bytes();

    std::vector<double> connect_ms, watch_ms;
    int connect_failures = 0, watch_failures = 0;
    clock_type::time_point last_connected = t_connect;
    std::map<std::string, int> connect_errors, watch_errors;
    // Read on the client threads: a connect may still be in flight after a timeout.
    for (int t = 0; t < o.threads; ++t)
        run_on(*client_iocs[static_cast<std::size_t>(t)], "connect results", [&, t] {
            for (int i = t; i < N; i += o.threads) {
                auto& p = *probes[static_cast<std::size_t>(i)];
                if (p.connected_at == clock_type::time_point{}) {
                    ++connect_failures;
                    ++connect_errors["did not complete"];
                    continue;
                }
                if (p.connect_error) {
                    ++connect_failures;
                    ++connect_errors[p.connect_error.message()];
                    continue;
                }
                connect_ms.push_back(ms_between(p.connect_start, p.connected_at));
                last_connected = std::max(last_connected, p.connected_at);
                if (p.watched_at == clock_type::time_point{} || !p.watch_error.empty()) {
                    ++watch_failures;
                    ++watch_errors[p.watch_error.empty() ? "did not complete" : p.watch_error];
                } else {
                    watch_ms.push_back(ms_between(p.connected_at, p.watched_at));
                }
            }
            return 0;
        });

    std::size_t server_sockets_before = 0, server_watches_before = 0;
    run_on(server_ioc, "websocket_count", [&] {
        server_sockets_before = emu->websocket_count();
        for (int i = 0; i < N; ++i) server_watches_before += emu->watched_channels(user_id(i)).size();
        return 0;
    });
    std::printf("connected %d/%d in %.0f ms, all watching after %.0f ms; server: %zu WebSockets, %zu watches\n",
                N - connect_failures, N, ms_between(t_connect, last_connected), ms_between(t_connect, t_all_watched),
                server_sockets_before, server_watches_before);
    for (auto& [why, count] : connect_errors) std::printf("  connect failed x%d: %s\n", count, why.c_str());
    for (auto& [why, count] : watch_errors) std::printf("  watch failed x%d: %s\n", count, why.c_str());

    // ---- stop the emulator, wait, restart it on the same port and file
    for (auto& p : probes) p->armed.store(true, std::memory_order_release);
    clock_type::time_point t_drop{}, t_restart{};
    run_on(server_ioc, "emulator stop", [&] {
        t_drop = clock_type::now();
        emu->stop();
        emu.reset();
        return 0;
    });
    const double stop_ms = ms_between(t_drop, clock_type::now());
    std::this_thread::sleep_for(std::chrono::milliseconds(o.down_ms));
    error_code restart_ec;
    std::string restart_why;
    int restart_attempts = 0;
    // The port was just released: retry a bind that races a lingering socket for a short while.
    for (;;) {
        ++restart_attempts;
        restart_ec = run_on(server_ioc, "emulator restart", [&] {
            emu = std::make_unique<streamchat::emulator>(server_ioc.get_executor(), ecfg);
            auto e = emu->start(&restart_why);
            if (e) emu.reset();
            t_restart = clock_type::now();
            return e;
        });
        if (!restart_ec || restart_attempts >= 50) break;
        std::this_thread::sleep_for(100ms);
    }
    if (restart_ec) {
        std::fprintf(stderr, "emulator restart failed after %d attempts: %s %s\n", restart_attempts,
                     restart_ec.message().c_str(), restart_why.c_str());
    } else {
        std::printf("emulator stopped (took %.0f ms), down %.0f ms, restarted on port %u%s\n", stop_ms,
                    ms_between(t_drop, t_restart), static_cast<unsigned>(ecfg.port),
                    restart_attempts > 1 ? (" after " + std::to_string(restart_attempts) + " bind attempts").c_str() : "");
    }

    const int expect_recovered = N - connect_failures - watch_failures;
    const auto recover_until = t_drop + std::chrono::seconds(o.recover_timeout_s);
    const bool all_recovered =
        !restart_ec &&
        wait_until([&] { return counters.recovered.load(std::memory_order_acquire) >= expect_recovered; },
                   recover_until - clock_type::now());
    const auto t_last_recovery_seen = clock_type::now();
    // A quiet period: stray reconnects, second recoveries or extra sockets would show up here.
    std::this_thread::sleep_for(std::chrono::milliseconds(o.settle_ms));
    const auto rss_recovered = rss_bytes();

    // ---- collect
    struct final_view {
        streamchat::client_metrics m;
        streamchat::connection_status s;
        std::size_t server_sockets = 0;
        std::size_t server_watches = 0;
    };
    std::vector<final_view> views(static_cast<std::size_t>(N));
    std::vector<double> recovery_ms, reconnect_rel_ms, recovered_rel_ms;
    std::vector<int> not_recovered;
    std::map<int, int> failures_hist;
    std::map<std::string, int> drop_reasons;
    int dup_recovered = 0, dup_messages = 0;
    for (int t = 0; t < o.threads; ++t)
        run_on(*client_iocs[static_cast<std::size_t>(t)], "client metrics", [&, t] {
            for (int i = t; i < N; i += o.threads) {
                auto& p = *probes[static_cast<std::size_t>(i)];
                auto& v = views[static_cast<std::size_t>(i)];
                v.m = p.c->metrics();
                v.s = p.c->status();
                if (p.recovered_at != clock_type::time_point{}) {
                    recovery_ms.push_back(ms_between(t_drop, p.recovered_at));
                    recovered_rel_ms.push_back(ms_between(t_restart, p.recovered_at));
                } else {
                    not_recovered.push_back(i);
                }
                if (p.reconnected_at != clock_type::time_point{})
                    reconnect_rel_ms.push_back(ms_between(t_restart, p.reconnected_at));
                if (p.recovered_events.load() > 1) ++dup_recovered;
                for (auto& [id, count] : p.message_new)
                    if (count > 1) ++dup_messages;
                ++failures_hist[p.max_failures];
                ++drop_reasons[p.drop_reason ? p.drop_reason.message() : std::string("(none seen)")];
            }
            return 0;
        });
    std::size_t server_sockets_after = 0;
    if (emu)
        run_on(server_ioc, "server view", [&] {
            server_sockets_after = emu->websocket_count();
            for (int i = 0; i < N; ++i) {
                views[static_cast<std::size_t>(i)].server_sockets = emu->websocket_count(user_id(i));
                views[static_cast<std::size_t>(i)].server_watches = emu->watched_channels(user_id(i)).size();
            }
            return 0;
        });

    // ---- report
    std::printf("\n%-34s %6s %9s %9s %9s %9s\n", "figure (ms)", "n", "p50", "p95", "p99", "max");
    std::printf("%s\n", std::string(34 + 7 + 40, '-').c_str());
    print_row("connect (async_connect)", connect_ms);
    print_row("watch K channels after connect", watch_ms);
    print_row("drop -> connection.recovered", recovery_ms);
    print_row("restart -> reconnected", reconnect_rel_ms, "(first recovering/connected status)");
    print_row("restart -> connection.recovered", recovered_rel_ms);
    std::printf("%s\n", std::string(34 + 7 + 40, '-').c_str());
    std::printf("%-34s %.0f ms (N=%d)\n", "connect + watch, everyone", ms_between(t_connect, t_all_watched), N);
    if (!reconnect_rel_ms.empty()) {
        auto sorted = reconnect_rel_ms;
        std::sort(sorted.begin(), sorted.end());
        std::printf("%-34s first +%.0f ms, last +%.0f ms after the restart (spread %.0f ms)\n", "reconnect moments",
                    sorted.front(), sorted.back(), sorted.back() - sorted.front());
    }
    if (!recovered_rel_ms.empty()) {
        auto sorted = recovered_rel_ms;
        std::sort(sorted.begin(), sorted.end());
        std::printf("%-34s first +%.0f ms, last +%.0f ms after the restart\n", "recovered moments", sorted.front(),
                    sorted.back());
    }
    std::printf("%-34s %s before clients, %s after connect+watch, %s after recovery\n", "RSS", mib(rss_before).c_str(),
                mib(rss_connected).c_str(), mib(rss_recovered).c_str());
    std::printf("%-34s %.0f bytes ((RSS after connect - before) / N; client and server side together)\n",
                "bytes per client",
                rss_connected > rss_before ? static_cast<double>(rss_connected - rss_before) / N : 0.0);

    if (!reconnect_rel_ms.empty()) {
        std::printf("\nreconnects after the restart, 250 ms buckets (first recovering/connected status):\n");
        std::map<long, int> buckets;
        for (double v : reconnect_rel_ms) ++buckets[static_cast<long>(std::floor(v / 250.0))];
        const int peak = std::max_element(buckets.begin(), buckets.end(),
                                          [](auto& a, auto& b) { return a.second < b.second; })->second;
        for (long b = buckets.begin()->first; b <= buckets.rbegin()->first; ++b) {
            const int count = buckets.count(b) ? buckets[b] : 0;
            const int bar = peak > 0 ? (count * 50 + peak - 1) / peak : 0;
            std::printf("  %+6ld..%+6ld ms %5d %s\n", b * 250, (b + 1) * 250, count, std::string(static_cast<std::size_t>(bar), '#').c_str());
        }
    }
    std::printf("\nconsecutive failed attempts before reconnecting (max per client):");
    for (auto& [f, count] : failures_hist) std::printf(" %d:%d", f, count);
    std::printf("\nfirst reason seen after the drop:");
    for (auto& [why, count] : drop_reasons) std::printf(" [%s] x%d", why.c_str(), count);
    std::printf("\n");

    // Per-client metric distributions.
    auto spread = [&](const char* name, auto get) {
        std::map<std::uint64_t, int> h;
        std::uint64_t total = 0;
        for (auto& v : views) {
            const auto x = static_cast<std::uint64_t>(get(v));
            ++h[x];
            total += x;
        }
        std::printf("  %-24s total %-8llu per client:", name, static_cast<unsigned long long>(total));
        for (auto& [x, count] : h) std::printf(" %llu:%d", static_cast<unsigned long long>(x), count);
        std::printf("\n");
    };
    std::printf("\nper-client metrics (value:clients):\n");
    spread("websockets_opened", [](const final_view& v) { return v.m.websockets_opened; });
    spread("reconnects", [](const final_view& v) { return v.m.reconnects; });
    spread("recoveries", [](const final_view& v) { return v.m.recoveries; });
    spread("sync_calls", [](const final_view& v) { return v.m.sync_calls; });
    spread("requery_calls", [](const final_view& v) { return v.m.requery_calls; });
    spread("pings_sent", [](const final_view& v) { return v.m.pings_sent; });
    spread("watched", [](const final_view& v) { return v.m.watched; });
    spread("server websockets", [](const final_view& v) { return v.server_sockets; });
    spread("server watches", [](const final_view& v) { return v.server_watches; });

    std::printf("\nchecks:\n");
    check_list checks;
    checks.line(connect_in_time && connect_failures == 0 && watch_failures == 0,
                "every client connected and watched its " + std::to_string(K) + " channels (" +
                    std::to_string(connect_failures) + " connect failures, " + std::to_string(watch_failures) +
                    " watch failures)");
    checks.line(server_sockets_before == static_cast<std::size_t>(N),
                "emulator.websocket_count() == N before the restart (" + std::to_string(server_sockets_before) + ")");
    checks.line(server_watches_before == static_cast<std::size_t>(N) * static_cast<std::size_t>(K),
                "server watches == N*K before the restart (" + std::to_string(server_watches_before) + ")");
    checks.line(!restart_ec, "emulator restarted on the same port and file");
    {
        std::string which;
        for (std::size_t i = 0; i < not_recovered.size() && i < 10; ++i) which += " " + user_id(not_recovered[i]);
        checks.line(all_recovered && not_recovered.empty(),
                    "every client got connection.recovered within " + std::to_string(o.recover_timeout_s) +
                        " s of the drop (" + std::to_string(N - static_cast<int>(not_recovered.size())) + "/" +
                        std::to_string(N) + ")" + (which.empty() ? "" : "; missing:" + which));
        if (!all_recovered) {
            std::printf("         last recovery seen %.0f ms after the drop; statuses of the missing:\n",
                        ms_between(t_drop, t_last_recovery_seen));
            for (std::size_t i = 0; i < not_recovered.size() && i < 10; ++i) {
                const auto& v = views[static_cast<std::size_t>(not_recovered[i])];
                std::printf("           %s: %s failures=%d reason=%s ws_opened=%llu\n", user_id(not_recovered[i]).c_str(),
                            std::string(streamchat::to_string(v.s.state)).c_str(), v.s.failures,
                            v.s.reason ? v.s.reason.message().c_str() : "-",
                            static_cast<unsigned long long>(v.m.websockets_opened));
            }
        }
    }
    auto count_if = [&](auto pred) {
        return static_cast<int>(std::count_if(views.begin(), views.end(), pred));
    };
    const int not_one_open = count_if([](const final_view& v) { return v.m.websockets_open != 1; });
    const int max_not_one = count_if([](const final_view& v) { return v.m.websockets_open_max != 1; });
    const int not_connected = count_if([](const final_view& v) { return v.s.state != streamchat::connection_state::connected; });
    const int server_not_one = count_if([](const final_view& v) { return v.server_sockets != 1; });
    const int server_watch_off = count_if([&](const final_view& v) { return v.server_watches != static_cast<std::size_t>(K); });
    const int extra_reconnects = count_if([](const final_view& v) { return v.m.reconnects != 1 || v.m.recoveries != 1; });
    checks.line(not_one_open == 0, "each client has exactly 1 WebSocket open (" + std::to_string(not_one_open) + " do not)");
    checks.line(max_not_one == 0, "websockets_open_max == 1 for each client (" + std::to_string(max_not_one) + " do not)");
    checks.line(not_connected == 0, "each client's status is connected (" + std::to_string(not_connected) + " are not)");
    checks.line(server_sockets_after == static_cast<std::size_t>(N) && server_not_one == 0,
                "emulator sees exactly 1 WebSocket per user after recovery (total " + std::to_string(server_sockets_after) +
                    ", " + std::to_string(server_not_one) + " users with != 1)");
    checks.line(server_watch_off == 0,
                "emulator sees each user watching its " + std::to_string(K) + " channels again (" +
                    std::to_string(server_watch_off) + " users differ)");
    checks.line(extra_reconnects == 0 && dup_recovered == 0 && dup_messages == 0,
                "no stray duplicates: one reconnect and one recovery per client (" + std::to_string(extra_reconnects) +
                    " differ), connection.recovered once (" + std::to_string(dup_recovered) +
                    " got it more than once), no message.new twice (" + std::to_string(dup_messages) + ")");

    // ---- teardown: clients on their threads, then the emulator
    for (int t = 0; t < o.threads; ++t)
        run_on(*client_iocs[static_cast<std::size_t>(t)], "client teardown", [&, t] {
            for (int i = t; i < N; i += o.threads) probes[static_cast<std::size_t>(i)]->c.reset();
            return 0;
        });
    for (auto& w : client_work) w.reset();
    // Whatever is still in flight ends on its own (closed sockets, cancelled timers); a context
    // that does not run dry within a few seconds is stopped.
    const bool drained = wait_until([&] {
        for (auto& d : client_done)
            if (!d->load()) return false;
        return true;
    }, 10s);
    if (!drained) {
        std::printf("note: the client io_context(s) still had work 10 s after the clients were destroyed; stopped\n");
        for (auto& ioc : client_iocs) ioc->stop();
    }
    for (auto& th : client_threads) th.join();
    stop_server_thread();
    remove_db();

    // The README's many-clients figures.
    using streamchat::bench::record;
    record_ms("connect (async_connect)", connect_ms);
    record_ms("restart -> connection.recovered", recovered_rel_ms);
    record({.name = "clients recovered", .value = static_cast<double>(N - static_cast<int>(not_recovered.size())),
            .unit = "clients", .note = "of " + std::to_string(N)});
    record({.name = "RSS, everyone connected and watching",
            .value = static_cast<double>(rss_connected) / (1024.0 * 1024.0), .unit = "MiB"});
    record({.name = "bytes per client (client and emulator side)",
            .value = rss_connected > rss_before ? static_cast<double>(rss_connected - rss_before) / N : 0.0,
            .unit = "B"});
    record({.name = "checks passed", .value = static_cast<double>(checks.total - checks.failed), .unit = "checks",
            .note = "of " + std::to_string(checks.total) +
                    (checks.failed ? ": " + std::to_string(checks.failed) + " FAILED" : std::string())});

    std::printf("\n%s: %d check(s) failed\n", checks.failed ? "FAILED" : "PASSED", checks.failed);
    return checks.failed ? 1 : 0;
}
