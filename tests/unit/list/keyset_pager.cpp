// The channel-list pager: the requests it makes, and every channel exactly once against an
// in-memory server (sizes, page sizes, ties, nulls, moves, removals, servers that ignore bounds)
// and against the emulator's queryChannels.

#include "list/keyset_pager.hpp"

#include "unit/emulator/handlers_fixture.hpp"

#include <streamchat/timestamp.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

using namespace streamchat;
using streamchat::detail::keyset_field;
using streamchat::detail::keyset_pager;
using streamchat::detail::keyset_pager_config;
using streamchat::detail::page_kind;
using streamchat::detail::page_request;
using streamchat::detail::page_row;
using streamchat::detail::pager_end;

namespace {

using strings = std::vector<std::string>;

timestamp at(std::int64_t seconds) { return timestamp{std::chrono::seconds(seconds)}; }

keyset_pager_config cfg_with(int limit, int offset_rows = 1000)
{
    keyset_pager_config c;
    c.limit = limit;
    c.offset_rows = offset_rows;
    return c;
}

// ------------------------------------------------------------------ an in-memory server

struct sim_row {
    std::string cid;
    std::optional<std::int64_t> lma; // last_message_at in seconds; none: no message yet
    std::int64_t members = 2;
    std::int64_t created = 0;
    std::string team = "red";
};

filter_value field_of(const sim_row& r, std::string_view field)
{
    if (field == "cid") return r.cid;
    if (field == "last_message_at") return r.lma ? filter_value(at(*r.lma)) : filter_value();
    if (field == "created_at") return at(r.created);
    if (field == "member_count" || field == "priority") return r.members; // priority: a custom field
    if (field == "team") return r.team;
    FAIL("the simulated server has no field " << field);
    return {};
}

// The server's side works on light values, compiled once per request: it runs millions of
// comparisons, and Catch assertions or variant copies there would dominate the test's time.

// A value as the server compares it: absent, an integer (times in nanoseconds), or a string.
struct sim_value {
    enum kind_t : unsigned char { absent, integer, text } kind = absent;
    std::int64_t i = 0;
    std::string_view s{};
};

enum class sim_field : unsigned char { cid, lma, created, members, team };

sim_field field_id(std::string_view field)
{
    if (field == "cid") return sim_field::cid;
    if (field == "last_message_at") return sim_field::lma;
    if (field == "created_at") return sim_field::created;
    if (field == "member_count" || field == "priority") return sim_field::members;
    if (field == "team") return sim_field::team;
    FAIL("the simulated server has no field " << field);
    return sim_field::cid;
}

constexpr std::int64_t ns_per_s = 1'000'000'000;

sim_value value_of(const sim_row& r, sim_field f)
{
    switch (f) {
    case sim_field::cid: return {sim_value::text, 0, r.cid};
    case sim_field::lma: return r.lma ? sim_value{sim_value::integer, *r.lma * ns_per_s, {}} : sim_value{};
    case sim_field::created: return {sim_value::integer, r.created * ns_per_s, {}};
    case sim_field::members: return {sim_value::integer, r.members, {}};
    case sim_field::team: return {sim_value::text, 0, r.team};
    }
    return {};
}

// Views into `v`, which outlives the request.
sim_value operand_of(const filter_value& v)
{
    if (const auto* x = std::get_if<std::string>(&v.get())) return {sim_value::text, 0, *x};
    if (const auto* x = std::get_if<std::int64_t>(&v.get())) return {sim_value::integer, *x, {}};
    if (const auto* x = std::get_if<timestamp>(&v.get())) return {sim_value::integer, x->time_since_epoch().count(), {}};
    if (v.is_null()) return {};
    FAIL("unexpected operand type");
    return {};
}

// Orders two present values of one field.
int compare(const sim_value& a, const sim_value& b)
{
    if (a.kind != b.kind) FAIL("values of one field with different types");
    if (a.kind == sim_value::text) return a.s.compare(b.s) < 0 ? -1 : a.s == b.s ? 0 : 1;
    return (a.i > b.i) - (a.i < b.i);
}

struct sim_filter {
    filter_kind kind = filter_kind::all;
    filter_op op = filter_op::eq;
    sim_field field = sim_field::cid;
    std::vector<sim_value> operands;
    bool present = true; // $exists
    std::vector<sim_filter> children;
};

sim_filter compile(const filter& f)
{
    sim_filter out;
    out.kind = f.kind();
    for (const filter& c : f.children()) out.children.push_back(compile(c));
    if (f.kind() != filter_kind::condition) return out;
    out.op = f.op();
    out.field = field_id(f.field());
    switch (f.op()) {
    case filter_op::exists: out.present = std::get<bool>(f.value().get()); break;
    case filter_op::eq: case filter_op::lt: case filter_op::lte: case filter_op::gt: case filter_op::gte:
    case filter_op::in:
        for (const filter_value& v : f.values()) out.operands.push_back(operand_of(v));
        break;
    default: FAIL("the pager sent an operator it should not: " << to_string(f.op()));
    }
    return out;
}

// The filter language as the emulator reads it: an absent value fails $eq and every comparison.
bool matches(const sim_filter& f, const sim_row& r)
{
    switch (f.kind) {
    case filter_kind::all: return true;
    case filter_kind::and_:
        return std::all_of(f.children.begin(), f.children.end(), [&](const sim_filter& c) { return matches(c, r); });
    case filter_kind::or_:
        return std::any_of(f.children.begin(), f.children.end(), [&](const sim_filter& c) { return matches(c, r); });
    case filter_kind::nor:
        return std::none_of(f.children.begin(), f.children.end(), [&](const sim_filter& c) { return matches(c, r); });
    case filter_kind::condition: break;
    }
    const sim_value v = value_of(r, f.field);
    if (f.op == filter_op::exists) return (v.kind != sim_value::absent) == f.present;
    if (v.kind == sim_value::absent) return false;
    switch (f.op) {
    case filter_op::eq: return compare(v, f.operands.front()) == 0;
    case filter_op::lt: return compare(v, f.operands.front()) < 0;
    case filter_op::lte: return compare(v, f.operands.front()) <= 0;
    case filter_op::gt: return compare(v, f.operands.front()) > 0;
    case filter_op::gte: return compare(v, f.operands.front()) >= 0;
    case filter_op::in:
        return std::any_of(f.operands.begin(), f.operands.end(), [&](const sim_value& x) { return compare(v, x) == 0; });
    default: return false;
    }
}

struct sim_server {
    std::vector<sim_row> rows;
    bool ignore_filter = false;    // a broken server: answers as if the filter were {}
    bool ignore_cid_bound = false; // a server that drops conditions on cid
    bool rows_change = false;      // rows change between requests: no cached order
    int requests = 0;

