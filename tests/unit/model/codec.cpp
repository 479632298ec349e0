// Model codec: round trips of spec-shaped payloads, custom data, leniency and error paths.

#include <streamchat/model.hpp>

#include "model/codec.hpp"
#include "unit/model/json_equal.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace json = boost::json;
using namespace streamchat;
using namespace std::chrono_literals;

namespace {

// A UserResponse with every spec-required field, custom data flattened at the top level,
// and Stream fields the model keeps as JSON (teams_role, privacy_settings).
constexpr const char* user_json = R"({
  "id": "jack", "role": "user", "name": "Jack", "image": "https://img/jack.png",
  "language": "en", "online": true, "banned": false, "teams": ["red"], "blocked_user_ids": [],
  "created_at": "2020-06-09T08:10:40.800912Z", "updated_at": "2021-04-23T06:05:31.659292606Z",
  "last_active": "2024-01-01T10:00:00Z",
  "teams_role": {"red": "admin"}, "privacy_settings": {"typing_indicators": {"enabled": false}},
  "nick": "jj", "phone": "+123", "playerId": 42, "prefs": {"dark": true, "tags": [1, 2.5, null]}
})";

// A MessageResponse with every spec-required field, a quoted message (kept as JSON), a custom
// attachment field and custom message data.
constexpr const char* message_json = R"({
  "id": "a1b2", "cid": "messaging:general", "type": "regular", "text": "hi @tom",
  "html": "<p>hi @tom</p>\n",
  "user": {"id": "jack", "name": "Jack", "role": "user", "online": true},
  "attachments": [{"type": "image", "image_url": "https://img/1.png", "file_size": 123456,
                   "original_width": 640, "original_height": 480,
                   "actions": [{"name": "send", "value": "send"}], "my_flag": true}],
  "latest_reactions": [{"type": "like", "score": 1, "message_id": "a1b2", "user_id": "tom",
                        "user": {"id": "tom"}, "created_at": "2024-01-01T10:00:01.5Z",
                        "updated_at": "2024-01-01T10:00:01.5Z", "emoji_code": "👍", "level": 3}],
  "own_reactions": [],
  "reaction_counts": {"like": 1}, "reaction_scores": {"like": 1},
  "reply_count": 2, "deleted_reply_count": 0,
  "mentioned_users": [{"id": "tom", "name": "Tom"}],
  "mentioned_channel": false, "mentioned_here": false,
  "silent": false, "shadowed": false, "pinned": true, "restricted_visibility": [],
  "pinned_at": "2024-01-01T10:05:00Z", "pinned_by": {"id": "jack"},
  "quoted_message_id": "q1",
  "quoted_message": {"id": "q1", "text": "earlier", "user": {"id": "tom"}, "quoted_message": null},
  "i18n": {"language": "en", "fr_text": "salut"},
  "created_at": "2024-01-01T10:00:00.123456Z", "updated_at": "2024-01-01T10:00:00.123456Z",
  "priority": "high", "meta": {"nested": {"deep": [1, {"x": "y"}]}}
})";

