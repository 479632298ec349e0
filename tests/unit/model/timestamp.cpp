#include <streamchat/timestamp.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace std::chrono;
using streamchat::format_timestamp;
using streamchat::parse_timestamp;
using streamchat::timestamp;

namespace {

timestamp at(year_month_day d, hours h, minutes m, seconds s, nanoseconds ns = nanoseconds{0})
{
    return timestamp{sys_days{d}} + h + m + s + ns;
}

} // namespace

TEST_CASE("parse_timestamp reads Stream's wire formats", "[timestamp]")
{
    const auto base = at(2020y / 6 / 9, 8h, 10min, 40s);
    CHECK(parse_timestamp("2020-06-09T08:10:40Z") == base);
    CHECK(parse_timestamp("2020-06-09T08:10:40.8Z") == base + 800ms);
    CHECK(parse_timestamp("2020-06-09T08:10:40.800Z") == base + 800ms);
    CHECK(parse_timestamp("2020-06-09T08:10:40.800912Z") == base + 800912us);
    CHECK(parse_timestamp("2020-06-09T08:10:40.659292606Z") == base + 659292606ns);
    // Digits beyond nanoseconds are truncated, not rounded.
    CHECK(parse_timestamp("2020-06-09T08:10:40.659292606999Z") == base + 659292606ns);
    CHECK(parse_timestamp("2020-06-09T08:10:40.000000000001Z") == base);
}

TEST_CASE("parse_timestamp applies offsets and accepts the RFC 3339 variants", "[timestamp]")
{
    const auto utc = at(2024y / 1 / 1, 10h, 0min, 0s, 123456789ns);
    CHECK(parse_timestamp("2024-01-01T12:00:00.123456789+02:00") == utc);
    CHECK(parse_timestamp("2024-01-01T04:30:00.123456789-05:30") == utc);
    CHECK(parse_timestamp("2024-01-01T10:00:00.123456789+00:00") == utc);
    CHECK(parse_timestamp("2024-01-01T10:00:00.123456789-00:00") == utc);
    CHECK(parse_timestamp("2024-01-01t10:00:00.123456789z") == utc);
    CHECK(parse_timestamp("2024-01-01 10:00:00.123456789Z") == utc);
    // An offset can move the instant across a day, month and year boundary.
    CHECK(parse_timestamp("2023-12-31T23:30:00-01:00") == at(2024y / 1 / 1, 0h, 30min, 0s));
    CHECK(parse_timestamp("2024-01-01T00:30:00+23:59") == at(2023y / 12 / 31, 0h, 31min, 0s));
}

TEST_CASE("parse_timestamp validates calendar dates and leap years", "[timestamp]")
{
    CHECK(parse_timestamp("2024-02-29T00:00:00Z").has_value());  // divisible by 4
    CHECK(parse_timestamp("2000-02-29T00:00:00Z").has_value());  // divisible by 400
    CHECK_FALSE(parse_timestamp("2023-02-29T00:00:00Z"));        // not a leap year
    CHECK_FALSE(parse_timestamp("2100-02-29T00:00:00Z"));        // divisible by 100 only
    CHECK_FALSE(parse_timestamp("1900-02-29T00:00:00Z"));
    CHECK_FALSE(parse_timestamp("2024-02-30T00:00:00Z"));
    CHECK_FALSE(parse_timestamp("2024-04-31T00:00:00Z"));
    CHECK(parse_timestamp("2024-12-31T23:59:59Z").has_value());
    CHECK_FALSE(parse_timestamp("2024-00-10T00:00:00Z"));
    CHECK_FALSE(parse_timestamp("2024-13-10T00:00:00Z"));
    CHECK_FALSE(parse_timestamp("2024-01-00T00:00:00Z"));
    CHECK_FALSE(parse_timestamp("2024-01-32T00:00:00Z"));
    CHECK_FALSE(parse_timestamp("2024-01-01T24:00:00Z"));
    CHECK_FALSE(parse_timestamp("2024-01-01T23:60:00Z"));
    CHECK_FALSE(parse_timestamp("2024-01-01T23:59:60Z")); // leap second: not representable
    CHECK_FALSE(parse_timestamp("2024-01-01T00:00:00+24:00"));
    CHECK_FALSE(parse_timestamp("2024-01-01T00:00:00+05:60"));
}

