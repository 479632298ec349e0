#include <streamchat/timestamp.hpp>

#include <cstdint>

namespace streamchat {

namespace {

using namespace std::chrono;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Reads exactly `n` ASCII digits at `pos`; false when any is missing or not a digit.
constexpr bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept
{
    if (pos + n > s.size())
        return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

void put_digits(std::string& out, std::int64_t v, int width)
{
    char buf[20];
    for (int i = width - 1; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    out.append(buf, static_cast<std::size_t>(width));
}

} // namespace

std::string format_timestamp(timestamp t)
{
    // Split in integers: going through floor<seconds>(t) would convert back to nanoseconds and
    // overflow for timestamp::min().
    const std::int64_t count = t.time_since_epoch().count();
    std::int64_t whole = count / 1'000'000'000;
    std::int64_t ns = count % 1'000'000'000;
    if (ns < 0) {
        ns += 1'000'000'000;
        whole -= 1;
    }
    const sys_seconds secs{seconds{whole}};
    const auto day_point = floor<days>(secs);
    const year_month_day ymd{day_point};
    const hh_mm_ss<seconds> hms{secs - day_point};

    std::string out;
    out.reserve(30);
    // The nanosecond range of `timestamp` (years 1677-2262) always fits four year digits.
    put_digits(out, static_cast<int>(ymd.year()), 4);
    out.push_back('-');
    put_digits(out, static_cast<unsigned>(ymd.month()), 2);
    out.push_back('-');
    put_digits(out, static_cast<unsigned>(ymd.day()), 2);
    out.push_back('T');
    put_digits(out, hms.hours().count(), 2);
    out.push_back(':');
    put_digits(out, hms.minutes().count(), 2);
    out.push_back(':');
    put_digits(out, hms.seconds().count(), 2);
    if (ns != 0) {
        out.push_back('.');
        if (ns % 1'000'000 == 0)
            put_digits(out, ns / 1'000'000, 3);
        else if (ns % 1'000 == 0)
            put_digits(out, ns / 1'000, 6);
        else
            put_digits(out, ns, 9);
    }
    out.push_back('Z');
    return out;
}

std::optional<timestamp> parse_timestamp(std::string_view s) noexcept
{
    // Fixed part: YYYY-MM-DDTHH:MM:SS (19 characters), then optional fraction, then the offset.
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!read_digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
        s[7] != '-' || !read_digits(s, 8, 2, d))
        return std::nullopt;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return std::nullopt;
    if (!read_digits(s, 11, 2, h) || s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' ||
        !read_digits(s, 17, 2, se))
        return std::nullopt;

    std::size_t pos = 19;
    std::int64_t nanos = 0;
    if (s[pos] == '.') {
        const std::size_t first = ++pos;
        while (pos < s.size() && is_digit(s[pos])) {
            if (pos - first < 9)
                nanos = nanos * 10 + (s[pos] - '0');
            ++pos;
        }
        if (pos == first)
            return std::nullopt; // "." without digits
        for (std::size_t n = pos - first; n < 9; ++n)
            nanos *= 10;
    }
    if (pos >= s.size())
        return std::nullopt; // the offset is mandatory in RFC 3339

    int offset_minutes = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int oh = 0, om = 0;
        if (!read_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !read_digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size())
        return std::nullopt; // trailing junk

    // Leap seconds (":60") cannot be represented by sys_time and are rejected like any other
    // out-of-range field; year_month_day::ok() handles month lengths and leap years.
    if (h > 23 || mi > 59 || se > 59)
        return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok())
        return std::nullopt;

    const std::int64_t day_count = sys_days{ymd}.time_since_epoch().count();
    std::int64_t secs = day_count * 86'400 + h * 3'600 + mi * 60 + se -
                              std::int64_t{offset_minutes} * 60;
    // Only about 1677-09-21 .. 2262-04-11 fits 64-bit nanoseconds: refuse instead of wrapping.
    std::int64_t total = 0;
    if (secs < 0 && nanos > 0) { // borrow a second so that timestamp::min() itself does not overflow
        secs += 1;
        nanos -= 1'000'000'000;
    }
    if (__builtin_mul_overflow(secs, std::int64_t{1'000'000'000}, &total) ||
        __builtin_add_overflow(total, nanos, &total))
        return std::nullopt;
    return timestamp{nanoseconds{total}};
}

} // namespace streamchat