// A ChannelStateResponse (query channel) with every spec-required field plus unmodelled ones.
constexpr const char* channel_state_json = R"({
  "duration": "1.23ms",
  "channel": {
    "cid": "messaging:general", "id": "general", "type": "messaging",
    "created_at": "2023-05-01T00:00:00Z", "updated_at": "2023-05-02T00:00:00.5Z",
    "frozen": false, "disabled": false, "member_count": 2, "message_count": 9000000000,
    "last_message_at": "2024-01-01T10:00:00.123456Z", "cooldown": 0,
    "created_by": {"id": "jack", "role": "admin"}, "created_by_id": "jack",
    "own_capabilities": ["send-message", "read-events", "upload-file"],
    "config": {
      "name": "messaging", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
      "typing_events": true, "read_events": true, "connect_events": true, "custom_events": true,
      "delivery_events": true, "search": true, "reactions": true, "replies": true, "quotes": true,
      "mutes": true, "uploads": true, "url_enrichment": true, "push_notifications": true,
      "polls": false, "reminders": false, "shared_locations": false, "user_message_reminders": false,
      "count_messages": false, "mark_messages_pending": false,
      "skip_last_msg_update_for_system_msgs": false,
      "max_message_length": 5000, "message_retention": "infinite",
      "automod": "disabled", "automod_behavior": "flag", "blocklist_behavior": "flag",
      "commands": [{"name": "giphy", "description": "Post a random gif", "args": "[text]", "set": "fun_set"}],
      "grants": {"channel_member": ["read-channel"]}
    },
    "name": "General", "image": "https://img/general.png", "topic": {"en": "chat"}
  },
  "messages": [
    {"id": "m1", "cid": "messaging:general", "type": "regular", "text": "first", "html": "<p>first</p>\n",
     "user": {"id": "jack"}, "attachments": [], "latest_reactions": [], "own_reactions": [],
     "reaction_counts": {}, "reaction_scores": {}, "reply_count": 0, "deleted_reply_count": 0,
     "mentioned_users": [], "mentioned_channel": false, "mentioned_here": false, "silent": false,
     "shadowed": false, "pinned": false, "restricted_visibility": [],
     "created_at": "2024-01-01T09:00:00Z", "updated_at": "2024-01-01T09:00:00Z"},
    {"id": "m2", "cid": "messaging:general", "type": "deleted", "text": "This message was deleted.",
     "html": "", "user": {"id": "tom"}, "attachments": [], "latest_reactions": [], "own_reactions": [],
     "reaction_counts": {}, "reaction_scores": {}, "reply_count": 0, "deleted_reply_count": 0,
     "mentioned_users": [], "mentioned_channel": false, "mentioned_here": false, "silent": false,
     "shadowed": false, "pinned": false, "restricted_visibility": ["jack"],
     "deleted_at": "2024-01-01T09:30:00Z",
     "created_at": "2024-01-01T09:10:00Z", "updated_at": "2024-01-01T09:30:00Z"}
  ],
  "members": [
    {"user_id": "jack", "user": {"id": "jack"}, "channel_role": "owner", "banned": false,
     "shadow_banned": false, "notifications_muted": false, "role": "owner",
     "created_at": "2023-05-01T00:00:00Z", "updated_at": "2023-05-01T00:00:00Z", "favourite": true},
    {"user_id": "tom", "user": {"id": "tom"}, "channel_role": "channel_member", "banned": false,
     "shadow_banned": false, "notifications_muted": true, "status": "member",
     "pinned_at": "2023-06-01T00:00:00Z",
     "created_at": "2023-05-01T00:00:00Z", "updated_at": "2023-05-01T00:00:00Z"}
  ],
  "pinned_messages": [],
  "read": [
    {"user": {"id": "jack"}, "last_read": "2020-06-10T07:43:11.812841984Z", "unread_messages": 0,
     "last_read_message_id": "m2"},
    {"user": {"id": "tom"}, "last_read": "2024-01-01T09:00:00Z", "unread_messages": 1,
     "last_delivered_at": "2024-01-01T09:10:00Z", "last_delivered_message_id": "m2"}
  ],
  "watchers": [{"id": "jack", "online": true}],
  "watcher_count": 1,
  "membership": {"user_id": "jack", "user": {"id": "jack"}, "channel_role": "owner", "banned": false,
                 "shadow_banned": false, "notifications_muted": false,
                 "created_at": "2023-05-01T00:00:00Z", "updated_at": "2023-05-01T00:00:00Z"},
  "hidden": false,
  "threads": [],
  "pending_messages": [],
  "push_preferences": {"chat_level": "all"}
})";

constexpr const char* error_json = R"({"code": 4,
 "message": "GetOrCreateChannel failed with error: \"bad\"",
 "StatusCode": 400, "duration": "0.12ms",
 "more_info": "https://getstream.io/chat/docs/api_errors_response",
 "details": [1, 2], "exception_fields": {"field": "reason"}, "unrecoverable": true})";

json::value parse(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }

/// from_json then to_json; checks the result against the input (exactly, or as a superset).
template <class T>
T round_trip(const char* text, bool allow_added_fields = false)
{
    T v{};
    std::string where;
    const error_code ec = from_json(text, v, &where);
    INFO(where);
    REQUIRE_FALSE(ec);
    const std::string out = to_json(v);
    std::string why;
    INFO(out);
    const bool same = test::json_equivalent(parse(text), parse(out), why, allow_added_fields);
    INFO(why);
    CHECK(same);
    return v;
}

/// from_json must fail with `expected`, and the diagnostic must be exactly `where_expected`.
template <class T>
void expect_failure(std::string_view text, error expected, std::string_view where_expected)
{
    T v{};
    std::string where;
    const error_code ec = from_json(text, v, &where);
    INFO(text);
    CHECK(ec == make_error_code(expected));
    CHECK(where == where_expected);
}

template <class T>
error_code decode_text(std::string_view text, T& out, std::string* where = nullptr)
{
    return from_json(text, out, where);
}

} // namespace

TEST_CASE("user: typed fields, flattened custom data and unknown fields survive", "[codec]")
{
    const auto u = round_trip<user>(user_json);
    CHECK(u.id == "jack");
    CHECK(u.role == "user");
    CHECK(u.name == "Jack");
    CHECK(u.online == true);
    CHECK(u.banned == false);
    REQUIRE(u.teams);
    CHECK(*u.teams == std::vector<std::string>{"red"});
    CHECK(u.created_at == parse_timestamp("2020-06-09T08:10:40.800912Z"));
    CHECK(u.updated_at->time_since_epoch().count() % 1000 == 606); // nanoseconds kept
    CHECK(u.extra.at("nick") == "jj");
    CHECK(u.extra.at("playerId") == 42);
    CHECK(u.extra.at("teams_role").at("red") == "admin");
    CHECK(u.extra.size() == 6);
    CHECK_FALSE(u.extra.contains("id"));
}

