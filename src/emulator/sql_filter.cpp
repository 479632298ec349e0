// Filters and sorts as parameterised SQLite SQL. The only SQL text produced comes from the
// schema's trusted expressions, fixed keywords and `?`; every value, JSON key and LIKE pattern
// supplied by a caller is a bound parameter.
//
// Semantics chosen here, where Stream's docs are silent (docs/protocol.md §9.1), after Mongo's:
// - Conditions are two-valued as seen from `$nor`: a field that is absent/NULL fails `$eq`,
//   `$in`, `$gt`..`$lte`, and satisfies `$ne v` and `$nin [..]` unless the list holds null
//   (`IS NOT ?`, `IS NULL OR NOT IN`). `$nor` is `NOT COALESCE(a OR b, 0)` so a NULL child
//   counts as "did not match".
// - Custom fields are read from the schema's JSON column with `json_each(<col>)` and
//   `key = ?`, not with `json_extract(<col>, '$."key"')`: SQLite 3.40 (Debian 12) stops a quoted
//   path key at the first `"` even when escaped and compares keys in their escaped JSON form, so
//   keys such as `a"b` or `\u00e8`-encoded ones cannot be addressed by a path at all. `key = ?`
//   compares decoded keys, needs no escaping and cannot be confused by `$`, `.`, `[` or quotes.
//   Comparisons check the JSON type (`text`, `integer`/`real`, `true`/`false`), so "1" never
//   equals 1 and true never equals 1.

#include "emulator/sql_filter.hpp"

#include <streamchat/timestamp.hpp>

#include <cstddef>
#include <exception>
#include <string>
#include <utility>

namespace streamchat::emu {
namespace {

/// Longest `$autocomplete`/`$q` text accepted: SQLite refuses LIKE patterns over 50,000 bytes
/// at step time, and a name search this long is a mistake anyway.
constexpr std::size_t max_text_match_bytes = 4096;

/// Alias of the custom field's `json_each` row, and of an element of a custom array.
constexpr std::string_view field_alias = "jf";
constexpr std::string_view element_alias = "je";

/// True for expressions made of identifier characters and dots only (`c.cid`), which need no
/// parentheses to keep their meaning next to an operator.
bool is_simple_expression(std::string_view e) noexcept
{
    if (e.empty())
        return false;
    for (char ch : e) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
            || ch == '_' || ch == '.';
        if (!ok)
            return false;
    }
    return true;
}

std::string wrap(std::string_view e)
{
    if (is_simple_expression(e))
        return std::string(e);
    return "(" + std::string(e) + ")";
}

/// "?,?,?"
std::string placeholders(std::size_t n)
{
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
        s += i == 0 ? "?" : ",?";
    return s;
}

/// Escapes LIKE's wildcards with the `\` declared by `ESCAPE '\'`.
std::string like_escape(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        if (ch == '\\' || ch == '%' || ch == '_')
            out.push_back('\\');
        out.push_back(ch);
    }
    return out;
}

std::string_view describe(const filter_value& v) noexcept
{
    switch (v.get().index()) {
    case 0: return "null";
    case 1: return "a bool";
    case 2: return "an integer";
    case 3: return "a number";
    case 4: return "a string";
    default: return "a timestamp";
    }
}

std::string_view sql_operator(filter_op op) noexcept
{
    switch (op) {
    case filter_op::gt: return ">";
    case filter_op::gte: return ">=";
    case filter_op::lt: return "<";
    case filter_op::lte: return "<=";
    default: return "=";
    }
}

/// A translated sub-expression; `compound` when its top level is an AND/OR chain that needs
/// parentheses inside another chain.
struct piece {
    sql_fragment frag{};
    bool compound = false;
};

void append(sql_fragment& to, const sql_fragment& from)
{
    to.sql += from.sql;
    to.params.insert(to.params.end(), from.params.begin(), from.params.end());
}

struct translator {
    const filter_schema& schema;
    std::string& why;

    error_code fail(const std::string& place, std::string_view problem)
    {
        why = place + ": " + std::string(problem);
        return error::invalid_filter;
    }

    // ------------------------------------------------------------------ tree

