#include <streamchat/filter.hpp>

#include "filter/filter_json.hpp"

#include <boost/json/serialize.hpp>

#include <cmath>

namespace streamchat {

std::string_view to_string(filter_kind kind) noexcept
{
    switch (kind) {
    case filter_kind::and_: return "$and";
    case filter_kind::or_: return "$or";
    case filter_kind::nor: return "$nor";
    case filter_kind::all:
    case filter_kind::condition: break;
    }
    return {};
}

std::string_view to_string(filter_op op) noexcept
{
    switch (op) {
    case filter_op::eq: return "$eq";
    case filter_op::ne: return "$ne";
    case filter_op::gt: return "$gt";
    case filter_op::gte: return "$gte";
    case filter_op::lt: return "$lt";
    case filter_op::lte: return "$lte";
    case filter_op::in: return "$in";
    case filter_op::nin: return "$nin";
    case filter_op::exists: return "$exists";
    case filter_op::autocomplete: return "$autocomplete";
    case filter_op::q: return "$q";
    case filter_op::contains: return "$contains";
    }
    return "$unknown";
}

// ------------------------------------------------------------------ builders

filter filter::condition(std::string field, filter_op op, filter_value v)
{
    filter f;
    f.kind_ = filter_kind::condition;
    f.field_ = std::move(field);
    f.op_ = op;
    f.array_ = false;
    f.operand_.push_back(std::move(v));
    return f;
}

filter filter::condition(std::string field, filter_op op, std::vector<filter_value> values)
{
    filter f;
    f.kind_ = filter_kind::condition;
    f.field_ = std::move(field);
    f.op_ = op;
    f.array_ = true;
    f.operand_ = std::move(values);
    return f;
}

filter filter::eq(std::string field, filter_value v) { return condition(std::move(field), filter_op::eq, std::move(v)); }
filter filter::eq_array(std::string field, std::vector<filter_value> values)
{
    return condition(std::move(field), filter_op::eq, std::move(values));
}
filter filter::ne(std::string field, filter_value v) { return condition(std::move(field), filter_op::ne, std::move(v)); }
filter filter::gt(std::string field, filter_value v) { return condition(std::move(field), filter_op::gt, std::move(v)); }
filter filter::gte(std::string field, filter_value v) { return condition(std::move(field), filter_op::gte, std::move(v)); }
filter filter::lt(std::string field, filter_value v) { return condition(std::move(field), filter_op::lt, std::move(v)); }
filter filter::lte(std::string field, filter_value v) { return condition(std::move(field), filter_op::lte, std::move(v)); }
filter filter::in(std::string field, std::vector<filter_value> values)
{
    return condition(std::move(field), filter_op::in, std::move(values));
}
filter filter::nin(std::string field, std::vector<filter_value> values)
{
    return condition(std::move(field), filter_op::nin, std::move(values));
}
filter filter::exists(std::string field, bool present)
{
    return condition(std::move(field), filter_op::exists, filter_value(present));
}
filter filter::autocomplete(std::string field, std::string text)
{
    return condition(std::move(field), filter_op::autocomplete, filter_value(std::move(text)));
}
filter filter::q(std::string field, std::string text)
{
    return condition(std::move(field), filter_op::q, filter_value(std::move(text)));
}
filter filter::contains(std::string field, filter_value v)
{
    return condition(std::move(field), filter_op::contains, std::move(v));
}

filter filter::and_(std::vector<filter> parts)
{
    filter f;
    f.kind_ = filter_kind::and_;
    f.children_ = std::move(parts);
    return f;
}

filter filter::or_(std::vector<filter> parts)
{
    filter f;
    f.kind_ = filter_kind::or_;
    f.children_ = std::move(parts);
    return f;
}

filter filter::nor(std::vector<filter> parts)
{
    filter f;
    f.kind_ = filter_kind::nor;
    f.children_ = std::move(parts);
    return f;
}

const filter_value& filter::value() const noexcept
{
    static const filter_value null_value;
    if (kind_ != filter_kind::condition || array_ || operand_.empty())
        return null_value;
    return operand_.front();
}

namespace {

/// Appends the sub-filters of `f` to `out` when `f` is a flattenable node of `kind` (one that
/// holds at least `min_children`), or `f` itself otherwise.
void append_flat(std::vector<filter>& out, filter f, filter_kind kind, std::size_t min_children)
{
    if (f.kind() == kind && f.children().size() >= min_children) {
        for (const auto& c : f.children())
            out.push_back(c);
    } else {
        out.push_back(std::move(f));
    }
}

} // namespace

filter operator&&(filter a, filter b)
{
    if (a.kind() == filter_kind::all)
        return b;
    if (b.kind() == filter_kind::all)
        return a;
    std::vector<filter> parts;
    append_flat(parts, std::move(a), filter_kind::and_, 1);
    append_flat(parts, std::move(b), filter_kind::and_, 1);
    return filter::and_(std::move(parts));
}

filter operator||(filter a, filter b)
{
    if (a.kind() == filter_kind::all || b.kind() == filter_kind::all)
        return filter::all();
    std::vector<filter> parts;
    append_flat(parts, std::move(a), filter_kind::or_, 2);
    append_flat(parts, std::move(b), filter_kind::or_, 2);
    return filter::or_(std::move(parts));
}

// ------------------------------------------------------------------ validation

namespace {

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_utf8(std::string_view s) noexcept
{
    std::size_t i = 0;
    const std::size_t n = s.size();
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    while (i < n) {
        const unsigned char c = byte(i);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        if (byte(i + 1) < lo || byte(i + 1) > hi)
            return false;
        for (std::size_t k = 2; k < len; ++k)
            if (byte(i + k) < 0x80 || byte(i + k) > 0xbf)
                return false;
        i += len;
    }
    return true;
}

struct validator {
    std::string* why = nullptr;
    std::size_t conditions = 0;

