// The emulator's REST handlers driven through handle(), with a real hub whose connections record
// frames (no sockets).
#include "unit/emulator/handlers_fixture.hpp"

#include "emulator/handlers/render.hpp"

#include <algorithm>
#include <set>

using namespace emu_test;

namespace {

api_response create(fixture& f, const std::string& who, const std::string& id, std::vector<std::string> members,
                    json::object extra = {})
{
    json::array m;
    for (auto& x : members) m.emplace_back(x);
    json::object data = std::move(extra);
    data["members"] = std::move(m);
    return f.call("POST", "/channels/messaging/" + id + "/query", json::object{{"data", data}}, user(who));
}

api_response send(fixture& f, const std::string& who, const std::string& id, const std::string& text,
                  std::string message_id = {}, std::string conn = {})
{
    json::object m{{"text", text}};
    if (!message_id.empty()) m["id"] = message_id;
    return f.call("POST", "/channels/messaging/" + id + "/message", json::object{{"message", m}}, user(who, conn));
}

std::vector<std::string> cids_of(const api_response& r)
{
    std::vector<std::string> out;
    for (const auto& c : r.body.at("channels").as_array())
        out.emplace_back(c.at("channel").at("cid").as_string());
    return out;
}

api_response query_channels(fixture& f, const std::string& who, std::string_view body)
{
    return f.call("POST", "/channels", std::string(body), user(who));
}

} // namespace

TEST_CASE("get-or-create returns a full channel state and is stable")
{
    fixture f;
    auto r = create(f, "john", "general", {"john", "jack"}, json::object{{"name", "General"}, {"color", "red"}});
    INFO(json::serialize(r.body));
    REQUIRE(r.status == 201);
    const auto& ch = r.body.at("channel").as_object();
    CHECK(ch.at("cid") == "messaging:general");
    CHECK(ch.at("name") == "General"); // custom data flattened
    CHECK(ch.at("color") == "red");
    CHECK(ch.at("member_count") == 2);
    CHECK(ch.at("created_by").at("id") == "john");
    const auto& cfg = ch.at("config").as_object();
    for (const char* flag : {"typing_events", "read_events", "connect_events", "delivery_events"})
        CHECK(cfg.at(flag) == true);
    CHECK(r.body.at("messages").as_array().empty());
    CHECK(r.body.at("pinned_messages").as_array().empty());
    CHECK(r.body.at("watcher_count") == 0);
    CHECK(r.body.at("watchers").as_array().empty());
    const auto& members = r.body.at("members").as_array();
    REQUIRE(members.size() == 2);
    for (const auto& m : members) CHECK(m.at("user").at("id").is_string());
    CHECK(r.body.at("membership").at("user").at("id") == "john");
    bool own_read = false;
    for (const auto& rd : r.body.at("read").as_array()) own_read = own_read || rd.at("user").at("id") == "john";
    CHECK(own_read);

    auto again = create(f, "jack", "general", {"jack"});
    REQUIRE(again.status == 201);
    CHECK(again.body.at("channel").at("created_at") == ch.at("created_at"));
    CHECK(again.body.at("channel").at("member_count") == 2); // data of an existing channel is not applied

    // Not a member: 403 code 17. Anonymous users cannot create.
    CHECK(error_code_of(create(f, "mallory", "general", {"mallory"}), 403) == 17);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/anon/query", "{}", anonymous()), 403) == 17);
}

TEST_CASE("anonymous users read public livestream channels only")
{
    fixture f;
    REQUIRE(create(f, "john", "secret", {"john"}).status == 201);
    REQUIRE(f.call("POST", "/channels/livestream/stage/query", "{}", user("john")).status == 201);
    CHECK(f.call("POST", "/channels/livestream/stage/query", "{}", anonymous()).status == 201);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/secret/query", "{}", anonymous()), 403) == 17);
    auto list = f.call("POST", "/channels", "{}", anonymous());
    REQUIRE(list.status == 201);
    REQUIRE(list.body.at("channels").as_array().size() == 1);
    CHECK(list.body.at("channels").at(0).at("channel").at("cid") == "livestream:stage");
    CHECK(error_code_of(f.call("POST", "/channels/livestream/stage/message", R"({"message":{"text":"hi"}})", anonymous()), 403) == 17);
    CHECK(error_code_of(f.call("GET", "/users", "", anonymous()), 403) == 17);
    // A non-member may read and write in a livestream, not in a messaging channel.
    CHECK(f.call("POST", "/channels/livestream/stage/message", R"({"message":{"text":"hi"}})", user("zed")).status == 201);
}

TEST_CASE("distinct channels get a stable id from their member set")
{
    fixture f;
    auto a = f.call("POST", "/channels/messaging/query", R"({"data":{"members":["bob","alice"]}})", user("alice"));
    auto b = f.call("POST", "/channels/messaging/query", R"({"data":{"members":["alice","bob","alice"]}})", user("bob"));
    auto c = f.call("POST", "/channels/messaging/query", R"({"data":{"members":["alice","carol"]}})", user("alice"));
    REQUIRE(a.status == 201);
    REQUIRE(b.status == 201);
    const std::string id(a.body.at("channel").at("id").as_string());
    CHECK(id.starts_with("!members-"));
    CHECK(id.size() <= 64);
    CHECK(b.body.at("channel").at("id").as_string() == id);
    CHECK(c.body.at("channel").at("id").as_string() != id);
    CHECK(a.body.at("members").as_array().size() == 2);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/query", R"({"data":{}})", user("alice")), 400) == 4);
}

