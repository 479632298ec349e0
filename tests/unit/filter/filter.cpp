#include <streamchat/filter.hpp>

#include "filter/filter_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace streamchat;
using namespace std::chrono_literals;

namespace {

timestamp ts(std::string_view text)
{
    auto t = parse_timestamp(text);
    REQUIRE(t.has_value());
    return *t;
}

/// validate()'s reason, or "" when valid.
std::string why_invalid(const filter& f)
{
    std::string why;
    const auto ec = f.validate(&why);
    if (!ec)
        return {};
    CHECK(ec == error::invalid_filter);
    CHECK_FALSE(why.empty());
    return why;
}

/// Parses JSON text into a filter; returns the error reason ("" on success).
std::string parse_text(std::string_view text, filter& out)
{
    std::string why;
    const auto ec = detail::parse_filter(boost::json::parse(text), out, &why);
    if (!ec)
        return {};
    CHECK(ec == error::invalid_filter);
    CHECK_FALSE(why.empty());
    return why;
}

} // namespace

TEST_CASE("protocol examples produce the exact wire JSON")
{
    SECTION("members $in")
    {
        const auto f = filter::members_in({"john"});
        CHECK(f.to_json() == R"({"members":{"$in":["john"]}})");
        CHECK_FALSE(f.validate());
    }
    SECTION("type + members: implicit AND in one object")
    {
        const auto f = filter::eq("type", "messaging") && filter::members_in({"john"});
        CHECK(f.to_json() == R"({"type":"messaging","members":{"$in":["john"]}})");
        CHECK_FALSE(f.validate());
    }
    SECTION("$or of two")
    {
        const auto f = filter::eq("type", "messaging") || filter::eq("type", "livestream");
        CHECK(f.to_json() == R"({"$or":[{"type":"messaging"},{"type":"livestream"}]})");
        CHECK_FALSE(f.validate());
    }
    SECTION("$or next to other keys stays implicit AND")
    {
        const auto f = filter::eq("team", "red") && (filter::exists("x") || filter::exists("y", false));
        CHECK(f.to_json() == R"({"team":"red","$or":[{"x":{"$exists":true}},{"y":{"$exists":false}}]})");
    }
    SECTION("last_message_at range with timestamps needs $and (same field twice)")
    {
        const auto f = filter::gt("last_message_at", ts("2024-01-01T00:00:00Z"))
                    && filter::lte("last_message_at", ts("2024-02-01T10:00:00.5Z"));
        CHECK(f.to_json()
              == R"({"$and":[{"last_message_at":{"$gt":"2024-01-01T00:00:00Z"}},)"
                 R"({"last_message_at":{"$lte":"2024-02-01T10:00:00.500Z"}}]})");
        CHECK_FALSE(f.validate());
    }
    SECTION("keyset page: members + bound on the sort key")
    {
        const auto bound = std::chrono::sys_seconds{1'700'000'000s};
        const auto f = filter::members_in({"john"}) && filter::lte("last_message_at", bound);
        CHECK(f.to_json() == R"({"members":{"$in":["john"]},"last_message_at":{"$lte":"2023-11-14T22:13:20Z"}})");
    }
    SECTION("custom fields and every leaf operator")
    {
        const auto f = filter::eq("color", "red") && filter::contains("teams", "blue")
                    && filter::gt("priority", 3) && filter::gte("score", 1.5) && filter::lt("age", -2)
                    && filter::ne("status", "gone") && filter::nin("cid", {"a:1", "a:2"})
                    && filter::autocomplete("name", "jo") && filter::q("bio", "coffee")
                    && filter::eq("flag", true) && filter::eq("deleted_at", nullptr) && filter::exists("pinned");
        CHECK(f.to_json()
              == R"({"color":"red","teams":{"$contains":"blue"},"priority":{"$gt":3},"score":{"$gte":1.5E0},)"
                 R"("age":{"$lt":-2},"status":{"$ne":"gone"},"cid":{"$nin":["a:1","a:2"]},)"
                 R"("name":{"$autocomplete":"jo"},"bio":{"$q":"coffee"},"flag":true,"deleted_at":null,)"
                 R"("pinned":{"$exists":true}})");
        CHECK_FALSE(f.validate());
    }
    SECTION("nested $and of two $or, and $nor")
    {
        const auto f = filter::and_({filter::or_({filter::eq("a", 1), filter::eq("b", 2)}),
                                     filter::or_({filter::eq("c", 3), filter::eq("d", 4)})});
        CHECK(f.to_json() == R"({"$and":[{"$or":[{"a":1},{"b":2}]},{"$or":[{"c":3},{"d":4}]}]})");
        CHECK_FALSE(f.validate());

        const auto g = filter::eq("type", "messaging") && filter::nor({filter::eq("frozen", true)});
        CHECK(g.to_json() == R"({"type":"messaging","$nor":[{"frozen":true}]})");
        CHECK_FALSE(g.validate());
    }
    SECTION("empty filter and exact member set")
    {
        CHECK(filter::all().to_json() == "{}");
        CHECK(filter{}.to_json() == "{}");
        CHECK_FALSE(filter::all().validate());
        CHECK(filter::eq_array("members", {"a", "b"}).to_json() == R"({"members":{"$eq":["a","b"]}})");
        CHECK(filter::in("type", {"messaging", "team"}).to_json() == R"({"type":{"$in":["messaging","team"]}})");
    }
    SECTION("strings are escaped")
    {
        CHECK(filter::eq("name", "a\"b\\c\n").to_json() == R"({"name":"a\"b\\c\n"})");
    }
}

