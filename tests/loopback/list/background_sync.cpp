// channel_list::async_sync_background against the emulator with Stream's rate limits on (a fixed
// budget per user and endpoint, the window shortened to one second): a 5,000-channel list is
// paged and previewed in the background while the application scrolls, with no 429, and the
// scheduler never spends on background work the budget that waiting visible work needs.

#include <streamchat/channel_list.hpp>
#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "support/client_observer.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <set>
#include <string>

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
    cfg.health.dead_after = 60s;
    cfg.batch.window = 5ms;
    cfg.watch.max_watched_channels = 20;
    return cfg; // the scheduler with its defaults: seeded at 60 a minute, corrected by headers
}

} // namespace

TEST_CASE("background sync of a 5000-channel list under rate limits: no 429, visible work first")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator_config e;
            e.seed.users = 2;
            e.seed.channels = 5000;
            e.seed.messages_per_channel = 1;
            e.seed.for_user = "john";
            e.rate_limits = emulator_rate_limits::stream;
            e.rate_limit_per_minute = 30; // low enough that the budget binds even on a slow machine
            e.rate_limit_window = 1s;
            emulator emu(ex, e);
            REQUIRE_FALSE(emu.start());
            client c(ex, config_for(emu, "john"));
            user_input me{}; // not a braced temporary inside co_await: GCC 12 miscompiles that
            auto [cec, own] = co_await c.async_connect(me, tuple_token);
            REQUIRE_FALSE(cec);
            channel_list list(c, {.filter_conditions = filter::in("members", std::vector<filter_value>{"john"})});
            observer_guard guard;
            asio::co_spawn(
                ex,
                [&c, &list, alive = guard.alive]() -> asio::awaitable<void> {
                    for (;;) {
                        auto [ec, b] = co_await c.async_receive(tuple_token);
                        if (ec || !*alive) co_return;
                        list.apply(b);
                    }
                },
                asio::detached);

            // The first screen, in the visible lane.
            auto [pec, n] = co_await list.async_load_next_page(tuple_token);
            REQUIRE_FALSE(pec);
            REQUIRE(n == 30);
            auto [vec] = co_await list.async_load_previews(0, 30, tuple_token);
            REQUIRE_FALSE(vec);
            auto [wec] = co_await list.async_set_viewport(0, 10, tuple_token);
            REQUIRE_FALSE(wec);

            // Then the rest in the background while the user scrolls down what is there.
            bool synced = false;
            error_code sync_ec;
            asio::co_spawn(
                ex,
                [&]() -> asio::awaitable<void> {
                    auto [ec] = co_await list.async_sync_background(tuple_token);
                    sync_ec = ec;
                    synced = true;
                },
                asio::detached);
            std::size_t pos = 0;
            int scrolls = 0;
            while (!synced || scrolls < 3) {
                pos = std::min(pos + 25, list.size() > 10 ? list.size() - 10 : 0);
                auto [sec] = co_await list.async_set_viewport(pos, 10, tuple_token);
                CHECK_FALSE(sec);
                auto [rec] = co_await list.async_load_previews(pos, 10, tuple_token);
                CHECK_FALSE(rec);
                ++scrolls;
                if (synced) pos = 0;
            }
            REQUIRE_FALSE(sync_ec);
            CHECK(list.done());
            CHECK(list.size() == 5000);
            std::set<std::string> unique;
            for (std::size_t i = 0; i < list.size(); ++i) unique.insert(list.cid(i));
            CHECK(unique.size() == 5000);
            // Every row has its preview: the background loaded them all.
            std::size_t with_preview = 0;
            for (std::size_t i = 0; i < list.size(); ++i)
                if (auto r = list.row(i); r && !r->last_message_id.empty()) ++with_preview;
            CHECK(with_preview == 5000);

            const auto m = c.metrics();
            INFO("visible " << m.requests_visible << " unread " << m.requests_unread << " idle " << m.requests_idle
                            << " budget waits " << m.budget_waits << " scrolls " << scrolls);
            CHECK(m.responses_429 == 0);
            CHECK(m.background_before_visible == 0);
            CHECK(m.requests_visible > 2 * static_cast<std::uint64_t>(scrolls)); // viewports, previews, watches
            CHECK(m.requests_idle + m.requests_unread >= 2 * 160);               // pages and previews
            CHECK(m.budget_waits > 0); // the limit was binding: the test is not vacuous
            CHECK(m.watched_max <= 20);
            co_return;
        },
        110s);
}