    // Offset pages of one query share their order: sorted once while the rows do not change.
    std::string cached_query;
    std::vector<const sim_row*> cached_order;

    static filter without_cid(const filter& f)
    {
        if (f.kind() == filter_kind::condition) return f.field() == "cid" ? filter::all() : f;
        if (f.kind() != filter_kind::and_) return f;
        filter out;
        for (const filter& c : f.children()) out = std::move(out) && without_cid(c);
        return out;
    }

    // Sorted like the emulator: each key in its direction with absent values last, then cid in
    // the last key's direction.
    std::vector<const sim_row*> query(const page_request& r)
    {
        ++requests;
        std::string why;
        if (r.limit < 1 || r.limit > 30 || r.offset < 0 || r.offset > 1000 || r.filter_conditions.validate(&why)
            || r.sort.validate(&why))
            FAIL("a request queryChannels refuses: limit " << r.limit << " offset " << r.offset << " "
                 << r.filter_conditions.to_json() << " " << r.sort.to_json() << " " << why);
        const filter f = ignore_filter ? filter::all() : ignore_cid_bound ? without_cid(r.filter_conditions)
                                                                          : r.filter_conditions;
        const bool cacheable = !rows_change && r.kind == page_kind::offset;
        std::string query_text;
        if (cacheable) {
            query_text = f.to_json() + r.sort.to_json();
            if (query_text == cached_query) return slice(cached_order, r);
        }
        const sim_filter compiled = compile(f);
        std::vector<const sim_row*> hit;
        for (const sim_row& row : rows)
            if (matches(compiled, row)) hit.push_back(&row);
        struct key {
            sim_field field;
            bool desc;
        };
        std::vector<key> keys;
        for (const sort_field& k : r.sort.fields())
            keys.push_back({field_id(k.field), k.direction == sort_direction::descending});
        const bool last_desc = !keys.empty() && keys.back().desc;
        auto before = [&](const sim_row* a, const sim_row* b) {
            for (const key& k : keys) {
                const sim_value x = value_of(*a, k.field), y = value_of(*b, k.field);
                if (x.kind == sim_value::absent || y.kind == sim_value::absent) {
                    if (x.kind != y.kind) return y.kind == sim_value::absent;
                    continue;
                }
                const int c = compare(x, y);
                if (c != 0) return k.desc ? c > 0 : c < 0;
            }
            return last_desc ? a->cid > b->cid : a->cid < b->cid;
        };
        if (cacheable) {
            std::sort(hit.begin(), hit.end(), before);
            cached_query = std::move(query_text);
            cached_order = std::move(hit);
            return slice(cached_order, r);
        }
        const std::size_t end = std::min(hit.size(), static_cast<std::size_t>(r.offset + r.limit));
        std::partial_sort(hit.begin(), hit.begin() + static_cast<std::ptrdiff_t>(end), hit.end(), before);
        return slice(hit, r);
    }

