// http_pool against the scripted loopback server: keep-alive, limits, timeouts, retries, 429,
// malformed responses, TLS verification, cancellation and teardown.

#include "rest/http_pool.hpp"
#include "support/scripted_server.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using streamchat::error;
using streamchat::error_code;
using streamchat::http_config;
using streamchat::detail::http_pool;
using streamchat::detail::http_request;
using streamchat::detail::http_response;
using streamchat::detail::http_verb;
namespace test = streamchat::test;
using streamchat::test::wait_until;

namespace {

using steady = std::chrono::steady_clock;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

/// Runs `body` on a fresh io_context; fails if it does not finish within `limit` (no test can hang).
/// The limit is a hang guard, above wait_until's 30 s and below ctest's 120 s per test.
void run_async(const std::function<asio::awaitable<void>(asio::any_io_executor)>& body,
               steady::duration limit = 60s)
{
    asio::io_context ioc;
    bool finished = false;
    std::exception_ptr failure;
    asio::co_spawn(ioc, body(ioc.get_executor()), [&](std::exception_ptr e) {
        finished = true;
        failure = e;
    });
    const auto deadline = steady::now() + limit;
    while (!finished && !ioc.stopped() && steady::now() < deadline) ioc.run_one_until(deadline);
    REQUIRE(finished);
    ioc.restart();
    ioc.run_for(2s); // let teardown (closed sockets, cancelled timers) drain under the sanitizers
    if (failure) std::rethrow_exception(failure);
}

/// Counts completions down to zero and wakes a waiting coroutine.
struct latch {
    latch(asio::any_io_executor ex, std::size_t n) : timer(ex), left(n) {}
    asio::steady_timer timer;
    std::size_t left;
    void count_down()
    {
        if (--left == 0) timer.cancel();
    }
    asio::awaitable<void> wait()
    {
        if (left == 0) co_return;
        timer.expires_at(steady::time_point::max());
        (void)co_await timer.async_wait(tuple_awaitable);
    }
};

streamchat::detail::base_url url_of(const std::string& text)
{
    std::string why;
    auto r = streamchat::detail::parse_base_url(text, why);
    INFO(why);
    REQUIRE(r.has_value());
    return *r;
}

http_config fast_config()
{
    http_config c;
    c.connect_timeout = 2s;
    c.request_timeout = 2s;
    c.retry_backoff_initial = 10ms;
    c.retry_backoff_max = 50ms;
    return c;
}

test::scripted_reply ok(std::string body = "ok")
{
    return {test::http_response(200, body)};
}

asio::awaitable<std::pair<error_code, http_response>> send(http_pool& pool, http_request req)
{
    auto [ec, res] = co_await pool.async_request(std::move(req), tuple_awaitable);
    co_return std::pair<error_code, http_response>{ec, std::move(res)};
}

http_request get(std::string target = "/")
{
    return http_request(http_verb::get, std::move(target));
}

http_request post(std::string target = "/", std::string body = "{}")
{
    return http_request(http_verb::post, std::move(target), std::move(body));
}

double seconds_since(steady::time_point t0)
{
    return std::chrono::duration<double>(steady::now() - t0).count();
}

/// Upper bound for "this took about the configured sub-second delay". ctest runs these tests two
/// at a time under ASan/UBSan on two cores, where a 300 ms timer can fire a second or more late,
/// so a tight upper bound would measure the machine, not the pool. This one is loose on purpose:
/// it only tells the configured delay from a much longer one (the 10 s default request_timeout,
/// a 60 s rate-limit wait, the kernel's two-minute connect), which is what these tests are about.
/// Lower bounds ("waited at least the timeout") stay tight: timers never fire early.
constexpr double loose_upper_bound = 8.0;

} // namespace

