#include "realtime/connection_machine.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/error.hpp>

#include <chrono>
#include <ostream>
#include <vector>

using namespace streamchat;
using streamchat::detail::connection_action;
using streamchat::detail::connection_action_kind;
using streamchat::detail::connection_machine;
using streamchat::detail::reconnect_backoff;
using std::chrono::milliseconds;
using kind = connection_action_kind;
using cs = connection_state;

namespace streamchat {
std::ostream& operator<<(std::ostream& os, connection_state s) { return os << to_string(s); }
}
namespace streamchat::detail {
std::ostream& operator<<(std::ostream& os, connection_action_kind k) { return os << to_string(k); }
std::ostream& operator<<(std::ostream& os, const connection_action& a)
{
    return os << to_string(a.kind) << '(' << a.delay.count() << "ms)";
}
} // namespace streamchat::detail

namespace {

const connection_action none{};
const connection_action open_socket{kind::open_socket};

std::vector<cs> states(connection_machine& m)
{
    std::vector<cs> out;
    for (const auto& s : m.take_changes())
        out.push_back(s.state);
    return out;
}

bool delay_in_range(const connection_action& a, int n)
{
    const auto [lo, hi] = reconnect_backoff::range(n, {});
    return a.kind == kind::wait_backoff && a.delay >= lo && a.delay <= hi;
}

connection_machine connected(bool provider = false)
{
    connection_machine m(provider, {}, 1);
    m.start();
    m.socket_opened();
    m.handshake_done("c1");
    m.take_changes();
    return m;
}

// Drops `m` and brings it back to `recovering` over a new socket.
void drop_and_reopen(connection_machine& m)
{
    REQUIRE(m.closed(1006).kind == kind::wait_backoff);
    REQUIRE(m.backoff_elapsed() == open_socket);
    REQUIRE(m.socket_opened() == none);
    REQUIRE(m.handshake_done("c2").kind == kind::start_recovery);
}

} // namespace

TEST_CASE("connection: idle -> connecting -> connected")
{
    connection_machine m(false);
    CHECK(m.status().state == cs::idle);
    CHECK_FALSE(m.has_changes());
    CHECK_FALSE(m.has_token_provider());

    CHECK(m.start() == open_socket);
    CHECK(m.status().state == cs::connecting);
    CHECK(m.socket_opened() == none);
    CHECK(m.status().state == cs::connecting);
    CHECK(m.handshake_done("conn-1") == none);
    CHECK(m.status().state == cs::connected);
    CHECK_FALSE(m.status().reason);
    CHECK(m.status().failures == 0);
    CHECK(m.connection_id() == "conn-1");
    CHECK(m.is_reconnect()); // established: the next handshake would be a reconnect

    const auto changes = m.take_changes();
    REQUIRE(changes.size() == 2);
    CHECK(changes[0].state == cs::connecting);
    CHECK(changes[1].state == cs::connected);
    CHECK(m.take_changes().empty());

    // Connecting twice is not a transition.
    CHECK(m.start() == none);
    CHECK(m.status().state == cs::connected);
    CHECK_FALSE(m.has_changes());
}

TEST_CASE("connection: reporting socket_opened is optional")
{
    connection_machine m(false);
    m.start();
    CHECK(m.handshake_done("c") == none);
    CHECK(m.status().state == cs::connected);
    CHECK(m.socket_opened() == none); // late: ignored
    CHECK(m.status().state == cs::connected);
}

TEST_CASE("connection: the first attempt's failures retry without recovery")
{
    connection_machine m(false, {}, 5);
    m.start();
    const auto a = m.transport_failed(boost::asio::error::connection_refused);
    CHECK(delay_in_range(a, 1));
    CHECK(m.status().state == cs::waiting);
    CHECK(m.status().reason == boost::asio::error::connection_refused);
    CHECK(m.status().failures == 1);
    CHECK_FALSE(m.is_reconnect());

    CHECK(m.backoff_elapsed() == open_socket);
    CHECK(m.status().reason == boost::asio::error::connection_refused); // still why we are not connected
    CHECK(m.handshake_done("c") == none); // never connected before: nothing to recover
    CHECK(m.status().state == cs::connected);
    CHECK_FALSE(m.status().reason);
    CHECK(m.status().failures == 0);
    CHECK(states(m) == std::vector{cs::connecting, cs::waiting, cs::connecting, cs::connected});
}