TEST_CASE("queryChannels: visibility, filters, sort and paging limits")
{
    fixture f;
    std::string why;
    emulator_seed seed;
    seed.users = 10;
    seed.channels = 45;
    seed.messages_per_channel = 2;
    seed.for_user = "john";
    REQUIRE(seed_store(*f.db, seed, why));
    create(f, "zed", "private", {"zed"});

    auto page1 = query_channels(f, "john", R"({"filter_conditions":{"members":{"$in":["john"]}},
        "sort":[{"field":"last_message_at","direction":-1}],"limit":30,"message_limit":1})");
    REQUIRE(page1.status == 201);
    auto first = cids_of(page1);
    REQUIRE(first.size() == 30);
    CHECK(page1.body.at("channels").at(0).at("messages").as_array().size() == 1);
    // Sorted by last_message_at, newest first.
    for (std::size_t i = 1; i < 30; ++i) {
        const auto prev = page1.body.at("channels").at(i - 1).at("channel").at("last_message_at").as_string();
        const auto cur = page1.body.at("channels").at(i).at("channel").at("last_message_at").as_string();
        CHECK(prev >= cur);
    }
    auto page2 = query_channels(f, "john", R"({"filter_conditions":{"members":{"$in":["john"]}},
        "sort":[{"field":"last_message_at","direction":-1}],"limit":30,"offset":30})");
    auto second = cids_of(page2);
    CHECK(second.size() == 15);
    std::set<std::string> all(first.begin(), first.end());
    all.insert(second.begin(), second.end());
    CHECK(all.size() == 45);
    CHECK_FALSE(all.contains("messaging:private")); // john is not a member

    // Default limit 10, default sort last_updated.
    CHECK(cids_of(query_channels(f, "john", "{}")).size() == 10);
    // Offset at the 1000 cap is fine (and empty); beyond it, and limit over 30, are input errors.
    CHECK(cids_of(query_channels(f, "john", R"({"offset":1000})")).empty());
    CHECK(error_code_of(query_channels(f, "john", R"({"offset":1001})"), 400) == 4);
    CHECK(error_code_of(query_channels(f, "john", R"({"limit":31})"), 400) == 4);
    CHECK(error_code_of(query_channels(f, "john", R"({"message_limit":301})"), 400) == 4);
    CHECK(error_code_of(query_channels(f, "john", R"({"member_limit":101})"), 400) == 4);
    auto typed = query_channels(f, "john", R"({"limit":"ten"})");
    CHECK(error_code_of(typed, 400) == 4);
    CHECK(message_of(typed).find("limit") != std::string::npos);

    // Filters.
    CHECK(cids_of(query_channels(f, "john", R"({"filter_conditions":{"cid":{"$in":["messaging:seed-3","messaging:seed-7"]}}})")).size() == 2);
    CHECK(cids_of(query_channels(f, "john", R"({"filter_conditions":{"$or":[{"id":"seed-1"},{"id":"seed-2"}]}})")).size() == 2);
    CHECK(cids_of(query_channels(f, "john", R"({"filter_conditions":{"name":"Seed channel 4"}})")) ==
          std::vector<std::string>{"messaging:seed-4"});
    CHECK(cids_of(query_channels(f, "john", R"({"filter_conditions":{"type":"livestream"}})")).empty());
    auto ranged = query_channels(f, "john", R"({"filter_conditions":{"last_message_at":{"$gte":"2024-01-01T00:00:00Z","$lt":"2099-01-01T00:00:00Z"}},"limit":30})");
    CHECK(cids_of(ranged).size() == 30);
    CHECK(error_code_of(query_channels(f, "john", R"({"filter_conditions":{"type":{"$regex":"x"}}})"), 400) == 4);

    // A server token sees every channel.
    auto srv = f.call("POST", "/channels", R"({"filter_conditions":{"id":"private"}})", server());
    CHECK(cids_of(srv) == std::vector<std::string>{"messaging:private"});
}

TEST_CASE("watchers get message.new, members who do not watch get notification.message_new")
{
    fixture f;
    const auto john = f.connect("john");
    const auto jack = f.connect("jack");
    const auto alice = f.connect("alice");
    REQUIRE(create(f, "alice", "room", {"alice", "john", "jack"}).status == 201);
    CHECK(f.of_type(john, "notification.added_to_channel").size() == 1);
    CHECK(f.of_type(alice, "notification.added_to_channel").empty()); // the creator has the response

    // john watches through queryChannels with his connection id; alice sees him start watching.
    REQUIRE(f.call("POST", "/channels/messaging/room/query", R"({"watch":true})", user("alice", alice)).status == 201);
    auto q = f.call("POST", "/channels", R"({"filter_conditions":{"members":{"$in":["john"]}},"watch":true})", user("john", john));
    REQUIRE(q.status == 201);
    CHECK(q.body.at("channels").at(0).at("watcher_count") == 2);
    auto starts = f.of_type(alice, "user.watching.start");
    REQUIRE(starts.size() == 1);
    CHECK(starts[0].at("user").at("id") == "john");
    CHECK(starts[0].at("watcher_count") == 2);
    CHECK(f.of_type(john, "user.watching.start").empty());

    f.frames.clear();
    auto sent = send(f, "alice", "room", "hello <b>world</b>", "client-id-1");
    REQUIRE(sent.status == 201);
    const auto& msg = sent.body.at("message");
    CHECK(msg.at("id") == "client-id-1");
    CHECK(msg.at("type") == "regular");
    CHECK(msg.at("html") == "<p>hello &lt;b&gt;world&lt;/b&gt;</p>\n");
    CHECK(msg.at("user").at("id") == "alice");

    auto at_john = f.of_type(john, "message.new");
    REQUIRE(at_john.size() == 1);
    CHECK(at_john[0].at("total_unread_count") == 1);
    CHECK(at_john[0].at("unread_channels") == 1);
    CHECK(at_john[0].at("watcher_count") == 2);
    CHECK(at_john[0].at("cid") == "messaging:room");
    CHECK(f.of_type(john, "notification.message_new").empty());

    auto at_jack = f.of_type(jack, "notification.message_new");
    REQUIRE(at_jack.size() == 1);
    CHECK(at_jack[0].at("channel").at("config").at("read_events") == true);
    CHECK(at_jack[0].at("total_unread_count") == 1);
    CHECK(at_jack[0].at("message").at("id") == "client-id-1");
    CHECK(f.of_type(jack, "message.new").empty());

    auto at_alice = f.of_type(alice, "message.new"); // the author watches too
    REQUIRE(at_alice.size() == 1);
    CHECK(at_alice[0].at("total_unread_count") == 0);
    CHECK(f.of_type(alice, "notification.message_new").empty());

    // Duplicate client id: 400 with code 4 and Stream's sentence.
    auto dup = send(f, "john", "room", "again", "client-id-1");
    CHECK(error_code_of(dup, 400) == 4);
    CHECK(message_of(dup) == "SendMessage failed with error: \"a message with ID client-id-1 already exists\"");

    // Server-made id is a UUID.
    auto gen = send(f, "john", "room", "no id");
    REQUIRE(gen.status == 201);
    CHECK(gen.body.at("message").at("id").as_string().size() == 36);

    // stop-watching: alice gets user.watching.stop for john.
    f.frames.clear();
    REQUIRE(f.call("POST", "/channels/messaging/room/stop-watching", "{}", user("john", john)).status == 201);
    auto stops = f.of_type(alice, "user.watching.stop");
    REQUIRE(stops.size() == 1);
    CHECK(stops[0].at("watcher_count") == 1);
    send(f, "alice", "room", "after stop");
    CHECK(f.of_type(john, "message.new").empty());
    CHECK(f.of_type(john, "notification.message_new").size() == 1);
}