TEST_CASE("http_pool: a request goes out with its headers and the response comes back")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request& r) {
            return test::scripted_reply{test::http_response(201, "echo:" + r.body, {{"X-RateLimit-Limit", "60"},
                                                                                     {"X-RateLimit-Remaining", "59"},
                                                                                     {"X-RateLimit-Reset", "1592908380"}})};
        });
        auto url = url_of(server.base_url() + "/api/v1/");
        http_pool pool(ex, url, fast_config());

        http_request req = post("/channels?api_key=k%20y", R"({"a":1})");
        req.headers = {{"Authorization", "token"}, {"stream-auth-type", "jwt"}, {"Content-Type", "application/json"}};
        http_response res = co_await pool.async_request(req); // default token: deferred
        CHECK(res.status == 201);
        CHECK(res.body == R"(echo:{"a":1})");
        CHECK(res.attempts == 1);
        CHECK(res.header("x-ratelimit-limit") == std::optional<std::string_view>("60"));
        CHECK(res.rate_limit.limit == 60);
        CHECK(res.rate_limit.remaining == 59);
        REQUIRE(res.rate_limit.reset.has_value());
        CHECK(res.rate_limit.reset->time_since_epoch() == std::chrono::seconds(1592908380));

        REQUIRE(server.requests().size() == 1);
        const auto& seen = server.requests().front();
        CHECK(seen.method == "POST");
        CHECK(seen.target == "/api/v1/channels?api_key=k%20y");
        CHECK(seen.header("authorization") == std::optional<std::string_view>("token"));
        CHECK(seen.header("stream-auth-type") == std::optional<std::string_view>("jwt"));
        CHECK(seen.header("Host") == std::optional<std::string_view>("127.0.0.1:" + std::to_string(server.port())));
        CHECK(seen.header("User-Agent") == std::optional<std::string_view>("streamchat-cpp"));
        CHECK(seen.header("Content-Length") == std::optional<std::string_view>("7"));
    });
}

TEST_CASE("http_pool: 200 requests, 50 at a time, share at most 4 keep-alive connections")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request& r) {
            return test::scripted_reply{test::http_response(200, r.target), test::reply_action::delay_then_respond, 0, 2ms};
        });
        http_config cfg = fast_config();
        cfg.max_connections_per_host = 4;
        http_pool pool(ex, url_of(server.base_url()), cfg);

        constexpr std::size_t total = 200;
        constexpr std::size_t concurrency = 50;
        latch done(ex, total);
        std::size_t issued = 0, answered = 0, max_in_flight = 0, in_flight = 0;
        std::function<void()> issue_next = [&] {
            if (issued == total) return;
            const std::string target = "/r" + std::to_string(issued++);
            ++in_flight;
            max_in_flight = std::max(max_in_flight, in_flight);
            pool.async_request(get(target), [&, target](error_code ec, http_response res) {
                --in_flight;
                if (!ec && res.status == 200 && res.body == target && res.attempts == 1) ++answered;
                done.count_down();
                issue_next();
            });
        };
        for (std::size_t i = 0; i < concurrency; ++i) issue_next();
        co_await done.wait();

        CHECK(answered == total);
        CHECK(max_in_flight == concurrency);
        CHECK(server.requests_received() == total);
        CHECK(server.connections_accepted() <= 4);
        CHECK(server.max_open_connections() <= 4);
        CHECK(pool.connections_opened() <= 4);
        CHECK(pool.open_connections() <= 4);
    });
}

TEST_CASE("http_pool: queued requests are served in FIFO order")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) { return ok(); });
        http_config cfg = fast_config();
        cfg.max_connections_per_host = 1;
        http_pool pool(ex, url_of(server.base_url()), cfg);
        latch done(ex, 6);
        int failures = 0;
        for (int i = 0; i < 6; ++i)
            pool.async_request(get("/" + std::to_string(i)), [&](error_code ec, http_response) {
                if (ec) ++failures;
                done.count_down();
            });
        co_await done.wait();
        CHECK(failures == 0);
        REQUIRE(server.requests().size() == 6);
        for (int i = 0; i < 6; ++i) CHECK(server.requests()[static_cast<std::size_t>(i)].target == "/" + std::to_string(i));
        CHECK(server.connections_accepted() == 1);
    });
}

TEST_CASE("http_pool: request_timeout when the server never answers")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) {
            return test::scripted_reply{{}, test::reply_action::never_respond};
        });
        http_config cfg = fast_config();
        cfg.request_timeout = 300ms;
        http_pool pool(ex, url_of(server.base_url()), cfg);
        const auto t0 = steady::now();
        auto [ec, res] = co_await send(pool, get());
        const double elapsed = seconds_since(t0);
        CHECK(ec == error::request_timeout);
        CHECK(res.attempts == 1);
        CHECK(elapsed >= 0.25);
        CHECK(elapsed < loose_upper_bound); // the 300 ms budget, not an endless wait
        CHECK(server.requests_received() == 1); // not retried
        CHECK(pool.open_connections() == 0);    // the timed-out connection is not reused
    });
}