TEST_CASE("connection: error code 40 with a token provider refreshes and reconnects")
{
    connection_machine m(true);
    CHECK(m.has_token_provider());
    m.start();
    m.socket_opened();
    const auto attempt = m.attempt();
    CHECK(m.error_frame(40) == connection_action{kind::refresh_token_then_open});
    CHECK(m.status().state == cs::connecting); // not fatal, not a state change
    CHECK(m.status().reason == make_api_error_code(40));
    CHECK(m.status().failures == 1);
    CHECK(m.attempt() == attempt + 1);

    // The server closes the rejected socket with 1000: that socket was given up, so it is ignored.
    CHECK(m.closed(1000) == none);
    CHECK(m.transport_failed(boost::asio::error::eof) == none);
    CHECK(m.handshake_timeout() == none);
    CHECK(m.status().state == cs::connecting);

    CHECK(m.token_refreshed({}) == open_socket);
    CHECK(m.status().state == cs::connecting);
    m.socket_opened();
    CHECK(m.handshake_done("c") == none);
    CHECK(m.status().state == cs::connected);
    CHECK(m.status().failures == 0);
    CHECK(states(m) == std::vector{cs::connecting, cs::connected});
}

TEST_CASE("connection: consecutive refreshes are bounded")
{
    connection_machine m(true);
    m.start();
    for (int i = 0; i < connection_machine::max_consecutive_refreshes; ++i) {
        REQUIRE(m.error_frame(40).kind == kind::refresh_token_then_open);
        REQUIRE(m.token_refreshed({}) == open_socket);
    }
    CHECK(m.status().failures == connection_machine::max_consecutive_refreshes);
    CHECK(m.error_frame(40) == connection_action{kind::close_socket});
    CHECK(m.status().state == cs::offline);
    CHECK(m.status().reason == api_errc::token_expired);
    CHECK(states(m) == std::vector{cs::connecting, cs::offline});
}

TEST_CASE("connection: a handshake resets the refresh bound")
{
    connection_machine m(true);
    m.start();
    REQUIRE(m.error_frame(40).kind == kind::refresh_token_then_open);
    REQUIRE(m.token_refreshed({}) == open_socket);
    REQUIRE(m.error_frame(40).kind == kind::refresh_token_then_open);
    REQUIRE(m.token_refreshed({}) == open_socket);
    REQUIRE(m.handshake_done("c1") == none);
    drop_and_reopen(m);
    REQUIRE(m.recovery_done({}) == none);
    REQUIRE(m.closed(1006).kind == kind::wait_backoff);
    REQUIRE(m.backoff_elapsed() == open_socket);
    for (int i = 0; i < connection_machine::max_consecutive_refreshes; ++i) {
        REQUIRE(m.error_frame(40).kind == kind::refresh_token_then_open);
        REQUIRE(m.token_refreshed({}) == open_socket);
    }
    CHECK(m.error_frame(40).kind == kind::close_socket);
}

TEST_CASE("connection: error code 40 without a token provider is permanent")
{
    connection_machine m(false);
    m.start();
    m.socket_opened();
    CHECK(m.error_frame(40) == connection_action{kind::close_socket});
    CHECK(m.status().state == cs::offline);
    CHECK(m.status().reason == make_api_error_code(40));
    CHECK(m.status().reason == api_errc::token_expired);
    CHECK(m.connection_id().empty());
    CHECK(states(m) == std::vector{cs::connecting, cs::offline});

    CHECK(m.closed(1000) == none); // the server's close that follows
    CHECK(m.backoff_elapsed() == none);
    CHECK_FALSE(m.has_changes());
}

