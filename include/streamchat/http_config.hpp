#ifndef STREAMCHAT_HTTP_CONFIG_HPP
#define STREAMCHAT_HTTP_CONFIG_HPP

/// @file
/// Settings of the HTTP transport: the keep-alive connection pool that carries every REST call.

#include <chrono>
#include <cstddef>
#include <string>

namespace streamchat {

/// How the REST transport connects, waits and retries. Every member has a usable default, so
/// `http_config{}` is right for Stream's hosted API; tests shorten the timeouts.
struct http_config {
    /// Connections kept open to the API host at most. Further requests queue (FIFO) until one is
    /// free; none is ever dropped. Browsers use 6; 4 keeps the per-user rate limit the bottleneck.
    /// Must be at least 1 (0 makes every request fail with error::invalid_argument).
    std::size_t max_connections_per_host = 4;

    /// An idle keep-alive connection is closed after this long. Below the common 60 s server
    /// keep-alive, so we close first instead of reusing a connection the server is dropping.
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(55);

    /// Budget for opening a connection: name resolution, TCP connect and TLS handshake together.
    /// The phase that runs out reports its own code: error::resolve_timeout, error::connect_timeout
    /// or error::tls_handshake_timeout.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(5);

    /// One attempt's budget from writing the request to the last byte of the response; on expiry
    /// the connection is closed and the request fails with error::request_timeout (not retried:
    /// the server may still be working on it).
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(10);

    /// Verify the server certificate chain and host name (HTTPS). Turning this off makes the
    /// connection open to interception; it exists only for local development servers.
    bool verify_peer = true;

    /// Largest response body accepted; a bigger one fails with error::payload_too_large.
    std::size_t max_response_body = 16 * 1024 * 1024;

    /// Largest response header block accepted; a bigger one fails with error::bad_http_response.
    std::size_t max_response_header = 64 * 1024;

    /// Retries after a failure that retrying can fix (see http_pool for the exact rules): a lost
    /// connection for idempotent requests, a failed connect, a 429. Total attempts = 1 + this.
    int max_retries = 3;

    /// First delay before retrying a lost connection; doubled each retry, with random jitter.
    std::chrono::steady_clock::duration retry_backoff_initial = std::chrono::milliseconds(200);

    /// Upper bound of the retry delay.
    std::chrono::steady_clock::duration retry_backoff_max = std::chrono::seconds(5);

    /// Retry a 429 after the delay the server asks for (`Retry-After`, else `X-RateLimit-Reset`).
    /// When false the 429 response is handed back at once.
    bool retry_rate_limited = true;

    /// Longest rate-limit delay waited for; a 429 asking for longer is handed back to the caller
    /// (who can reschedule the work) instead of stalling the request.
    std::chrono::steady_clock::duration max_rate_limit_wait = std::chrono::seconds(60);

    /// `User-Agent` header sent on every request, unless the request sets its own.
    std::string user_agent = "streamchat-cpp";
};

} // namespace streamchat

#endif