TEST_CASE("user: a partial user stays partial", "[codec]")
{
    user u;
    REQUIRE_FALSE(from_json(R"({"id":"jack"})", u));
    CHECK_FALSE(u.online);
    CHECK_FALSE(u.created_at);
    CHECK(to_json(u) == R"({"id":"jack"})");
}

TEST_CASE("nested custom objects are flattened, top-level keys and modelled fields win", "[codec]")
{
    user u;
    REQUIRE_FALSE(from_json(
        R"({"custom":{"id":"evil","nick":"inner","color":"red"},"id":"jack","nick":"outer"})", u));
    CHECK(u.id == "jack");
    CHECK(u.extra.at("nick") == "outer");
    CHECK(u.extra.at("color") == "red");
    CHECK_FALSE(u.extra.contains("custom"));
    CHECK_FALSE(u.extra.contains("id"));
    const auto out = parse(to_json(u));
    CHECK(out == parse(R"({"id":"jack","nick":"outer","color":"red"})"));

    // The same for every model object that carries custom data.
    message m;
    REQUIRE_FALSE(from_json(R"({"id":"m","custom":{"priority":"high"}})", m));
    CHECK(m.extra.at("priority") == "high");
    channel c;
    REQUIRE_FALSE(from_json(R"({"cid":"a:b","custom":{"name":"General"}})", c));
    CHECK(c.extra.at("name") == "General");
    member mb;
    REQUIRE_FALSE(from_json(R"({"channel_role":"owner","custom":{"vip":true}})", mb));
    CHECK(mb.extra.at("vip") == true);
    reaction r;
    REQUIRE_FALSE(from_json(R"({"type":"like","custom":{"level":3}})", r));
    CHECK(r.extra.at("level") == 3);
    attachment a;
    REQUIRE_FALSE(from_json(R"({"type":"file","custom":{"k":"v"}})", a));
    CHECK(a.extra.at("k") == "v");

    // `custom` that is not an object is not ours to interpret: it is kept as is.
    REQUIRE_FALSE(from_json(R"({"id":"x","custom":[1]})", u));
    CHECK(u.extra.at("custom") == json::array{1});
    REQUIRE_FALSE(from_json(R"({"id":"x","custom":null})", u));
    CHECK(u.extra.empty());
}

TEST_CASE("message: spec-shaped payload round-trips exactly", "[codec]")
{
    const auto m = round_trip<message>(message_json);
    CHECK(m.id == "a1b2");
    CHECK(m.cid == "messaging:general");
    CHECK(m.text == "hi @tom");
    CHECK(m.user.id == "jack");
    CHECK(m.user.online == true);
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].type == "image");
    CHECK(m.attachments[0].file_size == 123456);
    CHECK(m.attachments[0].extra.at("my_flag") == true);
    CHECK(m.attachments[0].extra.contains("actions"));
    REQUIRE(m.latest_reactions.size() == 1);
    CHECK(m.latest_reactions[0].user.id == "tom");
    CHECK(m.latest_reactions[0].emoji_code == "👍");
    CHECK(m.latest_reactions[0].extra.at("level") == 3);
    CHECK(m.reaction_counts.at("like") == 1);
    CHECK(m.reply_count == 2);
    REQUIRE(m.mentioned_users.size() == 1);
    CHECK(m.mentioned_users[0].name == "Tom");
    CHECK(m.pinned);
    CHECK(m.pinned_by->id == "jack");
    CHECK(m.quoted_message_id == "q1");
    CHECK(m.extra.at("quoted_message").at("text") == "earlier");
    CHECK(m.extra.at("priority") == "high");
    CHECK(m.created_at == parse_timestamp("2024-01-01T10:00:00.123456Z"));
}

TEST_CASE("message: a minimal message gains the spec-required fields with defaults", "[codec]")
{
    const auto m = round_trip<message>(R"({"id":"x","text":"t","pinned_at":null})", true);
    CHECK(m.type == "regular");
    CHECK_FALSE(m.pinned_at);
    const auto out = parse(to_json(m));
    CHECK(out.at("attachments") == json::array{});
    CHECK(out.at("reply_count") == 0);
    CHECK_FALSE(out.as_object().contains("pinned_at"));
}

