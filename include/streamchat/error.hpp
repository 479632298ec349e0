#ifndef STREAMCHAT_ERROR_HPP
#define STREAMCHAT_ERROR_HPP

/// @file
/// Error codes. Client-side failures live in `streamchat::error` (category "streamchat");
/// errors the Stream server reports in its envelope live in `streamchat::api_errc`
/// (category "streamchat.api"), whose values are Stream's own `code` numbers.
/// Enumerators are never renumbered or removed.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace streamchat {

using boost::system::error_code;

/// Failures detected by the SDK itself.
enum class error : int {
    // --- bad input from the application, rejected before anything is sent
    invalid_argument = 1,     ///< An argument is out of its documented domain.
    invalid_filter,           ///< A filter is malformed (unknown operator, wrong operand shape, empty $or…).
    invalid_sort,             ///< A sort has too many fields, an empty field or a bad direction.
    limit_exceeded,           ///< A limit/offset/size exceeds the server's (docs/protocol.md §3.2).
    invalid_id,               ///< A channel type/id, user id or message id breaks the id rules.
    invalid_url,              ///< A base URL cannot be parsed or uses an unsupported scheme.

    // --- tokens
    invalid_token = 100,      ///< Not a well-formed JWT (segments, base64, JSON).
    token_signature_invalid,  ///< The HS256 signature does not match the secret.
    token_expired,            ///< `exp` is in the past.
    token_not_yet_valid,      ///< `nbf`/`iat` is in the future.
    token_user_mismatch,      ///< The token's `user_id` is not the user being connected.
    unsupported_token_algorithm, ///< `alg` is not HS256 (e.g. `none`).
    no_token_provider,        ///< A token is needed and neither a token nor a provider was given.

    // --- payloads received from the network
    malformed_json = 200,     ///< The body is not valid JSON.
    missing_field,            ///< A required field is absent (diagnostics name it).
    wrong_type,               ///< A field has the wrong JSON type (diagnostics name it).
    invalid_value,            ///< A field has the right type but an impossible value.
    invalid_timestamp,        ///< A timestamp is not RFC 3339.
    payload_too_large,        ///< A body exceeds the configured maximum size.

    // --- transport; each timeout is distinct so callers can tell which phase stalled
    resolve_timeout = 300,    ///< Host name resolution took longer than `connect_timeout`.
    connect_timeout,          ///< TCP connect took longer than `connect_timeout`.
    tls_handshake_timeout,    ///< The TLS handshake took longer than `connect_timeout`.
    request_timeout,          ///< No complete response within `request_timeout`.
    connection_lost,          ///< The peer closed or reset the connection mid-exchange.
    bad_http_response,        ///< The response is not valid HTTP/1.1 (or is truncated).
    http_status,              ///< A non-2xx status without a Stream error envelope.
    retries_exhausted,        ///< Every allowed retry failed; diagnostics hold the last failure.
    shut_down,                ///< The object was shut down while the operation was pending.
    handshake_timeout,        ///< The WebSocket sent no `health.check` within `health_config::connect_timeout`.
    connection_dead,          ///< The WebSocket was silent for `health_config::dead_after`.
    closed_by_server,         ///< The server closed the WebSocket with 1000: permanent, no reconnect.
    malformed_frame,          ///< A WebSocket frame is not one JSON object (it is skipped, counted, logged).

    // --- state
    not_connected = 400,      ///< The operation needs a connection id (WebSocket) and there is none.
    already_running,          ///< A single-instance operation is already outstanding.
};

/// Error codes Stream reports in the `code` field of its error envelope (docs/protocol.md §4.2).
/// Codes not listed here still travel in this category with their numeric value.
enum class api_errc : int {
    internal_error = -1,            ///< Internal server error.
    access_key_error = 2,           ///< The api_key is invalid.
    authentication_failed = 3,      ///< Authentication failed.
    input_error = 4,                ///< Bad data or parameters (also duplicate message id).
    authentication_error = 5,       ///< Missing or invalid `stream-auth-type`.
    duplicate_username = 6,         ///< Duplicate user name.
    rate_limited = 9,               ///< Too many requests (HTTP 429).
    does_not_exist = 16,            ///< The resource does not exist.
    not_allowed = 17,               ///< Not allowed (permissions).
    event_not_supported = 18,       ///< Event not supported by the channel type.
    channel_feature_not_supported = 19, ///< Channel feature disabled.
    message_too_long = 20,          ///< Message too long.
    multiple_nesting_level = 21,    ///< Replies nest one level only.
    payload_too_big = 22,           ///< Payload too big.
    request_timeout = 23,           ///< The server timed out.
    max_header_size_exceeded = 24,  ///< Header too large.
    token_expired = 40,             ///< The JWT expired; refresh through the token provider.
    token_not_valid_yet = 41,       ///< The JWT is not valid yet.
    token_before_issued_at = 42,    ///< The JWT was used before its issued-at time.
    token_signature_invalid = 43,   ///< The JWT signature is invalid.
    custom_command_endpoint_missing = 44, ///< Custom command endpoint missing.
    custom_command_endpoint_call_error = 45, ///< Custom command endpoint failed.
    connection_id_not_found = 46,   ///< The connection id is unknown.
    cooldown = 60,                  ///< Slow mode.
    wrong_region = 69,              ///< Wrong region.
    query_channels_permission = 70, ///< Not allowed to query channels.
    too_many_connections = 71,      ///< Too many connections.
    app_suspended = 99,             ///< The app is suspended.
};

/// The category of `streamchat::error`, named "streamchat".
const boost::system::error_category& error_category() noexcept;

/// The category of `streamchat::api_errc`, named "streamchat.api".
const boost::system::error_category& api_category() noexcept;

inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }
inline error_code make_error_code(api_errc e) noexcept { return {static_cast<int>(e), api_category()}; }

/// An error_code for any Stream server code, listed in `api_errc` or not.
inline error_code make_api_error_code(int stream_code) noexcept { return {stream_code, api_category()}; }

// ---- classification (docs/protocol.md §4.2, §4.3)

/// True for Stream code 40 (the token provider should be asked again) and the local token_expired.
bool is_token_expired(const error_code& ec) noexcept;

/// True for Stream code 9 / HTTP 429.
bool is_rate_limited(const error_code& ec) noexcept;

/// True when trying again later may succeed: rate limits, server-side timeouts and internal
/// errors, connection loss, our own timeouts, and the codes the JS client retries (3, 23, 45, 60, 71).
bool is_retryable(const error_code& ec) noexcept;

/// True when retrying cannot help without changing something: bad input, bad tokens other than
/// expiry, permissions, missing resources, suspended apps.
bool is_fatal(const error_code& ec) noexcept;

} // namespace streamchat

namespace boost::system {
template <> struct is_error_code_enum<streamchat::error> : std::true_type {};
template <> struct is_error_code_enum<streamchat::api_errc> : std::true_type {};
} // namespace boost::system

#endif
