// The realtime fast path (events/fast_decode + channel_store::apply_fast) against the full path
// (decode_event_frame + channel_store::apply): for every frame of a corpus, two stores fed the same
// frames must hold the same summaries, field by field. The fast path may decline a frame
// (`fallback`: the caller takes the full path) but must never apply one differently, never accept
// a frame the codec rejects, and call `malformed` only what the codec rejects as well.

#include "events/fast_decode.hpp"
#include "model/codec.hpp"
#include "realtime/frames.hpp"

#include <streamchat/channel_store.hpp>

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace streamchat;
using detail::fast_status;

namespace {

namespace json = boost::json;

const std::string own = "me";

/// Two identically seeded stores: 6 channels with a summary, `messaging:full` materialised.
struct pair_of_stores {
    channel_store full{own};
    channel_store fast{own};
    detail::fast_decoder decoder;
    detail::fast_event fe;

    pair_of_stores()
    {
        for (channel_store* s : {&full, &fast}) {
            for (const char* id : {"general", "random", "ops", "a", "b", "full"}) {
                channel_state st;
                st.channel.type = "messaging";
                st.channel.id = id;
                st.channel.cid = std::string("messaging:") + id;
                st.channel.extra["name"] = std::string("Room ") + id;
                st.channel.member_count = 4;
                message m;
                m.id = std::string("seed-") + id;
                m.user.id = "jack";
                m.text = "seeded";
                m.created_at = *parse_timestamp("2024-05-02T10:00:00Z");
                st.messages.push_back(m);
                st.channel.last_message_at = m.created_at;
                read_state r;
                r.user.id = own;
                r.unread_messages = 2;
                st.read.push_back(r);
                s->upsert(st, std::string(id) == "full");
            }
        }
    }

    /// Feeds `frame` to both paths; returns what the fast decoder said.
    fast_status feed(const std::string& frame)
    {
        event e;
        std::string why;
        const error_code ec = detail::decode_event_frame(frame, e, &why);
        const bool full_changed = !ec && full.apply(e);

        const fast_status st = decoder.decode(frame, fe);
        INFO("frame: " << frame.substr(0, 400));
        INFO("codec: " << (ec ? ec.message() + " (" + why + ")" : std::string("ok")));
        switch (st) {
        case fast_status::decoded:
            REQUIRE_FALSE(ec); // never accept what the codec rejects
            CHECK(fe.type == e.type);
            CHECK(fe.created_at == e.created_at);
            if (fast.is_materialised(fe.cid)) {
                CHECK(fast.apply(e) == full_changed);
            } else {
                CHECK(fast.apply_fast(fe) == full_changed);
            }
            break;
        case fast_status::fallback:
            if (!ec) CHECK(fast.apply(e) == full_changed);
            break;
        case fast_status::malformed:
            CHECK(ec); // only what the codec rejects too
            break;
        }
        same_summaries();
        return st;
    }

    void same_summaries()
    {
        REQUIRE(full.size() == fast.size());
        full.for_each([&](const channel_summary& a) {
            const auto b = fast.summary(a.cid);
            REQUIRE(b);
            INFO("cid " << a.cid);
            CHECK(a.cid == b->cid);
            CHECK(a.name == b->name);
            CHECK(a.image == b->image);
            CHECK(a.last_message_at == b->last_message_at);
            CHECK(a.last_message_id == b->last_message_id);
            CHECK(a.last_message_user_id == b->last_message_user_id);
            CHECK(a.last_message_preview == b->last_message_preview);
            CHECK(a.unread_count == b->unread_count);
            CHECK(a.member_count == b->member_count);
            CHECK(a.hidden == b->hidden);
        });
    }

