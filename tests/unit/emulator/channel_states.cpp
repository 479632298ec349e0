// Channel states written as text (one query per page, JSON laid out by the SDK codec once) against
// the per-channel model rendering they replaced (support/emulator_reference): the same bytes for
// every caller, option and kind of stored data, and the pieces they are made of.
#include "unit/emulator/handlers_fixture.hpp"

#include "support/emulator_reference.hpp"

#include "emulator/handlers/render.hpp"

#include <streamchat/timestamp.hpp>

#include <limits>
#include <random>

using namespace emu_test;

namespace {

/// Runs `body` as POST /channels through handle() and through the reference, at the same time.
void check_page(fixture& f, const std::string& body, caller who)
{
    api_request r;
    r.method = "POST";
    r.path = "/channels";
    r.body = body;
    r.who = std::move(who);
    r.now = f.tick();
    api_response fast = handle(r, *f.ctx);
    api_response model = reference::query_channels(r, *f.ctx);
    INFO(body << " as " << r.who.user_id << (r.who.server ? " (server)" : "") << (r.who.anonymous ? " (anonymous)" : ""));
    REQUIRE(fast.status == model.status);
    if (fast.status != 201) return;
    CHECK(fast.body.empty());
    REQUIRE_FALSE(fast.text.empty());
    const std::string expected = json::serialize(model.body);
    CHECK(fast.text == expected);
    if (fast.text != expected) {
        std::size_t at = 0;
        while (at < fast.text.size() && at < expected.size() && fast.text[at] == expected[at]) ++at;
        const std::size_t from = at < 200 ? 0 : at - 200;
        FAIL_CHECK("first difference at byte " << at << "\nwritten:  " << fast.text.substr(from, 400)
                                               << "\nexpected: " << expected.substr(from, 400));
    }
}

api_response must(api_response r)
{
    INFO(json::serialize(r.body));
    REQUIRE(r.status < 300);
    return r;
}

/// Users, channels and messages of every kind the renderer treats apart.
void populate(fixture& f, std::string& jack_connection)
{
    std::string why;
    emulator_seed seed;
    seed.users = 8;
    seed.channels = 12;
    seed.messages_per_channel = 3;
    seed.for_user = "john";
    REQUIRE(seed_store(*f.db, seed, why));

    must(f.call("POST", "/users", R"({"users":{
        "alice":{"id":"alice","name":"Alice \"A\" \\ Zoë 😀","image":"http://x/a.png","color":"blue","teams":["red"],
                 "custom":{"nested":{"a":1,"b":[true,null,2.5]}}},
        "bob":{"id":"bob","role":"admin","extra_field":[1,2,3]},
        "carol":{"id":"carol","name":"Carol"}}})", server()));
    jack_connection = f.connect("jack");
    f.connect("alice");

