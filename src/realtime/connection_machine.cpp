#include "realtime/connection_machine.hpp"

#include <utility>

namespace streamchat::detail {

std::string_view to_string(connection_action_kind k) noexcept
{
    switch (k) {
    case connection_action_kind::none: return "none";
    case connection_action_kind::open_socket: return "open_socket";
    case connection_action_kind::refresh_token_then_open: return "refresh_token_then_open";
    case connection_action_kind::wait_backoff: return "wait_backoff";
    case connection_action_kind::start_recovery: return "start_recovery";
    case connection_action_kind::close_socket: return "close_socket";
    case connection_action_kind::notify_stopped: return "notify_stopped";
    }
    return "unknown";
}

connection_machine::connection_machine(bool has_token_provider, backoff_config backoff,
                                       std::uint64_t seed) noexcept
    : backoff_(backoff, seed), has_token_provider_(has_token_provider)
{
}

std::vector<connection_status> connection_machine::take_changes()
{
    return std::exchange(changes_, {});
}

bool connection_machine::socket_exists() const noexcept
{
    switch (phase_) {
    case phase::opening:
    case phase::handshaking:
    case phase::recovering:
    case phase::connected: return true;
    default: return false;
    }
}

void connection_machine::enter(phase p, error_code reason)
{
    phase_ = p;
    status_.reason = reason;
    status_.failures = backoff_.failures();
    connection_state s = connection_state::idle;
    switch (p) {
    case phase::idle: s = connection_state::idle; break;
    case phase::refreshing:
    case phase::opening:
    case phase::handshaking: s = connection_state::connecting; break;
    case phase::recovering: s = connection_state::recovering; break;
    case phase::connected: s = connection_state::connected; break;
    case phase::waiting: s = connection_state::waiting; break;
    case phase::offline: s = connection_state::offline; break;
    }
    if (s != status_.state) {
        status_.state = s;
        changes_.push_back(status_);
    }
}

connection_action connection_machine::open(connection_action_kind kind)
{
    ++attempt_;
    enter(kind == connection_action_kind::refresh_token_then_open ? phase::refreshing : phase::opening,
          status_.reason);
    return {kind};
}

connection_action connection_machine::fail(error_code reason)
{
    backoff_.record_failure();
    return reconnect(reason);
}

connection_action connection_machine::reconnect(error_code reason)
{
    connection_id_.clear();
    enter(phase::waiting, reason);
    return {connection_action_kind::wait_backoff, backoff_.next_delay()};
}

connection_action connection_machine::go_offline(error_code reason, connection_action_kind kind)
{
    connection_id_.clear();
    enter(phase::offline, reason);
    return {kind};
}

connection_action connection_machine::start()
{
    if (phase_ != phase::idle && phase_ != phase::offline) return {};
    backoff_.reset();
    refreshes_ = 0;
    was_connected_ = false;
    status_.reason = {};
    return open(connection_action_kind::open_socket);
}

connection_action connection_machine::socket_opened()
{
    if (phase_ == phase::opening) phase_ = phase::handshaking;
    return {};
}

connection_action connection_machine::handshake_done(std::string connection_id)
{
    if (phase_ != phase::opening && phase_ != phase::handshaking) return {};
    connection_id_ = std::move(connection_id);
    refreshes_ = 0; // the token was accepted
    if (was_connected_) {
        // Not connected yet: events missed while down must be caught up first.
        enter(phase::recovering, status_.reason);
        return {connection_action_kind::start_recovery};
    }
    was_connected_ = true;
    backoff_.reset();
    enter(phase::connected, {});
    return {};
}

connection_action connection_machine::error_frame(int stream_code)
{
    if (phase_ != phase::opening && phase_ != phase::handshaking) return {};
    const auto reason = make_api_error_code(stream_code);
    if (stream_code == static_cast<int>(api_errc::token_expired) && has_token_provider_) {
        // Bounded: a provider that keeps handing out expired tokens must not loop forever.
        if (refreshes_ >= max_consecutive_refreshes)
            return go_offline(make_error_code(api_errc::token_expired), connection_action_kind::close_socket);
        ++refreshes_;
        backoff_.record_failure();
        status_.reason = reason;
        return open(connection_action_kind::refresh_token_then_open);
    }
    return go_offline(reason, connection_action_kind::close_socket);
}

connection_action connection_machine::closed(int close_code)
{
    if (!socket_exists()) return {};
    if (close_code == normal_closure)
        return go_offline(error_code(error::closed_by_server),
                          connection_action_kind::notify_stopped);
    return fail(make_error_code(error::connection_lost));
}

connection_action connection_machine::transport_failed(error_code ec)
{
    if (!socket_exists()) return {};
    return fail(ec ? ec : make_error_code(error::connection_lost));
}

connection_action connection_machine::link_dead()
{
    const auto reason = error_code(error::connection_dead);
    switch (phase_) {
    case phase::opening:
    case phase::handshaking: return fail(reason); // the attempt itself failed
    case phase::recovering:
    case phase::connected: return reconnect(reason);
    default: return {};
    }
}

connection_action connection_machine::handshake_timeout()
{
    if (phase_ != phase::opening && phase_ != phase::handshaking) return {};
    return fail(error_code(error::handshake_timeout));
}

connection_action connection_machine::token_refreshed(error_code ec)
{
    if (phase_ != phase::refreshing) return {};
    // A provider that fails is the application's to fix; retrying it blindly could loop forever.
    if (ec) return go_offline(ec, connection_action_kind::notify_stopped);
    phase_ = phase::opening; // same attempt, same state: nothing to report
    return {connection_action_kind::open_socket};
}

connection_action connection_machine::backoff_elapsed()
{
    if (phase_ != phase::waiting) return {};
    return open(connection_action_kind::open_socket);
}

connection_action connection_machine::recovery_done(error_code ec)
{
    if (phase_ != phase::recovering) return {};
    if (!ec) {
        backoff_.reset();
        enter(phase::connected, {});
        return {};
    }
    if (is_fatal(ec)) return go_offline(ec, connection_action_kind::close_socket);
    return fail(ec);
}

connection_action connection_machine::stop()
{
    if (phase_ == phase::offline) return {};
    const auto kind = socket_exists() ? connection_action_kind::close_socket : connection_action_kind::notify_stopped;
    return go_offline({}, kind);
}

} // namespace streamchat::detail
