#ifndef STREAMCHAT_SRC_REALTIME_CONNECT_URL_HPP
#define STREAMCHAT_SRC_REALTIME_CONNECT_URL_HPP

// The WebSocket's `/connect` request target (docs/protocol.md §5.1): the connect payload as JSON in
// `json`, then `api_key`, `authorization`, `stream-auth-type` and `X-Stream-Client`, in the order
// the JS client sends them. Pure: tested without sockets.

#include <streamchat/api/users.hpp>
#include <streamchat/config.hpp>

#include <string>

namespace streamchat::detail {

/// `base_path + "/connect?json=…&api_key=…&authorization=…&stream-auth-type=…&X-Stream-Client=…"`.
/// `user_details` gets `id` = `user_id` when empty; custom fields are flattened next to the
/// built-in ones. `client_request_id` is a fresh UUID for each attempt.
std::string make_connect_target(const std::string& base_path, const client_config& cfg, const user_input& details,
                                const std::string& token, const std::string& client_request_id);

/// The ping the client sends: `[{"type":"health.check","client_id":"<client_id>"}]`.
std::string make_ping_frame(const std::string& client_id);

} // namespace streamchat::detail

#endif
