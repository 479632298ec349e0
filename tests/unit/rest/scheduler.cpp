// request_scheduler: lanes, the cap on requests in flight, per-endpoint budgets seeded at Stream's
// 60 a minute and corrected by X-RateLimit-* headers and 429s. Time is passed in.

#include "rest/scheduler.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

using namespace streamchat;
using namespace streamchat::detail;
using namespace std::chrono;
using clock_type = steady_clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point(hours(1));

/// Dispatches everything that may go at `now`, in order.
std::vector<request_scheduler::ticket> drain(request_scheduler& s, clock_type::time_point now)
{
    std::vector<request_scheduler::ticket> out;
    for (;;) {
        auto st = s.next(now);
        if (!st.dispatch) break;
        out.push_back(*st.dispatch);
    }
    return out;
}

rate_answer ok(std::int64_t limit, std::int64_t remaining, clock_type::duration reset_in)
{
    rate_answer a;
    a.status = 200;
    a.limit = limit;
    a.remaining = remaining;
    a.reset_in = reset_in;
    return a;
}

} // namespace

TEST_CASE("visible work goes before unread work, which goes before idle work")
{
    request_scheduler s({.max_in_flight = 1});
    const auto idle = s.enqueue("query_channels", request_priority::idle, t0);
    const auto unread = s.enqueue("query_channels", request_priority::unread, t0);
    const auto visible = s.enqueue("query_channel", request_priority::visible, t0);
    std::vector<request_scheduler::ticket> order;
    for (int i = 0; i < 3; ++i) {
        auto d = drain(s, t0);
        REQUIRE(d.size() == 1);
        order.push_back(d[0]);
        s.complete(d[0], rate_answer{.status = 200}, t0);
    }
    CHECK(order == std::vector<request_scheduler::ticket>{visible, unread, idle});
    CHECK(s.stats().background_before_visible == 0);
}

TEST_CASE("background lanes leave in-flight slots to visible work")
{
    request_scheduler s({.max_in_flight = 4, .visible_reserve_slots = 2});
    for (int i = 0; i < 10; ++i) s.enqueue("query_channels", request_priority::idle, t0);
    CHECK(drain(s, t0).size() == 2); // idle takes at most 4 - 2
    for (int i = 0; i < 10; ++i) s.enqueue("query_channels", request_priority::unread, t0);
    CHECK(drain(s, t0).size() == 1); // unread at most 4 - 1
    for (int i = 0; i < 10; ++i) s.enqueue("query_channel", request_priority::visible, t0);
    CHECK(drain(s, t0).size() == 1); // visible fills the rest
    CHECK(s.in_flight() == 4);
    CHECK(s.stats().in_flight_max == 4);
}

TEST_CASE("a seeded budget allows 60 at once and then one a second")
{
    request_scheduler s({.max_in_flight = 100});
    for (int i = 0; i < 70; ++i) s.enqueue("send_message", request_priority::visible, t0);
    auto first = drain(s, t0);
    CHECK(first.size() == 60);
    for (auto t : first) s.complete(t, rate_answer{.status = 201}, t0); // no headers: stays seeded
    auto st = s.next(t0);
    REQUIRE_FALSE(st.dispatch);
    REQUIRE(st.wake);
    CHECK(*st.wake > t0 + milliseconds(990));
    CHECK(*st.wake < t0 + milliseconds(1010));
    CHECK(drain(s, t0 + milliseconds(500)).empty());
    CHECK(drain(s, *st.wake).size() == 1);
    CHECK(drain(s, t0 + seconds(5)).size() == 4);
}

TEST_CASE("headers correct the budget both ways: fewer left lowers it, a new window raises it")
{
    request_scheduler s({.max_in_flight = 100});
    const auto a = s.enqueue("query_channels", request_priority::visible, t0);
    REQUIRE(drain(s, t0) == std::vector{a});
    // The server has seen other traffic from this user: 5 left in a window ending in 2 s.
    s.complete(a, ok(60, 5, seconds(2)), t0);
    CHECK(s.budget("query_channels", t0) == Approx(5));
    for (int i = 0; i < 8; ++i) s.enqueue("query_channels", request_priority::visible, t0);
    auto d = drain(s, t0);
    CHECK(d.size() == 5);
    auto st = s.next(t0);
    REQUIRE(st.wake);
    CHECK(*st.wake >= t0 + seconds(2)); // at the window's end (plus the margin), not earlier
    // An answer from the same window that arrives late, saying more was left, does not raise it.
    s.complete(d[0], ok(60, 40, seconds(2)), t0 + milliseconds(10));
    CHECK(s.budget("query_channels", t0 + milliseconds(10)) <= 0);
    for (std::size_t i = 1; i < d.size(); ++i) s.complete(d[i], ok(60, 0, seconds(2)), t0 + milliseconds(20));
    CHECK(drain(s, t0 + seconds(2) + milliseconds(50)).empty());
    CHECK(drain(s, *st.wake).size() == 3); // the new window starts full
    // A limit higher than the seed, from the headers of a new window, is used.
    request_scheduler big({.max_in_flight = 1000});
    const auto b = big.enqueue("query_users", request_priority::visible, t0);
    REQUIRE(drain(big, t0).size() == 1);
    big.complete(b, ok(1000, 999, seconds(30)), t0);
    for (int i = 0; i < 500; ++i) big.enqueue("query_users", request_priority::visible, t0);
    CHECK(drain(big, t0).size() == 500);
}