TEST_CASE("mark read resets unread counts and notifies")
{
    fixture f;
    const auto john = f.connect("john");
    REQUIRE(create(f, "alice", "room", {"alice", "john"}).status == 201);
    send(f, "alice", "room", "one");
    send(f, "alice", "room", "two");
    auto unread = f.call("GET", "/unread", "", user("john"));
    REQUIRE(unread.status == 200);
    CHECK(unread.body.at("total_unread_count") == 2);
    CHECK(unread.body.at("channels").at(0).at("channel_id") == "messaging:room");

    auto state = f.call("POST", "/channels/messaging/room/query", "{}", user("john"));
    for (const auto& r : state.body.at("read").as_array())
        if (r.at("user").at("id") == "john") CHECK(r.at("unread_messages") == 2);
    CHECK(state.body.at("messages").as_array().size() == 2);

    f.frames.clear();
    auto read = f.call("POST", "/channels/messaging/room/read", "{}", user("john", john));
    REQUIRE(read.status == 201);
    // MarkReadResponseEvent / MessageReadEvent: the channel's three ids, the reader, the time.
    const auto& ev = read.body.at("event").as_object();
    CHECK(ev.at("type") == "message.read");
    CHECK(ev.at("cid") == "messaging:room");
    CHECK(ev.at("channel_type") == "messaging");
    CHECK(ev.at("channel_id") == "room");
    CHECK(ev.at("user").at("id") == "john");
    CHECK(ev.at("created_at").is_string());
    CHECK(ev.at("last_read_message_id") == state.body.at("messages").at(1).at("id"));
    auto notes = f.of_type(john, "notification.mark_read");
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].at("total_unread_count") == 0);
    CHECK(notes[0].at("unread_channels") == 0);
    CHECK(f.call("GET", "/unread", "", user("john")).body.at("total_unread_count") == 0);

    // Reading a channel one is not a member of is not allowed.
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room/read", "{}", user("zed")), 403) == 17);
}

TEST_CASE("messages: get, update, soft and hard delete")
{
    fixture f;
    const auto jack = f.connect("jack");
    REQUIRE(create(f, "john", "room", {"john", "jack"}).status == 201);
    REQUIRE(f.call("POST", "/channels/messaging/room/query", R"({"watch":true})", user("jack", jack)).status == 201);
    send(f, "john", "room", "first", "m1");

    auto got = f.call("GET", "/messages/m1", "", user("jack"));
    REQUIRE(got.status == 200);
    CHECK(got.body.at("message").at("text") == "first");
    CHECK(got.body.at("message").at("channel").at("cid") == "messaging:room");
    CHECK(error_code_of(f.call("GET", "/messages/m1", "", user("zed")), 403) == 17);
    CHECK(error_code_of(f.call("GET", "/messages/nope", "", user("jack")), 404) == 16);

    auto upd = f.call("POST", "/messages/m1", R"({"message":{"text":"edited","mood":"happy"}})", user("john"));
    REQUIRE(upd.status == 201);
    CHECK(upd.body.at("message").at("text") == "edited");
    CHECK(upd.body.at("message").at("mood") == "happy");
    CHECK(f.of_type(jack, "message.updated").size() == 1);
    CHECK(error_code_of(f.call("POST", "/messages/m1", R"({"message":{"text":"x"}})", user("jack")), 403) == 17);
    auto bad = f.call("POST", "/messages/m1", R"({"message":{"attachments":"nope"}})", user("john"));
    CHECK(error_code_of(bad, 400) == 4);
    CHECK(message_of(bad).find("attachments") != std::string::npos);

    auto part = f.call("PUT", "/messages/m1", R"({"set":{"text":"partial"},"unset":["mood"]})", user("john"));
    REQUIRE(part.status == 200);
    CHECK(part.body.at("message").at("text") == "partial");
    CHECK_FALSE(part.body.at("message").as_object().contains("mood"));

    auto soft = f.call("DELETE", "/messages/m1", "", user("john"));
    REQUIRE(soft.status == 200);
    CHECK(soft.body.at("message").at("type") == "deleted");
    CHECK(soft.body.at("message").as_object().contains("deleted_at"));
    CHECK(f.call("GET", "/messages/m1", "", user("john")).status == 200);
    auto deleted = f.of_type(jack, "message.deleted");
    REQUIRE(deleted.size() == 1);
    CHECK(deleted[0].at("hard_delete") == false);

    auto hard = f.call("DELETE", "/messages/m1", "", user("john"), {{"hard", "true"}});
    REQUIRE(hard.status == 200);
    CHECK(error_code_of(f.call("GET", "/messages/m1", "", user("john")), 404) == 16);
}