TEST_CASE("http_pool: connect_timeout when the listener's backlog is full")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // A listener that never accepts, with its accept queue filled: Linux drops further SYNs,
        // so a connect hangs exactly like one to an unreachable host, but deterministically.
        asio::ip::tcp::acceptor listener(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), true);
        listener.listen(0);
        const auto endpoint = listener.local_endpoint();
        std::vector<std::unique_ptr<asio::ip::tcp::socket>> fillers;
        auto connected = std::make_shared<int>(0);
        for (int i = 0; i < 4; ++i) {
            auto s = std::make_unique<asio::ip::tcp::socket>(ex);
            s->async_connect(endpoint, [connected](error_code ec) {
                if (!ec) ++*connected;
            });
            fillers.push_back(std::move(s));
        }
        // Once one filler got through, the accept queue (backlog 0) is full: later SYNs are dropped.
        REQUIRE(co_await wait_until([&] { return *connected > 0; }));

        http_config cfg = fast_config();
        cfg.connect_timeout = 200ms;
        cfg.max_retries = 1;
        cfg.retry_backoff_initial = 10ms;
        http_pool pool(ex, url_of("http://127.0.0.1:" + std::to_string(endpoint.port())), cfg);
        const auto t0 = steady::now();
        auto [ec, res] = co_await send(pool, post()); // nothing was sent: retried even for POST
        const double elapsed = seconds_since(t0);
        INFO(ec.message());
        CHECK(ec == error::connect_timeout);
        CHECK(res.attempts == 2);
        CHECK(elapsed >= 0.35); // two 200 ms connect budgets
        CHECK(elapsed < loose_upper_bound); // the configured budget, not the kernel's SYN retries
        CHECK(pool.open_connections() == 0);
    });
}

TEST_CASE("http_pool: tls_handshake_timeout when the server never speaks TLS")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        asio::ip::tcp::acceptor listener(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), true);
        asio::ip::tcp::socket held(ex); // accepted and left silent
        listener.async_accept(held, [](error_code) {});
        http_config cfg = fast_config();
        cfg.connect_timeout = 300ms;
        cfg.max_retries = 0;
        http_pool pool(ex, url_of("https://localhost:" + std::to_string(listener.local_endpoint().port())), cfg);
        const auto t0 = steady::now();
        auto [ec, res] = co_await send(pool, get());
        const double elapsed = seconds_since(t0);
        INFO(ec.message());
        CHECK(ec == error::tls_handshake_timeout);
        CHECK(res.attempts == 1);
        CHECK(elapsed >= 0.25);
        CHECK(elapsed < loose_upper_bound); // the 300 ms budget, not an endless handshake
    });
}

TEST_CASE("http_pool: a non-routable address completes within the connect budget")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        http_config cfg = fast_config();
        cfg.connect_timeout = 200ms;
        cfg.request_timeout = 300ms;
        cfg.max_retries = 0;
        http_pool pool(ex, url_of("http://10.255.255.1:81"), cfg);
        const auto t0 = steady::now();
        auto [ec, res] = co_await send(pool, get());
        const double elapsed = seconds_since(t0);
        INFO(ec.message());
        // Bounded by the 200 ms connect budget whatever the network does, not by the kernel's
        // two-minute SYN retries (loose: see loose_upper_bound).
        CHECK(elapsed < loose_upper_bound);
        if (ec == error::connect_timeout) {
            CHECK(elapsed >= 0.15);
        } else if (ec) { // no route at all: an immediate network error
            CHECK((ec == asio::error::network_unreachable || ec == asio::error::host_unreachable ||
                   ec == asio::error::connection_refused || ec == asio::error::timed_out ||
                   ec == error::request_timeout || ec == error::connection_lost));
        } else { // a sandbox whose proxy accepts every connection answers something
            CHECK(res.status > 0);
        }
    });
}

