#ifndef STREAMCHAT_SRC_EMULATOR_SERVER_RATE_LIMITER_HPP
#define STREAMCHAT_SRC_EMULATOR_SERVER_RATE_LIMITER_HPP

// Stream-like rate limits (docs/protocol.md §4.4): a fixed window per caller and endpoint, the
// `X-RateLimit-*` figures on every response, 429 + code 9 beyond. Sans-io: the clock is passed in.

#include <streamchat/emulator.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace streamchat::emu {

class rate_limiter {
public:
    /// What one request learns.
    struct verdict {
        bool allowed = true;
        std::int64_t limit = 0;          ///< `X-RateLimit-Limit`.
        std::int64_t remaining = 0;      ///< `X-RateLimit-Remaining` (after this request).
        std::int64_t reset = 0;          ///< `X-RateLimit-Reset`: epoch seconds when the window ends (rounded up).
        std::int64_t retry_after = 0;    ///< `Retry-After` seconds when refused (at least 1).
    };

    /// In `off` mode every request is allowed and the headers report `unlimited_quota`.
    /// A window opens at a bucket's first request and lasts `window` (fixed, not sliding): the
    /// reset time is then predictable from the first response, and tests never straddle an
    /// epoch-aligned boundary by accident.
    rate_limiter(emulator_rate_limits mode, int per_window, std::chrono::milliseconds window);

    /// Counts one request of `identity` (user or IP) on `route` and says whether it may proceed.
    verdict hit(std::string_view identity, std::string_view route, std::chrono::system_clock::time_point now);
    /// The figures without counting (responses that are not requests, e.g. CORS preflight).
    verdict peek(std::string_view identity, std::string_view route, std::chrono::system_clock::time_point now) const;

    /// The quota reported in `off` mode: large enough that no client ever backs off.
    static constexpr std::int64_t unlimited_quota = 1'000'000;

private:
    struct bucket {
        std::int64_t start = 0; ///< Epoch milliseconds of the window's first request.
        std::int64_t count = 0;
    };
    verdict make(std::int64_t window_start_ms, std::int64_t count, std::chrono::system_clock::time_point now) const;
    static std::string key_of(std::string_view identity, std::string_view route);

    emulator_rate_limits mode_;
    std::int64_t per_window_;
    std::chrono::milliseconds window_;
    std::unordered_map<std::string, bucket> buckets_;
};

} // namespace streamchat::emu

#endif