    static std::vector<const sim_row*> slice(const std::vector<const sim_row*>& sorted, const page_request& r)
    {
        const std::size_t end = std::min(sorted.size(), static_cast<std::size_t>(r.offset + r.limit));
        if (static_cast<std::size_t>(r.offset) >= end) return {};
        return {sorted.begin() + r.offset, sorted.begin() + static_cast<std::ptrdiff_t>(end)};
    }
};

struct run_result {
    strings delivered;    // by the pager, in order
    strings via_event;    // added by the owner from move events
    pager_end end = pager_end::none;
    int requests = 0;
    detail::keyset_pager_metrics metrics{};
};

// Between two pages; may change the server's rows and report moves through `moved`.
using between_pages = std::function<void(sim_server&, keyset_pager&, int page, strings& moved)>;

// The owner's side of the contract: a moved channel the pager has not returned arrives through
// its event and is marked.
void on_moved(keyset_pager& p, const strings& moved, run_result& out)
{
    for (const std::string& cid : moved)
        if (p.mark_seen(cid)) out.via_event.push_back(cid);
}

run_result page_all(sim_server& s, const filter& base, const streamchat::sort& order, const keyset_pager_config& cfg,
                    const between_pages& between = {}, const between_pages& inside = {})
{
    keyset_pager p(base, order, cfg);
    run_result out;
    std::vector<page_row> rows;
    strings moved;
    s.rows_change = between || inside;
    for (int page = 0; !p.done(); ++page) {
        if (page >= 200000) FAIL("paging does not end");
        if (between) {
            moved.clear();
            between(s, p, page, moved);
            on_moved(p, moved, out);
        }
        const page_request req = p.next();
        if (req.limit != p.limit()) FAIL("limit " << req.limit);
        const std::vector<const sim_row*> got = s.query(req);
        // A move applied after the server computed the page, whose event arrives before the page.
        std::vector<sim_row> snapshot;
        for (const sim_row* r : got) snapshot.push_back(*r);
        if (inside) {
            moved.clear();
            inside(s, p, page, moved);
            on_moved(p, moved, out);
        }
        rows.clear();
        const std::string primary = p.effective_sort().fields().front().field;
        for (const sim_row& r : snapshot) rows.push_back(page_row{r.cid, field_of(r, primary)});
        const auto res = p.on_page(rows);
        if (res.fresh.size() + res.duplicates != rows.size()) FAIL("fresh + duplicates != rows");
        for (std::size_t i : res.fresh) out.delivered.push_back(snapshot[i].cid);
    }
    out.end = p.end();
    out.requests = s.requests;
    out.metrics = p.metrics();
    return out;
}

// Every cid of `expected` exactly once across the pager and the events, nothing else.
void check_exactly_once(const run_result& r, strings expected)
{
    strings all = r.delivered;
    all.insert(all.end(), r.via_event.begin(), r.via_event.end());
    std::sort(all.begin(), all.end());
    std::sort(expected.begin(), expected.end());
    const auto dup = std::adjacent_find(all.begin(), all.end());
    INFO("first duplicate: " << (dup == all.end() ? std::string("none") : *dup));
    CHECK(dup == all.end());
    CHECK(all.size() == expected.size());
    CHECK(all == expected);
}

strings cids_of(const std::vector<sim_row>& rows, const std::string& team = {})
{
    strings out;
    for (const auto& r : rows)
        if (team.empty() || r.team == team) out.push_back(r.cid);
    return out;
}

enum class pattern { distinct, small_ties, page_ties, huge_ties, all_equal, some_null, all_null };

const char* name_of(pattern p)
{
    switch (p) {
    case pattern::distinct: return "distinct";
    case pattern::small_ties: return "small ties";
    case pattern::page_ties: return "ties of about a page";
    case pattern::huge_ties: return "ties of hundreds";
    case pattern::all_equal: return "all equal";
    case pattern::some_null: return "a quarter without messages";
    case pattern::all_null: return "none with messages";
    }
    return "?";
}

// `n` channels; cids in random order relative to the keys. Every third is on team blue.
std::vector<sim_row> make_rows(std::size_t n, pattern p, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    auto below = [&](std::uint64_t k) { return k == 0 ? 0 : static_cast<std::int64_t>(rng() % k); };
    std::vector<sim_row> rows(n);
    std::vector<std::int64_t> perm(n);
    for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<std::int64_t>(i);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (std::size_t i = 0; i < n; ++i) {
        sim_row& r = rows[i];
        r.cid = "messaging:c" + std::to_string(rng() % 1000000) + "-" + std::to_string(i);
        r.created = 1'700'000'000 + perm[i];
        r.members = 2 + below(4);
        r.team = i % 3 == 0 ? "blue" : "red";
        const std::int64_t base = 1'704'067'200;
        switch (p) {
        case pattern::distinct: r.lma = base + perm[i] * 7; break;
        case pattern::small_ties: r.lma = base + below(n / 2 + 1); break;
        case pattern::page_ties: r.lma = base + below(n / 30 + 1); break;
        case pattern::huge_ties: r.lma = base + below(4); break;
        case pattern::all_equal: r.lma = base; break;
        case pattern::some_null:
            if (below(4) != 0) r.lma = base + below(n + 1);
            break;
        case pattern::all_null: break;
        }
    }
    return rows;
}

} // namespace

// ------------------------------------------------------------------ requests

TEST_CASE("keyset_pager: offset pages first, then a bound on the primary key with cid as tie-breaker")
{
    const filter mine = filter::members_in({"john"});
    keyset_pager p(mine, streamchat::sort::by("last_message_at", sort_direction::descending));
    CHECK(p.key_field() == "last_message_at");
    CHECK_FALSE(p.row_cap());
    CHECK(p.limit() == 30);

    auto first = p.next();
    CHECK(first.kind == page_kind::offset);
    CHECK(first.offset == 0);
    CHECK(first.limit == 30);
    CHECK(first.filter_conditions.to_json() == R"({"members":{"$in":["john"]}})");
    CHECK(first.sort.to_json() == R"([{"field":"last_message_at","direction":-1},{"field":"cid","direction":-1}])");

    // Full pages of distinct keys: offsets 0, 30, ..., 960 (the last whose rows end within 1000).
    std::int64_t t = 1'000'000;
    int n = 0;
    auto feed = [&](std::size_t count) {
        std::vector<std::string> cids;
        std::vector<page_row> rows;
        for (std::size_t i = 0; i < count; ++i) cids.push_back("m:" + std::to_string(n++));
        for (std::size_t i = 0; i < count; ++i) rows.push_back({cids[i], filter_value(at(t--))});
        return p.on_page(rows);
    };
    for (int offset = 0; offset <= 960; offset += 30) {
        const auto r = p.next();
        REQUIRE(r.kind == page_kind::offset);
        CHECK(r.offset == offset);
        CHECK(feed(30).fresh.size() == 30);
    }
    const auto keyset = p.next();
    CHECK(keyset.kind == page_kind::keyset);
    CHECK(keyset.offset == 0);
    CHECK(keyset.filter_conditions.to_json() ==
          R"({"members":{"$in":["john"]},"last_message_at":{"$lte":")" + format_timestamp(at(t + 1)) + R"("}})");
    CHECK(keyset.sort == first.sort);

    // The inclusive bound returns the boundary row again: dropped.
    std::vector<std::string> cids{"m:989", "m:x1", "m:x2"};
    std::vector<page_row> rows{{cids[0], filter_value(at(t + 1))}, {cids[1], filter_value(at(t))},
                               {cids[2], filter_value(at(t - 1))}};
    const auto res = p.on_page(rows);
    CHECK(res.duplicates == 1);
    CHECK(res.fresh == std::vector<std::size_t>{1, 2});
    CHECK_FALSE(p.done()); // a short page, but last_message_at is nullable: ...
    const auto nulls = p.next(); // ... the channels without messages come last, by cid
    CHECK(nulls.kind == page_kind::null_walk);
    CHECK(nulls.filter_conditions.to_json() == R"({"members":{"$in":["john"]},"last_message_at":{"$exists":false}})");
    CHECK(nulls.sort.to_json() == R"([{"field":"cid","direction":-1}])");
    CHECK(p.on_page({}).fresh.empty());
    CHECK(p.done());
    CHECK(p.end() == pager_end::end_of_list);
    CHECK(p.metrics().offset_pages == 33);
    CHECK(p.metrics().keyset_pages == 1);
    CHECK(p.metrics().null_walk_pages == 1);
    CHECK(p.metrics().duplicates == 1);
    CHECK(p.seen_count() == 992);
}

