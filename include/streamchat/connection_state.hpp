#ifndef STREAMCHAT_CONNECTION_STATE_HPP
#define STREAMCHAT_CONNECTION_STATE_HPP

/// @file
/// The states a client's WebSocket connection goes through, as the application observes them.

#include <streamchat/error.hpp>

#include <string_view>

namespace streamchat {

/// Where the connection is. `offline` carries the reason in `connection_status::reason`.
enum class connection_state {
    idle,       ///< Never connected.
    connecting, ///< Opening the socket and waiting for the first `health.check`.
    connected,  ///< Handshake done: a connection id exists; events flow.
    recovering, ///< Reconnected after a drop; re-watching and catching up before `connected`.
    waiting,    ///< The link failed; a reconnect is scheduled after a backoff delay.
    offline,    ///< Stopped: close 1000 or a fatal error (see the reason), or the application
                ///< disconnected (empty reason). `async_connect` starts again from here.
};

/// The wire-free name of a state, e.g. "connected".
std::string_view to_string(connection_state s) noexcept;

/// A state change as delivered to the application.
struct connection_status {
    /// The new state.
    connection_state state = connection_state::idle;
    /// Why the connection left `connected` (or failed to reach it); empty while healthy.
    error_code reason{};
    /// Consecutive failed attempts so far; 0 once connected.
    int failures = 0;
};

} // namespace streamchat

#endif
