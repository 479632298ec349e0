#include "net/connector.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace streamchat::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::unique_ptr<ssl::context> make_client_tls_context(error_code& ec)
{
    try {
        auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
        ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
        SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
        ctx->set_default_verify_paths(ec);
        if (ec) return nullptr;
        return ctx;
    } catch (const boost::system::system_error& failure) {
        ec = failure.code();
    } catch (const std::exception&) {
        ec = make_error_code(boost::system::errc::not_enough_memory);
    }
    return nullptr;
}

asio::awaitable<error_code> async_open_stream(const base_url& url, ssl::context* tls_ctx, bool verify_peer,
                                              std::chrono::steady_clock::time_point deadline, connect_parts& parts,
                                              net_stream& out, std::function<error_code()> interrupted)
{
    constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
    auto ex = parts.resolver.get_executor();

    // Resolve, bounded by a timer: getaddrinfo cannot be interrupted, so do not wait for it.
    struct resolve_state {
        bool done = false;
        error_code ec;
        tcp::resolver::results_type results;
        asio::steady_timer* timer;
    };
    auto rs = std::make_shared<resolve_state>();
    rs->timer = &parts.resolve_timer;
    std::weak_ptr<resolve_state> weak = rs;
    parts.resolver.async_resolve(url.host, std::to_string(url.port),
                                 [weak](error_code ec, tcp::resolver::results_type r) {
                                     auto s = weak.lock();
                                     if (!s) return;
                                     s->done = true;
                                     s->ec = ec;
                                     s->results = std::move(r);
                                     s->timer->cancel();
                                 });
    parts.resolve_timer.expires_at(deadline);
    (void)co_await parts.resolve_timer.async_wait(nothrow);
    if (auto ec = interrupted()) co_return ec;
    if (!rs->done) {
        parts.resolver.cancel();
        co_return error::resolve_timeout;
    }
    if (rs->ec) co_return rs->ec;

    if (url.tls) {
        if (!tls_ctx) co_return error::invalid_argument;
        out.tls.emplace(ex, *tls_ctx);
    } else {
        out.plain.emplace(ex);
    }
    auto& lowest = out.lowest();
    lowest.expires_at(deadline);
    auto [cec, endpoint] = co_await lowest.async_connect(rs->results, nothrow);
    (void)endpoint;
    if (auto ec = interrupted()) co_return ec;
    if (cec == beast::error::timeout) co_return error::connect_timeout;
    if (cec) co_return cec;
    error_code ignored;
    lowest.socket().set_option(tcp::no_delay(true), ignored);

    if (out.tls) {
        // SNI for host names only (RFC 6066 forbids IP literals). SSL_set_tlsext_host_name is a
        // macro with an old-style cast, hence SSL_ctrl.
        if (!url.host_is_ip() &&
            SSL_ctrl(out.tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(url.host.c_str())) != 1)
            co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
        error_code vec;
        if (verify_peer) {
            out.tls->set_verify_mode(ssl::verify_peer, vec);
            if (!vec) out.tls->set_verify_callback(ssl::host_name_verification(url.host), vec);
        } else {
            out.tls->set_verify_mode(ssl::verify_none, vec);
        }
        if (vec) co_return vec;
        auto [hec] = co_await out.tls->async_handshake(ssl::stream_base::client, nothrow);
        if (auto ec = interrupted()) co_return ec;
        if (hec == beast::error::timeout) co_return error::tls_handshake_timeout;
        if (hec) co_return hec;
    }
    lowest.expires_never();
    co_return error_code{};
}

} // namespace streamchat::detail
