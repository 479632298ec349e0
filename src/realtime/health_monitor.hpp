#ifndef STREAMCHAT_SRC_REALTIME_HEALTH_MONITOR_HPP
#define STREAMCHAT_SRC_REALTIME_HEALTH_MONITOR_HPP

/// @file
/// Keep-alive pings and dead-link detection for one WebSocket, with time passed in.

#include <streamchat/realtime_config.hpp>

#include <chrono>

namespace streamchat::detail {

/// What the owner of a health_monitor must do after poll().
enum class health_action {
    none,      ///< Nothing is due yet.
    send_ping, ///< Send `[{"type":"health.check","client_id":…}]`.
    link_dead, ///< No frame for `dead_after`: drop the socket and reconnect.
};

/// The timing of the JS client's health checks (docs/protocol.md, "WebSocket"), as a clock-free
/// object: the owner feeds it events with their time, arms one timer at deadline(), and calls
/// poll() when that timer fires (or at any other time; early polls are harmless).
///
/// - Ping: one-shot, due `ping_interval` after the last `health.check` received, re-armed by each
///   one. It is not repeated until the next `health.check`, and if none arrives after open there
///   is no ping at all: the server's first frame is a `health.check`, so a socket that never sent
///   one is left to the handshake timeout.
/// - Dead link: due `dead_after` after the last frame of any kind (or after on_open() when none
///   came). Reported once; the monitor is then disarmed until the next on_open().
///
/// Deadlines are inclusive: at exactly `last + interval` the action is due, so polling at
/// deadline() always makes progress. When a ping and a dead link are both due, the dead link
/// wins and the ping is dropped. Events before on_open() or after on_close() / a dead link are
/// ignored: they belong to a socket the owner has given up.
class health_monitor {
public:
    using clock = std::chrono::steady_clock;

    explicit health_monitor(health_config config = {}) noexcept : config_(config) {}

    const health_config& config() const noexcept { return config_; }

    /// A socket opened at `now`: arms the dead-link check, no ping yet.
    void on_open(clock::time_point now) noexcept;

    /// Any frame arrived at `now`.
    void on_frame(clock::time_point now) noexcept;

    /// A `health.check` frame arrived at `now` (also a frame): re-arms the ping.
    void on_health_check(clock::time_point now) noexcept;

    /// The socket is gone: disarms everything.
    void on_close() noexcept;

    /// True between on_open() and on_close() or a reported dead link.
    bool active() const noexcept { return active_; }

    /// When poll() must be called next; `clock::time_point::max()` when nothing is armed.
    clock::time_point deadline() const noexcept;

    /// The action due at `now`, if any, and the state advanced past it.
    health_action poll(clock::time_point now) noexcept;

private:
    health_config config_;
    bool active_ = false;
    bool ping_armed_ = false;
    clock::time_point last_frame_{};
    clock::time_point last_health_check_{};
};

} // namespace streamchat::detail

#endif