TEST_CASE("http_pool: a refused connect is retried up to max_retries, then reported")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        std::uint16_t port = 0;
        {
            test::scripted_server closed(ex, {});
            port = closed.port();
        }
        http_config cfg = fast_config();
        cfg.max_retries = 2;
        http_pool pool(ex, url_of("http://127.0.0.1:" + std::to_string(port)), cfg);
        auto [ec, res] = co_await send(pool, post()); // nothing was sent, so even a POST is retried
        CHECK(ec == asio::error::connection_refused);
        CHECK(res.attempts == 3);
        CHECK(pool.open_connections() == 0);
    });
}

TEST_CASE("http_pool: 429 with Retry-After is waited for and retried")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request& r) {
            if (r.index == 1)
                return test::scripted_reply{test::http_response(429, R"({"code":9})", {{"Retry-After", "1"}})};
            return ok("second");
        });
        http_pool pool(ex, url_of(server.base_url()), fast_config());
        const auto t0 = steady::now();
        auto [ec, res] = co_await send(pool, post()); // a 429 was not acted on: POST is retried too
        const double elapsed = seconds_since(t0);
        REQUIRE(!ec);
        CHECK(res.status == 200);
        CHECK(res.body == "second");
        CHECK(res.attempts == 2);
        CHECK(elapsed >= 0.95); // waited (at least) the Retry-After
        CHECK(elapsed < loose_upper_bound); // 1 s, not max_rate_limit_wait (60 s)
        CHECK(server.requests_received() == 2);
    });
}

TEST_CASE("http_pool: 429 asking for longer than max_rate_limit_wait is handed back at once")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) {
            return test::scripted_reply{test::http_response(429, R"({"code":9})", {{"Retry-After", "120"}})};
        });
        http_pool pool(ex, url_of(server.base_url()), fast_config()); // max_rate_limit_wait = 60 s
        const auto t0 = steady::now();
        auto [ec, res] = co_await send(pool, get());
        CHECK(!ec);
        CHECK(res.status == 429);
        CHECK(res.attempts == 1);
        CHECK(res.rate_limit.retry_after == std::chrono::seconds(120));
        CHECK(seconds_since(t0) < loose_upper_bound); // not the 120 s asked, nor the 60 s cap
        CHECK(server.requests_received() == 1);
    });
}

TEST_CASE("http_pool: 429 with an X-RateLimit-Reset in the past is retried at once, the last 429 is returned")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        const auto past = std::to_string(std::time(nullptr) - 10);
        test::scripted_server server(ex, [past](const test::scripted_request&) {
            return test::scripted_reply{test::http_response(429, "{}", {{"X-RateLimit-Reset", past}})};
        });
        http_config cfg = fast_config();
        cfg.max_retries = 2;
        http_pool pool(ex, url_of(server.base_url()), cfg);
        const auto t0 = steady::now();
        auto [ec, res] = co_await send(pool, get());
        CHECK(!ec);
        CHECK(res.status == 429);
        CHECK(res.attempts == 3);
        // "At once": a reset in the past means no wait (only the 10-50 ms backoff), never a wait
        // for a window to come round.
        CHECK(seconds_since(t0) < loose_upper_bound);
        CHECK(server.requests_received() == 3);

        cfg.retry_rate_limited = false;
        http_pool no_retry(ex, url_of(server.base_url()), cfg);
        auto [ec2, res2] = co_await send(no_retry, get());
        CHECK(!ec2);
        CHECK(res2.status == 429);
        CHECK(res2.attempts == 1);
    });
}

TEST_CASE("http_pool: a GET whose connection drops mid-response is retried")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        const std::string full = test::http_response(200, std::string(1000, 'x'));
        test::scripted_server server(ex, [full](const test::scripted_request& r) {
            if (r.index == 1) return test::scripted_reply{full, test::reply_action::partial_then_close, full.size() / 2};
            return test::scripted_reply{full};
        });
        http_pool pool(ex, url_of(server.base_url()), fast_config());
        auto [ec, res] = co_await send(pool, get());
        REQUIRE(!ec);
        CHECK(res.status == 200);
        CHECK(res.body.size() == 1000);
        CHECK(res.attempts == 2);
        CHECK(server.requests_received() == 2);
        CHECK(server.connections_accepted() == 2);
    });
}

