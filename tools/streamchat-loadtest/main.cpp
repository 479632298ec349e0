// streamchat-loadtest: thousands of simulated users, each with its own streamchat::client and its
// own WebSocket, in one process, against the emulator (started as a child process on loopback,
// pinned to another core) or any Stream-compatible server.
//
//   streamchat-loadtest --users 5000 --duration 60 --rate 1000 --json out.json --report out.html
//   streamchat-loadtest merge a.json b.json --json all.json       (reports of several generators)
//   streamchat-loadtest render out.json --report out.html         (the HTML page of a report)
//
// Each user is a member of --channels-per-user channels of --members-per-channel members, watches
// them, and the users send --rate messages per second in total. Every message names its slot in
// a ledger; every delivery (a message.new batch handed to the application) sets its recipient's
// bit there, so that lost and duplicated deliveries are counted exactly: a member that was ready
// (connected, watching) when the message was sent must have it by the end, live, after a
// reconnect's recovery, or in its store (a recovery that re-queried the channel).
//
// Exit status: 0 when nothing was lost or duplicated, 1 when something was (or nobody connected),
// 2 on bad flags or a failed setup, 3 when a thread stopped answering.

#include "child_process.hpp"
#include "report.hpp"
#include "report_html.hpp"

#include <streamchat/client.hpp>
#include <streamchat/rest_client.hpp>
#include <streamchat/shared_http_pool.hpp>
#include <streamchat/token.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace lt = streamchat::loadtest;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using streamchat::error_code;
using streamchat::latency_histogram;

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);
/// Members of a channel are bits of a 64-bit mask in the ledger.
constexpr int max_members = 64;

// ------------------------------------------------------------------ options

struct options {
    int users = 1000;
    double duration_s = 30;
    double rate = 100;            ///< Messages per second, all users together.
    int channels_per_user = 3;
    int members_per_channel = 5;
    double ramp_up_s = -1;        ///< Connects spread over this long; < 0: users / 500.
    int threads = 1;
    double grace_s = 10;          ///< Longest wait for deliveries after the last send.
    double connect_timeout_s = 120;
    int batch_ms = 100;           ///< client_config::batch.window of every user.
    std::string url, api_key = "loadtest-key", api_secret = "loadtest-secret";
    std::string json_path, report_path, run_id, emulator_path, shard = "0/1";
    bool chaos = false;
    double chaos_rate = 5;        ///< Connections dropped per second with --chaos.
    double restart_at_s = -1, stall_at_s = -1;
    int restart_down_ms = 1000, stall_ms = 2000;
    bool pin = true;
    bool quiet = false;
    bool shared_http = false;     ///< One REST pool per thread instead of one per user.
    std::uint64_t seed = 1;
    std::uint64_t ignore_deliveries = 0; ///< Test of the ledger: this many deliveries are dropped.
    // derived
    int shard_index = 0, shard_count = 1;
};

// ------------------------------------------------------------------ the ledger

struct channel_info {
    std::string id, cid;
    std::vector<std::uint32_t> members; ///< User indexes (local to this generator).
};

/// One sent message. `delivered` and `expected` are member bits of its channel.
struct ledger_slot {
    std::atomic<std::uint64_t> delivered{0};
    std::uint64_t expected = 0;            ///< Written once before `state` becomes sent.
    std::uint32_t channel = 0, sender = 0;
    std::int64_t sent_ns = 0;              ///< Since the run's origin.
    std::atomic<std::uint8_t> state{0};    ///< 0 in flight, 1 sent, 2 failed.
    std::atomic<bool> filled{false};       ///< The fields above are written (release).
};

struct second_stats {
    std::uint64_t sent = 0, delivered = 0, reconnects = 0, errors = 0;
    latency_histogram latency;
};

struct worker;

struct user_slot {
    std::uint32_t index = 0;
    std::string id;
    worker* w = nullptr;
    std::unique_ptr<streamchat::client> c;
    std::vector<std::uint32_t> channels;
    std::atomic<std::int64_t> ready_ns{0};  ///< Connected and watching since (0: not yet).
    std::int64_t down_ns = -1;              ///< Last time the connection left `connected`.
    bool is_connected = false;
    bool was_down = false;
    bool finished_connecting = false;
};

struct shared_state {
    options o;
    clock_type::time_point origin;
    std::vector<channel_info> channels;
    std::vector<std::unique_ptr<user_slot>> users;
    std::unique_ptr<ledger_slot[]> ledger;
    std::size_t ledger_capacity = 0;
    std::atomic<std::uint64_t> next_seq{0};
    std::atomic<std::int64_t> outstanding{0};
    std::atomic<std::uint64_t> sent{0}, deliveries{0}, duplicates{0}, foreign{0}, errors{0}, reconnects{0};
    std::atomic<std::uint64_t> latency_sum_ns{0}, skipped{0}, chaos_drops{0}, expected_total{0};
    std::atomic<int> connected_now{0}, connect_done{0};
    std::atomic<bool> sending{false};
    std::atomic<bool> closed{false}; ///< The tally started: later deliveries are only counted as late.
    std::atomic<std::uint64_t> late{0};
    // --test-ignore-deliveries: (seq, user) pairs treated as never received, store walk included.
    std::mutex ignored_mutex;
    std::uint64_t ignore_left = 0;
    std::set<std::pair<std::uint64_t, std::uint32_t>> ignored;

    bool ignore(std::uint64_t seq, std::uint32_t user)
    {
        std::lock_guard lock(ignored_mutex);
        if (ignored.contains({seq, user})) return true;
        if (ignore_left == 0) return false;
        --ignore_left;
        ignored.insert({seq, user});
        return true;
    }
    bool ignored_before(std::uint64_t seq, std::uint32_t user)
    {
        std::lock_guard lock(ignored_mutex);
        return ignored.contains({seq, user});
    }

