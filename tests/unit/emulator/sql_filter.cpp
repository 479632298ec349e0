// Filters and sorts as parameterised SQL, checked against a real in-memory SQLite database:
// what each operator selects, that hostile values and field names stay data, and the exact SQL
// of a few simple cases.
#include "emulator/sql_filter.hpp"

#include <streamchat/filter.hpp>
#include <streamchat/sort.hpp>
#include <streamchat/timestamp.hpp>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace streamchat;
using streamchat::emu::filter_schema;
using streamchat::emu::special_field;
using streamchat::emu::sql_column;
using streamchat::emu::sql_fragment;
using streamchat::emu::sql_param;
using streamchat::emu::sql_type;

namespace {

const std::string A = "messaging:a";
const std::string B = "messaging:b";
const std::string C = "team:c";
const std::string D = "team:d";
const std::string E = "livestream:e";
const std::string F = "messaging:f";
const std::string G = "commerce:g";
const std::string H = "messaging:h";
const std::string I = "x' OR '1'='1"; // a hostile cid stored as data
const std::string J = "messaging:j";

using cid_set = std::set<std::string>;

timestamp ts(std::string_view text)
{
    auto t = parse_timestamp(text);
    REQUIRE(t.has_value());
    return *t;
}

std::int64_t ns(std::string_view text) { return ts(text).time_since_epoch().count(); }

struct db_closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};
struct stmt_finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

/// The table of the brief plus a `name` column for the text operators, ten rows, members.
class fixture {
public:
    fixture()
    {
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
        db_.reset(raw);
        exec("CREATE TABLE c(cid TEXT PRIMARY KEY, type TEXT, member_count INTEGER, frozen INTEGER, "
             "last_message_at INTEGER, name TEXT, extra TEXT)");
        exec("CREATE TABLE members(cid TEXT, user_id TEXT)");
        row(A, "messaging", 2, 0, "2024-01-01T10:00:00Z", "Alpha Team",
            R"({"color":"red","level":3,"vip":true,"tags":["x","y"],"a\"b":"q1","x') OR 1=1 --":"q2",)"
            R"("$":"dollar",".":"dot","\u00e9":"accent","a.b":"dotted"})");
        row(B, "messaging", 3, 0, "2024-01-02T00:00:00Z", "Beta 50% off",
            R"({"color":"blue","level":7,"vip":false,"tags":["y","z"]})");
        row(C, "team", 10, 1, nullptr, "gamma_ray", R"({"color":"red","level":"3","tags":[1,2]})");
        row(D, "team", 1, 0, "2023-12-31T23:59:59.5Z", "Delta", R"({"color":null,"level":3.5})");
        row(E, "livestream", 100, 1, "2024-02-01T00:00:00Z", "Echo", "{}");
        row(F, "messaging", 0, 0, nullptr, nullptr, nullptr);
        row(G, "commerce", 5, 0, "2024-01-01T10:00:00Z", "Back\\slash", R"({"tags":"x","vip":1,"level":"high"})");
        row(H, "messaging", 2, 0, "2024-01-03T00:00:00Z", "\xC3\xBC" "ber cool",
            R"({"address":{"city":"Oslo"},"color":"Red"})");
        row(I, "te_m", 4, 0, "2024-01-04T00:00:00Z", "'; DROP TABLE c; --", R"({"note":"100%_\\"})");
        row(J, "messaging", 4, 1, "2024-03-01T00:00:00Z", "alpha beta",
            R"({"tags":["x"],"level":-1,"name":"Custom Name"})");
        for (auto [cid, user] : std::vector<std::pair<std::string, std::string>>{
                 {A, "alice"}, {A, "bob"}, {B, "bob"}, {B, "carol"}, {C, "alice"}, {D, "dave"}, {E, "alice"},
                 {E, "bob"}, {E, "carol"}, {G, "eve"}, {H, "alice"}, {J, "bob"}}) {
            auto s = prepare("INSERT INTO members(cid, user_id) VALUES (?, ?)");
            const std::vector<sql_param> p{cid, user}; // bound without a copy: must outlive the step
            bind(s.get(), p);
            REQUIRE(sqlite3_step(s.get()) == SQLITE_DONE);
        }
    }

    sqlite3* db() const { return db_.get(); }

    void exec(const std::string& sql)
    {
        char* err = nullptr;
        const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err);
        const std::string message = err != nullptr ? err : "";
        sqlite3_free(err);
        INFO(sql << ": " << message);
        REQUIRE(rc == SQLITE_OK);
    }

    stmt_ptr prepare(const std::string& sql)
    {
        sqlite3_stmt* s = nullptr;
        const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
        INFO(sql << ": " << sqlite3_errmsg(db_.get()));
        REQUIRE(rc == SQLITE_OK);
        return stmt_ptr(s);
    }

    /// Binds every parameter (not copied: `params` must outlive the step); the statement must
    /// have exactly as many `?` as there are values.
    void bind(sqlite3_stmt* s, const std::vector<sql_param>& params)
    {
        REQUIRE(sqlite3_bind_parameter_count(s) == static_cast<int>(params.size()));
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int n = static_cast<int>(i + 1);
            int rc = SQLITE_OK;
            if (const auto* v = std::get_if<std::int64_t>(&params[i]))
                rc = sqlite3_bind_int64(s, n, *v);
            else if (const auto* d = std::get_if<double>(&params[i]))
                rc = sqlite3_bind_double(s, n, *d);
            else if (const auto* t = std::get_if<std::string>(&params[i]))
                rc = sqlite3_bind_text(s, n, t->data(), static_cast<int>(t->size()), nullptr); // static: outlives step
            else
                rc = sqlite3_bind_null(s, n);
            REQUIRE(rc == SQLITE_OK);
        }
    }

    /// The cids of `SELECT … WHERE <sql>` in the order SQLite returns them.
    std::vector<std::string> select(const std::string& where, const std::vector<sql_param>& params,
                                    const std::string& order_by = "c.cid")
    {
        auto s = prepare("SELECT c.cid FROM c WHERE " + where + " ORDER BY " + order_by);
        bind(s.get(), params);
        std::vector<std::string> out;
        int rc = 0;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW)
            out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
        INFO(where << ": " << sqlite3_errmsg(db_.get()));
        REQUIRE(rc == SQLITE_DONE);
        return out;
    }

    std::int64_t count(const std::string& table)
    {
        auto s = prepare("SELECT count(*) FROM " + table);
        REQUIRE(sqlite3_step(s.get()) == SQLITE_ROW);
        return sqlite3_column_int64(s.get(), 0);
    }

    std::string integrity()
    {
        auto s = prepare("PRAGMA integrity_check");
        REQUIRE(sqlite3_step(s.get()) == SQLITE_ROW);
        return reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
    }

