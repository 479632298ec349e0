#ifndef STREAMCHAT_SRC_REALTIME_BACKOFF_HPP
#define STREAMCHAT_SRC_REALTIME_BACKOFF_HPP

/// @file
/// The jittered delay before each WebSocket reconnect (docs/protocol.md, "WebSocket").

#include <streamchat/realtime_config.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>

namespace streamchat::detail {

/// Counts consecutive failed connection attempts and draws the delay before the next one.
///
/// The delay for `n = failures()` is drawn uniformly from `range(n, config)` (both ends
/// included) by a small PRNG seeded at construction, so a given seed always yields the same
/// delays: tests are repeatable, and clients seeded differently do not reconnect in lockstep.
/// Not thread-safe; owned by one connection.
class reconnect_backoff {
public:
    /// The counter stops here instead of overflowing; the delay is long capped by then.
    static constexpr int max_failures = std::numeric_limits<int>::max();

    explicit reconnect_backoff(backoff_config config = {}, std::uint64_t seed = 0) noexcept;

    const backoff_config& config() const noexcept { return config_; }

    /// Consecutive failures counted since construction or the last reset().
    int failures() const noexcept { return failures_; }

    /// Counts one more failed attempt (saturating at max_failures).
    void record_failure() noexcept;

    /// Back to zero failures, after a successful connection.
    void reset() noexcept { failures_ = 0; }

    /// A delay drawn from `range(failures(), config())`; advances the PRNG.
    std::chrono::milliseconds next_delay() noexcept;

    /// The closed range `[lo, hi]` of delays after `n` consecutive failures:
    /// `lo = min(max(floor, (n-1)*step), cap)`, `hi = min(first_max + n*step, cap)`, computed
    /// without overflow for any `n`. A negative `n` counts as 0, negative durations as 0, and
    /// `hi` is raised to `lo` when a custom config would make it smaller.
    static std::pair<std::chrono::milliseconds, std::chrono::milliseconds>
    range(int n, const backoff_config& config) noexcept;

private:
    backoff_config config_;
    std::uint64_t state_;
    int failures_ = 0;
};

} // namespace streamchat::detail

#endif
