#ifndef STREAMCHAT_MODEL_EVENT_HPP
#define STREAMCHAT_MODEL_EVENT_HPP

/// @file
/// WebSocket events (docs/protocol.md §6): the catalogue of §6.3 as an enum, and one flat event
/// struct whose optional members are filled according to the type.

#include <streamchat/model/channel.hpp>
#include <streamchat/model/member.hpp>
#include <streamchat/model/message.hpp>
#include <streamchat/model/own_user.hpp>
#include <streamchat/model/reaction.hpp>
#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamchat {

/// Event types of the catalogue (docs/protocol.md §6.3). Types outside it (custom events, polls,
/// reminders, drafts, …) are `unknown`; their wire name is in `event::type_name`.
enum class event_type {
    unknown = 0,                          ///< Not in the catalogue; see `event::type_name`.
    health_check,                         ///< `health.check`
    message_new,                          ///< `message.new`
    message_updated,                      ///< `message.updated`
    message_deleted,                      ///< `message.deleted`
    message_undeleted,                    ///< `message.undeleted`
    message_read,                         ///< `message.read`
    message_delivered,                    ///< `message.delivered`
    typing_start,                         ///< `typing.start`
    typing_stop,                          ///< `typing.stop`
    user_watching_start,                  ///< `user.watching.start`
    user_watching_stop,                   ///< `user.watching.stop`
    user_presence_changed,                ///< `user.presence.changed`
    user_updated,                         ///< `user.updated`
    user_deleted,                         ///< `user.deleted`
    user_banned,                          ///< `user.banned`
    user_unbanned,                        ///< `user.unbanned`
    user_messages_deleted,                ///< `user.messages.deleted`
    member_added,                         ///< `member.added`
    member_updated,                       ///< `member.updated`
    member_removed,                       ///< `member.removed`
    channel_created,                      ///< `channel.created`
    channel_updated,                      ///< `channel.updated`
    channel_deleted,                      ///< `channel.deleted`
    channel_truncated,                    ///< `channel.truncated`
    channel_hidden,                       ///< `channel.hidden`
    channel_visible,                      ///< `channel.visible`
    channel_kicked,                       ///< `channel.kicked`
    channel_muted,                        ///< `channel.muted`
    channel_unmuted,                      ///< `channel.unmuted`
    reaction_new,                         ///< `reaction.new`
    reaction_updated,                     ///< `reaction.updated`
    reaction_deleted,                     ///< `reaction.deleted`
    notification_message_new,             ///< `notification.message_new`
    notification_added_to_channel,        ///< `notification.added_to_channel`
    notification_removed_from_channel,    ///< `notification.removed_from_channel`
    notification_channel_deleted,         ///< `notification.channel_deleted`
    notification_channel_truncated,       ///< `notification.channel_truncated`
    notification_invited,                 ///< `notification.invited`
    notification_invite_accepted,         ///< `notification.invite_accepted`
    notification_invite_rejected,         ///< `notification.invite_rejected`
    notification_mark_read,               ///< `notification.mark_read`
    notification_mark_unread,             ///< `notification.mark_unread`
    notification_mutes_updated,           ///< `notification.mutes_updated`
    notification_channel_mutes_updated,   ///< `notification.channel_mutes_updated`
    notification_thread_message_new,      ///< `notification.thread_message_new`
    thread_updated,                       ///< `thread.updated`
    connection_changed,                   ///< `connection.changed` (local: never sent by the server)
    connection_recovered,                 ///< `connection.recovered` (local: never sent by the server)
};

/// The wire name of a type, e.g. "message.new"; empty for `unknown`, which has none.
std::string_view to_string(event_type t) noexcept;

/// The type with this wire name; `unknown` for any name outside the catalogue.
event_type event_type_from_string(std::string_view name) noexcept;

/// An event frame. Members not carried by the frame stay empty.
///
/// For `event_type::unknown` nothing is interpreted: `extra` holds the whole frame (including
/// `type` and `created_at`) and is written back verbatim. Only `type_name`, and on a best-effort
/// basis `created_at`, `cid`, `channel_id` and `channel_type` (for routing), are filled.
struct event {
    event_type type = event_type::unknown;           ///< Catalogue type.
    std::string type_name{};                         ///< The `type` string as received.
    timestamp created_at{};                          ///< Server time of the event (ns precision).
    std::optional<std::string> cid{};                ///< Channel the event belongs to (`*` for health checks).
    std::optional<std::string> channel_id{};         ///< Channel id.
    std::optional<std::string> channel_type{};       ///< Channel type.
    std::optional<std::string> connection_id{};      ///< Connection id (`health.check`).
    std::optional<streamchat::user> user{};          ///< Actor: sender, typist, reader, removed member, …
    std::optional<streamchat::message> message{};    ///< Message concerned.
    std::optional<streamchat::channel> channel{};    ///< Full channel (notification.*, channel.*, member.*).
    std::optional<streamchat::member> member{};      ///< Member concerned (member.*, notification.*).
    std::optional<streamchat::reaction> reaction{};  ///< Reaction concerned (reaction.*).
    std::optional<own_user> me{};                    ///< Own user (first health.check, mute updates).
    std::optional<int> watcher_count{};              ///< Watchers of the channel.
    std::optional<int> total_unread_count{};         ///< Recipient's unread messages, all channels.
    std::optional<int> unread_count{};               ///< Same as total (legacy name).
    std::optional<int> unread_channels{};            ///< Recipient's channels with unread messages.
    std::optional<int> unread_messages{};            ///< Unread messages in this channel.
    std::optional<int> unread_threads{};             ///< Threads with unread replies.
    std::optional<int> unread_thread_messages{};     ///< Unread thread replies.
    std::optional<std::string> last_read_message_id{}; ///< Read state: last message read.
    std::optional<timestamp> last_read_at{};         ///< Read state: when.
    std::optional<std::string> first_unread_message_id{}; ///< `notification.mark_unread`.
    std::optional<timestamp> last_delivered_at{};    ///< `message.delivered`.
    std::optional<std::string> last_delivered_message_id{}; ///< `message.delivered`.
    std::optional<std::string> parent_id{};          ///< Thread of a typing event or reply.
    std::optional<std::string> message_id{};         ///< Message concerned, by id.
    std::optional<bool> hard_delete{};               ///< Deletion is permanent.
    std::optional<bool> deleted_for_me{};            ///< Deleted only for the recipient.
    std::optional<bool> clear_history{};             ///< `channel.hidden`: messages were cleared.
    std::optional<bool> mark_messages_deleted{};     ///< `user.deleted`: messages marked deleted.
    std::optional<int> channel_member_count{};       ///< Informational.
    std::optional<std::int64_t> channel_message_count{}; ///< Informational.
    std::optional<std::string> team{};               ///< Team of the channel.
    std::optional<bool> shadow{};                    ///< `user.banned`: shadow ban.
    std::optional<std::string> reason{};             ///< `user.banned`: reason.
    std::optional<timestamp> expiration{};           ///< `user.banned`: end of the ban.
    /// Unmodelled keys (`thread`, `channel_custom`, custom event data, …); the whole frame for
    /// `event_type::unknown`.
    boost::json::object extra{};
};

} // namespace streamchat

#endif