private:
    void row(const std::string& cid, const char* type, int members, int frozen, const char* lma, const char* name,
             const char* extra)
    {
        auto s = prepare("INSERT INTO c VALUES (?, ?, ?, ?, ?, ?, ?)");
        std::vector<sql_param> p{cid, std::string(type), std::int64_t{members}, std::int64_t{frozen}};
        p.push_back(lma != nullptr ? sql_param{ns(lma)} : sql_param{nullptr});
        p.push_back(name != nullptr ? sql_param{std::string(name)} : sql_param{nullptr});
        p.push_back(extra != nullptr ? sql_param{std::string(extra)} : sql_param{nullptr});
        bind(s.get(), p);
        REQUIRE(sqlite3_step(s.get()) == SQLITE_DONE);
    }

    std::unique_ptr<sqlite3, db_closer> db_;
};

/// `members` as the emulator maps it: $in only, an EXISTS over the members table.
error_code members_sql(filter_op op, const std::vector<filter_value>& operands, sql_fragment& out, std::string& why)
{
    if (op != filter_op::in) {
        why = "members supports $in only";
        return error::invalid_filter;
    }
    out.sql = "EXISTS (SELECT 1 FROM members m WHERE m.cid = c.cid AND m.user_id IN (";
    for (std::size_t i = 0; i < operands.size(); ++i) {
        const auto* s = std::get_if<std::string>(&operands[i].get());
        if (s == nullptr) {
            why = "members takes user ids";
            return error::invalid_filter;
        }
        out.sql += i == 0 ? "?" : ",?";
        out.params.emplace_back(*s);
    }
    out.sql += "))";
    return {};
}

