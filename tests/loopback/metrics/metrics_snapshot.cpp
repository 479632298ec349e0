// client::metrics_snapshot against the emulator over real sockets: a channel list's first page,
// its previews and a viewport, then a cold and a preloaded channel switch; the snapshot has the
// milestones in order, the endpoints with their requests, one WebSocket, watches within the
// budget, both switch histograms, and its JSON parses with every key.

#include <streamchat/channel_list.hpp>
#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/metrics.hpp>
#include <streamchat/token.hpp>

#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace streamchat;
using namespace std::chrono_literals;
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
    cfg.health.dead_after = 30s;
    cfg.batch.window = 5ms;
    cfg.watch.max_watched_channels = 20;
    return cfg;
}

emulator_config seeded()
{
    emulator_config e;
    e.seed.users = 2;
    e.seed.channels = 120;
    e.seed.messages_per_channel = 1;
    e.seed.for_user = "john";
    return e;
}

const endpoint_metrics* find(const metrics_snapshot& s, std::string_view name)
{
    for (const auto& e : s.endpoints)
        if (e.endpoint == name) return &e;
    return nullptr;
}

channel_ref ref_of(const std::string& cid)
{
    return {cid.substr(0, cid.find(':')), cid.substr(cid.find(':') + 1)};
}

} // namespace

