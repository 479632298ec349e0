#include "filter/sort_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <set>
#include <string_view>

namespace streamchat {

namespace {

error_code sort_fail(std::string* why, std::string message)
{
    if (why != nullptr)
        *why = std::move(message);
    return error::invalid_sort;
}

} // namespace

error_code sort::validate(std::string* why, std::size_t max) const
{
    if (fields_.size() > max)
        return sort_fail(why, "sort: " + std::to_string(fields_.size()) + " fields, at most "
                                  + std::to_string(max) + " allowed");
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        const auto& f = fields_[i];
        const std::string here = "sort[" + std::to_string(i) + "]";
        if (f.field.empty())
            return sort_fail(why, here + ".field: empty");
        if (f.field.front() == '$')
            return sort_fail(why, here + ".field: \"" + f.field + "\" starts with '$'");
        if (f.direction != sort_direction::ascending && f.direction != sort_direction::descending)
            return sort_fail(why, here + ".direction: expected 1 or -1, got "
                                      + std::to_string(static_cast<int>(f.direction)));
        if (!seen.insert(f.field).second)
            return sort_fail(why, here + ".field: \"" + f.field + "\" appears twice");
    }
    return {};
}

std::string sort::to_json() const { return boost::json::serialize(detail::to_json_value(*this)); }

namespace detail {

namespace json = boost::json;

json::value to_json_value(const sort& s)
{
    json::array a;
    a.reserve(s.size());
    for (const auto& f : s.fields()) {
        json::object o;
        o["field"] = f.field;
        o["direction"] = static_cast<int>(f.direction);
        a.push_back(std::move(o));
    }
    return a;
}

error_code parse_sort(const json::value& json, sort& out, std::string* why, std::size_t max)
{
    if (!json.is_array())
        return sort_fail(why, "sort: expected an array");
    const auto& a = json.get_array();
    // Checked before reading so a huge array costs nothing.
    if (a.size() > max)
        return sort_fail(why, "sort: " + std::to_string(a.size()) + " fields, at most " + std::to_string(max)
                                  + " allowed");
    std::vector<sort_field> fields;
    fields.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string here = "sort[" + std::to_string(i) + "]";
        if (!a[i].is_object())
            return sort_fail(why, here + ": expected an object");
        const auto& o = a[i].get_object();
        const auto* field = o.if_contains("field");
        if (field == nullptr)
            return sort_fail(why, here + ".field: missing");
        if (!field->is_string())
            return sort_fail(why, here + ".field: expected a string");
        sort_field f{std::string(field->get_string()), sort_direction::ascending};
        if (const auto* dir = o.if_contains("direction")) {
            // 1, -1, and their double spellings (1.0) are accepted; anything else is not.
            if (dir->is_int64() && (dir->get_int64() == 1 || dir->get_int64() == -1))
                f.direction = static_cast<sort_direction>(dir->get_int64());
            else if (dir->is_double() && (dir->get_double() == 1.0 || dir->get_double() == -1.0))
                f.direction = dir->get_double() > 0 ? sort_direction::ascending : sort_direction::descending;
            else
                return sort_fail(why, here + ".direction: expected 1 or -1");
        }
        fields.push_back(std::move(f));
    }
    sort result(std::move(fields));
    if (auto ec = result.validate(why, max))
        return ec;
    out = std::move(result);
    return {};
}

} // namespace detail

} // namespace streamchat
