// channel_list against the emulator over real sockets: a 5,000-channel list paged to the end with
// every channel exactly once while another user keeps posting (channels jump to the top before
// and after the pager reaches them), stage 2 in one call per page, and a viewport scrolled from
// top to bottom and back that never exceeds the watch budget and leaves exactly viewport +
// overscan watched in the emulator's own registry.

#include <streamchat/channel_list.hpp>
#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "support/client_observer.hpp"
#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::observer_guard;
using streamchat::test::run_coro;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);
constexpr int channel_count = 5000;

client_config config_for(const emulator& emu, const std::string& user)
{
    client_config cfg;
    cfg.base_url = emu.base_url();
    cfg.api_key = emu.config().api_key;
    cfg.user_id = user;
    cfg.token = make_user_token(emu.config().api_secret, user);
    cfg.health.dead_after = 30s;
    cfg.batch.window = 5ms;
    cfg.watch.max_watched_channels = 20;
    return cfg;
}

emulator_config seeded()
{
    emulator_config e;
    e.seed.users = 2; // user-0 and user-1: with john, every channel's members
    e.seed.channels = channel_count;
    e.seed.messages_per_channel = 1;
    e.seed.for_user = "john";
    return e;
}

asio::awaitable<void> wait_for(std::function<bool()> cond, std::string what)
{
    if (!co_await streamchat::test::wait_until(cond, 120s, 1ms)) FAIL("timed out waiting for: " << what);
}

} // namespace

TEST_CASE("a 5000-channel list pages to the end, every channel once, while others post")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator emu(ex, seeded());
            REQUIRE_FALSE(emu.start());
            client c(ex, config_for(emu, "john"));
            user_input me{};
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

            // Another member posts into channels far down the list (not paged yet) and near the
            // top (paged already) while john pages.
            rest_client poster(ex, config_for(emu, "user-1"));
            std::set<std::string> posted_to;
            int sent = 0;
            auto [f1, first] = co_await list.async_load_next_page(tuple_token);
            REQUIRE_FALSE(f1);
            CHECK(first == 30);
            // Stage 2 for the first page: one call, every row gets its last message.
            auto [pec] = co_await list.async_load_previews(0, 30, tuple_token);
            REQUIRE_FALSE(pec);
            CHECK(list.metrics().preview_calls == 1);
            for (std::size_t i = 0; i < 30; ++i) CHECK_FALSE(list.row(i)->last_message_id.empty());

            while (!list.done()) {
                auto [ec, added] = co_await list.async_load_next_page(tuple_token);
                REQUIRE_FALSE(ec);
                if (list.metrics().pages % 20 == 0 && sent < 16) {
                    // One channel not listed yet and one listed already.
                    for (const std::size_t idx : {std::size_t{4000 - 200 * static_cast<std::size_t>(sent)}, list.size() / 2}) {
                        std::string target;
                        if (idx < list.size()) target = list.cid(idx);
                        else target = "messaging:seed-" + std::to_string(4999 - sent);
                        send_message_request m;
                        m.type = "messaging";
                        m.id = target.substr(target.find(':') + 1);
                        m.message.text = "jump " + std::to_string(sent);
                        auto [sec, r] = co_await poster.async_send_message(m, tuple_token);
                        REQUIRE_FALSE(sec);
                        posted_to.insert(target);
                        ++sent;
                    }
                }
            }
            // Let the last notifications arrive, then check: every channel exactly once.
            co_await wait_for([&] { return c.metrics().events_applied >= posted_to.size(); }, "notifications");
            REQUIRE(list.size() == channel_count);
            std::set<std::string> unique;
            for (std::size_t i = 0; i < list.size(); ++i) unique.insert(list.cid(i));
            CHECK(unique.size() == channel_count);
            for (const auto& cid : posted_to) CHECK(unique.contains(cid));
            // Channels far down arrived through their event, ahead of the pager, and listed
            // ones moved up; the pager dropped what it had already returned.
            CHECK(list.metrics().added_live > 0);
            CHECK(list.metrics().moved > 0);
            // The newest post is at the top.
            REQUIRE(list.row(0));
            CHECK(list.row(0)->last_message_preview.rfind("jump ", 0) == 0);
            // Offsets to the cap, then keyset pages.
            CHECK(list.metrics().pages > 1000 / 30 + 1);
            poster.shutdown();
        },
        300s);
}

TEST_CASE("scrolling a 5000-channel list top to bottom and back stays within the watch budget")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator emu(ex, seeded());
            REQUIRE_FALSE(emu.start());
            client c(ex, config_for(emu, "john"));
            user_input me{};
            auto [cec, own] = co_await c.async_connect(me, tuple_token);
            REQUIRE_FALSE(cec);
            channel_list list(c, {.filter_conditions = filter::in("members", std::vector<filter_value>{"john"}),
                                  .overscan = 3});
            while (!list.done()) {
                auto [ec, added] = co_await list.async_load_next_page(tuple_token);
                REQUIRE_FALSE(ec);
            }
            REQUIRE(list.size() == channel_count);

            constexpr std::size_t viewport = 10;
            std::size_t server_max = 0;
            std::vector<std::size_t> stops;
            for (std::size_t at = 0; at + viewport <= channel_count; at += 250) stops.push_back(at);
            stops.push_back(channel_count - viewport);
            const std::vector<std::size_t> down = stops;
            stops.insert(stops.end(), down.rbegin(), down.rend());
            for (const std::size_t at : stops) {
                auto [ec] = co_await list.async_set_viewport(at, viewport, tuple_token);
                REQUIRE_FALSE(ec);
                server_max = std::max(server_max, emu.watched_channels("john").size());
                // The rows on screen have full state, so opening one needs no round trip.
                for (std::size_t i = at; i < at + viewport; ++i) CHECK(c.channels().is_materialised(list.cid(i)));
            }
            CHECK(server_max <= 20);
            CHECK(c.metrics().watched_max <= 20);
            // Back at the top: exactly rows 0 .. viewport + overscan are watched, on the server too.
            std::vector<std::string> expect;
            for (std::size_t i = 0; i < viewport + 3; ++i) expect.push_back(list.cid(i));
            std::sort(expect.begin(), expect.end());
            auto mine = c.watched();
            std::sort(mine.begin(), mine.end());
            CHECK(mine == expect);
            CHECK(emu.watched_channels("john") == expect);
            CHECK(c.channels().materialised() == expect.size());
            CHECK(list.viewport_watched() == expect.size());
        },
        300s);
}

