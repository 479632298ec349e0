#include <streamchat/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <string>

namespace streamchat {
namespace {

class error_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "streamchat"; }

    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::invalid_argument: return "invalid argument";
        case error::invalid_filter: return "invalid filter";
        case error::invalid_sort: return "invalid sort";
        case error::limit_exceeded: return "limit exceeded";
        case error::invalid_id: return "invalid id";
        case error::invalid_url: return "invalid url";
        case error::invalid_token: return "malformed token";
        case error::token_signature_invalid: return "token signature invalid";
        case error::token_expired: return "token expired";
        case error::token_not_yet_valid: return "token not yet valid";
        case error::token_user_mismatch: return "token user_id does not match the user";
        case error::unsupported_token_algorithm: return "unsupported token algorithm";
        case error::no_token_provider: return "no token or token provider";
        case error::malformed_json: return "malformed JSON";
        case error::missing_field: return "missing field";
        case error::wrong_type: return "field has the wrong type";
        case error::invalid_value: return "field has an invalid value";
        case error::invalid_timestamp: return "invalid RFC 3339 timestamp";
        case error::payload_too_large: return "payload too large";
        case error::resolve_timeout: return "resolve timed out";
        case error::connect_timeout: return "connect timed out";
        case error::tls_handshake_timeout: return "TLS handshake timed out";
        case error::request_timeout: return "request timed out";
        case error::connection_lost: return "connection lost";
        case error::bad_http_response: return "bad HTTP response";
        case error::http_status: return "unexpected HTTP status";
        case error::retries_exhausted: return "retries exhausted";
        case error::shut_down: return "shut down";
        case error::handshake_timeout: return "websocket handshake timed out (no health.check)";
        case error::connection_dead: return "websocket link dead (silent too long)";
        case error::closed_by_server: return "websocket closed by the server (1000: permanent)";
        case error::malformed_frame: return "malformed websocket frame";
        case error::not_connected: return "not connected";
        case error::already_running: return "operation already running";
        }
        return "streamchat error " + std::to_string(ev);
    }
};

class api_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "streamchat.api"; }

    std::string message(int ev) const override
    {
        switch (static_cast<api_errc>(ev)) {
        case api_errc::internal_error: return "internal server error";
        case api_errc::access_key_error: return "api key invalid";
        case api_errc::authentication_failed: return "authentication failed";
        case api_errc::input_error: return "input error";
        case api_errc::authentication_error: return "authentication error";
        case api_errc::duplicate_username: return "duplicate username";
        case api_errc::rate_limited: return "rate limited";
        case api_errc::does_not_exist: return "does not exist";
        case api_errc::not_allowed: return "not allowed";
        case api_errc::event_not_supported: return "event not supported";
        case api_errc::channel_feature_not_supported: return "channel feature not supported";
        case api_errc::message_too_long: return "message too long";
        case api_errc::multiple_nesting_level: return "multiple nesting levels";
        case api_errc::payload_too_big: return "payload too big";
        case api_errc::request_timeout: return "server request timeout";
        case api_errc::max_header_size_exceeded: return "max header size exceeded";
        case api_errc::token_expired: return "token expired";
        case api_errc::token_not_valid_yet: return "token not valid yet";
        case api_errc::token_before_issued_at: return "token used before issued at";
        case api_errc::token_signature_invalid: return "token signature invalid";
        case api_errc::custom_command_endpoint_missing: return "custom command endpoint missing";
        case api_errc::custom_command_endpoint_call_error: return "custom command endpoint call error";
        case api_errc::connection_id_not_found: return "connection id not found";
        case api_errc::cooldown: return "cooldown (slow mode)";
        case api_errc::wrong_region: return "wrong region";
        case api_errc::query_channels_permission: return "query channels permission error";
        case api_errc::too_many_connections: return "too many connections";
        case api_errc::app_suspended: return "app suspended";
        }
        return "Stream API error code " + std::to_string(ev);
    }
};

} // namespace

const boost::system::error_category& error_category() noexcept
{
    static const error_category_impl instance;
    return instance;
}

const boost::system::error_category& api_category() noexcept
{
    static const api_category_impl instance;
    return instance;
}

bool is_token_expired(const error_code& ec) noexcept
{
    return ec == api_errc::token_expired || ec == error::token_expired;
}

bool is_rate_limited(const error_code& ec) noexcept
{
    return ec == api_errc::rate_limited;
}

bool is_retryable(const error_code& ec) noexcept
{
    if (!ec) return false;
    if (ec.category() == api_category()) {
        switch (ec.value()) {
        case -1: case 3: case 9: case 23: case 45: case 60: case 71: return true;
        default: return false;
        }
    }
    if (ec.category() == error_category()) {
        switch (static_cast<error>(ec.value())) {
        case error::resolve_timeout: case error::connect_timeout: case error::tls_handshake_timeout:
        case error::request_timeout: case error::connection_lost: case error::bad_http_response:
        case error::http_status: case error::handshake_timeout: case error::connection_dead:
            return true;
        default: return false;
        }
    }
    namespace ae = boost::asio::error;
    return ec == ae::connection_reset || ec == ae::connection_refused || ec == ae::connection_aborted ||
           ec == ae::broken_pipe || ec == ae::eof || ec == ae::timed_out || ec == ae::host_unreachable ||
           ec == ae::network_unreachable || ec == ae::network_down || ec == ae::try_again ||
           ec == boost::asio::ssl::error::stream_truncated || ec == boost::beast::error::timeout ||
           ec == boost::beast::http::error::end_of_stream || ec == boost::beast::http::error::partial_message;
}

bool is_fatal(const error_code& ec) noexcept
{
    if (!ec || is_retryable(ec) || is_token_expired(ec)) return false;
    if (ec == boost::asio::error::operation_aborted) return false; // a cancellation is not a verdict
    return true;
}

} // namespace streamchat
