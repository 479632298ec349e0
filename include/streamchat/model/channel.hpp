#ifndef STREAMCHAT_MODEL_CHANNEL_HPP
#define STREAMCHAT_MODEL_CHANNEL_HPP

/// @file
/// Channels (`ChannelResponse`), their type configuration (`ChannelConfigWithInfo`) and
/// channel ids (`cid` = `type:id`); see docs/protocol.md §7.3.

#include <streamchat/model/member.hpp>
#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamchat {

/// Builds a cid, `type:id`. No validation: see the id rules for that.
inline std::string cid(std::string_view type, std::string_view id)
{
    std::string out;
    out.reserve(type.size() + 1 + id.size());
    out.append(type).append(1, ':').append(id);
    return out;
}

/// The two halves of a cid; views into the string given to `split_cid`.
struct cid_parts {
    std::string_view type{}; ///< Channel type, e.g. `messaging`.
    std::string_view id{};   ///< Channel id (may itself contain ':'; the first ':' separates).
};

/// Splits `type:id` at the first ':'. Empty when there is no ':' or either half is empty.
inline std::optional<cid_parts> split_cid(std::string_view cid) noexcept
{
    const auto colon = cid.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == cid.size())
        return std::nullopt;
    return cid_parts{cid.substr(0, colon), cid.substr(colon + 1)};
}

/// Configuration of a channel type. Feature flags default to false, which is also how the JS
/// client reads an absent flag (e.g. no typing events unless `typing_events` is true).
struct channel_config {
    std::string name{};                 ///< The channel type this config belongs to.
    timestamp created_at{};             ///< Creation of the channel type.
    timestamp updated_at{};             ///< Last change of the channel type.
    bool typing_events = false;         ///< Typing events allowed.
    bool read_events = false;           ///< Read events (mark read) allowed.
    bool connect_events = false;        ///< Watching/presence events sent.
    bool custom_events = false;         ///< Custom events allowed.
    bool delivery_events = false;       ///< Delivery receipts allowed.
    bool search = false;                ///< Message search enabled.
    bool reactions = false;             ///< Reactions enabled.
    bool replies = false;               ///< Threads enabled.
    bool quotes = false;                ///< Quoted replies enabled.
    bool mutes = false;                 ///< Muting enabled.
    bool uploads = false;               ///< File uploads enabled.
    bool url_enrichment = false;        ///< Link previews enabled.
    bool push_notifications = false;    ///< Push enabled.
    bool polls = false;                 ///< Polls enabled.
    bool reminders = false;             ///< Reminders enabled.
    bool shared_locations = false;      ///< Location sharing enabled.
    bool user_message_reminders = false; ///< Per-user message reminders enabled.
    bool count_messages = false;        ///< Channel message counting enabled.
    bool mark_messages_pending = false; ///< Messages wait for moderation.
    bool skip_last_msg_update_for_system_msgs = false; ///< System messages do not bump last_message_at.
    int max_message_length = 0;         ///< Longest accepted message text (server cap 20000).
    std::string message_retention{};    ///< e.g. `infinite`.
    std::string automod{};              ///< `disabled|simple|AI`.
    std::string automod_behavior{};     ///< What automod does on a hit.
    std::optional<std::string> blocklist_behavior{}; ///< `flag|block|shadow_block`.
    std::optional<std::string> push_level{};         ///< Default push level.
    /// `commands`, `grants`, `automod_thresholds`, … and any other key, kept as JSON.
    boost::json::object extra{};
};

/// A channel. On decode either `cid` or both `type` and `id` are required; the missing ones are
/// derived, so all three are always set afterwards.
struct channel {
    std::string cid{};                               ///< `type:id`.
    std::string id{};                                ///< Channel id.
    std::string type{};                              ///< Channel type, e.g. `messaging`.
    timestamp created_at{};                          ///< Creation time.
    timestamp updated_at{};                          ///< Last update.
    bool frozen = false;                             ///< No new messages accepted.
    bool disabled = false;                           ///< Disabled by an admin.
    std::optional<channel_config> config{};          ///< The channel type's configuration.
    std::optional<streamchat::user> created_by{};    ///< Creator.
    std::optional<timestamp> last_message_at{};      ///< Time of the newest message.
    std::optional<timestamp> deleted_at{};           ///< Set once deleted.
    std::optional<timestamp> truncated_at{};         ///< Messages before this were truncated.
    std::optional<streamchat::user> truncated_by{};  ///< Who truncated.
    std::optional<int> member_count{};               ///< Number of members.
    std::optional<std::int64_t> message_count{};     ///< Number of messages (if counted).
    std::optional<std::vector<member>> members{};    ///< Up to 100 members, in some payloads only.
    std::optional<int> cooldown{};                   ///< Slow-mode interval in seconds.
    std::optional<std::string> team{};               ///< Team of a multi-tenant app.
    std::optional<bool> hidden{};                    ///< Hidden by the current user.
    std::optional<bool> muted{};                     ///< Muted by the current user.
    std::optional<timestamp> mute_expires_at{};      ///< End of the current user's mute.
    std::optional<bool> blocked{};                   ///< Blocked for the current user.
    std::optional<std::vector<std::string>> own_capabilities{}; ///< e.g. `send-message`, `read-events`.
    std::optional<timestamp> hide_messages_before{}; ///< History cutoff for the current user.
    /// Custom data (`name`, `image`, … are custom for channels) and unmodelled fields.
    boost::json::object extra{};
};

} // namespace streamchat

#endif