    channel_summary summary(const std::string& cid) const
    {
        const auto s = fast.summary(cid);
        REQUIRE(s);
        return *s;
    }
};

/// A minimal message.new frame (§6.1 common fields), with its message fields replaceable.
json::object minimal_message(const std::string& id, const std::string& user, const std::string& text,
                             const std::string& at = "2024-05-02T10:15:00.482913Z")
{
    return json::object{{"id", id},
                        {"text", text},
                        {"type", "regular"},
                        {"user", json::object{{"id", user}, {"name", "User " + user}}},
                        {"created_at", at},
                        {"updated_at", at}};
}

json::object minimal_event(const std::string& type, const std::string& cid, json::object message)
{
    const auto colon = cid.find(':');
    json::object e{{"type", type},
                   {"cid", cid},
                   {"channel_id", cid.substr(colon + 1)},
                   {"channel_type", cid.substr(0, colon)},
                   {"created_at", "2024-05-02T10:15:00.490113242Z"}};
    e["message"] = std::move(message);
    e["user"] = e["message"].as_object()["user"];
    e["watcher_count"] = 3;
    e["total_unread_count"] = 7;
    e["unread_count"] = 7;
    e["unread_channels"] = 2;
    return e;
}

std::string text_of(const json::object& o) { return json::serialize(o); }

std::string minimal_frame(const std::string& cid, const std::string& id, const std::string& user = "jack",
                          const std::string& text = "hello there")
{
    return text_of(minimal_event("message.new", cid, minimal_message(id, user, text)));
}

/// A message.new as the emulator renders it: the event envelope of channel_event() and a message
/// encoded by the codec (every plain member written), plus message_id / channel_last_message_at.
std::string emulator_frame(const std::string& cid, const std::string& id, const std::string& author)
{
    message m;
    m.id = id;
    m.cid = cid;
    m.text = "Launch checklist is ready, please review it";
    m.html = "<p>Launch checklist is ready, please review it</p>\n";
    m.user.id = author;
    m.user.name = "Jack Miller";
    m.user.role = "user";
    m.user.online = true;
    m.user.created_at = *parse_timestamp("2023-03-01T09:12:44.118254Z");
    m.user.updated_at = *parse_timestamp("2024-05-02T10:00:00Z");
    m.user.last_active = *parse_timestamp("2024-05-02T10:14:00Z");
    m.user.extra["department"] = "engineering";
    m.created_at = *parse_timestamp("2024-05-02T10:15:00.482913Z");
    m.updated_at = m.created_at;
    m.extra["priority"] = "high";
    json::object ev{{"type", "message.new"},
                    {"cid", cid},
                    {"channel_id", cid.substr(cid.find(':') + 1)},
                    {"channel_type", "messaging"},
                    {"created_at", "2024-05-02T10:15:00.490113242Z"}};
    ev["message"] = detail::encode(m);
    ev["message_id"] = id;
    json::object u;
    detail::encode(m.user, u);
    ev["user"] = std::move(u);
    ev["watcher_count"] = 1;
    ev["channel_last_message_at"] = "2024-05-02T10:15:00.482913Z";
    ev["total_unread_count"] = 3;
    ev["unread_count"] = 3;
    ev["unread_channels"] = 1;
    return text_of(ev);
}

json::object full_channel(const std::string& type, const std::string& id)
{
    return json::object{
        {"cid", type + ":" + id},
        {"id", id},
        {"type", type},
        {"created_at", "2023-06-01T12:00:00Z"},
        {"updated_at", "2024-05-01T08:00:00Z"},
        {"last_message_at", "2024-05-02T10:15:00.482913Z"},
        {"frozen", false},
        {"disabled", false},
        {"member_count", 12},
        {"name", "Launch " + id},
        {"image", "https://cdn.example.com/" + id + ".png"},
        {"config",
         json::object{{"name", type}, {"typing_events", true}, {"read_events", true}, {"max_message_length", 5000},
                      {"commands", json::array{json::object{{"name", "giphy"}}}}}},
        {"created_by", json::object{{"id", "jack"}}},
        {"members", json::array{json::object{{"user_id", "jack"}, {"user", json::object{{"id", "jack"}}},
                                             {"channel_role", "owner"}}}},
        {"own_capabilities", json::array{"send-message", "read-events"}}};
}

} // namespace

TEST_CASE("fast path: the minimal message.new updates the summary like apply()")
{
    pair_of_stores p;
    const std::string frame = minimal_frame("messaging:general", "m-1");
    CHECK(frame.size() > 400);
    CHECK(p.feed(frame) == fast_status::decoded);
    CHECK(p.summary("messaging:general").unread_count == 3);
    CHECK(p.summary("messaging:general").last_message_preview == "hello there");
    CHECK(p.feed(frame) == fast_status::decoded); // the same id again: no second unread
    CHECK(p.summary("messaging:general").unread_count == 3);
    CHECK(p.feed(minimal_frame("messaging:general", "m-2", own)) == fast_status::decoded);
    CHECK(p.summary("messaging:general").unread_count == 0); // posting marks the channel read for its author
    CHECK(p.summary("messaging:general").last_message_user_id == own);
    // A channel the store has not seen yet gets a summary.
    CHECK(p.feed(minimal_frame("messaging:new-one", "m-3")) == fast_status::decoded);
    CHECK(p.summary("messaging:new-one").unread_count == 1);
    // A materialised channel: the caller takes the full path (checked inside feed()).
    CHECK(p.feed(minimal_frame("messaging:full", "m-4")) == fast_status::decoded);
    CHECK(p.fast.is_materialised("messaging:full"));
    CHECK_FALSE(p.fast.is_materialised("messaging:general"));
}

