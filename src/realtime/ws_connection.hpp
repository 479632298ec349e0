#ifndef STREAMCHAT_SRC_REALTIME_WS_CONNECTION_HPP
#define STREAMCHAT_SRC_REALTIME_WS_CONNECTION_HPP

// The one WebSocket of a client, as a thin Asio layer under three sans-io cores: the
// connection_machine decides what to do after each event, the health_monitor when to ping and
// when the link is dead, the reconnect_backoff how long to wait. This file only carries out
// their decisions: open (resolve → TCP → TLS → upgrade to /connect), read, write one frame at a
// time, time the handshake and the health checks, close.

#include "util/fifo.hpp"
#include "auth/token_refresher.hpp"
#include "realtime/connection_machine.hpp"
#include "realtime/health_monitor.hpp"

#include <streamchat/api/users.hpp>
#include <streamchat/config.hpp>
#include <streamchat/connection_state.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace streamchat::detail {

/// Counters of one connection (all since construction).
struct ws_metrics {
    std::uint64_t sockets_open = 0;      ///< WebSockets open right now (0 or 1).
    std::uint64_t sockets_opened = 0;    ///< WebSockets that completed the upgrade.
    std::uint64_t sockets_open_max = 0;  ///< Most WebSockets open at once (must stay 1).
    std::uint64_t frames_received = 0;   ///< Text frames received.
    std::uint64_t frames_sent = 0;       ///< Frames written (pings included).
    std::uint64_t pings_sent = 0;        ///< Health-check pings written.
    std::uint64_t reconnects = 0;        ///< Handshakes after a drop.
    std::uint64_t write_queue_max = 0;   ///< Longest the send queue got.
};

class ws_connection : public std::enable_shared_from_this<ws_connection> {
public:
    using clock = std::chrono::steady_clock;

    /// What the owner hears. All are called on the connection's executor, never inline from a
    /// public member function.
    struct listener {
        /// The first `health.check` of a socket: the connection id and the whole frame (it has `me`).
        std::function<void(const std::string& connection_id, std::string_view frame)> on_handshake;
        /// Every later text frame, as received (health checks included), with its arrival time.
        std::function<void(std::string_view frame, clock::time_point received)> on_frame;
        /// The state changed.
        std::function<void(const connection_status&)> on_status;
        /// After a reconnect's handshake: re-watch and catch up, then call recovery_done().
        std::function<void()> on_recover;
    };

    ws_connection(boost::asio::any_io_executor ex, const client_config& cfg, std::shared_ptr<token_refresher> auth,
                  listener l, std::uint64_t seed);
    ~ws_connection();

    /// Starts connecting as `details` (from idle or offline). The connection then keeps itself
    /// alive until stop().
    void start(user_input details);
    /// Closes with 1000 (or stops waiting) and goes offline. Idempotent.
    void stop();
    /// Queues a text frame; frames are written one at a time, in order. Dropped when no socket
    /// is connected (returns false): the protocol has no client messages worth replaying.
    bool send(std::string frame);
    /// The owner's recovery finished.
    void recovery_done(error_code ec);
    /// Drops the TCP connection abruptly, as a network failure would (tests, chaos).
    void drop();

    const connection_status& status() const noexcept { return machine_.status(); }
    const std::string& connection_id() const noexcept { return machine_.connection_id(); }
    const ws_metrics& metrics() const noexcept { return metrics_; }
    boost::asio::any_io_executor get_executor() const noexcept { return ex_; }

    struct socket;

private:
    void act(connection_action a);
    void open(std::uint64_t attempt);
    void after_input(connection_action a);
    void abandon_socket();
    /// Takes the current socket out (counters, health and send queue follow); null when none.
    std::shared_ptr<socket> detach_socket();
    void cancel_backoff();
    void arm_timer();
    void on_timer();
    void on_text(std::uint64_t attempt, std::string_view frame);
    void on_read_end(std::uint64_t attempt, error_code ec, int close_code);
    void write_next();

    boost::asio::any_io_executor ex_;
    client_config cfg_;
    std::shared_ptr<token_refresher> auth_;
    listener listener_;
    connection_machine machine_;
    health_monitor health_;
    user_input details_;
    std::string client_id_;
    std::shared_ptr<socket> sock_;            // current socket; null when none
    bool handshaken_ = false;                 // the current socket delivered its first frame
    clock::time_point handshake_deadline_ = clock::time_point::max();
    fifo<std::string> outbox_;
    bool writing_ = false;
    ws_metrics metrics_;
    struct timers;
    std::unique_ptr<timers> timers_;
};

} // namespace streamchat::detail

#endif
