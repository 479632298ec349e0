#ifndef STREAMCHAT_SRC_REALTIME_CONNECTION_MACHINE_HPP
#define STREAMCHAT_SRC_REALTIME_CONNECTION_MACHINE_HPP

/// @file
/// The WebSocket connection's lifecycle as a pure state machine: no sockets, timers or threads.

#include "realtime/backoff.hpp"

#include <streamchat/connection_state.hpp>
#include <streamchat/error.hpp>
#include <streamchat/realtime_config.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace streamchat::detail {


/// What the Asio layer must do after feeding the machine an input.
enum class connection_action_kind {
    none,                    ///< Nothing new; keep going.
    open_socket,             ///< Open a WebSocket (with the token held) and report how it went.
    refresh_token_then_open, ///< Ask the token provider and report token_refreshed() (which opens).
    wait_backoff,            ///< Abandon the current socket, if any; call backoff_elapsed() after `delay`.
    start_recovery,          ///< Re-watch and catch up over the new socket; report recovery_done().
    close_socket,            ///< Close the socket with 1000 and cancel everything: the machine is offline.
    notify_stopped,          ///< No socket to close; cancel everything: the machine is offline.
};

/// The name of an action kind, e.g. "wait_backoff" (for logs).
std::string_view to_string(connection_action_kind k) noexcept;

/// An action and, for wait_backoff, how long to wait.
struct connection_action {
    connection_action_kind kind = connection_action_kind::none;
    std::chrono::milliseconds delay{0};

    friend bool operator==(const connection_action&, const connection_action&) = default;
};

/// The connection lifecycle of the JS client (docs/protocol.md, "WebSocket"), one input method
/// per event the Asio layer observes, each returning the one action it must carry out next.
///
/// @par States
/// `idle → connecting → connected`; after a drop `connected → waiting → connecting → recovering
/// → connected`; `offline` on stop() from anywhere or on a permanent error. `connecting` covers a
/// token refresh, opening the socket and waiting for the first `health.check`.
///
/// @par Sockets
/// At most one socket is current. Every action except none and start_recovery gives it up: the
/// layer closes it, if still open, and reports nothing more from it.
///
/// @par Failures and backoff
/// A failed attempt (transport failure, close other than 1000, handshake timeout, recoverable
/// recovery failure) counts once in the owned reconnect_backoff, and the delay of wait_backoff is
/// drawn for the new count. The first input that fails an attempt moves the machine on, so a
/// socket that reports both an error and a close counts once (the JS client counts it twice).
/// An error frame with code 40 that leads to a token refresh counts too (as in the JS client),
/// but the refresh starts at once. A dead link after the handshake is not counted: while
/// connected the count is 0, so the delay is drawn for n = 0 (while recovering, for the current
/// count); before the handshake it is a failed attempt. A successful handshake (first connect)
/// or recovery (reconnect) resets the count.
///
/// @par Permanent errors (offline, with the reason in status())
/// - an error frame other than code 40, or code 40 without a token provider:
///   `make_api_error_code(code)`;
/// - code 40 with a provider after max_consecutive_refreshes refreshes without a handshake in
///   between: `api_errc::token_expired`;
/// - close 1000 from the server: `error::closed_by_server`;
/// - the token provider failed: its error code;
/// - recovery failed with an error for which is_fatal() holds: that error.
/// stop() goes offline with an empty reason: the application asked.
///
/// @par Stale inputs
/// An input that does not fit the current state returns none and changes nothing: events from a
/// socket already given up, a timer that fired late, anything after stop(). The machine cannot
/// tell an old socket's close from the current one's if both arrive while a socket is open, so
/// the layer tags each socket with attempt() and drops events of older attempts.
///
/// @par Observing changes
/// Each change of `status().state` appends the new status to a queue; the layer drains it with
/// take_changes() after each input and delivers the entries in order. A change of `failures` or
/// `reason` without a change of state is visible in status() but not queued.
///
/// Not thread-safe; one machine per connection, driven from one strand.
class connection_machine {
public:
    /// Consecutive code-40 refreshes allowed before giving up with api_errc::token_expired.
    static constexpr int max_consecutive_refreshes = 3;
    /// The close code Stream uses for permanent errors (never reconnected).
    static constexpr int normal_closure = 1000;

    /// `has_token_provider` decides whether error code 40 refreshes the token or is permanent.
    /// `seed` seeds the backoff jitter.
    explicit connection_machine(bool has_token_provider, backoff_config backoff = {},
                                std::uint64_t seed = 0) noexcept;

    // ---- inputs

    /// The application connects. From idle or offline: open_socket (the count is reset).
    connection_action start();
    /// The socket is open (handshake pending). Returns none; the layer times the handshake.
    connection_action socket_opened();
    /// The first `health.check` arrived with `connection_id`: connected, or start_recovery after
    /// a drop.
    connection_action handshake_done(std::string connection_id);
    /// The first frame was `{"error":{"code":stream_code,…}}`.
    connection_action error_frame(int stream_code);
    /// The peer closed the socket with `close_code`; 1000 is permanent, anything else reconnects.
    connection_action closed(int close_code);
    /// Connecting, reading or writing failed with `ec`: reconnect.
    connection_action transport_failed(error_code ec);
    /// The health monitor reported a dead link: reconnect.
    connection_action link_dead();
    /// No handshake within `connect_timeout`: reconnect.
    connection_action handshake_timeout();
    /// The token provider finished: open_socket on success, offline on failure.
    connection_action token_refreshed(error_code ec);
    /// The backoff delay is over: open_socket.
    connection_action backoff_elapsed();
    /// Recovery finished: connected on success, else reconnect (or offline if is_fatal(ec)).
    connection_action recovery_done(error_code ec);
    /// The application disconnects: offline; close_socket when a socket is open or opening.
    connection_action stop();

    // ---- observers

    /// The current status; `failures` is the backoff count.
    const connection_status& status() const noexcept { return status_; }
    /// The id from the last handshake while a socket carries it (recovering, connected); else empty.
    const std::string& connection_id() const noexcept { return connection_id_; }
    /// True once a connection was established since start(): a handshake now is a reconnect, and
    /// the machine asks for recovery before reporting connected.
    bool is_reconnect() const noexcept { return was_connected_; }
    bool has_token_provider() const noexcept { return has_token_provider_; }
    /// Incremented on every open_socket and refresh_token_then_open: the identity of the current
    /// attempt, for the layer to discard events of sockets it has given up.
    std::uint64_t attempt() const noexcept { return attempt_; }
    const reconnect_backoff& backoff() const noexcept { return backoff_; }

    /// Status changes since the last call, oldest first; clears the queue.
    std::vector<connection_status> take_changes();
    bool has_changes() const noexcept { return !changes_.empty(); }

private:
    enum class phase { idle, refreshing, opening, handshaking, recovering, connected, waiting, offline };

    bool socket_exists() const noexcept;
    void enter(phase p, error_code reason);
    connection_action open(connection_action_kind kind);
    connection_action fail(error_code reason);
    connection_action reconnect(error_code reason);
    connection_action go_offline(error_code reason, connection_action_kind kind);

    reconnect_backoff backoff_;
    bool has_token_provider_;
    phase phase_ = phase::idle;
    connection_status status_{};
    std::vector<connection_status> changes_;
    std::string connection_id_;
    bool was_connected_ = false;
    int refreshes_ = 0;
    std::uint64_t attempt_ = 0;
};

} // namespace streamchat::detail

#endif