filter_schema make_schema(std::string custom = "c.extra")
{
    filter_schema s;
    s.column = [](std::string_view f) -> std::optional<sql_column> {
        if (f == "cid")
            return sql_column{"c.cid", sql_type::text};
        if (f == "type")
            return sql_column{"c.type", sql_type::text};
        if (f == "name")
            return sql_column{"c.name", sql_type::text};
        if (f == "member_count")
            return sql_column{"c.member_count", sql_type::integer};
        if (f == "frozen")
            return sql_column{"c.frozen", sql_type::boolean};
        if (f == "last_message_at")
            return sql_column{"c.last_message_at", sql_type::time};
        return std::nullopt;
    };
    s.special = [](std::string_view f) -> std::optional<special_field> {
        if (f == "members")
            return special_field{members_sql};
        if (f == "explodes")
            return special_field{[](filter_op, const std::vector<filter_value>&, sql_fragment&, std::string&) -> error_code {
                throw std::runtime_error("boom");
            }};
        return std::nullopt;
    };
    s.custom_json_column = std::move(custom);
    return s;
}

/// Translates and runs `f`; fails the test if the translation fails.
cid_set run(fixture& fx, const filter& f, const filter_schema& schema = make_schema())
{
    sql_fragment frag;
    std::string why;
    const auto ec = emu::to_sql(f, schema, frag, why);
    INFO(f.to_json() << " -> " << why);
    REQUIRE_FALSE(ec);
    INFO(frag.sql);
    auto rows = fx.select(frag.sql, frag.params);
    return cid_set(rows.begin(), rows.end());
}

/// The error and reason of a translation that must fail.
std::pair<error_code, std::string> refused(const filter& f, const filter_schema& schema = make_schema())
{
    sql_fragment frag{"untouched", {std::int64_t{7}}};
    std::string why;
    const auto ec = emu::to_sql(f, schema, frag, why);
    CHECK(frag.sql == "untouched"); // the output is left alone on failure
    CHECK(frag.params.size() == 1);
    return {ec, why};
}

/// Runs `WHERE <filter> ORDER BY <sort>` and returns the cids in order.
std::vector<std::string> sorted(fixture& fx, const sort& s, const filter& f = filter::all())
{
    const auto schema = make_schema();
    sql_fragment where, order;
    std::string why;
    REQUIRE_FALSE(emu::to_sql(f, schema, where, why));
    INFO(why);
    REQUIRE_FALSE(emu::to_sql(s, schema, "c.cid", order, why));
    auto params = where.params;
    params.insert(params.end(), order.params.begin(), order.params.end());
    INFO(order.sql);
    return fx.select(where.sql, params, order.sql);
}

} // namespace

TEST_CASE("exact SQL of simple cases")
{
    const auto schema = make_schema();
    sql_fragment out;
    std::string why;

    REQUIRE_FALSE(emu::to_sql(filter::all(), schema, out, why));
    CHECK(out.sql == "1");
    CHECK(out.params.empty());

    REQUIRE_FALSE(emu::to_sql(filter::eq("type", "messaging") && filter::gt("member_count", 2), schema, out, why));
    CHECK(out.sql == "c.type = ? AND c.member_count > ?");
    CHECK(out.params == std::vector<sql_param>{std::string("messaging"), std::int64_t{2}});

    REQUIRE_FALSE(emu::to_sql(filter::and_({filter::eq("frozen", true),
                                            filter::or_({filter::eq("cid", "a"), filter::lt("last_message_at", "2024-01-01T00:00:00Z")})}),
                              schema, out, why));
    CHECK(out.sql == "c.frozen = ? AND (c.cid = ? OR c.last_message_at < ?)");
    CHECK(out.params == std::vector<sql_param>{std::int64_t{1}, std::string("a"), ns("2024-01-01T00:00:00Z")});

    REQUIRE_FALSE(emu::to_sql(filter::eq("color", "red"), schema, out, why));
    CHECK(out.sql == "EXISTS (SELECT 1 FROM json_each(c.extra) AS jf WHERE jf.key = ? AND jf.type = 'text' AND jf.value = ?)");
    CHECK(out.params == std::vector<sql_param>{std::string("color"), std::string("red")});

    REQUIRE_FALSE(emu::to_sql(filter::autocomplete("name", "50%_"), schema, out, why));
    CHECK(out.sql == "(c.name LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\')");
    CHECK(out.params == std::vector<sql_param>{std::string("50\\%\\_%"), std::string("% 50\\%\\_%")});

    REQUIRE_FALSE(emu::to_sql(filter::nor({filter::eq("type", "team")}), schema, out, why));
    CHECK(out.sql == "NOT COALESCE(c.type = ?, 0)");

    REQUIRE_FALSE(emu::to_sql(sort::by("last_message_at", sort_direction::descending), schema, "c.cid", out, why));
    CHECK(out.sql == "c.last_message_at DESC, c.cid DESC");
    CHECK(out.params.empty());
    REQUIRE_FALSE(emu::to_sql(sort::by("member_count"), schema, "c.cid", out, why));
    CHECK(out.sql == "c.member_count ASC NULLS LAST, c.cid ASC");
    REQUIRE_FALSE(emu::to_sql(sort{}, schema, "c.cid", out, why));
    CHECK(out.sql == "c.cid ASC");
    REQUIRE_FALSE(emu::to_sql(sort::by("level", sort_direction::descending), schema, "c.cid", out, why));
    CHECK(out.sql == "(SELECT jf.value FROM json_each(c.extra) AS jf WHERE jf.key = ?) DESC, c.cid DESC");
    CHECK(out.params == std::vector<sql_param>{std::string("level")});
}