TEST_CASE("message pagination is oldest-first with id anchors")
{
    fixture f;
    REQUIRE(create(f, "john", "room", {"john"}).status == 201);
    for (int i = 0; i < 10; ++i) send(f, "john", "room", "m" + std::to_string(i), "m" + std::to_string(i));
    auto ids = [](const api_response& r) {
        std::vector<std::string> out;
        for (const auto& m : r.body.at("messages").as_array()) out.emplace_back(m.at("id").as_string());
        return out;
    };
    auto q = [&](std::string_view messages) {
        return f.call("POST", "/channels/messaging/room/query", "{\"messages\":" + std::string(messages) + "}", user("john"));
    };
    CHECK(ids(q(R"({"limit":3})")) == std::vector<std::string>{"m7", "m8", "m9"});
    CHECK(ids(q(R"({"limit":3,"id_lt":"m7"})")) == std::vector<std::string>{"m4", "m5", "m6"});
    CHECK(ids(q(R"({"limit":3,"id_gt":"m2"})")) == std::vector<std::string>{"m3", "m4", "m5"});
    CHECK(ids(q(R"({"limit":2,"id_lte":"m1"})")) == std::vector<std::string>{"m0", "m1"});
    CHECK(ids(q(R"({"limit":4,"id_around":"m5"})")) == std::vector<std::string>{"m3", "m4", "m5", "m6"});
    CHECK(error_code_of(q(R"({"limit":301})"), 400) == 4);
    CHECK(error_code_of(q(R"({"id_lt":"missing"})"), 400) == 4);
}

TEST_CASE("update channel: data, add and remove members with events")
{
    fixture f;
    const auto john = f.connect("john");
    const auto kate = f.connect("kate");
    REQUIRE(create(f, "john", "room", {"john"}).status == 201);
    REQUIRE(f.call("POST", "/channels/messaging/room/query", R"({"watch":true})", user("john", john)).status == 201);

    auto up = f.call("POST", "/channels/messaging/room", R"({"data":{"name":"Renamed"},"add_members":["kate"]})", user("john"));
    REQUIRE(up.status == 201);
    CHECK(up.body.at("channel").at("name") == "Renamed");
    CHECK(up.body.at("members").as_array().size() == 2);
    CHECK(f.of_type(john, "member.added").size() == 1);
    CHECK(f.of_type(john, "channel.updated").size() == 1);
    auto added = f.of_type(kate, "notification.added_to_channel");
    REQUIRE(added.size() == 1);
    CHECK(added[0].at("channel").at("cid") == "messaging:room");
    CHECK(added[0].at("member").at("user").at("id") == "kate");

    auto rm = f.call("POST", "/channels/messaging/room", R"({"remove_members":["kate"]})", user("john"));
    REQUIRE(rm.status == 201);
    CHECK(rm.body.at("members").as_array().size() == 1);
    auto removed = f.of_type(john, "member.removed");
    REQUIRE(removed.size() == 1);
    CHECK(removed[0].at("user").at("id") == "kate");
    CHECK(f.of_type(kate, "notification.removed_from_channel").size() == 1);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room", R"({"data":{"name":"x"}})", user("kate")), 403) == 17);
    CHECK(f.call("POST", "/channels/messaging/room", R"({"data":{"name":"By server"}})", server()).status == 201);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room", R"({"add_members":"kate"})", user("john")), 400) == 4);
    auto typed = f.call("POST", "/channels/messaging/room", R"({"data":{"cooldown":"slow"}})", user("john"));
    CHECK(error_code_of(typed, 400) == 4);
    CHECK(message_of(typed).find("cooldown") != std::string::npos);
}

TEST_CASE("send event: typing to watchers, reserved types refused")
{
    fixture f;
    const auto jack = f.connect("jack");
    REQUIRE(create(f, "john", "room", {"john", "jack"}).status == 201);
    REQUIRE(f.call("POST", "/channels/messaging/room/query", R"({"watch":true})", user("jack", jack)).status == 201);
    auto r = f.call("POST", "/channels/messaging/room/event", R"({"event":{"type":"typing.start","parent_id":"p"}})", user("john"));
    REQUIRE(r.status == 201);
    CHECK(r.body.at("event").at("user").at("id") == "john");
    auto typing = f.of_type(jack, "typing.start");
    REQUIRE(typing.size() == 1);
    CHECK(typing[0].at("parent_id") == "p");
    auto custom = f.call("POST", "/channels/messaging/room/event", R"({"event":{"type":"poke","strength":3}})", user("john"));
    REQUIRE(custom.status == 201);
    CHECK(f.of_type(jack, "poke").at(0).at("strength") == 3);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room/event", R"({"event":{"type":"message.new"}})", user("john")), 400) == 18);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room/event", R"({"event":{}})", user("john")), 400) == 4);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room/event", R"({"event":{"type":"typing.start","parent_id":5}})", user("john")), 400) == 4);
}

