// Many clients, one set of REST connections (shared_http_pool), against the emulator: every
// client's calls carry its own user, the connections stay within the pool's bound however many
// clients there are, and one client going away fails only its own calls.

#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/shared_http_pool.hpp>
#include <streamchat/token.hpp>

#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::run_coro;
using streamchat::test::wait_until;

TEST_CASE("clients sharing one pool: their own users, a bounded set of connections, independent shutdown")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator_config e;
        e.seed.users = 12;
        e.seed.channels = 0;
        emulator emu(ex, e);
        REQUIRE_FALSE(emu.start());
        auto pool = std::make_shared<shared_http_pool>(ex, emu.base_url(), http_config{.max_connections_per_host = 2});

        constexpr int n = 12;
        std::vector<std::unique_ptr<client>> clients;
        for (int i = 0; i < n; ++i) {
            client_config cfg;
            cfg.base_url = emu.base_url();
            cfg.api_key = emu.config().api_key;
            cfg.user_id = "user-" + std::to_string(i);
            cfg.token = make_user_token(emu.config().api_secret, cfg.user_id);
            cfg.http_pool = pool;
            clients.push_back(std::make_unique<client>(ex, std::move(cfg)));
        }
        // Everyone connects (its own WebSocket), creates a channel of its own and sends there, all
        // at once.
        int connected = 0;
        std::vector<std::string> authors(n);
        for (int i = 0; i < n; ++i)
            asio::co_spawn(
                ex,
                [&, i]() -> asio::awaitable<void> {
                    auto& c = *clients[static_cast<std::size_t>(i)];
                    user_input me{};
                    auto [cec, who] = co_await c.async_connect(me, asio::as_tuple(asio::use_awaitable));
                    if (cec) co_return;
                    const std::string id = "shared-pool-" + std::to_string(i);
                    query_channel_request q;
                    q.type = "messaging";
                    q.id = id;
                    channel_input data;
                    data.members = {c.config().user_id};
                    q.data = data;
                    auto [qec, st] = co_await c.rest().async_query_channel(q, asio::as_tuple(asio::use_awaitable));
                    if (qec) co_return;
                    send_message_request send;
                    send.type = "messaging";
                    send.id = id;
                    send.message.text = "from " + c.config().user_id;
                    auto [sec, sent] = co_await c.async_send_message(send, asio::as_tuple(asio::use_awaitable));
                    if (!sec) authors[static_cast<std::size_t>(i)] = sent.message.user.id;
                    ++connected;
                },
                asio::detached);
        REQUIRE(co_await wait_until([&] { return connected == n; }));
        for (int i = 0; i < n; ++i) CHECK(authors[static_cast<std::size_t>(i)] == "user-" + std::to_string(i));
        CHECK(emu.websocket_count() == static_cast<std::size_t>(n)); // a WebSocket each
        CHECK(pool->connections_opened() >= 1);
        CHECK(pool->connections_opened() <= 2); // 12 clients, 3 calls each: the pool's 2 connections
        CHECK(pool->open_connections() <= 2);

        // One client goes away; the others keep the pool.
        clients.front().reset();
        auto& other = *clients.back();
        send_message_request again;
        again.type = "messaging";
        again.id = "shared-pool-" + std::to_string(n - 1);
        again.message.text = "still here";
        auto [ec, res] = co_await other.async_send_message(again, asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(res.message.user.id == "user-" + std::to_string(n - 1));
        clients.clear();
        emu.stop();
    });
}

TEST_CASE("a shared pool refuses a base URL it cannot use, with the reason")
{
    asio::io_context ioc;
    CHECK_THROWS_AS(shared_http_pool(ioc.get_executor(), "ftp://example.com"), std::invalid_argument);
    CHECK_THROWS_AS(shared_http_pool(ioc.get_executor(), ""), std::invalid_argument);
}
