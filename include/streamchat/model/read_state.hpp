#ifndef STREAMCHAT_MODEL_READ_STATE_HPP
#define STREAMCHAT_MODEL_READ_STATE_HPP

/// @file
/// Per-member read state of a channel (`ReadStateResponse`, docs/protocol.md §7.3).

#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace streamchat {

/// How far a user has read a channel. `user` is required on decode: it is the entry's identity.
struct read_state {
    streamchat::user user{};                              ///< Whose read state.
    timestamp last_read{};                                ///< Last time the user read the channel.
    int unread_messages = 0;                              ///< Messages after `last_read`.
    std::optional<std::string> last_read_message_id{};    ///< Last message read.
    std::optional<timestamp> last_delivered_at{};         ///< Last delivery receipt.
    std::optional<std::string> last_delivered_message_id{}; ///< Last message delivered.
    boost::json::object extra{};                          ///< Unmodelled fields.
};

} // namespace streamchat

#endif