    std::int64_t now_ns() const
    {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - origin).count();
    }
    std::size_t second_of(std::int64_t ns) const { return static_cast<std::size_t>(std::max<std::int64_t>(0, ns / 1'000'000'000)); }
};

struct worker {
    asio::io_context ioc{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::thread th;
    std::vector<user_slot*> users;
    std::mt19937_64 rng;
    latency_histogram live, recovered, connect, send;
    std::vector<second_stats> seconds;
    std::map<std::string, std::uint64_t> errors;
    std::uint64_t recovered_count = 0, store_recovered = 0;

    second_stats& at(std::size_t s)
    {
        if (s >= seconds.size()) seconds.resize(s + 1);
        return seconds[s];
    }
    void error(shared_state& st, std::string what)
    {
        ++errors[std::move(what)];
        ++at(st.second_of(st.now_ns())).errors;
        st.errors.fetch_add(1, std::memory_order_relaxed);
    }
};

/// Runs `f` on `ioc`'s thread and returns its result; a thread that does not answer within a
/// minute has hung: reported, and the process ends with status 3.
template <class F>
auto run_on(asio::io_context& ioc, const char* what, F f) -> decltype(f())
{
    using result = decltype(f());
    auto task = std::make_shared<std::packaged_task<result()>>(std::move(f));
    auto fut = task->get_future();
    asio::post(ioc, [task] { (*task)(); });
    if (fut.wait_for(60s) != std::future_status::ready) {
        std::fprintf(stderr, "streamchat-loadtest: %s did not complete within 60 s; giving up\n", what);
        std::fflush(nullptr);
        std::_Exit(3);
    }
    return fut.get();
}

// ------------------------------------------------------------------ message text

/// "lt <seq> <sent_ns>": enough to find the ledger slot; the rest of the accounting is there.
std::optional<std::uint64_t> seq_of(std::string_view text)
{
    if (text.size() < 4 || text.substr(0, 3) != "lt ") return std::nullopt;
    std::uint64_t seq = 0;
    const auto* begin = text.data() + 3;
    const auto [p, ec] = std::from_chars(begin, text.data() + text.size(), seq);
    if (ec != std::errc{} || p == begin) return std::nullopt;
    return seq;
}

int member_position(const channel_info& ch, std::uint32_t user)
{
    for (std::size_t i = 0; i < ch.members.size(); ++i)
        if (ch.members[i] == user) return static_cast<int>(i);
    return -1;
}

/// Where a message `u` holds stands in the ledger: its slot and `u`'s bit there. Null for a message
/// that is not ours, not of `cid`, or of a channel `u` is not a member of.
struct ledger_hit {
    ledger_slot* slot = nullptr;
    std::uint64_t seq = 0;
    std::uint64_t bit = 0;
};

ledger_hit find_in_ledger(shared_state& st, const user_slot& u, std::string_view text, std::string_view cid)
{
    const auto seq = seq_of(text);
    if (!seq || *seq >= st.ledger_capacity || !st.ledger[*seq].filled.load(std::memory_order_acquire)) return {};
    auto& slot = st.ledger[*seq];
    const auto& ch = st.channels[slot.channel];
    const int pos = member_position(ch, u.index);
    if (pos < 0 || cid != ch.cid) return {};
    return {&slot, *seq, std::uint64_t{1} << pos};
}

/// A delivery that recovery brought (see on_delivery): counted, timed apart from live ones.
void count_recovered(shared_state& st, user_slot& u, const ledger_slot& slot, std::int64_t now)
{
    st.deliveries.fetch_add(1, std::memory_order_relaxed);
    ++u.w->at(st.second_of(now)).delivered;
    ++u.w->recovered_count;
    u.w->recovered.record(std::chrono::nanoseconds(std::max<std::int64_t>(0, now - slot.sent_ns)));
}

/// One message.new seen by `u` (live, or from a recovery's catch-up).
void on_delivery(shared_state& st, user_slot& u, const streamchat::message& m, std::int64_t now)
{
    if (st.closed.load(std::memory_order_acquire)) {
        st.late.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const auto hit = find_in_ledger(st, u, m.text, m.cid);
    if (!hit.slot) {
        st.foreign.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (st.o.ignore_deliveries > 0 && st.ignore(hit.seq, u.index)) return;
    auto& slot = *hit.slot;
    if (slot.delivered.fetch_or(hit.bit, std::memory_order_acq_rel) & hit.bit) {
        st.duplicates.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // Sent before this member's connection last went down, delivered after: recovery brought it.
    if (u.down_ns >= 0 && slot.sent_ns <= u.down_ns) {
        count_recovered(st, u, slot, now);
        return;
    }
    const auto latency = std::chrono::nanoseconds(std::max<std::int64_t>(0, now - slot.sent_ns));
    st.deliveries.fetch_add(1, std::memory_order_relaxed);
    ++u.w->at(st.second_of(now)).delivered;
    st.latency_sum_ns.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
    u.w->live.record(latency);
    u.w->at(st.second_of(slot.sent_ns)).latency.record(latency);
}

/// Marks the messages `u`'s store holds for its channels as delivered: a recovery that re-queried
/// a channel (or re-watched it with no /sync possible) brings them as state, not as events.
/// `now` >= 0 records them as recovered deliveries; returns how many were new.
std::uint64_t absorb_store(shared_state& st, user_slot& u, std::int64_t now)
{
    std::uint64_t found = 0;
    if (!u.c) return 0;
    for (auto ci : u.channels) {
        const auto& cid = st.channels[ci].cid;
        const auto* state = u.c->channels().state(cid);
        if (!state) continue;
        for (const auto& m : state->messages) {
            const auto hit = find_in_ledger(st, u, m.text, cid);
            if (!hit.slot || (st.o.ignore_deliveries > 0 && st.ignored_before(hit.seq, u.index))) continue;
            if (hit.slot->delivered.fetch_or(hit.bit, std::memory_order_acq_rel) & hit.bit) continue;
            ++found;
            if (now >= 0) count_recovered(st, u, *hit.slot, now);
        }
    }
    return found;
}

// ------------------------------------------------------------------ per user

void spawn_status_loop(shared_state& st, user_slot& u)
{
    asio::co_spawn(
        u.w->ioc,
        [&st, &u]() -> asio::awaitable<void> {
            for (;;) {
                if (!u.c) co_return;
                auto r = co_await u.c->async_wait_status(tuple_token);
                if (std::get<0>(r) || !u.c) co_return;
                const auto s = u.c->status(); // the latest, should a change have been missed
                const auto now = st.now_ns();
                if (s.state == streamchat::connection_state::connected) {
                    if (!u.is_connected) {
                        u.is_connected = true;
                        st.connected_now.fetch_add(1, std::memory_order_relaxed);
                    }
                    if (u.was_down) {
                        u.was_down = false;
                        ++u.w->at(st.second_of(now)).reconnects;
                        st.reconnects.fetch_add(1, std::memory_order_relaxed);
                    }
                } else {
                    if (u.is_connected) {
                        u.is_connected = false;
                        st.connected_now.fetch_sub(1, std::memory_order_relaxed);
                        u.down_ns = now;
                        u.was_down = true;
                    }
                    if (s.state == streamchat::connection_state::offline && s.reason)
                        u.w->error(st, "connection offline: " + s.reason.message());
                }
            }
        },
        asio::detached);
}

void spawn_receive_loop(shared_state& st, user_slot& u)
{
    asio::co_spawn(
        u.w->ioc,
        [&st, &u]() -> asio::awaitable<void> {
            for (;;) {
                if (!u.c) co_return;
                auto r = co_await u.c->async_receive(tuple_token);
                if (std::get<0>(r)) co_return;
                const auto now = st.now_ns();
                for (const auto& e : std::get<1>(r).events) {
                    if (e.type == streamchat::event_type::message_new && e.message) on_delivery(st, u, *e.message, now);
                    else if (e.type == streamchat::event_type::connection_recovered && !st.closed.load())
                        absorb_store(st, u, now);
                }
            }
        },
        asio::detached);
}

void spawn_connect(shared_state& st, user_slot& u)
{
    asio::co_spawn(
        u.w->ioc,
        [&st, &u]() -> asio::awaitable<void> {
            const auto start = clock_type::now();
            streamchat::user_input me{};
            auto r = co_await u.c->async_connect(me, tuple_token);
            bool ok = !std::get<0>(r);
            if (!ok) u.w->error(st, "connect: " + std::get<0>(r).message());
            for (std::size_t k = 0; ok && k < u.channels.size(); ++k) {
                streamchat::channel_ref ref{"messaging", st.channels[u.channels[k]].id};
                auto wr = co_await u.c->async_watch(ref, tuple_token);
                if (std::get<0>(wr)) {
                    u.w->error(st, "watch: " + std::get<0>(wr).message());
                    ok = false;
                }
            }
            if (ok) {
                u.w->connect.record(clock_type::now() - start);
                u.ready_ns.store(std::max<std::int64_t>(1, st.now_ns()), std::memory_order_release);
            }
            u.finished_connecting = true;
            st.connect_done.fetch_add(1, std::memory_order_release);
        },
        asio::detached);
}

void spawn_send(shared_state& st, user_slot& u)
{
    const auto seq = st.next_seq.fetch_add(1, std::memory_order_relaxed);
    if (seq >= st.ledger_capacity) {
        st.skipped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const auto channel = u.channels[std::uniform_int_distribution<std::size_t>(0, u.channels.size() - 1)(u.w->rng)];
    auto& slot = st.ledger[seq];
    slot.channel = channel;
    slot.sender = u.index;
    slot.sent_ns = st.now_ns();
    // Published after the slot is filled: a delivery on another thread sees a complete slot.
    slot.filled.store(true, std::memory_order_release);
    st.outstanding.fetch_add(1, std::memory_order_relaxed);
    st.sent.fetch_add(1, std::memory_order_relaxed);
    ++u.w->at(st.second_of(slot.sent_ns)).sent;
    asio::co_spawn(
        u.w->ioc,
        [&st, &u, seq]() -> asio::awaitable<void> {
            auto& entry = st.ledger[seq];
            const auto& ch = st.channels[entry.channel];
            streamchat::send_message_request req;
            req.type = "messaging";
            req.id = ch.id;
            req.message.text = "lt " + std::to_string(seq) + " " + std::to_string(entry.sent_ns);
            auto r = co_await u.c->async_send_message(std::move(req), tuple_token);
            u.w->send.record(std::chrono::nanoseconds(st.now_ns() - entry.sent_ns));
            if (std::get<0>(r)) {
                u.w->error(st, "send: " + std::get<0>(r).message());
                entry.state.store(2, std::memory_order_release);
            } else {
                // Members ready before the send must get it; those that came later may.
                std::uint64_t expected = 0;
                for (std::size_t i = 0; i < ch.members.size(); ++i) {
                    const auto ready = st.users[ch.members[i]]->ready_ns.load(std::memory_order_acquire);
                    if (ready > 0 && ready <= entry.sent_ns) expected |= std::uint64_t{1} << i;
                }
                entry.expected = expected;
                st.expected_total.fetch_add(static_cast<std::uint64_t>(std::popcount(expected)), std::memory_order_relaxed);
                entry.state.store(1, std::memory_order_release);
            }
            st.outstanding.fetch_sub(1, std::memory_order_release);
        },
        asio::detached);
}

/// Sends this worker's share of the rate from its connected users until `sending` drops.
void spawn_sender(shared_state& st, worker& w, double rate)
{
    asio::co_spawn(
        w.ioc,
        [&st, &w, rate]() -> asio::awaitable<void> {
            asio::steady_timer tick(w.ioc);
            const auto start = clock_type::now();
            std::uint64_t issued = 0;
            // Sends in flight beyond this mean the server is behind; more would only queue.
            const auto max_outstanding = static_cast<std::int64_t>(std::max(1000.0, rate * 5));
            const auto eligible = [](const user_slot* u) {
                return u->is_connected && u->ready_ns.load(std::memory_order_relaxed) > 0;
            };
            // Who may send, rebuilt every 100 ms and whenever the pick has gone down meanwhile,
            // not at every 5 ms tick: a scan of every user is the sender's whole cost otherwise.
            std::vector<user_slot*> ready;
            auto rebuilt = clock_type::time_point{};
            const auto rebuild = [&] {
                ready.clear();
                for (auto* u : w.users)
                    if (eligible(u)) ready.push_back(u);
                rebuilt = clock_type::now();
            };
            while (st.sending.load(std::memory_order_acquire)) {
                tick.expires_after(5ms);
                (void)co_await tick.async_wait(tuple_token);
                const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
                const auto target = static_cast<std::uint64_t>(elapsed * rate);
                if (target <= issued) continue;
                if (clock_type::now() - rebuilt >= 100ms) rebuild();
                for (; issued < target; ++issued) {
                    user_slot* u = nullptr;
                    if (!ready.empty()) u = ready[std::uniform_int_distribution<std::size_t>(0, ready.size() - 1)(w.rng)];
                    if (u && !eligible(u)) {
                        rebuild();
                        u = ready.empty() ? nullptr
                                          : ready[std::uniform_int_distribution<std::size_t>(0, ready.size() - 1)(w.rng)];
                    }
                    if (!u || st.outstanding.load(std::memory_order_relaxed) >= max_outstanding) {
                        st.skipped.fetch_add(1, std::memory_order_relaxed);
                        continue;
                    }
                    spawn_send(st, *u);
                }
            }
        },
        asio::detached);
}

// ------------------------------------------------------------------ set-up

bool parse_shard(options& o, std::string& why)
{
    const auto slash = o.shard.find('/');
    int k = -1, n = -1;
    if (slash != std::string::npos) {
        const auto* s = o.shard.data();
        auto r1 = std::from_chars(s, s + slash, k);
        auto r2 = std::from_chars(s + slash + 1, s + o.shard.size(), n);
        if (r1.ec != std::errc{} || r1.ptr != s + slash || r2.ec != std::errc{} || r2.ptr != s + o.shard.size()) k = -1;
    }
    if (k < 0 || n < 1 || k >= n) {
        why = "--shard must be K/N with 0 <= K < N, e.g. 0/2 (got '" + o.shard + "')";
        return false;
    }
    o.shard_index = k;
    o.shard_count = n;
    return true;
}

/// Users of this generator and their channels: in each of K rounds the users are cut into groups
/// of M consecutive users (rotated by a different amount each round), one channel per group, so
/// every user is in exactly K channels and the rounds mix the groups.
void build_topology(shared_state& st, std::uint32_t first_user, std::uint32_t count)
{
    const auto& o = st.o;
    const std::string prefix = "lt-" + o.run_id + "-";
    st.users.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        auto u = std::make_unique<user_slot>();
        u->index = i;
        u->id = prefix + "u" + std::to_string(first_user + i);
        st.users.push_back(std::move(u));
    }
    const auto m = static_cast<std::uint32_t>(std::min<int>(o.members_per_channel, static_cast<int>(count)));
    const std::uint32_t groups = (count + m - 1) / m;
    for (int r = 0; r < o.channels_per_user; ++r) {
        const std::uint32_t rotate = (static_cast<std::uint32_t>(r) * (m / 2 + 1)) % count;
        for (std::uint32_t g = 0; g < groups; ++g) {
            channel_info ch;
            ch.id = prefix + "s" + std::to_string(o.shard_index) + "-r" + std::to_string(r) + "-g" + std::to_string(g);
            ch.cid = "messaging:" + ch.id;
            for (std::uint32_t i = g * m; i < std::min(count, (g + 1) * m); ++i) {
                const auto user = (i + rotate) % count;
                ch.members.push_back(user);
                st.users[user]->channels.push_back(static_cast<std::uint32_t>(st.channels.size()));
            }
            st.channels.push_back(std::move(ch));
        }
    }
}

/// Creates the users and channels through the server-side REST API (server token): works against
/// the emulator and a real Stream app alike. Many calls in flight; the client's scheduler keeps
/// them inside the server's rate limits.
bool seed(shared_state& st, const std::string& base_url, std::string& why)
{
    asio::io_context ioc;
    streamchat::client_config cfg;
    cfg.base_url = base_url;
    cfg.api_key = st.o.api_key;
    cfg.token = streamchat::make_server_token(st.o.api_secret);
    cfg.http.max_connections_per_host = 8;
    cfg.scheduler.max_in_flight = 8;
    cfg.scheduler.visible_reserve_slots = 0;
    streamchat::rest_client rest(ioc.get_executor(), cfg);
    bool failed = false;
    std::string first_error;
    auto fail = [&](std::string what) {
        if (!failed) first_error = std::move(what);
        failed = true;
    };
    std::size_t next = 0, done = 0;
    // The pool's idle keep-alive timers would keep run() going for a minute after the last call.
    auto finish = [&] { rest.shutdown(); };
    std::function<void()> launch = [&] {
        if (next >= st.channels.size() || failed) return;
        const auto& ch = st.channels[next++];
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                streamchat::query_channel_request q;
                q.type = "messaging";
                q.id = ch.id;
                q.state = false;
                streamchat::channel_input data;
                for (auto m : ch.members) data.members.push_back(st.users[m]->id);
                data.custom["created_by_id"] = st.users[ch.members.front()]->id;
                data.custom["name"] = "Load test " + ch.id;
                q.data = std::move(data);
                auto r = co_await rest.async_query_channel(std::move(q), tuple_token);
                if (std::get<0>(r)) fail("creating channel " + ch.id + ": " + std::get<0>(r).message());
                if (++done == st.channels.size() || failed) finish();
                else launch();
            },
            asio::detached);
    };
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            // Users, 100 per call.
            for (std::size_t i = 0; i < st.users.size() && !failed; i += 100) {
                std::vector<streamchat::user_input> batch;
                for (std::size_t j = i; j < std::min(st.users.size(), i + 100); ++j) {
                    streamchat::user_input u;
                    u.id = st.users[j]->id;
                    u.name = "Load " + std::to_string(j);
                    batch.push_back(std::move(u));
                }
                auto r = co_await rest.async_upsert_users(std::move(batch), tuple_token);
                if (std::get<0>(r)) fail("creating users: " + std::get<0>(r).message());
            }
            if (failed || st.channels.empty()) finish();
            else
                for (int i = 0; i < 32; ++i) launch();
        },
        asio::detached);
    ioc.run();
    if (failed) {
        why = first_error;
        return false;
    }
    return true;
}

/// Raises the open-file limit to what `users` need: two sockets each (WebSocket, REST) in this
/// process, as many in the emulator child, which inherits the limit; plus a margin for the
/// database, its journal and temporary files. Returns false, saying why, when it cannot.
bool raise_fd_limit(std::uint32_t users, bool shared_http, std::string& why)
{
    const rlim_t needed = static_cast<rlim_t>(users) * (shared_http ? 1 : 2) + 256;
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return true; // unknown: let the run find out
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
        rlimit want = lim;
        want.rlim_cur = needed;
        if (want.rlim_max != RLIM_INFINITY && want.rlim_max < needed) want.rlim_max = needed; // privileged only
        if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
            want.rlim_cur = lim.rlim_max;
            want.rlim_max = lim.rlim_max;
            setrlimit(RLIMIT_NOFILE, &want);
        }
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
        why = std::to_string(users) + " users need " + std::to_string(needed) +
              " open files in this process and as many in the emulator; the limit is " +
              std::to_string(lim.rlim_cur) + " (hard " + std::to_string(lim.rlim_max) +
              "). Raise it (ulimit -Hn as root), run fewer users, share REST connections (--shared-http) or split the users with --shard K/N";
        return false;
    }
    return true;
}