TEST_CASE("column operators select the right rows")
{
    fixture fx;
    CHECK(run(fx, filter::eq("type", "messaging")) == cid_set{A, B, F, H, J});
    CHECK(run(fx, filter::ne("type", "messaging")) == cid_set{C, D, E, G, I});
    CHECK(run(fx, filter::gt("member_count", 3)) == cid_set{C, E, G, I, J});
    CHECK(run(fx, filter::gte("member_count", 4)) == cid_set{C, E, G, I, J});
    CHECK(run(fx, filter::gt("member_count", 4)) == cid_set{C, E, G});
    CHECK(run(fx, filter::lt("member_count", 2)) == cid_set{D, F});
    CHECK(run(fx, filter::lte("member_count", 2)) == cid_set{A, D, F, H});
    CHECK(run(fx, filter::gt("member_count", 2.5)) == cid_set{B, C, E, G, I, J});
    CHECK(run(fx, filter::in("type", std::vector<std::string>{"team", "commerce"})) == cid_set{C, D, G});
    CHECK(run(fx, filter::nin("type", std::vector<std::string>{"messaging", "team"})) == cid_set{E, G, I});
    CHECK(run(fx, filter::eq("frozen", true)) == cid_set{C, E, J});
    CHECK(run(fx, filter::ne("frozen", true)) == cid_set{A, B, D, F, G, H, I});
    CHECK(run(fx, filter::eq("frozen", false)) == cid_set{A, B, D, F, G, H, I});

    SECTION("null, $exists and the absent value")
    {
        CHECK(run(fx, filter::exists("last_message_at")) == cid_set{A, B, D, E, G, H, I, J});
        CHECK(run(fx, filter::exists("last_message_at", false)) == cid_set{C, F});
        CHECK(run(fx, filter::eq("last_message_at", nullptr)) == cid_set{C, F});
        CHECK(run(fx, filter::ne("last_message_at", nullptr)) == cid_set{A, B, D, E, G, H, I, J});
        // $ne and $nin match rows without a value (Mongo's semantics), unless null is listed.
        CHECK(run(fx, filter::ne("last_message_at", "2024-01-01T10:00:00Z")) == cid_set{B, C, D, E, F, H, I, J});
        const std::vector<filter_value> with_null{nullptr, "2024-01-02T00:00:00Z"};
        CHECK(run(fx, filter::in("last_message_at", with_null)) == cid_set{B, C, F});
        CHECK(run(fx, filter::nin("last_message_at", with_null)) == cid_set{A, D, E, G, H, I, J});
        CHECK(run(fx, filter::nin("last_message_at", {filter_value("2024-01-02T00:00:00Z")}))
              == cid_set{A, C, D, E, F, G, H, I, J});
        CHECK(run(fx, filter::in("name", {filter_value(nullptr)})) == cid_set{F});
    }

    SECTION("$autocomplete matches word starts, $q substrings, both escaped")
    {
        CHECK(run(fx, filter::autocomplete("name", "alp")) == cid_set{A, J});
        CHECK(run(fx, filter::autocomplete("name", "beta")) == cid_set{B, J});
        CHECK(run(fx, filter::autocomplete("name", "team")) == cid_set{A});
        CHECK(run(fx, filter::autocomplete("name", "eam")).empty());
        CHECK(run(fx, filter::autocomplete("name", "%")).empty());
        CHECK(run(fx, filter::autocomplete("name", "_")).empty());
        CHECK(run(fx, filter::autocomplete("name", "\xC3\xBC" "ber")) == cid_set{H});
        CHECK(run(fx, filter::q("name", "ET")) == cid_set{B, J});
        CHECK(run(fx, filter::q("name", "%")) == cid_set{B});
        CHECK(run(fx, filter::q("name", "50%")) == cid_set{B});
        CHECK(run(fx, filter::q("name", "_")) == cid_set{C});
        CHECK(run(fx, filter::q("name", "\\")) == cid_set{G});
        CHECK(run(fx, filter::q("name", "'; DROP")) == cid_set{I});
        CHECK(run(fx, filter::autocomplete("cid", "mess")) == cid_set{A, B, F, H, J});
    }
}