    must(f.call("POST", "/channels/messaging/general/query",
                R"({"data":{"members":["john","jack","alice","bob"],"name":"General","image":"img",
                    "cooldown_x":5,"custom":{"deep":{"k":[1,{"z":null}]}}}})", user("john")));
    must(f.call("POST", "/channels/messaging/general/query", R"({"watch":true})", user("jack", jack_connection)));
    const char* messages[][2] = {
        {"john", R"({"message":{"id":"m1","text":"with <b>&</b> 'q'","attachments":[{"type":"image","image_url":"http://i"}],
                   "mentioned_users":["alice","nobody"],"color":"x"}})"},
        {"alice", R"({"message":{"id":"m2","text":"reply","parent_id":"m1","show_in_channel":true}})"},
        {"jack", R"({"message":{"id":"m3","text":"thread only","parent_id":"m1"}})"},
        {"bob", R"({"message":{"id":"m4","text":"plain \"quoted\" \\ back\nslash\ttab \u0001\u001f é 😀"}})"},
        {"jack", R"({"message":{"id":"m5","text":"to delete"}})"},
        {"jack", R"({"message":{"id":"m6","text":"","custom":{"k":"v"}}})"},
        {"carol", R"({"message":{"id":"m7","text":"from a user who is no member"}})"},
    };
    for (const auto& [who, body] : messages) {
        auto r = f.call("POST", "/channels/messaging/general/message", body, user(who));
        INFO(body << " -> " << json::serialize(r.body));
        CHECK((r.status == 201 || r.status == 403)); // carol may not write here: fine either way
    }
    must(f.call("DELETE", "/messages/m5", "", user("jack")));
    must(f.call("POST", "/channels/messaging/general/read", "{}", user("alice")));
    must(f.call("POST", "/channels/messaging/general", R"({"add_moderators":["jack"]})", user("john")));

    must(f.call("POST", "/channels/livestream/stage/query", R"({"data":{"name":"Stage"}})", user("bob")));
    must(f.call("POST", "/channels/livestream/stage/message", R"({"message":{"id":"s1","text":"on stage"}})", user("zed")));
    // No messages: last_message_at is null, and these tie in sorts.
    must(f.call("POST", "/channels/messaging/empty-a/query", R"({"data":{"members":["john"]}})", user("john")));
    must(f.call("POST", "/channels/messaging/empty-b/query", R"({"data":{"members":["john"]}})", user("john")));
    must(f.call("POST", "/channels/messaging/frozen/query", R"({"data":{"members":["john","alice"],"frozen":true}})",
                server("alice")));
    // More members than the member_limit of some queries below.
    json::array crowd;
    for (int i = 0; i < 12; ++i) crowd.emplace_back("member-" + std::to_string(i));
    crowd.emplace_back("john");
    must(f.call("POST", "/channels/messaging/crowd/query",
                json::object{{"data", json::object{{"members", crowd}, {"name", "Crowd"}}}}, user("john")));
    for (int i = 0; i < 6; ++i)
        must(f.call("POST", "/channels/messaging/crowd/message",
                    json::object{{"message", json::object{{"id", "c" + std::to_string(i)}, {"text", "crowd"}}}},
                    user("member-" + std::to_string(i))));

    // Custom data as other tools might have stored it: spaces, escapes, floats, big numbers,
    // repeated keys, keys named like channel fields; and a plain one.
    f.db->exec(R"SQL(UPDATE channels SET extra = '{ "b" : 1.50, "k":"\u0041\n", "cid":"x", "n":-0, "big":123456789012345678901, "e":1e2, "d":{"x":[1, 2]}, "a":1, "a":2 }' WHERE cid = 'messaging:seed-1')SQL");
    f.db->exec(R"SQL(UPDATE channels SET extra = '{"name":"Plain","member_count":7,"n":-12,"z":0,"t":true,"f":false,"u":null,"":"empty key"}' WHERE cid = 'messaging:seed-2')SQL");
    f.db->exec(R"SQL(UPDATE channels SET extra = '{"name":"Zoë"}' WHERE cid = 'messaging:seed-3')SQL");
    f.db->exec(R"SQL(UPDATE channels SET extra = '[1,2]' WHERE cid = 'messaging:seed-4')SQL");
}

} // namespace

TEST_CASE("queryChannels pages are the per-channel model rendering, byte for byte")
{
    fixture f;
    std::string jack;
    populate(f, jack);
    const std::vector<std::string> bodies = {
        "{}",
        R"({"watch":false})",
        R"({"filter_conditions":{"members":{"$in":["john"]}},"sort":[{"field":"last_message_at","direction":-1}],"limit":30,"message_limit":1,"state":true,"watch":false})",
        R"({"sort":[{"field":"last_message_at","direction":1}],"limit":30,"message_limit":2})",
        R"({"sort":[{"field":"created_at","direction":-1}],"limit":30,"offset":2})",
        R"({"limit":30,"message_limit":0})",
        R"({"limit":30,"message_limit":3,"member_limit":2})",
        R"({"limit":30,"message_limit":300,"member_limit":0})",
        R"({"limit":30,"state":false})",
        R"({"limit":5,"offset":3})",
        R"({"filter_conditions":{"id":"general"},"message_limit":10})",
        R"({"filter_conditions":{"id":"crowd"},"member_limit":5,"message_limit":4})",
        R"({"filter_conditions":{"type":"livestream"}})",
        R"({"filter_conditions":{"cid":{"$in":["messaging:seed-1","messaging:seed-2","messaging:seed-3","messaging:seed-4"]}}})",
    };
    for (const auto& body : bodies)
        for (const auto& who : {user("john"), user("alice"), user("jack", jack), user("zed"), user("member-3"), server(),
                                server("alice"), anonymous()})
            check_page(f, body, who);
    check_page(f, R"({"user_id":"bob","limit":30})", server());
    check_page(f, R"({"user_id":"bob","limit":30})", server("jack"));
}

