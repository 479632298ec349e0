// latency_histogram: percentiles against a sorted reference within the stated relative error,
// merging equal to recording everything in one, exported buckets re-imported exactly, the empty
// histogram, and extreme values clamped.

#include <streamchat/latency_histogram.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace streamchat;
using namespace std::chrono_literals;
using ns = std::chrono::nanoseconds;

namespace {

/// Nearest rank, as latency_histogram::percentile defines it.
ns reference_percentile(std::vector<ns> sorted, double q)
{
    if (q <= 0) return sorted.front();
    if (q >= 100) return sorted.back();
    const auto rank = static_cast<std::size_t>(std::ceil(q / 100 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

void check_within_error(ns got, ns want)
{
    const double diff = std::abs(static_cast<double>(got.count()) - static_cast<double>(want.count()));
    INFO("got " << got.count() << " ns, want " << want.count() << " ns");
    CHECK(diff <= latency_histogram::relative_error * static_cast<double>(want.count()) + 1e-9);
}

/// Log-uniform from 1 µs to 10 minutes: every octave of the range gets values.
std::vector<ns> log_uniform(std::size_t n, unsigned seed)
{
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> exponent(std::log(1e3), std::log(6e11));
    std::vector<ns> v;
    v.reserve(n);
    for (std::size_t i = 0; i < n; ++i) v.emplace_back(static_cast<ns::rep>(std::exp(exponent(rng))));
    return v;
}

} // namespace

TEST_CASE("latency_histogram percentiles are within the relative error of a sorted reference")
{
    for (unsigned seed : {1u, 2u, 3u}) {
        auto values = log_uniform(20000, seed);
        latency_histogram h;
        for (auto v : values) h.record(v);
        std::sort(values.begin(), values.end());
        REQUIRE(h.count() == values.size());
        CHECK(h.min() == values.front());
        CHECK(h.max() == values.back());
        for (double q : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0})
            check_within_error(h.percentile(q), reference_percentile(values, q));
        double sum = 0;
        for (auto v : values) sum += static_cast<double>(v.count());
        CHECK(static_cast<double>(h.mean().count()) == Approx(sum / static_cast<double>(values.size())).epsilon(1e-9));
    }
}

TEST_CASE("latency_histogram is exact below 64 ns and bounds every value by its bucket")
{
    latency_histogram h;
    for (int i = 0; i < 64; ++i) h.record(ns(i));
    for (int i = 0; i < 64; ++i) {
        const auto b = h.bucket_of(ns(i));
        CHECK(b.lower == ns(i));
        CHECK(b.upper == ns(i + 1));
        CHECK(b.count == 1);
    }
    CHECK(h.percentile(50) == ns(31));
    // Above, a bucket holds its value and is at most 1/32 of its lower bound wide.
    for (auto v : log_uniform(5000, 7)) {
        const auto b = h.bucket_of(v);
        CHECK(b.lower <= v);
        CHECK(v < b.upper);
        CHECK((b.upper - b.lower).count() * 32 <= std::max<ns::rep>(b.lower.count(), 64));
    }
}

TEST_CASE("latency_histogram merge equals recording every value in one histogram")
{
    const auto a_values = log_uniform(3000, 11);
    const auto b_values = log_uniform(5000, 12);
    latency_histogram a, b, all;
    for (auto v : a_values) {
        a.record(v);
        all.record(v);
    }
    for (auto v : b_values) {
        b.record(v);
        all.record(v);
    }
    latency_histogram merged = a;
    merged.merge(b);
    CHECK(merged == all);
    CHECK(merged.buckets() == all.buckets());
    CHECK(merged.count() == all.count());
    CHECK(merged.min() == all.min());
    CHECK(merged.max() == all.max());
    CHECK(static_cast<double>(merged.mean().count()) == Approx(static_cast<double>(all.mean().count())).epsilon(1e-9));
    for (double q : {50.0, 95.0, 99.0}) CHECK(merged.percentile(q) == all.percentile(q));

    // Into an empty one, and with an empty one: nothing changes.
    latency_histogram empty, copy = a;
    empty.merge(a);
    CHECK(empty == a);
    copy.merge(latency_histogram{});
    CHECK(copy == a);
}

TEST_CASE("latency_histogram exported buckets import exactly, foreign bounds are refused")
{
    latency_histogram h;
    for (auto v : log_uniform(4000, 21)) h.record(v);
    latency_histogram back;
    for (const auto& b : h.buckets()) CHECK(back.add_bucket(b));
    CHECK(back.buckets() == h.buckets());
    CHECK(back.count() == h.count());
    for (double q : {1.0, 50.0, 99.0}) check_within_error(back.percentile(q), h.percentile(q));
    CHECK(back.min() <= h.min());
    CHECK(back.max() >= h.max());

    latency_histogram other;
    CHECK_FALSE(other.add_bucket({ns(1000), ns(1001), 3})); // not a bucket of this layout
    CHECK_FALSE(other.add_bucket({ns(-5), ns(1), 3}));
    CHECK(other.empty());
}

TEST_CASE("latency_histogram empty reports zeros")
{
    latency_histogram h;
    CHECK(h.empty());
    CHECK(h.count() == 0);
    CHECK(h.min() == ns(0));
    CHECK(h.max() == ns(0));
    CHECK(h.mean() == ns(0));
    CHECK(h.percentile(50) == ns(0));
    CHECK(h.percentile(100) == ns(0));
    CHECK(h.buckets().empty());
    h.record(5ms);
    h.reset();
    CHECK(h == latency_histogram{});
}

TEST_CASE("latency_histogram clamps zero, negative and huge values")
{
    latency_histogram h;
    h.record(ns(0));
    h.record(ns(-1));
    h.record(ns(std::numeric_limits<ns::rep>::min()));
    h.record(ns(std::numeric_limits<ns::rep>::max()));
    h.record(std::chrono::hours(24 * 365));
    h.record(latency_histogram::highest_trackable);
    CHECK(h.count() == 6);
    CHECK(h.min() == ns(0));
    CHECK(h.max() == latency_histogram::highest_trackable);
    CHECK(h.percentile(0) == ns(0));
    CHECK(h.percentile(100) == latency_histogram::highest_trackable);
    check_within_error(h.percentile(99), latency_histogram::highest_trackable);
    const auto buckets = h.buckets();
    REQUIRE(buckets.size() == 2);
    CHECK(buckets[0].count == 3);
    CHECK(buckets[1].count == 3);
    CHECK(buckets[1].upper == latency_histogram::highest_trackable + ns(1));
    // Percentiles of odd arguments stay defined.
    CHECK(h.percentile(-3) == ns(0));
    CHECK(h.percentile(1e9) == latency_histogram::highest_trackable);
    CHECK(h.percentile(std::numeric_limits<double>::quiet_NaN()) == ns(0));
    // Counts add up past 32 bits.
    latency_histogram big;
    big.record(1ms, std::uint64_t{1} << 40);
    big.record(1ms, std::uint64_t{1} << 40);
    CHECK(big.count() == std::uint64_t{1} << 41);
    CHECK(big.bucket_of(1ms).count == std::uint64_t{1} << 41);
}

TEST_CASE("latency_histogram keeps its counts inline")
{
    static_assert(latency_histogram::bucket_count == 1216);
    CHECK(sizeof(latency_histogram) < 10 * 1024);
    CHECK(latency_histogram::highest_trackable > std::chrono::hours(1));
}
