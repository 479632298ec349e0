// The emulator's network layer over real sockets: start/stop, the REST envelope (duration,
// rate-limit headers), authentication and its error codes, rate limits, size limits, malformed
// HTTP, the /connect WebSocket handshake and health checks, and survival under garbage.
#include <streamchat/emulator.hpp>
#include <streamchat/rest_client.hpp>
#include <streamchat/token.hpp>

#include "wire/base64.hpp"
#include "wire/url.hpp"
#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <regex>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::run_coro;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);
const std::string secret = "emulator-secret";
const std::string key = "emulator-key";

using response = http::response<http::string_body>;
using request = http::request<http::string_body>;

emulator_config base_config()
{
    emulator_config cfg;
    cfg.api_key = key;
    cfg.api_secret = secret;
    return cfg;
}

/// A keep-alive HTTP/1.1 client speaking raw Beast, to see statuses and headers exactly.
struct http_client {
    beast::tcp_stream stream;
    beast::flat_buffer buffer;

    explicit http_client(asio::any_io_executor ex) : stream(std::move(ex)) {}

    asio::awaitable<void> connect(std::uint16_t port)
    {
        co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
    }

    asio::awaitable<response> send(request req)
    {
        req.set(http::field::host, "127.0.0.1");
        req.prepare_payload();
        co_await http::async_write(stream, req, asio::use_awaitable);
        response res;
        co_await http::async_read(stream, buffer, res, asio::use_awaitable);
        co_return res;
    }
};

request make_request(http::verb verb, std::string target, std::string token, std::string body = {},
                     std::string auth_type = "jwt")
{
    request req{verb, target, 11};
    if (!token.empty()) req.set(http::field::authorization, token);
    if (!auth_type.empty()) req.set("stream-auth-type", auth_type);
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = std::move(body);
    }
    return req;
}

std::string target_for(std::string path, std::string user = "john")
{
    return path + "?api_key=" + key + (user.empty() ? "" : "&user_id=" + user);
}

json::object body_of(const response& res)
{
    auto v = json::parse(res.body());
    REQUIRE(v.is_object());
    return v.as_object();
}

void check_rate_headers(const response& res)
{
    for (auto name : {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}) {
        INFO(name);
        REQUIRE(res.find(name) != res.end());
        CHECK(std::regex_match(std::string{res[name]}, std::regex{"[0-9]+"}));
    }
    CHECK(res[http::field::content_type] == "application/json;charset=utf-8");
}

bool is_duration(const json::value& v)
{
    return v.is_string() && std::regex_match(std::string{v.get_string()}, std::regex{"[0-9]+\\.[0-9]{2}ms"});
}

/// Checks Stream's error envelope (docs/protocol.md §4.1) and the headers every response carries.
void check_error(const response& res, int status, int code)
{
    INFO(res.body());
    CHECK(res.result_int() == static_cast<unsigned>(status));
    check_rate_headers(res);
    const auto body = body_of(res);
    CHECK(body.at("code").as_int64() == code);
    CHECK(body.at("StatusCode").as_int64() == status);
    CHECK(body.at("message").is_string());
    CHECK(body.at("more_info").is_string());
    CHECK(body.at("details").is_array());
    CHECK(is_duration(body.at("duration")));
}