TEST_CASE("http_pool: a POST lost after it was written fails with connection_lost and is not resent")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) {
            return test::scripted_reply{{}, test::reply_action::close};
        });
        http_pool pool(ex, url_of(server.base_url()), fast_config());
        auto [ec, res] = co_await send(pool, post("/channels/messaging/general/message", R"({"message":{}})"));
        CHECK(ec == error::connection_lost);
        CHECK(res.attempts == 1);
        CHECK(server.requests_received() == 1);

        // The same after a partial response, and on a reused keep-alive connection.
        const std::string full = test::http_response(200, std::string(100, 'y'));
        server.set_script([full](const test::scripted_request& r) {
            if (r.on_connection == 1) return test::scripted_reply{full};
            return test::scripted_reply{full, test::reply_action::partial_then_close, 20};
        });
        auto [ec1, res1] = co_await send(pool, post());
        CHECK(!ec1);
        CHECK(res1.status == 200);
        const auto before = server.requests_received();
        auto [ec2, res2] = co_await send(pool, post());
        CHECK(ec2 == error::connection_lost);
        CHECK(res2.attempts == 1);
        CHECK(server.requests_received() == before + 1);
    });
}

TEST_CASE("http_pool: a connection the server closed while idle is not reused")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        // Answers keep-alive, then hangs up right after: the pool holds a dead idle connection.
        test::scripted_server server(ex, [](const test::scripted_request&) {
            return test::scripted_reply{test::http_response(200, "ok"), test::reply_action::respond_then_close};
        });
        http_pool pool(ex, url_of(server.base_url()), fast_config());
        for (int i = 0; i < 3; ++i) {
            auto [ec, res] = co_await send(pool, post());
            CHECK(!ec);
            CHECK(res.status == 200);
            CHECK(res.attempts == 1);
            // Let the FIN arrive: the server has closed its end (so the FIN is in our socket)
            // before the next request looks at the idle connection.
            REQUIRE(co_await wait_until([&] { return server.open_connections() == 0; }));
        }
        CHECK(server.requests_received() == 3);
        CHECK(server.connections_accepted() == 3);
    });
}

TEST_CASE("http_pool: Connection: close and HTTP/1.0 responses close the connection")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request& r) {
            if (r.index == 1) return test::scripted_reply{test::http_response(200, "a", {}, true)};
            if (r.index == 2) return test::scripted_reply{"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb"};
            return ok("c");
        });
        http_pool pool(ex, url_of(server.base_url()), fast_config());
        for (const char* expected : {"a", "b", "c", "c"}) {
            auto [ec, res] = co_await send(pool, get());
            CHECK(!ec);
            CHECK(res.body == expected);
        }
        CHECK(server.connections_accepted() == 3); // a, b, then c and c on one connection
    });
}

TEST_CASE("http_pool: idle connections close after idle_timeout")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) { return ok(); });
        http_config cfg = fast_config();
        cfg.idle_timeout = 100ms;
        http_pool pool(ex, url_of(server.base_url()), cfg);
        const auto t0 = steady::now(); // before the idle timer is armed
        auto [ec, res] = co_await send(pool, get());
        CHECK(!ec);
        CHECK(pool.open_connections() == 1);
        REQUIRE(co_await wait_until([&] { return pool.open_connections() == 0 && server.open_connections() == 0; }));
        CHECK(seconds_since(t0) >= 0.095); // closed after idle_timeout, not before
        auto [ec2, res2] = co_await send(pool, get());
        CHECK(!ec2);
        CHECK(server.connections_accepted() == 2);
    });
}

