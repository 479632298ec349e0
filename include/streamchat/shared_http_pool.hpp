#ifndef STREAMCHAT_SHARED_HTTP_POOL_HPP
#define STREAMCHAT_SHARED_HTTP_POOL_HPP

/// @file
/// Keep-alive HTTP connections shared by many clients of one process.

#include <streamchat/http_config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace streamchat {

namespace detail {
class http_pool;
}

/** @brief One set of keep-alive connections for every client of a process that acts as many
    users (a bot, a bridge, a load generator).

    A `client` normally owns a pool: a socket (or more) per user besides its WebSocket. Clients
    given the same `shared_http_pool` through `client_config::http_pool` send their REST calls
    over its connections instead; each call still carries its own user's token, and each client
    keeps its own scheduler, rate budgets and WebSocket. Destroying a client fails only its own
    calls; the pool lives as long as its last user (it is held by `shared_ptr`).

    @par Thread safety
    Not thread-safe: use the pool, and every client that shares it, on the pool's executor (one
    thread or strand). A process with several threads makes one pool per thread.
*/
class shared_http_pool {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Connections to `base_url` (`https://…` verified with the system's CA store, `http://` for
    /// loopback) with `config`. A 429 is always handed back to the calling client's scheduler,
    /// which parks that endpoint: `config.retry_rate_limited` is ignored, so that a waiting
    /// call never holds a connection others could use. Throws std::invalid_argument naming the
    /// problem when `base_url` is not a usable URL.
    shared_http_pool(executor_type ex, const std::string& base_url, http_config config = {});
    ~shared_http_pool();
    shared_http_pool(const shared_http_pool&) = delete;
    shared_http_pool& operator=(const shared_http_pool&) = delete;

    executor_type get_executor() const noexcept;
    /// Connections open or being opened now.
    std::size_t open_connections() const noexcept;
    /// Connections opened since construction.
    std::size_t connections_opened() const noexcept;

    /// The pool itself (internal: the clients send through it).
    const std::shared_ptr<detail::http_pool>& detail_pool() const noexcept { return pool_; }

private:
    std::shared_ptr<detail::http_pool> pool_;
};

} // namespace streamchat

#endif