TEST_CASE("fast path: unread rules (silent, shadowed, thread-only, older, counts from the server)")
{
    pair_of_stores p;
    auto with = [](json::object m, const char* key, json::value v) {
        m[key] = std::move(v);
        return m;
    };
    const std::string cid = "messaging:random";
    CHECK(p.feed(text_of(minimal_event("message.new", cid, with(minimal_message("s1", "jack", "shh"), "silent", true)))) ==
          fast_status::decoded);
    CHECK(p.feed(text_of(minimal_event("message.new", cid, with(minimal_message("s2", "jack", "x"), "shadowed", true)))) ==
          fast_status::decoded);
    CHECK(p.summary(cid).unread_count == 2);
    // Thread-only reply: neither preview nor unread; shown in channel: both.
    CHECK(p.feed(text_of(minimal_event("message.new", cid, with(minimal_message("t1", "jack", "reply"), "parent_id", "s1")))) ==
          fast_status::decoded);
    CHECK(p.summary(cid).last_message_id == "s2");
    auto shown = with(with(minimal_message("t2", "jack", "shown"), "parent_id", "s1"), "show_in_channel", true);
    CHECK(p.feed(text_of(minimal_event("message.new", cid, shown))) == fast_status::decoded);
    CHECK(p.summary(cid).last_message_id == "t2");
    auto hidden_reply = with(with(minimal_message("t3", "jack", "r"), "parent_id", ""), "show_in_channel", false);
    CHECK(p.feed(text_of(minimal_event("message.new", cid, hidden_reply))) == fast_status::decoded);
    // Older than the newest: counted, preview stays.
    CHECK(p.feed(text_of(minimal_event("message.new", cid, minimal_message("old", "jill", "old", "2020-01-01T00:00:00Z")))) ==
          fast_status::decoded);
    CHECK(p.summary(cid).last_message_id == "t2");
    // Per-recipient figures of the frame win.
    auto e = minimal_event("message.new", cid, minimal_message("n1", "jack", "x"));
    e["unread_messages"] = 42;
    e["channel_member_count"] = 9;
    CHECK(p.feed(text_of(e)) == fast_status::decoded);
    CHECK(p.summary(cid).unread_count == 42);
    CHECK(p.summary(cid).member_count == 9);
    // Integral doubles are integers for the codec too.
    e = minimal_event("message.new", cid, minimal_message("n2", "jack", "x"));
    e["unread_messages"] = 5.0;
    CHECK(p.feed(text_of(e)) == fast_status::decoded);
    // A message without a user is nobody's (not the own user's).
    auto anonymous = minimal_message("n3", "jack", "x");
    anonymous.erase("user");
    CHECK(p.feed(text_of(minimal_event("message.new", cid, anonymous))) == fast_status::decoded);
    auto null_user = minimal_message("n4", "jack", "x");
    null_user["user"] = nullptr;
    CHECK(p.feed(text_of(minimal_event("message.new", cid, null_user))) == fast_status::decoded);
}

TEST_CASE("fast path: the emulator's message.new")
{
    pair_of_stores p;
    CHECK(p.feed(emulator_frame("messaging:ops", "9b2f8c7e-6a1d-4f3e-9c55-2d7e1a0b4c31", "jack")) ==
          fast_status::decoded);
    CHECK(p.summary("messaging:ops").last_message_preview == "Launch checklist is ready, please review it");
    CHECK(p.feed(emulator_frame("messaging:ops", "9b2f8c7e-0000", own)) == fast_status::decoded);
}

