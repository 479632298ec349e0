// latency_histogram: HdrHistogram's log-linear layout with 32 sub-buckets per power of two and a
// fixed top, so that every histogram has the same buckets and merges by adding counts.

#include <streamchat/latency_histogram.hpp>

#include <algorithm>
#include <bit>
#include <cmath>

namespace streamchat {

namespace {

constexpr int sub_bits = latency_histogram::sub_bucket_bits;
constexpr std::uint64_t linear_end = std::uint64_t{1} << (sub_bits + 1); // 64: one bucket per ns below
constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;         // 32

std::uint64_t clamp_ns(latency_histogram::duration v) noexcept
{
    if (v.count() <= 0) return 0;
    return static_cast<std::uint64_t>(std::min(v, latency_histogram::highest_trackable).count());
}

} // namespace

latency_histogram::latency_histogram(const latency_histogram& other)
    : count_(other.count_), min_(other.min_), max_(other.max_), sum_(other.sum_)
{
    for (std::size_t g = 0; g < group_count; ++g)
        if (other.groups_[g]) groups_[g] = std::make_unique<group>(*other.groups_[g]);
}

latency_histogram& latency_histogram::operator=(const latency_histogram& other)
{
    if (this != &other) {
        latency_histogram copy(other);
        *this = std::move(copy);
    }
    return *this;
}

std::uint64_t& latency_histogram::slot(std::size_t index)
{
    auto& g = groups_[index / group_size];
    if (!g) g = std::make_unique<group>(); // zeroed
    return (*g)[index % group_size];
}

bool latency_histogram::same_counts(const latency_histogram& other) const noexcept
{
    for (std::size_t i = 0; i < bucket_count; ++i)
        if (count_at(i) != other.count_at(i)) return false;
    return true;
}

std::size_t latency_histogram::index_of(std::uint64_t ns) noexcept
{
    if (ns < linear_end) return static_cast<std::size_t>(ns);
    const int e = std::bit_width(ns) - 1; // 6 .. highest_bit - 1
    const int shift = e - sub_bits;
    const std::uint64_t sub = (ns >> shift) - sub_count; // 0 .. 31
    return static_cast<std::size_t>(linear_end + static_cast<std::uint64_t>(e - (sub_bits + 1)) * sub_count + sub);
}

latency_histogram::bucket latency_histogram::bounds(std::size_t index) noexcept
{
    if (index < linear_end) {
        const auto lo = static_cast<duration::rep>(index);
        return {duration(lo), duration(lo + 1), 0};
    }
    const std::uint64_t k = index - linear_end;
    const int shift = static_cast<int>(k / sub_count) + 1; // the octave 2^(6 + k / 32), width 2^shift
    const std::uint64_t lo = (sub_count + k % sub_count) << shift;
    const std::uint64_t hi = lo + (std::uint64_t{1} << shift);
    return {duration(static_cast<duration::rep>(lo)), duration(static_cast<duration::rep>(hi)), 0};
}

void latency_histogram::record(duration value, std::uint64_t n) noexcept
{
    if (n == 0) return;
    const std::uint64_t ns = clamp_ns(value);
    slot(index_of(ns)) += n; // an allocation failure here ends the process, like any out-of-memory
    const auto v = static_cast<duration::rep>(ns);
    if (count_ == 0) {
        min_ = max_ = v;
    } else {
        min_ = std::min(min_, v);
        max_ = std::max(max_, v);
    }
    count_ += n;
    sum_ += static_cast<double>(ns) * static_cast<double>(n);
}

void latency_histogram::merge(const latency_histogram& other) noexcept
{
    if (other.count_ == 0) return;
    for (std::size_t g = 0; g < group_count; ++g) {
        if (!other.groups_[g]) continue;
        for (std::size_t i = 0; i < group_size; ++i)
            if (const auto c = (*other.groups_[g])[i]) slot(g * group_size + i) += c;
    }
    if (count_ == 0) {
        min_ = other.min_;
        max_ = other.max_;
    } else {
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }
    count_ += other.count_;
    sum_ += other.sum_;
}

bool latency_histogram::add_bucket(const bucket& b) noexcept
{
    if (b.lower.count() < 0 || b.lower > highest_trackable) return false;
    const std::size_t i = index_of(static_cast<std::uint64_t>(b.lower.count()));
    const bucket mine = bounds(i);
    if (mine.lower != b.lower || mine.upper != b.upper) return false;
    if (b.count == 0) return true;
    slot(i) += b.count;
    const auto lo = b.lower.count();
    const auto hi = b.upper.count() - 1;
    if (count_ == 0) {
        min_ = lo;
        max_ = hi;
    } else {
        min_ = std::min(min_, lo);
        max_ = std::max(max_, hi);
    }
    count_ += b.count;
    sum_ += (static_cast<double>(lo) + static_cast<double>(hi)) / 2 * static_cast<double>(b.count);
    return true;
}

void latency_histogram::reset() noexcept
{
    *this = latency_histogram{};
}

latency_histogram::duration latency_histogram::mean() const noexcept
{
    if (count_ == 0) return duration::zero();
    return duration(static_cast<duration::rep>(std::llround(sum_ / static_cast<double>(count_))));
}

latency_histogram::duration latency_histogram::percentile(double q) const noexcept
{
    if (count_ == 0) return duration::zero();
    if (!(q > 0)) return min(); // also NaN
    if (q >= 100) return max();
    // Nearest rank: the smallest value with at least q% of the values at or below it.
    const double exact = std::ceil(q / 100 * static_cast<double>(count_));
    const std::uint64_t rank = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(exact), 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += count_at(i);
        if (seen < rank) continue;
        const bucket b = bounds(i);
        const auto mid = b.lower + (b.upper - b.lower) / 2;
        return std::clamp(mid, min(), max());
    }
    return max();
}

std::vector<latency_histogram::bucket> latency_histogram::buckets() const
{
    std::vector<bucket> out;
    for (std::size_t i = 0; i < bucket_count; ++i)
        if (const auto c = count_at(i); c != 0) {
            bucket b = bounds(i);
            b.count = c;
            out.push_back(b);
        }
    return out;
}

latency_histogram::bucket latency_histogram::bucket_of(duration value) const noexcept
{
    const std::size_t i = index_of(clamp_ns(value));
    bucket b = bounds(i);
    b.count = count_at(i);
    return b;
}

} // namespace streamchat
