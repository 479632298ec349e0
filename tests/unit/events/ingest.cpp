// event_ingest: the compact path applies at receipt and announces each channel once per batch;
// the typed path applies at batch close; per-channel order holds across the two; and whatever
// the path, the store ends as it would with every event typed.

#include "events/ingest.hpp"

#include <streamchat/channel_store.hpp>

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace streamchat;
using detail::event_ingest;
using detail::fifo;
using detail::frame_outcome;
using namespace std::chrono_literals;

namespace {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

const std::string own = "me";
const clock_type::time_point t0{};

std::string stamp(int n)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "2024-05-02T10:%02d:%02d.%03dZ", (n / 60000) % 60, (n / 1000) % 60, n % 1000);
    return buf;
}

std::string message_new(const std::string& cid, const std::string& id, int at, const std::string& user = "jack",
                        const char* type = "message.new")
{
    const json::object u{{"id", user}};
    const json::object m{{"id", id}, {"text", "hello " + id}, {"type", "regular"}, {"cid", cid},
                         {"user", u}, {"created_at", stamp(at)}, {"updated_at", stamp(at)}};
    return json::serialize(json::object{{"type", type}, {"cid", cid}, {"message", m}, {"user", u},
                                        {"created_at", stamp(at)}});
}

std::string message_read(const std::string& cid, const std::string& user, int at)
{
    return json::serialize(json::object{{"type", "message.read"}, {"cid", cid}, {"user", json::object{{"id", user}}},
                                        {"created_at", stamp(at)}});
}

std::string channel_updated(const std::string& cid, const std::string& name, int at)
{
    const auto colon = cid.find(':');
    const json::object ch{{"cid", cid}, {"type", cid.substr(0, colon)}, {"id", cid.substr(colon + 1)}, {"name", name}};
    return json::serialize(json::object{{"type", "channel.updated"}, {"cid", cid}, {"channel", ch},
                                        {"created_at", stamp(at)}});
}

std::string mark_all_read(int at)
{
    return json::serialize(json::object{{"type", "notification.mark_read"}, {"unread_channels", 0},
                                        {"total_unread_count", 0}, {"user", json::object{{"id", own}}},
                                        {"created_at", stamp(at)}});
}

void seed(channel_store& s, const std::vector<std::string>& ids, const std::set<std::string>& materialised)
{
    for (const auto& id : ids) {
        channel_state st;
        st.channel.type = "messaging";
        st.channel.id = id;
        st.channel.cid = "messaging:" + id;
        st.channel.member_count = 3;
        read_state r;
        r.user.id = own;
        r.unread_messages = 1;
        st.read.push_back(r);
        s.upsert(st, materialised.contains(id));
    }
}

batch_config window(std::chrono::milliseconds w, bool compact = true)
{
    batch_config c;
    c.window = w;
    c.compact_unwatched = compact;
    return c;
}

/// The i-th batch polled (the queue is a list).
const event_batch& at(const fifo<event_batch>& q, std::size_t i) { return *std::next(q.begin(), static_cast<std::ptrdiff_t>(i)); }

struct fixture {
    channel_store store{own};
    event_ingest in;
    fifo<event_batch> out;
    explicit fixture(batch_config cfg = window(100ms), std::function<bool(std::string_view)> typed_only = {})
        : in(store, cfg, std::move(typed_only))
    {
        seed(store, {"a", "b", "c", "full"}, {"full"});
    }
};

} // namespace

TEST_CASE("ingest: an unwatched channel's messages reach its summary at once, announced once per batch")
{
    fixture f;
    CHECK(f.in.on_frame(message_new("messaging:a", "m1", 1), t0) == frame_outcome::applied);
    CHECK(f.store.summary("messaging:a")->unread_count == 2); // before any poll
    CHECK(f.in.on_frame(message_new("messaging:a", "m2", 2), t0 + 1ms) == frame_outcome::applied);
    CHECK(f.in.on_frame(message_new("messaging:b", "m3", 3), t0 + 2ms) == frame_outcome::applied);
    CHECK(f.store.summary("messaging:a")->last_message_id == "m2");

    f.in.poll(t0 + 50ms, f.out);
    CHECK(f.out.empty()); // the window is still open
    f.in.poll(t0 + 100ms, f.out);
    REQUIRE(f.out.size() == 1);
    CHECK(at(f.out, 0).events.empty());
    CHECK(at(f.out, 0).summaries_changed == std::vector<std::string>{"messaging:a", "messaging:b"});
    CHECK(at(f.out, 0).first_received == t0);
    CHECK(f.in.metrics().compact == 3);
    CHECK(f.in.metrics().applied == 3);

    // The next window announces `a` again.
    CHECK(f.in.on_frame(message_new("messaging:a", "m4", 4), t0 + 200ms) == frame_outcome::applied);
    f.in.flush();
    f.in.poll(t0 + 200ms, f.out);
    REQUIRE(f.out.size() == 2);
    CHECK(at(f.out, 1).summaries_changed == std::vector<std::string>{"messaging:a"});
}