TEST_CASE("time columns take RFC 3339 strings and timestamps")
{
    fixture fx;
    CHECK(run(fx, filter::gt("last_message_at", "2024-01-01T10:00:00Z")) == cid_set{B, E, H, I, J});
    CHECK(run(fx, filter::gte("last_message_at", "2024-01-01T11:00:00+01:00")) == cid_set{A, B, E, G, H, I, J});
    CHECK(run(fx, filter::lt("last_message_at", ts("2024-01-01T00:00:00Z"))) == cid_set{D});
    CHECK(run(fx, filter::gte("last_message_at", ts("2024-01-01T00:00:00Z"))
                      && filter::lt("last_message_at", "2024-01-03T00:00:00Z"))
          == cid_set{A, B, G});
    CHECK(run(fx, filter::eq("last_message_at", "2023-12-31T23:59:59.500Z")) == cid_set{D});
    CHECK(run(fx, filter::eq("last_message_at", ts("2023-12-31T23:59:59.5Z"))) == cid_set{D});
    CHECK(run(fx, filter::in("last_message_at", {filter_value(ts("2024-03-01T00:00:00Z")),
                                                  filter_value("2024-02-01T00:00:00Z")}))
          == cid_set{E, J});

    auto [ec, why] = refused(filter::gt("last_message_at", "yesterday"));
    CHECK(ec == error::invalid_filter);
    CHECK_THAT(why, Catch::Contains("last_message_at") && Catch::Contains("RFC 3339"));
    std::tie(ec, why) = refused(filter::gt("last_message_at", 5));
    CHECK(ec == error::invalid_filter);
    CHECK_THAT(why, Catch::Contains("last_message_at"));
    std::tie(ec, why) = refused(filter::in("last_message_at", {filter_value("2024-01-01T00:00:00Z"), filter_value("soon")}));
    CHECK(ec == error::invalid_filter);
    CHECK_THAT(why, Catch::Contains("last_message_at.$in[1]"));
}

TEST_CASE("logical operators nest, and $nor counts NULL as no match")
{
    fixture fx;
    CHECK(run(fx, filter::or_({filter::eq("type", "team"), filter::gt("member_count", 50)})) == cid_set{C, D, E});
    CHECK(run(fx, filter::and_({filter::eq("type", "messaging"),
                                filter::or_({filter::eq("frozen", true), filter::gte("member_count", 3)})}))
          == cid_set{B, J});
    CHECK(run(fx, filter::nor({filter::gt("last_message_at", "2024-01-01T12:00:00Z"), filter::eq("type", "team")}))
          == cid_set{A, F, G});
    CHECK(run(fx, filter::or_({filter::and_({filter::eq("type", "messaging"), filter::nor({filter::eq("frozen", false)})}),
                               filter::and_({filter::eq("type", "team"), filter::exists("last_message_at", false)})}))
          == cid_set{C, J});
    // A one-child AND around an OR keeps its parentheses inside another AND.
    CHECK(run(fx, filter::and_({filter::and_({filter::or_({filter::eq("cid", A), filter::eq("cid", C)})}),
                                filter::eq("type", "team")}))
          == cid_set{C});
    CHECK(run(fx, filter::eq("type", "messaging") && filter::lte("member_count", 2) && filter::exists("last_message_at"))
          == cid_set{A, H});
    CHECK(run(fx, filter::and_({filter::all(), filter::eq("cid", B)})) == cid_set{B});
    CHECK(run(fx, filter::all()).size() == 10);
}

