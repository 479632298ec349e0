// The live client against a scripted WebSocket server that misbehaves on purpose: malformed,
// binary and out-of-order frames (skipped or applied, the connection stays up), a frame over the
// size limit (the socket is dropped and the client reconnects), silence after the handshake
// (dead link), connections refused for a while (backoff grows, then connects), and close 1000
// (offline, no reconnect).

#include <streamchat/client.hpp>

#include "support/client_observer.hpp"
#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <set>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::observer_guard;
using streamchat::test::run_coro;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);
using ws_t = websocket::stream<beast::tcp_stream>;
/// What the server does with accepted socket number `attempt` (1-based) after the upgrade.
using script = std::function<asio::awaitable<void>(ws_t&, int attempt)>;

const std::string handshake =
    R"({"type":"health.check","connection_id":"conn-1","cid":"*","created_at":"2024-01-01T10:00:00Z","me":{"id":"john","role":"user","channel_mutes":[],"mutes":[]}})";

std::string message_new(const std::string& id, const std::string& at)
{
    return R"({"type":"message.new","cid":"messaging:a","channel_id":"a","channel_type":"messaging","message":{"id":")" +
           id + R"(","text":"t-)" + id + R"(","type":"regular","user":{"id":"jack"},"created_at":")" + at +
           R"("},"user":{"id":"jack"},"created_at":")" + at + R"("})";
}

/// Accepts WebSocket connections on 127.0.0.1 and runs the script on each; answers pings with a
/// health.check unless the script reads the socket itself.
struct ws_server {
    explicit ws_server(asio::any_io_executor ex, script s) : acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), run(std::move(s))
    {
        port = acceptor.local_endpoint().port();
        asio::co_spawn(ex, accept_loop(), asio::detached);
    }
    ~ws_server() { stop(); }
    void stop()
    {
        error_code ignored;
        acceptor.close(ignored);
        for (auto& w : live)
            if (auto s = w.lock()) beast::get_lowest_layer(*s).close();
    }
    asio::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(tuple_token);
            if (ec) co_return;
            auto ws = std::make_shared<ws_t>(std::move(sock));
            live.push_back(ws);
            const int n = ++accepted;
            asio::co_spawn(
                acceptor.get_executor(),
                [this, ws, n]() -> asio::awaitable<void> {
                    auto [aec] = co_await ws->async_accept(tuple_token);
                    if (aec) co_return;
                    co_await run(*ws, n);
                },
                asio::detached);
        }
    }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port); }

    tcp::acceptor acceptor;
    script run;
    std::uint16_t port = 0;
    int accepted = 0;
    std::vector<std::weak_ptr<ws_t>> live;
};

asio::awaitable<void> send(ws_t& ws, const std::string& text)
{
    ws.text(true);
    (void)co_await ws.async_write(asio::buffer(text), tuple_token);
}

/// Answers each ping frame with a health.check until the socket closes.
asio::awaitable<void> answer_pings(ws_t& ws)
{
    beast::flat_buffer b;
    for (;;) {
        auto [ec, n] = co_await ws.async_read(b, tuple_token);
        if (ec) co_return;
        b.consume(b.size());
        co_await send(ws, R"({"type":"health.check","connection_id":"conn-1","cid":"*","created_at":"2024-01-01T10:00:01Z"})");
    }
}

client_config config_for(const std::string& base)
{
    client_config cfg;
    cfg.base_url = base;
    cfg.api_key = "k";
    cfg.user_id = "john";
    cfg.token = "header.payload.signature";
    cfg.health.ping_interval = 50ms;
    cfg.health.dead_after = 5s;
    cfg.health.connect_timeout = 5s;
    cfg.backoff = {.floor = 5ms, .first_max = 10ms, .step = 10ms, .cap = 60ms};
    cfg.batch.window = 0ms;
    return cfg;
}

/// Fails the test when `cond` does not hold within `ceiling` (a hang guard, not a measurement).
asio::awaitable<void> wait_for(std::function<bool()> cond, std::chrono::steady_clock::duration ceiling = 30s)
{
    const bool held = co_await streamchat::test::wait_until(cond, ceiling, 1ms);
    REQUIRE(held);
}

