// The realtime client when the server misbehaves: a server that stops answering (dead link
// detected, reconnect), and a server restarted on its file database while other users keep
// writing (connections refused for a while, backoff growing to its cap, then recovery with
// nothing lost or duplicated), and a send in flight when the server stops (stored once, answered
// after the restart). Waits are on conditions; ceilings only catch hangs.

#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "support/client_observer.hpp"
#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::observer_guard;
using streamchat::test::run_coro;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

client_config config_for(const std::string& base_url, const emulator_config& e, const std::string& user)
{
    client_config cfg;
    cfg.base_url = base_url;
    cfg.api_key = e.api_key;
    cfg.user_id = user;
    cfg.token = user.empty() ? make_server_token(e.api_secret) : make_user_token(e.api_secret, user);
    cfg.health.ping_interval = 100ms;
    cfg.health.dead_after = 5s;
    cfg.health.connect_timeout = 2s;
    cfg.backoff = {.floor = 10ms, .first_max = 20ms, .step = 40ms, .cap = 150ms};
    cfg.batch.window = 5ms;
    return cfg;
}

/// Fails the test when `cond` does not hold within `ceiling` (a hang guard, not a measurement).
asio::awaitable<void> wait_for(std::function<bool()> cond, std::chrono::steady_clock::duration ceiling = 60s)
{
    const bool held = co_await streamchat::test::wait_until(cond, ceiling, 1ms);
    REQUIRE(held);
}

/// Records every status change of `c`. Shared with the recorder, so a change already queued
/// when the test ends never writes into a destroyed vector.
std::shared_ptr<std::vector<connection_status>> watch_statuses(client& c, std::shared_ptr<bool> alive)
{
    auto out = std::make_shared<std::vector<connection_status>>();
    asio::co_spawn(
        c.get_executor(),
        [&c, out, alive]() -> asio::awaitable<void> {
            for (;;) {
                auto [ec, s] = co_await c.async_wait_status(tuple_token);
                if (ec || !*alive) co_return;
                out->push_back(s);
            }
        },
        asio::detached);
    return out;
}

/// What a client delivered: message ids with how often, and whether it recovered.
struct delivery_log {
    std::map<std::string, int> messages;
    bool recovered = false;
};

std::shared_ptr<delivery_log> log_deliveries(client& c, std::shared_ptr<bool> alive)
{
    auto log = std::make_shared<delivery_log>();
    asio::co_spawn(
        c.get_executor(),
        [&c, log, alive]() -> asio::awaitable<void> {
            for (;;) {
                auto [ec, batch] = co_await c.async_receive(tuple_token);
                if (ec || !*alive) co_return;
                for (auto& e : batch.events) {
                    if (e.type == event_type::connection_recovered) log->recovered = true;
                    if (e.type == event_type::message_new && e.message) ++log->messages[e.message->id];
                }
            }
        },
        asio::detached);
    return log;
}

/// A TCP relay in front of the emulator for REST calls (the WebSocket goes direct). It can swallow
/// the server's answers, as if they were lost on the way: "stored, but the client never heard"
/// becomes a state a test can wait for instead of a race it hopes to win.
class answer_relay {
public:
    answer_relay(asio::any_io_executor ex, std::uint16_t upstream) : s_(std::make_shared<state>(ex, upstream))
    {
        asio::co_spawn(ex, accept_loop(s_), asio::detached);
    }
    answer_relay(const answer_relay&) = delete;
    answer_relay& operator=(const answer_relay&) = delete;
    ~answer_relay() { stop(); }

    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(s_->acceptor.local_endpoint().port()); }
    void swallow_answers(bool on) { s_->swallow = on; }
    std::size_t swallowed() const { return s_->swallowed; }
    /// Closes the listener and every relayed connection, so run_coro's io_context can run dry.
    void stop()
    {
        error_code ignored;
        s_->acceptor.close(ignored);
        for (auto& weak : s_->links)
            if (auto l = weak.lock()) l->close();
        s_->links.clear();
    }