TEST_CASE("get-or-create answers the state a page holds for the same channel")
{
    fixture f;
    std::string jack;
    populate(f, jack);
    for (const std::string id : {"general", "crowd", "empty-a", "seed-1", "seed-2"}) {
        for (const auto& who : {user("john"), server(), server("alice")}) {
            auto single = f.call("POST", "/channels/messaging/" + id + "/query", "{}", who);
            INFO(id << " as " << who.user_id);
            REQUIRE(single.status == 201);
            api_request r;
            r.method = "POST";
            r.path = "/channels";
            r.body = R"({"filter_conditions":{"id":")" + id + R"("}})";
            r.who = who;
            r.now = f.tick();
            const auto page = reference::query_channels(r, *f.ctx);
            REQUIRE(page.body.at("channels").as_array().size() == 1);
            CHECK(single.text == json::serialize(page.body.at("channels").at(0)));
        }
    }
    // Member windows take the one-channel query.
    auto window = f.call("POST", "/channels/messaging/crowd/query", R"({"members":{"limit":2,"offset":1}})", user("john"));
    REQUIRE(window.status == 201);
    const auto& members = window.body.at("members").as_array();
    REQUIRE(members.size() == 2);
    const auto all = f.db->members("messaging:crowd", 100, 0);
    CHECK(members.at(0).at("user_id").as_string() == all.at(1).user_id);
    CHECK(members.at(1).at("user_id").as_string() == all.at(2).user_id);
}

TEST_CASE("times written in place are format_timestamp's text")
{
    std::mt19937_64 rng(7);
    std::vector<nanos> samples = {0, 1, -1, 999'999'999, 1'000'000'000, -1'000'000'000, 1'704'067'200'000'000'000,
                                  1'704'067'200'123'000'000, 1'704'067'200'123'456'000, 1'704'067'200'123'456'789,
                                  951'782'400'000'000'000 /* 2000-02-29 */, std::numeric_limits<nanos>::max(),
                                  std::numeric_limits<nanos>::min()};
    for (int i = 0; i < 2000; ++i) samples.push_back(static_cast<nanos>(rng()));
    for (int i = 0; i < 2000; ++i) samples.push_back(static_cast<nanos>(rng() % 4'000'000'000'000'000'000ULL) / 1000 * 1000);
    for (nanos t : samples) {
        std::string out = "x";
        append_timestamp(out, t);
        INFO(t);
        CHECK(out == "x" + streamchat::format_timestamp(from_nanos(t)));
    }
}

TEST_CASE("a text body gets duration as its last key, like a DOM body")
{
    api_response text;
    text.text = R"({"channels":[]})";
    CHECK(body_text(std::move(text), "1.50ms") == R"({"channels":[],"duration":"1.50ms"})");
    api_response empty;
    empty.text = "{}";
    CHECK(body_text(std::move(empty), "0.01ms") == R"({"duration":"0.01ms"})");
    api_response dom;
    dom.body["channels"] = json::array{};
    CHECK(body_text(std::move(dom), "1.50ms") == R"({"channels":[],"duration":"1.50ms"})");
    api_response plain;
    plain.text = R"({"a":1})";
    CHECK(body_text(std::move(plain)) == R"({"a":1})");
}