TEST_CASE("special fields use the schema's fragment")
{
    fixture fx;
    CHECK(run(fx, filter::members_in(std::vector<std::string>{"alice"})) == cid_set{A, C, E, H});
    CHECK(run(fx, filter::members_in(std::vector<std::string>{"dave", "eve"})) == cid_set{D, G});
    CHECK(run(fx, filter::members_in(std::vector<std::string>{"alice"}) && filter::eq("type", "messaging")) == cid_set{A, H});
    CHECK(run(fx, filter::or_({filter::members_in(std::vector<std::string>{"eve"}), filter::eq("cid", J)})) == cid_set{G, J});

    auto [ec, why] = refused(filter::eq("members", "alice"));
    CHECK(ec == error::invalid_filter);
    CHECK_THAT(why, Catch::Contains("members") && Catch::Contains("$in only"));
    // A special field that throws is reported, not propagated.
    std::tie(ec, why) = refused(filter::eq("explodes", 1));
    CHECK(ec == error::invalid_filter);
    CHECK_THAT(why, Catch::Contains("boom"));
}

TEST_CASE("custom fields compare typed values")
{
    fixture fx;
    CHECK(run(fx, filter::eq("color", "red")) == cid_set{A, C});
    CHECK(run(fx, filter::in("color", std::vector<std::string>{"red", "blue"})) == cid_set{A, B, C});
    CHECK(run(fx, filter::eq("color", nullptr)) == cid_set{D, E, F, G, I, J}); // JSON null or absent
    CHECK(run(fx, filter::ne("color", nullptr)) == cid_set{A, B, C, H});
    CHECK(run(fx, filter::ne("color", "red")) == cid_set{B, D, E, F, G, H, I, J});
    CHECK(run(fx, filter::nin("color", std::vector<std::string>{"red", "blue"})) == cid_set{D, E, F, G, H, I, J});
    CHECK(run(fx, filter::in("color", {filter_value(nullptr), filter_value("blue")})) == cid_set{B, D, E, F, G, I, J});

    SECTION("numbers against numbers, strings against strings")
    {
        CHECK(run(fx, filter::eq("level", 3)) == cid_set{A});
        CHECK(run(fx, filter::eq("level", 3.0)) == cid_set{A});
        CHECK(run(fx, filter::eq("level", "3")) == cid_set{C});
        CHECK(run(fx, filter::gt("level", 3)) == cid_set{B, D});
        CHECK(run(fx, filter::gte("level", 3)) == cid_set{A, B, D});
        CHECK(run(fx, filter::lt("level", 0)) == cid_set{J});
        CHECK(run(fx, filter::lt("level", 100)) == cid_set{A, B, D, J}); // the strings "3", "high" are not numbers
        CHECK(run(fx, filter::gt("level", "a")) == cid_set{G});
        CHECK(run(fx, filter::lt("level", "a")) == cid_set{C});
        CHECK(run(fx, filter::in("level", {filter_value(3), filter_value("3")})) == cid_set{A, C});
    }
    SECTION("bools against JSON true/false only")
    {
        CHECK(run(fx, filter::eq("vip", true)) == cid_set{A});
        CHECK(run(fx, filter::eq("vip", false)) == cid_set{B});
        CHECK(run(fx, filter::eq("vip", 1)) == cid_set{G});
        CHECK(run(fx, filter::ne("vip", true)) == cid_set{B, C, D, E, F, G, H, I, J});
        CHECK(run(fx, filter::in("vip", {filter_value(true), filter_value(false)})) == cid_set{A, B});
    }
    SECTION("$contains looks into arrays only, typed")
    {
        CHECK(run(fx, filter::contains("tags", "x")) == cid_set{A, J}); // G's tags is the string "x"
        CHECK(run(fx, filter::contains("tags", "y")) == cid_set{A, B});
        CHECK(run(fx, filter::contains("tags", 1)) == cid_set{C});
        CHECK(run(fx, filter::contains("tags", "1")).empty());
        CHECK(run(fx, filter::contains("color", "r")).empty());
        CHECK(run(fx, filter::nor({filter::contains("tags", "x")})) == cid_set{B, C, D, E, F, G, H, I});
    }
    SECTION("$exists: present, even as JSON null")
    {
        CHECK(run(fx, filter::exists("tags")) == cid_set{A, B, C, G, J});
        CHECK(run(fx, filter::exists("tags", false)) == cid_set{D, E, F, H, I});
        CHECK(run(fx, filter::exists("color")) == cid_set{A, B, C, D, H});
    }
    SECTION("names are single keys: dots do not descend")
    {
        CHECK(run(fx, filter::eq("address.city", "Oslo")).empty());
        CHECK(run(fx, filter::exists("address")) == cid_set{H});
        CHECK(run(fx, filter::eq("a.b", "dotted")) == cid_set{A});
    }
    SECTION("text operators")
    {
        CHECK(run(fx, filter::autocomplete("name", "cust"), make_schema()) == cid_set{}); // `name` is a column here
        filter_schema custom_name = make_schema();
        custom_name.column = nullptr; // everything is custom
        CHECK(run(fx, filter::autocomplete("name", "cust"), custom_name) == cid_set{J});
        CHECK(run(fx, filter::autocomplete("name", "NAME"), custom_name) == cid_set{J});
        CHECK(run(fx, filter::q("note", "%_\\"), custom_name) == cid_set{I});
        CHECK(run(fx, filter::q("color", "e"), custom_name) == cid_set{A, B, C, H});
        CHECK(run(fx, filter::q("level", "3"), custom_name) == cid_set{C}); // numbers are not text
    }
}