private:
    using tcp = asio::ip::tcp;
    struct link {
        tcp::socket client;
        tcp::socket server;
        void close()
        {
            error_code ignored;
            client.close(ignored);
            server.close(ignored);
        }
    };
    struct state {
        state(asio::any_io_executor ex, std::uint16_t up)
            : acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), upstream(up)
        {
        }
        tcp::acceptor acceptor;
        std::uint16_t upstream;
        bool swallow = false;
        std::size_t swallowed = 0;
        std::vector<std::weak_ptr<link>> links;
    };

    static asio::awaitable<void> accept_loop(std::shared_ptr<state> s)
    {
        for (;;) {
            auto [ec, sock] = co_await s->acceptor.async_accept(tuple_token);
            if (ec) co_return;
            auto l = std::make_shared<link>(link{std::move(sock), tcp::socket(s->acceptor.get_executor())});
            s->links.push_back(l);
            asio::co_spawn(s->acceptor.get_executor(), relay(s, l), asio::detached);
        }
    }

    static asio::awaitable<void> relay(std::shared_ptr<state> s, std::shared_ptr<link> l)
    {
        auto [ec] = co_await l->server.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), s->upstream),
                                                      tuple_token);
        if (ec) {
            l->close(); // the server is down: hang up, as it would have refused
            co_return;
        }
        asio::co_spawn(s->acceptor.get_executor(), pump(s, l, true), asio::detached);
        co_await pump(s, l, false);
    }

    /// Copies one direction until a side closes, then closes both.
    static asio::awaitable<void> pump(std::shared_ptr<state> s, std::shared_ptr<link> l, bool to_server)
    {
        std::array<char, 16 * 1024> buf{};
        auto& from = to_server ? l->client : l->server;
        auto& to = to_server ? l->server : l->client;
        for (;;) {
            auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), tuple_token);
            if (rec) break;
            if (!to_server && s->swallow) {
                s->swallowed += n;
                continue;
            }
            auto [wec, written] = co_await asio::async_write(to, asio::buffer(buf.data(), n), tuple_token);
            if (wec) break;
        }
        l->close();
    }

    std::shared_ptr<state> s_;
};

/// When the emulator stops, relative to john's send.
enum class stop_point {
    just_initiated, ///< Right after async_send_message returns: the request has not left.
    answer_lost,    ///< Once the server has stored the message and answered; the answer never arrives.
};