TEST_CASE("fast path: escapes, unicode and the UTF-8 safe preview cut")
{
    pair_of_stores p;
    int n = 0;
    auto feed_text = [&](const std::string& text) {
        const std::string frame = minimal_frame("messaging:a", "u-" + std::to_string(++n), "jack", text);
        CHECK(p.feed(frame) == fast_status::decoded);
    };
    feed_text("caf\xC3\xA9 \"quoted\" back\\slash\ttab\nnewline \xF0\x9F\x98\x80 emoji");
    // Raw escapes the serializer would not write: \u sequences, surrogate pairs, \/.
    for (const std::string raw : {R"(A\u00e9\/\ud83d\ude00\u0000z)", R"(\"\\\b\f\n\r\t)"}) {
        const std::string frame = minimal_frame("messaging:a", "esc-" + std::to_string(++n), "jack", "@@");
        std::string f = frame;
        f.replace(f.find("@@"), 2, raw);
        CHECK(p.feed(f) == fast_status::decoded);
    }
    // Multi-byte characters straddling byte 100, at every offset.
    for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
        for (std::size_t lead = 94; lead <= 101; ++lead) {
            feed_text(std::string(lead, 'x') + ch + ch + "tail");
            feed_text(std::string(lead, 'x') + ch);
        }
    }
    feed_text(std::string(100, 'y'));
    feed_text(std::string(101, 'y'));
    feed_text(std::string(99, 'y') + "\xE2\x82\xAC");
    feed_text("");
    // Long strings with escapes arrive in several parts (the parser's buffer is 4 KiB).
    std::string long_text;
    for (int i = 0; i < 3000; ++i) long_text += "\xC3\xA9\"\\";
    feed_text(long_text);
    // An escaped id and cid: the values, not the spelling, count.
    std::string f = minimal_frame("messaging:b", "ID-PLACE");
    f.replace(f.find("\"ID-PLACE\""), 10, R"("id\u002d\u00e9")");
    f.replace(f.find("\"messaging:b\""), 13, R"("messaging\u003ab")");
    CHECK(p.feed(f) == fast_status::decoded);
    CHECK(p.summary("messaging:b").last_message_id == "id-\xC3\xA9");
    // Escaped keys.
    f = minimal_frame("messaging:b", "k-1");
    f.replace(f.find("\"text\""), 6, R"("t\u0065xt")");
    CHECK(p.feed(f) == fast_status::decoded);
    // Invalid UTF-8 is a syntax error for both.
    CHECK(p.feed(minimal_frame("messaging:b", "bad-utf8", "jack", "ok")) == fast_status::decoded);
    f = minimal_frame("messaging:b", "bad-utf8-2", "jack", "AB");
    f[f.find("AB")] = '\xC3';
    CHECK(p.feed(f) == fast_status::malformed);
}

