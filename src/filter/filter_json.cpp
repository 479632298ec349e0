#include "filter/filter_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <utility>

namespace streamchat::detail {

namespace json = boost::json;

// ------------------------------------------------------------------ to JSON

json::value to_json_value(const filter_value& v)
{
    return std::visit(
        [](const auto& x) -> json::value {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>)
                return nullptr;
            else if constexpr (std::is_same_v<T, timestamp>)
                return json::string(format_timestamp(x));
            else if constexpr (std::is_same_v<T, std::string>)
                return json::string(x);
            else
                return x;
        },
        v.get());
}

namespace {

json::value operand(const filter& f)
{
    if (!f.has_array_operand())
        return to_json_value(f.value());
    json::array a;
    a.reserve(f.values().size());
    for (const auto& v : f.values())
        a.push_back(to_json_value(v));
    return a;
}

json::object to_object(const filter& f);

json::array children_array(const filter& f)
{
    json::array a;
    a.reserve(f.children().size());
    for (const auto& c : f.children())
        a.push_back(to_object(c));
    return a;
}

json::object to_object(const filter& f)
{
    json::object o;
    switch (f.kind()) {
    case filter_kind::all:
        return o;
    case filter_kind::condition:
        if (f.op() == filter_op::eq && !f.has_array_operand()) {
            o[f.field()] = operand(f);
        } else {
            json::object ops;
            ops[to_string(f.op())] = operand(f);
            o[f.field()] = std::move(ops);
        }
        return o;
    case filter_kind::and_: {
        if (f.children().empty())
            break; // invalid; rendered explicitly below
        // Stream's implicit AND: one object, as long as no key would repeat.
        json::array parts;
        parts.reserve(f.children().size());
        for (const auto& c : f.children())
            parts.push_back(to_object(c));
        json::object merged;
        for (const auto& part : parts) {
            for (const auto& kv : part.get_object()) {
                if (merged.contains(kv.key())) {
                    o["$and"] = std::move(parts);
                    return o;
                }
                merged[kv.key()] = kv.value();
            }
        }
        return merged;
    }
    case filter_kind::or_:
    case filter_kind::nor:
        break;
    }
    o[to_string(f.kind())] = children_array(f);
    return o;
}

} // namespace

json::value to_json_value(const filter& f) { return to_object(f); }

// ------------------------------------------------------------------ from JSON

namespace {

std::optional<filter_op> op_from_name(std::string_view name)
{
    static constexpr filter_op all_ops[] = {
        filter_op::eq, filter_op::ne, filter_op::gt, filter_op::gte, filter_op::lt, filter_op::lte,
        filter_op::in, filter_op::nin, filter_op::exists, filter_op::autocomplete, filter_op::q,
        filter_op::contains};
    for (const auto op : all_ops)
        if (to_string(op) == name)
            return op;
    return std::nullopt;
}

struct parser {
    std::string* why = nullptr;

    error_code fail(const std::string& path, std::string_view problem)
    {
        if (why != nullptr)
            *why = path.empty() ? std::string(problem) : path + ": " + std::string(problem);
        return error::invalid_filter;
    }

