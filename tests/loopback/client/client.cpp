// The realtime client against the emulator over real sockets: the handshake, health checks on
// one socket, the watch budget checked against the server's own watcher registry, recovery after
// a dropped socket with nothing lost or duplicated, and permanent failures that must not retry.
// Every wait is on a condition (with a generous ceiling that only catches hangs).

#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "support/client_observer.hpp"
#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

namespace asio = boost::asio;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::observer_guard;
using streamchat::test::run_coro;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

client_config config_for(const emulator& emu, const std::string& user)
{
    client_config cfg;
    cfg.base_url = emu.base_url();
    cfg.api_key = emu.config().api_key;
    cfg.user_id = user;
    cfg.token = make_user_token(emu.config().api_secret, user);
    // Milliseconds instead of Stream's seconds; generous enough for ASan on a loaded machine.
    cfg.health.ping_interval = 100ms;
    cfg.health.dead_after = 5s;
    cfg.health.connect_timeout = 5s;
    cfg.backoff = {.floor = 10ms, .first_max = 20ms, .step = 20ms, .cap = 200ms};
    cfg.batch.window = 5ms;
    return cfg;
}

/// Polls `cond` every millisecond until it holds; fails the test after `ceiling` (a hang).
/// Fails the test when `cond` does not hold within `ceiling` (a hang guard, not a measurement).
asio::awaitable<void> wait_for(std::function<bool()> cond, std::chrono::steady_clock::duration ceiling = 30s,
                               std::string what = "condition")
{
    const bool held = co_await streamchat::test::wait_until(cond, ceiling, 1ms);
    if (!held) FAIL("timed out waiting for: " << what);
}

} // namespace

TEST_CASE("connect completes at the first health.check, pings keep one socket alive")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex);
        REQUIRE_FALSE(emu.start());
        client c(ex, config_for(emu, "john"));
        CHECK(c.status().state == connection_state::idle);
        user_input who1{.id = "john", .name = "John"};
        auto [ec, me] = co_await c.async_connect(who1, tuple_token);
        REQUIRE_FALSE(ec);
        CHECK(me.id == "john");
        CHECK(me.name == "John");
        CHECK_FALSE(c.connection_id().empty());
        CHECK(c.rest().connection_id() == c.connection_id());
        CHECK(c.status().state == connection_state::connected);

        co_await wait_for([&] { return c.metrics().pings_sent >= 3; });
        CHECK(c.status().state == connection_state::connected);
        CHECK(emu.websocket_count("john") == 1);
        const auto m = c.metrics();
        CHECK(m.websockets_open == 1);
        CHECK(m.websockets_open_max == 1);
        CHECK(m.websockets_opened == 1);
        CHECK(m.reconnects == 0);

        // Connecting again while connected completes at once, on the same socket.
        user_input who2{};
        auto [ec2, me2] = co_await c.async_connect(who2, tuple_token);
        CHECK_FALSE(ec2);
        CHECK(c.metrics().websockets_opened == 1);

        c.disconnect();
        co_await wait_for([&] { return c.status().state == connection_state::offline; });
        CHECK_FALSE(c.status().reason);
        co_await wait_for([&] { return emu.websocket_count("john") == 0; });
        CHECK(c.metrics().websockets_open == 0);
    });
}

TEST_CASE("a bad token gets an error frame and close 1000: offline with the reason, no reconnect")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex);
        REQUIRE_FALSE(emu.start());
        auto cfg = config_for(emu, "john");
        cfg.token = make_user_token("not-the-secret", "john");
        client c(ex, cfg);
        user_input who3{};
        auto [ec, me] = co_await c.async_connect(who3, tuple_token);
        CHECK(ec == api_errc::token_signature_invalid);
        CHECK(c.status().state == connection_state::offline);
        CHECK(c.status().reason == api_errc::token_signature_invalid);
        // Nothing may reconnect: give a retry every chance to happen, then check none did.
        asio::steady_timer t(ex, 300ms);
        co_await t.async_wait(asio::use_awaitable);
        CHECK(c.metrics().websockets_opened <= 1);
        CHECK(c.metrics().reconnects == 0);
        CHECK(c.status().state == connection_state::offline);
    });
}

TEST_CASE("an expired token on the WebSocket is refreshed through the shared provider")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex);
        REQUIRE_FALSE(emu.start());
        auto cfg = config_for(emu, "john");
        const auto secret = emu.config().api_secret;
        int calls = 0;
        cfg.token = make_user_token(secret, "john", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 60s);
        cfg.token_source = [&calls, secret](asio::any_completion_handler<void(error_code, std::string)> h) {
            ++calls;
            std::move(h)(error_code{}, make_user_token(secret, "john"));
        };
        client c(ex, cfg);
        user_input who4{};
        auto [ec, me] = co_await c.async_connect(who4, tuple_token);
        REQUIRE_FALSE(ec);
        CHECK(calls == 1);
        CHECK(c.metrics().websockets_opened == 2); // the refused socket, then the fresh one
        // REST uses the refreshed token too: no second refresh.
        query_channels_request any;
        auto [qec, page] = co_await c.rest().async_query_channels(any, tuple_token);
        CHECK_FALSE(qec);
        CHECK(calls == 1);
    });
}