TEST_CASE("fast path: wrong types, missing fields, bad values")
{
    pair_of_stores p;
    const std::string cid = "messaging:general";
    auto base = [&] { return minimal_event("message.new", cid, minimal_message("w-1", "jack", "x")); };
    std::vector<std::string> frames;
    auto add = [&](json::object e) { frames.push_back(text_of(e)); };
    { auto e = base(); e["message"].as_object()["id"] = 5; add(e); }
    { auto e = base(); e["message"].as_object()["id"] = nullptr; add(e); }
    { auto e = base(); e["message"].as_object().erase("id"); add(e); }
    { auto e = base(); e["message"].as_object()["text"] = 12; add(e); }
    { auto e = base(); e["message"].as_object()["silent"] = "true"; add(e); }
    { auto e = base(); e["message"].as_object()["created_at"] = "yesterday"; add(e); }
    { auto e = base(); e["message"].as_object()["created_at"] = 1714644900; add(e); }
    { auto e = base(); e["message"].as_object()["user"].as_object()["created_at"] = "nope"; add(e); }
    { auto e = base(); e["message"].as_object()["user"].as_object().erase("id"); add(e); }
    { auto e = base(); e["message"].as_object()["user"] = "jack"; add(e); }
    { auto e = base(); e["message"] = "hello"; add(e); }
    { auto e = base(); e["message"] = nullptr; add(e); }
    { auto e = base(); e.erase("message"); add(e); }
    { auto e = base(); e["cid"] = 7; add(e); }
    { auto e = base(); e["cid"] = nullptr; add(e); }
    { auto e = base(); e["cid"] = ""; add(e); }
    { auto e = base(); e.erase("cid"); add(e); }
    { auto e = base(); e["type"] = 3; add(e); }
    { auto e = base(); e.erase("type"); add(e); }
    { auto e = base(); e["type"] = nullptr; add(e); }
    { auto e = base(); e["created_at"] = "2024-13-45T99:00:00Z"; add(e); }
    { auto e = base(); e["unread_messages"] = "3"; add(e); }
    { auto e = base(); e["unread_messages"] = 3.5; add(e); }
    { auto e = base(); e["unread_messages"] = 1e10; add(e); }
    { auto e = base(); e["unread_messages"] = 3000000000LL; add(e); }
    { auto e = base(); e["unread_messages"] = -2147483648LL; add(e); }
    { auto e = base(); e["channel_member_count"] = std::uint64_t(18446744073709551615ull); add(e); }
    { auto e = base(); e["channel_message_count"] = 9223372036854775807LL; add(e); }
    { auto e = base(); e["channel_message_count"] = 1.5; add(e); }
    { auto e = base(); e["watcher_count"] = true; add(e); }
    { auto e = base(); e["hard_delete"] = 1; add(e); }
    { auto e = base(); e["me"] = json::object{{"name", "no id"}}; add(e); }
    { auto e = base(); e["me"] = json::object{{"id", "me"}, {"devices", json::array{json::object{{"id", 1}}}}}; add(e); }
    { auto e = base(); e["me"] = json::object{{"id", "me"}, {"channel_mutes", json::array{json::object{{"channel", json::object{{"cid", "nocolon"}}}}}}}; add(e); }
    { auto e = base(); e["me"] = json::object{{"id", "me"}, {"channel_mutes", json::array{json::object{{"channel", json::object{{"cid", "a:b"}}}}}}}; add(e); }
    { auto e = base(); e["member"] = json::object{{"user", json::object{{"id", "x"}}}, {"banned", "no"}}; add(e); }
    { auto e = base(); e["reaction"] = json::object{{"score", 1}}; add(e); }
    { auto e = base(); e["reaction"] = json::object{{"type", "like"}, {"score", 1}}; add(e); }
    { auto e = base(); e["message"].as_object()["attachments"] = json::array{json::object{{"file_size", "big"}}}; add(e); }
    { auto e = base(); e["message"].as_object()["attachments"] = json::array{nullptr}; add(e); }
    { auto e = base(); e["message"].as_object()["attachments"] = json::object{}; add(e); }
    { auto e = base(); e["message"].as_object()["attachments"] = nullptr; add(e); }
    { auto e = base(); e["message"].as_object()["latest_reactions"] = json::array{json::object{{"type", "like"}, {"user", json::object{}}}}; add(e); }
    { auto e = base(); e["message"].as_object()["reaction_counts"] = json::object{{"like", "x"}}; add(e); }
    { auto e = base(); e["message"].as_object()["reaction_counts"] = json::object{{"like", 2}, {"", 1}}; add(e); }
    { auto e = base(); e["message"].as_object()["reaction_counts"] = json::object{{"like", nullptr}}; add(e); }
    { auto e = base(); e["message"].as_object()["restricted_visibility"] = json::array{"a", 1}; add(e); }
    { auto e = base(); e["message"].as_object()["mentioned_users"] = json::array{json::object{{"id", "a"}, {"teams", json::array{"t", nullptr}}}}; add(e); }
    { auto e = base(); e["message"].as_object()["quoted_message"] = json::object{{"id", 5}, {"deep", json::array{json::array{json::object{}}}}}; add(e); }
    { auto e = base(); e["message"].as_object()["thread_participants"] = nullptr; add(e); }
    { auto e = base(); e["message"].as_object()["custom"] = json::object{{"silent", true}, {"text", "not me"}}; add(e); }
    { auto e = base(); e["message"].as_object()["custom"] = 5; add(e); }
    { auto e = base(); e["custom"] = json::object{{"thread", 1}}; add(e); }
    { auto e = base(); e["custom"] = "x"; add(e); }
    { auto e = base(); e[""] = json::object{{"", json::array{}}}; add(e); }
    { auto e = base(); e["channel"] = json::object{{"type", "messaging"}}; add(e); }
    { auto e = base(); e["channel"] = json::object{{"cid", "messaging:general"}, {"member_count", "9"}}; add(e); }
    { auto e = base(); e["channel"] = json::object{{"cid", "messaging:general"}}; add(e); }
    // Unknown keys may hold anything, nested deeply.
    { auto e = base(); e["poll"] = json::object{{"a", json::array{json::object{{"b", json::object{{"c", json::array{1, 2.5, json::object{{"d", nullptr}}, true, "s"}}}}}}}}; add(e); }
    { auto e = base(); e["message"].as_object()["i18n"] = json::object{{"fr_text", "bonjour"}, {"language", "en"}}; add(e); }

    for (const auto& f : frames) {
        INFO(f);
        p.feed(f);
    }
}

TEST_CASE("fast path: duplicate keys (the DOM keeps the last one)")
{
    pair_of_stores p;
    const std::string base = minimal_frame("messaging:general", "d-1");
    auto insert_after_brace = [&](const std::string& frame, const std::string& what, std::size_t at) {
        std::string f = frame;
        f.insert(at + 1, what);
        return f;
    };
    const auto msg = base.find("\"message\":{");
    const std::size_t msg_brace = msg + 10;
    CHECK(p.feed(insert_after_brace(base, R"("cid":"messaging:random",)", 0)) == fast_status::fallback);
    CHECK(p.feed(insert_after_brace(base, R"("text":null,)", msg_brace)) == fast_status::fallback);
    CHECK(p.feed(insert_after_brace(base, R"("id":"other",)", msg_brace)) == fast_status::fallback);
    CHECK(p.feed(insert_after_brace(base, R"("type":"typing.start",)", 0)) == fast_status::fallback);
    CHECK(p.feed(insert_after_brace(base, R"("unknown":1,"unknown":2,)", 0)) == fast_status::decoded);
    std::string tail_dup = base;
    tail_dup.insert(tail_dup.size() - 1, R"(,"message":null)");
    p.feed(tail_dup);
}

