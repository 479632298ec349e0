// The client's profile cache kept fresh by the server: a watched channel subscribes to its
// members' presence, so a renamed member (user.updated) and a member coming online or going
// offline (user.presence.changed) update the cached profile without another queryUsers.

#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "support/client_observer.hpp"
#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

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
    cfg.batch.window = 5ms;
    return cfg;
}

} // namespace

TEST_CASE("user.updated and presence events keep a watched member's cached profile fresh")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator_config e;
        e.seed.users = 2; // user-0 and user-1, with john members of every channel
        e.seed.channels = 3;
        e.seed.messages_per_channel = 1;
        e.seed.for_user = "john";
        emulator emu(ex, e);
        REQUIRE_FALSE(emu.start());
        client c(ex, config_for(emu, "john"));
        user_input me{};
        auto [cec, own] = co_await c.async_connect(me, tuple_token);
        REQUIRE_FALSE(cec);
        // Drain batches so that the client keeps applying them.
        observer_guard guard;
        asio::co_spawn(
            ex,
            [&c, alive = guard.alive]() -> asio::awaitable<void> {
                for (;;) {
                    auto [ec, b] = co_await c.async_receive(tuple_token);
                    if (ec || !*alive) co_return;
                }
            },
            asio::detached);

        channel_ref ch{"messaging", "seed-0"};
        auto [wec] = co_await c.async_watch(ch, tuple_token);
        REQUIRE_FALSE(wec);
        std::vector<std::string> ids{"user-1"};
        auto [pec, profiles] = co_await c.async_get_profiles(ids, tuple_token);
        REQUIRE_FALSE(pec);
        REQUIRE(profiles.size() == 1);
        const auto calls = c.metrics().profile_requests;
        CHECK_FALSE(c.cached_profile("user-1")->online);

        // Renamed on the server: user.updated reaches the watcher.
        client_config admin = config_for(emu, "");
        admin.token = make_server_token(emu.config().api_secret);
        rest_client server(ex, admin);
        user_partial_update up;
        up.id = "user-1";
        up.set["name"] = "Renamed One";
        std::vector<user_partial_update> updates{up};
        auto [uec, ur] = co_await server.async_partial_update_users(updates, tuple_token);
        REQUIRE_FALSE(uec);
        CHECK(co_await streamchat::test::wait_until(
            [&] { return c.cached_profile("user-1") && c.cached_profile("user-1")->name == "Renamed One"; }));

        // Online, then offline again: user.presence.changed both times.
        {
            client other(ex, config_for(emu, "user-1"));
            user_input them{};
            auto [oec, o] = co_await other.async_connect(them, tuple_token);
            REQUIRE_FALSE(oec);
            CHECK(co_await streamchat::test::wait_until([&] { return c.cached_profile("user-1")->online; }));
        }
        CHECK(co_await streamchat::test::wait_until([&] { return !c.cached_profile("user-1")->online; }));
        // All of it without asking the server again.
        CHECK(c.metrics().profile_requests == calls);
        auto [p2, again] = co_await c.async_get_profiles(ids, tuple_token);
        REQUIRE_FALSE(p2);
        REQUIRE(again.size() == 1);
        CHECK(again[0].name == "Renamed One");
        CHECK(c.metrics().profile_requests == calls);
    });
}