TEST_CASE("sync returns missed events and enforces its limits")
{
    fixture f;
    REQUIRE(create(f, "john", "room", {"john", "jack"}).status == 201);
    REQUIRE(create(f, "zed", "secret", {"zed"}).status == 201);
    const auto since = streamchat::format_timestamp(std::chrono::time_point_cast<std::chrono::nanoseconds>(f.clock));
    send(f, "jack", "room", "missed 1", "s1");
    send(f, "jack", "room", "missed 2", "s2");

    auto body = [&](const std::string& cids, const std::string& at, const std::string& more = "") {
        return "{\"channel_cids\":" + cids + ",\"last_sync_at\":\"" + at + "\"" + more + "}";
    };
    auto r = f.call("POST", "/sync", body(R"(["messaging:room","messaging:secret"])", since), user("john"));
    INFO(json::serialize(r.body));
    REQUIRE(r.status == 201);
    std::vector<std::string> types, ids;
    for (const auto& e : r.body.at("events").as_array()) {
        types.emplace_back(e.at("type").as_string());
        if (e.as_object().contains("message")) ids.emplace_back(e.at("message").at("id").as_string());
    }
    CHECK(ids == std::vector<std::string>{"s1", "s2"});
    CHECK(std::count(types.begin(), types.end(), "notification.removed_from_channel") == 1);

    auto listed = f.call("POST", "/sync", body(R"(["messaging:secret"])", since, R"(,"with_inaccessible_cids":true)"), user("john"));
    REQUIRE(listed.status == 201);
    CHECK(listed.body.at("inaccessible_cids").at(0) == "messaging:secret");
    CHECK(listed.body.at("events").as_array().empty());

    const auto old = streamchat::format_timestamp(
        std::chrono::time_point_cast<std::chrono::nanoseconds>(f.clock - std::chrono::hours(24 * 31)));
    CHECK(error_code_of(f.call("POST", "/sync", body(R"(["messaging:room"])", old), user("john")), 400) == 4);
    CHECK(error_code_of(f.call("POST", "/sync", body("[]", since), user("john")), 400) == 4);
    json::array many;
    for (int i = 0; i < 256; ++i) many.emplace_back("messaging:c" + std::to_string(i));
    CHECK(error_code_of(f.call("POST", "/sync", body(json::serialize(many), since), user("john")), 400) == 4);
    CHECK(error_code_of(f.call("POST", "/sync", body(R"(["messaging:room"])", "yesterday"), user("john")), 400) == 4);

    // Too many events since the last sync.
    for (int i = 0; i < 2001; ++i)
        f.db->append_event("messaging:room", streamchat::emu::to_nanos(std::chrono::time_point_cast<std::chrono::nanoseconds>(f.clock)) + i,
                           "custom", R"({"type":"custom"})");
    auto flood = f.call("POST", "/sync", body(R"(["messaging:room"])", since), user("john"));
    CHECK(error_code_of(flood, 400) == 4);
    CHECK(message_of(flood).find("too many events") != std::string::npos);
}

TEST_CASE("users: query, and upserts only with server rights")
{
    fixture f;
    f.connect("alice", json::object{{"name", "Alice"}, {"hobby", "chess"}});
    f.connect("bob");
    f.connect("carol");
    auto q = f.call("GET", "/users", "", user("alice"),
                    {{"payload", R"({"filter_conditions":{"id":{"$in":["alice","bob"]}},"sort":[{"field":"id","direction":1}]})"}});
    REQUIRE(q.status == 200);
    const auto& users = q.body.at("users").as_array();
    REQUIRE(users.size() == 2);
    CHECK(users[0].at("id") == "alice");
    CHECK(users[0].at("name") == "Alice");
    CHECK(users[0].at("hobby") == "chess");
    CHECK(users[0].at("online") == true);
    CHECK(error_code_of(f.call("GET", "/users", "", user("alice"), {{"payload", R"({"limit":101})"}}), 400) == 4);
    CHECK(error_code_of(f.call("GET", "/users", "", user("alice"), {{"payload", R"({"offset":1001})"}}), 400) == 4);
    CHECK(error_code_of(f.call("GET", "/users", "", user("alice"), {{"payload", "{not json"}}), 400) == 4);

    const std::string upsert = R"({"users":{"dave":{"id":"dave","name":"Dave","role":"admin","team":"red"}}})";
    CHECK(error_code_of(f.call("POST", "/users", upsert, user("alice")), 403) == 17);
    auto up = f.call("POST", "/users", upsert, server());
    REQUIRE(up.status == 201);
    CHECK(up.body.at("users").at("dave").at("role") == "admin");
    CHECK(up.body.at("users").at("dave").at("team") == "red");
    CHECK(error_code_of(f.call("POST", "/users", R"({"users":{"x":{"name":5}}})", server()), 400) == 4);

    const std::string patch = R"({"users":[{"id":"dave","set":{"name":"David","mood":"ok"},"unset":["team"]}]})";
    CHECK(error_code_of(f.call("PATCH", "/users", patch, user("alice")), 403) == 17);
    auto p = f.call("PATCH", "/users", patch, server());
    REQUIRE(p.status == 200);
    const auto& dave = p.body.at("users").at("dave").as_object();
    CHECK(dave.at("name") == "David");
    CHECK(dave.at("mood") == "ok");
    CHECK_FALSE(dave.contains("team"));
    CHECK(error_code_of(f.call("PATCH", "/users", R"({"users":[{"id":"ghost","set":{}}]})", server()), 404) == 16);
}

TEST_CASE("connect_user checks user details and reports unread totals")
{
    fixture f;
    REQUIRE(create(f, "alice", "room", {"alice", "john"}).status == 201);
    send(f, "alice", "room", "hi");
    caller who = user("john");
    auto [me, err] = connect_user(*f.ctx, who, json::object{{"id", "john"}, {"name", "John"}}, f.tick());
    REQUIRE(me);
    CHECK(me->at("total_unread_count") == 1);
    CHECK(me->at("unread_channels") == 1);
    CHECK(me->at("mutes").as_array().empty());
    CHECK(me->at("channel_mutes").as_array().empty());
    CHECK(me->at("devices").as_array().empty());
    CHECK(me->at("name") == "John");
    auto [none, mismatch] = connect_user(*f.ctx, who, json::object{{"id", "mallory"}}, f.tick());
    CHECK_FALSE(none);
    CHECK(error_code_of(mismatch, 400) == 4);
    auto [none2, typed] = connect_user(*f.ctx, who, json::object{{"id", "john"}, {"name", 7}}, f.tick());
    CHECK_FALSE(none2);
    CHECK(message_of(typed).find("name") != std::string::npos);
}