std::string random_run_id()
{
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06x", static_cast<unsigned>(rd()) & 0xffffffu);
    return buf;
}

std::string emulator_binary(const options& o)
{
    if (!o.emulator_path.empty()) return o.emulator_path;
    const auto dir = lt::self_directory();
    for (const auto& candidate :
         {dir + "/streamchat-emulator", dir + "/../streamchat-emulator/streamchat-emulator"})
        if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    return "streamchat-emulator"; // PATH
}

std::string rfc3339_now()
{
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

double mb(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// ------------------------------------------------------------------ the run

int run(options o)
{
    std::string why;
    if (!parse_shard(o, why)) {
        std::fprintf(stderr, "streamchat-loadtest: %s\n", why.c_str());
        return 2;
    }
    if (o.run_id.empty()) o.run_id = random_run_id();
    for (char ch : o.run_id)
        if (!std::isalnum(static_cast<unsigned char>(ch))) {
            std::fprintf(stderr, "streamchat-loadtest: --run-id must be letters and digits\n");
            return 2;
        }
    const auto first_user = static_cast<std::uint32_t>(static_cast<long long>(o.users) * o.shard_index / o.shard_count);
    const auto end_user = static_cast<std::uint32_t>(static_cast<long long>(o.users) * (o.shard_index + 1) / o.shard_count);
    const std::uint32_t local_users = end_user - first_user;
    if (local_users == 0) {
        std::fprintf(stderr, "streamchat-loadtest: shard %s has no users\n", o.shard.c_str());
        return 2;
    }
    if (o.ramp_up_s < 0) o.ramp_up_s = std::max(1.0, local_users / 500.0);
    const double local_rate = o.rate / o.shard_count;

    if (!raise_fd_limit(local_users, o.shared_http, why)) {
        std::fprintf(stderr, "streamchat-loadtest: %s\n", why.c_str());
        return 2;
    }

    // ---- the server
    lt::child_process emulator;
    std::filesystem::path work_dir;
    std::vector<std::string> emulator_argv;
    std::string base_url = o.url;
    if (base_url.empty()) {
        // The database lives in memory-backed storage when there is some (/dev/shm): the run
        // measures the SDK and the emulator, not the disk's fsync latency, and the file still
        // outlives an emulator restart.
        std::error_code shm_ec;
        const std::filesystem::path base =
            std::filesystem::is_directory("/dev/shm", shm_ec) && ::access("/dev/shm", W_OK) == 0
                ? std::filesystem::path("/dev/shm")
                : std::filesystem::temp_directory_path();
        work_dir = base / ("streamchat-loadtest-" + std::to_string(::getpid()));
        std::filesystem::create_directories(work_dir);
        emulator_argv = {emulator_binary(o), "--host", "127.0.0.1", "--port", "0", "--db", (work_dir / "load.db").string(),
                         "--api-key", o.api_key, "--api-secret", o.api_secret};
        auto line = emulator.start(emulator_argv, "listening on", 30s, why);
        if (!line) {
            std::fprintf(stderr, "streamchat-loadtest: the emulator did not start: %s\n(use --emulator PATH or --url)\n",
                         why.c_str());
            std::filesystem::remove_all(work_dir);
            return 2;
        }
        const auto at = line->find("http://");
        base_url = line->substr(at, line->find_first_of(" \t", at) - at);
        // Same port on a restart.
        emulator_argv[4] = base_url.substr(base_url.rfind(':') + 1);
        const int cpus = static_cast<int>(std::thread::hardware_concurrency());
        if (o.pin && cpus >= 2) {
            emulator.pin_to_cpu(cpus - 1);
            cpu_set_t mine;
            CPU_ZERO(&mine);
            for (int c = 0; c < cpus - 1; ++c) CPU_SET(c, &mine);
            sched_setaffinity(0, sizeof mine, &mine);
        }
        std::printf("emulator: pid %d at %s%s\n", static_cast<int>(emulator.pid()), base_url.c_str(),
                    o.pin && cpus >= 2 ? " (pinned to the last CPU, load generator on the others)" : "");
    } else {
        std::printf("server: %s\n", base_url.c_str());
    }
    auto cleanup = [&] {
        emulator.stop();
        if (!work_dir.empty()) std::filesystem::remove_all(work_dir);
    };

    shared_state st;
    st.o = o;
    st.ignore_left = o.ignore_deliveries;
    build_topology(st, first_user, local_users);
    std::printf("run %s, shard %s: %u users (of %d), %zu channels of up to %d members, %d per user; %.0f msg/s for %.0f s\n",
                o.run_id.c_str(), o.shard.c_str(), local_users, o.users, st.channels.size(),
                std::min<int>(o.members_per_channel, static_cast<int>(local_users)), o.channels_per_user, local_rate,
                o.duration_s);
    const auto t_seed = clock_type::now();
    if (!seed(st, base_url, why)) {
        std::fprintf(stderr, "streamchat-loadtest: seeding failed: %s\n", why.c_str());
        cleanup();
        return 2;
    }
    std::printf("seeded %u users and %zu channels in %.1f s\n", local_users, st.channels.size(),
                std::chrono::duration<double>(clock_type::now() - t_seed).count());

    st.ledger_capacity = static_cast<std::size_t>(local_rate * o.duration_s * 1.1) + 1000;
    st.ledger = std::make_unique<ledger_slot[]>(st.ledger_capacity);

    // ---- clients, on --threads io_contexts
    std::vector<std::unique_ptr<worker>> workers;
    for (int t = 0; t < o.threads; ++t) {
        auto w = std::make_unique<worker>();
        w->rng.seed(o.seed * 7919 + static_cast<std::uint64_t>(t));
        w->guard.emplace(w->ioc.get_executor());
        workers.push_back(std::move(w));
    }
    for (auto& u : st.users) {
        u->w = workers[u->index % workers.size()].get();
        u->w->users.push_back(u.get());
    }
    const auto rss_before = lt::self_rss_bytes();
    const auto heap_before = mallinfo2().uordblks;
    st.origin = clock_type::now();
    for (auto& w : workers) w->th = std::thread([&ioc = w->ioc] { ioc.run(); });

    for (auto& w : workers)
        run_on(w->ioc, "creating clients", [&st, &o, &base_url, w = w.get()] {
            std::shared_ptr<streamchat::shared_http_pool> pool;
            if (o.shared_http)
                pool = std::make_shared<streamchat::shared_http_pool>(
                    w->ioc.get_executor(), base_url, streamchat::http_config{.max_connections_per_host = 32});
            for (auto* u : w->users) {
                streamchat::client_config cfg;
                cfg.base_url = base_url;
                cfg.api_key = o.api_key;
                cfg.user_id = u->id;
                cfg.token = streamchat::make_user_token(o.api_secret, u->id);
                cfg.batch.window = std::chrono::milliseconds(o.batch_ms);
                cfg.watch.max_watched_channels = std::max<std::size_t>(cfg.watch.max_watched_channels, u->channels.size());
                cfg.rss_sample_interval = std::chrono::milliseconds(0); // the tool samples once for all
                cfg.http.max_connections_per_host = 1;                  // one user sends rarely
                cfg.http_pool = pool;
                u->c = std::make_unique<streamchat::client>(w->ioc.get_executor(), std::move(cfg));
                spawn_status_loop(st, *u);
                spawn_receive_loop(st, *u);
            }
            return 0;
        });

    // ---- the timeline: one entry per second, sampled here
    struct sample {
        int connected = 0;
        double rss_mb = 0;
    };
    std::vector<sample> samples;
    const bool tty = ::isatty(STDERR_FILENO);
    std::uint64_t last_sent = 0, last_delivered = 0;
    auto tick_second = [&](const char* phase) {
        const auto rss = lt::self_rss_bytes();
        samples.push_back({st.connected_now.load(), mb(rss)});
        if (o.quiet) return;
        const auto sent = st.sent.load(), delivered = st.deliveries.load();
        const double avg = delivered ? static_cast<double>(st.latency_sum_ns.load()) / static_cast<double>(delivered) / 1e6 : 0;
        std::fprintf(stderr, "%s[%4zus %-8s] connected %6d/%u  sent %8" PRIu64 " (%5" PRIu64 "/s)  delivered %9" PRIu64
                             " (%6" PRIu64 "/s)  avg %6.1f ms  errors %" PRIu64 "  reconnects %" PRIu64 "  rss %.0f MB%s",
                     tty ? "\r" : "", samples.size(), phase, st.connected_now.load(), local_users, sent, sent - last_sent,
                     delivered, delivered - last_delivered, avg, st.errors.load(), st.reconnects.load(), mb(rss),
                     tty ? "  " : "\n");
        last_sent = sent;
        last_delivered = delivered;
    };
    auto next_tick = clock_type::now() + 1s;
    auto wait_tick = [&](const char* phase) {
        std::this_thread::sleep_until(next_tick);
        next_tick += 1s;
        tick_second(phase);
    };

    // ---- connect, spread over the ramp-up
    const auto t_connect = clock_type::now();
    {
        std::size_t started = 0;
        const auto per_ms = static_cast<double>(local_users) / (o.ramp_up_s * 1000.0);
        while (started < local_users) {
            const double elapsed_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t_connect).count();
            const auto target = std::min<std::size_t>(local_users, static_cast<std::size_t>(elapsed_ms * per_ms) + 1);
            for (auto& w : workers)
                asio::post(w->ioc, [&st, w = w.get(), from = started, to = target] {
                    // A worker's users are in index order (dealt round-robin).
                    auto it = std::lower_bound(w->users.begin(), w->users.end(), from,
                                               [](const user_slot* u, std::size_t i) { return u->index < i; });
                    for (; it != w->users.end() && (*it)->index < to; ++it) spawn_connect(st, **it);
                });
            started = target;
            if (clock_type::now() >= next_tick) {
                next_tick += 1s;
                tick_second("connect");
            }
            std::this_thread::sleep_for(10ms);
        }
        const auto deadline = t_connect + std::chrono::duration_cast<clock_type::duration>(
                                              std::chrono::duration<double>(o.ramp_up_s + o.connect_timeout_s));
        while (st.connect_done.load(std::memory_order_acquire) < static_cast<int>(local_users) &&
               clock_type::now() < deadline)
            wait_tick("connect");
    }
    const double connect_s = std::chrono::duration<double>(clock_type::now() - t_connect).count();
    const auto rss_connected = lt::self_rss_bytes();
    const auto heap_connected = mallinfo2().uordblks; // heap in use, without the allocator's slack
    int ready_users = 0;
    for (auto& u : st.users) ready_users += u->ready_ns.load() > 0 ? 1 : 0;
    if (!o.quiet && tty) std::fprintf(stderr, "\n");
    std::printf("connected and watching: %d of %u users in %.1f s; client RSS %.1f MB -> %.1f MB (%.0f bytes per user)\n",
                ready_users, local_users, connect_s, mb(rss_before), mb(rss_connected),
                ready_users ? static_cast<double>(rss_connected - std::min(rss_connected, rss_before)) / ready_users : 0.0);

    // ---- load
    auto self_cpu = [] {
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
               static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    };
    const double server_cpu_at_load = emulator.cpu_seconds(), client_cpu_at_load = self_cpu();
    const auto t_load = clock_type::now();
    const std::int64_t load_start_ns = st.now_ns();
    st.sending.store(true, std::memory_order_release);
    for (auto& w : workers) spawn_sender(st, *w, local_rate / static_cast<double>(workers.size()));
    std::mt19937_64 chaos_rng(o.seed);
    double chaos_carry = 0;
    bool restarted = false, stalled = false;
    std::string fault_notes;
    while (clock_type::now() - t_load < std::chrono::duration<double>(o.duration_s)) {
        wait_tick("load");
        const double at = std::chrono::duration<double>(clock_type::now() - t_load).count();
        if (o.chaos) {
            chaos_carry += o.chaos_rate;
            for (; chaos_carry >= 1; chaos_carry -= 1) {
                auto& u = *st.users[std::uniform_int_distribution<std::size_t>(0, st.users.size() - 1)(chaos_rng)];
                asio::post(u.w->ioc, [&st, &u] {
                    if (u.c && u.is_connected) {
                        u.c->drop_connection_for_testing();
                        st.chaos_drops.fetch_add(1, std::memory_order_relaxed);
                    }
                });
            }
        }
        if (emulator.running() && !stalled && o.stall_at_s >= 0 && at >= o.stall_at_s) {
            stalled = true;
            emulator.pause();
            std::this_thread::sleep_for(std::chrono::milliseconds(o.stall_ms));
            emulator.resume();
            fault_notes += "server stalled (SIGSTOP) for " + std::to_string(o.stall_ms) + " ms at " + std::to_string(static_cast<int>(at)) + " s; ";
        }
        if (!emulator_argv.empty() && !restarted && o.restart_at_s >= 0 && at >= o.restart_at_s) {
            restarted = true;
            emulator.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(o.restart_down_ms));
            std::optional<std::string> line;
            for (int attempt = 0; attempt < 50 && !line; ++attempt) {
                line = emulator.start(emulator_argv, "listening on", 30s, why);
                if (!line) std::this_thread::sleep_for(100ms);
            }
            if (!line) {
                std::fprintf(stderr, "streamchat-loadtest: the emulator did not restart: %s\n", why.c_str());
            } else if (o.pin && std::thread::hardware_concurrency() >= 2) {
                emulator.pin_to_cpu(static_cast<int>(std::thread::hardware_concurrency()) - 1);
            }
            fault_notes += "server restarted at " + std::to_string(static_cast<int>(at)) + " s, down " +
                           std::to_string(o.restart_down_ms) + " ms; ";
        }
    }
    st.sending.store(false, std::memory_order_release);
    const double load_s = std::chrono::duration<double>(clock_type::now() - t_load).count();
    // CPU used during the load phase, as a share of one core: which side is the ceiling.
    const double server_cpu_load = load_s > 0 ? (emulator.cpu_seconds() - server_cpu_at_load) / load_s : 0;
    const double client_cpu_load = load_s > 0 ? (self_cpu() - client_cpu_at_load) / load_s : 0;

    // ---- grace: until every send has an answer and every expected delivery arrived
    auto missing_now = [&] {
        std::uint64_t missing = 0;
        const auto n = std::min<std::uint64_t>(st.next_seq.load(std::memory_order_acquire), st.ledger_capacity);
        for (std::uint64_t i = 0; i < n; ++i) {
            const auto& slot = st.ledger[i];
            if (slot.state.load(std::memory_order_acquire) != 1) continue;
            missing += static_cast<std::uint64_t>(std::popcount(slot.expected & ~slot.delivered.load(std::memory_order_acquire)));
        }
        return missing;
    };
    const auto grace_until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.grace_s));
    while (clock_type::now() < grace_until) {
        if (st.outstanding.load(std::memory_order_acquire) == 0 && missing_now() == 0) break;
        std::this_thread::sleep_for(50ms);
        if (clock_type::now() >= next_tick) {
            next_tick += 1s;
            tick_second("grace");
        }
    }
    if (!o.quiet && tty) std::fprintf(stderr, "\n");

    // ---- what each store holds (recovery by re-query delivers no event), then the tally
    st.closed.store(true, std::memory_order_release);
    const auto errors_at_end = st.errors.load();
    const double client_cpu = self_cpu();
    for (auto& w : workers)
        run_on(w->ioc, "store walk", [&st, w = w.get()] {
            for (auto* u : w->users) w->store_recovered += absorb_store(st, *u, -1);
            return 0;
        });
    std::uint64_t sent_ok = 0, send_failed = 0, in_flight = 0, expected = 0, delivered_expected = 0, lost = 0, extra = 0;
    const auto n_sent = std::min<std::uint64_t>(st.next_seq.load(), st.ledger_capacity);
    for (std::uint64_t i = 0; i < n_sent; ++i) {
        const auto& slot = st.ledger[i];
        const auto state = slot.state.load();
        const auto got = slot.delivered.load();
        if (state == 1) {
            ++sent_ok;
            expected += static_cast<std::uint64_t>(std::popcount(slot.expected));
            delivered_expected += static_cast<std::uint64_t>(std::popcount(slot.expected & got));
            lost += static_cast<std::uint64_t>(std::popcount(slot.expected & ~got));
            extra += static_cast<std::uint64_t>(std::popcount(got & ~slot.expected));
        } else if (state == 2) {
            ++send_failed;
        } else {
            ++in_flight;
        }
    }

    // ---- per-client figures, then teardown
    latency_histogram live, recovered, connect, send;
    std::vector<second_stats> seconds;
    std::map<std::string, std::uint64_t> errors;
    std::uint64_t recovered_count = 0, store_recovered = 0, client_reconnects = 0, ws_opened = 0, client_dups = 0;
    for (auto& w : workers)
        run_on(w->ioc, "collecting", [&, w = w.get()] {
            live.merge(w->live);
            recovered.merge(w->recovered);
            connect.merge(w->connect);
            send.merge(w->send);
            if (seconds.size() < w->seconds.size()) seconds.resize(w->seconds.size());
            for (std::size_t s = 0; s < w->seconds.size(); ++s) {
                seconds[s].sent += w->seconds[s].sent;
                seconds[s].delivered += w->seconds[s].delivered;
                seconds[s].reconnects += w->seconds[s].reconnects;
                seconds[s].errors += w->seconds[s].errors;
                seconds[s].latency.merge(w->seconds[s].latency);
            }
            for (auto& [k, v] : w->errors) errors[k] += v;
            recovered_count += w->recovered_count;
            store_recovered += w->store_recovered;
            for (auto* u : w->users) {
                if (!u->c) continue;
                const auto m = u->c->metrics();
                client_reconnects += m.reconnects;
                ws_opened += m.websockets_opened;
                client_dups += m.duplicates;
            }
            return 0;
        });
    const auto server_cpu = emulator.cpu_seconds();
    const auto server_rss = emulator.rss_bytes();
    const auto server_pid = emulator.pid();
    for (auto& w : workers)
        run_on(w->ioc, "teardown", [w = w.get()] {
            for (auto* u : w->users) u->c.reset();
            return 0;
        });
    for (auto& w : workers) w->guard.reset();
    const auto drain_until = clock_type::now() + 10s;
    for (auto& w : workers) {
        while (!w->ioc.stopped() && clock_type::now() < drain_until) std::this_thread::sleep_for(10ms);
        w->ioc.stop();
        w->th.join();
    }
    cleanup();

    // ---- the report
    json::object r;
    r["tool"] = "streamchat-loadtest";
    r["version"] = 1;
    r["started_at"] = rfc3339_now();
    r["target"] = o.url.empty() ? "emulator (child process, loopback)" : o.url;
    json::object cfg;
    cfg["users"] = o.users;
    cfg["rate"] = o.rate;
    cfg["channels_per_user"] = o.channels_per_user;
    cfg["members_per_channel"] = o.members_per_channel;
    cfg["ramp_up_s"] = o.ramp_up_s;
    cfg["threads"] = o.threads;
    cfg["duration_s"] = o.duration_s;
    cfg["grace_s"] = o.grace_s;
    cfg["batch_ms"] = o.batch_ms;
    cfg["chaos"] = o.chaos;
    cfg["chaos_rate"] = o.chaos_rate;
    cfg["shard"] = o.shard;
    cfg["shared_http"] = o.shared_http;
    cfg["run_id"] = o.run_id;
    if (!fault_notes.empty()) cfg["faults"] = fault_notes;
    r["config"] = std::move(cfg);
    r["users"] = local_users;
    r["connected"] = ready_users;
    r["connect_s"] = connect_s;
    r["duration_s"] = load_s;
    r["messages_sent"] = sent_ok;
    r["messages_send_failed"] = send_failed;
    r["messages_unanswered"] = in_flight;
    r["messages_expected"] = expected;
    r["messages_delivered"] = delivered_expected;
    r["messages_delivered_unexpected"] = extra;
    r["messages_lost"] = lost;
    r["messages_duplicated"] = st.duplicates.load();
    r["messages_recovered"] = recovered_count + store_recovered;
    r["messages_recovered_from_store"] = store_recovered;
    r["deliveries_foreign"] = st.foreign.load();
    r["send_skipped"] = st.skipped.load();
    r["latency_ms"] = lt::percentiles_ms(live);
    r["latency_histogram"] = lt::histogram_json(live);
    r["recovered_latency_ms"] = lt::percentiles_ms(recovered);
    r["recovered_histogram"] = lt::histogram_json(recovered);
    r["connect_ms"] = lt::percentiles_ms(connect);
    r["send_ms"] = lt::percentiles_ms(send); // async_send_message until its answer
    r["connect_histogram"] = lt::histogram_json(connect);
    r["throughput_msgs_per_s"] = load_s > 0 ? static_cast<double>(sent_ok) / load_s : 0.0;
    r["deliveries_per_s"] = load_s > 0 ? static_cast<double>(delivered_expected) / load_s : 0.0;
    r["errors"] = errors_at_end;
    r["deliveries_late"] = st.late.load();
    r["client_cpu_s"] = client_cpu;
    r["client_cpu_cores_during_load"] = client_cpu_load;
    json::object kinds;
    for (auto& [k, v] : errors) kinds[k] = v;
    r["errors_by_kind"] = std::move(kinds);
    r["reconnects"] = client_reconnects;
    r["websockets_opened"] = ws_opened;
    r["client_duplicates_skipped"] = client_dups;
    r["chaos_drops"] = st.chaos_drops.load();
    r["rss_mb"] = mb(rss_connected);
    r["heap_bytes_per_client"] =
        ready_users ? static_cast<double>(heap_connected - std::min(heap_connected, heap_before)) / ready_users : 0.0;
    r["rss_bytes_per_client"] =
        ready_users ? static_cast<double>(rss_connected - std::min(rss_connected, rss_before)) / ready_users : 0.0;
    if (o.url.empty()) {
        json::object server;
        server["pid"] = server_pid;
        server["cpu_s"] = server_cpu;
        server["rss_mb"] = mb(server_rss);
        server["cpu_cores_during_load"] = server_cpu_load;
        r["server"] = std::move(server);
    }
    r["shards"] = 1;
    json::array timeline;
    const auto load_second = st.second_of(load_start_ns);
    for (std::size_t s = 0; s < std::max(samples.size(), seconds.size()); ++s) {
        lt::timeline_second t;
        if (s < seconds.size()) {
            t.sent = seconds[s].sent;
            t.delivered = seconds[s].delivered;
            t.reconnects = seconds[s].reconnects;
            t.errors = seconds[s].errors;
            t.latency = std::move(seconds[s].latency);
        }
        t.connected = static_cast<std::uint64_t>(s < samples.size() ? samples[s].connected
                                                 : (samples.empty() ? 0 : samples.back().connected));
        t.rss_mb = s < samples.size() ? samples[s].rss_mb : 0.0;
        auto e = lt::timeline_json(static_cast<std::int64_t>(s + 1), t);
        e["load"] = s >= load_second;
        timeline.push_back(std::move(e));
    }
    r["timeline"] = std::move(timeline);

    lt::print_summary(r, stdout);
    int status = lt::report_passed(r) ? 0 : 1;
    if (!o.json_path.empty()) {
        if (!lt::write_file(o.json_path, json::serialize(r) + "\n", why)) {
            std::fprintf(stderr, "streamchat-loadtest: %s\n", why.c_str());
            status = 2;
        } else {
            std::printf("report: %s\n", o.json_path.c_str());
        }
    }
    if (!o.report_path.empty()) {
        if (!lt::write_file(o.report_path, lt::render_html_report(r), why)) {
            std::fprintf(stderr, "streamchat-loadtest: %s\n", why.c_str());
            status = 2;
        } else {
            std::printf("HTML report: %s\n", o.report_path.c_str());
        }
    }
    return status;
}

