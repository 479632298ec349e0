#ifndef STREAMCHAT_FILTER_FILTER_JSON_HPP
#define STREAMCHAT_FILTER_FILTER_JSON_HPP

/// @file
/// Filters to and from Boost.JSON: the REST layer embeds `to_json_value` in request bodies and
/// the emulator reads incoming `filter_conditions` with `parse_filter`.

#include <streamchat/error.hpp>
#include <streamchat/filter.hpp>

#include <boost/json/value.hpp>

#include <string>

namespace streamchat::detail {

/// The wire JSON of `f`, following the rules in filter.hpp. Never fails.
boost::json::value to_json_value(const filter& f);

/// A scalar operand as JSON (timestamps as RFC 3339 strings).
boost::json::value to_json_value(const filter_value& v);

/// Reads a filter as a Stream client sends it and checks it with `filter::validate`.
///
/// Accepted beyond what `to_json_value` emits: several operators in one field object
/// (`{"x":{"$gt":1,"$lt":5}}`, read as an AND of two conditions), the bare-array form
/// (`{"members":["a","b"]}`, read as `eq_array`), `{"$eq":[…]}`, and `$and`/`$or`/`$nor` at any
/// position among other keys. An object with several keys is an AND of its entries in order;
/// one key is that entry alone; no key is `all()`. Strings stay strings (a timestamp sent as
/// text is not converted back). Integers beyond int64 are rejected.
///
/// So `to_json_value(parse(to_json_value(f)))` equals `to_json_value(f)` for every valid `f`,
/// and the parsed filter equals `f` when `f` holds no timestamps and no one-child AND.
///
/// On failure returns `error::invalid_filter`, leaves `out` unchanged and sets `*why` (if
/// given) to the place and problem, e.g. `$or[0].type: unknown operator "$regex"`. Nesting is
/// checked before recursing, so hostile input cannot exhaust the stack.
error_code parse_filter(const boost::json::value& json, filter& out, std::string* why = nullptr);

} // namespace streamchat::detail

#endif