TEST_CASE("parse_timestamp rejects malformed text", "[timestamp]")
{
    const char* bad[] = {
        "",
        "2024",
        "2024-01-01",
        "2024-01-01T00:00:00",        // no offset
        "2024-01-01T00:00:00.",       // no fraction digits, no offset
        "2024-01-01T00:00:00.Z",      // no fraction digits
        "2024-01-01T00:00:00ZZ",      // trailing junk
        "2024-01-01T00:00:00Z ",      // trailing space
        " 2024-01-01T00:00:00Z",      // leading space
        "2024-01-01T00:00:00+0200",   // offset without colon
        "2024-01-01T00:00:00+02",     // short offset
        "2024-01-01T00:00:00+02:00x", // junk after offset
        "2024-1-01T00:00:00Z",
        "2024-01-01X00:00:00Z",
        "2024/01/01T00:00:00Z",
        "+2024-01-01T00:00:00Z",
        "2024-01-01T0:00:00Z",
        "2024-01-01T00:00:0aZ",
        "２024-01-01T00:00:00Z",       // non-ASCII digit
        "2024-01-01T00:00:00.12a4Z",
        "0001-01-01T00:00:00Z",       // before the nanosecond range (1677)
        "9999-12-31T23:59:59Z",       // after it (2262)
        "2262-04-12T00:00:00Z",
        "1677-09-21T00:00:00Z",
    };
    for (const char* text : bad) {
        INFO(text);
        CHECK_FALSE(parse_timestamp(text));
    }
    // Embedded NUL.
    CHECK_FALSE(parse_timestamp(std::string_view("2024-01-01T00:00:00Z\0", 21)));
}

TEST_CASE("parse_timestamp covers the representable range exactly", "[timestamp]")
{
    CHECK(parse_timestamp("2262-04-11T23:47:16.854775807Z") == timestamp::max());
    CHECK_FALSE(parse_timestamp("2262-04-11T23:47:16.854775808Z"));
    CHECK(parse_timestamp("1677-09-21T00:12:43.145224192Z") == timestamp::min());
    CHECK_FALSE(parse_timestamp("1677-09-21T00:12:43.145224191Z"));
}

TEST_CASE("format_timestamp writes UTC with the fewest of 0/3/6/9 fraction digits", "[timestamp]")
{
    const auto base = at(2024y / 1 / 1, 10h, 0min, 0s);
    CHECK(format_timestamp(base) == "2024-01-01T10:00:00Z");
    CHECK(format_timestamp(base + 130ms) == "2024-01-01T10:00:00.130Z");
    CHECK(format_timestamp(base + 123456us) == "2024-01-01T10:00:00.123456Z");
    CHECK(format_timestamp(base + 1us) == "2024-01-01T10:00:00.000001Z");
    CHECK(format_timestamp(base + 659292606ns) == "2024-01-01T10:00:00.659292606Z");
    CHECK(format_timestamp(base + 1ns) == "2024-01-01T10:00:00.000000001Z");
    CHECK(format_timestamp(timestamp{}) == "1970-01-01T00:00:00Z");
    // Before the epoch the fraction still counts forward from the whole second.
    CHECK(format_timestamp(timestamp{} - 500ms) == "1969-12-31T23:59:59.500Z");
    CHECK(format_timestamp(timestamp::max()) == "2262-04-11T23:47:16.854775807Z");
    CHECK(format_timestamp(timestamp::min()) == "1677-09-21T00:12:43.145224192Z");
}

TEST_CASE("format and parse round-trip", "[timestamp]")
{
    const timestamp samples[] = {
        timestamp{},
        timestamp{} - 1ns,
        at(2000y / 2 / 29, 23h, 59min, 59s, 999999999ns),
        at(2020y / 6 / 9, 8h, 10min, 40s, 800912us),
        at(1699y / 1 / 1, 0h, 0min, 0s, 5ms),
        timestamp::max(),
        timestamp::min(),
    };
    for (const timestamp t : samples) {
        const std::string text = format_timestamp(t);
        INFO(text);
        CHECK(parse_timestamp(text) == t);
    }
    for (const char* canonical : {"2024-01-01T10:00:00Z", "2024-01-01T10:00:00.120Z",
                                  "2024-01-01T10:00:00.000120Z", "2024-01-01T10:00:00.000000120Z"}) {
        const auto t = parse_timestamp(canonical);
        REQUIRE(t);
        CHECK(format_timestamp(*t) == canonical);
    }
}