TEST_CASE("keyset_pager: a page of ties is walked by cid, then the bound becomes strict")
{
    keyset_pager p(filter::all(), streamchat::sort::by("member_count", sort_direction::descending), cfg_with(3, 0));
    std::vector<std::string> cids{"m:a", "m:b", "m:c", "m:d", "m:e", "m:f"};
    auto row = [&](int i, std::int64_t members) { return page_row{cids[static_cast<std::size_t>(i)], members}; };

    CHECK(p.next().kind == page_kind::offset);
    std::vector<page_row> page1{row(0, 9), row(1, 5), row(2, 5)};
    p.on_page(page1);
    // Two rows tied at 5 (fewer than a page): inclusive bound.
    auto r = p.next();
    CHECK(r.kind == page_kind::keyset);
    CHECK(r.filter_conditions.to_json() == R"({"member_count":{"$lte":5}})");
    std::vector<page_row> page2{row(1, 5), row(2, 5), row(3, 5)};
    CHECK(p.on_page(page2).fresh == std::vector<std::size_t>{2});
    // A whole page at 5: the inclusive bound would return it again. Walk 5 after the last cid
    // received (the sort is [member_count, cid], so the tied rows came in cid order).
    r = p.next();
    CHECK(r.kind == page_kind::tie_walk);
    CHECK(r.filter_conditions.to_json() == R"({"member_count":5,"cid":{"$lt":"m:d"}})");
    CHECK(r.sort.to_json() == R"([{"field":"cid","direction":-1}])");
    std::vector<page_row> walk{row(4, 5)};
    CHECK(p.on_page(walk).fresh.size() == 1);
    r = p.next();
    CHECK(r.kind == page_kind::keyset);
    CHECK(r.filter_conditions.to_json() == R"({"member_count":{"$lt":5}})");
    std::vector<page_row> rest{row(5, 2)};
    CHECK(p.on_page(rest).fresh.size() == 1);
    CHECK(p.end() == pager_end::end_of_list); // member_count is never absent: no null walk
    CHECK(p.metrics().tie_walk_pages == 1);
}

TEST_CASE("keyset_pager: the sort as given, and the tie-breaker it gets")
{
    SECTION("an empty sort is the server default written out")
    {
        keyset_pager p(filter::all(), streamchat::sort{});
        CHECK(p.key_field() == "last_updated");
        CHECK(p.effective_sort().to_json() ==
              R"([{"field":"last_updated","direction":-1},{"field":"cid","direction":-1}])");
    }
    SECTION("ascending keys get an ascending tie-breaker and $gte bounds")
    {
        keyset_pager p(filter::all(), streamchat::sort::by("created_at"), cfg_with(2, 0));
        CHECK(p.effective_sort().to_json() ==
              R"([{"field":"created_at","direction":1},{"field":"cid","direction":1}])");
        std::vector<std::string> cids{"m:a", "m:b"};
        std::vector<page_row> rows{{cids[0], filter_value(at(10))}, {cids[1], filter_value(at(20))}};
        p.on_page(rows);
        CHECK(p.next().filter_conditions.to_json() == R"({"created_at":{"$gte":"1970-01-01T00:00:20Z"}})");
    }
    SECTION("a cid already in the sort is kept, with its direction")
    {
        keyset_pager p(filter::all(), streamchat::sort{{"member_count", sort_direction::descending}, {"cid", sort_direction::ascending}},
                       cfg_with(2, 0));
        CHECK(p.effective_sort().size() == 2);
        std::vector<std::string> cids{"m:a", "m:b"};
        std::vector<page_row> rows{{cids[0], std::int64_t{4}}, {cids[1], std::int64_t{4}}};
        p.on_page(rows);
        const auto walk = p.next();
        CHECK(walk.kind == page_kind::tie_walk);
        CHECK(walk.filter_conditions.to_json() == R"({"member_count":4,"cid":{"$gt":"m:b"}})");
        CHECK(walk.sort.to_json() == R"([{"field":"cid","direction":1}])");
    }
    SECTION("a secondary key: a tie is walked from its start, as the tied rows came in another order")
    {
        keyset_pager p(filter::all(), streamchat::sort{{"member_count", sort_direction::descending}, {"created_at", sort_direction::ascending}},
                       cfg_with(2, 0));
        CHECK(p.effective_sort().to_json() ==
              R"([{"field":"member_count","direction":-1},{"field":"created_at","direction":1},{"field":"cid","direction":-1}])");
        std::vector<std::string> cids{"m:a", "m:b"};
        std::vector<page_row> rows{{cids[0], std::int64_t{4}}, {cids[1], std::int64_t{4}}};
        p.on_page(rows);
        CHECK(p.next().filter_conditions.to_json() == R"({"member_count":4})");
    }
    SECTION("a full sort gets no sixth key")
    {
        streamchat::sort five{{"member_count", sort_direction::descending}, {"created_at", sort_direction::ascending},
                              {"a", sort_direction::ascending}, {"b", sort_direction::ascending}, {"c", sort_direction::ascending}};
        keyset_pager p(filter::all(), five);
        CHECK(p.effective_sort() == five);
    }
    SECTION("cid as the primary key: strict bounds, never a walk")
    {
        keyset_pager p(filter::all(), streamchat::sort::by("cid"), cfg_with(2, 0));
        CHECK(p.effective_sort().size() == 1);
        std::vector<std::string> cids{"m:a", "m:b"};
        std::vector<page_row> rows{{cids[0], "m:a"}, {cids[1], "m:b"}};
        p.on_page(rows);
        CHECK(p.next().filter_conditions.to_json() == R"({"cid":{"$gt":"m:b"}})");
    }
    SECTION("configuration is clamped to what the server accepts")
    {
        keyset_pager big(filter::all(), streamchat::sort::by("created_at"), cfg_with(500, 5000));
        CHECK(big.limit() == 30);
        keyset_pager small(filter::all(), streamchat::sort::by("created_at"), cfg_with(-3, -1));
        CHECK(small.limit() == 1);
    }
}

