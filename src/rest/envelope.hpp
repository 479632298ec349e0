#ifndef STREAMCHAT_SRC_REST_ENVELOPE_HPP
#define STREAMCHAT_SRC_REST_ENVELOPE_HPP

// Stream's REST envelope (docs/protocol.md §1, §4.1): what every request carries around its body
// (query parameters in the JS client's order, auth and client headers), and how an answer is
// read (a 2xx JSON object, or the error envelope turned into an error_code + diagnostics).
// Pure functions: testable without sockets.

#include "rest/http_message.hpp"
#include "rest/transport.hpp"

#include <streamchat/config.hpp>
#include <streamchat/diagnostics.hpp>
#include <streamchat/error.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamchat::detail {

using query_params = std::vector<std::pair<std::string, std::string>>;

/// One REST exchange as the typed calls describe it.
struct api_call {
    endpoint_key endpoint{};         ///< Operation name, for rate budgets.
    http_verb method = http_verb::post;
    std::string path;                ///< e.g. "/channels/messaging/general/query" (already encoded)
    query_params query{};            ///< extra query parameters (payload, hard, …)
    std::optional<boost::json::object> body{};
    bool idempotent = false;         ///< may be resent after a connection loss
    /// When set: if a resend is refused as a duplicate ("already exists", code 4), our earlier
    /// attempt landed, so GET this path instead of failing (client-generated message ids).
    std::string fetch_on_duplicate{};
};

/// Who is asking, for the envelope.
struct envelope_params {
    const std::string& api_key;
    const std::string& user_id;
    const std::string& connection_id;
    auth_type auth;
    const std::string& token;
    const std::string& request_id;
};

/// The HTTP request for `call` with the envelope around `body_text` (the serialised body).
http_request make_request(const api_call& call, const std::string& body_text, const envelope_params& who);

/// Reads an answer. A 2xx JSON object lands in `body`; otherwise the result is the Stream error
/// code (api_category) with the envelope in `diag.server`, or `error::http_status` /
/// `malformed_json` / `wrong_type`, with `diag.client_message` saying why.
error_code read_response(const http_response& response, boost::json::object& body, diagnostics& diag);

/// True when `diag` holds the server's answer to a resent create whose first attempt landed.
bool is_duplicate_refusal(const error_code& ec, const diagnostics& diag) noexcept;

} // namespace streamchat::detail

#endif