TEST_CASE("metrics_snapshot after a list page, previews, a viewport and two switches")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, seeded());
        REQUIRE_FALSE(emu.start());
        client c(ex, config_for(emu, "john"));

        // Before anything: no milestones, no requests.
        {
            const auto s0 = c.metrics_snapshot();
            CHECK_FALSE(s0.socket_connected);
            CHECK_FALSE(s0.time_to_interactive);
            CHECK(s0.endpoints.empty());
            CHECK(s0.lists_attached == 0);
        }

        user_input me{};
        auto [cec, own] = co_await c.async_connect(me, tuple_token);
        REQUIRE_FALSE(cec);

        channel_list list(c, {.filter_conditions = filter::in("members", std::vector<filter_value>{"john"}), .overscan = 2});
        auto [pec, rows] = co_await list.async_load_next_page(tuple_token);
        REQUIRE_FALSE(pec);
        REQUIRE(rows == 30);
        {
            const auto s1 = c.metrics_snapshot();
            CHECK(s1.first_page_loaded);
            CHECK_FALSE(s1.first_visible_page); // stage 2 not done yet
            CHECK_FALSE(s1.time_to_interactive);
        }
        auto [vec] = co_await list.async_load_previews(0, 30, tuple_token);
        REQUIRE_FALSE(vec);
        auto [wec] = co_await list.async_set_viewport(0, 10, tuple_token);
        REQUIRE_FALSE(wec);

        // A preloaded switch (row 11 is in the overscan: full state already there) and a cold one
        // (row 25 was never watched).
        REQUIRE(c.channels().state(list.cid(11)));
        auto [sw1] = co_await c.async_watch(ref_of(list.cid(11)), tuple_token);
        REQUIRE_FALSE(sw1);
        REQUIRE_FALSE(c.channels().state(list.cid(25)));
        auto [sw2] = co_await c.async_watch(ref_of(list.cid(25)), tuple_token);
        REQUIRE_FALSE(sw2);
        REQUIRE(c.channels().state(list.cid(25)));

        // Settled: the viewport's watches are done; wait for the socket count to show it too.
        REQUIRE(co_await streamchat::test::wait_until([&] { return c.metrics().websockets_open == 1; }));
        const auto s = c.metrics_snapshot();

        REQUIRE(s.socket_connected);
        REQUIRE(s.first_page_ttfb);
        REQUIRE(s.first_page_loaded);
        REQUIRE(s.first_visible_page);
        REQUIRE(s.first_viewport_watched);
        REQUIRE(s.time_to_interactive);
        CHECK(*s.first_page_ttfb > 0ns);
        CHECK(*s.first_page_loaded <= *s.first_visible_page);
        CHECK(*s.first_visible_page <= *s.time_to_interactive);
        CHECK(*s.first_viewport_watched <= *s.time_to_interactive);
        CHECK(*s.socket_connected <= *s.time_to_interactive);
        CHECK(*s.time_to_interactive <= s.uptime);

        const auto* qc = find(s, "query_channels");
        REQUIRE(qc);
        CHECK(qc->requests >= 2); // the page and its previews
        CHECK(qc->latency.count() == qc->requests);
        CHECK(qc->failures == 0);
        const auto* q1 = find(s, "query_channel");
        REQUIRE(q1);
        CHECK(q1->requests >= 1); // the watches

        CHECK(s.client.websockets_open == 1);
        CHECK(s.client.websockets_open_max == 1);
        CHECK(s.watch_budget == 20);
        CHECK(s.client.watched <= s.watch_budget);
        CHECK(s.client.watched_max <= s.watch_budget);
        CHECK(s.lists_attached == 1);
        CHECK(s.lists.pages == 1);
        CHECK(s.lists.preview_calls == 1);
        CHECK(s.lists.viewport_watches >= 10);

        // The viewport's watches are prefetches, not switches: exactly the two above.
        CHECK(s.channel_switch_preloaded.count() == 1);
        CHECK(s.channel_switch_cold.count() == 1);
        CHECK(s.rate_limited == 0);
        CHECK_FALSE(s.rss_samples.empty()); // the snapshot takes one
        for (const auto& r : s.rss_samples) CHECK(r.bytes > 0);

        const json::value v = json::parse(to_json(s));
        const auto& o = v.as_object();
        for (const char* k : {"uptime_ms", "socket_connected_ms", "first_page_ttfb_ms", "first_page_loaded_ms",
                              "first_visible_page_ms", "first_viewport_watched_ms", "time_to_interactive_ms",
                              "channel_switch_cold", "channel_switch_preloaded", "endpoints", "rate_limited",
                              "watch_budget", "client", "lists", "rss_samples"})
            CHECK(o.contains(k));
        CHECK(o.at("time_to_interactive_ms").to_number<double>() ==
              Approx(std::chrono::duration<double, std::milli>(*s.time_to_interactive).count()));
        CHECK(o.at("client").as_object().at("websockets_open").to_number<int>() == 1);
        bool has_query_channels = false;
        for (const auto& e : o.at("endpoints").as_array())
            if (e.as_object().at("endpoint").as_string() == "query_channels") {
                has_query_channels = true;
                CHECK(e.as_object().at("requests").to_number<int>() >= 1);
                CHECK(e.as_object().at("latency").as_object().at("buckets").as_array().size() >= 1);
            }
        CHECK(has_query_channels);
        CHECK(o.at("channel_switch_cold").as_object().at("count").to_number<int>() == 1);
    });
}

TEST_CASE("metrics_snapshot keeps a destroyed list's counters")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, seeded());
        REQUIRE_FALSE(emu.start());
        client c(ex, config_for(emu, "john"));
        {
            channel_list a(c, {.filter_conditions = filter::in("members", std::vector<filter_value>{"john"})});
            channel_list b(c, {.filter_conditions = filter::in("members", std::vector<filter_value>{"john"})});
            auto [e1, n1] = co_await a.async_load_next_page(tuple_token);
            REQUIRE_FALSE(e1);
            auto [e2, n2] = co_await b.async_load_next_page(tuple_token);
            REQUIRE_FALSE(e2);
            const auto s = c.metrics_snapshot();
            CHECK(s.lists_attached == 2);
            CHECK(s.lists.pages == 2);
        }
        const auto s = c.metrics_snapshot();
        CHECK(s.lists_attached == 0);
        CHECK(s.lists.pages == 2);
        // Never connected: no time to interactive, whatever the lists did.
        CHECK(s.first_page_loaded);
        CHECK_FALSE(s.socket_connected);
        CHECK_FALSE(s.time_to_interactive);
    });
}