TEST_CASE("keyset_pager: a sort without a usable key pages with offsets to the cap and says so")
{
    for (const char* field : {"has_unread", "priority", "unread_count"}) {
        keyset_pager p(filter::all(), streamchat::sort::by(field, sort_direction::descending));
        CHECK(p.key_field().empty());
        REQUIRE(p.row_cap());
        CHECK(*p.row_cap() == 1030);
    }
    sim_server s;
    s.rows = make_rows(1500, pattern::distinct, 1);
    const auto r = page_all(s, filter::all(), streamchat::sort::by("priority", sort_direction::descending), cfg_with(30));
    CHECK(r.end == pager_end::capped);
    CHECK(r.delivered.size() == 1030);
    CHECK(r.requests == 35); // offsets 0, 30, ..., 990, then 1000
    CHECK(r.metrics.duplicates == 20);

    sim_server fits;
    fits.rows = make_rows(1030, pattern::distinct, 2);
    const auto all = page_all(fits, filter::all(), streamchat::sort::by("priority"), cfg_with(30));
    check_exactly_once(all, cids_of(fits.rows));
    CHECK(all.end == pager_end::capped); // a full last page: it cannot know there is no more

    sim_server shorter;
    shorter.rows = make_rows(1029, pattern::distinct, 3);
    const auto ended = page_all(shorter, filter::all(), streamchat::sort::by("priority"), cfg_with(30));
    check_exactly_once(ended, cids_of(shorter.rows));
    CHECK(ended.end == pager_end::end_of_list);
}

TEST_CASE("keyset_pager: an empty list, and a page after the end")
{
    keyset_pager p(filter::all(), streamchat::sort::by("last_message_at", sort_direction::descending));
    CHECK(p.on_page({}).fresh.empty());
    CHECK(p.end() == pager_end::end_of_list); // an empty offset page covers the nulls too
    CHECK(p.metrics().pages == 1);
    std::vector<std::string> cids{"m:a", "m:a"};
    std::vector<page_row> late{{cids[0], {}}, {cids[1], {}}};
    const auto res = p.on_page(late);
    CHECK(res.fresh == std::vector<std::size_t>{0});
    CHECK(res.duplicates == 1);
    CHECK(p.metrics().pages == 1);
    CHECK(p.next().limit == 0);
}

TEST_CASE("keyset_pager: mark_seen drops a channel that arrived through an event")
{
    keyset_pager p(filter::all(), streamchat::sort::by("created_at"), cfg_with(2));
    CHECK(p.mark_seen("m:b"));
    CHECK_FALSE(p.mark_seen("m:b"));
    CHECK(p.seen("m:b"));
    CHECK_FALSE(p.seen("m:a"));
    std::vector<std::string> cids{"m:a", "m:b"};
    std::vector<page_row> rows{{cids[0], filter_value(at(1))}, {cids[1], filter_value(at(2))}};
    const auto res = p.on_page(rows);
    CHECK(res.fresh == std::vector<std::size_t>{0});
    CHECK(res.duplicates == 1);
    CHECK(p.seen("m:a"));
}

// ------------------------------------------------------------------ every channel exactly once