TEST_CASE("range overloads take containers of ids")
{
    const std::vector<std::string> ids{"john", "alice"};
    CHECK(filter::members_in(ids).to_json() == R"({"members":{"$in":["john","alice"]}})");
    CHECK(filter::in("id", ids) == filter::in("id", {"john", "alice"}));
    CHECK(filter::nin("id", ids).to_json() == R"({"id":{"$nin":["john","alice"]}})");
    const std::vector<int> counts{1, 2};
    CHECK(filter::in("member_count", counts).to_json() == R"({"member_count":{"$in":[1,2]}})");
    CHECK(filter::eq_array("filter_tags", std::vector<std::string_view>{"x"}).to_json()
          == R"({"filter_tags":{"$eq":["x"]}})");
}

TEST_CASE("filter_value keeps the type the caller meant")
{
    static_assert(!std::is_constructible_v<filter_value, char>);
    CHECK(std::holds_alternative<std::int64_t>(filter_value(1).get()));
    CHECK(std::holds_alternative<std::int64_t>(filter_value(std::uint32_t{7}).get()));
    CHECK(std::holds_alternative<double>(filter_value(1.5).get()));
    CHECK(std::holds_alternative<bool>(filter_value(false).get()));
    CHECK(std::holds_alternative<std::string>(filter_value("x").get()));
    CHECK(std::holds_alternative<timestamp>(filter_value(std::chrono::sys_seconds{1s}).get()));
    CHECK(filter_value(static_cast<const char*>(nullptr)).is_null());
    // Above INT64_MAX: the nearest double, since the wire has no larger integer.
    CHECK(std::holds_alternative<double>(filter_value(std::numeric_limits<std::uint64_t>::max()).get()));
    CHECK(std::get<std::int64_t>(filter_value(std::uint64_t{42}).get()) == 42);
}

TEST_CASE("&& and || flatten, all() is the AND identity")
{
    const auto a = filter::eq("a", 1), b = filter::eq("b", 2), c = filter::eq("c", 3);
    const auto and3 = a && b && c;
    CHECK(and3.kind() == filter_kind::and_);
    CHECK(and3.children().size() == 3);
    CHECK((a && (b && c)) == and3);
    const auto or3 = (a || b) || c;
    CHECK(or3.kind() == filter_kind::or_);
    CHECK(or3.children().size() == 3);
    CHECK((filter::all() && a) == a);
    CHECK((a && filter::all()) == a);
    CHECK((filter::all() || a).kind() == filter_kind::all);
    // An invalid one-child OR is nested, not absorbed, so validation still sees it.
    const auto bad = filter::or_({a}) || b;
    CHECK(bad.children().size() == 2);
    CHECK(why_invalid(bad) == "$or[0].$or: $or needs at least 2 sub-filters");
    // Explicit and_ keeps the structure it was given; the wire form still merges.
    const auto nested = filter::and_({filter::and_({a, b}), c});
    CHECK(nested.children().size() == 2);
    CHECK(nested.to_json() == R"({"a":1,"b":2,"c":3})");
}