    error_code node(const filter& f, const std::string& path, piece& out)
    {
        switch (f.kind()) {
        case filter_kind::all:
            out.frag.sql = "1";
            return {};
        case filter_kind::condition:
            return condition(f, path, out);
        case filter_kind::and_:
        case filter_kind::or_:
        case filter_kind::nor:
            break;
        }
        const std::string_view name = to_string(f.kind());
        const std::string_view joiner = f.kind() == filter_kind::and_ ? " AND " : " OR ";
        const std::string self = path.empty() ? std::string(name) : path + "." + std::string(name);
        sql_fragment joined;
        bool only_child_compound = false;
        const auto& children = f.children();
        for (std::size_t i = 0; i < children.size(); ++i) {
            piece child;
            if (auto ec = node(children[i], self + "[" + std::to_string(i) + "]", child))
                return ec;
            if (i > 0)
                joined.sql += joiner;
            if (child.compound && children.size() > 1)
                child.frag.sql = "(" + child.frag.sql + ")";
            only_child_compound = child.compound;
            append(joined, child.frag);
        }
        if (f.kind() == filter_kind::nor) {
            out.frag.sql = "NOT COALESCE(" + joined.sql + ", 0)";
            out.frag.params = std::move(joined.params);
            out.compound = false;
            return {};
        }
        // A one-child chain is its child, which keeps its own need for parentheses.
        out.compound = children.size() > 1 || only_child_compound;
        out.frag = std::move(joined);
        return {};
    }

    error_code condition(const filter& f, const std::string& path, piece& out)
    {
        const std::string& field = f.field();
        const std::string here = (path.empty() ? field : path + "." + field) + "." + std::string(to_string(f.op()));
        if (schema.column) {
            if (auto col = schema.column(field)) {
                if (col->expression.empty())
                    return fail(here, "the schema maps \"" + field + "\" to no SQL expression");
                return column_condition(f, *col, here, out.frag);
            }
        }
        if (schema.special) {
            if (auto special = schema.special(field)) {
                if (!*special)
                    return fail(here, "the schema maps \"" + field + "\" to no handler");
                sql_fragment frag;
                std::string reason;
                if (auto ec = (*special)(f.op(), f.values(), frag, reason)) {
                    why = here + ": " + (reason.empty() ? std::string(ec.message()) : reason);
                    return ec;
                }
                if (frag.sql.empty())
                    return fail(here, "the handler of \"" + field + "\" produced no SQL");
                out.frag.sql = "(" + frag.sql + ")";
                out.frag.params = std::move(frag.params);
                return {};
            }
        }
        if (schema.custom_json_column.empty())
            return fail(here, "unknown field \"" + field + "\"");
        return custom_condition(f, here, out.frag);
    }

    // ------------------------------------------------------------------ built-in columns

    /// The operand as the column stores it, or an error naming the field and both types.
    error_code column_value(const filter_value& v, const sql_column& col, const std::string& field,
                            const std::string& here, sql_param& p)
    {
        const auto& x = v.get();
        switch (col.type) {
        case sql_type::text:
            if (const auto* s = std::get_if<std::string>(&x)) {
                p = *s;
                return {};
            }
            return fail(here, "\"" + field + "\" holds strings, not " + std::string(describe(v)));
        case sql_type::integer:
        case sql_type::real:
            if (const auto* i = std::get_if<std::int64_t>(&x)) {
                p = *i;
                return {};
            }
            if (const auto* d = std::get_if<double>(&x)) {
                p = *d;
                return {};
            }
            return fail(here, "\"" + field + "\" holds numbers, not " + std::string(describe(v)));
        case sql_type::boolean:
            if (const auto* b = std::get_if<bool>(&x)) {
                p = std::int64_t{*b ? 1 : 0};
                return {};
            }
            return fail(here, "\"" + field + "\" holds true or false, not " + std::string(describe(v)));
        case sql_type::time:
            if (const auto* t = std::get_if<timestamp>(&x)) {
                p = static_cast<std::int64_t>(t->time_since_epoch().count());
                return {};
            }
            if (const auto* s = std::get_if<std::string>(&x)) {
                if (auto t = parse_timestamp(*s)) {
                    p = static_cast<std::int64_t>(t->time_since_epoch().count());
                    return {};
                }
                return fail(here, "\"" + field + "\" holds times; the string is not an RFC 3339 time such as "
                                  "2024-01-01T10:00:00Z");
            }
            return fail(here, "\"" + field + "\" holds times (RFC 3339 strings), not " + std::string(describe(v)));
        }
        return fail(here, "\"" + field + "\" has an unknown column type");
    }