/// A JWT with `alg: none` and no signature (RFC 7519 "unsecured JWT").
std::string alg_none_token(std::string_view user)
{
    return detail::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
           detail::base64url_encode(std::string{R"({"user_id":")"} + std::string{user} + R"("})") + ".";
}

/// A WebSocket client for /connect.
struct ws_client {
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;

    explicit ws_client(asio::any_io_executor ex) : ws(std::move(ex)) {}

    asio::awaitable<void> open(std::uint16_t port, std::string target)
    {
        co_await beast::get_lowest_layer(ws).async_connect(
            tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
        co_await ws.async_handshake("127.0.0.1:" + std::to_string(port), target, asio::use_awaitable);
    }

    asio::awaitable<json::object> read()
    {
        buffer.clear();
        co_await ws.async_read(buffer, asio::use_awaitable);
        auto v = json::parse(beast::buffers_to_string(buffer.data()));
        REQUIRE(v.is_object());
        co_return v.as_object();
    }

    asio::awaitable<void> write(std::string text)
    {
        ws.text(true);
        co_await ws.async_write(asio::buffer(text), asio::use_awaitable);
    }
};

std::string connect_target(const json::object& payload, std::string_view token, std::string_view auth_type = "jwt",
                           std::string_view api_key = key)
{
    return "/connect?json=" + detail::percent_encode(json::serialize(payload)) + "&api_key=" +
           detail::percent_encode(api_key) + "&authorization=" + detail::percent_encode(token) +
           "&stream-auth-type=" + std::string{auth_type};
}

json::object connect_payload(std::string_view user)
{
    return json::object{{"user_id", user}, {"user_details", json::object{{"id", user}, {"name", "Name"}}}};
}

asio::awaitable<void> pause(asio::any_io_executor ex, std::chrono::milliseconds d)
{
    asio::steady_timer t(ex, d);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace

// ------------------------------------------------------------------ lifecycle

TEST_CASE("emulator starts on an ephemeral port, reports it, and stops idempotently")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        CHECK(emu.port() == 0);
        std::string why;
        REQUIRE_FALSE(emu.start(&why));
        INFO(why);
        REQUIRE(emu.port() != 0);
        CHECK(emu.base_url() == "http://127.0.0.1:" + std::to_string(emu.port()));
        CHECK(emu.start() == error::already_running);

        // A second emulator cannot take the same port, and says why.
        auto taken = base_config();
        taken.port = emu.port();
        emulator other(ex, taken);
        std::string other_why;
        CHECK(other.start(&other_why));
        CHECK_FALSE(other_why.empty());

        http_client c(ex);
        co_await c.connect(emu.port());
        auto res = co_await c.send(make_request(http::verb::get, target_for("/unread"), make_user_token(secret, "john")));
        CHECK(res.result_int() == 200);

        emu.stop();
        emu.stop(); // idempotent
        // The listener is gone, and the open keep-alive connection was closed.
        beast::tcp_stream probe(ex);
        auto [ec] = co_await probe.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), emu.port()), tuple_token);
        CHECK(ec);
        response after;
        auto [rec, n] = co_await http::async_read(c.stream, c.buffer, after, tuple_token);
        CHECK(rec);
    });
}

TEST_CASE("emulator destructor stops with connections open")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        ws_client w(ex);
        http_client c(ex);
        {
            emulator emu(ex, base_config());
            REQUIRE_FALSE(emu.start());
            co_await c.connect(emu.port());
            co_await w.open(emu.port(), connect_target(connect_payload("john"), make_user_token(secret, "john")));
            auto first = co_await w.read();
            CHECK(first.at("type") == "health.check");
        }
        // The server dropped the socket (not a 1000 close: clients should reconnect).
        w.buffer.clear();
        auto [ec, n] = co_await w.ws.async_read(w.buffer, tuple_token);
        CHECK(ec);
        CHECK(w.ws.reason().code != websocket::close_code::normal);
    });
}

// ------------------------------------------------------------------ REST envelope

TEST_CASE("2xx responses carry duration and rate-limit headers, rest_client reads them")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());

        http_client c(ex);
        co_await c.connect(emu.port());
        for (int i = 0; i < 3; ++i) { // keep-alive: several requests on one connection
            auto res = co_await c.send(make_request(http::verb::get, target_for("/unread"), make_user_token(secret, "john")));
            REQUIRE(res.result_int() == 200);
            check_rate_headers(res);
            CHECK(res.keep_alive());
            CHECK(std::stoll(std::string{res["X-RateLimit-Limit"]}) >= 1000000); // `off` mode: a large quota
            CHECK(is_duration(body_of(res).at("duration")));
        }

        client_config cc;
        cc.base_url = emu.base_url();
        cc.api_key = key;
        cc.user_id = "john";
        cc.token = make_user_token(secret, "john");
        rest_client rc(ex, cc);
        diagnostics diag;
        const query_channels_request req{};
        auto [ec, page] = co_await rc.async_query_channels(req, diag, tuple_token);
        INFO(diag.client_message);
        CHECK_FALSE(ec);
        CHECK(std::regex_match(page.duration, std::regex{"[0-9]+\\.[0-9]{2}ms"}));
        CHECK(diag.rate_limit.limit.has_value());
        CHECK(diag.rate_limit.remaining.has_value());
        CHECK(diag.rate_limit.reset.has_value());
        rc.shutdown();
    });
}