TEST_CASE("keyset_pager: every channel exactly once, for many sizes, page sizes and tie patterns")
{
    // The switch from offsets to keyset follows `offset_rows`, so small lists with a small
    // `offset_rows` walk the same paths as large ones with the server's 1000; sizes around 1000
    // run with the real cap.
    struct shape {
        std::vector<int> limits;
        int offset_rows;
        std::vector<std::size_t> sizes;
    };
    const std::vector<shape> shapes{
        {{1, 2, 7, 30}, 0, {0, 1, 2, 6, 7, 8, 29, 30, 31, 59, 61, 90, 200}},
        {{1, 2, 7, 30}, 60, {0, 1, 2, 7, 30, 31, 59, 60, 61, 62, 67, 90, 200}},
        {{7, 30}, 1000, {989, 990, 991, 1000, 1001, 1030, 1031, 1100}},
    };
    const std::vector<pattern> patterns{pattern::distinct, pattern::small_ties, pattern::page_ties, pattern::huge_ties,
                                        pattern::all_equal, pattern::some_null, pattern::all_null};
    std::uint64_t seed = 7;
    std::uint64_t tie_walks = 0, null_walks = 0, keyset_pages = 0;
    for (const shape& sh : shapes) {
        for (const int limit : sh.limits) {
            for (const std::size_t n : sh.sizes) {
                for (const pattern pat : patterns) {
                    for (const auto dir : {sort_direction::descending, sort_direction::ascending}) {
                        INFO("n=" << n << " limit=" << limit << " offset_rows=" << sh.offset_rows << " "
                                  << name_of(pat) << (dir == sort_direction::descending ? " desc" : " asc"));
                        sim_server s;
                        s.rows = make_rows(n, pat, ++seed);
                        const auto r = page_all(s, filter::all(), streamchat::sort::by("last_message_at", dir),
                                                cfg_with(limit, sh.offset_rows));
                        check_exactly_once(r, cids_of(s.rows));
                        CHECK(r.end == pager_end::end_of_list);
                        tie_walks += r.metrics.tie_walk_pages;
                        null_walks += r.metrics.null_walk_pages;
                        keyset_pages += r.metrics.keyset_pages;
                        if (pat == pattern::distinct && limit > 1) {
                            // One row of overlap per keyset page, plus the null check at the end.
                            const auto bound = static_cast<int>(n) / (limit - 1) + 3;
                            CHECK(r.requests <= bound);
                        }
                    }
                }
            }
        }
    }
    // Every kind of request took part.
    CHECK(keyset_pages > 1000);
    CHECK(tie_walks > 1000);
    CHECK(null_walks > 1000);
}

TEST_CASE("keyset_pager: a filtered list, secondary sort keys, and 5,000 channels")
{
    std::uint64_t seed = 1000;
    for (const pattern pat : {pattern::distinct, pattern::small_ties, pattern::huge_ties, pattern::some_null}) {
        for (const int limit : {7, 30}) {
            if (limit == 7 && pat != pattern::distinct) continue; // the small cases cover the rest
            INFO("limit=" << limit << " " << name_of(pat));
            sim_server s;
            s.rows = make_rows(5000, pat, ++seed);
            const auto all = page_all(s, filter::all(), streamchat::sort::by("last_message_at", sort_direction::descending),
                                      cfg_with(limit));
            check_exactly_once(all, cids_of(s.rows));
            CHECK(all.end == pager_end::end_of_list);

            s.requests = 0;
            const auto blue = page_all(s, filter::eq("team", "blue"),
                                       streamchat::sort::by("last_message_at", sort_direction::descending), cfg_with(limit));
            check_exactly_once(blue, cids_of(s.rows, "blue"));
        }
    }
    // member_count has 4 values over 5,000 channels: walks of ~1,250 rows, by cid after the tied
    // rows already received, and then from the start of the value when a secondary key decides
    // the order inside a tie.
    for (const int limit : {7, 30}) {
        sim_server s;
        s.rows = make_rows(5000, pattern::distinct, ++seed);
        const auto by_count = page_all(s, filter::all(), streamchat::sort::by("member_count", sort_direction::descending),
                                       cfg_with(limit));
        check_exactly_once(by_count, cids_of(s.rows));
        CHECK(by_count.metrics.tie_walk_pages > 0);
        const auto secondary = page_all(
            s, filter::eq("team", "red"),
            streamchat::sort{{"member_count", sort_direction::ascending}, {"created_at", sort_direction::descending}},
            cfg_with(limit));
        check_exactly_once(secondary, cids_of(s.rows, "red"));
        CHECK(secondary.end == pager_end::end_of_list);
    }
}

TEST_CASE("keyset_pager: channels that move to the top while paging come once, by page or by event")
{
    std::uint64_t seed = 2000;
    struct shape {
        int limit;
        std::size_t n;
        int offset_rows;
    };
    for (const shape sh : {shape{1, 300, 100}, shape{1, 300, 0}, shape{7, 1500, 1000}, shape{7, 1500, 0},
                           shape{30, 2500, 1000}, shape{30, 2500, 0}}) {
        for (const pattern pat : {pattern::distinct, pattern::small_ties, pattern::page_ties, pattern::some_null}) {
            for (const bool inside : {false, true}) {
                INFO("limit=" << sh.limit << " n=" << sh.n << " offset_rows=" << sh.offset_rows << " " << name_of(pat)
                              << (inside ? " (moved while the page was in flight)" : ""));
                sim_server s;
                s.rows = make_rows(sh.n, pat, ++seed);
                std::mt19937_64 rng(seed);
                std::int64_t now = 1'900'000'000;
                // A new message in a random channel before about every third page: seen or not.
                auto move = [&](sim_server& srv, keyset_pager&, int, strings& moved) {
                    if (rng() % 3 != 0) return;
                    sim_row& r = srv.rows[rng() % srv.rows.size()];
                    r.lma = ++now;
                    moved.push_back(r.cid);
                };
                const auto order = streamchat::sort::by("last_message_at", sort_direction::descending);
                const auto r = inside ? page_all(s, filter::all(), order, cfg_with(sh.limit, sh.offset_rows), {}, move)
                                      : page_all(s, filter::all(), order, cfg_with(sh.limit, sh.offset_rows), move);
                check_exactly_once(r, cids_of(s.rows));
                CHECK(r.end == pager_end::end_of_list);
                CHECK(!r.via_event.empty());
            }
        }
    }
}

