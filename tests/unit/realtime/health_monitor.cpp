#include "realtime/health_monitor.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using streamchat::health_config;
using streamchat::detail::health_action;
using streamchat::detail::health_monitor;
using namespace std::chrono_literals;

namespace {

using clock_type = health_monitor::clock;
const clock_type::time_point t0 = clock_type::time_point{} + 1h;
constexpr auto never = clock_type::time_point::max();

} // namespace

TEST_CASE("health monitor does nothing before a socket opens")
{
    health_monitor h;
    CHECK_FALSE(h.active());
    CHECK(h.deadline() == never);
    CHECK(h.poll(t0 + 1h) == health_action::none);
    h.on_frame(t0);
    h.on_health_check(t0);
    CHECK(h.deadline() == never);
    CHECK(h.poll(t0 + 1h) == health_action::none);
}

TEST_CASE("health monitor never pings without a health.check, and declares the link dead on time")
{
    health_monitor h; // Stream's defaults: ping 25 s, dead 35 s
    h.on_open(t0);
    CHECK(h.active());
    CHECK(h.deadline() == t0 + 35s);
    CHECK(h.poll(t0 + 25s) == health_action::none);
    CHECK(h.poll(t0 + 35s - 1ns) == health_action::none);
    CHECK(h.poll(t0 + 35s) == health_action::link_dead); // inclusive deadline
    CHECK_FALSE(h.active());
    CHECK(h.deadline() == never);
    CHECK(h.poll(t0 + 36s) == health_action::none); // reported once
}

TEST_CASE("health monitor pings once, ping_interval after the last health.check")
{
    health_monitor h;
    h.on_open(t0);
    h.on_health_check(t0 + 1s);
    CHECK(h.deadline() == t0 + 26s);
    CHECK(h.poll(t0 + 26s - 1ns) == health_action::none);
    CHECK(h.poll(t0 + 26s) == health_action::send_ping);
    // Not repeated: the next deadline is the dead-link check.
    CHECK(h.deadline() == t0 + 36s);
    CHECK(h.poll(t0 + 30s) == health_action::none);
    CHECK(h.poll(t0 + 36s - 1ns) == health_action::none);
    CHECK(h.poll(t0 + 36s) == health_action::link_dead);
}

TEST_CASE("health monitor re-arms the ping on every health.check, not on other frames")
{
    health_monitor h;
    h.on_open(t0);
    h.on_health_check(t0);
    h.on_frame(t0 + 20s); // a message.new: keeps the link alive, does not move the ping
    CHECK(h.deadline() == t0 + 25s);
    h.on_health_check(t0 + 24s);
    CHECK(h.deadline() == t0 + 49s);
    CHECK(h.poll(t0 + 25s) == health_action::none);
    CHECK(h.poll(t0 + 49s) == health_action::send_ping);
}

TEST_CASE("health monitor: any frame postpones the dead-link check")
{
    health_monitor h;
    h.on_open(t0);
    h.on_frame(t0 + 30s);
    CHECK(h.deadline() == t0 + 65s);
    CHECK(h.poll(t0 + 40s) == health_action::none);
    h.on_frame(t0 + 60s);
    CHECK(h.poll(t0 + 95s - 1ms) == health_action::none);
    CHECK(h.poll(t0 + 95s) == health_action::link_dead);
}

TEST_CASE("health monitor: a dead link wins over a due ping")
{
    health_monitor h;
    h.on_open(t0);
    h.on_health_check(t0);
    CHECK(h.poll(t0 + 40s) == health_action::link_dead); // polled late: both are due
    CHECK(h.poll(t0 + 40s) == health_action::none);

    health_monitor same({.ping_interval = 10s, .dead_after = 10s});
    same.on_open(t0);
    same.on_health_check(t0);
    CHECK(same.deadline() == t0 + 10s);
    CHECK(same.poll(t0 + 10s) == health_action::link_dead);
}

TEST_CASE("health monitor: a server that answers pings keeps the link alive forever")
{
    const health_config cfg{.ping_interval = 1000ms, .dead_after = 1500ms};
    health_monitor h(cfg);
    h.on_open(t0);
    h.on_health_check(t0); // the handshake frame
    auto now = t0;
    for (int i = 0; i < 100; ++i) {
        now = h.deadline();
        REQUIRE(now == t0 + (i + 1) * 1000ms + i * 5ms);
        REQUIRE(h.poll(now) == health_action::send_ping);
        now += 5ms;
        h.on_health_check(now); // the reply
    }
    CHECK(h.active());
}

TEST_CASE("health monitor: a server that never answers is dead dead_after its last frame")
{
    const health_config cfg{.ping_interval = 500ms, .dead_after = 1500ms};
    health_monitor h(cfg);
    h.on_open(t0);
    h.on_health_check(t0 + 100ms);
    CHECK(h.poll(h.deadline()) == health_action::send_ping);
    CHECK(h.deadline() == t0 + 1600ms);
    CHECK(h.poll(h.deadline()) == health_action::link_dead);
}

TEST_CASE("health monitor: on_close disarms, on_open starts afresh")
{
    health_monitor h;
    h.on_open(t0);
    h.on_health_check(t0);
    h.on_close();
    CHECK(h.deadline() == never);
    CHECK(h.poll(t0 + 1h) == health_action::none);
    h.on_frame(t0 + 1s); // stale frame of the old socket
    CHECK(h.deadline() == never);

    h.on_open(t0 + 10s);
    CHECK(h.deadline() == t0 + 45s); // no ping armed from the old socket
    CHECK(h.poll(t0 + 44s) == health_action::none);
}

TEST_CASE("health monitor: huge intervals mean never, without overflow")
{
    health_monitor h({.ping_interval = std::chrono::milliseconds::max(), .dead_after = std::chrono::milliseconds::max()});
    h.on_open(t0);
    h.on_health_check(t0);
    CHECK(h.deadline() == never);
    CHECK(h.poll(never - 1ns) == health_action::none);

    health_monitor zero({.ping_interval = 0ms, .dead_after = 1s});
    zero.on_open(t0);
    zero.on_health_check(t0);
    CHECK(zero.deadline() == t0);
    CHECK(zero.poll(t0) == health_action::send_ping);
}