TEST_CASE("http_pool: malformed, truncated and oversized responses are errors, never crashes")
{
    struct bad_case {
        const char* name;
        std::string bytes;
        test::reply_action action;
        error_code expected;
    };
    const std::vector<bad_case> cases{
        {"malformed status line", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", test::reply_action::respond,
         error::bad_http_response},
        {"not HTTP at all", "hello world\r\n\r\n", test::reply_action::respond, error::bad_http_response},
        {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
         test::reply_action::respond, error::bad_http_response},
        {"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", test::reply_action::respond,
         error::bad_http_response},
        {"truncated Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
         test::reply_action::respond_then_close, error::connection_lost},
        {"truncated chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
         test::reply_action::respond_then_close, error::connection_lost},
        {"truncated header", "HTTP/1.1 200 OK\r\nContent-Le", test::reply_action::respond_then_close,
         error::connection_lost},
        {"oversized body", test::http_response(200, std::string(4096, 'z')), test::reply_action::respond,
         error::payload_too_large},
        {"oversized chunked body",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + std::string(4096, 'z') + "\r\n0\r\n\r\n",
         test::reply_action::respond, error::payload_too_large},
        {"oversized header", "HTTP/1.1 200 OK\r\nX-Big: " + std::string(4096, 'h') + "\r\nContent-Length: 0\r\n\r\n",
         test::reply_action::respond, error::bad_http_response},
    };
    for (const auto& c : cases) {
        SECTION(c.name)
        {
            run_async([&c](asio::any_io_executor ex) -> asio::awaitable<void> {
                test::scripted_server server(ex, [&c](const test::scripted_request& r) {
                    if (r.target == "/good") return ok("fine");
                    return test::scripted_reply{c.bytes, c.action};
                });
                http_config cfg = fast_config();
                cfg.max_retries = 1;
                cfg.max_response_body = 1024;
                cfg.max_response_header = 1024;
                http_pool pool(ex, url_of(server.base_url()), cfg);
                auto [ec, res] = co_await send(pool, get("/bad"));
                INFO(ec.message());
                CHECK(ec == c.expected);
                CHECK(res.status == 0);
                // Only a lost connection is retried (once, with max_retries = 1).
                CHECK(res.attempts == (c.expected == error::connection_lost ? 2 : 1));
                auto [ec2, res2] = co_await send(pool, get("/good"));
                CHECK(!ec2);
                CHECK(res2.body == "fine");
            });
        }
    }
}

TEST_CASE("http_pool: requests that would corrupt the request line are refused")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) { return ok(); });
        http_pool pool(ex, url_of(server.base_url()), fast_config());
        auto [ec1, r1] = co_await send(pool, get("/a b"));
        CHECK(ec1 == error::invalid_argument);
        auto [ec2, r2] = co_await send(pool, get("no-slash"));
        CHECK(ec2 == error::invalid_argument);
        http_request bad_header = get();
        bad_header.headers = {{"X-Evil", "a\r\nX-Injected: 1"}};
        auto [ec3, r3] = co_await send(pool, bad_header);
        CHECK(ec3 == error::invalid_argument);
        bad_header.headers = {{"Bad Name", "x"}};
        auto [ec4, r4] = co_await send(pool, bad_header);
        CHECK(ec4 == error::invalid_argument);
        CHECK(server.requests_received() == 0);
    });
}

TEST_CASE("http_pool: TLS against the test CA")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request& r) { return ok("tls:" + r.target); },
                                     test::test_server_tls());
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        ctx.load_verify_file(test::test_ca_file());

        http_pool pool(ex, url_of(server.base_url("localhost")), fast_config(), &ctx);
        for (int i = 0; i < 3; ++i) {
            auto [ec, res] = co_await send(pool, get("/x"));
            INFO(ec.message());
            CHECK(!ec);
            CHECK(res.body == "tls:/x");
        }
        CHECK(server.connections_accepted() == 1); // keep-alive over TLS

        http_pool by_ip(ex, url_of(server.base_url("127.0.0.1")), fast_config(), &ctx); // IP SAN
        auto [ec, res] = co_await send(by_ip, get("/ip"));
        INFO(ec.message());
        CHECK(!ec);
        CHECK(res.body == "tls:/ip");
    });
}