    error_code column_condition(const filter& f, const sql_column& col, const std::string& here, sql_fragment& out)
    {
        const std::string& field = f.field();
        const std::string e = wrap(col.expression);
        const filter_op op = f.op();

        if (f.has_array_operand() && op == filter_op::eq)
            return fail(here, "$eq with an array (an exact set) applies to list fields such as members, not to \""
                              + field + "\"");

        switch (op) {
        case filter_op::eq:
        case filter_op::ne: {
            const filter_value& v = f.value();
            if (v.is_null()) {
                out.sql = e + (op == filter_op::eq ? " IS NULL" : " IS NOT NULL");
                return {};
            }
            sql_param p;
            if (auto ec = column_value(v, col, field, here, p))
                return ec;
            out.sql = e + (op == filter_op::eq ? " = ?" : " IS NOT ?");
            out.params.push_back(std::move(p));
            return {};
        }
        case filter_op::gt:
        case filter_op::gte:
        case filter_op::lt:
        case filter_op::lte: {
            if (col.type == sql_type::boolean)
                return fail(here, "\"" + field + "\" is true or false and cannot be ordered");
            sql_param p;
            if (auto ec = column_value(f.value(), col, field, here, p))
                return ec;
            out.sql = e + " " + std::string(sql_operator(op)) + " ?";
            out.params.push_back(std::move(p));
            return {};
        }
        case filter_op::in:
        case filter_op::nin: {
            bool has_null = false;
            std::vector<sql_param> params;
            for (std::size_t i = 0; i < f.values().size(); ++i) {
                const filter_value& v = f.values()[i];
                if (v.is_null()) {
                    has_null = true;
                    continue;
                }
                sql_param p;
                if (auto ec = column_value(v, col, field, here + "[" + std::to_string(i) + "]", p))
                    return ec;
                params.push_back(std::move(p));
            }
            const bool in = op == filter_op::in;
            if (params.empty()) { // only nulls
                out.sql = e + (in ? " IS NULL" : " IS NOT NULL");
                return {};
            }
            const std::string list = "(" + placeholders(params.size()) + ")";
            if (in)
                out.sql = has_null ? "(" + e + " IS NULL OR " + e + " IN " + list + ")" : e + " IN " + list;
            else
                out.sql = has_null ? "(" + e + " IS NOT NULL AND " + e + " NOT IN " + list + ")"
                                   : "(" + e + " IS NULL OR " + e + " NOT IN " + list + ")";
            out.params = std::move(params);
            return {};
        }
        case filter_op::exists: {
            const auto* present = std::get_if<bool>(&f.value().get());
            out.sql = e + (present != nullptr && *present ? " IS NOT NULL" : " IS NULL");
            return {};
        }
        case filter_op::autocomplete:
        case filter_op::q: {
            if (col.type != sql_type::text)
                return fail(here, std::string(to_string(op)) + " applies to text fields; \"" + field + "\" is not one");
            std::string pattern;
            if (auto ec = text_match_pattern(f, here, pattern))
                return ec;
            like_condition(e, op, pattern, out);
            return {};
        }
        case filter_op::contains:
            return fail(here, "$contains applies to custom array fields; \"" + field + "\" is a built-in field");
        }
        return fail(here, "unsupported operator");
    }

    /// The escaped operand of `$autocomplete`/`$q`, length-checked.
    error_code text_match_pattern(const filter& f, const std::string& here, std::string& pattern)
    {
        const auto* s = std::get_if<std::string>(&f.value().get());
        if (s == nullptr || s->empty())
            return fail(here, std::string(to_string(f.op())) + " needs a non-empty string");
        if (s->size() > max_text_match_bytes)
            return fail(here, std::string(to_string(f.op())) + " text is longer than "
                                  + std::to_string(max_text_match_bytes) + " bytes");
        pattern = like_escape(*s);
        return {};
    }

    /// `$autocomplete`: the text starts the value or a word after a space. `$q`: the text occurs
    /// anywhere. Both case-insensitive for ASCII (SQLite's LIKE).
    static void like_condition(const std::string& e, filter_op op, const std::string& pattern, sql_fragment& out)
    {
        if (op == filter_op::autocomplete) {
            out.sql += "(" + e + " LIKE ? ESCAPE '\\' OR " + e + " LIKE ? ESCAPE '\\')";
            out.params.emplace_back(pattern + "%");
            out.params.emplace_back("% " + pattern + "%");
        } else {
            out.sql += e + " LIKE ? ESCAPE '\\'";
            out.params.emplace_back("%" + pattern + "%");
        }
    }

    // ------------------------------------------------------------------ custom fields

    /// `EXISTS (SELECT 1 FROM json_each(<col>) AS jf WHERE jf.key = ? [AND <pred>])`.
    sql_fragment custom_exists(const std::string& key, const sql_fragment& pred) const
    {
        sql_fragment out;
        out.sql = "EXISTS (SELECT 1 FROM json_each(" + wrap(schema.custom_json_column) + ") AS "
            + std::string(field_alias) + " WHERE " + std::string(field_alias) + ".key = ?";
        out.params.emplace_back(key);
        if (!pred.sql.empty()) {
            out.sql += " AND ";
            append(out, pred);
        }
        out.sql += ")";
        return out;
    }