TEST_CASE("connection: other error-frame codes are permanent, with or without a provider")
{
    for (bool provider : {false, true}) {
        connection_machine m(provider);
        m.start();
        m.socket_opened();
        CHECK(m.error_frame(43) == connection_action{kind::close_socket});
        CHECK(m.status().state == cs::offline);
        CHECK(m.status().reason == api_errc::token_signature_invalid);
        CHECK(m.status().reason.category() == api_category());
    }
    connection_machine m(true);
    m.start();
    m.error_frame(12345); // codes error.hpp does not list keep their value
    CHECK(m.status().reason == make_api_error_code(12345));
}

TEST_CASE("connection: an error frame after the handshake is ignored")
{
    auto m = connected();
    CHECK(m.error_frame(43) == none);
    CHECK(m.status().state == cs::connected);
}

TEST_CASE("connection: a failed token refresh goes offline with the provider's error")
{
    connection_machine m(true);
    m.start();
    m.socket_opened();
    REQUIRE(m.error_frame(40).kind == kind::refresh_token_then_open);
    const auto ec = make_error_code(error::http_status);
    CHECK(m.token_refreshed(ec) == connection_action{kind::notify_stopped});
    CHECK(m.status().state == cs::offline);
    CHECK(m.status().reason == ec);
    CHECK(m.token_refreshed({}) == none);
}

TEST_CASE("connection: close 1000 is permanent, close 1006 reconnects")
{
    SECTION("1000 while connected")
    {
        auto m = connected();
        CHECK(m.closed(1000) == connection_action{kind::notify_stopped});
        CHECK(m.status().state == cs::offline);
        CHECK(m.status().reason == error_code(error::closed_by_server));
        CHECK(m.connection_id().empty());
        CHECK(m.backoff_elapsed() == none);
        CHECK(states(m) == std::vector{cs::offline});
    }
    SECTION("1000 during the handshake")
    {
        connection_machine m(true);
        m.start();
        m.socket_opened();
        CHECK(m.closed(1000) == connection_action{kind::notify_stopped});
        CHECK(m.status().state == cs::offline);
    }
    SECTION("1006 while connected")
    {
        auto m = connected();
        const auto a = m.closed(1006);
        CHECK(delay_in_range(a, 1));
        CHECK(m.status().state == cs::waiting);
        CHECK(m.status().reason == error::connection_lost);
        CHECK(m.status().failures == 1);
        CHECK(m.connection_id().empty());
        const auto changes = m.take_changes();
        REQUIRE(changes.size() == 1);
        CHECK(changes[0].state == cs::waiting);
        CHECK(changes[0].reason == error::connection_lost);
        CHECK(changes[0].failures == 1);
    }
    SECTION("other codes reconnect too")
    {
        for (int code : {1001, 1005, 1011, 4000}) {
            auto m = connected();
            CHECK(m.closed(code).kind == kind::wait_backoff);
            CHECK(m.status().state == cs::waiting);
        }
    }
}

TEST_CASE("connection: reconnect -> recovering -> connected")
{
    auto m = connected();
    CHECK(m.connection_id() == "c1");
    REQUIRE(m.closed(1006).kind == kind::wait_backoff);
    CHECK(m.backoff_elapsed() == open_socket);
    CHECK(m.status().state == cs::connecting);
    CHECK(m.socket_opened() == none);
    CHECK(m.is_reconnect());
    CHECK(m.handshake_done("c2") == connection_action{kind::start_recovery});
    CHECK(m.status().state == cs::recovering);
    CHECK(m.connection_id() == "c2"); // recovery's REST calls need it
    CHECK(m.status().reason == error::connection_lost);
    CHECK(m.status().failures == 1); // reset only once recovered
    CHECK(m.recovery_done({}) == none);
    CHECK(m.status().state == cs::connected);
    CHECK_FALSE(m.status().reason);
    CHECK(m.status().failures == 0);
    CHECK(states(m) == std::vector{cs::waiting, cs::connecting, cs::recovering, cs::connected});
    CHECK(m.recovery_done({}) == none); // late duplicate
    CHECK_FALSE(m.has_changes());
}

