#ifndef STREAMCHAT_SRC_WIRE_VALIDATION_HPP
#define STREAMCHAT_SRC_WIRE_VALIDATION_HPP

// Checks applied to application input before anything is sent (docs/protocol.md §3.1 id rules, §3.2 limits).
// Each check returns an error code and writes a sentence naming the offending argument.

#include <streamchat/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace streamchat::detail {

/// Channel type: `^[\w_-]+$`, at most 64 characters.
error_code check_channel_type(std::string_view type, std::string& why);
/// Channel id: `^[\w!_-]+$`, at most 64 characters.
error_code check_channel_id(std::string_view id, std::string& why);
/// User id: non-empty, at most 255 bytes, no whitespace or control characters.
error_code check_user_id(std::string_view id, std::string_view what, std::string& why);
/// Message id: non-empty, at most 255 bytes, no whitespace, control characters or '/' (it goes in a path).
error_code check_message_id(std::string_view id, std::string_view what, std::string& why);
/// `value` (when set) within [min, max]; `what` names it in the message.
error_code check_range(const std::optional<int>& value, int min, int max, std::string_view what, std::string& why);
/// A count of items at most `max` (and at least `min`).
error_code check_count(std::size_t count, std::size_t min, std::size_t max, std::string_view what, std::string& why);

} // namespace streamchat::detail

#endif
