#include "realtime/health_monitor.hpp"

#include <algorithm>

namespace streamchat::detail {
namespace {

using clock = health_monitor::clock;

// t + d, clamped to time_point::max(): a config may spell "never" as a huge duration.
clock::time_point add_saturated(clock::time_point t, std::chrono::milliseconds d) noexcept
{
    if (d <= std::chrono::milliseconds::zero()) return t;
    const auto room = t.time_since_epoch() < clock::duration::zero() ? clock::duration::max()
                                                                     : clock::time_point::max() - t;
    // Compared in milliseconds first: converting a huge `d` to the clock's unit could overflow.
    if (d >= std::chrono::duration_cast<std::chrono::milliseconds>(room)) return clock::time_point::max();
    return t + std::chrono::duration_cast<clock::duration>(d);
}

} // namespace

void health_monitor::on_open(clock::time_point now) noexcept
{
    active_ = true;
    ping_armed_ = false;
    last_frame_ = now;
}

void health_monitor::on_frame(clock::time_point now) noexcept
{
    if (!active_) return;
    last_frame_ = std::max(last_frame_, now);
}

void health_monitor::on_health_check(clock::time_point now) noexcept
{
    if (!active_) return;
    on_frame(now);
    ping_armed_ = true;
    last_health_check_ = now;
}

void health_monitor::on_close() noexcept
{
    active_ = false;
    ping_armed_ = false;
}

clock::time_point health_monitor::deadline() const noexcept
{
    if (!active_) return clock::time_point::max();
    const auto dead = add_saturated(last_frame_, config_.dead_after);
    if (!ping_armed_) return dead;
    return std::min(dead, add_saturated(last_health_check_, config_.ping_interval));
}

health_action health_monitor::poll(clock::time_point now) noexcept
{
    if (!active_) return health_action::none;
    if (now >= add_saturated(last_frame_, config_.dead_after)) {
        on_close();
        return health_action::link_dead;
    }
    if (ping_armed_ && now >= add_saturated(last_health_check_, config_.ping_interval)) {
        ping_armed_ = false;
        return health_action::send_ping;
    }
    return health_action::none;
}

} // namespace streamchat::detail
