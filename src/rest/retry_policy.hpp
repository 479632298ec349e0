#ifndef STREAMCHAT_SRC_REST_RETRY_POLICY_HPP
#define STREAMCHAT_SRC_REST_RETRY_POLICY_HPP

// What may be sent again, when, and after how long: the retry rules of the HTTP transport as a
// plain class, fed with what happened to each attempt. No sockets, no timers: the pool asks it
// and carries out the answer, and the tests drive it directly.

#include <streamchat/diagnostics.hpp>
#include <streamchat/error.hpp>
#include <streamchat/http_config.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace streamchat::detail {

/// The policy's answer after an attempt.
struct retry_decision {
    enum kind {
        stop,        ///< Hand the last result to the caller.
        again_now,   ///< Resend at once on another connection (stale keep-alive).
        again_later, ///< Resend after `delay`.
    } what = stop;
    std::chrono::steady_clock::duration delay{};
};

/// The retry rules of one request (see `http_pool` for the prose):
/// - a failed connect (nothing was sent) is retried with backoff, unless the failure is
///   permanent (certificate, name not found);
/// - a lost connection after the request was written is retried with backoff only for
///   idempotent requests;
/// - a stale keep-alive connection (reused, no response byte, and either the write failed or the
///   request is idempotent) is retried once at once, free of charge;
/// - a 429 waits for `Retry-After`, else `X-RateLimit-Reset`, else the backoff delay, when
///   `retry_rate_limited` and the wait is at most `max_rate_limit_wait`;
/// - anything else stops. At most `max_retries` delayed retries are made.
class retry_policy {
public:
    retry_policy(const http_config& cfg, bool idempotent, std::uint64_t seed);

    /// Opening a connection failed with `ec`.
    retry_decision after_connect_failure(const error_code& ec);
    /// The exchange failed with `ec` (already mapped to the SDK's codes).
    retry_decision after_exchange_failure(const error_code& ec, bool reused, bool got_bytes, bool write_failed);
    /// A response with `status` arrived (`now` reads X-RateLimit-Reset).
    retry_decision after_response(int status, const rate_limit_info& rate_limit,
                                  std::chrono::system_clock::time_point now);

    /// Delayed retries made so far.
    int retries() const noexcept { return retries_; }

    /// The backoff before delayed retry number `retry` (1-based): doubles from
    /// `retry_backoff_initial` up to `retry_backoff_max`, drawn from [d/2, d].
    std::chrono::steady_clock::duration backoff_delay(int retry);

    /// True for connect failures a later attempt may not hit.
    static bool retryable_connect_error(const error_code& ec) noexcept;

    /// The delay a 429 asks for: Retry-After, else X-RateLimit-Reset - now (never negative).
    static std::optional<std::chrono::steady_clock::duration>
    rate_limit_delay(const rate_limit_info& rate_limit, std::chrono::system_clock::time_point now);

private:
    retry_decision later(std::chrono::steady_clock::duration d);

    const http_config& cfg_;
    bool idempotent_;
    int retries_ = 0;
    bool stale_retry_used_ = false;
    std::minstd_rand rng_;
};

} // namespace streamchat::detail

#endif