TEST_CASE("hostile values and field names stay data")
{
    fixture fx;
    const std::string hostile_key = "x') OR 1=1 --";
    CHECK(run(fx, filter::eq("a\"b", "q1")) == cid_set{A});
    CHECK(run(fx, filter::eq("a\"b", "q2")).empty());
    CHECK(run(fx, filter::eq(hostile_key, "q2")) == cid_set{A});
    CHECK(run(fx, filter::eq("\xC3\xA9", "accent")) == cid_set{A}); // stored as \u00e9 in the JSON text
    CHECK(run(fx, filter::eq(".", "dot")) == cid_set{A});
    CHECK(run(fx, filter::eq("x.$", "dot")).empty());
    CHECK(run(fx, filter::exists("'); DROP TABLE c; --")).empty());
    CHECK(run(fx, filter::exists("\"]")).empty());
    CHECK(run(fx, filter::eq("color", "red' OR '1'='1")).empty());
    CHECK(run(fx, filter::eq("type", "x' OR '1'='1")).empty());
    CHECK(run(fx, filter::eq("cid", I)) == cid_set{I});
    CHECK(run(fx, filter::in("cid", std::vector<std::string>{"' OR 1=1 --", "%", "_", "\\"})).empty());
    CHECK(run(fx, filter::gt("type", "'); DELETE FROM c; --")) == cid_set{A, B, C, D, E, F, G, H, I, J});
    CHECK(run(fx, filter::q("name", "%' OR 1=1 --")).empty());
    CHECK(run(fx, filter::contains("tags", "\"]); DROP TABLE members; --")).empty());
    CHECK(run(fx, filter::eq("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80")).empty());

    auto [ec, why] = refused(filter::eq("$", "dollar")); // names starting with '$' are operators
    CHECK(ec == error::invalid_filter);
    CHECK_FALSE(why.empty());

    std::vector<std::string> order = sorted(fx, sort::by(hostile_key).then("'; DROP TABLE c; --", sort_direction::descending));
    CHECK(order.size() == 10);

    CHECK(fx.count("c") == 10);
    CHECK(fx.count("members") == 12);
    CHECK(fx.integrity() == "ok");
}