int merge(const std::vector<std::string>& files, const std::string& json_path, const std::string& report_path)
{
    std::vector<json::object> reports;
    std::string why;
    for (const auto& f : files) {
        auto r = lt::read_report(f, why);
        if (!r) {
            std::fprintf(stderr, "streamchat-loadtest merge: %s\n", why.c_str());
            return 2;
        }
        reports.push_back(std::move(*r));
    }
    auto merged = lt::merge_reports(reports, why);
    if (!merged) {
        std::fprintf(stderr, "streamchat-loadtest merge: %s\n", why.c_str());
        return 2;
    }
    std::printf("merged %zu reports\n", reports.size());
    lt::print_summary(*merged, stdout);
    if (!json_path.empty() && !lt::write_file(json_path, json::serialize(*merged) + "\n", why)) {
        std::fprintf(stderr, "streamchat-loadtest merge: %s\n", why.c_str());
        return 2;
    }
    if (!report_path.empty() && !lt::write_file(report_path, lt::render_html_report(*merged), why)) {
        std::fprintf(stderr, "streamchat-loadtest merge: %s\n", why.c_str());
        return 2;
    }
    return lt::report_passed(*merged) ? 0 : 1;
}

int render(const std::string& file, const std::string& report_path)
{
    std::string why;
    auto r = lt::read_report(file, why);
    if (!r) {
        std::fprintf(stderr, "streamchat-loadtest render: %s\n", why.c_str());
        return 2;
    }
    if (!lt::write_file(report_path, lt::render_html_report(*r), why)) {
        std::fprintf(stderr, "streamchat-loadtest render: %s\n", why.c_str());
        return 2;
    }
    std::printf("HTML report: %s\n", report_path.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    CLI::App app{"streamchat-loadtest: simulated users, each with its own streamchat client and WebSocket, against "
                 "the emulator (a child process on loopback, by default) or any Stream-compatible server. Counts "
                 "every delivery: exits 1 when a message was lost or duplicated.",
                 "streamchat-loadtest"};
    app.option_defaults()->always_capture_default();
    app.add_option("--users", o.users, "Simulated users (each a client with its own WebSocket)")->check(CLI::Range(1, 1'000'000));
    app.add_option("--duration", o.duration_s, "Seconds of sending, after every user connected")->check(CLI::Range(0.1, 86400.0));
    app.add_option("--rate", o.rate, "Messages per second, all users together")->check(CLI::Range(0.0, 1e6));
    app.add_option("--channels-per-user", o.channels_per_user, "Channels each user is a member of and watches")
        ->check(CLI::Range(1, 1000));
    app.add_option("--members-per-channel", o.members_per_channel, "Members of each channel (at most 64)")
        ->check(CLI::Range(1, max_members));
    app.add_option("--ramp-up", o.ramp_up_s, "Seconds over which the users connect (default: users / 500, at least 1)");
    app.add_option("--threads", o.threads, "Threads (io_contexts) the clients are spread over")->check(CLI::Range(1, 256));
    app.add_option("--grace", o.grace_s, "Longest wait for outstanding deliveries after the last send, seconds")
        ->check(CLI::Range(0.0, 3600.0));
    app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds after the ramp-up for the last connects")
        ->check(CLI::Range(1.0, 3600.0));
    app.add_option("--batch-ms", o.batch_ms, "Each client's event batch window, ms (the SDK's default is 100)")
        ->check(CLI::Range(0, 10000));
    app.add_option("--url", o.url, "Base URL of an external Stream-compatible server (no child emulator)");
    app.add_option("--api-key", o.api_key, "API key (the child emulator is started with it)");
    app.add_option("--api-secret", o.api_secret, "API secret: signs the user tokens and the server token for seeding");
    app.add_option("--emulator", o.emulator_path, "streamchat-emulator binary (default: next to this one, then PATH)");
    app.add_option("--json", o.json_path, "Write the report as JSON (with the latency histogram, for merge)");
    app.add_option("--report", o.report_path, "Write a self-contained HTML report with charts");
    app.add_flag("--chaos", o.chaos, "Drop random client connections during the run (they reconnect and recover)");
    app.add_option("--chaos-rate", o.chaos_rate, "Connections dropped per second with --chaos")->check(CLI::Range(0.0, 10000.0));
    app.add_option("--server-restart-at", o.restart_at_s, "Restart the child emulator this many seconds into the load");
    app.add_option("--server-restart-down-ms", o.restart_down_ms, "How long it stays down")->check(CLI::Range(0, 600000));
    app.add_option("--server-stall-at", o.stall_at_s, "Stall the child emulator (SIGSTOP) this many seconds into the load");
    app.add_option("--server-stall-ms", o.stall_ms, "How long it stalls")->check(CLI::Range(0, 600000));
    app.add_option("--shard", o.shard, "K/N: this generator runs the K-th of N equal slices of the users (merge the reports)");
    app.add_option("--run-id", o.run_id, "Prefix of user and channel ids (letters, digits; default random)");
    app.add_option("--seed", o.seed, "Random seed (senders, channels, chaos)");
    app.add_flag("!--no-pin", o.pin, "Do not pin the child emulator and the generator to different CPUs");
    app.add_flag("--quiet", o.quiet, "No progress line");
    app.add_flag("--shared-http", o.shared_http,
                 "REST calls of the users of a thread share one pool of 32 connections (streamchat::shared_http_pool) "
                 "instead of a connection per user; each keeps its own WebSocket");
    // Not in --help: makes the tool drop deliveries so that a test can see them counted as lost.
    app.add_option("--test-ignore-deliveries", o.ignore_deliveries)->group("");

    std::vector<std::string> merge_files;
    std::string merge_json, merge_report;
    auto* merge_cmd = app.add_subcommand("merge", "Merge reports of several generators (--shard) exactly");
    merge_cmd->add_option("reports", merge_files, "Report files written with --json")->required()->check(CLI::ExistingFile);
    merge_cmd->add_option("--json", merge_json, "Write the merged report");
    merge_cmd->add_option("--report", merge_report, "Write the merged HTML report");

    std::string render_file, render_report;
    auto* render_cmd = app.add_subcommand("render", "Write the HTML page of a JSON report");
    render_cmd->add_option("report", render_file, "Report file written with --json")->required()->check(CLI::ExistingFile);
    render_cmd->add_option("--report", render_report, "HTML file to write")->required();
    app.require_subcommand(0, 1);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        app.exit(e);
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (merge_cmd->parsed()) return merge(merge_files, merge_json, merge_report);
    if (render_cmd->parsed()) return render(render_file, render_report);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "streamchat-loadtest: %s\n", e.what());
        return 2;
    }
}