TEST_CASE("http_pool: TLS refuses a certificate for another host name, and an unknown CA")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) { return ok(); }, test::test_wrong_host_tls());
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        ctx.load_verify_file(test::test_ca_file());

        http_pool pool(ex, url_of(server.base_url("localhost")), fast_config(), &ctx);
        auto [ec, res] = co_await send(pool, get());
        INFO(ec.message());
        CHECK(ec.category() == asio::error::get_ssl_category());
        CHECK(res.attempts == 1); // a certificate error is not retried
        CHECK(server.requests_received() == 0);

        // The pool's own context trusts only the system CAs, which do not include the test CA.
        test::scripted_server good(ex, [](const test::scripted_request&) { return ok(); }, test::test_server_tls());
        http_pool system_ca(ex, url_of(good.base_url("localhost")), fast_config());
        auto [ec2, res2] = co_await send(system_ca, get());
        INFO(ec2.message());
        CHECK(ec2.category() == asio::error::get_ssl_category());

        // Verification off only by explicit configuration.
        http_config insecure = fast_config();
        insecure.verify_peer = false;
        http_pool unverified(ex, url_of(server.base_url("localhost")), insecure, &ctx);
        auto [ec3, res3] = co_await send(unverified, get());
        INFO(ec3.message());
        CHECK(!ec3);
        CHECK(res3.status == 200);
    });
}

TEST_CASE("http_pool: cancellation aborts an in-flight request and the pool keeps serving")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request& r) {
            if (r.target == "/hang") return test::scripted_reply{{}, test::reply_action::never_respond};
            return ok();
        });
        http_config cfg = fast_config();
        cfg.max_connections_per_host = 1;
        cfg.request_timeout = 30s; // never reached: the test cancels long before
        http_pool pool(ex, url_of(server.base_url()), cfg);

        asio::cancellation_signal in_flight, queued;
        std::optional<error_code> first, second;
        latch done(ex, 2);
        pool.async_request(get("/hang"), asio::bind_cancellation_slot(in_flight.slot(), [&](error_code ec, http_response) {
                               first = ec;
                               done.count_down();
                           }));
        pool.async_request(get("/next"), asio::bind_cancellation_slot(queued.slot(), [&](error_code ec, http_response) {
                               second = ec;
                               done.count_down();
                           }));
        REQUIRE(co_await wait_until([&] { return server.requests_received() == 1; }));
        CHECK(server.requests_received() == 1); // "/next" waits for the only connection

        // Total cancellation removes the queued request; it would not touch an in-flight one.
        in_flight.emit(asio::cancellation_type::total);
        queued.emit(asio::cancellation_type::total);
        REQUIRE(co_await wait_until([&] { return second.has_value(); }));
        CHECK(second == std::optional<error_code>(asio::error::operation_aborted));
        CHECK(!first.has_value());

        // Terminal cancellation aborts the in-flight one. operation_aborted (not request_timeout)
        // shows it was the cancellation that ended it; no wall-clock bound needed.
        in_flight.emit(asio::cancellation_type::terminal);
        co_await done.wait();
        CHECK(first == std::optional<error_code>(asio::error::operation_aborted));
        CHECK(pool.open_connections() == 0); // closed, not returned to the pool

        auto [ec, res] = co_await send(pool, get("/after"));
        CHECK(!ec);
        CHECK(res.status == 200);
        CHECK(server.connections_accepted() == 2);
        CHECK(server.requests_received() == 2); // "/next" never went out
    });
}

TEST_CASE("http_pool: cancellation while waiting to retry")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request& r) {
            if (r.target == "/probe") return ok();
            return test::scripted_reply{test::http_response(429, "{}", {{"Retry-After", "30"}})};
        });
        http_config cfg = fast_config();
        cfg.max_connections_per_host = 1;
        http_pool pool(ex, url_of(server.base_url()), cfg);
        asio::cancellation_signal sig;
        std::optional<error_code> result;
        int attempts = 0;
        latch done(ex, 1);
        pool.async_request(get(), asio::bind_cancellation_slot(sig.slot(), [&](error_code ec, http_response r) {
                               result = ec;
                               attempts = r.attempts;
                               done.count_down();
                           }));
        // The only connection is handed on when the first request has its 429 and starts its 30 s
        // wait; so once a second request got through after it, the first is waiting to retry.
        REQUIRE(co_await wait_until([&] { return server.requests_received() == 1; }));
        auto [pec, probe] = co_await send(pool, get("/probe"));
        REQUIRE(!pec);
        CHECK(probe.status == 200);
        CHECK(!result.has_value());
        sig.emit(asio::cancellation_type::partial);
        co_await done.wait();
        CHECK(result == std::optional<error_code>(asio::error::operation_aborted));
        CHECK(attempts == 1);
        CHECK(server.requests_received() == 2); // the 429'd request was never resent
    });
}

