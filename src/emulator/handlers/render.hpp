#ifndef STREAMCHAT_SRC_EMULATOR_HANDLERS_RENDER_HPP
#define STREAMCHAT_SRC_EMULATOR_HANDLERS_RENDER_HPP

// Rows → the SDK's model structs → JSON through the SDK codec, so the emulator's shapes are the
// shapes the SDK reads (docs/protocol.md §7), custom fields flattened.

#include "emulator/handlers/session.hpp"

#include <streamchat/model/channel.hpp>
#include <streamchat/model/member.hpp>
#include <streamchat/model/message.hpp>

namespace streamchat::emu {

/// The configuration of a channel type: every feature on (typing, read, connect, delivery
/// events, …), except for `livestream`, which has no read or connect events.
channel_config config_for(std::string_view type);

/// A channel. `for_caller` adds `own_capabilities` of the session's caller (left out of events,
/// whose recipients differ).
streamchat::channel channel_model(session& s, const channel_row& c, bool for_caller);
json::object channel_json(session& s, const channel_row& c, bool for_caller);

streamchat::message message_model(session& s, const message_row& m);
json::object message_json(session& s, const message_row& m);

streamchat::member member_model(session& s, const member_row& m);
json::object member_json(session& s, const member_row& m);

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

/// The ChannelState object: channel (with config), messages, members (with users),
/// pinned_messages, read (with the caller's entry), watcher_count, watchers, membership.
json::object channel_state_json(session& s, const channel_row& c, const state_options& o);

} // namespace streamchat::emu

#endif