    static std::string join(const std::string& path, std::string_view key)
    {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    error_code scalar(const json::value& v, const std::string& path, filter_value& out)
    {
        switch (v.kind()) {
        case json::kind::null: out = filter_value(); return {};
        case json::kind::bool_: out = filter_value(v.get_bool()); return {};
        case json::kind::int64: out = filter_value(v.get_int64()); return {};
        case json::kind::double_: out = filter_value(v.get_double()); return {};
        case json::kind::string: out = filter_value(std::string_view(v.get_string())); return {};
        case json::kind::uint64: return fail(path, "integer out of range");
        case json::kind::array: return fail(path, "nested arrays are not supported");
        case json::kind::object: return fail(path, "objects are not supported as values");
        }
        return fail(path, "unsupported value");
    }

    /// One condition `field op operand`, the operand scalar or array.
    error_code condition(std::string_view field, filter_op op, const json::value& v, const std::string& path,
                         filter& out)
    {
        if (v.is_array()) {
            const auto& a = v.get_array();
            if (a.size() > filter::max_array_items)
                return fail(path, std::string(to_string(op)) + " has " + std::to_string(a.size())
                                      + " values, more than " + std::to_string(filter::max_array_items));
            std::vector<filter_value> values(a.size());
            for (std::size_t i = 0; i < a.size(); ++i)
                if (auto ec = scalar(a[i], path + "[" + std::to_string(i) + "]", values[i]))
                    return ec;
            out = filter::condition(std::string(field), op, std::move(values));
            return {};
        }
        filter_value value;
        if (auto ec = scalar(v, path, value))
            return ec;
        out = filter::condition(std::string(field), op, std::move(value));
        return {};
    }

    error_code entry(std::string_view key, const json::value& v, const std::string& path, std::size_t depth,
                     filter& out)
    {
        const std::string here = join(path, key);
        if (!key.empty() && key.front() == '$') {
            filter_kind kind = filter_kind::and_;
            if (key == "$and")
                kind = filter_kind::and_;
            else if (key == "$or")
                kind = filter_kind::or_;
            else if (key == "$nor")
                kind = filter_kind::nor;
            else
                return fail(here, "unknown logical operator \"" + std::string(key) + "\"");
            if (!v.is_array())
                return fail(here, "expected an array of filters");
            if (depth + 1 > filter::max_depth)
                return fail(here, "nesting deeper than " + std::to_string(filter::max_depth) + " levels");
            const auto& a = v.get_array();
            std::vector<filter> children(a.size());
            for (std::size_t i = 0; i < a.size(); ++i)
                if (auto ec = object(a[i], here + "[" + std::to_string(i) + "]", depth + 1, children[i]))
                    return ec;
            out = kind == filter_kind::and_ ? filter::and_(std::move(children))
                : kind == filter_kind::or_  ? filter::or_(std::move(children))
                                            : filter::nor(std::move(children));
            return {};
        }
        if (!v.is_object())
            return condition(key, filter_op::eq, v, here, out); // bare value or bare array
        const auto& ops = v.get_object();
        if (ops.empty())
            return fail(here, "empty operator object");
        std::vector<filter> parts(ops.size());
        std::size_t i = 0;
        for (const auto& kv : ops) {
            const auto op = op_from_name(kv.key());
            if (!op) {
                if (kv.key().empty() || kv.key().front() != '$')
                    return fail(here, "expected an operator, found \"" + std::string(kv.key()) + "\"");
                return fail(here, "unknown operator \"" + std::string(kv.key()) + "\"");
            }
            if (auto ec = condition(key, *op, kv.value(), join(here, kv.key()), parts[i++]))
                return ec;
        }
        out = parts.size() == 1 ? std::move(parts.front()) : filter::and_(std::move(parts));
        return {};
    }

    error_code object(const json::value& v, const std::string& path, std::size_t depth, filter& out)
    {
        if (!v.is_object())
            return fail(path, "expected an object");
        const auto& o = v.get_object();
        if (o.empty()) {
            out = filter::all();
            return {};
        }
        std::vector<filter> parts(o.size());
        std::size_t i = 0;
        for (const auto& kv : o)
            if (auto ec = entry(kv.key(), kv.value(), path, depth, parts[i++]))
                return ec;
        out = parts.size() == 1 ? std::move(parts.front()) : filter::and_(std::move(parts));
        return {};
    }
};

} // namespace

error_code parse_filter(const json::value& json, filter& out, std::string* why)
{
    parser p;
    p.why = why;
    filter result;
    if (auto ec = p.object(json, "", 0, result))
        return ec;
    if (auto ec = result.validate(why))
        return ec;
    out = std::move(result);
    return {};
}

} // namespace streamchat::detail
