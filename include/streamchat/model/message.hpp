#ifndef STREAMCHAT_MODEL_MESSAGE_HPP
#define STREAMCHAT_MODEL_MESSAGE_HPP

/// @file
/// Messages (`MessageResponse`, docs/protocol.md §7.3).

#include <streamchat/model/attachment.hpp>
#include <streamchat/model/reaction.hpp>
#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// A message. Only `id` is required on decode; the other spec-required fields take their
/// defaults when absent and are always written by the encoder.
///
/// `quoted_message` (a nested message) is deliberately not modelled, to keep the type
/// non-recursive: it stays in `extra` as JSON; `quoted_message_id` names it.
struct message {
    std::string id{};                           ///< Unique message id.
    std::string cid{};                          ///< Channel, `type:id`.
    std::string type = "regular";               ///< `regular|ephemeral|error|reply|system|deleted`.
    std::string text{};                         ///< Text as written.
    std::string html{};                         ///< Server-rendered HTML of `text`.
    streamchat::user user{};                    ///< Author.
    std::vector<attachment> attachments{};      ///< Attachments.
    std::vector<reaction> latest_reactions{};   ///< Most recent reactions.
    std::vector<reaction> own_reactions{};      ///< The current user's reactions.
    std::map<std::string, int> reaction_counts{}; ///< Reaction type → count.
    std::map<std::string, int> reaction_scores{}; ///< Reaction type → summed score.
    int reply_count = 0;                        ///< Thread replies.
    int deleted_reply_count = 0;                ///< Deleted thread replies.
    std::vector<streamchat::user> mentioned_users{}; ///< Mentioned users (objects in responses).
    bool mentioned_channel = false;             ///< `@channel` used.
    bool mentioned_here = false;                ///< `@here` used.
    bool silent = false;                        ///< Does not count as unread nor bump the channel.
    bool shadowed = false;                      ///< Hidden from everyone but its author.
    bool pinned = false;                        ///< Pinned in the channel.
    std::vector<std::string> restricted_visibility{}; ///< Only these user ids may see it (empty: all).
    timestamp created_at{};                     ///< Creation time.
    timestamp updated_at{};                     ///< Last update.
    std::optional<std::string> parent_id{};     ///< Thread parent, for replies.
    std::optional<bool> show_in_channel{};      ///< A reply also shown in the channel.
    std::optional<std::string> quoted_message_id{}; ///< Quoted message (see `extra["quoted_message"]`).
    std::optional<std::vector<streamchat::user>> thread_participants{}; ///< Thread participants (parents).
    std::optional<timestamp> pinned_at{};       ///< When pinned.
    std::optional<streamchat::user> pinned_by{}; ///< Who pinned.
    std::optional<timestamp> pin_expires{};     ///< When the pin ends.
    std::optional<timestamp> deleted_at{};      ///< Set when soft-deleted (`type` is `deleted`).
    std::optional<bool> deleted_for_me{};       ///< Deleted only for the current user.
    std::optional<timestamp> message_text_updated_at{}; ///< Last edit of the text.
    std::optional<std::string> command{};       ///< Slash command, e.g. `giphy`.
    std::optional<std::string> poll_id{};       ///< Attached poll.
    /// Custom data, `quoted_message`, `i18n`, `poll`, `moderation`, … and any other key, as JSON.
    boost::json::object extra{};
};

} // namespace streamchat

#endif