    /// Present and not JSON null.
    sql_fragment custom_not_null(const std::string& key) const
    {
        return custom_exists(key, sql_fragment{std::string(field_alias) + ".type <> 'null'", {}});
    }

    /// A typed comparison of the row `alias` (a json_each row) with each of `values` (non-null
    /// scalars), ORed: strings and timestamps (as RFC 3339 text) against JSON strings, numbers
    /// against JSON numbers, bools against JSON true/false. `cmp` is "=" or an ordering.
    static sql_fragment typed_match(std::string_view alias, std::string_view cmp, const std::vector<const filter_value*>& values)
    {
        const std::string a(alias);
        std::vector<sql_param> texts, numbers;
        bool want_true = false, want_false = false;
        for (const filter_value* v : values) {
            const auto& x = v->get();
            if (const auto* s = std::get_if<std::string>(&x))
                texts.emplace_back(*s);
            else if (const auto* t = std::get_if<timestamp>(&x))
                texts.emplace_back(format_timestamp(*t));
            else if (const auto* i = std::get_if<std::int64_t>(&x))
                numbers.emplace_back(*i);
            else if (const auto* d = std::get_if<double>(&x))
                numbers.emplace_back(*d);
            else if (const auto* b = std::get_if<bool>(&x))
                (*b ? want_true : want_false) = true;
        }
        std::vector<sql_fragment> alternatives;
        auto group = [&](std::string type_test, std::vector<sql_param>& ps) {
            if (ps.empty())
                return;
            sql_fragment g;
            const std::string rhs = ps.size() == 1 ? std::string(cmp) + " ?" : "IN (" + placeholders(ps.size()) + ")";
            g.sql = std::move(type_test) + " AND " + a + ".value " + rhs;
            g.params = std::move(ps);
            alternatives.push_back(std::move(g));
        };
        group(a + ".type = 'text'", texts);
        group(a + ".type IN ('integer','real')", numbers);
        if (want_true && want_false)
            alternatives.push_back(sql_fragment{a + ".type IN ('true','false')", {}});
        else if (want_true || want_false)
            alternatives.push_back(sql_fragment{a + ".type = '" + (want_true ? "true" : "false") + "'", {}});

        sql_fragment out;
        if (alternatives.size() == 1)
            return std::move(alternatives.front());
        out.sql = "(";
        for (std::size_t i = 0; i < alternatives.size(); ++i) {
            if (i > 0)
                out.sql += " OR ";
            out.sql += "(";
            append(out, alternatives[i]);
            out.sql += ")";
        }
        out.sql += ")";
        return out;
    }

    error_code custom_condition(const filter& f, const std::string& here, sql_fragment& out)
    {
        const std::string& key = f.field();
        const std::string a(field_alias);
        const filter_op op = f.op();

        if (f.has_array_operand() && op == filter_op::eq)
            return fail(here, "$eq with an array (an exact set) is not supported on custom field \"" + key + "\"");

        switch (op) {
        case filter_op::eq:
        case filter_op::ne:
        case filter_op::in:
        case filter_op::nin: {
            // $eq/$ne are $in/$nin of one value; absent and JSON null both count as null.
            bool has_null = false;
            std::vector<const filter_value*> values;
            for (const auto& v : f.values()) {
                if (v.is_null())
                    has_null = true;
                else
                    values.push_back(&v);
            }
            sql_fragment match;
            if (!values.empty())
                match = custom_exists(key, typed_match(a, "=", values));
            sql_fragment is_null;
            if (has_null) {
                is_null = custom_not_null(key);
                is_null.sql = "NOT " + is_null.sql;
            }
            sql_fragment any;
            if (!match.sql.empty() && !is_null.sql.empty()) {
                any.sql = "(";
                append(any, is_null);
                any.sql += " OR ";
                append(any, match);
                any.sql += ")";
            } else {
                any = match.sql.empty() ? std::move(is_null) : std::move(match);
            }
            if (op == filter_op::eq || op == filter_op::in) {
                out = std::move(any);
            } else {
                out.sql = "NOT ";
                append(out, any);
            }
            return {};
        }
        case filter_op::gt:
        case filter_op::gte:
        case filter_op::lt:
        case filter_op::lte: {
            const filter_value& v = f.value();
            if (!v.is_number_or_time() && !v.is_string())
                return fail(here, std::string(to_string(op)) + " needs a number, string or timestamp, not "
                                      + std::string(describe(v)));
            out = custom_exists(key, typed_match(a, sql_operator(op), {&v}));
            return {};
        }
        case filter_op::exists: {
            const auto* present = std::get_if<bool>(&f.value().get());
            out = custom_exists(key, {});
            if (present == nullptr || !*present)
                out.sql = "NOT " + out.sql;
            return {};
        }
        case filter_op::autocomplete:
        case filter_op::q: {
            std::string pattern;
            if (auto ec = text_match_pattern(f, here, pattern))
                return ec;
            sql_fragment pred{a + ".type = 'text' AND ", {}};
            like_condition(a + ".value", op, pattern, pred);
            out = custom_exists(key, pred);
            return {};
        }
        case filter_op::contains: {
            const filter_value& v = f.value();
            if (v.is_null())
                return fail(here, "$contains needs a value, not null");
            // The CASE keeps json_each away from non-array values (a JSON string's value is
            // not JSON text and would make json_each fail).
            const std::string e(element_alias);
            out.sql = "EXISTS (SELECT 1 FROM json_each(" + wrap(schema.custom_json_column) + ") AS " + a
                + ", json_each(CASE WHEN " + a + ".type = 'array' THEN " + a + ".value END) AS " + e + " WHERE "
                + a + ".key = ? AND ";
            out.params.emplace_back(key);
            append(out, typed_match(e, "=", {&v}));
            out.sql += ")";
            return {};
        }
        }
        return fail(here, "unsupported operator");
    }
};

} // namespace