TEST_CASE("ill-typed or unsupported conditions are refused with the field named")
{
    struct bad {
        filter f;
        std::string mention;
    };
    const std::vector<bad> cases{
        {filter::eq("member_count", "3"), "member_count"},
        {filter::eq("type", 3), "type"},
        {filter::eq("frozen", 1), "frozen"},
        {filter::gt("frozen", 0), "frozen"},
        {filter::eq("cid", ts("2024-01-01T00:00:00Z")), "cid"},
        {filter::in("member_count", {filter_value(1), filter_value("2")}), "member_count.$in[1]"},
        {filter::eq_array("type", std::vector<std::string>{"a", "b"}), "type"},
        {filter::eq_array("tags", std::vector<std::string>{"a", "b"}), "tags"},
        {filter::contains("cid", "x"), "cid"},
        {filter::autocomplete("member_count", "1"), "member_count"},
        {filter::q("last_message_at", "2024"), "last_message_at"},
        {filter::autocomplete("name", std::string(5000, 'a')), "name"},
        {filter::or_({filter::eq("type", "team"), filter::eq("frozen", "yes")}), "$or[1].frozen"},
        {filter::eq("", "x"), ""},                        // validate(): empty field name
        {filter::or_({filter::eq("type", "team")}), "$or"}, // validate(): $or needs 2
        {filter::gt("member_count", nullptr), "member_count"},
    };
    for (const auto& c : cases) {
        auto [ec, why] = refused(c.f);
        INFO(c.f.to_json() << " -> " << why);
        CHECK(ec == error::invalid_filter);
        CHECK_FALSE(why.empty());
        CHECK_THAT(why, Catch::Contains(c.mention));
    }

    // Without a custom column, unknown fields are refused.
    auto [ec, why] = refused(filter::eq("color", "red"), make_schema(""));
    CHECK(ec == error::invalid_filter);
    CHECK_THAT(why, Catch::Contains("unknown field \"color\""));
    // An empty schema refuses everything but the empty filter.
    sql_fragment out;
    CHECK(emu::to_sql(filter::eq("type", "x"), filter_schema{}, out, why) == error::invalid_filter);
    CHECK_FALSE(emu::to_sql(filter::all(), filter_schema{}, out, why));
    CHECK(out.sql == "1");
}

TEST_CASE("sorts put NULLs last and break ties with the tiebreak")
{
    fixture fx;
    CHECK(sorted(fx, sort::by("last_message_at", sort_direction::descending))
          == std::vector<std::string>{J, E, I, H, B, A, G, D, C, F});
    CHECK(sorted(fx, sort::by("last_message_at")) == std::vector<std::string>{D, G, A, B, H, I, E, J, F, C});
    CHECK(sorted(fx, sort::by("member_count").then("type", sort_direction::descending))
          == std::vector<std::string>{F, D, H, A, B, I, J, G, C, E});
    // Custom: numbers, then strings, then absent values.
    CHECK(sorted(fx, sort::by("level")) == std::vector<std::string>{J, A, D, B, C, G, E, F, H, I});
    CHECK(sorted(fx, sort::by("level", sort_direction::descending))
          == std::vector<std::string>{G, C, B, D, A, J, I, H, F, E});
    // With a filter whose parameters come first.
    CHECK(sorted(fx, sort::by("member_count", sort_direction::descending), filter::eq("color", "red")
                                                                            || filter::eq("type", "team"))
          == std::vector<std::string>{C, A, D});

    const auto schema = make_schema();
    sql_fragment out{"untouched", {}};
    std::string why;
    CHECK(emu::to_sql(sort::by("members"), schema, "c.cid", out, why) == error::invalid_sort);
    CHECK_THAT(why, Catch::Contains("members"));
    CHECK(emu::to_sql(sort::by("color"), make_schema(""), "c.cid", out, why) == error::invalid_sort);
    CHECK_THAT(why, Catch::Contains("color"));
    CHECK(emu::to_sql(sort::by("$x"), schema, "c.cid", out, why) == error::invalid_sort);
    CHECK(emu::to_sql(sort::by("a").then("a"), schema, "c.cid", out, why) == error::invalid_sort);
    CHECK(out.sql == "untouched");
}
