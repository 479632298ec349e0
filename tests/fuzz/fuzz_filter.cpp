// Fuzzes incoming filters and sorts (what the emulator reads from `filter_conditions` and `sort`):
// any bytes → boost::json::parse → parse_filter / parse_sort → validate, to_json and, for valid
// ones, to_sql against a small schema. Nothing may crash or throw. The documented round trip
// (to_json_value(parse(to_json_value(f))) == to_json_value(f)) is checked too: a mismatch aborts.

#include "emulator/sql_filter.hpp"
#include "filter/filter_json.hpp"
#include "filter/sort_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace streamchat;

emu::filter_schema make_schema()
{
    emu::filter_schema s;
    s.column = [](std::string_view f) -> std::optional<emu::sql_column> {
        if (f == "cid") return emu::sql_column{"c.cid", emu::sql_type::text};
        if (f == "type") return emu::sql_column{"c.type", emu::sql_type::text};
        if (f == "member_count") return emu::sql_column{"c.member_count", emu::sql_type::integer};
        if (f == "score") return emu::sql_column{"c.score", emu::sql_type::real};
        if (f == "frozen") return emu::sql_column{"c.frozen", emu::sql_type::boolean};
        if (f == "last_message_at") return emu::sql_column{"c.last_message_at", emu::sql_type::time};
        return std::nullopt;
    };
    s.special = [](std::string_view f) -> std::optional<emu::special_field> {
        if (f != "members") return std::nullopt;
        return emu::special_field{[](filter_op op, const std::vector<filter_value>& operands, emu::sql_fragment& out,
                                     std::string& why) -> error_code {
            if (op != filter_op::in && op != filter_op::eq) {
                why = "members: unsupported operator";
                return error::invalid_filter;
            }
            out.sql = "EXISTS(SELECT 1 FROM members m WHERE m.cid = c.cid AND m.user_id IN (";
            for (std::size_t i = 0; i < operands.size(); ++i) {
                const auto* id = std::get_if<std::string>(&operands[i].get());
                if (id == nullptr) {
                    why = "members: expected strings";
                    return error::invalid_filter;
                }
                out.sql += i == 0 ? "?" : ",?";
                out.params.emplace_back(*id);
            }
            out.sql += "))";
            return {};
        }};
    };
    s.custom_json_column = "c.extra";
    return s;
}

void fail(const char* what, const std::string& a, const std::string& b)
{
    std::fprintf(stderr, "%s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
    std::abort();
}

void run_filter(const boost::json::value& v, const emu::filter_schema& schema)
{
    filter f;
    std::string why;
    if (detail::parse_filter(v, f, &why)) return;
    // parse_filter validates, so what it returns must be valid and serialisable.
    if (auto ec = f.validate(&why)) fail("parse_filter accepted an invalid filter", why, f.to_json());
    (void)f.to_json();
    const auto once = detail::to_json_value(f);
    filter again;
    if (auto ec = detail::parse_filter(once, again, &why)) fail("re-parse of to_json_value failed", why, boost::json::serialize(once));
    const auto twice = detail::to_json_value(again);
    if (twice != once) fail("filter round trip differs", boost::json::serialize(once), boost::json::serialize(twice));
    emu::sql_fragment sql;
    (void)emu::to_sql(f, schema, sql, why);
}

void run_sort(const boost::json::value& v, const emu::filter_schema& schema)
{
    sort s;
    std::string why;
    if (detail::parse_sort(v, s, &why)) return;
    if (auto ec = s.validate(&why)) fail("parse_sort accepted an invalid sort", why, s.to_json());
    const auto once = detail::to_json_value(s);
    sort again;
    if (auto ec = detail::parse_sort(once, again, &why)) fail("re-parse of sort failed", why, boost::json::serialize(once));
    if (detail::to_json_value(again) != once) fail("sort round trip differs", boost::json::serialize(once), "");
    emu::sql_fragment sql;
    (void)emu::to_sql(s, schema, "c.cid", sql, why);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const emu::filter_schema schema = make_schema();
    boost::json::error_code ec;
    const auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec) return 0;
    run_filter(v, schema);
    run_sort(v, schema);
    // A query body: {"filter_conditions": {...}, "sort": [...]}.
    if (const auto* o = v.if_object()) {
        if (const auto* fc = o->if_contains("filter_conditions")) run_filter(*fc, schema);
        if (const auto* so = o->if_contains("sort")) run_sort(*so, schema);
    }
    return 0;
}
