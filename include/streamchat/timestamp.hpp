#ifndef STREAMCHAT_TIMESTAMP_HPP
#define STREAMCHAT_TIMESTAMP_HPP

/// @file
/// Wire timestamps: RFC 3339 in UTC with up to nanosecond precision (docs/protocol.md §1.6).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace streamchat {

/// A point in UTC time with the nanosecond precision Stream's events carry.
using timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

/// Formats as RFC 3339 UTC with a `Z` suffix and the fewest fraction digits among 0, 3, 6 and 9
/// that represent the value exactly, e.g. "2024-01-01T10:00:00.123456Z".
std::string format_timestamp(timestamp t);

/// Parses RFC 3339 ("Z"/"z" or "+hh:mm"/"-hh:mm" offsets, "T"/"t"/" " separator, any number of
/// fraction digits, extra digits beyond nanoseconds truncated). Empty on any malformed input.
std::optional<timestamp> parse_timestamp(std::string_view text) noexcept;

} // namespace streamchat

#endif