/// john sends a message, the emulator (file database) stops at `when` and is restarted on the same
/// port. The send must complete once, successfully, with the id the server stored exactly once.
asio::awaitable<void> send_across_a_restart(asio::any_io_executor ex, stop_point when)
{
    const auto db = std::filesystem::temp_directory_path() /
                    ("streamchat-inflight-" + std::to_string(std::random_device{}()) + ".db");
    {
        emulator_config ecfg;
        ecfg.db_path = db.string();
        ecfg.seed.users = 2;
        ecfg.seed.channels = 1;
        ecfg.seed.for_user = "john";
        auto emu = std::make_unique<emulator>(ex, ecfg);
        REQUIRE_FALSE(emu->start());
        ecfg.port = emu->port(); // the restarted server must be where the client looks
        const auto base = emu->base_url();

        answer_relay relay(ex, emu->port());
        auto cfg = config_for(relay.base_url(), ecfg, "john");
        cfg.ws_url = "ws://127.0.0.1:" + std::to_string(emu->port());
        client c(ex, cfg);
        user_input who{};
        auto [ec, me] = co_await c.async_connect(who, tuple_token);
        REQUIRE_FALSE(ec);

        const std::string text = "in flight when the server stopped";
        auto outcome = std::make_shared<std::optional<std::pair<error_code, message_response>>>();
        send_message_request m;
        m.type = "messaging";
        m.id = "seed-0";
        m.message.text = text;
        if (when == stop_point::answer_lost) relay.swallow_answers(true);
        c.async_send_message(m, [outcome](error_code sec, message_response r) { outcome->emplace(sec, std::move(r)); });
        if (when == stop_point::answer_lost) co_await wait_for([&] { return relay.swallowed() > 0; });
        emu->stop();
        emu.reset();
        relay.swallow_answers(false);

        // The client notices (its reconnects are refused) and the send waits for the server.
        co_await wait_for([&] { return c.status().failures >= 2; });
        CHECK_FALSE(outcome->has_value());
        emu = std::make_unique<emulator>(ex, ecfg);
        REQUIRE_FALSE(emu->start());
        co_await wait_for([&] { return outcome->has_value(); });
        const auto& [sec, sent] = **outcome;
        INFO("send: " << sec.message());
        CHECK_FALSE(sec);
        CHECK(sent.message.text == text);

        rest_client john(ex, config_for(base, ecfg, "john"));
        query_channel_request q;
        q.type = "messaging";
        q.id = "seed-0";
        q.watch = false;
        q.messages = message_pagination{.limit = 300};
        auto [qec, stored] = co_await john.async_query_channel(q, tuple_token);
        REQUIRE_FALSE(qec);
        std::vector<std::string> ids;
        for (const auto& sm : stored.messages)
            if (sm.text == text) ids.push_back(sm.id);
        REQUIRE(ids.size() == 1);
        CHECK_FALSE(ids[0].empty());
        CHECK(sent.message.id == ids[0]);
        relay.stop();
    }
    std::error_code ignored;
    std::filesystem::remove(db, ignored);
    std::filesystem::remove(db.string() + "-wal", ignored);
    std::filesystem::remove(db.string() + "-shm", ignored);
}

} // namespace

