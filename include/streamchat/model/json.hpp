#ifndef STREAMCHAT_MODEL_JSON_HPP
#define STREAMCHAT_MODEL_JSON_HPP

/// @file
/// Text-level JSON conversion of the model, for applications, tools and tests. These functions
/// keep Boost.JSON's parser and serializer out of the caller's translation unit.
///
/// `from_json` never throws and never crashes on any input: it rejects text that is not JSON
/// (`error::malformed_json`, also for nesting deeper than 64 levels), larger than 64 MiB
/// (`error::payload_too_large`), or whose shape does not fit (`missing_field`, `wrong_type`,
/// `invalid_value`, `invalid_timestamp`). `*where`, when given, then names the field:
/// "message.text: expected a string". Paths start with the type name (`message`, `user`, …) for
/// objects and are relative to the document for whole frames and bodies (`event`,
/// `channel_state`, `api_error`), e.g. "channel.created_at: expected an RFC 3339 string".
///
/// `to_json` writes compact JSON with custom data flattened; it returns "" only if memory runs out.

#include <streamchat/diagnostics.hpp>
#include <streamchat/error.hpp>
#include <streamchat/model/attachment.hpp>
#include <streamchat/model/channel.hpp>
#include <streamchat/model/channel_state.hpp>
#include <streamchat/model/event.hpp>
#include <streamchat/model/member.hpp>
#include <streamchat/model/message.hpp>
#include <streamchat/model/own_user.hpp>
#include <streamchat/model/reaction.hpp>
#include <streamchat/model/read_state.hpp>
#include <streamchat/model/user.hpp>

#include <string>
#include <string_view>

namespace streamchat {

error_code from_json(std::string_view text, user& out, std::string* where = nullptr);
error_code from_json(std::string_view text, own_user& out, std::string* where = nullptr);
error_code from_json(std::string_view text, channel_config& out, std::string* where = nullptr);
error_code from_json(std::string_view text, channel& out, std::string* where = nullptr);
error_code from_json(std::string_view text, member& out, std::string* where = nullptr);
error_code from_json(std::string_view text, attachment& out, std::string* where = nullptr);
error_code from_json(std::string_view text, reaction& out, std::string* where = nullptr);
error_code from_json(std::string_view text, message& out, std::string* where = nullptr);
error_code from_json(std::string_view text, read_state& out, std::string* where = nullptr);
error_code from_json(std::string_view text, channel_state& out, std::string* where = nullptr);
error_code from_json(std::string_view text, event& out, std::string* where = nullptr);
/// Decodes Stream's error envelope (docs/protocol.md §4.1); `code` is required.
error_code from_json(std::string_view text, api_error& out, std::string* where = nullptr);

std::string to_json(const user& v);
std::string to_json(const own_user& v);
std::string to_json(const channel_config& v);
std::string to_json(const channel& v);
std::string to_json(const member& v);
std::string to_json(const attachment& v);
std::string to_json(const reaction& v);
std::string to_json(const message& v);
std::string to_json(const read_state& v);
std::string to_json(const channel_state& v);
std::string to_json(const event& v);
std::string to_json(const api_error& v);

} // namespace streamchat

#endif