TEST_CASE("keyset_pager: channels that move down while paging an ascending list are not returned twice")
{
    // Keyset pages from the start: a row moving out of the part already paged would shift an
    // offset page past an unseen row.
    std::uint64_t seed = 3000;
    for (const int limit : {7, 30}) {
        sim_server s;
        s.rows = make_rows(2500, pattern::small_ties, ++seed);
        std::mt19937_64 rng(seed);
        std::int64_t now = 1'900'000'000;
        auto move = [&](sim_server& srv, keyset_pager&, int, strings& moved) {
            sim_row& r = srv.rows[rng() % srv.rows.size()];
            r.lma = ++now; // the end of an ascending list
            moved.push_back(r.cid);
        };
        const auto r = page_all(s, filter::all(), streamchat::sort::by("last_message_at"), cfg_with(limit, 0), move);
        check_exactly_once(r, cids_of(s.rows));
        CHECK(r.metrics.duplicates > 0);
    }
}

TEST_CASE("keyset_pager: with keyset pages from the start, channels leaving the list skip nothing")
{
    std::uint64_t seed = 4000;
    for (const int limit : {7, 30}) {
        for (const pattern pat : {pattern::distinct, pattern::small_ties, pattern::some_null}) {
            INFO("limit=" << limit << " " << name_of(pat));
            sim_server s;
            s.rows = make_rows(2500, pat, ++seed);
            std::mt19937_64 rng(seed);
            strings removed;
            auto hide = [&](sim_server& srv, keyset_pager&, int, strings&) {
                if (srv.rows.size() < 2) return;
                const auto at_ = static_cast<std::ptrdiff_t>(rng() % srv.rows.size());
                removed.push_back(srv.rows[static_cast<std::size_t>(at_)].cid);
                srv.rows.erase(srv.rows.begin() + at_);
            };
            const auto r = page_all(s, filter::all(), streamchat::sort::by("last_message_at", sort_direction::descending),
                                    cfg_with(limit, 0), hide);
            // Every channel still listed came exactly once; a removed one at most once.
            strings delivered = r.delivered;
            std::sort(delivered.begin(), delivered.end());
            CHECK(std::adjacent_find(delivered.begin(), delivered.end()) == delivered.end());
            std::set<std::string> got(delivered.begin(), delivered.end());
            for (const std::string& cid : cids_of(s.rows)) {
                INFO(cid);
                CHECK(got.contains(cid));
            }
            CHECK(got.size() <= s.rows.size() + removed.size());
        }
    }
}

TEST_CASE("keyset_pager: a server that ignores the bounds stops paging instead of looping")
{
    for (const int offset_rows : {1000, 0}) {
        sim_server s;
        s.rows = make_rows(1500, pattern::distinct, 5);
        s.ignore_filter = true;
        const auto r = page_all(s, filter::all(), streamchat::sort::by("last_message_at", sort_direction::descending),
                                cfg_with(30, offset_rows));
        CHECK(r.end == pager_end::stalled);
        CHECK(r.requests < 60);

        sim_server ties;
        ties.rows = make_rows(1500, pattern::huge_ties, 6);
        ties.ignore_cid_bound = true;
        const auto t = page_all(ties, filter::all(), streamchat::sort::by("last_message_at", sort_direction::descending),
                                cfg_with(30, offset_rows));
        CHECK(t.end == pager_end::stalled);
        CHECK(t.requests < 60);
    }
    sim_server by_cid;
    by_cid.rows = make_rows(1500, pattern::distinct, 7);
    by_cid.ignore_filter = true;
    const auto c = page_all(by_cid, filter::all(), streamchat::sort::by("cid"), cfg_with(30));
    CHECK(c.end == pager_end::stalled);
    CHECK(c.requests < 60);
}

// ------------------------------------------------------------------ against the emulator

namespace {

struct emulator_list {
    emu_test::fixture fx;
    int requests = 0;

    // The pager's request as queryChannels, for user-0; the rows with the primary key's value.
    std::vector<std::pair<std::string, filter_value>> query(const page_request& r, const std::string& key)
    {
        ++requests;
        const std::string body = R"({"filter_conditions":)" + r.filter_conditions.to_json() + R"(,"sort":)" +
                                 r.sort.to_json() + R"(,"limit":)" + std::to_string(r.limit) + R"(,"offset":)" +
                                 std::to_string(r.offset) + R"(,"watch":false,"message_limit":0,"member_limit":0})";
        const auto res = fx.call("POST", "/channels", body, emu_test::user("user-0"));
        // Serialized for a failure only: an INFO per page costs seconds over 3,400 pages under ASan.
        if (res.status != 201) FAIL(body << " -> " << res.status << " " << boost::json::serialize(res.body));
        std::vector<std::pair<std::string, filter_value>> out;
        for (const auto& c : res.body.at("channels").as_array()) {
            const auto& ch = c.at("channel").as_object();
            filter_value v;
            // last_updated is not in the payload: it is last_message_at, or created_at before any.
            const std::string_view field = key != "last_updated" ? std::string_view(key)
                                         : ch.contains("last_message_at") ? "last_message_at"
                                                                          : "created_at";
            if (const auto* f = ch.if_contains(field); f && !f->is_null()) {
                if (f->is_int64()) {
                    v = f->as_int64();
                } else if (key == "cid") {
                    v = std::string(f->as_string());
                } else {
                    const auto t = parse_timestamp(f->as_string());
                    REQUIRE(t);
                    v = *t;
                }
            }
            out.emplace_back(std::string(ch.at("cid").as_string()), std::move(v));
        }
        return out;
    }