TEST_CASE("inspection exposes the tree")
{
    const auto f = filter::in("cid", {"a", "b"});
    CHECK(f.kind() == filter_kind::condition);
    CHECK(f.field() == "cid");
    CHECK(f.op() == filter_op::in);
    CHECK(f.has_array_operand());
    CHECK(f.values().size() == 2);
    CHECK(f.value().is_null());
    const auto g = filter::gt("n", 5);
    CHECK_FALSE(g.has_array_operand());
    CHECK(std::get<std::int64_t>(g.value().get()) == 5);
    CHECK(to_string(filter_op::autocomplete) == "$autocomplete");
    CHECK(to_string(filter_op::q) == "$q");
}

TEST_CASE("validate rejects each invalid combination with a reason")
{
    CHECK(why_invalid(filter::eq("", 1)) == "empty field name");
    CHECK(why_invalid(filter::eq("$type", 1)).find("starts with '$'") != std::string::npos);
    CHECK(why_invalid(filter::in("cid", std::vector<filter_value>{})) == "cid.$in: $in needs a non-empty array");
    CHECK(why_invalid(filter::nin("cid", std::vector<filter_value>{})) == "cid.$nin: $nin needs a non-empty array");
    CHECK(why_invalid(filter::eq_array("members", std::vector<filter_value>{}))
          == "members.$eq: $eq needs a non-empty array");
    CHECK(why_invalid(filter::condition("cid", filter_op::in, "a")) == "cid.$in: $in needs a non-empty array");
    CHECK(why_invalid(filter::in("id", std::vector<int>(filter::max_array_items + 1, 7)))
          == "id.$in: $in has 1001 values, more than 1000");
    CHECK(why_invalid(filter::in("id", std::vector<int>(filter::max_array_items, 7))).empty());
    CHECK(why_invalid(filter::condition("x", filter_op::ne, std::vector<filter_value>{1}))
          == "x.$ne: $ne needs a single value, not an array");
    CHECK(why_invalid(filter::condition("x", filter_op::exists, "yes")) == "x.$exists: $exists needs true or false");
    CHECK(why_invalid(filter::autocomplete("name", "")) == "name.$autocomplete: $autocomplete needs a non-empty string");
    CHECK(why_invalid(filter::q("name", "")) == "name.$q: $q needs a non-empty string");
    CHECK(why_invalid(filter::condition("name", filter_op::q, 5)) == "name.$q: $q needs a non-empty string");
    CHECK(why_invalid(filter::gt("x", nullptr)) == "x.$gt: $gt needs a number, string or timestamp");
    CHECK(why_invalid(filter::lte("x", true)) == "x.$lte: $lte needs a number, string or timestamp");
    CHECK(why_invalid(filter::condition("x", filter_op::lt, std::vector<filter_value>{1}))
          == "x.$lt: $lt needs a single value, not an array");
    CHECK(why_invalid(filter::contains("teams", nullptr)) == "teams.$contains: $contains needs a value, not null");
    CHECK(why_invalid(filter::or_({filter::eq("a", 1)})) == "$or: $or needs at least 2 sub-filters");
    CHECK(why_invalid(filter::or_({})) == "$or: $or needs at least 2 sub-filters");
    CHECK(why_invalid(filter::and_({})) == "$and: $and needs at least 1 sub-filter");
    CHECK(why_invalid(filter::nor({})) == "$nor: $nor needs at least 1 sub-filter");
    CHECK(why_invalid(filter::eq("x", std::nan(""))) == "x.$eq: numbers must be finite");
    CHECK(why_invalid(filter::gt("x", std::numeric_limits<double>::infinity())) == "x.$gt: numbers must be finite");
    CHECK(why_invalid(filter::eq("x", "bad \xff utf8")) == "x.$eq: strings must be valid UTF-8");
    CHECK(why_invalid(filter::eq("x", "\xed\xa0\x80")) == "x.$eq: strings must be valid UTF-8"); // surrogate
    CHECK(why_invalid(filter::eq("x", "caf\xc3\xa9 \xf0\x9f\x98\x80")).empty());
    CHECK(why_invalid(filter::in("x", {"ok", "\xc0\xaf"})) == "x.$in[1]: strings must be valid UTF-8");

    SECTION("the path names the nested place")
    {
        const auto f = filter::eq("type", "messaging")
                    && (filter::eq("a", 1) || filter::members_in(std::vector<filter_value>{}));
        CHECK(why_invalid(f) == "$and[1].$or[1].members.$in: $in needs a non-empty array");
    }
    SECTION("nesting deeper than max_depth")
    {
        auto build = [](std::size_t levels) {
            filter f = filter::eq("x", 1);
            for (std::size_t i = 0; i < levels; ++i)
                f = filter::nor({f});
            return f;
        };
        CHECK(why_invalid(build(filter::max_depth)).empty());
        CHECK(why_invalid(build(filter::max_depth + 1)).find("nesting deeper than 8 levels") != std::string::npos);
    }
    SECTION("more than max_conditions conditions")
    {
        std::vector<filter> parts;
        for (std::size_t i = 0; i < filter::max_conditions; ++i)
            parts.push_back(filter::eq("f" + std::to_string(i), 1));
        CHECK(why_invalid(filter::and_(parts)).empty());
        parts.push_back(filter::eq("one_more", 1));
        CHECK(why_invalid(filter::and_(parts)).find("more than 100 conditions") != std::string::npos);
    }
    SECTION("validate without a reason pointer")
    {
        CHECK(filter::eq("", 1).validate() == error::invalid_filter);
    }
}

