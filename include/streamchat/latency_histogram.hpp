#ifndef STREAMCHAT_LATENCY_HISTOGRAM_HPP
#define STREAMCHAT_LATENCY_HISTOGRAM_HPP

/// @file
/// A fixed-size, mergeable latency histogram (log-linear buckets, no I/O).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace streamchat {

/** @brief Latencies from 0 ns to about 73 minutes in a fixed array of log-linear buckets.

    Values below 64 ns get a bucket each (exact); above, every power of two is split into 32
    equal buckets, so a bucket is at most 1/32 of its lower bound wide. Reported values (the
    percentiles) are bucket midpoints and differ from the recorded value they stand for by at
    most `relative_error` (1/64, about 1.6%). Values above `highest_trackable` (2^42 - 1 ns,
    about 73.3 minutes) are recorded as that value; negative ones as 0.

    Every histogram has the same buckets, so merging (here, or across processes through the
    exported buckets) adds counts and is exact: the merge of two histograms is the histogram of
    all their values. `record` is O(1). Counts are kept in groups of 32 (one power of two, 256 bytes)
    allocated the first time a value falls there, so that a histogram of a few request latencies
    costs about 1 KB instead of the 9.5 KB of all `bucket_count` counters: a process that holds
    thousands of clients, each with its own histograms, can afford them.

    Not thread-safe; use one histogram from one thread or strand.
*/
class latency_histogram {
public:
    using duration = std::chrono::nanoseconds;

    /// One bucket: values in [lower, upper), and how many were recorded there.
    struct bucket {
        duration lower{};
        duration upper{};
        std::uint64_t count = 0;
        friend bool operator==(const bucket&, const bucket&) = default;
    };

    static constexpr int sub_bucket_bits = 5;                    ///< 32 buckets per power of two.
    static constexpr int highest_bit = 42;                       ///< Values below 2^42 ns.
    static constexpr std::size_t bucket_count = 64 + (highest_bit - 6) * 32; ///< 1216.
    static constexpr duration highest_trackable{(std::int64_t{1} << highest_bit) - 1};
    /// Largest relative difference between a reported percentile and the recorded value it stands for.
    static constexpr double relative_error = 1.0 / 64;

    latency_histogram() = default;
    latency_histogram(const latency_histogram& other);
    latency_histogram& operator=(const latency_histogram& other);
    latency_histogram(latency_histogram&&) noexcept = default;
    latency_histogram& operator=(latency_histogram&&) noexcept = default;
    ~latency_histogram() = default;

    /// Records one value. O(1); allocates 256 bytes the first time a power of two is reached.
    void record(duration value) noexcept { record(value, 1); }
    /// Records `value` `n` times.
    void record(duration value, std::uint64_t n) noexcept;

    /// Adds every value of `other` (exact: counts are added bucket by bucket).
    void merge(const latency_histogram& other) noexcept;

    /// Adds an exported bucket (from `buckets()` of any histogram, in this or another process).
    /// False, adding nothing, when [lower, upper) is not one of this layout's buckets. min() and
    /// max() then stand at the bucket's bounds, mean() at its midpoint: within `relative_error`.
    bool add_bucket(const bucket& b) noexcept;

    /// Forgets every value.
    void reset() noexcept;

    /// Values recorded.
    std::uint64_t count() const noexcept { return count_; }
    bool empty() const noexcept { return count_ == 0; }
    /// Smallest and largest value recorded (after clamping); 0 when empty.
    duration min() const noexcept { return duration(min_); }
    duration max() const noexcept { return duration(max_); }
    /// Arithmetic mean (exact up to floating-point rounding); 0 when empty.
    duration mean() const noexcept;

    /// The value below or at which `q` percent of the values lie (nearest rank), `q` in [0, 100]
    /// (clamped): `percentile(50)` is the median, 0 gives min(), 100 gives max(). Within
    /// `relative_error` of the recorded value of that rank. 0 when empty.
    duration percentile(double q) const noexcept;

    /// The non-empty buckets, lowest first (for export).
    std::vector<bucket> buckets() const;

    /// The bucket that holds `value` (its count is this histogram's).
    bucket bucket_of(duration value) const noexcept;

    /// Same values in the same buckets (count, min, max and every bucket; not the mean's rounding).
    friend bool operator==(const latency_histogram& a, const latency_histogram& b) noexcept
    {
        return a.count_ == b.count_ && a.min_ == b.min_ && a.max_ == b.max_ && a.same_counts(b);
    }

private:
    static std::size_t index_of(std::uint64_t ns) noexcept;
    static bucket bounds(std::size_t index) noexcept;

    static constexpr std::size_t group_size = std::size_t{1} << sub_bucket_bits;
    static constexpr std::size_t group_count = bucket_count / group_size;
    using group = std::array<std::uint64_t, group_size>;

    std::uint64_t count_at(std::size_t index) const noexcept
    {
        const auto& g = groups_[index / group_size];
        return g ? (*g)[index % group_size] : 0;
    }
    std::uint64_t& slot(std::size_t index);
    bool same_counts(const latency_histogram& other) const noexcept;

    std::array<std::unique_ptr<group>, group_count> groups_{};
    std::uint64_t count_ = 0;
    duration::rep min_ = 0;
    duration::rep max_ = 0;
    double sum_ = 0; // nanoseconds; a double so that hours of values cannot overflow it
};

} // namespace streamchat

#endif
