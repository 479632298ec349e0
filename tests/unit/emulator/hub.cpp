// The emulator's realtime registry without sockets: senders record frames.
#include "emulator/hub.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

namespace json = boost::json;
using streamchat::emu::hub;

namespace {

struct inbox {
    std::map<std::string, std::vector<json::object>> frames; // connection id -> frames

    hub::sender sender_for(std::string* id_slot)
    {
        return [this, id_slot](std::shared_ptr<const std::string> f) {
            frames[*id_slot].push_back(json::parse(*f).as_object());
        };
    }
};

json::object event(std::string type, const std::string& user)
{
    return json::object{{"type", std::move(type)}, {"for", user}};
}

} // namespace

TEST_CASE("connections, watches and watcher counts count users, not sockets")
{
    hub h;
    inbox in;
    std::string a1, a2, b1;
    a1 = h.add_connection("alice", in.sender_for(&a1));
    a2 = h.add_connection("alice", in.sender_for(&a2));
    b1 = h.add_connection("bob", in.sender_for(&b1));
    CHECK(h.connection_count() == 3);
    CHECK(a1 != a2);
    CHECK(h.user_of(a2) == "alice");
    CHECK(h.user_of("nope").empty());
    CHECK(h.is_online("alice"));
    CHECK_FALSE(h.is_online("carol"));

    CHECK(h.watch(a1, "messaging:x"));        // alice starts watching
    CHECK_FALSE(h.watch(a2, "messaging:x"));  // already watching through a1
    CHECK(h.watch(b1, "messaging:x"));
    CHECK_FALSE(h.watch("unknown", "messaging:x"));
    CHECK(h.watcher_count("messaging:x") == 2);
    CHECK(h.user_watches("alice", "messaging:x"));

    CHECK_FALSE(h.unwatch(a1, "messaging:x")); // a2 still watches
    CHECK(h.unwatch(a2, "messaging:x"));       // now alice stopped
    CHECK(h.watcher_count("messaging:x") == 1);
    CHECK_FALSE(h.unwatch(a2, "messaging:x")); // not watching any more
}

TEST_CASE("channel events go to watchers, notifications to members who do not watch")
{
    hub h;
    inbox in;
    std::string a1, a2, b1, c1;
    a1 = h.add_connection("alice", in.sender_for(&a1));
    a2 = h.add_connection("alice", in.sender_for(&a2));
    b1 = h.add_connection("bob", in.sender_for(&b1));
    c1 = h.add_connection("carol", in.sender_for(&c1));
    h.watch(a1, "messaging:x");
    h.watch(b1, "messaging:x");

    int personalised = 0;
    h.to_watchers("messaging:x", [&](const std::string& user) {
        ++personalised;
        return event("message.new", user);
    });
    CHECK(personalised == 2); // one copy per user, not per connection
    REQUIRE(in.frames[a1].size() == 1);
    CHECK(in.frames[a1][0].at("for") == "alice");
    CHECK(in.frames[b1][0].at("for") == "bob");
    CHECK(in.frames[a2].empty());
    CHECK(in.frames[c1].empty());

    h.to_members_not_watching("messaging:x", {"alice", "bob", "carol", "dave"},
                              [](const std::string& user) { return event("notification.message_new", user); });
    CHECK(in.frames[a1].size() == 1); // watching: nothing more
    CHECK(in.frames[b1].size() == 1);
    REQUIRE(in.frames[a2].size() == 1); // alice's other connection does not watch
    CHECK(in.frames[a2][0].at("type") == "notification.message_new");
    REQUIRE(in.frames[c1].size() == 1);
    CHECK(in.frames[c1][0].at("for") == "carol");

    h.to_user("alice", event("notification.mark_read", "alice"));
    CHECK(in.frames[a1].size() == 2);
    CHECK(in.frames[a2].size() == 2);
    CHECK(h.frames_sent() == 2 + 2 + 2);
}

TEST_CASE("closing the last watching connection tells the other watchers")
{
    hub h;
    inbox in;
    std::string a1, a2, b1;
    a1 = h.add_connection("alice", in.sender_for(&a1));
    a2 = h.add_connection("alice", in.sender_for(&a2));
    b1 = h.add_connection("bob", in.sender_for(&b1));
    h.watch(a1, "messaging:x");
    h.watch(a2, "messaging:x");
    h.watch(b1, "messaging:x");

    h.remove_connection(a1);
    CHECK(in.frames[b1].empty()); // alice still watches through a2
    h.remove_connection(a2);
    REQUIRE(in.frames[b1].size() == 1);
    const auto& stop = in.frames[b1][0];
    CHECK(stop.at("type") == "user.watching.stop");
    CHECK(stop.at("cid") == "messaging:x");
    CHECK(stop.at("channel_type") == "messaging");
    CHECK(stop.at("channel_id") == "x");
    CHECK(stop.at("user").at("id") == "alice");
    CHECK(stop.at("watcher_count") == 1);
    CHECK_FALSE(h.is_online("alice"));
    CHECK(h.watcher_count("messaging:x") == 1);
    h.remove_connection(a2); // twice: harmless
    CHECK(h.connection_count() == 1);
}