    error_code fail(const std::string& path, std::string_view problem)
    {
        if (why != nullptr) {
            *why = path.empty() ? std::string(problem) : path + ": " + std::string(problem);
        }
        return error::invalid_filter;
    }

    /// Checks one scalar: finite doubles, UTF-8 strings.
    error_code scalar(const filter_value& v, const std::string& path)
    {
        if (const auto* d = std::get_if<double>(&v.get()); d != nullptr && !std::isfinite(*d))
            return fail(path, "numbers must be finite");
        if (const auto* s = std::get_if<std::string>(&v.get()); s != nullptr && !is_utf8(*s))
            return fail(path, "strings must be valid UTF-8");
        return {};
    }

    error_code condition(const filter& f, const std::string& path)
    {
        const std::string& field = f.field();
        if (field.empty())
            return fail(path, "empty field name");
        if (field.front() == '$')
            return fail(path, "field name \"" + field + "\" starts with '$' (operators go inside the field's object)");
        if (!is_utf8(field))
            return fail(path, "field name is not valid UTF-8");
        const std::string here = (path.empty() ? field : path + "." + field) + "." + std::string(to_string(f.op()));
        const std::string op(to_string(f.op()));

        if (f.has_array_operand()) {
            switch (f.op()) {
            case filter_op::eq:
            case filter_op::in:
            case filter_op::nin:
                break;
            default:
                return fail(here, op + " needs a single value, not an array");
            }
            if (f.values().empty())
                return fail(here, op + " needs a non-empty array");
            if (f.values().size() > filter::max_array_items)
                return fail(here, op + " has " + std::to_string(f.values().size()) + " values, more than "
                                      + std::to_string(filter::max_array_items));
            for (std::size_t i = 0; i < f.values().size(); ++i)
                if (auto ec = scalar(f.values()[i], here + "[" + std::to_string(i) + "]"))
                    return ec;
            return {};
        }

        const filter_value& v = f.value();
        if (auto ec = scalar(v, here))
            return ec;
        switch (f.op()) {
        case filter_op::eq:
        case filter_op::ne:
            return {};
        case filter_op::gt:
        case filter_op::gte:
        case filter_op::lt:
        case filter_op::lte:
            if (v.is_number_or_time() || v.is_string())
                return {};
            return fail(here, op + " needs a number, string or timestamp");
        case filter_op::in:
        case filter_op::nin:
            return fail(here, op + " needs a non-empty array");
        case filter_op::exists:
            if (v.is_bool())
                return {};
            return fail(here, "$exists needs true or false");
        case filter_op::autocomplete:
        case filter_op::q:
            if (const auto* s = std::get_if<std::string>(&v.get()); s != nullptr && !s->empty())
                return {};
            return fail(here, op + " needs a non-empty string");
        case filter_op::contains:
            if (!v.is_null())
                return {};
            return fail(here, "$contains needs a value, not null");
        }
        return fail(here, "unknown operator");
    }

    error_code node(const filter& f, const std::string& path, std::size_t depth)
    {
        switch (f.kind()) {
        case filter_kind::all:
            return {};
        case filter_kind::condition:
            if (++conditions > filter::max_conditions)
                return fail(path, "more than " + std::to_string(filter::max_conditions) + " conditions");
            return condition(f, path);
        case filter_kind::and_:
        case filter_kind::or_:
        case filter_kind::nor:
            break;
        }
        const std::string_view name = to_string(f.kind());
        const std::string self = path.empty() ? std::string(name) : path + "." + std::string(name);
        if (depth + 1 > filter::max_depth)
            return fail(self, "nesting deeper than " + std::to_string(filter::max_depth) + " levels");
        const std::size_t min = f.kind() == filter_kind::or_ ? 2 : 1;
        if (f.children().size() < min)
            return fail(self, std::string(name) + " needs at least " + std::to_string(min)
                                  + (min == 1 ? " sub-filter" : " sub-filters"));
        for (std::size_t i = 0; i < f.children().size(); ++i)
            if (auto ec = node(f.children()[i], self + "[" + std::to_string(i) + "]", depth + 1))
                return ec;
        return {};
    }
};

} // namespace

error_code filter::validate(std::string* why) const
{
    validator v;
    v.why = why;
    return v.node(*this, "", 0);
}

std::string filter::to_json() const { return boost::json::serialize(detail::to_json_value(*this)); }

} // namespace streamchat