TEST_CASE("unknown paths get the handler's 404 envelope, CORS preflight gets 200")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        http_client c(ex);
        co_await c.connect(emu.port());
        auto res = co_await c.send(make_request(http::verb::get, target_for("/no/such/thing"), make_user_token(secret, "john")));
        check_error(res, 404, 16);

        request pre{http::verb::options, "/channels", 11};
        pre.set(http::field::access_control_request_headers, "authorization, stream-auth-type");
        auto res2 = co_await c.send(pre);
        CHECK(res2.result_int() == 200);
        check_rate_headers(res2);
        CHECK(res2[http::field::access_control_allow_origin] == "*");
        CHECK(res2[http::field::access_control_allow_headers] == "authorization, stream-auth-type");
    });
}

TEST_CASE("a method a path does not serve gets 405 code 4 and Allow, error bodies stay JSON whatever they quote")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        http_client c(ex);
        co_await c.connect(emu.port());
        const auto john = make_user_token(secret, "john");

        auto wrong = co_await c.send(make_request(http::verb::get, target_for("/channels/messaging/room/read"), john));
        check_error(wrong, 405, 4);
        CHECK(wrong[http::field::allow] == "POST");
        auto on_message = co_await c.send(make_request(http::verb::patch, target_for("/messages/m1"), john, "{}"));
        check_error(on_message, 405, 4);
        CHECK(on_message[http::field::allow] == "GET, POST, PUT, DELETE");

        // check_error parses strictly (Boost.JSON checks UTF-8); each reason quotes the input.
        auto quoted = co_await c.send(make_request(http::verb::post, target_for("/channels/messaging/a%22b%5Cc/query"), john, "{}"));
        check_error(quoted, 400, 4);
        CHECK(std::string(body_of(quoted).at("message").as_string()).find("a\"b\\c") != std::string::npos);
        auto filter = co_await c.send(make_request(http::verb::post, target_for("/channels"), john,
                                                   R"({"filter_conditions":{"a\"b\\c":{"$weird":1}}})"));
        check_error(filter, 400, 4);
        CHECK(std::string(body_of(filter).at("message").as_string()).find("a\"b\\c") != std::string::npos);
        auto stray = co_await c.send(make_request(http::verb::get, target_for("/messages/x%FF%C3"), john));
        check_error(stray, 404, 16);
        CHECK(std::string(body_of(stray).at("message").as_string()).find("x\xEF\xBF\xBD\xEF\xBF\xBD") != std::string::npos);
        auto mismatch = co_await c.send(make_request(http::verb::get, "/unread?api_key=" + key + "&user_id=%22%5C%E2%82", john));
        check_error(mismatch, 401, 5);
    });
}

// ------------------------------------------------------------------ authentication