TEST_CASE("a server that goes silent is detected as a dead link, the client reconnects when it answers again")
{
    // The emulator runs on its own thread so that it can be frozen while the client runs on.
    asio::io_context server_ioc;
    auto work = asio::make_work_guard(server_ioc);
    std::thread server_thread([&] { server_ioc.run(); });
    emulator_config ecfg;
    auto emu = std::make_unique<emulator>(server_ioc.get_executor(), ecfg);
    std::string base;
    auto on_server = [&](auto f) {
        std::promise<void> done;
        asio::post(server_ioc, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    };
    on_server([&] {
        REQUIRE_FALSE(emu->start());
        base = emu->base_url();
    });

    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    run_coro(
        [&](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto cfg = config_for(base, ecfg, "john");
            cfg.health.dead_after = 600ms;
            cfg.health.connect_timeout = 400ms;
            client c(ex, cfg);
            observer_guard guard;
            auto seen_ptr = watch_statuses(c, guard.alive);
            auto& seen = *seen_ptr;
            user_input who1{};
            auto [ec, me] = co_await c.async_connect(who1, tuple_token);
            REQUIRE_FALSE(ec);
            co_await wait_for([&] { return c.metrics().pings_sent >= 2; });

            // Freeze the server: its socket stays open, nothing comes back.
            asio::post(server_ioc, [released] { released.wait(); });
            co_await wait_for([&] {
                return std::any_of(seen.begin(), seen.end(),
                                   [](const connection_status& s) { return s.reason == error::connection_dead; });
            });
            release.set_value();
            co_await wait_for([&] { return c.metrics().recoveries >= 1 && c.status().state == connection_state::connected; });
            CHECK(c.metrics().reconnects >= 1);
            CHECK(c.metrics().websockets_open == 1);
            CHECK(c.metrics().websockets_open_max == 1);
        },
        90s);
    on_server([&] { emu.reset(); });
    work.reset();
    server_thread.join();
}

TEST_CASE("the server restarts on its file database while others write: refused for a while, then recovered")
{
    const auto db = std::filesystem::temp_directory_path() /
                    ("streamchat-restart-" + std::to_string(std::random_device{}()) + ".db");
    run_coro(
        [&](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator_config ecfg;
            ecfg.db_path = db.string();
            ecfg.seed.users = 3;
            ecfg.seed.channels = 4;
            ecfg.seed.for_user = "john";
            auto emu = std::make_unique<emulator>(ex, ecfg);
            REQUIRE_FALSE(emu->start());
            ecfg.port = emu->port(); // the restarted server must be where the client looks
            const auto base = emu->base_url();

            client c(ex, config_for(base, ecfg, "john"));
            observer_guard guard;
            auto seen_ptr = watch_statuses(c, guard.alive);
            auto& seen = *seen_ptr;
            user_input who2{};
            auto [ec, me] = co_await c.async_connect(who2, tuple_token);
            REQUIRE_FALSE(ec);
            for (int i = 0; i < 2; ++i) {
                channel_ref ch{"messaging", "seed-" + std::to_string(i)};
                auto [wec] = co_await c.async_watch(ch, tuple_token);
                REQUIRE_FALSE(wec);
            }
            auto log = log_deliveries(c, guard.alive);
            auto& delivered = log->messages;
            const bool& recovered = log->recovered;

            int n = 0;
            auto send_some = [&](int count) -> asio::awaitable<void> {
                rest_client admin(ex, config_for(base, ecfg, ""));
                for (int i = 0; i < count; ++i) {
                    send_message_request m;
                    m.type = "messaging";
                    m.id = "seed-" + std::to_string(i % 4);
                    m.message.text = "r" + std::to_string(n++);
                    m.message.custom["user_id"] = "user-1";
                    auto [sec, r] = co_await admin.async_send_message(m, tuple_token);
                    REQUIRE_FALSE(sec);
                }
            };
            co_await send_some(8);
            co_await wait_for([&] { return delivered.size() >= 4; });

            emu->stop();
            emu.reset();
            // john sends while the server is down: the send waits for the connection, keeps its id,
            // and lands once after the restart.
            auto sent_while_down = std::make_shared<std::optional<error_code>>();
            auto sent_message = std::make_shared<message_response>();
            {
                send_message_request m;
                m.type = "messaging";
                m.id = "seed-0";
                m.message.text = "sent while the server was down";
                c.async_send_message(m, [sent_while_down, sent_message](error_code sec, message_response r) {
                    *sent_while_down = sec;
                    *sent_message = std::move(r);
                });
            }
            // Refused: the backoff grows until its cap.
            co_await wait_for([&] { return c.status().failures >= 3; });
            CHECK_FALSE(sent_while_down->has_value());
            emu = std::make_unique<emulator>(ex, ecfg);
            REQUIRE_FALSE(emu->start());
            co_await send_some(8); // written while john is still away
            co_await wait_for([&] { return recovered; });
            co_await wait_for([&] { return sent_while_down->has_value(); });
            CHECK_FALSE(**sent_while_down);
            co_await send_some(4);

            int max_failures = 0;
            for (auto& s : seen) max_failures = std::max(max_failures, s.failures);
            CHECK(max_failures >= 3);
            CHECK(c.metrics().websockets_open_max == 1);

            rest_client john(ex, config_for(base, ecfg, "john"));
            for (int i = 0; i < 4; ++i) {
                const std::string cid = "messaging:seed-" + std::to_string(i);
                query_channel_request q;
                q.type = "messaging";
                q.id = "seed-" + std::to_string(i);
                q.watch = false;
                q.messages = message_pagination{.limit = 300};
                auto [qec, truth] = co_await john.async_query_channel(q, tuple_token);
                REQUIRE_FALSE(qec);
                int server_unread = 0;
                for (auto& r : truth.read)
                    if (r.user.id == "john") server_unread = r.unread_messages;
                const auto last_id = truth.messages.back().id;
                const bool settled = co_await streamchat::test::wait_until([&] {
                    const auto s = c.channels().summary(cid);
                    return s && s->last_message_id == last_id && s->unread_count == server_unread;
                }, 60s, 1ms);
                const auto mine_summary = c.channels().summary(cid);
                INFO(cid << ": server has last message " << last_id << ", unread " << server_unread << "; client has "
                         << (mine_summary ? mine_summary->last_message_id : std::string_view("no summary")) << ", unread "
                         << (mine_summary ? mine_summary->unread_count : -1));
                REQUIRE(settled);
                if (i < 2) {
                    const auto* st = c.channels().state(cid);
                    REQUIRE(st);
                    std::vector<std::string> mine, theirs;
                    for (auto& m : st->messages) mine.push_back(m.id);
                    for (auto& m : truth.messages) theirs.push_back(m.id);
                    CHECK(mine == theirs);
                }
            }
            for (auto& [id, count] : delivered) CHECK(count == 1);

            // The message sent while the server was down is stored exactly once.
            query_channel_request q0;
            q0.type = "messaging";
            q0.id = "seed-0";
            q0.watch = false;
            q0.messages = message_pagination{.limit = 300};
            auto [q0ec, seed0] = co_await john.async_query_channel(q0, tuple_token);
            REQUIRE_FALSE(q0ec);
            CHECK(std::count_if(seed0.messages.begin(), seed0.messages.end(), [&](const message& m) {
                      return m.text == "sent while the server was down";
                  }) == 1);
            CHECK(std::any_of(seed0.messages.begin(), seed0.messages.end(),
                              [&](const message& m) { return m.id == sent_message->message.id; }));
        },
        120s);
    std::error_code ignored;
    std::filesystem::remove(db, ignored);
    std::filesystem::remove(db.string() + "-wal", ignored);
    std::filesystem::remove(db.string() + "-shm", ignored);
}

TEST_CASE("a 429 storm: every watch completes, paced by the server's window, none is lost")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator_config ecfg;
            ecfg.seed.channels = 12;
            ecfg.seed.for_user = "john";
            ecfg.rate_limits = emulator_rate_limits::stream;
            ecfg.rate_limit_per_minute = 4; // per user and endpoint, in each window below
            ecfg.rate_limit_window = 500ms;
            emulator emu(ex, ecfg);
            REQUIRE_FALSE(emu.start());
            auto cfg = config_for(emu.base_url(), ecfg, "john");
            cfg.watch.max_watched_channels = 12;
            client c(ex, cfg);
            user_input who{};
            auto [ec, me] = co_await c.async_connect(who, tuple_token);
            REQUIRE_FALSE(ec);

            int done = 0, failed = 0;
            const auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < 12; ++i)
                c.async_watch({"messaging", "seed-" + std::to_string(i)}, [&](error_code wec) {
                    ++done;
                    failed += wec ? 1 : 0;
                });
            co_await wait_for([&] { return done == 12; }, 90s);
            CHECK(failed == 0);
            // 12 watch queries at 4 per window cannot finish inside two windows: the client waited
            // for the server instead of hammering it (a lower bound: it cannot flake on a slow host).
            CHECK(std::chrono::steady_clock::now() - start >= 1000ms);
            auto mine = c.watched();
            std::sort(mine.begin(), mine.end());
            CHECK(mine.size() == 12);
            CHECK(emu.watched_channels("john") == mine);
        },
        120s);
}

TEST_CASE("the server stops right after a send is initiated: after the restart it is stored once, with its id")
{
    run_coro([](asio::any_io_executor ex) { return send_across_a_restart(ex, stop_point::just_initiated); }, 120s);
}

TEST_CASE("the server stops after storing a send whose answer is lost: the resend completes with the stored id")
{
    run_coro([](asio::any_io_executor ex) { return send_across_a_restart(ex, stop_point::answer_lost); }, 120s);
}
