// Decode context and the codec's building blocks (strings, numbers, times).

#include "model/codec.hpp"

#include <boost/json/string.hpp>

#include <cmath>
#include <limits>

namespace streamchat::detail {

// ---------------------------------------------------------------- decode_context

std::string decode_context::path() const
{
    std::string out(root_);
    const std::size_t named = depth_ < max_segments ? depth_ : max_segments;
    for (std::size_t i = 0; i < named; ++i) {
        const segment& s = segments_[i];
        if (s.is_index) {
            out.push_back('[');
            out.append(std::to_string(s.index));
            out.push_back(']');
        } else {
            if (!out.empty())
                out.push_back('.');
            out.append(s.key);
        }
    }
    if (depth_ > max_segments)
        out.append("...");
    return out;
}

error_code decode_context::fail(error e, std::string_view what)
{
    message_ = path();
    if (!message_.empty())
        message_.append(": ");
    message_.append(what);
    return make_error_code(e);
}

error_code decode_context::fail_missing(std::string_view key)
{
    auto s = enter(key);
    return fail(error::missing_field, "missing required field");
}

// ---------------------------------------------------------------- decode

namespace {

/// A short, printable excerpt of a rejected string for diagnostics.
std::string excerpt(std::string_view s)
{
    constexpr std::size_t max = 40;
    std::string out = "\"";
    for (char c : s.substr(0, max)) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f || u >= 0x80 || c == '"' || c == '\\' ? '?' : c);
    }
    if (s.size() > max)
        out.append("...");
    out.push_back('"');
    return out;
}

/// Integral value of `v` if it is a JSON number without fraction. `is_number` tells a
/// non-number (wrong type) from a number that is fractional or beyond int64 (bad value).
bool to_int64(const json::value& v, std::int64_t& out, bool& is_number)
{
    is_number = true;
    if (const std::int64_t* i = v.if_int64()) {
        out = *i;
        return true;
    }
    if (const std::uint64_t* u = v.if_uint64()) {
        if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return false;
        out = static_cast<std::int64_t>(*u);
        return true;
    }
    if (const double* d = v.if_double()) {
        // JavaScript producers may write 3.0; accept integral doubles strictly inside int64.
        if (!std::isfinite(*d) || std::trunc(*d) != *d || *d < -9.2233720368547e18 ||
            *d > 9.2233720368547e18)
            return false;
        out = static_cast<std::int64_t>(*d);
        return true;
    }
    is_number = false;
    return false;
}

} // namespace

error_code decode(const json::value& v, std::string& out, decode_context& ctx)
{
    const json::string* s = v.if_string();
    if (!s)
        return ctx.fail(error::wrong_type, "expected a string");
    out.assign(s->data(), s->size());
    return {};
}

error_code decode(const json::value& v, bool& out, decode_context& ctx)
{
    const bool* b = v.if_bool();
    if (!b)
        return ctx.fail(error::wrong_type, "expected a boolean");
    out = *b;
    return {};
}

error_code decode(const json::value& v, std::int64_t& out, decode_context& ctx)
{
    bool is_number = false;
    if (to_int64(v, out, is_number))
        return {};
    if (!is_number)
        return ctx.fail(error::wrong_type, "expected an integer");
    return ctx.fail(error::invalid_value, "expected an integer within 64 bits");
}

error_code decode(const json::value& v, int& out, decode_context& ctx)
{
    std::int64_t wide = 0;
    bool is_number = false;
    if (!to_int64(v, wide, is_number)) {
        if (!is_number)
            return ctx.fail(error::wrong_type, "expected an integer");
        return ctx.fail(error::invalid_value, "expected an integer within 32 bits");
    }
    if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
        return ctx.fail(error::invalid_value, "expected an integer within 32 bits");
    out = static_cast<int>(wide);
    return {};
}

error_code decode(const json::value& v, double& out, decode_context& ctx)
{
    if (const double* d = v.if_double())
        out = *d;
    else if (const std::int64_t* i = v.if_int64())
        out = static_cast<double>(*i);
    else if (const std::uint64_t* u = v.if_uint64())
        out = static_cast<double>(*u);
    else
        return ctx.fail(error::wrong_type, "expected a number");
    return {};
}

error_code decode(const json::value& v, timestamp& out, decode_context& ctx)
{
    const json::string* s = v.if_string();
    if (!s)
        return ctx.fail(error::wrong_type, "expected an RFC 3339 string");
    const std::string_view text(s->data(), s->size());
    const std::optional<timestamp> t = parse_timestamp(text);
    if (!t)
        return ctx.fail(error::invalid_timestamp,
                        "expected an RFC 3339 string, got " + excerpt(text));
    out = *t;
    return {};
}

// ---------------------------------------------------------------- encode

json::value encode(const std::string& v) { return json::value(json::string_view(v.data(), v.size())); }
json::value encode(bool v) { return json::value(v); }
json::value encode(int v) { return json::value(static_cast<std::int64_t>(v)); }
json::value encode(std::int64_t v) { return json::value(v); }
json::value encode(double v) { return json::value(v); }
json::value encode(const timestamp& v)
{
    const std::string s = format_timestamp(v);
    return json::value(json::string_view(s.data(), s.size()));
}

} // namespace streamchat::detail
