#ifndef STREAMCHAT_MODEL_MEMBER_HPP
#define STREAMCHAT_MODEL_MEMBER_HPP

/// @file
/// Channel membership (`ChannelMemberResponse`, docs/protocol.md §7.3).

#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace streamchat {

/// A member of a channel. Its identity is `user->id` (or `user_id`); the JS client ignores
/// members without a `user`, so none of the two is required on decode.
struct member {
    std::optional<std::string> user_id{};          ///< The member's user id.
    std::optional<streamchat::user> user{};        ///< The member's user (normally present).
    std::string channel_role{};                    ///< `channel_member`, `channel_moderator`, `owner`, …
    bool banned = false;                           ///< Banned from the channel.
    bool shadow_banned = false;                    ///< Shadow-banned in the channel.
    bool notifications_muted = false;              ///< Push notifications muted for this channel.
    timestamp created_at{};                        ///< When the membership started.
    timestamp updated_at{};                        ///< Last membership change.
    std::optional<std::string> role{};             ///< Deprecated role (`member|moderator|admin|owner`).
    std::optional<bool> is_moderator{};            ///< Deprecated moderator flag.
    std::optional<bool> invited{};                 ///< Membership came from an invite.
    std::optional<timestamp> invite_accepted_at{}; ///< When the invite was accepted.
    std::optional<timestamp> invite_rejected_at{}; ///< When the invite was rejected.
    std::optional<std::string> status{};           ///< `pending|accepted|rejected|member`.
    std::optional<timestamp> ban_expires{};        ///< End of a temporary ban.
    std::optional<timestamp> pinned_at{};          ///< When the user pinned the channel.
    std::optional<timestamp> archived_at{};        ///< When the user archived the channel.
    std::optional<timestamp> deleted_at{};         ///< When the membership was deleted.
    boost::json::object extra{};                   ///< Custom data and unmodelled fields.
};

} // namespace streamchat

#endif
