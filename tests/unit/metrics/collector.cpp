// metrics_collector fed directly (as a transport and the channel list feed it): per-endpoint
// counts, 429s, failures and latencies, the first page's time to first byte, milestones and time
// to interactive, channel switches, the RSS ring; and observed_transport reporting every answer
// while keeping the handler's cancellation slot.

#include "metrics/collector.hpp"
#include "metrics/observed_transport.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

using namespace streamchat;
using namespace streamchat::detail;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

http_response answer(int status)
{
    http_response r;
    r.status = status;
    r.attempts = 1;
    return r;
}

const endpoint_metrics* find(const metrics_snapshot& s, std::string_view name)
{
    for (const auto& e : s.endpoints)
        if (e.endpoint == name) return &e;
    return nullptr;
}

} // namespace

TEST_CASE("metrics_collector counts requests, 429s, failures and latency per endpoint")
{
    const auto t0 = clock_type::now();
    metrics_collector c(t0, 0ms);
    c.on_response("query_channels", clock_type::now() - 5ms, answer(201), {});
    auto limited = answer(429);
    c.on_response("query_channels", clock_type::now(), limited, {});
    auto waited = answer(200);
    waited.rate_limited = 2; // a pool waited out two 429s before this answer
    c.on_response("send_message", clock_type::now(), waited, {});
    c.on_response("send_message", clock_type::now(), http_response{}, error::connection_lost);
    c.on_response("send_message", clock_type::now(), http_response{}, asio::error::operation_aborted);
    c.on_rate_limited("sync");

    metrics_snapshot s;
    c.fill(s, clock_type::now());
    REQUIRE(s.endpoints.size() == 3);
    CHECK(s.endpoints[0].endpoint == "query_channels"); // in the order first used
    const auto* q = find(s, "query_channels");
    REQUIRE(q);
    CHECK(q->requests == 2);
    CHECK(q->rate_limited == 1);
    CHECK(q->failures == 1);
    CHECK(q->latency.count() == 2);
    CHECK(q->latency.max() >= 5ms);
    const auto* m = find(s, "send_message");
    REQUIRE(m);
    CHECK(m->requests == 3);
    CHECK(m->rate_limited == 2);
    CHECK(m->failures == 1); // cancelled is not a failure
    CHECK(m->latency.count() == 1); // only answered requests have a latency
    const auto* sy = find(s, "sync");
    REQUIRE(sy);
    CHECK(sy->requests == 0);
    CHECK(sy->rate_limited == 1);
    CHECK(s.rate_limited == 4);
    CHECK(s.rss_samples.empty()); // sampling off
}

TEST_CASE("metrics_collector takes the first successful query_channels answer as the first page's TTFB")
{
    const auto t0 = clock_type::now();
    metrics_collector c(t0, 0ms);
    auto other = answer(200);
    other.sent_at = t0;
    other.first_byte_at = t0 + 1ms;
    c.on_response("query_users", t0, other, {}); // not a page
    auto failed = answer(500);
    failed.sent_at = t0;
    failed.first_byte_at = t0 + 2ms;
    c.on_response("query_channels", t0, failed, {}); // not a page either
    auto page = answer(201);
    page.sent_at = t0 + 10ms;
    page.first_byte_at = t0 + 13ms;
    c.on_response("query_channels", t0, page, {});
    auto later = answer(201);
    later.sent_at = t0 + 20ms;
    later.first_byte_at = t0 + 40ms;
    c.on_response("query_channels", t0, later, {});

    metrics_snapshot s;
    c.fill(s, clock_type::now());
    REQUIRE(s.first_page_ttfb);
    CHECK(*s.first_page_ttfb == 3ms);
}

TEST_CASE("metrics_collector time to interactive is the latest of its three milestones")
{
    const auto t0 = clock_type::now();
    metrics_collector c(t0, 0ms);
    metrics_snapshot s;
    c.note_connected(t0 + 30ms);
    c.note_first_page_loaded(t0 + 10ms);
    c.note_page_visible(t0 + 15ms);
    c.fill(s, t0 + 100ms);
    CHECK_FALSE(s.time_to_interactive); // no viewport yet
    CHECK(s.uptime == 100ms);
    c.note_viewport_watched(t0 + 20ms);
    c.note_viewport_watched(t0 + 90ms); // only the first counts
    c.note_connected(t0 + 95ms);
    c.fill(s, t0 + 100ms);
    CHECK(s.socket_connected == std::optional<std::chrono::nanoseconds>(30ms));
    CHECK(s.first_page_loaded == std::optional<std::chrono::nanoseconds>(10ms));
    CHECK(s.first_visible_page == std::optional<std::chrono::nanoseconds>(15ms));
    CHECK(s.first_viewport_watched == std::optional<std::chrono::nanoseconds>(20ms));
    CHECK(s.time_to_interactive == std::optional<std::chrono::nanoseconds>(30ms));
}