/// Records every status change of `c`. The list is shared with the recorder: a change already
/// queued for delivery when the test ends must not write into a destroyed vector.
std::shared_ptr<std::vector<connection_status>> record_statuses(client& c, std::shared_ptr<bool> alive)
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

} // namespace

TEST_CASE("malformed, binary and out-of-order frames: skipped or applied, the connection stays up")
{
    // `messaging:a` is not watched: its messages are typed events with compact_unwatched off,
    // and summary changes with it on (the default); the store ends the same either way.
    const bool compact = GENERATE(false, true);
    INFO("compact_unwatched " << compact);
    run_coro([compact](asio::any_io_executor ex) -> asio::awaitable<void> {
        ws_server server(ex, [](ws_t& ws, int) -> asio::awaitable<void> {
            co_await send(ws, handshake);
            co_await send(ws, "not json at all");
            co_await send(ws, "[1,2,3]");
            co_await send(ws, R"({"type":"message.new","created_at":5})");
            co_await send(ws, std::string(100, '{'));
            ws.binary(true);
            (void)co_await ws.async_write(asio::buffer(std::string("\x01\x02")), tuple_token);
            co_await send(ws, message_new("late", "2024-01-01T10:00:09Z"));
            co_await send(ws, message_new("early", "2024-01-01T10:00:05Z")); // older, arrives after
            co_await send(ws, R"({"type":"poll.updated","cid":"messaging:a","poll":{"id":"p"}})");
            co_await answer_pings(ws);
        });
        auto cfg = config_for(server.base_url());
        cfg.batch.compact_unwatched = compact;
        std::vector<std::string> log;
        cfg.log.sink = [&log](log_level, std::string_view m) { log.emplace_back(m); };
        client c(ex, cfg);
        observer_guard guard;
        auto got_ptr = std::make_shared<std::vector<event>>();
        auto& got = *got_ptr;
        auto changed_ptr = std::make_shared<std::vector<std::string>>();
        auto& changed = *changed_ptr;
        asio::co_spawn(
            ex,
            [&c, got_ptr, changed_ptr, alive = guard.alive]() -> asio::awaitable<void> {
                for (;;) {
                    auto [ec, b] = co_await c.async_receive(tuple_token);
                    if (ec || !*alive) co_return;
                    for (auto& e : b.events) got_ptr->push_back(std::move(e));
                    for (auto& cid : b.summaries_changed) changed_ptr->push_back(std::move(cid));
                }
            },
            asio::detached);
        user_input me{};
        auto [ec, own] = co_await c.async_connect(me, tuple_token);
        REQUIRE_FALSE(ec);
        CHECK(c.connection_id() == "conn-1");
        co_await wait_for([&] { return !got.empty() && got.back().type == event_type::unknown; });
        CHECK(c.metrics().malformed_frames == 4);
        // Each skipped frame is logged with the reason.
        REQUIRE(log.size() == 4);
        CHECK(log[0].find("not json at all") != std::string::npos);
        CHECK(c.metrics().events_applied == 3);
        if (compact) {
            REQUIRE(got.size() == 1);
            // Once per batch, and a zero window makes a batch of every event.
            CHECK(changed == std::vector<std::string>{"messaging:a", "messaging:a"});
            CHECK(c.metrics().events_compact == 2);
        } else {
            REQUIRE(got.size() == 3);
            CHECK(got[0].type == event_type::message_new);
            CHECK(got[1].type == event_type::message_new);
            CHECK(changed.empty());
        }
        CHECK(got.back().type_name == "poll.updated");
        // The newest message keeps the preview whatever the arrival order; both count as unread.
        const auto s = c.channels().summary("messaging:a");
        REQUIRE(s);
        CHECK(s->last_message_id == "late");
        CHECK(s->unread_count == 2);
        co_await wait_for([&] { return c.metrics().pings_sent >= 2; });
        CHECK(c.status().state == connection_state::connected);
        CHECK(c.metrics().websockets_opened == 1);
        server.stop();
    });
}

