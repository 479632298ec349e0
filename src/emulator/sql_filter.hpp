#ifndef STREAMCHAT_SRC_EMULATOR_SQL_FILTER_HPP
#define STREAMCHAT_SRC_EMULATOR_SQL_FILTER_HPP

// Filters and sorts (docs/protocol.md §9) as parameterised SQLite SQL. User input never becomes
// SQL text: values are bound as parameters, field names are looked up in a schema of trusted SQL
// expressions, and custom fields are read with `json_each(<extra column>)` matching `key = ?`, so
// even the key is a bound parameter. (Not json_extract: SQLite 3.40's quoted JSON paths stop at an
// escaped quote and compare keys in escaped form, so hostile or non-ASCII keys would not match.)

#include <streamchat/error.hpp>
#include <streamchat/filter.hpp>
#include <streamchat/sort.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace streamchat::emu {

/// A value bound to a `?` placeholder.
using sql_param = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

/// A piece of SQL with its `?` parameters, in order.
struct sql_fragment {
    std::string sql{};
    std::vector<sql_param> params{};
};

/// How values of a column compare.
enum class sql_type {
    text,      ///< Strings.
    integer,   ///< Integers.
    real,      ///< Numbers.
    boolean,   ///< Stored as 0/1; filter operands must be bool.
    time       ///< Stored as INTEGER nanoseconds since the epoch; operands are RFC 3339 strings or timestamps.
};

/// A built-in field: a trusted SQL expression and its type.
struct sql_column {
    std::string expression; ///< e.g. "c.last_message_at"
    sql_type type = sql_type::text;
};

/// Custom SQL for a field that is not a plain column (e.g. `members: {$in: [...]}` becomes an
/// EXISTS sub-query). Receives the operator and the operand(s); returns the fragment, or an
/// error with `why` (e.g. an operator the field does not support).
using special_field = std::function<error_code(filter_op op, const std::vector<filter_value>& operands,
                                               sql_fragment& out, std::string& why)>;

/// What a filter may name.
struct filter_schema {
    /// Built-in fields → column; looked up first.
    std::function<std::optional<sql_column>(std::string_view field)> column;
    /// Fields with custom SQL; looked up second.
    std::function<std::optional<special_field>(std::string_view field)> special;
    /// Column holding the JSON object of custom fields (e.g. "c.extra"), which must be a JSON object
    /// or NULL; empty = custom fields are refused with error::invalid_filter.
    std::string custom_json_column{};
};

/// Translates a validated filter into a boolean SQL expression ("1" for an empty filter).
/// Unknown fields (no column, no special, no custom column), operators a column type does not
/// support, and ill-typed operands give error::invalid_filter and a sentence in `why`.
error_code to_sql(const filter& f, const filter_schema& schema, sql_fragment& out, std::string& why);

/// Translates a sort into an ORDER BY list (without the keywords), ending with `tiebreak` (a
/// trusted unique expression, e.g. "c.cid") so paging is deterministic; the tiebreak follows the
/// last key's direction. NULLs sort last in both directions. Sort fields resolve like filter fields
/// (columns, then custom fields); special fields cannot be sorted on.
error_code to_sql(const sort& s, const filter_schema& schema, std::string_view tiebreak, sql_fragment& out,
                  std::string& why);

} // namespace streamchat::emu

#endif