TEST_CASE("profiles: a page's authors come free, one tick's misses are one queryUsers, a revisit none")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator_config e;
            e.seed.users = 40;
            e.seed.channels = 60;
            e.seed.messages_per_channel = 1;
            e.seed.for_user = "john";
            emulator emu(ex, e);
            REQUIRE_FALSE(emu.start());
            client c(ex, config_for(emu, "john"));
            channel_list list(c, {.filter_conditions = filter::in("members", std::vector<filter_value>{"john"})});
            auto [pec, n] = co_await list.async_load_next_page(tuple_token);
            REQUIRE_FALSE(pec);
            auto [vec] = co_await list.async_load_previews(0, n, tuple_token);
            REQUIRE_FALSE(vec);
            // Stage 2 carried the authors of the last messages: those cost no call.
            CHECK(c.metrics().profile_fills > 0);
            const std::string author(list.row(0)->last_message_user_id);
            REQUIRE(c.cached_profile(author));
            CHECK(c.metrics().profile_requests == 0);

            // 41 calls in one turn (40 users, one unknown), each for one id, plus one for all.
            std::vector<std::string> all;
            for (int i = 0; i < 40; ++i) all.push_back("user-" + std::to_string(i));
            all.push_back("nobody");
            int done = 0;
            int failed = 0;
            std::vector<std::vector<user_profile>> got(all.size());
            for (std::size_t i = 0; i < all.size(); ++i)
                c.async_get_profiles({all[i]}, [&, i](error_code ec, std::vector<user_profile> v) {
                    ++done;
                    failed += ec ? 1 : 0;
                    got[i] = std::move(v);
                });
            std::vector<user_profile> together;
            c.async_get_profiles(all, [&](error_code ec, std::vector<user_profile> v) {
                ++done;
                failed += ec ? 1 : 0;
                together = std::move(v);
            });
            co_await wait_for([&] { return done == static_cast<int>(all.size()) + 1; }, "profiles");
            CHECK(failed == 0);
            CHECK(c.metrics().profile_requests == 1); // 41 ids minus the free ones: one queryUsers
            for (int i = 0; i < 40; ++i) {
                REQUIRE(got[static_cast<std::size_t>(i)].size() == 1);
                CHECK(got[static_cast<std::size_t>(i)][0].name == "User " + std::to_string(i));
            }
            CHECK(got.back().empty()); // unknown: left out, no error
            REQUIRE(together.size() == 40);
            CHECK(together[7].id == "user-7"); // in the order asked

            // A revisit within the TTL: no call at all, the unknown id included.
            auto [rec, again] = co_await c.async_get_profiles(all, tuple_token);
            CHECK_FALSE(rec);
            CHECK(again.size() == 40);
            CHECK(c.metrics().profile_requests == 1);
            CHECK(c.metrics().profile_hits >= 41);
        },
        120s);
}

TEST_CASE("stages race a timer: the loser is cancelled and the list carries on where it was")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            using namespace boost::asio::experimental::awaitable_operators;
            emulator_config e;
            e.seed.users = 2;
            e.seed.channels = 90;
            e.seed.messages_per_channel = 1;
            e.seed.for_user = "john";
            emulator emu(ex, e);
            REQUIRE_FALSE(emu.start());
            client c(ex, config_for(emu, "john"));
            channel_list list(c, {.filter_conditions = filter::in("members", std::vector<filter_value>{"john"})});

            // A timer that has already expired wins: the page is cancelled, nothing is listed.
            asio::steady_timer now(ex, std::chrono::steady_clock::now());
            auto lost = co_await (list.async_load_next_page(tuple_token) || now.async_wait(tuple_token));
            CHECK(lost.index() == 1);
            CHECK(list.size() == 0);
            CHECK_FALSE(list.done());

            // A generous timer loses: the page arrives, the same first page as without the race.
            asio::steady_timer later(ex, 60s);
            auto won = co_await (list.async_load_next_page(tuple_token) || later.async_wait(tuple_token));
            REQUIRE(won.index() == 0);
            CHECK_FALSE(std::get<0>(std::get<0>(won)));
            CHECK(list.size() == 30);

            // Stage 2 raced and cancelled, then run: every row of the page gets its preview.
            asio::steady_timer now2(ex, std::chrono::steady_clock::now());
            (void)co_await (list.async_load_previews(0, 30, tuple_token) || now2.async_wait(tuple_token));
            auto [pec] = co_await list.async_load_previews(0, 30, tuple_token);
            CHECK_FALSE(pec);
            for (std::size_t i = 0; i < list.size(); ++i) CHECK_FALSE(list.row(i)->last_message_id.empty());
            while (!list.done()) {
                auto [ec, n] = co_await list.async_load_next_page(tuple_token);
                REQUIRE_FALSE(ec);
            }
            CHECK(list.size() == 90);
        },
        120s);
}
