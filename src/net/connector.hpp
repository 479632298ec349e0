#ifndef STREAMCHAT_SRC_NET_CONNECTOR_HPP
#define STREAMCHAT_SRC_NET_CONNECTOR_HPP

// Opening a stream to the API host: resolve → TCP → (TLS with SNI and host-name verification),
// each phase bounded by one deadline and reporting its own timeout code. Shared by the HTTP pool
// and the WebSocket so both connect, verify and time out the same way.

#include "wire/url.hpp"

#include <streamchat/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace streamchat::detail {

/// A plain or TLS stream, as one of the two is open. The owner keeps it where cancellation and
/// shutdown can reach it (`lowest().close()` interrupts everything).
struct net_stream {
    std::optional<boost::beast::tcp_stream> plain;
    std::optional<boost::asio::ssl::stream<boost::beast::tcp_stream>> tls;

    bool is_open() const noexcept { return plain.has_value() || tls.has_value(); }
    boost::beast::tcp_stream& lowest() noexcept { return tls ? tls->next_layer() : *plain; }
};

/// The pieces an open needs that must outlive it and be cancellable from outside.
struct connect_parts {
    explicit connect_parts(const boost::asio::any_io_executor& ex) : resolver(ex), resolve_timer(ex) {}
    boost::asio::ip::tcp::resolver resolver;
    boost::asio::steady_timer resolve_timer; // bounds the resolve (the resolver has no deadline of its own)
    void cancel() noexcept
    {
        resolver.cancel();
        resolve_timer.cancel();
    }
};

/// A TLS client context trusting the system's CA store, TLS 1.2 at least. On failure returns
/// null and sets `ec`.
std::unique_ptr<boost::asio::ssl::context> make_client_tls_context(error_code& ec);

/// Opens `out` to `url` by `deadline`. `interrupted` is consulted after every phase (cancellation,
/// shutdown): a non-empty code stops the open and is returned. Timeouts report
/// error::resolve_timeout / connect_timeout / tls_handshake_timeout; other failures are Asio's
/// (resolver, socket, SSL). On success the stream has no expiry set and TCP_NODELAY on.
boost::asio::awaitable<error_code> async_open_stream(const base_url& url, boost::asio::ssl::context* tls_ctx,
                                                     bool verify_peer,
                                                     std::chrono::steady_clock::time_point deadline,
                                                     connect_parts& parts, net_stream& out,
                                                     std::function<error_code()> interrupted);

} // namespace streamchat::detail

#endif
