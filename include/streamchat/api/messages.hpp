#ifndef STREAMCHAT_API_MESSAGES_HPP
#define STREAMCHAT_API_MESSAGES_HPP

/// @file
/// Requests and responses of the message endpoints (docs/protocol.md §2.4).

#include <streamchat/model/message.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// A message as the application writes it (`MessageRequest`).
struct message_input {
    /// Message id (≤ 255 chars). Left empty, the SDK generates a UUIDv4 before sending, so a
    /// retried send can never post the message twice (the server refuses a known id with code 4).
    std::string id{};
    std::string text{};                          ///< Text.
    std::vector<attachment> attachments{};       ///< At most 30.
    std::vector<std::string> mentioned_users{};  ///< User ids, at most 100.
    std::optional<std::string> parent_id{};      ///< Thread parent.
    std::optional<bool> show_in_channel{};       ///< Thread reply also shown in the channel.
    std::optional<std::string> quoted_message_id{}; ///< Quoted message.
    std::optional<bool> silent{};                ///< Does not count as unread, no push.
    std::optional<bool> pinned{};                ///< Pin the message.
    boost::json::object custom{};                ///< Custom fields, flattened.
};

/// `POST /channels/{type}/{id}/message`.
struct send_message_request {
    std::string type{};      ///< Channel type.
    std::string id{};        ///< Channel id.
    message_input message{}; ///< The message.
    bool skip_push = false;  ///< Do not send push notifications.
    bool skip_enrich_url = false; ///< Do not enrich URLs.
};

/// `POST /messages/{id}`: full update of a message (its `message.id` names it).
struct update_message_request {
    message_input message{};      ///< The new content; `id` is required.
    bool skip_enrich_url = false; ///< Do not enrich URLs.
};

/// `DELETE /messages/{id}`.
struct delete_message_request {
    std::string id{};  ///< Message id.
    bool hard = false; ///< Hard delete (gone for everyone, not a `deleted` tombstone).
};

/// A message returned by send/get/update/delete.
struct message_response {
    streamchat::message message{}; ///< The message as stored by the server.
    std::string duration{};        ///< Server-side duration.
};

} // namespace streamchat

#endif
