// Events: the docs/protocol.md §6.3 catalogue both ways, typed payloads, unknown types kept whole.

#include <streamchat/model.hpp>

#include "unit/model/json_equal.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <set>
#include <string>

namespace json = boost::json;
using namespace streamchat;
using namespace std::chrono_literals;

namespace {

json::value parse(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }

constexpr event_type last_type = event_type::connection_recovered;

// Every catalogue name (docs/protocol.md §6.3) the SDK interprets, plus the two local events.
const char* const catalogue[] = {
    "health.check", "message.new", "message.updated", "message.deleted", "message.undeleted",
    "message.read", "message.delivered", "typing.start", "typing.stop", "user.watching.start",
    "user.watching.stop", "user.presence.changed", "user.updated", "user.deleted", "user.banned",
    "user.unbanned", "user.messages.deleted", "member.added", "member.updated", "member.removed",
    "channel.created", "channel.updated", "channel.deleted", "channel.truncated", "channel.hidden",
    "channel.visible", "channel.kicked", "channel.muted", "channel.unmuted", "reaction.new",
    "reaction.updated", "reaction.deleted", "notification.message_new",
    "notification.added_to_channel", "notification.removed_from_channel",
    "notification.channel_deleted", "notification.channel_truncated", "notification.invited",
    "notification.invite_accepted", "notification.invite_rejected", "notification.mark_read",
    "notification.mark_unread", "notification.mutes_updated", "notification.channel_mutes_updated",
    "notification.thread_message_new", "thread.updated", "connection.changed", "connection.recovered",
};

} // namespace

TEST_CASE("every catalogue event name maps both ways", "[event]")
{
    std::set<std::string_view> seen;
    for (int i = 1; i <= static_cast<int>(last_type); ++i) {
        const auto t = static_cast<event_type>(i);
        const std::string_view name = to_string(t);
        INFO(i);
        CHECK_FALSE(name.empty());
        CHECK(event_type_from_string(name) == t);
        CHECK(seen.insert(name).second); // unique
    }
    CHECK(seen.size() == std::size(catalogue));
    for (const char* name : catalogue) {
        INFO(name);
        CHECK(seen.count(name) == 1);
        // Through the codec: the type is recognised and written back under the same name.
        event e;
        const std::string frame = std::string(R"({"type":")") + name + R"(","created_at":"2024-01-01T00:00:00Z"})";
        REQUIRE_FALSE(from_json(frame, e));
        CHECK(e.type != event_type::unknown);
        CHECK(e.type_name == name);
        CHECK(to_string(e.type) == name);
        CHECK(parse(to_json(e)).at("type") == name);
    }
    CHECK(to_string(event_type::unknown).empty());
    CHECK(to_string(static_cast<event_type>(9999)).empty());
    for (const char* name : {"", "unknown", "Message.new", "message.new ", "message", "poll.vote_casted",
                             "zzz", "a", "health.check.x"})
        CHECK(event_type_from_string(name) == event_type::unknown);
}

TEST_CASE("message.new: typed payload of the protocol example", "[event]")
{
    const char* frame = R"({"type":"message.new","cid":"messaging:general","channel_id":"general","channel_type":"messaging",
 "message":{"id":"a1b2","text":"hi","type":"regular","cid":"messaging:general","user":{"id":"jack","name":"Jack","role":"user","online":true},
            "attachments":[],"latest_reactions":[],"own_reactions":[],"reaction_counts":{},"reaction_scores":{},
            "mentioned_users":[],"reply_count":0,"deleted_reply_count":0,"silent":false,"shadowed":false,"pinned":false,
            "html":"<p>hi</p>\n","created_at":"2024-01-01T10:00:00.123456Z","updated_at":"2024-01-01T10:00:00.123456Z"},
 "user":{"id":"jack","name":"Jack"},"watcher_count":2,
 "total_unread_count":3,"unread_count":3,"unread_channels":1,"created_at":"2024-01-01T10:00:00.130000000Z",
 "thread_participants":[], "channel_custom":{"name":"General"}})";
    event e;
    std::string where;
    REQUIRE_FALSE(from_json(frame, e, &where));
    CHECK(e.type == event_type::message_new);
    CHECK(e.cid == "messaging:general");
    CHECK(e.channel_type == "messaging");
    REQUIRE(e.message);
    CHECK(e.message->text == "hi");
    CHECK(e.message->user.name == "Jack");
    REQUIRE(e.user);
    CHECK(e.user->id == "jack");
    CHECK_FALSE(e.user->online); // not in the event's user: unknown, not false
    CHECK(e.watcher_count == 2);
    CHECK(e.total_unread_count == 3);
    CHECK(e.unread_channels == 1);
    CHECK(e.created_at == *parse_timestamp("2024-01-01T10:00:00Z") + 130ms);
    CHECK(e.extra.contains("channel_custom"));
    CHECK(e.extra.contains("thread_participants"));

    // Round trip: nothing lost; the message gains its missing spec-required fields.
    std::string why;
    const bool superset = test::json_equivalent(parse(frame), parse(to_json(e)), why, true);
    INFO(why);
    CHECK(superset);
}