TEST_CASE("thousands of concurrent watches over 5,000 channels never exceed the budget on the server")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator_config ecfg;
            ecfg.seed.channels = 5000;
            ecfg.seed.for_user = "john";
            emulator emu(ex, ecfg);
            REQUIRE_FALSE(emu.start());
            auto cfg = config_for(emu, "john");
            cfg.watch.max_watched_channels = 20;
            client c(ex, cfg);

            // Watches issued before the connection exists are queued and done after connect.
            int done = 0, failed = 0;
            std::size_t server_max = 0;
            auto on_done = [&](error_code ec) {
                ++done;
                failed += ec ? 1 : 0;
                server_max = std::max(server_max, emu.watched_channels("john").size());
            };
            c.async_watch({"messaging", "seed-0"}, on_done);
            user_input who5{};
            auto [ec, me] = co_await c.async_connect(who5, tuple_token);
            REQUIRE_FALSE(ec);

            std::mt19937 rng(7);
            std::uniform_int_distribution<int> pick(0, 4999);
            constexpr int requests = 2000;
            for (int i = 0; i < requests; ++i)
                c.async_watch({"messaging", "seed-" + std::to_string(pick(rng))}, on_done);
            co_await wait_for([&] { return done == requests + 1; }, 120s);
            CHECK(failed == 0);
            CHECK(server_max <= 20);
            CHECK(c.metrics().watched_max <= 20);

            auto mine = c.watched();
            std::sort(mine.begin(), mine.end());
            CHECK(mine.size() == 20);
            CHECK(emu.watched_channels("john") == mine);
            // Full state exists for the watched channels only.
            CHECK(c.channels().materialised() == 20);
            CHECK(c.metrics().websockets_open_max == 1);
        },
        180s);
}

TEST_CASE("a dropped socket is recovered: every message once, in order, unread counts as the server's")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator_config ecfg;
            ecfg.seed.users = 3;
            ecfg.seed.channels = 6;
            ecfg.seed.for_user = "john";
            emulator emu(ex, ecfg);
            REQUIRE_FALSE(emu.start());

            auto cfg = config_for(emu, "john");
            client c(ex, cfg);
            user_input who6{};
            auto [ec, me] = co_await c.async_connect(who6, tuple_token);
            REQUIRE_FALSE(ec);
            for (int i = 0; i < 3; ++i) {
                channel_ref ch{"messaging", "seed-" + std::to_string(i)};
                auto [wec] = co_await c.async_watch(ch, tuple_token);
                REQUIRE_FALSE(wec);
            }

            // Everything the client receives, so recovery can be checked from the outside too. The log
            // is shared with the receiver: a batch already queued when the test ends stays valid.
            struct log_t {
                bool recovered = false;
                std::map<std::string, int> delivered; // message id -> times seen in batches
            };
            auto log = std::make_shared<log_t>();
            observer_guard guard; // dies before the client: the receiver stops touching it
            auto alive = guard.alive;
            const bool& recovered = log->recovered;
            auto& delivered = log->delivered;
            asio::co_spawn(
                ex,
                [&c, log, alive]() -> asio::awaitable<void> {
                    for (;;) {
                        auto [rec, batch] = co_await c.async_receive(tuple_token);
                        if (rec || !*alive) co_return;
                        for (auto& e : batch.events) {
                            if (e.type == event_type::connection_recovered) log->recovered = true;
                            if (e.type == event_type::message_new && e.message) ++log->delivered[e.message->id];
                        }
                    }
                },
                asio::detached);

            // Another user writes into john's channels (server-side auth names the sender).
            auto server_cfg = config_for(emu, "");
            server_cfg.token = make_server_token(emu.config().api_secret);
            rest_client admin(ex, server_cfg);

            int sent = 0;
            auto send_one = [&](int channel) -> asio::awaitable<void> {
                send_message_request m;
                m.type = "messaging";
                m.id = "seed-" + std::to_string(channel);
                m.message.text = "m" + std::to_string(sent);
                m.message.custom["user_id"] = "user-1";
                auto [sec, r] = co_await admin.async_send_message(m, tuple_token);
                REQUIRE_FALSE(sec);
                ++sent;
            };
            for (int i = 0; i < 12; ++i) co_await send_one(i % 6);
            co_await wait_for([&] { return delivered.size() >= 6; }, 30s, "the watched channels' share");

            // Drop, keep sending while the client is away, and wait for it to recover.
            CHECK(emu.drop_websockets() >= 1);
            for (int i = 0; i < 12; ++i) co_await send_one(i % 6);
            co_await wait_for([&] { return recovered; }, 30s, "connection.recovered");
            for (int i = 0; i < 6; ++i) co_await send_one(i % 6);
            CHECK(c.metrics().reconnects == 1);
            CHECK(c.metrics().recoveries == 1);
            CHECK(c.metrics().websockets_open_max == 1);

            // Compare with the server: john's view of each channel, as a fresh query gives it.
            rest_client john(ex, config_for(emu, "john"));
            for (int i = 0; i < 6; ++i) {
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
                const auto last_id = truth.messages.empty() ? std::string{} : truth.messages.back().id;
                const bool settled = co_await streamchat::test::wait_until([&] {
                    const auto s = c.channels().summary(cid);
                    return s && s->last_message_id == last_id && s->unread_count == server_unread;
                }, 30s, 1ms);
                const auto mine_summary = c.channels().summary(cid);
                INFO(cid << ": server has last message " << last_id << ", unread " << server_unread << "; client has "
                         << (mine_summary ? mine_summary->last_message_id : std::string_view("no summary")) << ", unread "
                         << (mine_summary ? mine_summary->unread_count : -1));
                REQUIRE(settled);
                if (i < 3) { // watched: full state holds every message once, in order
                    const auto* st = c.channels().state(cid);
                    REQUIRE(st);
                    std::vector<std::string> mine, theirs;
                    for (auto& m : st->messages) mine.push_back(m.id);
                    for (auto& m : truth.messages) theirs.push_back(m.id);
                    CHECK(mine == theirs);
                }
            }
            for (auto& [id, n] : delivered) CHECK(n == 1);
        },
        120s);
}