TEST_CASE("fast path: truncated and malformed frames")
{
    pair_of_stores p;
    const std::string frames[] = {minimal_frame("messaging:general", "t-1"),
                                  emulator_frame("messaging:ops", "t-2", "jack")};
    for (const auto& f : frames) {
        for (std::size_t n = 0; n < f.size(); ++n) {
            const fast_status st = p.feed(f.substr(0, n));
            CHECK(st != fast_status::decoded);
        }
    }
    for (const std::string bad : {"", "   ", "[]", "1", "\"message.new\"", "null", "{", "{}", "{\"type\":\"message.new\"}x",
                                  "{\"type\":\"message.new\"} {}", "{\"type\":\"message.new\",}", "{'type':1}",
                                  "{\"type\":\"message.new\"} \n\t", "{\"type\":\"message.new\",\"cid\":\"a:b\"}"}) {
        p.feed(bad);
    }
    // Deeper than the parser's 64 levels, inside an unknown key.
    std::string deep = R"({"type":"message.new","cid":"messaging:a","x":)";
    for (int i = 0; i < 70; ++i) deep += "[";
    for (int i = 0; i < 70; ++i) deep += "]";
    deep += "}";
    CHECK(p.feed(deep) == fast_status::malformed);
    std::string ok_deep = R"({"type":"message.new","cid":"messaging:a","x":)";
    for (int i = 0; i < 60; ++i) ok_deep += "[";
    for (int i = 0; i < 60; ++i) ok_deep += "]";
    ok_deep += "}";
    CHECK(p.feed(ok_deep) == fast_status::decoded);
}

TEST_CASE("fast path: notification.message_new learns the channel")
{
    pair_of_stores p;
    auto note = [](const std::string& cid_type, const std::string& id, const std::string& msg_id) {
        auto e = minimal_event("notification.message_new", cid_type + ":" + id, minimal_message(msg_id, "jack", "ping"));
        e["channel"] = full_channel(cid_type, id);
        e["unread_messages"] = 4;
        return e;
    };
    CHECK(p.feed(text_of(note("messaging", "launch", "n-1"))) == fast_status::decoded);
    CHECK(p.summary("messaging:launch").name == "Launch launch");
    CHECK(p.summary("messaging:launch").member_count == 12);
    CHECK(p.summary("messaging:launch").unread_count == 4);
    // Already known: the channel does not overwrite the summary.
    CHECK(p.feed(text_of(note("messaging", "general", "n-2"))) == fast_status::decoded);
    {
        auto e = note("messaging", "hidden", "n-3");
        e["channel"].as_object()["hidden"] = true;
        e["channel"].as_object()["name"] = 42; // not a string: no name
        e["channel"].as_object().erase("member_count");
        e["channel"].as_object().erase("image");
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
        CHECK(p.summary("messaging:hidden").hidden);
        CHECK(p.summary("messaging:hidden").name.empty());
    }
    {
        auto e = note("messaging", "objname", "n-4");
        e["channel"].as_object()["name"] = json::object{{"x", 1}};
        e["channel"].as_object()["image"] = json::array{1};
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
    }
    {
        auto e = note("messaging", "custom", "n-5");
        e["channel"].as_object()["custom"] = json::object{{"name", "From custom"}};
        e["channel"].as_object().erase("name");
        p.feed(text_of(e));
        CHECK(p.summary("messaging:custom").name == "From custom");
    }
    {
        // No top-level cid: routed by the channel's, derived from type and id.
        auto e = note("messaging", "derived", "n-6");
        e.erase("cid");
        e["channel"].as_object().erase("cid");
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
        CHECK(p.fast.summary("messaging:derived"));
    }
    {
        // The channel's cid differs from the event's: the full path decides.
        auto e = note("messaging", "one", "n-7");
        e["channel"] = full_channel("messaging", "two");
        CHECK(p.feed(text_of(e)) == fast_status::fallback);
    }
    {
        auto e = note("messaging", "splitless", "n-8");
        e["channel"].as_object()["cid"] = "nocolon";
        e["channel"].as_object().erase("type");
        p.feed(text_of(e));
        e["channel"].as_object()["cid"] = "";
        p.feed(text_of(e));
        e["channel"].as_object().erase("id");
        p.feed(text_of(e));
    }
    {
        auto e = note("messaging", "lma", "n-9");
        e["channel"].as_object()["last_message_at"] = "2030-01-01T00:00:00Z"; // newer than the message
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
    }
}

