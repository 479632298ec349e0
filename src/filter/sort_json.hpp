#ifndef STREAMCHAT_FILTER_SORT_JSON_HPP
#define STREAMCHAT_FILTER_SORT_JSON_HPP

/// @file
/// Sorts to and from Boost.JSON (`[{"field":…,"direction":±1}, …]`, SortParamRequest).

#include <streamchat/error.hpp>
#include <streamchat/sort.hpp>

#include <boost/json/value.hpp>

#include <string>

namespace streamchat::detail {

/// The wire array of `s`. Never fails.
boost::json::value to_json_value(const sort& s);

/// Reads a wire sort and checks it with `sort::validate(why, max)`. Each item needs a string
/// `field`; `direction` is 1 or -1 and defaults to 1 when absent (as the server does); other
/// keys (e.g. the spec's optional `type`) are ignored. On failure returns `error::invalid_sort`,
/// leaves `out` unchanged and sets `*why`, e.g. `sort[1].direction: expected 1 or -1`.
error_code parse_sort(const boost::json::value& json, sort& out, std::string* why = nullptr,
                      std::size_t max = sort::max_fields);

} // namespace streamchat::detail

#endif