TEST_CASE("channel_state: a query-channel response round-trips", "[codec]")
{
    const auto s = round_trip<channel_state>(channel_state_json);
    CHECK(s.channel.cid == "messaging:general");
    CHECK(s.channel.message_count == 9000000000);
    REQUIRE(s.channel.config);
    CHECK(s.channel.config->typing_events);
    CHECK_FALSE(s.channel.config->polls);
    CHECK(s.channel.config->max_message_length == 5000);
    CHECK(s.channel.config->extra.at("commands").as_array().size() == 1);
    CHECK(s.channel.extra.at("name") == "General");
    CHECK(s.channel.extra.at("created_by_id") == "jack");
    CHECK(s.channel.own_capabilities->size() == 3);
    REQUIRE(s.messages.size() == 2);
    CHECK(s.messages[1].type == "deleted");
    CHECK(s.messages[1].deleted_at.has_value());
    CHECK(s.messages[1].restricted_visibility == std::vector<std::string>{"jack"});
    REQUIRE(s.members.size() == 2);
    CHECK(s.members[0].extra.at("favourite") == true);
    CHECK(s.members[1].notifications_muted);
    REQUIRE(s.read.size() == 2);
    CHECK(s.read[0].last_read.time_since_epoch().count() % 1'000'000'000 == 812841984);
    CHECK(s.read[1].unread_messages == 1);
    CHECK(s.watcher_count == 1);
    REQUIRE(s.membership);
    CHECK(s.membership->channel_role == "owner");
    CHECK(s.extra.at("duration") == "1.23ms");
    CHECK(s.extra.contains("threads"));
}

TEST_CASE("channel: cid, type and id are derived from each other", "[codec]")
{
    channel c;
    REQUIRE_FALSE(from_json(R"({"cid":"livestream:a:b"})", c));
    CHECK(c.type == "livestream");
    CHECK(c.id == "a:b");
    REQUIRE_FALSE(from_json(R"({"type":"team","id":"x"})", c));
    CHECK(c.cid == "team:x");

    expect_failure<channel>(R"({"id":"x"})", error::missing_field, "channel.cid: missing required field");
    expect_failure<channel>(R"({"type":"x"})", error::missing_field, "channel.id: missing required field");
    expect_failure<channel>(R"({"cid":"nocolon"})", error::invalid_value, R"(channel.cid: expected "type:id")");

    CHECK(cid("messaging", "general") == "messaging:general");
    const auto parts = split_cid("messaging:general");
    REQUIRE(parts);
    CHECK(parts->type == "messaging");
    CHECK(parts->id == "general");
    CHECK_FALSE(split_cid(":x"));
    CHECK_FALSE(split_cid("x:"));
    CHECK_FALSE(split_cid("x"));
}

TEST_CASE("own_user: devices, mutes and channel mutes", "[codec]")
{
    const auto me = round_trip<own_user>(R"({
      "id": "jack", "role": "user", "banned": false, "online": true, "language": "", "invisible": false,
      "teams": [], "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
      "devices": [{"id": "tok", "push_provider": "firebase", "user_id": "jack",
                   "created_at": "2023-01-01T00:00:00Z", "disabled": false}],
      "mutes": [{"user": {"id": "jack"}, "target": {"id": "spam"}, "created_at": "2023-01-01T00:00:00Z",
                 "updated_at": "2023-01-01T00:00:00Z", "expires": "2030-01-01T00:00:00Z"}],
      "channel_mutes": [{"user": {"id": "jack"}, "channel": {"cid": "messaging:noisy", "id": "noisy",
                         "type": "messaging", "created_at": "2023-01-01T00:00:00Z",
                         "updated_at": "2023-01-01T00:00:00Z", "frozen": false, "disabled": false},
                         "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T00:00:00Z"}],
      "total_unread_count": 7, "unread_count": 7, "unread_channels": 2, "unread_threads": 0,
      "total_unread_count_by_team": {"red": 7}, "push_preferences": {"chat_level": "mentions"},
      "favourite_color": "blue"
    })");
    CHECK(me.id == "jack");
    CHECK(me.invisible == false);
    REQUIRE(me.devices.size() == 1);
    CHECK(me.devices[0].push_provider == "firebase");
    REQUIRE(me.mutes.size() == 1);
    CHECK(me.mutes[0].target->id == "spam");
    CHECK(me.mutes[0].expires.has_value());
    REQUIRE(me.channel_mutes.size() == 1);
    CHECK(me.channel_mutes[0].channel->cid == "messaging:noisy");
    CHECK(me.total_unread_count == 7);
    CHECK(me.unread_channels == 2);
    CHECK(me.extra.at("favourite_color") == "blue");
    CHECK(me.extra.contains("total_unread_count_by_team"));
}