TEST_CASE("parse(to_json(f)) round-trips")
{
    const std::vector<filter> samples = {
        filter::all(),
        filter::members_in({"john"}),
        filter::eq("type", "messaging") && filter::members_in({"john", "alice"}),
        filter::eq("type", "messaging") || filter::eq("type", "team"),
        filter::gt("member_count", 2) && filter::lt("member_count", 10),
        filter::and_({filter::or_({filter::eq("a", 1), filter::eq("b", 2.5)}),
                      filter::or_({filter::eq("c", true), filter::eq("d", nullptr)})}),
        filter::eq("x", 1) && filter::nor({filter::eq("frozen", true), filter::exists("y", false)}),
        filter::eq_array("members", {"a", "b"}),
        filter::nin("cid", {"a:1"}) && filter::ne("status", "gone") && filter::contains("teams", "red")
            && filter::autocomplete("name", "jo") && filter::q("bio", "x y"),
        filter::or_({filter::eq("a", 1), filter::and_({filter::eq("b", 1), filter::eq("c", 1)})}),
    };
    for (const auto& f : samples) {
        INFO(f.to_json());
        REQUIRE_FALSE(f.validate());
        filter back = filter::eq("sentinel", 0);
        REQUIRE_FALSE(detail::parse_filter(detail::to_json_value(f), back));
        CHECK(back == f);
        CHECK(back.to_json() == f.to_json());
    }

    SECTION("timestamps come back as their text, with identical JSON")
    {
        const auto f = filter::members_in({"john"}) && filter::gte("created_at", ts("2024-05-06T07:08:09.123456Z"));
        filter back;
        REQUIRE_FALSE(detail::parse_filter(detail::to_json_value(f), back));
        CHECK(back.to_json() == f.to_json());
        CHECK(back.to_json() == R"({"members":{"$in":["john"]},"created_at":{"$gte":"2024-05-06T07:08:09.123456Z"}})");
    }
}

