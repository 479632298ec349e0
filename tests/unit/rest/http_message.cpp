// Header look-up, HTTP dates and rate-limit headers.

#include "rest/http_message.hpp"

#include <catch2/catch.hpp>

using namespace streamchat::detail;
using namespace std::chrono;

TEST_CASE("find_header is case-insensitive and returns the first match")
{
    http_headers h{{"Content-Type", "a"}, {"X-Thing", "1"}, {"x-thing", "2"}};
    CHECK(find_header(h, "content-type") == std::optional<std::string_view>("a"));
    CHECK(find_header(h, "X-THING") == std::optional<std::string_view>("1"));
    CHECK(!find_header(h, "X-Thin").has_value());
    CHECK(!find_header({}, "a").has_value());
    http_response r;
    r.headers = h;
    CHECK(r.header("CONTENT-TYPE") == std::optional<std::string_view>("a"));
}

TEST_CASE("http_request defaults idempotency from the method")
{
    CHECK(http_request(http_verb::get, "/").idempotent);
    CHECK(http_request(http_verb::put, "/").idempotent);
    CHECK(http_request(http_verb::delete_, "/").idempotent);
    CHECK(!http_request(http_verb::post, "/").idempotent);
    CHECK(!http_request(http_verb::patch, "/").idempotent);
}

TEST_CASE("parse_http_date: the three forms of RFC 9110")
{
    const sys_seconds expected = sys_days(1994y / November / 6) + 8h + 49min + 37s;
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == expected);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == expected);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == expected);
    CHECK(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT ") == expected);
    for (const char* bad : {"", "Sun", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Foo 1994 08:49:37 GMT",
                            "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "1994-11-06T08:49:37Z",
                            "Sun, 06 Nov 1994 08:49:37 GMTX", "Sun, 6 Nov 1994 08:49:37 GMT"}) {
        INFO(bad);
        CHECK(!parse_http_date(bad).has_value());
    }
}

TEST_CASE("parse_rate_limit reads X-RateLimit-* and both Retry-After forms")
{
    const auto now = system_clock::time_point(sys_days(2024y / January / 1));
    auto rl = parse_rate_limit({{"X-Ratelimit-Limit", "10000"}, {"x-ratelimit-remaining", "9998"},
                                {"X-RateLimit-Reset", "1592908380"}, {"Retry-After", "7"}},
                               now);
    CHECK(rl.limit == 10000);
    CHECK(rl.remaining == 9998);
    REQUIRE(rl.reset.has_value());
    CHECK(rl.reset->time_since_epoch() == seconds(1592908380));
    CHECK(rl.retry_after == seconds(7));

    auto date = parse_rate_limit({{"Retry-After", "Mon, 01 Jan 2024 00:01:30 GMT"}}, now);
    CHECK(date.retry_after == seconds(90));
    auto past = parse_rate_limit({{"Retry-After", "Sun, 31 Dec 2023 23:00:00 GMT"}}, now);
    CHECK(past.retry_after == seconds(0));

    auto junk = parse_rate_limit({{"X-RateLimit-Limit", "lots"}, {"X-RateLimit-Remaining", ""},
                                  {"X-RateLimit-Reset", "-5"}, {"Retry-After", "soon"}},
                                 now);
    CHECK(junk.empty());
    CHECK(parse_rate_limit({}, now).empty());
    CHECK(!parse_rate_limit({{"Retry-After", "-1"}}, now).retry_after.has_value());
}