TEST_CASE("api_error: Stream's error envelope", "[codec]")
{
    api_error e;
    REQUIRE_FALSE(from_json(error_json, e));
    CHECK(e.code == 4);
    CHECK(e.status_code == 400);
    CHECK(e.message == "GetOrCreateChannel failed with error: \"bad\"");
    CHECK(e.more_info == "https://getstream.io/chat/docs/api_errors_response");
    CHECK(e.details == std::vector<int>{1, 2});
    CHECK(e.exception_fields.at("field") == "reason");
    CHECK(e.unrecoverable);
    CHECK(e.duration == "0.12ms");
    std::string why;
    CHECK(test::json_equivalent(parse(error_json), parse(to_json(e)), why));
    INFO(why);

    // Only `code` is required; unknown keys are ignored.
    REQUIRE_FALSE(from_json(R"({"code":40,"message":"token expired","StatusCode":401,"x":1})", e));
    CHECK(e.code == 40);
    CHECK_FALSE(e.unrecoverable);
    CHECK(e.details.empty());
    expect_failure<api_error>(R"({"message":"oops","StatusCode":500})", error::missing_field,
                              "code: missing required field");
    expect_failure<api_error>(R"({"code":"4"})", error::wrong_type, "code: expected an integer");
    // Odd decorations are skipped, never fatal: the envelope still yields its code.
    REQUIRE_FALSE(from_json(R"({"code":4,"details":[{"code":4,"messages":["x"]},7],
                                "exception_fields":{"f":1,"g":"bad"}})", e));
    CHECK(e.code == 4);
    CHECK(e.details == std::vector<int>{7});
    CHECK(e.exception_fields == std::map<std::string, std::string>{{"g", "bad"}});
    REQUIRE_FALSE(from_json(R"({"code":4,"details":"none","exception_fields":[]})", e));
    CHECK(e.details.empty());
}

TEST_CASE("wrong types are reported with the path of the field", "[codec][errors]")
{
    expect_failure<message>(R"({"id":"x","text":5})", error::wrong_type, "message.text: expected a string");
    expect_failure<event>(R"({"type":"message.new","message":{"id":"x","text":5}})", error::wrong_type,
                          "message.text: expected a string");
    expect_failure<message>(R"({"id":"x","pinned":"yes"})", error::wrong_type,
                            "message.pinned: expected a boolean");
    expect_failure<message>(R"({"id":"x","attachments":{}})", error::wrong_type,
                            "message.attachments: expected an array");
    expect_failure<message>(R"({"id":"x","attachments":[{},{"file_size":"big"}]})", error::wrong_type,
                            "message.attachments[1].file_size: expected an integer");
    expect_failure<message>(R"({"id":"x","reaction_counts":{"like":"1"}})", error::wrong_type,
                            "message.reaction_counts.like: expected an integer");
    expect_failure<message>(R"({"id":"x","user":"jack"})", error::wrong_type,
                            "message.user: expected an object");
    expect_failure<message>(R"({"id":"x","created_at":1700000000})", error::wrong_type,
                            "message.created_at: expected an RFC 3339 string");
    expect_failure<message>(R"({"id":"x","created_at":"2023-02-29T00:00:00Z"})", error::invalid_timestamp,
                            R"(message.created_at: expected an RFC 3339 string, got "2023-02-29T00:00:00Z")");
    expect_failure<message>(R"([1,2])", error::wrong_type, "message: expected an object");
    expect_failure<event>(R"("health.check")", error::wrong_type, "expected an object");
    expect_failure<channel_state>(
        R"({"channel":{"cid":"a:b"},"messages":[{"id":"1"},{"id":"2"},{"id":"3","user":{"id":"u","created_at":"yesterday"}}]})",
        error::invalid_timestamp,
        R"(messages[2].user.created_at: expected an RFC 3339 string, got "yesterday")");
    expect_failure<event>(R"({"type":"health.check","me":{"id":"me","channel_mutes":[{"channel":{"cid":"a:b","frozen":1}}]}})",
                          error::wrong_type, "me.channel_mutes[0].channel.frozen: expected a boolean");
}

TEST_CASE("the codec API names paths inside an enclosing envelope", "[codec][errors]")
{
    // What the REST layer will do for POST /channels: {"channels":[ChannelState…]}.
    const auto body = parse(R"({"channels":[{"channel":{"cid":"a:1"}},{"channel":{"cid":"a:2"}},
        {"channel":{"cid":"a:3"}},{"channel":{"cid":"a:4","created_at":"2024-01-01"}}]})");
    detail::decode_context ctx;
    std::vector<channel_state> states;
    error_code ec;
    {
        auto s = ctx.enter("channels");
        ec = detail::decode(body.at("channels"), states, ctx);
    }
    CHECK(ec == error::invalid_timestamp);
    CHECK(ctx.message() == R"(channels[3].channel.created_at: expected an RFC 3339 string, got "2024-01-01")");
    CHECK(states.empty());
    CHECK(ctx.path().empty()); // scopes unwound

    // Success path, and encode through the same API.
    detail::decode_context ok;
    std::vector<channel_state> good;
    auto s = ok.enter("channels");
    REQUIRE_FALSE(detail::decode(parse(R"([{"channel":{"cid":"a:1"}}])"), good, ok));
    REQUIRE(good.size() == 1);
    const json::value encoded = detail::encode(good);
    CHECK(encoded.at(0).at("channel").at("id") == "1");
    CHECK(ok.message().empty());
}

