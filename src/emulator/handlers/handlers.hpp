#ifndef STREAMCHAT_SRC_EMULATOR_HANDLERS_HANDLERS_HPP
#define STREAMCHAT_SRC_EMULATOR_HANDLERS_HANDLERS_HPP

// The REST endpoints (docs/protocol.md §2) and the channel operations several of
// them share. Each endpoint reads the session's request and returns the success body; failures
// throw api_failure (see session.hpp).

#include "emulator/handlers/session.hpp"

namespace streamchat::emu {

using endpoint = api_response (*)(session&, const path_params&);

// channels.cpp
api_response query_channels(session& s, const path_params& p);
// channel_query.cpp
api_response get_or_create_channel(session& s, const path_params& p);
api_response stop_watching(session& s, const path_params& p);
api_response update_channel(session& s, const path_params& p);
// messages.cpp
api_response send_message(session& s, const path_params& p);
api_response get_message(session& s, const path_params& p);
api_response update_message(session& s, const path_params& p);
api_response update_message_partial(session& s, const path_params& p);
api_response delete_message(session& s, const path_params& p);
// read.cpp
api_response mark_read(session& s, const path_params& p);
api_response mark_channels_read(session& s, const path_params& p);
api_response mark_delivered(session& s, const path_params& p);
api_response send_event(session& s, const path_params& p);
api_response unread_counts(session& s, const path_params& p);
// users.cpp
api_response query_users(session& s, const path_params& p);
api_response upsert_users(session& s, const path_params& p);
api_response update_users_partial(session& s, const path_params& p);
// sync.cpp
api_response sync_events(session& s, const path_params& p);

// ------------------------------------------------------------------ shared channel operations

/// The channel `type:id`, checked against the id rules; 404/code 16 when absent.
channel_row load_channel(session& s, const std::string& type, const std::string& id);
/// The channel, provided the caller may read it (403/code 17 otherwise).
channel_row load_readable_channel(session& s, const std::string& type, const std::string& id);

/// Registers the request's connection as a watcher of `c`; other watchers get
/// `user.watching.start` (channel types with connect events) when the user was not watching.
void watch_channel(session& s, const channel_row& c);

/// `!members-<base64url(sha256(sorted unique members as a JSON array))>`.
std::string distinct_channel_id(std::vector<std::string> members);

/// Adds members (creating unknown users), announces member.added to watchers and
/// notification.added_to_channel to the added users who do not watch. Returns those added.
std::vector<std::string> add_channel_members(session& s, channel_row& c, const std::vector<member_input>& members,
                                             bool announce);
/// Removes members; member.removed to watchers, notification.removed_from_channel to them.
std::vector<std::string> remove_channel_members(session& s, channel_row& c, const std::vector<member_input>& members);

/// Validates and stores a message in `c` from `author` (client id kept; duplicate → 400/code 4),
/// then sends message.new to watchers (per-recipient unread totals) and notification.message_new
/// to members who do not watch. `message_out`, when given, receives message_json() of the
/// stored message as text (the event's copy, so the answer needs no second rendering).
message_row post_message(session& s, channel_row& c, const json::object& input, const std::string& author,
                         std::string* message_out = nullptr);

/// A response whose body is `body` with status 201 (POST) or 200.
api_response ok(session& s, json::object body);
/// The same with a body written as JSON text (an object).
api_response ok_text(session& s, std::string text);

} // namespace streamchat::emu

#endif
