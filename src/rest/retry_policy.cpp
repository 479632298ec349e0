#include "rest/retry_policy.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <algorithm>

namespace streamchat::detail {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

retry_policy::retry_policy(const http_config& cfg, bool idempotent, std::uint64_t seed)
    : cfg_(cfg), idempotent_(idempotent), rng_(static_cast<std::minstd_rand::result_type>(seed % 2147483646u + 1u))
{
}

bool retry_policy::retryable_connect_error(const error_code& ec) noexcept
{
    if (ec == error::resolve_timeout || ec == error::connect_timeout || ec == error::tls_handshake_timeout) return true;
    if (ec.category() == asio::error::get_ssl_category()) return false; // certificate or protocol mismatch
    if (ec == asio::error::host_not_found_try_again) return true;
    if (ec.category() == asio::error::get_netdb_category() || ec.category() == asio::error::get_addrinfo_category())
        return false;
    return true; // refused, unreachable, reset during handshake...
}

std::optional<steady::duration> retry_policy::rate_limit_delay(const rate_limit_info& rl,
                                                               std::chrono::system_clock::time_point now)
{
    if (rl.retry_after) return std::chrono::duration_cast<steady::duration>(*rl.retry_after);
    if (rl.reset) {
        const auto left = *rl.reset - now;
        return left > left.zero() ? std::chrono::duration_cast<steady::duration>(left) : steady::duration::zero();
    }
    return std::nullopt;
}

steady::duration retry_policy::backoff_delay(int retry)
{
    auto d = cfg_.retry_backoff_initial;
    for (int i = 1; i < retry && d < cfg_.retry_backoff_max; ++i) d *= 2;
    d = std::min(d, cfg_.retry_backoff_max);
    if (d <= steady::duration::zero()) return steady::duration::zero();
    std::uniform_int_distribution<steady::rep> jitter(0, d.count() / 2);
    return d - steady::duration(jitter(rng_));
}

retry_decision retry_policy::later(steady::duration d)
{
    ++retries_;
    return {retry_decision::again_later, d};
}

retry_decision retry_policy::after_connect_failure(const error_code& ec)
{
    if (!retryable_connect_error(ec) || retries_ >= cfg_.max_retries) return {};
    return later(backoff_delay(retries_ + 1));
}

retry_decision retry_policy::after_exchange_failure(const error_code& ec, bool reused, bool got_bytes, bool write_failed)
{
    // Timeouts, oversized or malformed answers: the server may have acted, or will answer the
    // same again.
    if (ec != error::connection_lost) return {};
    // A keep-alive connection the server had already closed: nothing reached it.
    const bool stale = reused && !got_bytes && (write_failed || idempotent_);
    if (stale && !stale_retry_used_) {
        stale_retry_used_ = true;
        return {retry_decision::again_now, {}};
    }
    if (!idempotent_ || retries_ >= cfg_.max_retries) return {};
    return later(backoff_delay(retries_ + 1));
}

retry_decision retry_policy::after_response(int status, const rate_limit_info& rl, std::chrono::system_clock::time_point now)
{
    if (status != 429 || !cfg_.retry_rate_limited || retries_ >= cfg_.max_retries) return {};
    const auto delay = rate_limit_delay(rl, now).value_or(backoff_delay(retries_ + 1));
    if (delay > cfg_.max_rate_limit_wait) return {};
    return later(delay);
}

} // namespace streamchat::detail