TEST_CASE("subscriptions get their channel's share, a receiver that falls behind gets the rest folded")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto updated = [](const std::string& id, int n) {
            return R"({"type":"channel.updated","cid":"messaging:)" + id + R"(","channel":{"cid":"messaging:)" + id +
                   R"(","type":"messaging","id":")" + id + R"(","name":"n)" + std::to_string(n) +
                   R"("},"created_at":"2024-01-01T10:00:02Z"})";
        };
        ws_server server(ex, [&](ws_t& ws, int) -> asio::awaitable<void> {
            co_await send(ws, handshake);
            for (int i = 0; i < 20; ++i) co_await send(ws, updated(i % 2 ? "b" : "a", i));
            co_await send(ws, message_new("m1", "2024-01-01T10:00:09Z")); // unwatched: compact
            co_await answer_pings(ws);
        });
        auto cfg = config_for(server.base_url());
        cfg.batch.max_queued = 5;
        client c(ex, cfg);
        auto sub_a = c.subscribe("messaging:a");
        auto sub_none = c.subscribe("messaging:zzz");
        CHECK(sub_a.cid() == "messaging:a");
        auto aborted = std::make_shared<error_code>();
        asio::co_spawn(
            ex,
            [&sub_none, aborted]() -> asio::awaitable<void> {
                auto [ec, b] = co_await sub_none.async_receive(tuple_token);
                *aborted = ec ? ec : error_code(error::invalid_value);
            },
            asio::detached);

        user_input me{};
        auto [ec, own] = co_await c.async_connect(me, tuple_token);
        REQUIRE_FALSE(ec);
        co_await wait_for([&] { return c.metrics().events_applied == 21; });
        // Nobody has received yet: the queue was folded down to max_queued, nothing applied was lost.
        CHECK(c.metrics().events_dropped > 0);
        CHECK(c.channels().summary("messaging:a")->name == "n18");
        CHECK(c.channels().summary("messaging:b")->name == "n19");

        // The client's queue: what was not delivered is counted, and its channels are named.
        std::uint64_t seen = 0;
        std::uint64_t dropped = 0;
        std::set<std::string> changed;
        while (seen + dropped < 20 || !changed.contains("messaging:a")) {
            auto [rec, b] = co_await c.async_receive(tuple_token);
            REQUIRE_FALSE(rec);
            CHECK(b.events.size() + b.summaries_changed.size() <= 5);
            seen += b.events.size();
            dropped += b.dropped;
            changed.insert(b.summaries_changed.begin(), b.summaries_changed.end());
        }
        CHECK(seen + dropped == 20);
        CHECK(dropped == c.metrics().events_dropped);
        CHECK(changed == std::set<std::string>{"messaging:a", "messaging:b"});

        // The subscription: channel a only, folded the same way.
        std::uint64_t a_seen = 0;
        std::uint64_t a_dropped = 0;
        std::set<std::string> a_changed;
        while (a_seen + a_dropped < 10 || !a_changed.contains("messaging:a")) {
            auto [rec, b] = co_await sub_a.async_receive(tuple_token);
            REQUIRE_FALSE(rec);
            for (const auto& e : b.events) CHECK(e.cid == std::optional<std::string>("messaging:a"));
            a_seen += b.events.size();
            a_dropped += b.dropped;
            a_changed.insert(b.summaries_changed.begin(), b.summaries_changed.end());
        }
        CHECK(a_seen + a_dropped == 10);
        CHECK(a_changed == std::set<std::string>{"messaging:a"});

        // A subscription that ends completes its pending receive.
        CHECK_FALSE(*aborted);
        sub_none.reset();
        co_await wait_for([&] { return static_cast<bool>(*aborted); });
        CHECK(*aborted == asio::error::operation_aborted);
        CHECK_FALSE(sub_none);
        server.stop();
    });
}