TEST_CASE("fast path: message.read, typing, watching, health.check")
{
    pair_of_stores p;
    auto read = [](const std::string& cid, const std::string& user) {
        return json::object{{"type", "message.read"},
                            {"cid", cid},
                            {"channel_id", cid.substr(cid.find(':') + 1)},
                            {"channel_type", "messaging"},
                            {"user", json::object{{"id", user}, {"name", user}}},
                            {"created_at", "2024-05-02T10:16:00Z"},
                            {"last_read_message_id", "m-1"}};
    };
    CHECK(p.feed(text_of(read("messaging:general", "jack"))) == fast_status::decoded);
    CHECK(p.summary("messaging:general").unread_count == 2);
    {
        auto e = read("messaging:general", own);
        e["thread"] = nullptr; // a thread read leaves the channel's count alone
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
        CHECK(p.summary("messaging:general").unread_count == 2);
    }
    CHECK(p.feed(text_of(read("messaging:general", own))) == fast_status::decoded);
    CHECK(p.summary("messaging:general").unread_count == 0);
    CHECK(p.feed(text_of(read("messaging:unknown", own))) == fast_status::decoded);
    CHECK(p.feed(text_of(read("messaging:full", own))) == fast_status::decoded);
    {
        auto e = read("messaging:random", own);
        e.erase("user");
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
        e["custom"] = json::object{{"thread", true}};
        CHECK(p.feed(text_of(e)) == fast_status::fallback);
    }
    for (const char* type : {"typing.start", "typing.stop", "user.watching.start", "user.watching.stop"}) {
        json::object e{{"type", type},
                       {"cid", "messaging:random"},
                       {"user", json::object{{"id", "jack"}}},
                       {"created_at", "2024-05-02T10:16:00Z"},
                       {"watcher_count", 3},
                       {"parent_id", "p"}};
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
        e["cid"] = "messaging:full";
        CHECK(p.feed(text_of(e)) == fast_status::decoded);
    }
    CHECK(p.feed(R"({"type":"health.check","cid":"*","connection_id":"c-1","created_at":"2024-05-02T10:16:00Z",)"
                 R"("me":{"id":"me","devices":[],"mutes":[],"channel_mutes":[],"total_unread_count":3}})") ==
          fast_status::decoded);
    CHECK(p.feed(R"({"type":"health.check"})") == fast_status::decoded);
    // Other types: the full path.
    CHECK(p.feed(R"({"type":"reaction.new","cid":"messaging:general","message":{"id":"m-1"}})") == fast_status::fallback);
    CHECK(p.feed(R"({"type":"custom.thing","cid":"messaging:general"})") == fast_status::fallback);
    CHECK(p.feed(R"({"cid":"messaging:general","created_at":"2024-05-02T10:16:00Z","type":"channel.truncated"})") ==
          fast_status::fallback);
}