TEST_CASE("ingest: a materialised channel's events are typed and applied when the batch closes")
{
    fixture f;
    CHECK(f.in.on_frame(message_new("messaging:full", "m1", 1), t0) == frame_outcome::queued);
    CHECK(f.store.state("messaging:full")->messages.empty()); // not yet
    f.in.poll(t0 + 100ms, f.out);
    REQUIRE(f.out.size() == 1);
    REQUIRE(at(f.out, 0).events.size() == 1);
    CHECK(at(f.out, 0).events[0].type == event_type::message_new);
    CHECK(at(f.out, 0).summaries_changed.empty());
    REQUIRE(f.store.state("messaging:full")->messages.size() == 1);
    CHECK(f.in.metrics().compact == 0);
}

TEST_CASE("ingest: a channel with a typed event waiting keeps its later events behind it")
{
    fixture f;
    // channel.updated has no compact form: it waits in the batch.
    CHECK(f.in.on_frame(channel_updated("messaging:a", "Renamed", 1), t0) == frame_outcome::queued);
    // So a later message of `a` must not overtake it...
    CHECK(f.in.on_frame(message_new("messaging:a", "m1", 2), t0 + 1ms) == frame_outcome::queued);
    // ...while another channel's may.
    CHECK(f.in.on_frame(message_new("messaging:b", "m2", 3), t0 + 2ms) == frame_outcome::applied);
    f.in.poll(t0 + 100ms, f.out);
    REQUIRE(f.out.size() == 1);
    REQUIRE(at(f.out, 0).events.size() == 2);
    CHECK(at(f.out, 0).events[0].type == event_type::channel_updated);
    CHECK(at(f.out, 0).events[1].type == event_type::message_new);
    CHECK(at(f.out, 0).summaries_changed == std::vector<std::string>{"messaging:b"});
    CHECK(f.store.summary("messaging:a")->name == "Renamed");
    CHECK(f.store.summary("messaging:a")->last_message_id == "m1");

    // Once that batch is applied, `a` is free for the compact path again.
    CHECK(f.in.on_frame(message_new("messaging:a", "m3", 4), t0 + 150ms) == frame_outcome::applied);
}

TEST_CASE("ingest: a channel-less mark-all-read holds every channel's compact events behind it")
{
    fixture f;
    CHECK(f.in.on_frame(message_new("messaging:a", "m1", 1), t0) == frame_outcome::applied);
    CHECK(f.in.on_frame(mark_all_read(2), t0 + 1ms) == frame_outcome::queued);
    // Applied now, this message would be wiped by the older mark-read at batch close.
    CHECK(f.in.on_frame(message_new("messaging:b", "m2", 3), t0 + 2ms) == frame_outcome::queued);
    f.in.poll(t0 + 101ms, f.out); // the batch opened at 1 ms
    CHECK(f.store.summary("messaging:a")->unread_count == 0);
    CHECK(f.store.summary("messaging:b")->unread_count == 1); // m2 after the reset
    CHECK(f.in.on_frame(message_new("messaging:c", "m3", 4), t0 + 160ms) == frame_outcome::applied);
}

TEST_CASE("ingest: a channel being watched takes the typed path")
{
    fixture f(window(100ms), [](std::string_view cid) { return cid == "messaging:c"; });
    CHECK(f.in.on_frame(message_new("messaging:c", "m1", 1), t0) == frame_outcome::queued);
    CHECK(f.in.on_frame(message_new("messaging:b", "m2", 2), t0) == frame_outcome::applied);
}

TEST_CASE("ingest: with compact_unwatched off every event is typed")
{
    fixture f(window(100ms, false));
    CHECK(f.in.on_frame(message_new("messaging:a", "m1", 1), t0) == frame_outcome::queued);
    CHECK(f.store.summary("messaging:a")->unread_count == 1);
    f.in.poll(t0 + 100ms, f.out);
    REQUIRE(f.out.size() == 1);
    CHECK(at(f.out, 0).events.size() == 1);
    CHECK(f.store.summary("messaging:a")->unread_count == 2);
}