TEST_CASE("only identity fields are required", "[codec][errors]")
{
    expect_failure<message>(R"({"text":"no id"})", error::missing_field, "message.id: missing required field");
    expect_failure<message>(R"({"id":null})", error::missing_field, "message.id: missing required field");
    expect_failure<user>(R"({"name":"x"})", error::missing_field, "user.id: missing required field");
    expect_failure<reaction>(R"({"score":1})", error::missing_field, "reaction.type: missing required field");
    expect_failure<read_state>(R"({"last_read":"2024-01-01T00:00:00Z"})", error::missing_field,
                               "read_state.user: missing required field");
    expect_failure<channel_state>(R"({"messages":[]})", error::missing_field, "channel: missing required field");
    expect_failure<event>(R"({"created_at":"2024-01-01T00:00:00Z"})", error::missing_field,
                          "type: missing required field");
    expect_failure<event>(R"({"type":7})", error::wrong_type, "type: expected a string");
    expect_failure<event>(R"({"type":"message.new","message":{"text":"x"}})", error::missing_field,
                          "message.id: missing required field");
    // Tolerated: members without user, reactions without user, configs without name.
    member mb;
    CHECK_FALSE(from_json(R"({})", mb));
    reaction r;
    CHECK_FALSE(from_json(R"({"type":"like"})", r));
    channel_config cfg;
    CHECK_FALSE(from_json(R"({"typing_events":true})", cfg));
    CHECK(cfg.typing_events);
    CHECK_FALSE(cfg.read_events);
}

TEST_CASE("null means absent for every field", "[codec]")
{
    message m;
    REQUIRE_FALSE(from_json(R"({"id":"x","text":null,"user":null,"attachments":null,"pinned_at":null,
                                "reply_count":null,"reaction_counts":null,"thread_participants":null})", m));
    CHECK(m.text.empty());
    CHECK(m.user.id.empty());
    CHECK(m.attachments.empty());
    CHECK_FALSE(m.pinned_at);
    CHECK_FALSE(m.thread_participants);
    CHECK(m.extra.empty()); // nulls of known fields are not kept as custom data
    event e;
    REQUIRE_FALSE(from_json(R"({"type":"typing.start","user":null,"cid":null,"created_at":"2024-01-01T00:00:00Z"})", e));
    CHECK_FALSE(e.user);
    CHECK_FALSE(e.cid);
    // Inside arrays, null elements are absent optionals or default objects.
    user u;
    REQUIRE_FALSE(from_json(R"({"id":"u","teams":["a"],"blocked_user_ids":null})", u));
    CHECK_FALSE(u.blocked_user_ids);
}

TEST_CASE("numbers: range, fractions and huge values", "[codec][errors]")
{
    message m;
    REQUIRE_FALSE(from_json(R"({"id":"x","reply_count":3.0})", m));
    CHECK(m.reply_count == 3);
    REQUIRE_FALSE(from_json(R"({"id":"x","reply_count":-2147483648})", m));
    CHECK(m.reply_count == -2147483648LL);
    expect_failure<message>(R"({"id":"x","reply_count":2.5})", error::invalid_value,
                            "message.reply_count: expected an integer within 32 bits");
    expect_failure<message>(R"({"id":"x","reply_count":3000000000})", error::invalid_value,
                            "message.reply_count: expected an integer within 32 bits");
    expect_failure<message>(R"({"id":"x","reply_count":99999999999999999999999})", error::invalid_value,
                            "message.reply_count: expected an integer within 32 bits");
    expect_failure<message>(R"({"id":"x","reply_count":18446744073709551615})", error::invalid_value,
                            "message.reply_count: expected an integer within 32 bits");
    expect_failure<channel>(R"({"cid":"a:b","message_count":18446744073709551615})", error::invalid_value,
                            "channel.message_count: expected an integer within 64 bits");
    expect_failure<channel>(R"({"cid":"a:b","message_count":1e300})", error::invalid_value,
                            "channel.message_count: expected an integer within 64 bits");
    channel c;
    REQUIRE_FALSE(from_json(R"({"cid":"a:b","message_count":9223372036854775807})", c));
    CHECK(c.message_count == 9223372036854775807LL);

    // Huge numbers in custom data are kept as the parser read them.
    REQUIRE_FALSE(from_json(R"({"id":"x","big":1e300,"huge":18446744073709551615,"neg":-9223372036854775808})", m));
    CHECK(m.extra.at("big").as_double() == 1e300);
    CHECK(m.extra.at("huge").as_uint64() == 18446744073709551615ULL);
    CHECK(m.extra.at("neg").as_int64() == std::numeric_limits<std::int64_t>::min());
    std::string why;
    CHECK(test::json_equivalent(parse(to_json(m)).at("huge"), json::value(18446744073709551615ULL), why));

    // Beyond double range Boost.JSON reads infinity: fine as custom data, never an integer.
    REQUIRE_FALSE(from_json(R"({"id":"x","big":1e400})", m));
    CHECK(std::isinf(m.extra.at("big").as_double()));
    CHECK_FALSE(to_json(m).empty());
    expect_failure<message>(R"({"id":"x","reply_count":1e400})", error::invalid_value,
                            "message.reply_count: expected an integer within 32 bits");
    expect_failure<message>(R"({"id":"x","reply_count":-1e400})", error::invalid_value,
                            "message.reply_count: expected an integer within 32 bits");
}

