// to_json(metrics_snapshot): parsed back with Boost.JSON, every documented key is there with its
// value (durations in milliseconds, unset milestones null, histograms with integer buckets).

#include <streamchat/metrics.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>

using namespace streamchat;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

double num(const json::value& v)
{
    return v.to_number<double>();
}

} // namespace

TEST_CASE("metrics_snapshot to_json has every key, in milliseconds")
{
    metrics_snapshot s;
    s.uptime = 2500ms;
    s.socket_connected = 12ms;
    s.first_page_ttfb = 1500us;
    s.first_page_loaded = 20ms;
    s.first_visible_page = 25ms;
    s.first_viewport_watched = 40ms;
    s.time_to_interactive = 40ms;
    s.channel_switch_cold.record(3ms);
    s.channel_switch_cold.record(5ms);
    s.channel_switch_preloaded.record(800ns);
    endpoint_metrics e;
    e.endpoint = "query_channels";
    e.requests = 3;
    e.rate_limited = 1;
    e.failures = 1;
    e.latency.record(2ms);
    s.endpoints.push_back(e);
    s.rate_limited = 1;
    s.watch_budget = 20;
    s.client.websockets_open = 1;
    s.client.watched = 7;
    s.client.watched_max = 9;
    s.client.profile_hits = 4;
    s.client.max_lag = 3ms;
    s.lists.pages = 2;
    s.lists_attached = 1;
    s.rss_samples.push_back({100ms, 4096});
    s.rss_samples.push_back({1100ms, 8192});

    const json::value v = json::parse(to_json(s));
    const auto& o = v.as_object();
    CHECK(num(o.at("uptime_ms")) == Approx(2500));
    CHECK(num(o.at("socket_connected_ms")) == Approx(12));
    CHECK(num(o.at("first_page_ttfb_ms")) == Approx(1.5));
    CHECK(num(o.at("first_page_loaded_ms")) == Approx(20));
    CHECK(num(o.at("first_visible_page_ms")) == Approx(25));
    CHECK(num(o.at("first_viewport_watched_ms")) == Approx(40));
    CHECK(num(o.at("time_to_interactive_ms")) == Approx(40));
    CHECK(o.at("rate_limited").to_number<int>() == 1);
    CHECK(o.at("watch_budget").to_number<int>() == 20);

    const auto& cold = o.at("channel_switch_cold").as_object();
    CHECK(cold.at("count").to_number<int>() == 2);
    CHECK(num(cold.at("min_ms")) == Approx(3).epsilon(latency_histogram::relative_error));
    CHECK(num(cold.at("max_ms")) == Approx(5).epsilon(latency_histogram::relative_error));
    for (const char* k : {"mean_ms", "p50_ms", "p95_ms", "p99_ms"}) CHECK(cold.at(k).is_number());
    const auto& buckets = cold.at("buckets").as_array();
    REQUIRE(buckets.size() == 2);
    for (const auto& b : buckets) {
        const auto& row = b.as_array();
        REQUIRE(row.size() == 3);
        const auto lo = row[0].to_number<std::int64_t>();
        const auto hi = row[1].to_number<std::int64_t>();
        CHECK(lo < hi);
        CHECK(row[2].to_number<int>() == 1);
    }
    // Buckets read back merge exactly.
    latency_histogram back;
    for (const auto& b : buckets) {
        const auto& row = b.as_array();
        CHECK(back.add_bucket({std::chrono::nanoseconds(row[0].to_number<std::int64_t>()),
                               std::chrono::nanoseconds(row[1].to_number<std::int64_t>()), row[2].to_number<std::uint64_t>()}));
    }
    CHECK(back.buckets() == s.channel_switch_cold.buckets());
    CHECK(o.at("channel_switch_preloaded").as_object().at("count").to_number<int>() == 1);

    const auto& eps = o.at("endpoints").as_array();
    REQUIRE(eps.size() == 1);
    const auto& ep = eps[0].as_object();
    CHECK(ep.at("endpoint").as_string() == "query_channels");
    CHECK(ep.at("requests").to_number<int>() == 3);
    CHECK(ep.at("rate_limited").to_number<int>() == 1);
    CHECK(ep.at("failures").to_number<int>() == 1);
    CHECK(ep.at("latency").as_object().at("count").to_number<int>() == 1);

    const auto& c = o.at("client").as_object();
    CHECK(c.at("websockets_open").to_number<int>() == 1);
    CHECK(c.at("watched").to_number<int>() == 7);
    CHECK(c.at("watched_max").to_number<int>() == 9);
    CHECK(c.at("profile_hits").to_number<int>() == 4);
    CHECK(num(c.at("max_lag_ms")) == Approx(3));
    for (const char* k : {"reconnects", "events_applied", "batches", "profile_requests", "profile_misses", "evictions"})
        CHECK(c.contains(k));

    const auto& l = o.at("lists").as_object();
    CHECK(l.at("attached").to_number<int>() == 1);
    CHECK(l.at("pages").to_number<int>() == 2);

    const auto& rss = o.at("rss_samples").as_array();
    REQUIRE(rss.size() == 2);
    CHECK(num(rss[0].as_array()[0]) == Approx(100));
    CHECK(rss[0].as_array()[1].to_number<std::uint64_t>() == 4096);
    CHECK(num(rss[1].as_array()[0]) == Approx(1100));
}

TEST_CASE("metrics_snapshot to_json writes unset milestones and empty histograms as null")
{
    const json::value v = json::parse(to_json(metrics_snapshot{}));
    const auto& o = v.as_object();
    for (const char* k : {"socket_connected_ms", "first_page_ttfb_ms", "first_page_loaded_ms", "first_visible_page_ms",
                          "first_viewport_watched_ms", "time_to_interactive_ms"})
        CHECK(o.at(k).is_null());
    const auto& h = o.at("channel_switch_cold").as_object();
    CHECK(h.at("count").to_number<int>() == 0);
    for (const char* k : {"min_ms", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"}) CHECK(h.at(k).is_null());
    CHECK(h.at("buckets").as_array().empty());
    CHECK(o.at("endpoints").as_array().empty());
    CHECK(o.at("rss_samples").as_array().empty());
}