error_code to_sql(const filter& f, const filter_schema& schema, sql_fragment& out, std::string& why)
{
    try {
        std::string reason;
        if (auto ec = f.validate(&reason)) {
            why = std::move(reason);
            return ec;
        }
        translator t{schema, why};
        piece result;
        if (auto ec = t.node(f, "", result))
            return ec;
        out = std::move(result.frag);
        return {};
    } catch (const std::exception& e) {
        why = std::string("the filter could not be translated: ") + e.what();
        return error::invalid_filter;
    } catch (...) {
        why = "the filter could not be translated";
        return error::invalid_filter;
    }
}

error_code to_sql(const sort& s, const filter_schema& schema, std::string_view tiebreak, sql_fragment& out,
                  std::string& why)
{
    try {
        std::string reason;
        if (auto ec = s.validate(&reason)) {
            why = std::move(reason);
            return ec;
        }
        sql_fragment result;
        bool last_descending = false;
        for (const auto& key : s.fields()) {
            const bool descending = key.direction == sort_direction::descending;
            std::string expr;
            std::optional<sql_column> col;
            if (schema.column)
                col = schema.column(key.field);
            if (col) {
                if (col->expression.empty()) {
                    why = "sort: the schema maps \"" + key.field + "\" to no SQL expression";
                    return error::invalid_sort;
                }
                expr = wrap(col->expression);
            } else if (schema.special && schema.special(key.field)) {
                why = "sort: \"" + key.field + "\" cannot be sorted on";
                return error::invalid_sort;
            } else if (!schema.custom_json_column.empty()) {
                expr = "(SELECT " + std::string(field_alias) + ".value FROM json_each("
                    + wrap(schema.custom_json_column) + ") AS " + std::string(field_alias) + " WHERE "
                    + std::string(field_alias) + ".key = ?)";
                result.params.emplace_back(key.field);
            } else {
                why = "sort: unknown field \"" + key.field + "\"";
                return error::invalid_sort;
            }
            if (!result.sql.empty())
                result.sql += ", ";
            // NULLs (absent values) go last in both directions: SQLite's DESC already puts them
            // last (NULL is smallest), ASC needs NULLS LAST. Leaving DESC bare keeps it
            // identical to an index's order.
            result.sql += expr + (descending ? " DESC" : " ASC NULLS LAST");
            last_descending = descending;
        }
        if (!tiebreak.empty()) {
            if (!result.sql.empty())
                result.sql += ", ";
            // The tiebreak follows the last key's direction, so a one-key sort runs in one
            // direction throughout (index order, row-value keyset comparisons).
            result.sql += wrap(tiebreak) + (last_descending ? " DESC" : " ASC");
        }
        out = std::move(result);
        return {};
    } catch (const std::exception& e) {
        why = std::string("the sort could not be translated: ") + e.what();
        return error::invalid_sort;
    } catch (...) {
        why = "the sort could not be translated";
        return error::invalid_sort;
    }
}

} // namespace streamchat::emu