TEST_CASE("a sender that closes another connection during delivery is safe")
{
    hub h;
    std::string a1, b1;
    std::vector<std::string> alice_got;
    int bob_got = 0;
    a1 = h.add_connection("alice", [&](std::shared_ptr<const std::string> f) {
        alice_got.emplace_back(json::parse(*f).at("type").as_string());
        h.remove_connection(b1); // e.g. the socket layer notices bob is gone
    });
    b1 = h.add_connection("bob", [&](std::shared_ptr<const std::string>) { ++bob_got; });
    h.watch(a1, "messaging:x");
    h.watch(b1, "messaging:x");
    h.to_watchers("messaging:x", [](const std::string& u) { return event("message.new", u); });
    CHECK(h.connection_count() == 1);
    // Alice gets the message and, nested, bob's user.watching.stop; bob gets the message only if
    // he came first in the iteration, never after his removal.
    CHECK(std::count(alice_got.begin(), alice_got.end(), "message.new") == 1);
    CHECK(std::count(alice_got.begin(), alice_got.end(), "user.watching.stop") == 1);
    CHECK(bob_got <= 1);
}

TEST_CASE("text fan-out: a shared head, one tail per user, shared by the user's connections")
{
    hub h;
    std::map<std::string, std::vector<std::string>> raw; // connection id -> frames as sent
    auto sender_for = [&](std::string* id) {
        return [&raw, id](std::shared_ptr<const std::string> f) { raw[*id].push_back(*f); };
    };
    std::string a1, a2, b1, c1;
    a1 = h.add_connection("alice", sender_for(&a1));
    a2 = h.add_connection("alice", sender_for(&a2));
    b1 = h.add_connection("bob", sender_for(&b1));
    c1 = h.add_connection("carol", sender_for(&c1));
    h.watch(a1, "messaging:x");
    h.watch(a2, "messaging:x");
    h.watch(b1, "messaging:x");

    std::map<std::string, int> tails;
    const std::string head = R"({"type":"message.new","cid":"messaging:x")";
    h.to_watchers("messaging:x", head, [&](const std::string& user, std::string& out) {
        ++tails[user];
        out += R"(,"for":)";
        out += json::serialize(json::value(user));
        out += '}';
    });
    CHECK(tails == std::map<std::string, int>{{"alice", 1}, {"bob", 1}}); // per user, not per connection
    REQUIRE(raw[a1].size() == 1);
    REQUIRE(raw[a2].size() == 1);
    REQUIRE(raw[b1].size() == 1);
    CHECK(raw[c1].empty());
    CHECK(raw[a1][0] == R"({"type":"message.new","cid":"messaging:x","for":"alice"})");
    CHECK(raw[a2][0] == raw[a1][0]);
    CHECK(raw[b1][0] == R"({"type":"message.new","cid":"messaging:x","for":"bob"})");
    CHECK(h.frames_sent() == 3);

    // The same bytes for everyone.
    auto frame = std::make_shared<const std::string>(R"({"type":"typing.start"})");
    h.to_watchers("messaging:x", frame);
    CHECK(raw[a1].back() == *frame);
    CHECK(raw[b1].back() == *frame);
    CHECK(raw[c1].empty());
    CHECK(h.frames_sent() == 6);

    // Notifications reach only connections that do not watch.
    CHECK(h.has_connection_not_watching("carol", "messaging:x"));
    CHECK_FALSE(h.has_connection_not_watching("alice", "messaging:x"));
    CHECK_FALSE(h.has_connection_not_watching("dave", "messaging:x"));
    h.unwatch(a2, "messaging:x");
    CHECK(h.has_connection_not_watching("alice", "messaging:x"));
    tails.clear();
    h.to_members_not_watching("messaging:x", {"alice", "bob", "carol", "dave"}, R"({"type":"n")",
                              [&](const std::string& user, std::string& out) {
                                  ++tails[user];
                                  out += R"(,"unread_messages":)" + std::to_string(user.size()) + "}";
                              });
    CHECK(tails == std::map<std::string, int>{{"alice", 1}, {"carol", 1}});
    CHECK(raw[a2].back() == R"({"type":"n","unread_messages":5})");
    CHECK(raw[a1].size() == 2); // watching: nothing more
    CHECK(raw[c1].back() == R"({"type":"n","unread_messages":5})");
    CHECK(raw[b1].size() == 2);
}

TEST_CASE("text fan-out skips a connection closed by another's sender")
{
    hub h;
    std::string a1, b1;
    int alice_got = 0, bob_got = 0;
    a1 = h.add_connection("alice", [&](std::shared_ptr<const std::string>) {
        ++alice_got;
        h.remove_connection(b1);
    });
    b1 = h.add_connection("bob", [&](std::shared_ptr<const std::string>) { ++bob_got; });
    h.watch(a1, "messaging:x");
    h.watch(b1, "messaging:x");
    // Users are served in id order: alice first, who closes bob before his turn.
    h.to_watchers("messaging:x", "{", [](const std::string&, std::string& out) { out += '}'; });
    CHECK(alice_got == 2); // the message, then bob's user.watching.stop
    CHECK(bob_got == 0);
    CHECK(h.connection_count() == 1);
}
