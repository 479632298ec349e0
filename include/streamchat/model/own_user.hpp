#ifndef STREAMCHAT_MODEL_OWN_USER_HPP
#define STREAMCHAT_MODEL_OWN_USER_HPP

/// @file
/// The connected user as the server describes it to itself (`OwnUserResponse`,
/// docs/protocol.md §7.3): the `me` of `health.check` and of the mute notifications.

#include <streamchat/model/channel.hpp>
#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// A registered push device. `id` is required on decode.
struct device {
    std::string id{};                             ///< Device token.
    std::string push_provider{};                  ///< `firebase`, `apn`, `huawei`, `xiaomi`.
    std::optional<std::string> push_provider_name{}; ///< Named provider configuration.
    std::string user_id{};                        ///< Owner.
    timestamp created_at{};                       ///< Registration time.
    std::optional<bool> disabled{};               ///< Disabled by the server.
    std::optional<std::string> disabled_reason{}; ///< Why it was disabled.
    boost::json::object extra{};                  ///< Unmodelled fields.
};

/// A user muted by the current user.
struct user_mute {
    std::optional<streamchat::user> user{};   ///< Who muted (the current user).
    std::optional<streamchat::user> target{}; ///< Who is muted.
    timestamp created_at{};                   ///< Mute time.
    timestamp updated_at{};                   ///< Last change.
    std::optional<timestamp> expires{};       ///< End of a temporary mute.
    boost::json::object extra{};              ///< Unmodelled fields.
};

/// A channel muted by the current user.
struct channel_mute {
    std::optional<streamchat::user> user{};       ///< Who muted (the current user).
    std::optional<streamchat::channel> channel{}; ///< The muted channel.
    timestamp created_at{};                       ///< Mute time.
    timestamp updated_at{};                       ///< Last change.
    std::optional<timestamp> expires{};           ///< End of a temporary mute.
    boost::json::object extra{};                  ///< Unmodelled fields.
};

/// The current user: a user plus private state. `extra` (inherited) keeps custom data and
/// unmodelled fields such as `privacy_settings`, `push_preferences`, `total_unread_count_by_team`.
struct own_user : user {
    std::vector<device> devices{};             ///< Registered push devices.
    std::vector<user_mute> mutes{};            ///< Muted users.
    std::vector<channel_mute> channel_mutes{}; ///< Muted channels.
    int total_unread_count = 0;                ///< Unread messages over all channels.
    int unread_count = 0;                      ///< Same as total (legacy name).
    int unread_channels = 0;                   ///< Channels with unread messages.
    int unread_threads = 0;                    ///< Threads with unread replies.
    std::optional<std::vector<std::string>> roles{};                  ///< Extra roles.
    std::optional<std::vector<std::string>> latest_hidden_channels{}; ///< cids recently hidden.
};

} // namespace streamchat

#endif