TEST_CASE("every error has Stream's envelope and status")
{
    fixture f;
    REQUIRE(create(f, "john", "room", {"john"}).status == 201);
    CHECK(error_code_of(f.call("GET", "/nowhere", "", user("john")), 404) == 16);
    auto wrong_method = f.call("GET", "/channels", "", user("john"));
    CHECK(error_code_of(wrong_method, 405) == 4);
    REQUIRE(wrong_method.headers.size() == 1);
    CHECK(wrong_method.headers[0] == std::pair<std::string, std::string>{"Allow", "POST"});
    auto on_message = f.call("PATCH", "/messages/m1", "{}", user("john"));
    CHECK(error_code_of(on_message, 405) == 4);
    REQUIRE(on_message.headers.size() == 1);
    CHECK(on_message.headers[0].second == "GET, POST, PUT, DELETE");
    CHECK(f.call("GET", "/nowhere", "", user("john")).headers.empty());
    CHECK(error_code_of(f.call("POST", "/channels", "{\"limit\":", user("john")), 400) == 4);
    CHECK(error_code_of(f.call("POST", "/channels", "[1,2]", user("john")), 400) == 4);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/nope/message", R"({"message":{"text":"x"}})", user("john")), 404) == 16);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room/message", R"({"message":{"text":"x"}})", user("zed")), 403) == 17);
    CHECK(error_code_of(f.call("POST", "/channels/messaging/room/message", R"({"message":"x"})", user("john")), 400) == 4);
    CHECK(error_code_of(f.call("POST", "/channels/bad:type/x/query", "{}", user("john")), 400) == 4);
    auto e = f.call("POST", "/channels", R"({"state":"yes"})", user("john"));
    CHECK(error_code_of(e, 400) == 4);
    CHECK(message_of(e) == "QueryChannels failed with error: \"state must be a boolean\"");
    CHECK(route_name("POST", "/channels/messaging/room/query") == "POST /channels/{type}/{id}/query");
    CHECK(route_name("GET", "/nowhere").empty());
}

TEST_CASE("error envelopes stay JSON whatever the request quotes")
{
    fixture f;
    REQUIRE(create(f, "john", "room", {"john"}).status == 201);
    // The envelope goes through serialize and a strict parse (UTF-8 checked), as a client reads it.
    auto reparsed_message = [](const api_response& r) {
        const std::string text = json::serialize(r.body);
        INFO(text);
        boost::system::error_code ec;
        const json::value v = json::parse(text, ec);
        REQUIRE_FALSE(ec);
        return std::string(v.at("message").as_string());
    };

    auto quoted = f.call("POST", "/channels/messaging/a\"b\\c/query", "{}", user("john"));
    CHECK(error_code_of(quoted, 400) == 4);
    CHECK(reparsed_message(quoted).find("a\"b\\c") != std::string::npos);

    auto filter = f.call("POST", "/channels", R"({"filter_conditions":{"we\"ird\\key":{"$weird":1}}})", user("john"));
    CHECK(error_code_of(filter, 400) == 4);
    CHECK(reparsed_message(filter).find("we\"ird\\key") != std::string::npos);

    // Paths and query values are percent-decoded, so any byte can reach a reason.
    auto stray = f.call("GET", "/messages/m\xFF\xC3", "", user("john"));
    CHECK(error_code_of(stray, 404) == 16);
    CHECK(reparsed_message(stray).find("m\xEF\xBF\xBD\xEF\xBF\xBD") != std::string::npos);
    auto unknown = f.call("GET", "/no\xC0\xAFwhere", "", user("john"));
    CHECK(error_code_of(unknown, 404) == 16);
    (void)reparsed_message(unknown);

    // A server token names its acting user in the query: an id that is not UTF-8 is not stored.
    auto odd_user = f.call("POST", "/channels/messaging/room/message", R"({"message":{"text":"x"}})", server("\xFF"));
    CHECK(error_code_of(odd_user, 400) == 4);
    CHECK(reparsed_message(odd_user).find("not valid UTF-8") != std::string::npos);
    CHECK_FALSE(f.db->find_user("\xFF"));

    const std::pair<const char*, const char*> cases[] = {
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"}, // kept
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                                                 // overlong
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},                               // surrogate
        {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},               // > U+10FFFF
        {"end \xE2\x82", "end \xEF\xBF\xBD\xEF\xBF\xBD"},                                       // cut short
    };
    for (const auto& [reason, shown] : cases) {
        INFO(reason);
        CHECK(reparsed_message(error_response(4, 400, "Op", reason)) ==
              std::string("Op failed with error: \"") + shown + "\"");
    }
}

TEST_CASE("users: private fields and settings reach only the user's own me")
{
    fixture f;
    const json::object settings{{"typing_indicators", json::object{{"enabled", false}}}};
    const auto jack = f.connect("jack", json::object{{"invisible", true}, {"privacy_settings", settings}, {"mood", "calm"}});
    const auto john = f.connect("john");
    REQUIRE(create(f, "alice", "room", {"alice", "john", "jack"}).status == 201);
    REQUIRE(f.call("POST", "/channels/messaging/room/query", R"({"watch":true})", user("john", john)).status == 201);
    send(f, "jack", "room", "from jack");
    send(f, "alice", "room", "for the unread counters");

    const std::vector<std::string> private_keys = {
        "devices", "mutes", "channel_mutes", "total_unread_count", "unread_count", "unread_channels",
        "unread_threads", "invisible", "privacy_settings"};
    auto check_public = [&](const json::value& u, std::string_view where) {
        INFO(where << ": " << json::serialize(u));
        REQUIRE(u.is_object());
        for (const auto& k : private_keys) CHECK_FALSE(u.as_object().contains(k));
    };

    auto q = f.call("GET", "/users", "", user("john"), {{"payload", R"({"filter_conditions":{"id":{"$in":["jack","john"]}}})"}});
    REQUIRE(q.status == 200);
    REQUIRE(q.body.at("users").as_array().size() == 2);
    for (const auto& u : q.body.at("users").as_array()) check_public(u, "queryUsers");
    for (const auto& u : q.body.at("users").as_array())
        if (u.at("id") == "jack") CHECK(u.at("mood") == "calm"); // custom data is public

    auto state = f.call("POST", "/channels/messaging/room/query", "{}", user("john"));
    REQUIRE(state.status == 201);
    for (const auto& m : state.body.at("members").as_array()) check_public(m.at("user"), "member");
    for (const auto& m : state.body.at("messages").as_array()) check_public(m.at("user"), "message author");
    for (const auto& r : state.body.at("read").as_array()) check_public(r.at("user"), "read state");

    auto news = f.of_type(john, "message.new");
    REQUIRE(news.size() == 2);
    CHECK(news[0].at("user").at("id") == "jack");
    check_public(news[0].at("message").at("user"), "message.new author");
    check_public(news[0].at("user"), "message.new user");

    json::object jack_again{{"id", "jack"}, {"invisible", true}, {"privacy_settings", settings}, {"mood", "calm"}};
    auto up = f.call("POST", "/users", json::object{{"users", json::object{{"jack", jack_again}}}}, server());
    REQUIRE(up.status == 201);
    check_public(up.body.at("users").at("jack"), "upsert");
    auto patch = f.call("PATCH", "/users", R"({"users":[{"id":"jack","set":{"mood":"busy"}}]})", server());
    REQUIRE(patch.status == 200);
    check_public(patch.body.at("users").at("jack"), "partial update");

    // jack's own me keeps all of it.
    auto [me, err] = connect_user(*f.ctx, user("jack", jack), json::object{{"id", "jack"}}, f.tick());
    REQUIRE(me);
    CHECK(me->at("invisible") == true);
    CHECK(me->at("privacy_settings") == settings);
    CHECK(me->at("total_unread_count") == 1);
    CHECK(me->at("unread_channels") == 1);
    CHECK(me->at("devices").is_array());
    CHECK(me->at("mutes").is_array());
}