TEST_CASE("http_pool: destroying the pool completes every pending request with shut_down")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) {
            return test::scripted_reply{{}, test::reply_action::never_respond};
        });
        http_config cfg = fast_config();
        cfg.max_connections_per_host = 2;
        auto pool = std::make_unique<http_pool>(ex, url_of(server.base_url()), cfg);
        constexpr int n = 10;
        latch done(ex, n);
        int shut = 0;
        for (int i = 0; i < n; ++i)
            pool->async_request(i % 2 ? get() : post(), [&](error_code ec, http_response) {
                if (ec == error::shut_down) ++shut;
                done.count_down();
            });
        REQUIRE(co_await wait_until([&] { return server.requests_received() == 2; }));
        CHECK(server.requests_received() == 2); // two connections; the other eight queue
        pool.reset();
        co_await done.wait();
        CHECK(shut == n);
    });
}

TEST_CASE("http_pool: requests after shutdown fail with shut_down")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        test::scripted_server server(ex, [](const test::scripted_request&) { return ok(); });
        http_pool pool(ex, url_of(server.base_url()), fast_config());
        auto [ec, res] = co_await send(pool, get());
        CHECK(!ec);
        pool.shutdown();
        CHECK(pool.open_connections() == 0);
        auto [ec2, res2] = co_await send(pool, get());
        CHECK(ec2 == error::shut_down);
    });
}

TEST_CASE("http_pool: cancellation while connecting")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        asio::ip::tcp::acceptor listener(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), true);
        asio::ip::tcp::socket held(ex); // accepted and left silent: the TLS handshake never ends
        auto accepted = std::make_shared<bool>(false);
        listener.async_accept(held, [accepted](error_code ec) { *accepted = !ec; });
        http_config cfg = fast_config();
        cfg.connect_timeout = 30s; // never reached: the test cancels long before
        http_pool pool(ex, url_of("https://localhost:" + std::to_string(listener.local_endpoint().port())), cfg);
        asio::cancellation_signal sig;
        std::optional<error_code> result;
        latch done(ex, 1);
        pool.async_request(post(), asio::bind_cancellation_slot(sig.slot(), [&](error_code ec, http_response) {
                               result = ec;
                               done.count_down();
                           }));
        // TCP is up and the TLS handshake is waiting for a server that never speaks.
        REQUIRE(co_await wait_until([&] { return *accepted; }));
        CHECK(!result.has_value());
        CHECK(pool.open_connections() == 1);
        sig.emit(asio::cancellation_type::total); // nothing was sent yet, so even total applies
        co_await done.wait();
        CHECK(result == std::optional<error_code>(asio::error::operation_aborted));
        CHECK(pool.open_connections() == 0);
    });
}

TEST_CASE("http_pool: an invalid configuration fails every request")
{
    run_async([](asio::any_io_executor ex) -> asio::awaitable<void> {
        http_config cfg = fast_config();
        cfg.max_connections_per_host = 0;
        http_pool pool(ex, url_of("http://127.0.0.1:9"), cfg);
        auto [ec, res] = co_await send(pool, get());
        CHECK(ec == error::invalid_argument);
    });
}

TEST_CASE("http_pool: tearing down the io_context with requests in flight is safe")
{
    // No draining here: pool, server and io_context die with operations pending (ASan checks).
    asio::io_context ioc;
    auto server = std::make_unique<test::scripted_server>(ioc.get_executor(), [](const test::scripted_request& r) {
        if (r.index % 3 == 0) return test::scripted_reply{{}, test::reply_action::never_respond};
        return test::scripted_reply{test::http_response(200, "x"), test::reply_action::delay_then_respond, 0, 20ms};
    });
    http_config cfg = fast_config();
    cfg.max_connections_per_host = 2;
    auto pool = std::make_unique<http_pool>(ioc.get_executor(), url_of(server->base_url()), cfg);
    int completed = 0;
    for (int i = 0; i < 20; ++i)
        pool->async_request(get(), [&completed](error_code, http_response) { ++completed; });
    ioc.run_for(100ms);
    CHECK(completed < 20);
    SECTION("pool destroyed first") { pool.reset(); }
    SECTION("server destroyed first") { server.reset(); }
    SECTION("everything destroyed at scope end, pool first") {}
}
