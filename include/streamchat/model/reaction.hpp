#ifndef STREAMCHAT_MODEL_REACTION_HPP
#define STREAMCHAT_MODEL_REACTION_HPP

/// @file
/// Message reactions (`ReactionResponse`, docs/protocol.md §7.3).

#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace streamchat {

/// A reaction of a user to a message. Only `type` is required on decode.
struct reaction {
    std::string type{};                     ///< Reaction kind, e.g. `like` (≤ 30 characters).
    int score = 0;                          ///< Score (the server uses 1 unless told otherwise).
    std::string message_id{};               ///< The message reacted to.
    std::string user_id{};                  ///< Who reacted.
    streamchat::user user{};                ///< Who reacted, as a user object.
    timestamp created_at{};                 ///< Creation time.
    timestamp updated_at{};                 ///< Last update.
    std::optional<std::string> emoji_code{}; ///< Optional emoji for the type.
    boost::json::object extra{};            ///< Custom data and unmodelled fields.
};

} // namespace streamchat

#endif