TEST_CASE("authentication failures get Stream's codes")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        http_client c(ex);
        co_await c.connect(emu.port());
        const auto good = make_user_token(secret, "john");
        const auto get = [&](std::string target, std::string token, std::string auth_type = "jwt") {
            return c.send(make_request(http::verb::get, std::move(target), std::move(token), {}, std::move(auth_type)));
        };

        // api_key missing or wrong: code 2.
        check_error(co_await get("/unread?user_id=john", good), 401, 2);
        check_error(co_await get("/unread?api_key=nope&user_id=john", good), 401, 2);
        // stream-auth-type missing or unknown: code 5.
        check_error(co_await get(target_for("/unread"), good, ""), 401, 5);
        check_error(co_await get(target_for("/unread"), good, "oauth"), 401, 5);
        // jwt without a token, or not a JWT at all: code 5.
        check_error(co_await get(target_for("/unread"), ""), 401, 5);
        check_error(co_await get(target_for("/unread"), "not-a-jwt"), 401, 5);
        // Expired: code 40 (clients refresh on it).
        const auto past = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) - 60s;
        check_error(co_await get(target_for("/unread"), make_user_token(secret, "john", past)), 401, 40);
        // nbf/iat in the future: 42 for iat.
        const auto future = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + 3600s;
        check_error(co_await get(target_for("/unread"), make_user_token(secret, "john", std::nullopt, future)), 401, 42);
        // Signed with another secret: 43. alg none: 43. Dev token while not allowed: 43.
        check_error(co_await get(target_for("/unread"), make_user_token("other-secret", "john")), 401, 43);
        check_error(co_await get(target_for("/unread"), alg_none_token("john")), 401, 43);
        check_error(co_await get(target_for("/unread"), make_dev_token("john")), 401, 43);
        // A valid token of another user than `user_id`: code 5.
        check_error(co_await get(target_for("/unread", "jack"), good), 401, 5);

        // Accepted: user token, server token acting for `user_id`, anonymous.
        auto ok = co_await get(target_for("/unread"), good);
        CHECK(ok.result_int() == 200);
        auto server = co_await get(target_for("/unread", "jack"), make_server_token(secret));
        CHECK(server.result_int() == 200);
        auto anon = co_await c.send(make_request(http::verb::post, target_for("/channels", ""), "", "{}", "anonymous"));
        CHECK(anon.result_int() != 401);
        check_rate_headers(anon);

        // Through the SDK: code 40 surfaces as a token-expired error with the server's envelope.
        client_config cc;
        cc.base_url = emu.base_url();
        cc.api_key = key;
        cc.user_id = "john";
        cc.token = make_user_token(secret, "john", past);
        rest_client rc(ex, cc);
        diagnostics diag;
        const query_channels_request req{};
        auto [ec, page] = co_await rc.async_query_channels(req, diag, tuple_token);
        CHECK(is_token_expired(ec));
        REQUIRE(diag.server.has_value());
        CHECK(diag.server->code == 40);
        CHECK(diag.http_status == 401);
        rc.shutdown();
    });
}

TEST_CASE("dev tokens are accepted only with allow_dev_tokens")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = base_config();
        cfg.allow_dev_tokens = true;
        emulator emu(ex, cfg);
        REQUIRE_FALSE(emu.start());
        http_client c(ex);
        co_await c.connect(emu.port());
        // "alice" has the padded standard-base64 payload (`==`) of the JS client's devToken.
        auto res = co_await c.send(make_request(http::verb::get, target_for("/unread", "alice"), make_dev_token("alice")));
        CHECK(res.result_int() == 200);
        // A real signature is still checked.
        auto bad = co_await c.send(make_request(http::verb::get, target_for("/unread"), make_user_token("x", "john")));
        check_error(bad, 401, 43);
    });
}

// ------------------------------------------------------------------ rate limits

TEST_CASE("stream rate limits: per user and endpoint, 429 with code 9")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = base_config();
        cfg.rate_limits = emulator_rate_limits::stream;
        // Stream's own one-minute window: the 61 requests below always fall inside it, however
        // slowly a loaded machine runs them. The reset is checked with a short window further down.
        cfg.rate_limit_window = 60s;
        emulator emu(ex, cfg);
        REQUIRE_FALSE(emu.start());
        http_client c(ex);
        co_await c.connect(emu.port());
        const auto john = make_user_token(secret, "john");

        for (int i = 1; i <= 60; ++i) {
            auto res = co_await c.send(make_request(http::verb::get, target_for("/unread"), john));
            REQUIRE(res.result_int() == 200);
            CHECK(res["X-RateLimit-Limit"] == "60");
            CHECK(res["X-RateLimit-Remaining"] == std::to_string(60 - i));
        }
        auto limited = co_await c.send(make_request(http::verb::get, target_for("/unread"), john));
        check_error(limited, 429, 9);
        CHECK(limited["X-RateLimit-Remaining"] == "0");
        REQUIRE(limited.find(http::field::retry_after) != limited.end());
        CHECK(std::stoi(std::string{limited[http::field::retry_after]}) >= 1);
        CHECK(std::stoi(std::string{limited[http::field::retry_after]}) <= 60);
        CHECK(std::stoll(std::string{limited["X-RateLimit-Reset"]}) >=
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());

        // Another endpoint, and another user, have their own counters.
        auto other_endpoint = co_await c.send(make_request(http::verb::post, target_for("/channels"), john, "{}"));
        CHECK(other_endpoint.result_int() == 201);
        CHECK(other_endpoint["X-RateLimit-Remaining"] == "59");
        auto other_user = co_await c.send(make_request(http::verb::get, target_for("/unread", "jack"), make_user_token(secret, "jack")));
        CHECK(other_user.result_int() == 200);
    });
}