TEST_CASE("a frame over the size limit drops the socket, the client reconnects")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        ws_server server(ex, [](ws_t& ws, int attempt) -> asio::awaitable<void> {
            co_await send(ws, handshake);
            if (attempt == 1) co_await send(ws, std::string(17 * 1024 * 1024, ' ')); // over 16 MiB
            co_await answer_pings(ws);
        });
        client c(ex, config_for(server.base_url()));
        user_input me{};
        auto [ec, own] = co_await c.async_connect(me, tuple_token);
        REQUIRE_FALSE(ec);
        co_await wait_for([&] { return c.metrics().reconnects == 1 && c.status().state == connection_state::connected; });
        CHECK(server.accepted == 2);
        CHECK(c.metrics().websockets_open == 1);
        server.stop();
    });
}

TEST_CASE("silence after the handshake is a dead link, the next socket answers")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        ws_server server(ex, [](ws_t& ws, int attempt) -> asio::awaitable<void> {
            co_await send(ws, handshake);
            if (attempt > 1) co_await answer_pings(ws);
            else {
                beast::flat_buffer b;
                for (;;) { // read pings, never answer
                    auto [rec, n] = co_await ws.async_read(b, tuple_token);
                    if (rec) co_return;
                    b.consume(b.size());
                }
            }
        });
        auto cfg = config_for(server.base_url());
        cfg.health.dead_after = 300ms;
        client c(ex, cfg);
        observer_guard guard;
        auto seen = record_statuses(c, guard.alive);
        user_input me{};
        auto [ec, own] = co_await c.async_connect(me, tuple_token);
        REQUIRE_FALSE(ec);
        co_await wait_for([&] { return c.metrics().recoveries == 1; });
        CHECK(std::any_of(seen->begin(), seen->end(), [](auto& s) { return s.reason == error::connection_dead; }));
        CHECK(server.accepted == 2);
        server.stop();
    });
}

TEST_CASE("connections refused for a while: the backoff counts up, then the client connects")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Learn a free port, then leave it closed.
        std::uint16_t port = 0;
        {
            tcp::acceptor probe(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            port = probe.local_endpoint().port();
        }
        client c(ex, config_for("http://127.0.0.1:" + std::to_string(port)));
        observer_guard guard;
        auto seen = record_statuses(c, guard.alive);
        bool connected = false;
        error_code result;
        user_input me{};
        c.async_connect(me, [&](error_code e, own_user) {
            result = e;
            connected = true;
        });
        co_await wait_for([&] { return c.status().failures >= 4; });
        CHECK_FALSE(connected);

        // Now serve on that port.
        tcp::acceptor acc(ex);
        acc.open(tcp::v4());
        acc.set_option(asio::socket_base::reuse_address(true));
        acc.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        acc.listen();
        auto [aec, sock] = co_await acc.async_accept(tuple_token);
        REQUIRE_FALSE(aec);
        ws_t ws(std::move(sock));
        auto [hec] = co_await ws.async_accept(tuple_token);
        REQUIRE_FALSE(hec);
        co_await send(ws, handshake);
        co_await wait_for([&] { return connected; });
        CHECK_FALSE(result);
        int most = 0;
        for (auto& s : *seen) most = std::max(most, s.failures);
        CHECK(most >= 4);
        CHECK(c.status().failures == 0);
        CHECK(c.metrics().websockets_opened == 1);
        c.disconnect();
        beast::flat_buffer b;
        (void)co_await ws.async_read(b, tuple_token); // the client's close 1000
        CHECK(ws.reason().code == websocket::close_code::normal);
    });
}

TEST_CASE("close 1000 from the server is permanent: offline, no reconnect")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        ws_server server(ex, [](ws_t& ws, int) -> asio::awaitable<void> {
            co_await send(ws, handshake);
            (void)co_await ws.async_close(websocket::close_code::normal, tuple_token);
        });
        client c(ex, config_for(server.base_url()));
        user_input me{};
        auto [ec, own] = co_await c.async_connect(me, tuple_token);
        REQUIRE_FALSE(ec);
        co_await wait_for([&] { return c.status().state == connection_state::offline; });
        CHECK(c.status().reason == error::closed_by_server);
        asio::steady_timer t(ex, 200ms); // give a wrong reconnect every chance to show
        co_await t.async_wait(asio::use_awaitable);
        CHECK(server.accepted == 1);
        server.stop();
    });
}
