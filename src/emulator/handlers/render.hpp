#ifndef STREAMCHAT_SRC_EMULATOR_HANDLERS_RENDER_HPP
#define STREAMCHAT_SRC_EMULATOR_HANDLERS_RENDER_HPP

// Rows → the SDK's model structs → JSON through the SDK codec, so the emulator's shapes are the
// shapes the SDK reads (docs/protocol.md §7), custom fields flattened. Channel states, the bulk of
// queryChannels, skip the structs: rows write their values into JSON text the codec laid out once
// (channel_states.cpp; same keys, same order, same bytes).

#include "emulator/handlers/session.hpp"

#include <streamchat/model/channel.hpp>
#include <streamchat/model/member.hpp>
#include <streamchat/model/message.hpp>

namespace streamchat::emu {

/// The configuration of a channel type: every feature on (typing, read, connect, delivery
/// events, …), except for `livestream`, which has no read or connect events.
channel_config config_for(std::string_view type);

/// What the caller may do in a channel, which decides its own_capabilities.
enum class channel_access { server, member, visitor, none };
channel_access access_to(const session& s, const channel_row& c, bool member);
std::vector<std::string> capabilities(channel_access a);

/// A channel. `for_caller` adds `own_capabilities` of the session's caller (left out of events,
/// whose recipients differ).
streamchat::channel channel_model(session& s, const channel_row& c, bool for_caller);
json::object channel_json(session& s, const channel_row& c, bool for_caller);

streamchat::message message_model(session& s, const message_row& m);
json::object message_json(session& s, const message_row& m);

streamchat::member member_model(session& s, const member_row& m);
json::object member_json(session& s, const member_row& m);

/// format_timestamp(from_nanos(t)) appended to `out` without a string of its own (pages hold
/// hundreds of times).
void append_timestamp(std::string& out, nanos t);

/// `v` as a JSON string, escaped exactly as Boost.JSON serialises it.
void append_json_string(std::string& out, std::string_view v);

/// A message and its author as JSON text: the bytes of serialising message_json(s, m) and
/// user_object(m.user_id), written from the row (the codec's layout) when it has no stored
/// extras, and the author rendered once for both.
struct message_text {
    std::string message;
    std::string user;
};
message_text message_texts(session& s, const message_row& m);

/// "<p>escaped text</p>\n", the server-rendered HTML of a message ("" for empty text).
std::string render_html(std::string_view text);

/// What a channel state carries (docs/protocol.md §7.2).
struct state_options {
    bool messages = true;      ///< Include messages (state:true); otherwise `messages: []`.
    message_window window{};   ///< Which messages.
    int member_limit = 100;
    int member_offset = 0;
    int watcher_limit = 100;
    int watcher_offset = 0;
};

/// The ChannelState object as JSON text: channel (with config), messages, members (with users),
/// pinned_messages, read (with the caller's entry), watcher_count, watchers, membership.
std::string channel_state_text(session& s, const channel_row& c, const state_options& o);

/// channel_state_text() of each of `channels` (distinct), in order, appended to `out` as a JSON
/// array. One query per page for the caller's memberships (unless given: `memberships[i]` of
/// `channels[i]`), the members, the messages and the users, instead of several per channel.
void write_channel_states(session& s, const std::vector<channel_row>& channels, const state_options& o,
                          std::string& out, const std::vector<std::optional<member_row>>* memberships = nullptr);

/// members(cid, limit, offset) of each of `channels`: those with at most `limit` members in one
/// query.
std::vector<std::vector<member_row>> page_members(session& s, const std::vector<channel_row>& channels, int limit,
                                                  int offset);

} // namespace streamchat::emu

#endif
