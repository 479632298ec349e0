// Frames the client reads and writes: the first frame of a socket, event frames, the health-check
// scan, the /connect target and the ping.

#include "realtime/connect_url.hpp"
#include "realtime/frames.hpp"
#include "wire/url.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace streamchat;
using namespace streamchat::detail;

TEST_CASE("the first frame is a handshake, a refusal, or malformed")
{
    auto h = read_first_frame(R"({"type":"health.check","connection_id":"c-1","cid":"*","me":{"id":"john"}})");
    CHECK(h.what == first_frame::handshake);
    CHECK(h.connection_id == "c-1");

    auto r = read_first_frame(R"({"error":{"code":43,"message":"bad signature","StatusCode":401}})");
    CHECK(r.what == first_frame::refused);
    CHECK(r.code == 43);
    CHECK(read_first_frame(R"({"error":{"message":"no code"}})").code == -1);
    CHECK(read_first_frame(R"({"error":{"code":99999999999}})").code == -1);

    for (const char* bad : {"", "[]", "not json", R"({"type":"health.check"})", R"({"connection_id":""})",
                            R"({"connection_id":7})", "{\"a\":" })
        CHECK(read_first_frame(bad).what == first_frame::malformed);
}

TEST_CASE("event frames decode, bad ones are errors, never exceptions")
{
    event e;
    REQUIRE_FALSE(decode_event_frame(
        R"({"type":"message.new","cid":"messaging:a","message":{"id":"m1","text":"hi","user":{"id":"jack"},"created_at":"2024-01-01T00:00:00Z"},"created_at":"2024-01-01T00:00:00Z"})",
        e));
    CHECK(e.type == event_type::message_new);
    REQUIRE(e.message);
    CHECK(e.message->id == "m1");

    std::string why;
    event bad;
    CHECK(decode_event_frame("[1,2]", bad, &why) == error::malformed_frame);
    CHECK(decode_event_frame(std::string(200, '['), bad, &why) == error::malformed_frame); // too deep
    CHECK(decode_event_frame(R"({"type":"message.new","created_at":5})", bad, &why));
    CHECK_FALSE(why.empty());

    event unknown;
    REQUIRE_FALSE(decode_event_frame(R"({"type":"custom.thing","cid":"messaging:a","x":1})", unknown));
    CHECK(unknown.type == event_type::unknown);
    CHECK(unknown.type_name == "custom.thing");
}

TEST_CASE("health checks are recognised without a parse")
{
    CHECK(looks_like_health_check(R"({"type":"health.check","connection_id":"x"})"));
    CHECK(looks_like_health_check(R"({"cid":"*", "type" : "health.check"})"));
    CHECK_FALSE(looks_like_health_check(R"({"type":"message.new","text":"health.check"})"));
    CHECK_FALSE(looks_like_health_check(R"({"type":"message.new","message":{"text":"\"type\":\"health.check\""}})"));
    CHECK_FALSE(looks_like_health_check("\"health.check\""));
}

TEST_CASE("the /connect target carries the payload and credentials in the JS client's order")
{
    client_config cfg;
    cfg.api_key = "key 1";
    cfg.user_id = "john";
    user_input me;
    me.name = "John Doe";
    me.custom["color"] = "red";
    const auto target = make_connect_target("/base", cfg, me, "tok.en", "req-1");
    REQUIRE(target.starts_with("/base/connect?json="));
    std::vector<std::pair<std::string, std::string>> params;
    for (std::string_view rest = std::string_view(target).substr(target.find('?') + 1); !rest.empty();) {
        const auto amp = rest.find('&');
        const auto part = rest.substr(0, amp);
        const auto eq = part.find('=');
        params.emplace_back(percent_decode(part.substr(0, eq), true), percent_decode(part.substr(eq + 1), true));
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    }
    REQUIRE(params.size() == 5);
    CHECK(params[0].first == "json");
    CHECK(params[0].second ==
          R"({"user_id":"john","user_details":{"id":"john","name":"John Doe","color":"red"},"client_request_id":"req-1"})");
    CHECK(params[1] == std::pair<std::string, std::string>{"api_key", "key 1"});
    CHECK(params[2] == std::pair<std::string, std::string>{"authorization", "tok.en"});
    CHECK(params[3] == std::pair<std::string, std::string>{"stream-auth-type", "jwt"});
    CHECK(params[4].first == "X-Stream-Client");

    cfg.auth = auth_type::anonymous;
    const auto anon = make_connect_target("", cfg, me, "ignored", "r");
    CHECK(anon.find("authorization=&") != std::string::npos);
    CHECK(anon.find("stream-auth-type=anonymous") != std::string::npos);
}

TEST_CASE("the ping is a one-element array")
{
    CHECK(make_ping_frame("john--abc") == R"([{"type":"health.check","client_id":"john--abc"}])");
}