TEST_CASE("mark all channels read, and delivery receipts")
{
    fixture f;
    const auto john = f.connect("john");
    REQUIRE(create(f, "alice", "a", {"alice", "john"}).status == 201);
    REQUIRE(create(f, "alice", "b", {"alice", "john"}).status == 201);
    send(f, "alice", "a", "1", "a1");
    send(f, "alice", "b", "2", "b1");
    CHECK(f.call("GET", "/unread", "", user("john")).body.at("total_unread_count") == 2);
    f.frames.clear();
    auto all = f.call("POST", "/channels/read", "{}", user("john", john));
    REQUIRE(all.status == 201);
    // MarkReadResponse's `event` needs a cid; a mark-all-read answers without one.
    CHECK_FALSE(all.body.contains("event"));
    CHECK(f.call("GET", "/unread", "", user("john")).body.at("total_unread_count") == 0);
    auto notes = f.of_type(john, "notification.mark_read");
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].at("unread_channels") == 0);

    REQUIRE(f.call("POST", "/channels/messaging/a/query", R"({"watch":true})", user("john", john)).status == 201);
    f.frames.clear();
    auto d = f.call("POST", "/channels/delivered",
                    R"({"latest_delivered_messages":[{"cid":"messaging:a","id":"a1"}]})", user("alice"));
    REQUIRE(d.status == 201);
    auto delivered = f.of_type(john, "message.delivered");
    REQUIRE(delivered.size() == 1);
    CHECK(delivered[0].at("last_delivered_message_id") == "a1");
    CHECK(delivered[0].at("user").at("id") == "alice");
    CHECK(error_code_of(f.call("POST", "/channels/delivered", R"({"latest_delivered_messages":[5]})", user("alice")), 400) == 4);
}

TEST_CASE("numbers beyond double range in a body are refused with 400, not a database error")
{
    // Found while fuzzing (fuzz_codec's finding replayed through fuzz_emulator): 1e999 in custom
    // data parsed to infinity, was stored as `Infinity` and failed the json_valid(extra) CHECK: 500.
    fixture f;
    REQUIRE(create(f, "john", "general", {"john", "jack"}).status == 201);
    auto upsert = f.call("POST", "/users", R"({"users":{"amy":{"id":"amy","x":1e999,"y":[-1e400]}}})", server());
    CHECK(error_code_of(upsert, 400) == 4);
    CHECK(message_of(upsert).find("out of range") != std::string::npos);
    auto msg = f.call("POST", "/channels/messaging/general/message", R"({"message":{"text":"hi","z":1e999}})",
                      user("john"));
    CHECK(error_code_of(msg, 400) == 4);
    auto users = f.call("GET", "/users", "", user("john"), {{"payload", R"({"filter_conditions":{"id":"amy"},"n":1e999})"}});
    CHECK(error_code_of(users, 400) == 4);
    // Large but finite numbers are still custom data.
    CHECK(f.call("POST", "/users", R"({"users":{"amy":{"id":"amy","x":1e300}}})", server()).status == 201);
}

namespace {

/// A connection whose frames are kept as sent (bytes, not parsed).
std::string connect_raw(fixture& f, std::map<std::string, std::vector<std::string>>& raw, const std::string& who,
                        json::object details = {})
{
    auto slot = std::make_shared<std::string>();
    *slot = f.realtime.add_connection(who, [&raw, slot](std::shared_ptr<const std::string> frame) {
        raw[*slot].push_back(*frame);
    });
    details["id"] = who;
    auto [me, err] = connect_user(*f.ctx, user(who, *slot), details, f.tick());
    REQUIRE(me);
    return *slot;
}

/// A user's unread totals summed over the members table, independently of the store's counters.
std::pair<std::int64_t, std::int64_t> summed_unread(fixture& f, const std::string& who)
{
    auto s = f.db->use("SELECT COALESCE(SUM(unread_messages), 0), COALESCE(SUM(unread_messages > 0), 0) "
                       "FROM members WHERE user_id = ?1");
    s->bind(1, who);
    REQUIRE(s->step());
    return {s->int64(0), s->int64(1)};
}

/// message.new (or notification.message_new) for `recipient` the way it was built before events
/// became text: a DOM per recipient from the model renderers, totals added at the end.
std::string per_user_event(fixture& f, const std::string& message_id, const std::string& recipient, bool notification)
{
    const auto m = f.db->find_message(message_id);
    REQUIRE(m);
    const auto c = f.db->find_channel(m->cid);
    REQUIRE(c);
    api_request r;
    r.who = server();
    r.now = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::nanoseconds(m->created_at)));
    session s(*f.ctx, r);
    json::object ev = channel_event(s, "message.new", *c);
    ev["message"] = message_json(s, *m);
    ev["message_id"] = m->id;
    ev["user"] = s.user_json(m->user_id);
    ev["watcher_count"] = f.realtime.watcher_count(c->cid);
    if (c->last_message_at) ev["channel_last_message_at"] = streamchat::format_timestamp(from_nanos(*c->last_message_at));
    if (notification) {
        ev["type"] = "notification.message_new";
        ev["channel"] = channel_json(s, *c, false);
    }
    const auto [messages, channels] = summed_unread(f, recipient);
    ev["total_unread_count"] = messages;
    ev["unread_count"] = messages;
    ev["unread_channels"] = channels;
    if (notification) ev["unread_messages"] = f.db->find_member(c->cid, recipient)->unread_messages;
    return json::serialize(ev);
}

} // namespace