TEST_CASE("metrics_collector records cold and preloaded switches apart")
{
    metrics_collector c(clock_type::now(), 0ms);
    c.record_switch(true, 4ms);
    c.record_switch(true, 6ms);
    c.record_switch(false, 1us);
    metrics_snapshot s;
    c.fill(s, clock_type::now());
    CHECK(s.channel_switch_cold.count() == 2);
    CHECK(s.channel_switch_cold.max() == 6ms);
    CHECK(s.channel_switch_preloaded.count() == 1);
}

TEST_CASE("metrics_collector samples RSS at most once per interval and keeps the last 600")
{
    const auto t0 = clock_type::now();
    metrics_collector c(t0, 1000ms);
    c.on_batch_delivered(t0 + 1ms);
    c.on_batch_delivered(t0 + 500ms); // within the interval: skipped
    c.on_batch_delivered(t0 + 1001ms);
    metrics_snapshot s;
    c.fill(s, t0 + 2s);
    if (!read_rss_bytes()) {
        WARN("/proc/self/statm is not readable here");
        CHECK(s.rss_samples.empty());
        return;
    }
    REQUIRE(s.rss_samples.size() == 2);
    CHECK(s.rss_samples[0].at == 1ms);
    CHECK(s.rss_samples[1].at == 1001ms);
    CHECK(s.rss_samples[0].bytes > 0);

    for (int i = 0; i < 700; ++i) c.sample_rss(t0 + std::chrono::seconds(2 + i));
    c.fill(s, t0 + 1000s);
    REQUIRE(s.rss_samples.size() == metrics_snapshot::rss_sample_capacity);
    CHECK(s.rss_samples.front().at == std::chrono::seconds(2 + 700 - 600)); // oldest kept, first
    CHECK(s.rss_samples.back().at == std::chrono::seconds(2 + 699));
    for (std::size_t i = 1; i < s.rss_samples.size(); ++i) CHECK(s.rss_samples[i - 1].at < s.rss_samples[i].at);
}

namespace {

/// Answers on the next turn, unless cancelled first through the handler's slot.
class slow_transport final : public transport {
public:
    explicit slow_transport(asio::any_io_executor ex) : ex_(std::move(ex)) {}
    void async_send(endpoint_key, http_request, asio::any_completion_handler<void(error_code, http_response)> h) override
    {
        auto slot = asio::get_associated_cancellation_slot(h);
        auto pending = std::make_shared<asio::any_completion_handler<void(error_code, http_response)>>(std::move(h));
        if (slot.is_connected())
            slot.assign([this, pending](asio::cancellation_type) {
                if (*pending) asio::post(ex_, asio::append(std::move(*pending), error_code(asio::error::operation_aborted), http_response{}));
            });
        asio::post(ex_, [pending] {
            if (*pending) std::move(*pending)(error_code{}, answer(200));
        });
    }
    void shutdown() override {}

private:
    asio::any_io_executor ex_;
};

} // namespace

TEST_CASE("observed_transport reports every answer and keeps the cancellation slot")
{
    streamchat::test::run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto sink = std::make_shared<metrics_collector>(clock_type::now(), 0ms);
        observed_transport net(ex, std::make_shared<slow_transport>(ex), sink);
        const auto token = asio::as_tuple(asio::use_awaitable);

        auto [ec, r] = co_await asio::async_initiate<decltype(token), void(error_code, http_response)>(
            [&net](auto h) {
                net.async_send(endpoint_key{"query_channels"}, http_request{},
                               asio::any_completion_handler<void(error_code, http_response)>(std::move(h)));
            },
            token);
        CHECK_FALSE(ec);
        CHECK(r.status == 200);

        // Cancelled before the answer: the inner transport saw the slot.
        asio::cancellation_signal sig;
        bool done = false;
        error_code got;
        net.async_send(endpoint_key{"query_users"}, http_request{},
                       asio::bind_cancellation_slot(sig.slot(), [&](error_code e, http_response) {
                           done = true;
                           got = e;
                       }));
        sig.emit(asio::cancellation_type::terminal);
        while (!done) co_await asio::post(ex, asio::use_awaitable);
        CHECK(got == asio::error::operation_aborted);

        metrics_snapshot s;
        sink->fill(s, clock_type::now());
        REQUIRE(s.endpoints.size() == 2);
        CHECK(s.endpoints[0].endpoint == "query_channels");
        CHECK(s.endpoints[0].requests == 1);
        CHECK(s.endpoints[0].latency.count() == 1);
        CHECK(s.endpoints[1].endpoint == "query_users");
        CHECK(s.endpoints[1].requests == 1);
        CHECK(s.endpoints[1].failures == 0);
    });
}
