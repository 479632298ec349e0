#ifndef STREAMCHAT_SRC_REST_HTTP_MESSAGE_HPP
#define STREAMCHAT_SRC_REST_HTTP_MESSAGE_HPP

// The request and response values exchanged with `http_pool`, free of Beast so that the REST
// layer above can build and read them without pulling the HTTP machinery into its headers.

#include <streamchat/diagnostics.hpp>

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamchat::detail {

using http_verb = boost::beast::http::verb;
using http_headers = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive (ASCII) header-name comparison, as HTTP requires.
bool header_name_equals(std::string_view a, std::string_view b) noexcept;

/// The first header named `name` (case-insensitive), or empty.
std::optional<std::string_view> find_header(const http_headers& headers, std::string_view name) noexcept;

/// True for the methods RFC 9110 calls idempotent and that the SDK uses: GET, HEAD, PUT, DELETE, OPTIONS.
bool is_idempotent(http_verb method) noexcept;

/// One HTTP request. `target` is the path plus query below the pool's base path
/// ("/channels?api_key=..."); `http_pool` prefixes the base path. `Host`, `User-Agent` (unless
/// set here), `Content-Length` and `Connection` are added by the pool.
struct http_request {
    http_verb method = http_verb::get;
    std::string target = "/";
    http_headers headers{};
    std::string body{};
    /// May the pool send this request again after a connection loss? Defaults from the method
    /// (GET/PUT/DELETE yes, POST/PATCH no); set it when the REST layer knows better.
    bool idempotent = true;

    http_request() = default;
    http_request(http_verb m, std::string t, std::string b = {})
        : method(m), target(std::move(t)), body(std::move(b)), idempotent(is_idempotent(m)) {}
};

/// One HTTP response, whatever its status: a 4xx/5xx is a response, not a transport error.
struct http_response {
    int status = 0;                 ///< HTTP status code; 0 when no response arrived.
    http_headers headers{};         ///< In arrival order, names as sent.
    std::string body{};             ///< Decoded from chunked transfer encoding if needed.
    rate_limit_info rate_limit{};   ///< Parsed `X-RateLimit-*` / `Retry-After`.
    int attempts = 0;               ///< Attempts made for this request (1 when no retry happened).
    int rate_limited = 0;           ///< 429 answers among them (those waited out and retried included).
    /// When the last attempt's request was fully written; unset (epoch) when none was.
    std::chrono::steady_clock::time_point sent_at{};
    /// When the last attempt's response header had been read (its first bytes, for the small
    /// headers of an API): `first_byte_at - sent_at` is the time to first byte. Unset when none was.
    std::chrono::steady_clock::time_point first_byte_at{};

    /// The first header named `name` (case-insensitive), or empty.
    std::optional<std::string_view> header(std::string_view name) const noexcept { return find_header(headers, name); }
};

/// An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, RFC 850 or asctime form). Empty when malformed.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) noexcept;

/// Reads `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds) and
/// `Retry-After` (delta seconds, or an HTTP-date turned into a delay from `now`, never negative).
/// Malformed values are treated as absent.
rate_limit_info parse_rate_limit(const http_headers& headers, std::chrono::system_clock::time_point now);

} // namespace streamchat::detail

#endif