TEST_CASE("message.new is rendered once per channel, each recipient's bytes those of the per-user DOM")
{
    fixture f;
    std::map<std::string, std::vector<std::string>> raw;
    // alice has custom fields (her user takes the codec's way), john a name (the text layout).
    const auto alice = connect_raw(f, raw, "alice", json::object{{"name", "Alice"}, {"team_color", "red"}});
    const auto john = connect_raw(f, raw, "john", json::object{{"name", "John \"J\" Doe"}});
    const auto jack = connect_raw(f, raw, "jack");
    REQUIRE(create(f, "alice", "room", {"alice", "john", "jack", "carol"}).status == 201); // carol is offline
    REQUIRE(create(f, "alice", "other", {"alice", "john"}).status == 201);
    REQUIRE(send(f, "alice", "other", "one").status == 201);
    REQUIRE(send(f, "alice", "other", "two").status == 201);
    for (const auto& conn : {alice, john})
        REQUIRE(f.call("POST", "/channels/messaging/room/query", R"({"watch":true})",
                       user(conn == alice ? "alice" : "john", conn)).status == 201);

    const json::object plain{{"id", "plain-1"}, {"text", "hello <b>world</b> & \"you\"\n\u00e9"}};
    const json::object rich{{"id", "rich-1"},
                            {"text", "with extras @john"},
                            {"mentioned_users", json::array{"john"}},
                            {"attachments", json::array{json::object{{"type", "image"}, {"image_url", "https://x/y.png"}}}},
                            {"mood", "happy"},
                            {"custom", json::object{{"level", 3}}}};
    for (const auto& message : {plain, rich}) {
        DYNAMIC_SECTION("message " << message.at("id").as_string())
        {
            const std::string id(message.at("id").as_string());
            raw.clear();
            const auto before = f.realtime.frames_sent();
            auto sent = f.call("POST", "/channels/messaging/room/message", json::object{{"message", message}}, user("alice"));
            REQUIRE(sent.status == 201);
            CHECK(f.realtime.frames_sent() - before == 3); // alice and john watch, jack is notified

            REQUIRE(raw[alice].size() == 1);
            REQUIRE(raw[john].size() == 1);
            REQUIRE(raw[jack].size() == 1);
            CHECK(raw[alice][0] == per_user_event(f, id, "alice", false));
            CHECK(raw[john][0] == per_user_event(f, id, "john", false));
            CHECK(raw[jack][0] == per_user_event(f, id, "jack", true));

            // Per-user values: john has `other` unread too; the author has read everything.
            const auto at_john = json::parse(raw[john][0]).as_object();
            CHECK(at_john.at("total_unread_count") == summed_unread(f, "john").first);
            CHECK(at_john.at("unread_channels") == 2);
            CHECK(json::parse(raw[alice][0]).at("total_unread_count") == 0);
            const auto at_jack = json::parse(raw[jack][0]).as_object();
            CHECK(at_jack.at("unread_messages") == f.db->find_member("messaging:room", "jack")->unread_messages);

            // The answer carries the same message as the event, and the log the shared part.
            CHECK(json::serialize(sent.body.at("message")) == json::serialize(at_john.at("message")));
            auto log = f.db->events_since({"messaging:room"}, 0, 1000);
            REQUIRE_FALSE(log.empty());
            auto shared = at_john;
            for (const char* k : {"total_unread_count", "unread_count", "unread_channels"}) shared.erase(k);
            CHECK(log.back().type == "message.new");
            CHECK(log.back().payload == json::serialize(shared));
        }
    }
}

TEST_CASE("unread totals follow every change of members' unread counts")
{
    fixture f;
    const auto check_totals = [&](const std::string& who) {
        INFO(who);
        const auto t = f.db->unread_for(who);
        const auto [messages, channels] = summed_unread(f, who);
        CHECK(t.messages == messages);
        CHECK(t.channels == channels);
    };
    const std::vector<std::string> everyone{"alice", "john", "jack"};
    REQUIRE(create(f, "alice", "a", {"alice", "john", "jack"}).status == 201);
    REQUIRE(create(f, "alice", "b", {"alice", "john"}).status == 201);
    for (int i = 0; i < 3; ++i) REQUIRE(send(f, "alice", "a", "to a").status == 201);
    REQUIRE(send(f, "john", "b", "to b").status == 201);
    REQUIRE(send(f, "alice", "b", "to b").status == 201);
    for (const auto& who : everyone) check_totals(who);
    CHECK(f.db->unread_for("john").messages == 4);
    CHECK(f.db->unread_for("john").channels == 2);

    REQUIRE(f.call("POST", "/channels/messaging/a/read", "{}", user("john")).status == 201);
    for (const auto& who : everyone) check_totals(who);
    CHECK(f.db->unread_for("john").messages == 1);

    REQUIRE(f.call("POST", "/channels/messaging/a", R"({"remove_members":["jack"]})", user("alice")).status == 201);
    for (const auto& who : everyone) check_totals(who);
    CHECK(f.db->unread_for("jack").messages == 0);
    CHECK(f.db->unread_for("jack").channels == 0);

    // The batched form answers in the order asked, unknown users with zeros.
    const auto many = f.db->unread_for(std::vector<std::string>{"nobody", "john", "alice", "john"});
    REQUIRE(many.size() == 4);
    CHECK(many[0].messages == 0);
    CHECK(many[1].messages == 1);
    CHECK(many[2].messages == f.db->unread_for("alice").messages);
    CHECK(many[3].messages == 1);
}