TEST_CASE("stream rate limits: requests pass again once the window is over")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = base_config();
        cfg.rate_limits = emulator_rate_limits::stream;
        cfg.rate_limit_per_minute = 2;
        constexpr auto window = 2000ms;
        cfg.rate_limit_window = window;
        emulator emu(ex, cfg);
        REQUIRE_FALSE(emu.start());
        http_client c(ex);
        co_await c.connect(emu.port());
        const auto john = make_user_token(secret, "john");

        const auto t0 = std::chrono::steady_clock::now(); // the window opens after this
        auto first = co_await c.send(make_request(http::verb::get, target_for("/unread"), john));
        const auto first_done = std::chrono::steady_clock::now(); // ... and before this
        REQUIRE(first.result_int() == 200);
        CHECK(first["X-RateLimit-Remaining"] == "1");
        auto second = co_await c.send(make_request(http::verb::get, target_for("/unread"), john));
        auto third = co_await c.send(make_request(http::verb::get, target_for("/unread"), john));
        if (std::chrono::steady_clock::now() - t0 < window) {
            // All three fell in one window: the third is over the quota.
            CHECK(second.result_int() == 200);
            check_error(third, 429, 9);
        } else {
            WARN("the machine took longer than the rate-limit window for three requests; "
                 "only the reset is checked");
        }

        // Lower bound only: wait until a whole window has passed since the first request.
        co_await pause(ex, std::chrono::duration_cast<std::chrono::milliseconds>(
                               first_done + window + 100ms - std::chrono::steady_clock::now()));
        auto again = co_await c.send(make_request(http::verb::get, target_for("/unread"), john));
        CHECK(again.result_int() == 200);
        CHECK(again["X-RateLimit-Remaining"] == "1"); // a fresh window
    });
}

// ------------------------------------------------------------------ limits and malformed HTTP

TEST_CASE("oversized bodies get 413 code 22, oversized headers 431 code 24")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = base_config();
        cfg.max_body_size = 4096;
        emulator emu(ex, cfg);
        REQUIRE_FALSE(emu.start());
        const auto john = make_user_token(secret, "john");
        {
            http_client c(ex);
            co_await c.connect(emu.port());
            auto res = co_await c.send(make_request(http::verb::post, target_for("/channels"), john,
                                                    "{\"x\":\"" + std::string(200'000, 'a') + "\"}"));
            check_error(res, 413, 22);
            CHECK_FALSE(res.keep_alive());
        }
        {
            http_client c(ex);
            co_await c.connect(emu.port());
            auto req = make_request(http::verb::get, target_for("/unread"), john);
            req.set("X-Huge", std::string(40 * 1024, 'h'));
            auto res = co_await c.send(req);
            check_error(res, 431, 24);
        }
        { // Just under the limit is fine.
            http_client c(ex);
            co_await c.connect(emu.port());
            auto res = co_await c.send(make_request(http::verb::post, target_for("/channels"), john, "{\"limit\":1}"));
            CHECK(res.result_int() == 201);
        }
    });
}

