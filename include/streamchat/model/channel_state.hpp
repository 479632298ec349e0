#ifndef STREAMCHAT_MODEL_CHANNEL_STATE_HPP
#define STREAMCHAT_MODEL_CHANNEL_STATE_HPP

/// @file
/// A channel and its state, as query-channels and channel query return it (docs/protocol.md §7.2).

#include <streamchat/model/channel.hpp>
#include <streamchat/model/member.hpp>
#include <streamchat/model/message.hpp>
#include <streamchat/model/read_state.hpp>
#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <vector>

namespace streamchat {

/// Channel state. `channel` is required on decode (the JS client cannot use a state without it).
/// `read` and `watchers` are optional in the spec but modelled as plain lists: absent and empty
/// mean the same to a client, so an encoded state may gain `"read":[]`/`"watchers":[]`.
struct channel_state {
    streamchat::channel channel{};                 ///< The channel.
    std::vector<message> messages{};               ///< Messages, oldest first.
    std::vector<member> members{};                 ///< Members (up to 100).
    std::vector<message> pinned_messages{};        ///< Up to 10 most recent pinned messages.
    std::vector<read_state> read{};                ///< Read states; includes the current user's.
    std::vector<streamchat::user> watchers{};      ///< Watching users, when requested.
    std::optional<int> watcher_count{};            ///< Number of watchers.
    std::optional<member> membership{};            ///< The current user's membership, if a member.
    std::optional<bool> hidden{};                  ///< Hidden by the current user.
    std::optional<timestamp> hide_messages_before{}; ///< History cutoff for the current user.
    /// `threads`, `pending_messages`, `draft`, `push_preferences`, `duration`, … as JSON.
    boost::json::object extra{};
};

} // namespace streamchat

#endif