TEST_CASE("connection: a drop during recovery reconnects and recovers again")
{
    auto m = connected();
    drop_and_reopen(m);
    CHECK(delay_in_range(m.transport_failed(boost::asio::error::connection_reset), 2));
    CHECK(m.status().failures == 2);
    CHECK(m.recovery_done({}) == none); // the abandoned recovery
    CHECK(m.status().state == cs::waiting);
    CHECK(m.backoff_elapsed() == open_socket);
    CHECK(m.handshake_done("c3").kind == kind::start_recovery);
    CHECK(m.recovery_done({}) == none);
    CHECK(m.status().state == cs::connected);
    CHECK(m.status().failures == 0);
}

TEST_CASE("connection: a failed recovery reconnects, a fatal one goes offline")
{
    SECTION("retryable")
    {
        auto m = connected();
        drop_and_reopen(m);
        const auto ec = make_error_code(error::request_timeout);
        CHECK(delay_in_range(m.recovery_done(ec), 2));
        CHECK(m.status().state == cs::waiting);
        CHECK(m.status().reason == ec);
        CHECK(m.status().failures == 2);
    }
    SECTION("fatal")
    {
        auto m = connected();
        drop_and_reopen(m);
        const auto ec = make_api_error_code(17);
        CHECK(m.recovery_done(ec) == connection_action{kind::close_socket});
        CHECK(m.status().state == cs::offline);
        CHECK(m.status().reason == ec);
    }
}

TEST_CASE("connection: handshake timeout retries with backoff")
{
    connection_machine m(false);
    m.start();
    m.socket_opened();
    CHECK(delay_in_range(m.handshake_timeout(), 1));
    CHECK(m.status().state == cs::waiting);
    CHECK(m.status().reason == error_code(error::handshake_timeout));
    CHECK(m.status().failures == 1);
    CHECK(m.handshake_done("late") == none); // from the socket given up
    CHECK(m.closed(1006) == none);
    CHECK(m.handshake_timeout() == none);
    CHECK(m.status().failures == 1);
    CHECK(m.connection_id().empty());

    CHECK(m.backoff_elapsed() == open_socket);
    CHECK(m.handshake_timeout().kind == kind::wait_backoff); // may also fire before the socket opened
    CHECK(m.status().failures == 2);
}

TEST_CASE("connection: a dead link reconnects without counting a failure")
{
    auto m = connected();
    const auto a = m.link_dead();
    CHECK(delay_in_range(a, 0)); // 250-500 ms
    CHECK(m.status().state == cs::waiting);
    CHECK(m.status().failures == 0);
    CHECK(m.status().reason == error_code(error::connection_dead));
    CHECK(m.connection_id().empty());
    CHECK(m.link_dead() == none);
    CHECK(m.closed(1006) == none); // the dead socket's close, if it ever comes
    CHECK(m.status().failures == 0);
    CHECK(m.backoff_elapsed() == open_socket);
    CHECK(m.handshake_done("c2").kind == kind::start_recovery);
    CHECK(m.recovery_done({}) == none);
    CHECK(states(m) == std::vector{cs::waiting, cs::connecting, cs::recovering, cs::connected});

    SECTION("during recovery")
    {
        REQUIRE(m.link_dead().kind == kind::wait_backoff);
        REQUIRE(m.backoff_elapsed() == open_socket);
        REQUIRE(m.handshake_done("c3").kind == kind::start_recovery);
        CHECK(delay_in_range(m.link_dead(), 0));
        CHECK(m.status().failures == 0);
    }
    SECTION("before the handshake it is a failed attempt")
    {
        REQUIRE(m.link_dead().kind == kind::wait_backoff);
        REQUIRE(m.backoff_elapsed() == open_socket);
        CHECK(delay_in_range(m.link_dead(), 1));
        CHECK(m.status().failures == 1);
    }
}