TEST_CASE("malformed HTTP gets 400 and a close, the server stays up")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        for (std::string garbage : {std::string{"\x01\x02 nonsense\r\n\r\n"}, std::string{"GET / HTTP/9\r\n\r\n"},
                                    std::string{"GET /unread HTTP/1.1\r\nContent-Length: zz\r\n\r\n"}}) {
            INFO(garbage);
            http_client c(ex);
            co_await c.connect(emu.port());
            co_await asio::async_write(c.stream, asio::buffer(garbage), asio::use_awaitable);
            response res;
            co_await http::async_read(c.stream, c.buffer, res, asio::use_awaitable);
            check_error(res, 400, 4);
            response more;
            auto [ec, n] = co_await http::async_read(c.stream, c.buffer, more, tuple_token);
            CHECK(ec == http::error::end_of_stream);
        }
        http_client c(ex);
        co_await c.connect(emu.port());
        auto res = co_await c.send(make_request(http::verb::get, target_for("/unread"), make_user_token(secret, "john")));
        CHECK(res.result_int() == 200);
    });
}

TEST_CASE("the server survives a barrage of garbage connections")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        const auto john = make_user_token(secret, "john");
        std::mt19937 rng(1234);
        std::vector<std::unique_ptr<beast::tcp_stream>> left_open;
        for (int i = 0; i < 150; ++i) {
            auto s = std::make_unique<beast::tcp_stream>(ex);
            co_await s->async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), emu.port()), asio::use_awaitable);
            std::string bytes;
            switch (i % 6) {
            case 0: // random bytes
                for (int k = 0; k < 300; ++k) bytes.push_back(static_cast<char>(rng() & 0xff));
                break;
            case 1: // half a request, body never completed
                bytes = "POST /channels?api_key=emulator-key HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{\"fil";
                break;
            case 2: // immediate close
                break;
            case 3: // a valid request, closed before the answer is read
                bytes = "GET /unread?api_key=emulator-key HTTP/1.1\r\nAuthorization: " + john +
                        "\r\nstream-auth-type: jwt\r\n\r\n";
                break;
            case 4: // a broken WebSocket upgrade (no key)
                bytes = "GET /connect HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
                break;
            case 5: // half a header line
                bytes = "GET /unread?api_key=emul";
                break;
            }
            if (!bytes.empty()) co_await asio::async_write(*s, asio::buffer(bytes), tuple_token);
            if (i % 2 == 0) s->close();
            else left_open.push_back(std::move(s));
        }
        // A real WebSocket that then sends invalid frames.
        {
            ws_client w(ex);
            co_await w.open(emu.port(), connect_target(connect_payload("john"), john));
            (void)co_await w.read();
            const std::string junk = "\xff\xff\xff\xff not a frame";
            co_await asio::async_write(beast::get_lowest_layer(w.ws), asio::buffer(junk), tuple_token);
            w.buffer.clear();
            auto [ec, n] = co_await w.ws.async_read(w.buffer, tuple_token);
            CHECK(ec);
        }
        http_client c(ex);
        co_await c.connect(emu.port());
        auto res = co_await c.send(make_request(http::verb::get, target_for("/unread"), john));
        CHECK(res.result_int() == 200);
        ws_client w(ex);
        co_await w.open(emu.port(), connect_target(connect_payload("john"), john));
        auto first = co_await w.read();
        CHECK(first.at("type") == "health.check");
        emu.stop(); // with half-open connections around: must not hang or leak
    });
}

TEST_CASE("connections beyond max_connections are refused at accept")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = base_config();
        cfg.max_connections = 2;
        emulator emu(ex, cfg);
        REQUIRE_FALSE(emu.start());
        const auto john = make_user_token(secret, "john");
        http_client a(ex), b(ex), c(ex);
        co_await a.connect(emu.port());
        CHECK((co_await a.send(make_request(http::verb::get, target_for("/unread"), john))).result_int() == 200);
        co_await b.connect(emu.port());
        CHECK((co_await b.send(make_request(http::verb::get, target_for("/unread"), john))).result_int() == 200);
        co_await c.connect(emu.port()); // the kernel accepts; the server closes it at once
        response res;
        auto [ec, n] = co_await http::async_read(c.stream, c.buffer, res, tuple_token);
        CHECK(ec);
        a.stream.close(); // a slot frees up once the server notices
        // When it notices is up to the scheduler: retry until a connection is served (a refused
        // one is closed at once), for at most the generous wait limit.
        bool served = false;
        const auto deadline = std::chrono::steady_clock::now() + test::wait_limit;
        while (!served && std::chrono::steady_clock::now() < deadline) {
            http_client d(ex);
            co_await d.connect(emu.port());
            auto req = make_request(http::verb::get, target_for("/unread"), john);
            req.set(http::field::host, "127.0.0.1");
            req.prepare_payload();
            auto [wec, wn] = co_await http::async_write(d.stream, req, tuple_token);
            response got;
            auto [rec, rn] = co_await http::async_read(d.stream, d.buffer, got, tuple_token);
            if (!wec && !rec) {
                CHECK(got.result_int() == 200);
                served = true;
            } else {
                co_await pause(ex, 10ms);
            }
        }
        CHECK(served);
    });
}