TEST_CASE("ingest: a message is applied once, whichever path saw it first")
{
    for (const bool compact : {true, false}) {
        fixture f(window(0ms, compact));
        const auto frame = message_new("messaging:a", "m1", 1);
        const auto first = f.in.on_frame(frame, t0);
        CHECK((first == frame_outcome::applied || first == frame_outcome::queued));
        CHECK(f.in.on_frame(frame, t0) == frame_outcome::duplicate);
        CHECK(f.in.on_frame(message_new("messaging:a", "m1", 1, "jack", "notification.message_new"), t0) ==
              frame_outcome::duplicate);
        f.in.poll(t0, f.out);
        CHECK(f.store.summary("messaging:a")->unread_count == 2);
        CHECK(f.in.metrics().duplicates == 2);

        // A /sync answer repeating it is skipped too; an id learnt from a query as well.
        event e;
        e.type = event_type::message_new;
        e.cid = "messaging:a";
        e.message.emplace();
        e.message->id = "m1";
        CHECK_FALSE(f.in.push(e, t0));
        f.in.remember("m9");
        CHECK(f.in.on_frame(message_new("messaging:a", "m9", 9), t0) == frame_outcome::duplicate);
    }
}

TEST_CASE("ingest: malformed frames are counted, explained and skipped")
{
    fixture f;
    std::string why;
    CHECK(f.in.on_frame("{\"type\":", t0, &why) == frame_outcome::malformed);
    CHECK_FALSE(why.empty());
    CHECK(f.in.on_frame("[1,2]", t0) == frame_outcome::malformed);
    CHECK(f.in.on_frame(R"({"type":"message.new","cid":"messaging:a","message":{"id":7}})", t0) ==
          frame_outcome::malformed);
    CHECK(f.in.metrics().malformed == 3);
    CHECK(f.in.on_frame(R"({"type":"health.check","created_at":"2024-05-02T10:00:00Z"})", t0) ==
          frame_outcome::health_check);
    REQUIRE(f.in.last_server_time());
    CHECK(*f.in.last_server_time() == *parse_timestamp("2024-05-02T10:00:00Z"));
    f.in.flush();
    f.in.poll(t0, f.out);
    CHECK(f.out.empty());
}

TEST_CASE("ingest: random interleavings end in the store that typed-only ingest makes")
{
    // Two ingests, compact on and off, fed the same frames with random polls in between: after a
    // final flush the summaries must agree field by field.
    std::mt19937 rng(20261201);
    const std::vector<std::string> ids{"a", "b", "c", "full"};
    for (int round = 0; round < 30; ++round) {
        fixture on(window(std::chrono::milliseconds(rng() % 3 * 50)));
        fixture off(window(std::chrono::milliseconds(rng() % 3 * 50), false));
        auto now = t0;
        int at = 0;
        for (int i = 0; i < 300; ++i) {
            const std::string cid = "messaging:" + ids[rng() % ids.size()];
            std::string frame;
            switch (rng() % 8) {
                case 0: frame = message_read(cid, rng() % 2 ? own : "jack", ++at); break;
                case 1: frame = channel_updated(cid, "n" + std::to_string(i), ++at); break;
                case 2: frame = mark_all_read(++at); break;
                case 3: frame = message_new(cid, "m" + std::to_string(rng() % 200), ++at, own); break;
                case 4: frame = message_new(cid, "m" + std::to_string(i), ++at, "jack", "notification.message_new"); break;
                default: frame = message_new(cid, "m" + std::to_string(rng() % 400), ++at); break;
            }
            now += std::chrono::milliseconds(rng() % 40);
            on.in.on_frame(frame, now);
            off.in.on_frame(frame, now);
            if (rng() % 10 == 0) {
                on.in.poll(now, on.out);
                off.in.poll(now, off.out);
            }
        }
        on.in.flush();
        off.in.flush();
        on.in.poll(now, on.out);
        off.in.poll(now, off.out);
        for (const auto& id : ids) {
            INFO("round " << round << " channel " << id);
            const auto a = on.store.summary("messaging:" + id);
            const auto b = off.store.summary("messaging:" + id);
            REQUIRE(a);
            REQUIRE(b);
            CHECK(a->name == b->name);
            CHECK(a->last_message_id == b->last_message_id);
            CHECK(a->last_message_preview == b->last_message_preview);
            CHECK(a->last_message_at == b->last_message_at);
            CHECK(a->unread_count == b->unread_count);
            CHECK(a->member_count == b->member_count);
        }
        // Every frame is accounted for: applied on one path or the other, or coalesced away.
        CHECK(on.in.metrics().applied + on.in.coalesced() == off.in.metrics().applied + off.in.coalesced());
        CHECK(on.in.metrics().duplicates == off.in.metrics().duplicates);
    }
}