TEST_CASE("connection: failures grow per attempt, once per attempt, and reset on success")
{
    connection_machine m(false, {}, 11);
    m.start();
    for (int n = 1; n <= 20; ++n) {
        // An attempt that fails with an error and then a close counts once.
        const auto a = m.transport_failed(boost::asio::error::connection_reset);
        REQUIRE(delay_in_range(a, n));
        REQUIRE(m.closed(1006) == none);
        REQUIRE(m.status().failures == n);
        REQUIRE(m.backoff_elapsed() == open_socket);
        REQUIRE(m.status().failures == n);
    }
    CHECK(m.backoff().failures() == 20);
    CHECK(m.handshake_done("c") == none);
    CHECK(m.status().failures == 0);
    CHECK(m.backoff().failures() == 0);
    CHECK(delay_in_range(m.closed(1006), 1));
}

TEST_CASE("connection: an empty transport error still reads as a lost connection")
{
    auto m = connected();
    m.transport_failed({});
    CHECK(m.status().reason == error::connection_lost);
}

TEST_CASE("connection: stop from every state")
{
    SECTION("idle")
    {
        connection_machine m(false);
        CHECK(m.stop() == connection_action{kind::notify_stopped});
        CHECK(m.status().state == cs::offline);
        CHECK_FALSE(m.status().reason);
        CHECK(states(m) == std::vector{cs::offline});
    }
    SECTION("opening")
    {
        connection_machine m(false);
        m.start();
        CHECK(m.stop() == connection_action{kind::close_socket});
    }
    SECTION("handshaking")
    {
        connection_machine m(false);
        m.start();
        m.socket_opened();
        CHECK(m.stop() == connection_action{kind::close_socket});
    }
    SECTION("refreshing the token")
    {
        connection_machine m(true);
        m.start();
        m.error_frame(40);
        CHECK(m.stop() == connection_action{kind::notify_stopped});
        CHECK(m.token_refreshed({}) == none);
    }
    SECTION("connected")
    {
        auto m = connected();
        CHECK(m.stop() == connection_action{kind::close_socket});
        CHECK(m.status().state == cs::offline);
        CHECK_FALSE(m.status().reason);
        CHECK(m.connection_id().empty());
        CHECK(states(m) == std::vector{cs::offline});
    }
    SECTION("recovering")
    {
        auto m = connected();
        drop_and_reopen(m);
        CHECK(m.stop() == connection_action{kind::close_socket});
        CHECK(m.recovery_done({}) == none);
        CHECK(m.status().state == cs::offline);
    }
    SECTION("waiting for the backoff")
    {
        auto m = connected();
        m.closed(1006);
        m.take_changes();
        CHECK(m.stop() == connection_action{kind::notify_stopped});
        CHECK(m.status().state == cs::offline);
        CHECK_FALSE(m.status().reason);
        CHECK(m.backoff_elapsed() == none); // the timer fired anyway
        CHECK(m.status().state == cs::offline);
        CHECK(states(m) == std::vector{cs::offline});
    }
}

TEST_CASE("connection: every input after stop is ignored")
{
    auto m = connected(true);
    REQUIRE(m.stop().kind == kind::close_socket);
    m.take_changes();
    const auto before = m.status();
    const auto attempt = m.attempt();

    CHECK(m.socket_opened() == none);
    CHECK(m.handshake_done("late") == none);
    CHECK(m.error_frame(40) == none);
    CHECK(m.error_frame(43) == none);
    CHECK(m.closed(1000) == none);
    CHECK(m.closed(1006) == none);
    CHECK(m.transport_failed(boost::asio::error::eof) == none);
    CHECK(m.link_dead() == none);
    CHECK(m.handshake_timeout() == none);
    CHECK(m.token_refreshed({}) == none);
    CHECK(m.backoff_elapsed() == none);
    CHECK(m.recovery_done({}) == none);
    CHECK(m.stop() == none);

    CHECK(m.status().state == before.state);
    CHECK(m.status().reason == before.reason);
    CHECK(m.status().failures == before.failures);
    CHECK(m.connection_id().empty());
    CHECK(m.attempt() == attempt);
    CHECK_FALSE(m.has_changes());
}