TEST_CASE("fast path: the schema agrees with the codec, key by key")
{
    // For every key the fast decoder types: a value of that type is accepted by both paths, a value
    // of another type is rejected by the codec and not decoded by the fast path.
    const std::map<std::string, json::object> good_object = {
        {"user", {{"id", "u"}}},
        {"own_user", {{"id", "me"}}},
        {"device", {{"id", "d"}}},
        {"user_mute", {}},
        {"channel_mute", {}},
        {"channel_config", {}},
        {"channel", {{"cid", "messaging:general"}}},
        {"member", {}},
        {"attachment", {}},
        {"reaction", {{"type", "like"}}},
        {"message", {{"id", "m"}}},
    };
    // Where each object sits in a message.new frame: the path of keys (a number: an array index).
    const std::map<std::string, std::vector<std::string>> where = {
        {"event", {}},
        {"message", {"message"}},
        {"user", {"message", "user"}},
        {"own_user", {"me"}},
        {"device", {"me", "devices", "0"}},
        {"user_mute", {"me", "mutes", "0"}},
        {"channel_mute", {"me", "channel_mutes", "0"}},
        {"channel", {"channel"}},
        {"channel_config", {"channel", "config"}},
        {"member", {"member"}},
        {"attachment", {"message", "attachments", "0"}},
        {"reaction", {"reaction"}},
    };
    auto good_value = [&](const std::string& kind) -> json::value {
        if (kind == "string") return "x";
        if (kind == "bool") return true;
        if (kind == "int" || kind == "int64") return 7;
        if (kind == "time") return "2024-01-01T00:00:00Z";
        if (kind == "map:int") return json::object{{"k", 1}};
        if (kind == "array:string") return json::array{"a"};
        if (kind.rfind("array:object:", 0) == 0) return json::array{good_object.at(kind.substr(13))};
        if (kind.rfind("object:", 0) == 0) return good_object.at(kind.substr(7));
        return nullptr;
    };
    auto bad_values = [&](const std::string& kind) -> std::vector<json::value> {
        if (kind == "string") return {5, true, json::array{}};
        if (kind == "bool") return {"true", 1};
        if (kind == "int") return {"7", 7.5, 4294967296LL, true};
        if (kind == "int64") return {"7", 7.5, std::uint64_t(18446744073709551615ull)};
        if (kind == "time") return {"now", 5};
        if (kind == "map:int") return {json::object{{"k", "x"}}, json::object{{"k", nullptr}}, json::array{}};
        if (kind == "array:string") return {json::array{5}, json::array{nullptr}, "a"};
        if (kind.rfind("array:object:", 0) == 0) return {json::array{"x"}, json::array{nullptr}, json::object{}};
        if (kind.rfind("object:", 0) == 0) return {"x", json::array{}};
        return {};
    };

    const auto schema = detail::fast_schema();
    CHECK(schema.size() > 200);
    std::size_t checked = 0;
    for (const auto& k : schema) {
        if (k.kind == "extra") continue;
        REQUIRE(where.count(std::string(k.object)));
        auto frame_with = [&](const json::value* v) {
            json::object e = minimal_event("message.new", "messaging:general", minimal_message("m-s", "jack", "x"));
            json::value root = e;
            json::value* at = &root;
            for (const auto& step : where.at(std::string(k.object))) {
                if (step == "0") {
                    at = &at->as_array()[0];
                    continue;
                }
                json::object& o = at->as_object();
                if (!o.contains(step) || o[step].is_null()) {
                    const bool array = step == "devices" || step == "mutes" || step == "channel_mutes" ||
                                       step == "attachments";
                    const std::string obj = step == "devices" ? "device" : step == "mutes" ? "user_mute"
                                          : step == "channel_mutes" ? "channel_mute" : step == "attachments" ? "attachment"
                                          : step == "me" ? "own_user" : step == "config" ? "channel_config" : step;
                    if (array) o[step] = json::array{good_object.at(obj)};
                    else o[step] = good_object.at(obj);
                }
                at = &o[step];
            }
            json::object& target = at->as_object();
            if (v) target[k.key] = *v;
            else target.erase(k.key);
            return text_of(root.as_object());
        };
        INFO(k.object << "." << k.key << " : " << k.kind);
        detail::fast_decoder dec;
        detail::fast_event fe;
        event e;
        json::value good = good_value(k.kind);
        if (k.object == "event" && k.key == "type") good = "message.new";
        if (k.object == "channel" && k.key == "cid") good = "messaging:general";
        const std::string ok = frame_with(&good);
        CHECK_FALSE(detail::decode_event_frame(ok, e));
        CHECK(dec.decode(ok, fe) == fast_status::decoded);
        for (const auto& bad : bad_values(k.kind)) {
            const std::string f = frame_with(&bad);
            INFO(f);
            CHECK(detail::decode_event_frame(f, e));
            CHECK(dec.decode(f, fe) == fast_status::fallback);
        }
        if (k.required) {
            const std::string f = frame_with(nullptr);
            CHECK(detail::decode_event_frame(f, e));
            CHECK(dec.decode(f, fe) != fast_status::decoded);
        }
        ++checked;
    }
    CHECK(checked > 200);

    // Every key the codec writes for default objects is one the fast decoder knows.
    std::map<std::string, std::vector<std::string>> known;
    for (const auto& k : schema) known[std::string(k.object)].push_back(std::string(k.key));
    auto all_known = [&](const std::string& object, const json::object& written) {
        for (const auto& kv : written) {
            INFO(object << "." << std::string(kv.key()));
            const auto& keys = known[object];
            CHECK(std::find(keys.begin(), keys.end(), std::string(kv.key())) != keys.end());
        }
    };
    all_known("message", detail::encode(message{}).as_object());
    all_known("user", detail::encode(user{}).as_object());
    all_known("own_user", detail::encode(own_user{}).as_object());
    all_known("channel", detail::encode(channel{}).as_object());
    all_known("channel_config", detail::encode(channel_config{}).as_object());
    all_known("member", detail::encode(member{}).as_object());
    all_known("reaction", detail::encode(reaction{}).as_object());
    all_known("device", detail::encode(device{}).as_object());
    all_known("user_mute", detail::encode(user_mute{}).as_object());
    all_known("channel_mute", detail::encode(channel_mute{}).as_object());
    event ev;
    ev.type = event_type::message_new;
    all_known("event", detail::encode(ev).as_object());
}