TEST_CASE("a custom key named custom is dropped, so decoding what was encoded is stable", "[codec][fuzz]")
{
    // Found by tests/fuzz/fuzz_codec: {"custom":{"custom":{…}}} kept an object named "custom" in
    // extra; written back flat it was flattened again on the next decode.
    channel c;
    REQUIRE_FALSE(from_json(R"({"cid":"a:b","custom":{"custom":{"k":1},"color":"red"}})", c));
    CHECK_FALSE(c.extra.contains("custom"));
    CHECK(c.extra.at("color") == "red");
    const std::string once = to_json(c);
    channel again;
    REQUIRE_FALSE(from_json(once, again));
    CHECK(to_json(again) == once);

    channel_state st;
    REQUIRE_FALSE(from_json(R"({"channel":{"cid":"a:b","custom":{"custom":{"k":1}}},"messages":[]})", st));
    const std::string s1 = to_json(st);
    channel_state st2;
    REQUIRE_FALSE(from_json(s1, st2));
    CHECK(to_json(st2) == s1);
}

TEST_CASE("custom numbers beyond double range encode as null, so the text decodes again", "[codec][fuzz]")
{
    // Found by tests/fuzz/fuzz_codec: Boost.JSON reads 1e3093 as infinity and would write it
    // back as `Infinity`, which is not JSON. Encoded like JSON.stringify does: null.
    const std::string frame = R"({"type":"message.new","cid":"messaging:general","n":1e3093,)"
                              R"("deep":[{"x":-1e400}],"message":{"id":"a1","big":1e999}})";
    event e;
    REQUIRE_FALSE(from_json(frame, e));
    const std::string once = to_json(e);
    const json::value doc = parse(once); // valid JSON
    CHECK(doc.at("n").is_null());
    CHECK(doc.at("deep").at(0).at("x").is_null());
    CHECK(doc.at("message").at("big").is_null());
    event again;
    std::string where;
    REQUIRE_FALSE(from_json(once, again, &where));
    CHECK(to_json(again) == once);
}

TEST_CASE("malformed and truncated JSON is rejected without crashing", "[codec][errors]")
{
    for (const char* text : {"", " ", "{", "}", "nul", "{\"id\":\"x\",}", "{\"id\":\"x\"", "{'id':'x'}",
                             "{\"id\":\"x\"} trailing", "{\"id\":\"x\"}{}", "/* c */ {\"id\":\"x\"}",
                             "{\"id\":\"x\\q\"}", "{\"id\":\"\x01\"}"}) {
        message m;
        std::string where;
        INFO(text);
        CHECK(from_json(text, m, &where) == error::malformed_json);
        CHECK(where.rfind("invalid JSON: ", 0) == 0);
    }

    // Every proper prefix of a large valid payload is malformed; only the whole text decodes.
    const std::string full = channel_state_json;
    REQUIRE(full.back() == '}');
    std::size_t rejected = 0;
    for (std::size_t n = 0; n < full.size(); ++n) {
        channel_state s;
        if (from_json(std::string_view(full.data(), n), s) == error::malformed_json)
            ++rejected;
    }
    CHECK(rejected == full.size());
    channel_state whole;
    CHECK_FALSE(from_json(full, whole));
}

TEST_CASE("nesting is limited to 64 levels", "[codec][errors]")
{
    message m;
    std::string where;
    const std::string bomb(10000, '[');
    CHECK(from_json(bomb, m, &where) == error::malformed_json);
    const std::string closed = std::string(10000, '[') + std::string(10000, ']');
    CHECK(from_json(closed, m) == error::malformed_json);
    const std::string objects = [] {
        std::string s;
        for (int i = 0; i < 5000; ++i)
            s += "{\"a\":";
        s += "1";
        for (int i = 0; i < 5000; ++i)
            s += "}";
        return s;
    }();
    CHECK(from_json(objects, m) == error::malformed_json);

    // Deep but allowed custom data is kept (object + 60 arrays = 61 levels).
    const std::string deep = R"({"id":"x","deep":)" + std::string(60, '[') + std::string(60, ']') + "}";
    REQUIRE_FALSE(from_json(deep, m));
    CHECK(m.extra.contains("deep"));
    const std::string too_deep = R"({"id":"x","deep":)" + std::string(70, '[') + std::string(70, ']') + "}";
    CHECK(from_json(too_deep, m) == error::malformed_json);
}

