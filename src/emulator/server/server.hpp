#ifndef STREAMCHAT_SRC_EMULATOR_SERVER_SERVER_HPP
#define STREAMCHAT_SRC_EMULATOR_SERVER_SERVER_HPP

// The emulator's network layer: one listener serving REST (HTTP/1.1 keep-alive) and the
// `/connect` WebSocket on the same port, on one executor, without threads.
//
// Lifetime: every session holds a shared_ptr to the server, so the server (with its hub and rate
// limiter) outlives every pending operation; stop() closes the sockets, so those operations end
// promptly with operation_aborted, and closes the store, which sessions then no longer touch.

#include "emulator/api.hpp"
#include "emulator/hub.hpp"
#include "emulator/server/rate_limiter.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace streamchat::emu {

/// A connection the server can close at stop().
class session_base : public std::enable_shared_from_this<session_base> {
public:
    virtual ~session_base() = default;
    /// Closes the socket now (stop()): pending operations complete with an error.
    virtual void shutdown() = 0;
    /// True for a `/connect` WebSocket session.
    virtual bool is_websocket() const noexcept { return false; }
};

class server : public std::enable_shared_from_this<server> {
public:
    server(boost::asio::any_io_executor ex, emulator_config cfg);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Opens and seeds the store, binds, starts accepting.
    error_code start(std::string& why);
    /// Closes the listener and every session, then the store. Idempotent.
    void stop();

    std::uint16_t port() const noexcept { return port_; }
    const emulator_config& config() const noexcept { return cfg_; }
    boost::asio::any_io_executor get_executor() const { return ex_; }

    /// True between a successful start() and stop(): the store may be used.
    bool serving() const noexcept { return ctx_.has_value(); }
    /// Valid only while serving().
    context& ctx() noexcept { return *ctx_; }
    hub& realtime() noexcept { return hub_; }
    rate_limiter& limiter() noexcept { return limiter_; }

    /// Session registry (for stop()). `remove` is called from session destructors.
    void add(const std::shared_ptr<session_base>& s);
    void remove(session_base* s) noexcept;
    std::size_t session_count() const noexcept { return sessions_.size(); }
    /// Closes every WebSocket at once, without a close frame, as a network failure would.
    /// Returns how many were closed.
    std::size_t drop_websockets();

private:
    void do_accept();
    void on_accept(error_code ec, boost::asio::ip::tcp::socket socket);

    boost::asio::any_io_executor ex_;
    emulator_config cfg_;
    std::unique_ptr<store, store_deleter> store_;
    hub hub_;
    rate_limiter limiter_;
    std::optional<context> ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer accept_retry_;
    std::unordered_map<session_base*, std::weak_ptr<session_base>> sessions_;
    std::uint16_t port_ = 0;
    bool accepting_ = false;
};

/// Formats an elapsed time as Stream's `duration`, e.g. "1.23ms".
std::string format_duration(std::chrono::steady_clock::duration d);

} // namespace streamchat::emu

#endif
