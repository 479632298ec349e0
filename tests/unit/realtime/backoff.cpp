#include "realtime/backoff.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>
#include <vector>

using streamchat::backoff_config;
using streamchat::detail::reconnect_backoff;
using std::chrono::milliseconds;

namespace {

std::pair<milliseconds, milliseconds> ms_range(long long lo, long long hi)
{
    return {milliseconds(lo), milliseconds(hi)};
}

} // namespace

TEST_CASE("backoff ranges follow Stream's retryInterval schedule")
{
    const backoff_config cfg;
    CHECK(reconnect_backoff::range(0, cfg) == ms_range(250, 500));
    CHECK(reconnect_backoff::range(1, cfg) == ms_range(250, 2500));
    CHECK(reconnect_backoff::range(2, cfg) == ms_range(2000, 4500));
    CHECK(reconnect_backoff::range(3, cfg) == ms_range(4000, 6500));
    for (int k = 2; k <= 12; ++k)
        CHECK(reconnect_backoff::range(k, cfg) == ms_range(2000LL * (k - 1), 2000LL * k + 500));
    CHECK(reconnect_backoff::range(13, cfg) == ms_range(24000, 25000));
    CHECK(reconnect_backoff::range(14, cfg) == ms_range(25000, 25000));
    CHECK(reconnect_backoff::range(15, cfg) == ms_range(25000, 25000));
    CHECK(reconnect_backoff::range(1000000, cfg) == ms_range(25000, 25000));
    CHECK(reconnect_backoff::range(std::numeric_limits<int>::max(), cfg) == ms_range(25000, 25000));
    CHECK(reconnect_backoff::range(-5, cfg) == ms_range(250, 500)); // counts as 0
}

TEST_CASE("backoff draws stay inside the range for every seed")
{
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        reconnect_backoff b({}, seed);
        for (int n = 0; n <= 20; ++n) {
            const auto [lo, hi] = reconnect_backoff::range(n, b.config());
            for (int i = 0; i < 5; ++i) {
                const auto d = b.next_delay();
                REQUIRE(d >= lo);
                REQUIRE(d <= hi);
                if (n >= 14) REQUIRE(d == milliseconds(25000));
            }
            b.record_failure();
        }
    }
}

TEST_CASE("backoff draws reach both ends of the range and spread over it")
{
    reconnect_backoff b({}, 42);
    std::set<long long> seen;
    for (int i = 0; i < 20000; ++i)
        seen.insert(b.next_delay().count());
    CHECK(*seen.begin() == 250);
    CHECK(*seen.rbegin() == 500);
    CHECK(seen.size() == 251); // every millisecond of [250, 500]
}

TEST_CASE("backoff is deterministic per seed")
{
    auto draws = [](std::uint64_t seed) {
        reconnect_backoff b({}, seed);
        std::vector<milliseconds> out;
        for (int i = 0; i < 10; ++i) {
            out.push_back(b.next_delay());
            b.record_failure();
        }
        return out;
    };
    CHECK(draws(7) == draws(7));
    CHECK(draws(0) == draws(0));
    CHECK(draws(7) != draws(8));
}

TEST_CASE("backoff counts failures, resets, and draws for the current count")
{
    reconnect_backoff b({}, 1);
    CHECK(b.failures() == 0);
    b.record_failure();
    b.record_failure();
    CHECK(b.failures() == 2);
    for (int i = 0; i < 50; ++i) {
        const auto d = b.next_delay();
        CHECK(d >= milliseconds(2000));
        CHECK(d <= milliseconds(4500));
    }
    CHECK(b.failures() == 2); // drawing does not count
    b.reset();
    CHECK(b.failures() == 0);
    CHECK(b.next_delay() <= milliseconds(500));
}

TEST_CASE("backoff counter does not overflow")
{
    reconnect_backoff b({}, 3);
    for (int i = 0; i < 3000000; ++i)
        b.record_failure();
    CHECK(b.failures() == 3000000);
    CHECK(b.next_delay() == milliseconds(25000));

    // The range itself is overflow-free for any count and any durations (UBSan watches this).
    const backoff_config huge{milliseconds(1), milliseconds(2), milliseconds::max() / 2, milliseconds::max()};
    CHECK(reconnect_backoff::range(std::numeric_limits<int>::max(), huge) == std::pair{milliseconds::max(), milliseconds::max()});
    CHECK(reconnect_backoff::range(1, huge).second == milliseconds(2) + milliseconds::max() / 2);
    CHECK(reconnect_backoff::range(3, huge).second == milliseconds::max());
    reconnect_backoff hb(huge, 5);
    CHECK(hb.next_delay() >= milliseconds(1));
    CHECK(hb.next_delay() <= milliseconds(2));
    for (int i = 0; i < 4; ++i)
        hb.record_failure();
    CHECK(hb.next_delay() == milliseconds::max());
}

TEST_CASE("backoff honours a custom config")
{
    const backoff_config cfg{milliseconds(10), milliseconds(20), milliseconds(100), milliseconds(1000)};
    CHECK(reconnect_backoff::range(0, cfg) == ms_range(10, 20));
    CHECK(reconnect_backoff::range(1, cfg) == ms_range(10, 120));
    CHECK(reconnect_backoff::range(2, cfg) == ms_range(100, 220));
    CHECK(reconnect_backoff::range(9, cfg) == ms_range(800, 920));
    CHECK(reconnect_backoff::range(10, cfg) == ms_range(900, 1000));
    CHECK(reconnect_backoff::range(11, cfg) == ms_range(1000, 1000));

    reconnect_backoff b(cfg, 9);
    CHECK(b.config().step == milliseconds(100));
    for (int i = 0; i < 100; ++i) {
        const auto d = b.next_delay();
        CHECK(d >= milliseconds(10));
        CHECK(d <= milliseconds(20));
    }

    // A fixed delay: no growth, no jitter.
    const backoff_config fixed{milliseconds(50), milliseconds(50), milliseconds(0), milliseconds(50)};
    reconnect_backoff f(fixed, 0);
    for (int i = 0; i < 20; ++i) {
        CHECK(f.next_delay() == milliseconds(50));
        f.record_failure();
    }

    // Inconsistent settings still give a usable range: hi is raised to lo, lo is capped.
    CHECK(reconnect_backoff::range(0, {milliseconds(300), milliseconds(100), milliseconds(0), milliseconds(1000)}) ==
          ms_range(300, 300));
    CHECK(reconnect_backoff::range(0, {milliseconds(300), milliseconds(500), milliseconds(0), milliseconds(200)}) ==
          ms_range(200, 200));
    CHECK(reconnect_backoff::range(5, backoff_config{milliseconds(0), milliseconds(0), milliseconds(0), milliseconds(0)}) ==
          ms_range(0, 0));
}