TEST_CASE("strings: UTF-8 is validated, escapes are decoded", "[codec][errors]")
{
    message m;
    CHECK(from_json("{\"id\":\"x\",\"text\":\"bad \xff byte\"}", m) == error::malformed_json);
    CHECK(from_json("{\"id\":\"x\",\"text\":\"overlong \xc0\xaf\"}", m) == error::malformed_json);
    CHECK(from_json("{\"id\":\"x\",\"text\":\"cut \xe2\x82\"}", m) == error::malformed_json);
    CHECK(from_json("{\"id\":\"x\",\"bad\xfekey\":1}", m) == error::malformed_json);
    REQUIRE_FALSE(from_json(R"({"id":"x","text":"caf\u00e9 \ud83d\ude00 \"q\" \n"})", m));
    CHECK(m.text == "café 😀 \"q\" \n");
    // Embedded NUL characters are data, not terminators.
    REQUIRE_FALSE(from_json(R"({"id":"a\u0000b"})", m));
    CHECK(m.id == std::string("a\0b", 3));
    CHECK(parse(to_json(m)).at("id").as_string().size() == 3);
}

TEST_CASE("timestamps in payloads: precision and offsets", "[codec]")
{
    for (const char* t : {"2024-01-01T10:00:00Z", "2024-01-01T10:00:00.123Z", "2024-01-01T10:00:00.123456Z",
                          "2024-01-01T10:00:00.123456789Z", "2024-01-01T10:00:00.123456789123Z",
                          "2024-01-01T12:00:00.5+02:00"}) {
        message m;
        const std::string text = std::string(R"({"id":"x","created_at":")") + t + "\"}";
        INFO(text);
        REQUIRE_FALSE(from_json(text, m));
        CHECK(m.created_at == parse_timestamp(t));
        const auto written = parse(to_json(m)).at("created_at").as_string();
        CHECK(parse_timestamp(std::string_view(written.data(), written.size())) == m.created_at);
        CHECK(written.ends_with("Z"));
    }
}

TEST_CASE("default-constructed objects encode and decode back", "[codec]")
{
    message m;
    m.id = "new";
    m.created_at = timestamp{} + 1234567891ns;
    m.extra["custom_key"] = "v";
    message back;
    REQUIRE_FALSE(from_json(to_json(m), back));
    CHECK(back.id == "new");
    CHECK(back.created_at == m.created_at);
    CHECK(back.extra.at("custom_key") == "v");
    CHECK(to_json(back) == to_json(m));

    channel_state s;
    s.channel.cid = "a:b";
    channel_state s2;
    REQUIRE_FALSE(from_json(to_json(s), s2));
    CHECK(s2.channel.type == "a");
}

TEST_CASE("oversized text is refused before parsing", "[codec][errors]")
{
    std::string big(64u * 1024u * 1024u + 1u, ' ');
    message m;
    std::string where;
    CHECK(from_json(big, m, &where) == error::payload_too_large);
    CHECK_FALSE(where.empty());
}

TEST_CASE("mutated payloads never crash and fail with a decoding error", "[codec][errors]")
{
    // Deterministic xorshift so a failure is reproducible.
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    const char interesting[] = {'"', '{', '}', '[', ']', ':', ',', '0', '9', '-', '.', 'e', 'n', 't',
                                'Z', 'T', '\\', '\x00', '\xff', ' '};
    const auto allowed = [](const error_code& ec) {
        return !ec || ec == error::malformed_json || ec == error::missing_field || ec == error::wrong_type ||
               ec == error::invalid_value || ec == error::invalid_timestamp;
    };
    std::size_t decoded = 0, rejected = 0;
    for (const char* seed : {channel_state_json, message_json, user_json, error_json}) {
        for (int round = 0; round < 400; ++round) {
            std::string text = seed;
            const int edits = 1 + static_cast<int>(next() % 4);
            for (int k = 0; k < edits && !text.empty(); ++k) {
                const std::size_t pos = next() % text.size();
                const char c = interesting[next() % sizeof(interesting)];
                switch (next() % 3) {
                case 0: text[pos] = c; break;
                case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
                default: text.erase(pos, 1 + next() % 8); break;
                }
            }
            INFO(text);
            channel_state s;
            message m;
            user u;
            api_error e;
            event ev;
            for (const error_code ec : {from_json(text, s), from_json(text, m), from_json(text, u),
                                        from_json(text, e), from_json(text, ev)}) {
                REQUIRE(allowed(ec));
                (ec ? rejected : decoded) += 1;
            }
        }
    }
    CHECK(rejected > 0);
    CHECK(decoded > 0);
}