TEST_CASE("a 429 parks its endpoint until Retry-After and queues the request again first in its lane")
{
    request_scheduler s({.max_in_flight = 10});
    const auto a = s.enqueue("query_channels", request_priority::idle, t0);
    REQUIRE(drain(s, t0) == std::vector{a});
    const auto b = s.enqueue("query_channels", request_priority::idle, t0);
    const auto other = s.enqueue("query_users", request_priority::idle, t0);
    CHECK(drain(s, t0) == std::vector{b, other}); // b was queued after a was sent
    rate_answer limited;
    limited.status = 429;
    limited.retry_after = seconds(3);
    CHECK(s.complete(a, limited, t0 + milliseconds(5)));
    CHECK(s.stats().rate_limited == 1);
    CHECK(s.queued() == 1);
    // The other endpoint is not held up; this one is.
    const auto c = s.enqueue("query_users", request_priority::idle, t0 + milliseconds(6));
    CHECK(drain(s, t0 + milliseconds(6)) == std::vector{c});
    CHECK(drain(s, t0 + seconds(2)).empty());
    auto st = s.next(t0 + seconds(2));
    REQUIRE(st.wake);
    CHECK(*st.wake >= t0 + seconds(3));
    s.complete(b, ok(60, 0, seconds(1)), t0 + seconds(2)); // the same window as the 429
    CHECK(drain(s, *st.wake) == std::vector{a}); // the retry goes first
    // Out of retries (or not allowed to wait): the 429 goes back to the caller.
    CHECK_FALSE(s.complete(a, limited, t0 + seconds(4), false));
    CHECK(s.queued() == 0);
}

TEST_CASE("background lanes leave part of an endpoint's budget to visible work")
{
    request_scheduler s({.max_in_flight = 100, .visible_reserve_percent = 10});
    for (int i = 0; i < 100; ++i) s.enqueue("query_channels", request_priority::idle, t0);
    const auto bg = drain(s, t0);
    CHECK(bg.size() == 54); // 60 - 6 kept back
    for (int i = 0; i < 10; ++i) s.enqueue("query_channels", request_priority::visible, t0);
    const auto vis = drain(s, t0);
    CHECK(vis.size() == 6);
    CHECK(s.stats().dispatched_by_lane[0] == 6);
}

TEST_CASE("a cancelled request leaves the queue, an abandoned one frees its slot")
{
    request_scheduler s({.max_in_flight = 1});
    const auto a = s.enqueue("sync", request_priority::visible, t0);
    const auto b = s.enqueue("sync", request_priority::visible, t0);
    REQUIRE(drain(s, t0) == std::vector{a});
    CHECK(s.cancel(b));
    CHECK_FALSE(s.cancel(a)); // in flight: not the scheduler's to cancel
    s.abandon(a);
    CHECK(s.in_flight() == 0);
    CHECK(s.queued() == 0);
    CHECK_FALSE(s.next(t0).dispatch);
}

TEST_CASE("random traffic never exceeds the server's window nor lets background pass queued visible work")
{
    // A simulated server with fixed windows of `limit` per endpoint. The scheduler must never cause a 429 once it has heard from the server, and a
    // background dispatch while visible work waits happens only when that work is budget-bound.
    const std::int64_t limit = GENERATE(5, 20, 60);
    const auto window = milliseconds(GENERATE(250, 1000));
    std::mt19937 rng(static_cast<unsigned>(limit * 7919 + window.count()));
    request_scheduler s({.max_in_flight = 4, .seed_limit = static_cast<int>(limit), .seed_window = window,
                         .reset_margin = milliseconds(0)},
                        100000);
    const std::string_view eps[] = {"query_channels", "query_channel", "query_users"};
    std::map<std::string_view, std::pair<std::int64_t, std::int64_t>> server; // ep -> (window index, count)
    std::map<request_scheduler::ticket, std::string_view> ep_of;
    int rejected = 0;
    auto now = t0;
    const auto window_of = [&](clock_type::time_point t) { return (t - t0) / window; };
    for (int step = 0; step < 4000; ++step) {
        now += microseconds(std::uniform_int_distribution<int>(0, 4000)(rng));
        if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
            const auto ep = eps[std::uniform_int_distribution<int>(0, 2)(rng)];
            const auto lane = static_cast<request_priority>(std::uniform_int_distribution<int>(0, 2)(rng));
            ep_of[s.enqueue(ep, lane, now)] = ep;
        }
        while (auto d = s.next(now).dispatch) {
            const auto ep = ep_of[*d];
            auto& [w, count] = server[ep];
            const auto cur = window_of(now);
            if (w != cur) {
                w = cur;
                count = 0;
            }
            ++count;
            rate_answer a;
            const auto end = t0 + (cur + 1) * window;
            a.limit = limit;
            a.remaining = std::max<std::int64_t>(limit - count, 0);
            a.reset_in = end - now;
            if (count > limit) {
                a.status = 429;
                a.retry_after = end - now;
                ++rejected;
            } else {
                a.status = 200;
            }
            // Answered at once: the server's count and the scheduler's view stay in step.
            if (!s.complete(*d, a, now)) ep_of.erase(*d);
        }
    }
    INFO("limit " << limit << " window " << window.count() << " ms");
    // The seeded first window may overshoot only when the seed is wrong; here it is right.
    CHECK(rejected == 0);
    CHECK(s.stats().background_before_visible == 0);
    // Visible requests never waited behind background dispatches of an endpoint with budget.
    const auto trace = s.trace();
    REQUIRE(trace.size() > 100);
    for (const auto& v : trace) {
        if (v.lane != request_priority::visible) continue;
        for (const auto& b : trace) {
            if (b.lane == request_priority::visible || b.endpoint != v.endpoint) continue;
            const bool between = b.dispatched > v.enqueued && b.dispatched < v.dispatched;
            CHECK_FALSE(between);
        }
    }
}
