#ifndef STREAMCHAT_API_CHANNELS_HPP
#define STREAMCHAT_API_CHANNELS_HPP

/// @file
/// Requests and responses of the channel endpoints (docs/protocol.md §2.2, §2.3, §2.5).

#include <streamchat/filter.hpp>
#include <streamchat/model/channel_state.hpp>
#include <streamchat/model/event.hpp>
#include <streamchat/sort.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// A channel named by type and id (`cid` = `type:id`).
struct channel_ref {
    std::string type{}; ///< Channel type, `^[\w_-]+$`.
    std::string id{};   ///< Channel id, `^[\w!_-]+$`, at most 64 characters.
};

/// `POST /channels`. Unset optionals are left out, so the server default applies.
struct query_channels_request {
    /// `filter_conditions`; production code should include `members: {$in: [me]}`.
    filter filter_conditions{};
    /// `sort`; empty = server default (`last_updated` descending). At most 5 fields.
    streamchat::sort sort{};
    /// Channels per page: 1..30 (server default 10).
    std::optional<int> limit{};
    /// Offset: 0..1000. Past 1,000 use keyset paging on the sort key instead.
    std::optional<int> offset{};
    /// Messages per channel: 0..300 (server default 25).
    std::optional<int> message_limit{};
    /// Members per channel: 0..100 (server default 100).
    std::optional<int> member_limit{};
    /// Return channel state (messages, members, read).
    bool state = true;
    /// Watch the returned channels on this client's connection. Sent as false when the client has
    /// no connection id, as the JS client does: watching is bound to a WebSocket connection.
    bool watch = true;
    /// Subscribe to presence of the returned members.
    bool presence = false;
};

/// Result of `POST /channels`.
struct query_channels_response {
    std::vector<channel_state> channels{}; ///< Channels in the requested order.
    std::string duration{};                 ///< Server-side duration as reported.
};

/// Message pagination of a channel query (`messages`); set at most one anchor.
struct message_pagination {
    std::optional<int> limit{};          ///< 0..300.
    std::optional<std::string> id_lt{};  ///< Older than this id.
    std::optional<std::string> id_lte{}; ///< This id and older.
    std::optional<std::string> id_gt{};  ///< Newer than this id.
    std::optional<std::string> id_gte{}; ///< This id and newer.
    std::optional<std::string> id_around{}; ///< A window around this id.
};

/// Members/watchers pagination of a channel query.
struct list_pagination {
    std::optional<int> limit{};  ///< 0..300.
    std::optional<int> offset{}; ///< 0..10000.
};

/// Channel data used when a channel query creates the channel (`data`).
struct channel_input {
    /// Member user ids (at most 100). For a channel without id, this set identifies it.
    std::vector<std::string> members{};
    /// Custom fields (e.g. `name`, `image`), flattened on the wire.
    boost::json::object custom{};
};

/// `POST /channels/{type}/{id}/query` (get-or-create, watch) or, with an empty id,
/// `POST /channels/{type}/query` for a distinct channel identified by `data.members`.
struct query_channel_request {
    std::string type{};   ///< Channel type, `^[\w_-]+$`.
    std::string id{};     ///< Channel id, `^[\w!_-]+$`, ≤ 64 chars; empty = distinct by members.
    std::optional<channel_input> data{}; ///< Sent when set (creation data).
    bool state = true;    ///< Return state.
    bool watch = false;   ///< Watch on this connection (needs a connection id, else sent as false).
    bool presence = false;///< Subscribe to presence of members and watchers.
    std::optional<message_pagination> messages{}; ///< Message page.
    std::optional<list_pagination> members{};     ///< Member page.
    std::optional<list_pagination> watchers{};    ///< Watcher page.
};

/// `POST /channels/{type}/{id}/read`.
struct mark_read_request {
    std::string type{};                     ///< Channel type.
    std::string id{};                       ///< Channel id.
    std::optional<std::string> message_id{};///< Read up to this message; empty = the latest.
    std::optional<std::string> thread_id{}; ///< Mark a thread read instead.
};

/// `POST /channels/{type}/{id}/event` (typing.start, typing.stop, custom events).
struct send_event_request {
    std::string type{};       ///< Channel type.
    std::string id{};         ///< Channel id.
    std::string event_type{}; ///< e.g. "typing.start".
    std::optional<std::string> parent_id{}; ///< Thread of a typing event.
    boost::json::object custom{};           ///< Custom event fields, flattened.
};

/// The event a request produced (mark_read, send_event).
struct event_response {
    streamchat::event event{}; ///< As broadcast by the server.
    std::string duration{};    ///< Server-side duration.
};

/// A response with nothing but `duration` (stop_watching).
struct empty_response {
    std::string duration{}; ///< Server-side duration.
};

} // namespace streamchat

#endif
