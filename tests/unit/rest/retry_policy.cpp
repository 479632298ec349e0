// retry_policy: what the HTTP transport may send again, when, and after how long.

#include "rest/retry_policy.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <catch2/catch.hpp>

using namespace streamchat;
using namespace streamchat::detail;
using namespace std::chrono;
namespace asio = boost::asio;

namespace {
http_config config()
{
    http_config c;
    c.max_retries = 3;
    c.retry_backoff_initial = milliseconds(100);
    c.retry_backoff_max = milliseconds(1000);
    c.max_rate_limit_wait = seconds(10);
    return c;
}
} // namespace

TEST_CASE("connect failures are retried with doubling, jittered, capped backoff until max_retries")
{
    const auto cfg = config();
    retry_policy p(cfg, false, 42);
    const milliseconds caps[] = {milliseconds(100), milliseconds(200), milliseconds(400)};
    for (auto cap : caps) {
        auto d = p.after_connect_failure(make_error_code(boost::system::errc::connection_refused));
        REQUIRE(d.what == retry_decision::again_later);
        CHECK(d.delay <= cap);
        CHECK(d.delay >= cap / 2);
    }
    CHECK(p.retries() == 3);
    CHECK(p.after_connect_failure(error::connect_timeout).what == retry_decision::stop);

    retry_policy q(cfg, true, 7);
    for (int i = 1; i < 10; ++i) CHECK(q.backoff_delay(i) <= cfg.retry_backoff_max);
}

TEST_CASE("permanent connect failures stop at once")
{
    const auto cfg = config();
    retry_policy p(cfg, true, 1);
    CHECK(p.after_connect_failure(asio::error::host_not_found).what == retry_decision::stop);
    CHECK(p.after_connect_failure(error_code(1, asio::error::get_ssl_category())).what == retry_decision::stop);
    CHECK(p.after_connect_failure(asio::error::host_not_found_try_again).what == retry_decision::again_later);
    CHECK(retry_policy::retryable_connect_error(error::resolve_timeout));
    CHECK(retry_policy::retryable_connect_error(error::tls_handshake_timeout));
}

TEST_CASE("a lost connection is resent only for idempotent requests, a stale keep-alive once for free")
{
    const auto cfg = config();
    SECTION("POST whose write succeeded is never resent")
    {
        retry_policy p(cfg, false, 1);
        CHECK(p.after_exchange_failure(error::connection_lost, true, false, false).what == retry_decision::stop);
    }
    SECTION("POST whose write failed on a reused connection is resent once at once")
    {
        retry_policy p(cfg, false, 1);
        CHECK(p.after_exchange_failure(error::connection_lost, true, false, true).what == retry_decision::again_now);
        CHECK(p.retries() == 0);
        CHECK(p.after_exchange_failure(error::connection_lost, true, false, true).what == retry_decision::stop);
    }
    SECTION("idempotent: stale once for free, then backoff up to max_retries")
    {
        retry_policy p(cfg, true, 1);
        CHECK(p.after_exchange_failure(error::connection_lost, true, false, false).what == retry_decision::again_now);
        for (int i = 0; i < 3; ++i)
            CHECK(p.after_exchange_failure(error::connection_lost, true, false, false).what ==
                  retry_decision::again_later);
        CHECK(p.after_exchange_failure(error::connection_lost, false, true, false).what == retry_decision::stop);
    }
    SECTION("bytes arrived: not stale")
    {
        retry_policy p(cfg, true, 1);
        CHECK(p.after_exchange_failure(error::connection_lost, true, true, false).what == retry_decision::again_later);
    }
    SECTION("timeouts, oversized and malformed answers are never resent")
    {
        retry_policy p(cfg, true, 1);
        for (error e : {error::request_timeout, error::payload_too_large, error::bad_http_response})
            CHECK(p.after_exchange_failure(e, true, false, false).what == retry_decision::stop);
    }
}

TEST_CASE("429 waits what the server asks, within max_rate_limit_wait")
{
    const auto cfg = config();
    const auto now = system_clock::now();
    rate_limit_info rl;
    SECTION("Retry-After wins")
    {
        retry_policy p(cfg, false, 1);
        rl.retry_after = seconds(2);
        rl.reset = time_point_cast<seconds>(now) + seconds(9);
        auto d = p.after_response(429, rl, now);
        CHECK(d.what == retry_decision::again_later);
        CHECK(d.delay == seconds(2));
    }
    SECTION("else X-RateLimit-Reset - now, never negative")
    {
        retry_policy p(cfg, false, 1);
        rl.reset = time_point_cast<seconds>(now) + seconds(5);
        auto d = p.after_response(429, rl, time_point_cast<seconds>(now));
        CHECK(d.delay == seconds(5));
        rl.reset = time_point_cast<seconds>(now) - seconds(5);
        CHECK(p.after_response(429, rl, now).delay == steady_clock::duration::zero());
    }
    SECTION("else the backoff")
    {
        retry_policy p(cfg, false, 1);
        auto d = p.after_response(429, rl, now);
        CHECK(d.what == retry_decision::again_later);
        CHECK(d.delay <= milliseconds(100));
    }
    SECTION("too long a wait, or retry_rate_limited off, hands the 429 back")
    {
        retry_policy p(cfg, false, 1);
        rl.retry_after = seconds(11);
        CHECK(p.after_response(429, rl, now).what == retry_decision::stop);
        auto off = cfg;
        off.retry_rate_limited = false;
        retry_policy q(off, false, 1);
        CHECK(q.after_response(429, {}, now).what == retry_decision::stop);
    }
    SECTION("other statuses stop; retries are bounded")
    {
        retry_policy p(cfg, false, 1);
        CHECK(p.after_response(200, rl, now).what == retry_decision::stop);
        CHECK(p.after_response(503, rl, now).what == retry_decision::stop);
        for (int i = 0; i < 3; ++i) CHECK(p.after_response(429, rl, now).what == retry_decision::again_later);
        CHECK(p.after_response(429, rl, now).what == retry_decision::stop);
    }
}
