#ifndef STREAMCHAT_SRC_REST_HTTP_POOL_HPP
#define STREAMCHAT_SRC_REST_HTTP_POOL_HPP

// The HTTP transport under the REST layer: a keep-alive connection pool to one host.

#include "rest/http_message.hpp"
#include "rest/transport.hpp"
#include "wire/url.hpp"

#include <streamchat/error.hpp>
#include <streamchat/http_config.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <memory>

namespace boost::asio::ssl {
class context;
}

namespace streamchat::detail {

/// Keep-alive HTTP/1.1 connections to one host (plain or TLS), shared by all REST calls.
///
/// @par Connections
/// At most `max_connections_per_host` connections are open at once (counting those being opened).
/// A free connection is reused last-in-first-out (the warmest one); a request that finds none and
/// cannot open one waits in a FIFO queue. Nothing is dropped: every request completes, with a
/// response or an error. Idle connections close after `idle_timeout`; a response with
/// `Connection: close`, HTTP/1.0 without keep-alive, or a body delimited by EOF closes its connection.
///
/// @par TLS
/// For https the peer certificate and the host name are verified (`verify_peer`, on by default)
/// and SNI is sent for host names (never for IP literals, RFC 6066). With no context given the
/// pool builds one that trusts the system CA store.
///
/// @par Retries (what may be sent twice)
/// - Opening a connection failed (resolve, connect, TLS, or their timeouts except a certificate
///   error): nothing was sent, so any request is retried with backoff.
/// - The connection was lost (reset, EOF, truncated response) after the request was written:
///   retried with backoff only when `http_request::idempotent`.
/// - Stale keep-alive: on a *reused* connection, when writing the request failed, or (idempotent
///   requests only) when the connection was lost before any response byte arrived, the request is
///   sent again at once on another connection, once per request, without counting against
///   `max_retries`. A POST whose write succeeded is never resent: the server may have acted on it.
/// - 429: the server did not act on the request, so any request waits `Retry-After` (else
///   `X-RateLimit-Reset` - now, else the backoff delay) and is retried, if `retry_rate_limited` and the
///   delay is at most `max_rate_limit_wait`; otherwise the 429 response is returned.
/// - Never retried: request_timeout, payload_too_large, bad_http_response, certificate errors.
/// Backoff doubles from `retry_backoff_initial` up to `retry_backoff_max`, with jitter (the delay is
/// drawn from [d/2, d]). At most `max_retries` backoff/429 retries are made. When they run out the
/// last error (or the last 429 response) is returned. `http_response::attempts` always tells how many
/// attempts were made, on failure too.
///
/// @par Errors
/// resolve_timeout / connect_timeout / tls_handshake_timeout / request_timeout, connection_lost,
/// bad_http_response (malformed or oversized header), payload_too_large (body over
/// `max_response_body`), invalid_argument (a target or header that would break the request line),
/// shut_down (the pool was shut down or destroyed), asio::error::operation_aborted (cancelled),
/// and resolver / socket / SSL errors as Asio reports them (e.g. host_not_found, a certificate
/// verification failure in the asio.ssl category).
///
/// @par Per-operation cancellation
/// Terminal and partial cancellation abort the request wherever it is (the connection in use is
/// closed, not returned to the pool); total cancellation is honoured while the request is queued
/// or waiting for a retry, i.e. before (again) anything was sent. The operation then completes with
/// asio::error::operation_aborted. Emit the signal from the pool's executor.
///
/// @par Object lifetimes and thread safety
/// Destroying the pool (or calling shutdown()) completes every queued and in-flight request with
/// error::shut_down; internals are reference-counted so this is safe while operations are pending.
/// No threads are started. One pool is used from one strand (its executor); it is not thread-safe.
class http_pool final : public transport {
public:
    /// Connects to `url`. `tls_context` (optional, not owned, must outlive the pool) is used for
    /// https; when null the pool creates a client context with the system's default CA paths.
    http_pool(boost::asio::any_io_executor executor, base_url url, http_config config = {},
              boost::asio::ssl::context* tls_context = nullptr);
    ~http_pool() override;

    http_pool(const http_pool&) = delete;
    http_pool& operator=(const http_pool&) = delete;

    boost::asio::any_io_executor get_executor() const noexcept;
    const base_url& url() const noexcept;
    const http_config& config() const noexcept;

    /// Sends `req` and reads the response. Handler: `void(error_code, http_response)`; on error
    /// the response is empty except for `attempts`.
    void async_request(http_request req,
                       boost::asio::any_completion_handler<void(error_code, http_response)> handler);

    /// The same with any completion token (`co_await pool.async_request(req)` with the default).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_request(http_request req, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, http_response)>(
            [this](auto handler, http_request r) {
                async_request(std::move(r),
                              boost::asio::any_completion_handler<void(error_code, http_response)>(std::move(handler)));
            },
            token, std::move(req));
    }

    /// `transport`: the endpoint does not matter to a pool.
    void async_send(endpoint_key, http_request req,
                    boost::asio::any_completion_handler<void(error_code, http_response)> handler) override
    {
        async_request(std::move(req), std::move(handler));
    }

    /// Fails every queued and in-flight request with error::shut_down, closes every connection and
    /// refuses new requests (they complete with error::shut_down). Idempotent.
    void shutdown() override;

    /// Connections currently open or being opened (for tests and metrics).
    std::size_t open_connections() const noexcept;
    /// Connections opened since construction (for tests and metrics).
    std::size_t connections_opened() const noexcept;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace streamchat::detail

#endif