// ------------------------------------------------------------------ WebSocket

TEST_CASE("WebSocket handshake: first frame is health.check with connection_id and me")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        ws_client w(ex);
        co_await w.open(emu.port(), connect_target(connect_payload("john"), make_user_token(secret, "john")));
        auto first = co_await w.read();
        INFO(json::serialize(first));
        CHECK(first.at("type") == "health.check");
        CHECK(first.at("cid") == "*");
        REQUIRE(first.at("connection_id").is_string());
        const std::string connection_id{first.at("connection_id").get_string()};
        CHECK_FALSE(connection_id.empty());
        CHECK(first.at("created_at").is_string());
        const auto& me = first.at("me").as_object();
        CHECK(me.at("id") == "john");
        CHECK(me.at("mutes").is_array());
        CHECK(me.at("channel_mutes").is_array());
        CHECK(me.at("devices").is_array());
        CHECK(me.contains("total_unread_count"));

        // Client health checks (a JSON array, as the JS client sends) are answered; empty and
        // unparsable frames are tolerated.
        co_await w.write("");
        co_await w.write("{not json");
        co_await w.write(R"([{"type":"health.check","client_id":"john--1"}])");
        auto echo = co_await w.read();
        CHECK(echo.at("type") == "health.check");
        CHECK(echo.at("connection_id").as_string() == connection_id);
        CHECK(echo.at("cid") == "*");
        CHECK_FALSE(echo.contains("me"));
        co_await w.write(R"({"type":"health.check"})");
        auto echo2 = co_await w.read();
        CHECK(echo2.at("type") == "health.check");

        // A ping control frame gets a pong (Beast handles it) and a health.check (Swift).
        co_await w.ws.async_ping({}, asio::use_awaitable);
        auto after_ping = co_await w.read();
        CHECK(after_ping.at("type") == "health.check");

        co_await w.ws.async_close(websocket::close_code::normal, asio::use_awaitable);
    });
}

TEST_CASE("WebSocket: the server sends its own health checks at the configured interval")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto cfg = base_config();
        cfg.health_check_interval = 50ms;
        emulator emu(ex, cfg);
        REQUIRE_FALSE(emu.start());
        // Measured from before the connection exists: the periodic checks may already be queued
        // in our socket when a loaded machine gets round to reading them, so a clock started at the
        // first read could see them "early". The k-th periodic check is sent at least k intervals
        // after the handshake. No upper bound: a much longer interval (the 30 s default) would hit
        // run_coro's deadline, and a tight one would only measure the machine.
        const auto started = std::chrono::steady_clock::now();
        ws_client w(ex);
        co_await w.open(emu.port(), connect_target(connect_payload("john"), make_user_token(secret, "john")));
        auto first = co_await w.read();
        for (int i = 0; i < 3; ++i) {
            auto hc = co_await w.read();
            CHECK(hc.at("type") == "health.check");
            CHECK(hc.at("connection_id") == first.at("connection_id"));
            CHECK_FALSE(hc.contains("me")); // periodic, not another handshake
        }
        CHECK(std::chrono::steady_clock::now() - started >= 3 * cfg.health_check_interval);
    });
}

