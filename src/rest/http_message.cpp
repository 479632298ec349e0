#include "rest/http_message.hpp"

#include <array>
#include <charconv>
#include <cstdint>

namespace streamchat::detail {
namespace {

char lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<std::int64_t> parse_int(std::string_view s) noexcept
{
    s = trim(s);
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

// Consumes a run of digits of exactly `n` characters (or 1..n when `n_min` < n).
bool take_number(std::string_view& s, std::size_t n_min, std::size_t n_max, int& out) noexcept
{
    std::size_t i = 0;
    int v = 0;
    while (i < s.size() && i < n_max && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i < n_min) return false;
    out = v;
    s.remove_prefix(i);
    return true;
}

bool take(std::string_view& s, std::string_view lit) noexcept
{
    if (s.substr(0, lit.size()) != lit) return false;
    s.remove_prefix(lit.size());
    return true;
}

bool take_month(std::string_view& s, unsigned& month) noexcept
{
    static constexpr std::array<std::string_view, 12> names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (unsigned i = 0; i < names.size(); ++i) {
        if (take(s, names[i])) {
            month = i + 1;
            return true;
        }
    }
    return false;
}

bool take_time(std::string_view& s, int& h, int& m, int& sec) noexcept
{
    return take_number(s, 2, 2, h) && take(s, ":") && take_number(s, 2, 2, m) && take(s, ":") &&
           take_number(s, 2, 2, sec);
}

} // namespace

bool header_name_equals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::optional<std::string_view> find_header(const http_headers& headers, std::string_view name) noexcept
{
    for (const auto& [k, v] : headers)
        if (header_name_equals(k, name)) return std::string_view(v);
    return std::nullopt;
}

bool is_idempotent(http_verb method) noexcept
{
    switch (method) {
    case http_verb::get: case http_verb::head: case http_verb::put: case http_verb::delete_:
    case http_verb::options:
        return true;
    default:
        return false;
    }
}

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view s) noexcept
{
    using namespace std::chrono;
    s = trim(s);
    int day = 0, year = 0, h = 0, m = 0, sec = 0;
    unsigned month = 0;
    const auto comma = s.find(',');
    if (comma != std::string_view::npos) {
        s.remove_prefix(comma + 1);
        if (!take(s, " ") || !take_number(s, 2, 2, day)) return std::nullopt;
        if (take(s, " ")) { // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
            if (!take_month(s, month) || !take(s, " ") || !take_number(s, 4, 4, year)) return std::nullopt;
        } else if (take(s, "-")) { // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
            if (!take_month(s, month) || !take(s, "-") || !take_number(s, 2, 2, year)) return std::nullopt;
            year += year < 70 ? 2000 : 1900;
        } else {
            return std::nullopt;
        }
        if (!take(s, " ") || !take_time(s, h, m, sec) || !take(s, " GMT") || !s.empty()) return std::nullopt;
    } else { // asctime: "Sun Nov  6 08:49:37 1994"
        if (s.size() < 4) return std::nullopt;
        s.remove_prefix(4);
        if (!take_month(s, month) || !take(s, " ")) return std::nullopt;
        if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        if (!take_number(s, 1, 2, day) || !take(s, " ") || !take_time(s, h, m, sec) || !take(s, " ") ||
            !take_number(s, 4, 4, year) || !s.empty())
            return std::nullopt;
    }
    if (h > 23 || m > 59 || sec > 60) return std::nullopt;
    const year_month_day ymd{std::chrono::year(year), std::chrono::month(month), std::chrono::day(static_cast<unsigned>(day))};
    if (!ymd.ok()) return std::nullopt;
    return sys_days(ymd) + hours(h) + minutes(m) + seconds(sec);
}

rate_limit_info parse_rate_limit(const http_headers& headers, std::chrono::system_clock::time_point now)
{
    using namespace std::chrono;
    rate_limit_info info;
    if (auto v = find_header(headers, "X-RateLimit-Limit")) info.limit = parse_int(*v);
    if (auto v = find_header(headers, "X-RateLimit-Remaining")) info.remaining = parse_int(*v);
    if (auto v = find_header(headers, "X-RateLimit-Reset")) {
        if (auto n = parse_int(*v); n && *n >= 0) info.reset = sys_seconds(seconds(*n));
    }
    if (auto v = find_header(headers, "Retry-After")) {
        if (auto n = parse_int(*v)) {
            if (*n >= 0) info.retry_after = seconds(*n);
        } else if (auto date = parse_http_date(*v)) {
            const auto delay = ceil<seconds>(*date - now);
            info.retry_after = delay.count() > 0 ? delay : seconds(0);
        }
    }
    return info;
}

} // namespace streamchat::detail
