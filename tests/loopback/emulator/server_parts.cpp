// The emulator server's sans-io parts: target decoding, authentication decisions, rate limiting.
#include "emulator/server/auth.hpp"
#include "emulator/server/rate_limiter.hpp"
#include "emulator/server/target.hpp"

#include <streamchat/token.hpp>

#include <catch2/catch.hpp>

using namespace streamchat;
using namespace streamchat::emu;
using namespace std::chrono_literals;

TEST_CASE("targets: path and query are split and percent-decoded")
{
    auto t = parse_target("/channels/messaging/a%20b/query?api_key=k&payload=%7B%22a%22%3A1%7D&x=a+b&flag&=v#frag");
    CHECK(t.path == "/channels/messaging/a b/query");
    REQUIRE(t.query.size() == 5);
    CHECK(*find_param(t.query, "api_key") == "k");
    CHECK(*find_param(t.query, "payload") == R"({"a":1})");
    CHECK(*find_param(t.query, "x") == "a b"); // form encoding in queries
    CHECK(find_param(t.query, "flag")->empty());
    CHECK_FALSE(find_param(t.query, "frag"));
    CHECK(parse_target("").path == "/");
    CHECK(parse_target("/a+b").path == "/a+b"); // '+' is literal in paths
    // Malformed escapes stay as written; nothing throws.
    CHECK(percent_decode("%zz%4", false) == "%zz%4");
    CHECK(percent_decode("%", true) == "%");
    CHECK(percent_decode("%00x", false) == std::string("\0x", 2));
}

TEST_CASE("authentication decisions")
{
    emulator_config cfg;
    const auto now = std::chrono::system_clock::now();
    const auto token = make_user_token(cfg.api_secret, "john");
    credentials c;
    c.api_key = cfg.api_key;
    c.auth_type = "jwt";
    c.token = token;

    auto ok = authenticate(c, cfg, now);
    REQUIRE(ok.who);
    CHECK(ok.who->user_id == "john");
    CHECK_FALSE(ok.who->server);

    auto bearer_token = "Bearer " + token;
    auto bearer = c;
    bearer.token = bearer_token;
    CHECK(authenticate(bearer, cfg, now).who);

    CHECK(authenticate(c, cfg, now - 1h).who); // no exp/nbf/iat: time does not matter

    auto server = c;
    const auto server_token = make_server_token(cfg.api_secret);
    server.token = server_token;
    server.user_id = "jack";
    auto s = authenticate(server, cfg, now);
    REQUIRE(s.who);
    CHECK(s.who->server);
    CHECK(s.who->user_id == "jack");

    auto anon = c;
    anon.auth_type = "anonymous";
    anon.token = {};
    auto a = authenticate(anon, cfg, now);
    REQUIRE(a.who);
    CHECK(a.who->anonymous);

    auto mismatch = c;
    mismatch.user_id = "jack";
    CHECK(authenticate(mismatch, cfg, now).failure.code == 5);

    auto no_key = c;
    no_key.api_key.reset();
    CHECK(authenticate(no_key, cfg, now).failure.code == 2);

    cfg.allow_dev_tokens = true;
    auto dev = c;
    const auto dev_token = make_dev_token("alice");
    dev.token = dev_token;
    auto d = authenticate(dev, cfg, now);
    REQUIRE(d.who);
    CHECK(d.who->user_id == "alice");
}

TEST_CASE("operation names follow Stream's")
{
    CHECK(operation_name("POST", "/channels") == "QueryChannels");
    CHECK(operation_name("POST", "/channels/messaging/general/query") == "GetOrCreateChannel");
    CHECK(operation_name("POST", "/channels/messaging/query") == "GetOrCreateChannel");
    CHECK(operation_name("POST", "/channels/messaging/general/message") == "SendMessage");
    CHECK(operation_name("DELETE", "/messages/m1") == "DeleteMessage");
    CHECK(operation_name("GET", "/users") == "QueryUsers");
    CHECK(operation_name("GET", "/nowhere") == "Request");
}

TEST_CASE("rate limiter: fixed windows per identity and route")
{
    const auto t0 = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000));
    rate_limiter rl(emulator_rate_limits::stream, 3, 1000ms);
    for (int i = 1; i <= 3; ++i) {
        auto v = rl.hit("user:a", "GET /unread", t0 + std::chrono::milliseconds(i - 1));
        CHECK(v.allowed);
        CHECK(v.limit == 3);
        CHECK(v.remaining == 3 - i);
        CHECK(v.reset == 1'700'000'001);
    }
    auto refused = rl.hit("user:a", "GET /unread", t0 + 500ms);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.remaining == 0);
    CHECK(refused.retry_after == 1);
    CHECK(rl.peek("user:a", "GET /unread", t0 + 600ms).remaining == 0);
    CHECK(rl.hit("user:b", "GET /unread", t0 + 500ms).allowed);
    CHECK(rl.hit("user:a", "POST /channels", t0 + 500ms).allowed);
    auto next = rl.hit("user:a", "GET /unread", t0 + 1000ms);
    CHECK(next.allowed);
    CHECK(next.remaining == 2);

    rate_limiter off(emulator_rate_limits::off, 3, 1000ms);
    for (int i = 0; i < 10; ++i) CHECK(off.hit("x", "y", t0).allowed);
    CHECK(off.hit("x", "y", t0).limit == rate_limiter::unlimited_quota);
}
