#include <streamchat/sort.hpp>

#include "filter/sort_json.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

using namespace streamchat;

namespace {

std::string why_invalid(const sort& s, std::size_t max = sort::max_fields)
{
    std::string why;
    const auto ec = s.validate(&why, max);
    if (!ec)
        return {};
    CHECK(ec == error::invalid_sort);
    CHECK_FALSE(why.empty());
    return why;
}

std::string parse_text(std::string_view text, sort& out, std::size_t max = sort::max_fields)
{
    std::string why;
    const auto ec = detail::parse_sort(boost::json::parse(text), out, &why, max);
    if (!ec)
        return {};
    CHECK(ec == error::invalid_sort);
    return why;
}

} // namespace

TEST_CASE("sort produces the wire array in order")
{
    const sort s{{"last_message_at", sort_direction::descending}};
    CHECK(s.to_json() == R"([{"field":"last_message_at","direction":-1}])");
    CHECK_FALSE(s.validate());

    const auto t = sort::by("created_at", sort_direction::descending).then("id", sort_direction::descending);
    CHECK(t.to_json() == R"([{"field":"created_at","direction":-1},{"field":"id","direction":-1}])");

    sort u;
    CHECK(u.to_json() == "[]");
    CHECK(u.empty());
    u.then("pinned_at").then("cid", sort_direction::descending);
    CHECK(u.size() == 2);
    CHECK(u.to_json() == R"([{"field":"pinned_at","direction":1},{"field":"cid","direction":-1}])");
    CHECK(sort_field{"x"}.direction == sort_direction::ascending);
}

TEST_CASE("sort validation")
{
    CHECK(why_invalid(sort{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}).empty());
    CHECK(why_invalid(sort{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}, {"f"}}) == "sort: 6 fields, at most 5 allowed");
    CHECK(why_invalid(sort{{"a"}, {"b"}}, 1) == "sort: 2 fields, at most 1 allowed");
    CHECK(why_invalid(sort{{"a"}, {""}}) == "sort[1].field: empty");
    CHECK(why_invalid(sort{{"$a"}}) == "sort[0].field: \"$a\" starts with '$'");
    CHECK(why_invalid(sort{{"a", sort_direction::ascending}, {"a", sort_direction::descending}})
          == "sort[1].field: \"a\" appears twice");
    CHECK(why_invalid(sort{{"a", static_cast<sort_direction>(0)}}) == "sort[0].direction: expected 1 or -1, got 0");
    CHECK(sort{{""}}.validate() == error::invalid_sort);
}

TEST_CASE("parse_sort round-trips and reads the wire form")
{
    const sort s{{"last_updated", sort_direction::descending}, {"cid", sort_direction::ascending}};
    sort back;
    REQUIRE_FALSE(detail::parse_sort(detail::to_json_value(s), back));
    CHECK(back == s);

    sort t;
    REQUIRE(parse_text(R"([{"field":"created_at"},{"field":"n","direction":-1.0,"type":"number"}])", t).empty());
    CHECK(t == sort{{"created_at", sort_direction::ascending}, {"n", sort_direction::descending}});
}

TEST_CASE("parse_sort rejects malformed input and leaves out untouched")
{
    const sort original{{"keep"}};
    auto reject = [&](std::string_view text, std::size_t max = sort::max_fields) {
        sort s = original;
        auto why = parse_text(text, s, max);
        CHECK(s == original);
        return why;
    };
    CHECK(reject(R"({"field":"a"})") == "sort: expected an array");
    CHECK(reject(R"([1])") == "sort[0]: expected an object");
    CHECK(reject(R"([{"direction":1}])") == "sort[0].field: missing");
    CHECK(reject(R"([{"field":7}])") == "sort[0].field: expected a string");
    CHECK(reject(R"([{"field":"a","direction":0}])") == "sort[0].direction: expected 1 or -1");
    CHECK(reject(R"([{"field":"a","direction":"desc"}])") == "sort[0].direction: expected 1 or -1");
    CHECK(reject(R"([{"field":"a"},{"field":"a"}])") == "sort[1].field: \"a\" appears twice");
    CHECK(reject(R"([{"field":""}])") == "sort[0].field: empty");
    CHECK(reject(R"([{"field":"a"},{"field":"b"}])", 1) == "sort: 2 fields, at most 1 allowed");
    CHECK(reject(R"([{},{},{},{},{},{}])") == "sort: 6 fields, at most 5 allowed");
}