TEST_CASE("WebSocket auth failures: one error frame, then close 1000")
{
    struct failing {
        const char* name;
        json::object payload;
        std::string token;
        std::string auth_type;
        std::string api_key;
        int code;
        int status;
    };
    const auto past = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) - 60s;
    const std::vector<failing> cases{
        {"bad signature", connect_payload("john"), make_user_token("wrong", "john"), "jwt", key, 43, 401},
        {"expired", connect_payload("john"), make_user_token(secret, "john", past), "jwt", key, 40, 401},
        {"alg none", connect_payload("john"), alg_none_token("john"), "jwt", key, 43, 401},
        {"dev token refused", connect_payload("john"), make_dev_token("john"), "jwt", key, 43, 401},
        {"wrong api_key", connect_payload("john"), make_user_token(secret, "john"), "jwt", "nope", 2, 401},
        {"missing auth type", connect_payload("john"), make_user_token(secret, "john"), "", key, 5, 401},
        {"token of another user", connect_payload("jack"), make_user_token(secret, "john"), "jwt", key, 5, 401},
        {"user_details of another user",
         json::object{{"user_id", "john"}, {"user_details", json::object{{"id", "jack"}}}},
         make_user_token(secret, "john"), "jwt", key, 5, 401},
    };
    for (const auto& fc : cases) {
        SECTION(fc.name)
        {
            run_coro([&](asio::any_io_executor ex) -> asio::awaitable<void> {
                emulator emu(ex, base_config());
                REQUIRE_FALSE(emu.start());
                ws_client w(ex);
                co_await w.open(emu.port(), connect_target(fc.payload, fc.token, fc.auth_type, fc.api_key));
                auto frame = co_await w.read();
                INFO(json::serialize(frame));
                CHECK_FALSE(frame.contains("type"));
                const auto& err = frame.at("error").as_object();
                CHECK(err.at("code").as_int64() == fc.code);
                CHECK(err.at("StatusCode").as_int64() == fc.status);
                CHECK(err.at("message").is_string());
                CHECK(err.at("details").is_array());
                w.buffer.clear();
                auto [ec, n] = co_await w.ws.async_read(w.buffer, tuple_token);
                CHECK(ec == websocket::error::closed);
                CHECK(w.ws.reason().code == websocket::close_code::normal);
            });
        }
    }
}

TEST_CASE("WebSocket: anonymous users connect")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        ws_client w(ex);
        json::object payload{{"user_id", "anon-1"}, {"user_details", json::object{{"id", "anon-1"}, {"anon", true}}}};
        co_await w.open(emu.port(), connect_target(payload, "", "anonymous"));
        auto first = co_await w.read();
        INFO(json::serialize(first));
        CHECK(first.contains("connection_id"));
    });
}

TEST_CASE("WebSocket events reach a watcher: REST and socket work together")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator emu(ex, base_config());
        REQUIRE_FALSE(emu.start());
        ws_client w(ex);
        co_await w.open(emu.port(), connect_target(connect_payload("john"), make_user_token(secret, "john")));
        auto first = co_await w.read();
        const std::string connection_id{first.at("connection_id").as_string()};

        client_config jc;
        jc.base_url = emu.base_url();
        jc.api_key = key;
        jc.user_id = "john";
        jc.token = make_user_token(secret, "john");
        rest_client john(ex, jc);
        john.set_connection_id(connection_id);
        query_channel_request watch;
        watch.type = "messaging";
        watch.id = "room-1";
        watch.data = channel_input{{"john", "jack"}, {}};
        watch.watch = true;
        diagnostics d1;
        auto [e1, state] = co_await john.async_query_channel(watch, d1, tuple_token);
        INFO(d1.client_message);
        REQUIRE_FALSE(e1);

        client_config kc = jc;
        kc.user_id = "jack";
        kc.token = make_user_token(secret, "jack");
        rest_client jack(ex, kc);
        send_message_request msg;
        msg.type = "messaging";
        msg.id = "room-1";
        msg.message.text = "hello john";
        diagnostics d2;
        auto [e2, sent] = co_await jack.async_send_message(msg, d2, tuple_token);
        INFO(d2.client_message);
        REQUIRE_FALSE(e2);

        bool got = false;
        for (int i = 0; i < 10 && !got; ++i) {
            auto ev = co_await w.read();
            if (ev.at("type") == "message.new") {
                got = true;
                CHECK(ev.at("message").at("text") == "hello john");
            }
        }
        CHECK(got);
        john.shutdown();
        jack.shutdown();
    });
}