TEST_CASE("health.check with me, and the read/unread notifications", "[event]")
{
    event e;
    REQUIRE_FALSE(from_json(R"({"type":"health.check","connection_id":"c-1","cid":"*",
        "me":{"id":"jack","total_unread_count":5,"unread_channels":2,"mutes":[],"channel_mutes":[],"devices":[]},
        "created_at":"2024-01-01T10:00:00Z"})", e));
    CHECK(e.type == event_type::health_check);
    CHECK(e.connection_id == "c-1");
    CHECK(e.cid == "*");
    REQUIRE(e.me);
    CHECK(e.me->id == "jack");
    CHECK(e.me->total_unread_count == 5);

    REQUIRE_FALSE(from_json(R"({"type":"notification.mark_unread","cid":"messaging:general","user":{"id":"jack"},
        "unread_messages":4,"first_unread_message_id":"m7","last_read_at":"2024-01-01T09:00:00Z",
        "last_read_message_id":"m6","total_unread_count":4,"unread_channels":1,"created_at":"2024-01-01T10:00:00Z"})", e));
    CHECK(e.type == event_type::notification_mark_unread);
    CHECK(e.unread_messages == 4);
    CHECK(e.first_unread_message_id == "m7");
    CHECK(e.last_read_at == parse_timestamp("2024-01-01T09:00:00Z"));

    REQUIRE_FALSE(from_json(R"({"type":"member.removed","cid":"messaging:general","user":{"id":"tom"},
        "member":{"user_id":"tom","user":{"id":"tom"},"channel_role":"channel_member"},
        "channel":{"cid":"messaging:general"},"created_at":"2024-01-01T10:00:00Z"})", e));
    CHECK(e.type == event_type::member_removed);
    CHECK(e.member->user_id == "tom");
    CHECK(e.channel->id == "general");

    REQUIRE_FALSE(from_json(R"({"type":"reaction.new","cid":"messaging:general",
        "reaction":{"type":"like","score":1,"user_id":"tom","message_id":"m1"},
        "message":{"id":"m1"},"created_at":"2024-01-01T10:00:00Z"})", e));
    CHECK(e.reaction->type == "like");
    CHECK(e.reaction->score == 1);

    REQUIRE_FALSE(from_json(R"({"type":"user.presence.changed","user":{"id":"jack","online":false,
        "last_active":"2024-01-01T09:59:00Z"},"created_at":"2024-01-01T10:00:00Z"})", e));
    CHECK(e.user->online == false);
    CHECK(e.user->last_active.has_value());
}

TEST_CASE("unknown event types are kept whole and never fail", "[event]")
{
    const char* frames[] = {
        R"({"type":"poll.vote_casted","poll":{"id":"p"},"created_at":"2024-01-01T10:00:00Z","cid":"messaging:general"})",
        R"({"type":"my.custom","user":5,"message":"not an object","created_at":"not a time","cid":7,"custom":{"x":1}})",
        R"({"type":"","payload":[1,2,3]})",
    };
    for (const char* frame : frames) {
        INFO(frame);
        event e;
        std::string where;
        REQUIRE_FALSE(from_json(frame, e, &where));
        CHECK(e.type == event_type::unknown);
        CHECK(e.extra == parse(frame).as_object()); // the whole frame, untouched
        CHECK(parse(to_json(e)) == parse(frame));
    }
    event e;
    REQUIRE_FALSE(from_json(frames[0], e));
    CHECK(e.type_name == "poll.vote_casted");
    CHECK(e.cid == "messaging:general"); // best-effort routing fields
    CHECK(e.created_at == parse_timestamp("2024-01-01T10:00:00Z"));
    REQUIRE_FALSE(from_json(frames[1], e));
    CHECK_FALSE(e.cid); // mistyped routing fields are simply not taken
    CHECK(e.created_at == timestamp{});

    // An application-built unknown event writes its type even if `extra` lacks it.
    event custom;
    custom.type_name = "app.ping";
    custom.extra["n"] = 1;
    CHECK(parse(to_json(custom)) == parse(R"({"type":"app.ping","n":1})"));
}

TEST_CASE("known events keep unmodelled keys and custom data", "[event]")
{
    const char* frame = R"({"type":"channel.hidden","cid":"messaging:general","channel_id":"general",
        "channel_type":"messaging","clear_history":true,"user":{"id":"jack"},
        "channel":{"cid":"messaging:general","id":"general","type":"messaging","created_at":"2024-01-01T00:00:00Z",
                   "updated_at":"2024-01-01T00:00:00Z","frozen":false,"disabled":false,"name":"General"},
        "created_at":"2024-01-01T10:00:00.000000001Z","team":"red","thread":{"parent_message_id":"p"},
        "my_data":{"k":[1,2]}})";
    event e;
    REQUIRE_FALSE(from_json(frame, e));
    CHECK(e.type == event_type::channel_hidden);
    CHECK(e.clear_history == true);
    CHECK(e.team == "red");
    CHECK(e.channel->extra.at("name") == "General");
    CHECK(e.extra.size() == 2);
    std::string why;
    const bool same = test::json_equivalent(parse(frame), parse(to_json(e)), why);
    INFO(why);
    CHECK(same);
    CHECK(e.created_at.time_since_epoch().count() % 1000 == 1);
}