TEST_CASE("connection: inputs that do not fit the state are ignored")
{
    connection_machine m(true);
    CHECK(m.socket_opened() == none);
    CHECK(m.handshake_done("x") == none);
    CHECK(m.error_frame(40) == none);
    CHECK(m.closed(1006) == none);
    CHECK(m.transport_failed(boost::asio::error::eof) == none);
    CHECK(m.link_dead() == none);
    CHECK(m.handshake_timeout() == none);
    CHECK(m.token_refreshed({}) == none);
    CHECK(m.backoff_elapsed() == none);
    CHECK(m.recovery_done({}) == none);
    CHECK(m.status().state == cs::idle);
    CHECK_FALSE(m.has_changes());

    m.start();
    CHECK(m.backoff_elapsed() == none);
    CHECK(m.recovery_done({}) == none);
    CHECK(m.token_refreshed({}) == none);

    auto c = connected();
    CHECK(c.handshake_done("again") == none);
    CHECK(c.handshake_timeout() == none); // a timer that lost the race with the handshake
    CHECK(c.connection_id() == "c1");
    CHECK(c.status().state == cs::connected);
}

TEST_CASE("connection: start after offline begins afresh")
{
    auto m = connected();
    m.closed(1006);
    m.backoff_elapsed();
    m.handshake_timeout();
    REQUIRE(m.status().failures == 2);
    m.stop();
    m.take_changes();

    CHECK(m.start() == open_socket);
    CHECK(m.status().state == cs::connecting);
    CHECK(m.status().failures == 0);
    CHECK_FALSE(m.status().reason);
    CHECK_FALSE(m.is_reconnect());
    CHECK(m.handshake_done("fresh") == none); // no recovery for a new session
    CHECK(m.status().state == cs::connected);
    CHECK(states(m) == std::vector{cs::connecting, cs::connected});
}

TEST_CASE("connection: attempt() identifies each socket")
{
    connection_machine m(true);
    CHECK(m.attempt() == 0);
    m.start();
    CHECK(m.attempt() == 1);
    m.transport_failed(boost::asio::error::eof);
    CHECK(m.attempt() == 1);
    m.backoff_elapsed();
    CHECK(m.attempt() == 2);
    m.error_frame(40);
    CHECK(m.attempt() == 3);
    m.token_refreshed({}); // the refreshed socket belongs to the refresh's attempt
    CHECK(m.attempt() == 3);
}

TEST_CASE("connection: the backoff delays are repeatable per seed")
{
    auto delays = [](std::uint64_t seed) {
        connection_machine m(false, {}, seed);
        m.start();
        std::vector<milliseconds> out;
        for (int i = 0; i < 8; ++i) {
            out.push_back(m.transport_failed(boost::asio::error::eof).delay);
            m.backoff_elapsed();
        }
        return out;
    };
    CHECK(delays(3) == delays(3));
    CHECK(delays(3) != delays(4));

    const backoff_config fast{milliseconds(1), milliseconds(2), milliseconds(10), milliseconds(30)};
    connection_machine m(false, fast, 0);
    m.start();
    for (int i = 0; i < 10; ++i) {
        const auto d = m.transport_failed(boost::asio::error::eof).delay;
        CHECK(d <= milliseconds(30));
        m.backoff_elapsed();
    }
    CHECK(m.transport_failed(boost::asio::error::eof).delay == milliseconds(30));
}

TEST_CASE("state and action names")
{
    CHECK(to_string(cs::idle) == "idle");
    CHECK(to_string(cs::connecting) == "connecting");
    CHECK(to_string(cs::connected) == "connected");
    CHECK(to_string(cs::recovering) == "recovering");
    CHECK(to_string(cs::waiting) == "waiting");
    CHECK(to_string(cs::offline) == "offline");
    CHECK(to_string(kind::refresh_token_then_open) == "refresh_token_then_open");
    CHECK(to_string(kind::notify_stopped) == "notify_stopped");
}