TEST_CASE("parse_filter accepts the other client spellings")
{
    filter f;
    SECTION("bare-array members form")
    {
        REQUIRE(parse_text(R"({"members":["a","b"]})", f).empty());
        CHECK(f == filter::eq_array("members", {"a", "b"}));
        CHECK(f.to_json() == R"({"members":{"$eq":["a","b"]}})");
    }
    SECTION("$eq with an array")
    {
        REQUIRE(parse_text(R"({"members":{"$eq":["a"]}})", f).empty());
        CHECK(f == filter::eq_array("members", {"a"}));
    }
    SECTION("explicit $eq with a scalar")
    {
        REQUIRE(parse_text(R"({"type":{"$eq":"messaging"}})", f).empty());
        CHECK(f == filter::eq("type", "messaging"));
        CHECK(f.to_json() == R"({"type":"messaging"})");
    }
    SECTION("several operators on one field")
    {
        REQUIRE(parse_text(R"({"member_count":{"$gt":1,"$lte":5}})", f).empty());
        CHECK(f == filter::and_({filter::gt("member_count", 1), filter::lte("member_count", 5)}));
    }
    SECTION("implicit AND keeps order, $or among other keys")
    {
        REQUIRE(parse_text(R"({"b":1,"$or":[{"x":1},{"y":2}],"a":{"$exists":false}})", f).empty());
        CHECK(f == filter::and_({filter::eq("b", 1), filter::eq("x", 1) || filter::eq("y", 2),
                                 filter::exists("a", false)}));
    }
    SECTION("empty object is all()")
    {
        REQUIRE(parse_text("{}", f).empty());
        CHECK(f == filter::all());
    }
    SECTION("doubles, negative numbers, null")
    {
        REQUIRE(parse_text(R"({"a":-3,"b":2.5,"c":null,"d":{"$in":[1,"x",true,null]}})", f).empty());
        CHECK(f == (filter::eq("a", -3) && filter::eq("b", 2.5) && filter::eq("c", nullptr)
                    && filter::in("d", {1, "x", true, nullptr})));
    }
}

TEST_CASE("parse_filter rejects malformed input with a reason and leaves out untouched")
{
    const filter original = filter::eq("keep", "me");
    auto reject = [&](std::string_view text) {
        filter f = original;
        std::string why = parse_text(text, f);
        CHECK(f == original);
        return why;
    };
    CHECK(reject("[]") == "expected an object");
    CHECK(reject("\"x\"") == "expected an object");
    CHECK(reject(R"({"type":{"$regex":"m.*"}})") == "type: unknown operator \"$regex\"");
    CHECK(reject(R"({"type":{"sub":1}})") == "type: expected an operator, found \"sub\"");
    CHECK(reject(R"({"type":{}})") == "type: empty operator object");
    CHECK(reject(R"({"$where":"1"})") == "$where: unknown logical operator \"$where\"");
    CHECK(reject(R"({"$or":{"a":1}})") == "$or: expected an array of filters");
    CHECK(reject(R"({"$or":[1,2]})") == "$or[0]: expected an object");
    CHECK(reject(R"({"a":[[1]]})") == "a[0]: nested arrays are not supported");
    CHECK(reject(R"({"a":{"$in":[{"x":1}]}})") == "a.$in[0]: objects are not supported as values");
    CHECK(reject(R"({"a":{"$gt":18446744073709551615}})") == "a.$gt: integer out of range");
    CHECK(reject(R"({"$or":[{"a":1}]})") == "$or: $or needs at least 2 sub-filters");
    CHECK(reject(R"({"a":{"$in":[]}})") == "a.$in: $in needs a non-empty array");
    CHECK(reject(R"({"a":{"$exists":"yes"}})") == "a.$exists: $exists needs true or false");
    CHECK(reject(R"({"$and":[]})") == "$and: $and needs at least 1 sub-filter");
    CHECK(reject(R"({"":1})") == "empty field name");

    SECTION("hostile nesting stops at max_depth without recursing further")
    {
        // Built programmatically: deeper than the JSON parser's own depth limit would allow.
        boost::json::value v = boost::json::object{{"x", 1}};
        for (int i = 0; i < 1000; ++i)
            v = boost::json::object{{"$and", boost::json::array{v}}};
        filter f = original;
        std::string why;
        CHECK(detail::parse_filter(v, f, &why) == error::invalid_filter);
        CHECK(why.find("nesting deeper than 8 levels") != std::string::npos);
        CHECK(f == original);
    }
    SECTION("too many array items are refused before conversion")
    {
        boost::json::array a;
        for (int i = 0; i < 1001; ++i)
            a.push_back(i);
        filter f;
        std::string why;
        CHECK(detail::parse_filter(boost::json::object{{"id", boost::json::object{{"$in", a}}}}, f, &why)
              == error::invalid_filter);
        CHECK(why == "id.$in: $in has 1001 values, more than 1000");
    }
}

TEST_CASE("logical operators name themselves as on the wire")
{
    CHECK(to_string(filter_kind::and_) == "$and");
    CHECK(to_string(filter_kind::or_) == "$or");
    CHECK(to_string(filter_kind::nor) == "$nor");
    CHECK(to_string(filter_kind::all).empty());
    CHECK(to_string(filter_kind::condition).empty());
}
