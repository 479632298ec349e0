#ifndef STREAMCHAT_SRC_EMULATOR_API_HPP
#define STREAMCHAT_SRC_EMULATOR_API_HPP

// The seam between the emulator's network layer (server/: HTTP, WebSocket, auth, rate limits) and
// its data plane (handlers/ + store/: REST endpoints over SQLite). The server authenticates and
// parses; `handle` does the work and never throws; the server adds `duration` and serialises
// (body_text).

#include <streamchat/emulator.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamchat::emu {

class hub;
class store;

/// Who is calling, as established by the server from the token (docs/protocol.md §1.3–1.5).
struct caller {
    std::string user_id{};       ///< The user acting (token `user_id`, or `user_id` query for server tokens).
    bool server = false;         ///< A server token (`{"server": true}`): admin rights.
    bool anonymous = false;      ///< `stream-auth-type: anonymous`.
    std::string connection_id{}; ///< The `connection_id` query parameter, as sent (may be unknown to the hub).
};

/// One REST request, parsed.
struct api_request {
    std::string method{};                                    ///< "GET", "POST", "PATCH", "PUT", "DELETE".
    std::string path{};                                      ///< Percent-decoded path without query, e.g. "/channels/messaging/general/query".
    std::vector<std::pair<std::string, std::string>> query{}; ///< Percent-decoded query parameters, in order.
    std::string body{};                                      ///< Raw body (JSON for POST/PATCH/PUT).
    caller who{};                                            ///< Authenticated caller.
    std::chrono::system_clock::time_point now{};             ///< Request time (one clock reading per request).

    /// The first query parameter named `key`.
    std::optional<std::string_view> param(std::string_view key) const;
};

/// One REST response: status + JSON body. The server adds `duration`.
struct api_response {
    int status = 200;
    boost::json::object body{};
    std::vector<std::pair<std::string, std::string>> headers{}; ///< Extra headers, e.g. `Allow` of a 405.
    /// The body as JSON text (an object without `duration`) when the handler wrote text: then
    /// `body` is empty. Pages of channel states are written so; building a DOM of thousands of
    /// values only to serialise it would cost more than the queries behind it.
    std::string text{};
};

/// The body as it goes on the wire: `text`, or `body` serialised; `duration`, when not empty, is
/// added as the last key.
std::string body_text(api_response&& r, std::string_view duration = {});

/// Everything a handler may use. Owned by the emulator; one per emulator.
struct context {
    store& db;
    hub& realtime;
    const emulator_config& cfg;
};

/// Stream's error envelope (docs/protocol.md §4.1): `code`, `message`
/// ("<Operation> failed with error: \"<reason>\""), `StatusCode`, `more_info`, `details: []`.
/// Bytes of `reason` that are not UTF-8 become U+FFFD, so the body stays JSON.
api_response error_response(int code, int http_status, std::string_view operation, std::string_view reason);

/// A stable name of the endpoint a request hits, e.g. "POST /channels/{type}/{id}/query", used by
/// the rate limiter (limits are per endpoint) and logs. Empty for an unknown path.
std::string route_name(std::string_view method, std::string_view path);

/// Stream's operation name of an endpoint, for "<Operation> failed with error: …" messages, e.g.
/// "QueryChannels"; "Request" for an unknown path. The server uses it for the errors it raises
/// itself (auth, limits), the handlers for theirs: one table, so the two cannot drift apart.
std::string operation_name(std::string_view method, std::string_view path);

/// Routes and runs a REST request (every endpoint of docs/protocol.md §2.1). Never throws: bad
/// input gets the right 4xx envelope; an internal failure gets 500 + code -1.
api_response handle(const api_request& request, context& ctx);

/// WebSocket handshake data: upserts the user from `user_details` (custom fields flattened) and
/// returns the `me` object of the first `health.check` (own user with `mutes`, `channel_mutes`,
/// `devices`, `total_unread_count`, `unread_count`, `unread_channels`, `online: true`).
/// On failure returns an error envelope (e.g. user_details.id not matching the token).
std::pair<std::optional<boost::json::object>, api_response>
connect_user(context& ctx, const caller& who, const boost::json::object& user_details,
             std::chrono::system_clock::time_point now);

/// A user as events show it (UserResponse: custom fields flattened, `online` from the hub), for
/// the events the hub builds itself. Never throws: `{"id": …}` if the store cannot be read.
boost::json::object user_json(context& ctx, const std::string& user_id);

/// A user's last connection closed: record `last_active`, and tell presence subscribers.
void disconnect_user(context& ctx, const std::string& user_id, std::chrono::system_clock::time_point now);

/// Opens (or creates) the store at `cfg.db_path`. Null and `why` set on failure.
std::unique_ptr<store> open_store(const emulator_config& cfg, std::string& why);

/// Creates `cfg.seed` data unless the store already holds channels. Returns false and sets `why`
/// on failure. Deterministic for a given seed.
bool seed_store(store& db, const emulator_seed& seed, std::string& why);

/// Destroys a store (lets the server hold a unique_ptr to an incomplete type).
struct store_deleter {
    void operator()(store* s) const noexcept;
};

} // namespace streamchat::emu

#endif