    strings all_cids()
    {
        strings out;
        auto st = fx.db->use("SELECT cid FROM members WHERE user_id = 'user-0'");
        while (st->step()) out.push_back(st->text(0));
        return out;
    }
};

struct emulator_run {
    strings delivered;
    strings via_event;
    pager_end end = pager_end::none;
    detail::keyset_pager_metrics metrics{};
};

emulator_run page_emulator(emulator_list& e, const streamchat::sort& order, int limit,
                           const std::function<strings(int page)>& between = {})
{
    keyset_pager p(filter::members_in({"user-0"}), order, cfg_with(limit));
    emulator_run out;
    for (int page = 0; !p.done(); ++page) {
        REQUIRE(page < 20000);
        if (between)
            for (const std::string& cid : between(page))
                if (p.mark_seen(cid)) out.via_event.push_back(cid);
        const auto got = e.query(p.next(), p.key_field());
        std::vector<page_row> rows;
        for (const auto& [cid, key] : got) rows.push_back(page_row{cid, key});
        for (std::size_t i : p.on_page(rows).fresh) out.delivered.push_back(got[i].first);
    }
    out.end = p.end();
    out.metrics = p.metrics();
    return out;
}

void check_exactly_once(const emulator_run& r, strings expected)
{
    run_result rr;
    rr.delivered = r.delivered;
    rr.via_event = r.via_event;
    check_exactly_once(rr, std::move(expected));
}

} // namespace

TEST_CASE("keyset_pager: the emulator's queryChannels pages 2,500 channels to the end, each once")
{
    emulator_list e;
    std::string why;
    emulator_seed seed;
    seed.users = 50;
    seed.channels = 2500;
    seed.messages_per_channel = 1;
    REQUIRE(streamchat::emu::seed_store(*e.fx.db, seed, why));
    // Channels without messages, which no bound on last_message_at matches.
    for (int i = 0; i < 40; ++i) {
        const auto r = e.fx.call("POST", "/channels/messaging/empty-" + std::to_string(i) + "/query",
                                 R"({"data":{"members":["user-0","user-1"]}})", emu_test::user("user-0"));
        REQUIRE(r.status == 201);
    }
    const strings expected = e.all_cids();
    REQUIRE(expected.size() == 2540);

    SECTION("last_message_at, newest first: keyset past offset 990, then the channels without messages")
    {
        const auto r = page_emulator(e, streamchat::sort::by("last_message_at", sort_direction::descending), 30);
        check_exactly_once(r, expected);
        CHECK(r.end == pager_end::end_of_list);
        CHECK(r.metrics.keyset_pages > 0);
        CHECK(r.metrics.null_walk_pages >= 2);
    }
    SECTION("member_count, three values over 2,540 channels: walked by cid")
    {
        const auto r = page_emulator(e, streamchat::sort::by("member_count", sort_direction::descending), 30);
        check_exactly_once(r, expected);
        CHECK(r.metrics.tie_walk_pages > 0);
    }
    SECTION("member_count then created_at: ties walked from their start")
    {
        const auto r = page_emulator(
            e, streamchat::sort{{"member_count", sort_direction::ascending}, {"created_at", sort_direction::descending}}, 30);
        check_exactly_once(r, expected);
        CHECK(r.metrics.tie_walk_pages > 0);
    }
    SECTION("the default sort")
    {
        const auto r = page_emulator(e, streamchat::sort{}, 30);
        check_exactly_once(r, expected);
    }
    SECTION("messages sent while paging move channels to the top: they come once, through their event")
    {
        std::mt19937_64 rng(11);
        auto send = [&](int page) -> strings {
            if (page % 4 != 1) return {};
            const std::string id = "seed-" + std::to_string(rng() % 2500);
            const auto r = e.fx.call("POST", "/channels/messaging/" + id + "/message",
                                     R"({"message":{"text":"moved"}})", emu_test::user("user-0"));
            REQUIRE(r.status == 201);
            return {"messaging:" + id};
        };
        const auto r = page_emulator(e, streamchat::sort::by("last_message_at", sort_direction::descending), 30, send);
        check_exactly_once(r, expected);
        CHECK(!r.via_event.empty());
    }
}

// The product's scale: a 100,000-channel inbox through the emulator's handlers in process (over
// sockets it would add ~3,300 HTTP round trips under ASan; the loopback suite covers 5,000).
TEST_CASE("keyset_pager: the emulator's queryChannels pages 100,000 channels to the end, each once")
{
    emulator_list e;
    std::string why;
    emulator_seed seed;
    seed.users = 2; // one other member per channel: half the member rows to seed, as many channels
    seed.channels = 100000;
    seed.messages_per_channel = 1;
    REQUIRE(streamchat::emu::seed_store(*e.fx.db, seed, why));
    // Channels without messages (the seed gives each a message), which no bound matches.
    for (int i = 0; i < 40; ++i) {
        const auto r = e.fx.call("POST", "/channels/messaging/empty-" + std::to_string(i) + "/query",
                                 R"({"data":{"members":["user-0","user-1"]}})", emu_test::user("user-0"));
        REQUIRE(r.status == 201);
    }
    const strings expected = e.all_cids();
    REQUIRE(expected.size() == 100040);
    // Last messages at random seconds of 90 days: most times distinct, hundreds shared by two
    // channels or more, which the inclusive bound must not lose across a page break.
    std::int64_t shared_times = 0;
    {
        auto st = e.fx.db->use("SELECT count(*) FROM (SELECT 1 FROM channels WHERE last_message_at IS NOT NULL "
                               "GROUP BY last_message_at HAVING count(*) > 1)");
        REQUIRE(st->step());
        shared_times = st->int64(0);
    }
    CHECK(shared_times > 100);

    const auto r = page_emulator(e, streamchat::sort::by("last_message_at", sort_direction::descending), 30);
    check_exactly_once(r, expected);
    CHECK(r.end == pager_end::end_of_list);
    CHECK(r.metrics.offset_pages <= 34);
    CHECK(r.metrics.keyset_pages > 0);
    CHECK(r.metrics.null_walk_pages >= 2);
}
