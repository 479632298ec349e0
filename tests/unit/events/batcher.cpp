#include "events/batcher.hpp"

#include <streamchat/model/event.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

using streamchat::batch_config;
using streamchat::event_type;
using streamchat::detail::coalesce_key;
using streamchat::detail::coalesce_key_for;
using streamchat::detail::event_batcher;

namespace {

using namespace std::chrono_literals;
using time_point = std::chrono::steady_clock::time_point;

struct item {
    event_type type = event_type::message_new;
    std::string cid = "messaging:general";
    std::string user = "alice";
    std::string parent{};
    int seq = 0;
};

struct item_key {
    std::optional<coalesce_key> operator()(const item& i) const noexcept
    {
        return coalesce_key_for(i.type, i.cid, i.user, i.parent);
    }
};

using batcher = event_batcher<item, item_key>;

time_point at(int ms)
{
    return time_point{} + std::chrono::milliseconds(ms);
}

batch_config config(std::chrono::milliseconds window, std::size_t max_events = 1000)
{
    batch_config cfg;
    cfg.window = window;
    cfg.max_events = max_events;
    return cfg;
}

item make(int seq, event_type type = event_type::message_new, std::string cid = "messaging:general",
          std::string user = "alice", std::string parent = {})
{
    return item{type, std::move(cid), std::move(user), std::move(parent), seq};
}

std::vector<int> seqs(const std::vector<item>& items)
{
    std::vector<int> out;
    for (const item& i : items)
        out.push_back(i.seq);
    return out;
}

// Everything polled at `now`, one vector of sequence numbers per batch.
std::vector<std::vector<int>> poll_seqs(batcher& b, time_point now)
{
    std::vector<std::vector<int>> out;
    for (const auto& batch : b.poll(now))
        out.push_back(seqs(batch.items));
    return out;
}

using batches = std::vector<std::vector<int>>;

} // namespace

TEST_CASE("batcher: a batch closes when its window has passed since its first item")
{
    batcher b(config(100ms));
    CHECK_FALSE(b.deadline());
    b.push(make(1), at(0));
    b.push(make(2), at(30));
    b.push(make(3), at(99));
    CHECK(b.deadline() == at(100)); // from the first item, not the last
    CHECK(b.poll(at(99)).empty());
    CHECK(b.open_size() == 3);

    auto ready = b.poll(at(100));
    REQUIRE(ready.size() == 1);
    CHECK(seqs(ready[0].items) == std::vector<int>{1, 2, 3});
    CHECK(ready[0].first_received == at(0));
    CHECK_FALSE(b.deadline());
    CHECK(b.empty());

    b.push(make(4), at(150));
    CHECK(b.deadline() == at(250));
    CHECK(b.metrics().pushed == 4);
    CHECK(b.metrics().batches == 1);
}

TEST_CASE("batcher: a push after the deadline closes the expired batch first")
{
    batcher b(config(100ms));
    b.push(make(1), at(0));
    b.push(make(2), at(150)); // the owner's timer was late
    CHECK(b.ready_count() == 1);
    CHECK(b.open_size() == 1);
    REQUIRE(b.deadline());
    CHECK(*b.deadline() <= at(150)); // poll at once

    auto ready = b.poll(at(150));
    REQUIRE(ready.size() == 1);
    CHECK(seqs(ready[0].items) == std::vector<int>{1});
    CHECK(b.deadline() == at(250));

    ready = b.poll(at(250));
    REQUIRE(ready.size() == 1);
    CHECK(seqs(ready[0].items) == std::vector<int>{2});
    CHECK(ready[0].first_received == at(150));
}

TEST_CASE("batcher: a batch closes as soon as it holds max_events items")
{
    batcher b(config(100ms, 3));
    for (int i = 1; i <= 5; ++i)
        b.push(make(i), at(0));
    CHECK(b.ready_count() == 1);
    CHECK(b.open_size() == 2);
    CHECK(b.deadline() == at(0));
    CHECK(poll_seqs(b, at(0)) == batches{{1, 2, 3}});
    CHECK(b.deadline() == at(100));
    CHECK(poll_seqs(b, at(100)) == batches{{4, 5}});

    SECTION("max_events 0 counts as 1")
    {
        batcher one(config(100ms, 0));
        one.push(make(1), at(0));
        one.push(make(2), at(0));
        CHECK(poll_seqs(one, at(0)) == batches{{1}, {2}});
    }
}

TEST_CASE("batcher: a zero window makes every push a batch of its own")
{
    batcher b(config(0ms));
    b.push(make(1, event_type::typing_start), at(0));
    CHECK(b.ready_count() == 1);
    CHECK(b.deadline() == at(0));
    b.push(make(2, event_type::typing_stop), at(0));
    b.push(make(3), at(0));
    CHECK(poll_seqs(b, at(0)) == batches{{1}, {2}, {3}});
    CHECK(b.metrics().coalesced == 0); // nothing to coalesce with
    CHECK(b.metrics().batches == 3);
    CHECK(b.empty());
}

TEST_CASE("batcher: flush closes the open batch whatever its age")
{
    batcher b(config(100ms));
    b.flush(); // nothing open: no empty batch
    CHECK(b.empty());
    b.push(make(1), at(0));
    b.push(make(2), at(10));
    b.flush();
    CHECK(b.deadline() == at(0));
    b.push(make(3), at(20)); // after the flush: a new batch
    auto ready = b.poll(at(20));
    REQUIRE(ready.size() == 1);
    CHECK(seqs(ready[0].items) == std::vector<int>{1, 2});
    CHECK(b.open_size() == 1);
    CHECK(b.deadline() == at(120));
}

TEST_CASE("coalesce_key_for: which kinds coalesce, and with what")
{
    const auto key = [](event_type t, const char* cid, const char* user, const char* parent = "") {
        return coalesce_key_for(t, cid, user, parent);
    };

    SECTION("typing start and stop share a key per channel, user and thread")
    {
        CHECK(key(event_type::typing_start, "m:a", "u") == key(event_type::typing_stop, "m:a", "u"));
        CHECK(key(event_type::typing_start, "m:a", "u") != key(event_type::typing_start, "m:b", "u"));
        CHECK(key(event_type::typing_start, "m:a", "u") != key(event_type::typing_start, "m:a", "v"));
        CHECK(key(event_type::typing_start, "m:a", "u") != key(event_type::typing_start, "m:a", "u", "p"));
    }
    SECTION("watching start and stop share a key per channel and user")
    {
        CHECK(key(event_type::user_watching_start, "m:a", "u") ==
              key(event_type::user_watching_stop, "m:a", "u"));
        CHECK(key(event_type::user_watching_start, "m:a", "u") !=
              key(event_type::user_watching_start, "m:a", "v"));
        CHECK(key(event_type::user_watching_start, "m:a", "u") !=
              key(event_type::typing_start, "m:a", "u"));
    }
    SECTION("presence is per user, whatever the channel")
    {
        CHECK(key(event_type::user_presence_changed, "m:a", "u") ==
              key(event_type::user_presence_changed, "", "u"));
        CHECK(key(event_type::user_presence_changed, "", "u") !=
              key(event_type::user_presence_changed, "", "v"));
    }
    SECTION("read states are per channel, user and thread, one kind each")
    {
        CHECK(key(event_type::message_read, "m:a", "u"));
        CHECK(key(event_type::message_read, "m:a", "u") != key(event_type::message_read, "m:a", "u", "t"));
        CHECK(key(event_type::message_read, "m:a", "u") != key(event_type::notification_mark_read, "m:a", "u"));
        CHECK(key(event_type::notification_mark_read, "", "")); // totals only
        CHECK(key(event_type::notification_mark_read, "m:a", "") != key(event_type::notification_mark_read, "", ""));
    }
    SECTION("a kind that needs a user or a channel does not coalesce without one")
    {
        CHECK_FALSE(key(event_type::typing_start, "m:a", ""));
        CHECK_FALSE(key(event_type::typing_start, "", "u"));
        CHECK_FALSE(key(event_type::user_watching_stop, "", "u"));
        CHECK_FALSE(key(event_type::user_presence_changed, "", ""));
        CHECK_FALSE(key(event_type::message_read, "m:a", ""));
    }
    SECTION("other kinds never coalesce")
    {
        for (event_type t : {event_type::unknown, event_type::health_check, event_type::message_new,
                             event_type::message_updated, event_type::message_deleted,
                             event_type::message_delivered, event_type::user_updated,
                             event_type::reaction_new, event_type::member_added,
                             event_type::channel_updated, event_type::notification_message_new,
                             event_type::notification_mark_unread, event_type::connection_changed})
            CHECK_FALSE(key(t, "m:a", "u"));
    }
}

TEST_CASE("batcher: the survivor of coalescing takes the newest position")
{
    batcher b(config(100ms));

    SECTION("typing")
    {
        b.push(make(1, event_type::typing_start), at(0));
        b.push(make(2, event_type::message_new), at(1));
        b.push(make(3, event_type::typing_stop), at(2));
        CHECK(poll_seqs(b, at(100)) == batches{{2, 3}});
    }
    SECTION("message.read: the read of a message never comes before the message")
    {
        b.push(make(1, event_type::message_read), at(0));
        b.push(make(2, event_type::message_new, "messaging:general", "bob"), at(1));
        b.push(make(3, event_type::message_read), at(2));
        CHECK(poll_seqs(b, at(100)) == batches{{2, 3}});
    }
    SECTION("watching: per user, so another user's start survives")
    {
        b.push(make(1, event_type::user_watching_start, "m:a", "alice"), at(0));
        b.push(make(2, event_type::user_watching_start, "m:a", "bob"), at(1));
        b.push(make(3, event_type::user_watching_stop, "m:a", "alice"), at(2));
        CHECK(poll_seqs(b, at(100)) == batches{{2, 3}});
    }
    SECTION("presence: per user; user.updated never coalesces")
    {
        b.push(make(1, event_type::user_presence_changed, "", "alice"), at(0));
        b.push(make(2, event_type::user_presence_changed, "", "bob"), at(1));
        b.push(make(3, event_type::message_new, "m:a"), at(2));
        b.push(make(4, event_type::user_presence_changed, "", "alice"), at(3));
        b.push(make(5, event_type::user_updated, "", "alice"), at(4));
        b.push(make(6, event_type::user_updated, "", "alice"), at(5));
        CHECK(poll_seqs(b, at(100)) == batches{{2, 3, 4, 5, 6}});
    }
    SECTION("notification.mark_read: per channel, totals-only ones together")
    {
        b.push(make(1, event_type::notification_mark_read, "m:a", ""), at(0));
        b.push(make(2, event_type::notification_mark_read, "m:a", ""), at(1));
        b.push(make(3, event_type::notification_mark_read, "", ""), at(2));
        b.push(make(4, event_type::notification_mark_read, "", ""), at(3));
        CHECK(poll_seqs(b, at(100)) == batches{{2, 4}});
    }
    SECTION("keys differing in channel, user or thread stay apart")
    {
        b.push(make(1, event_type::typing_start, "m:a", "alice"), at(0));
        b.push(make(2, event_type::typing_start, "m:b", "alice"), at(0));
        b.push(make(3, event_type::typing_start, "m:a", "bob"), at(0));
        b.push(make(4, event_type::typing_start, "m:a", "alice", "thread"), at(0));
        b.push(make(5, event_type::typing_stop, "m:a", "alice"), at(0));
        CHECK(poll_seqs(b, at(100)) == batches{{2, 3, 4, 5}});
    }
}

TEST_CASE("batcher: coalescing is counted and stays inside one batch")
{
    batcher b(config(100ms));
    b.push(make(1, event_type::typing_start), at(0));
    b.push(make(2, event_type::typing_stop), at(10));
    b.push(make(3, event_type::typing_start), at(20));
    CHECK(b.open_size() == 1);
    CHECK(b.metrics().coalesced == 2);
    CHECK(poll_seqs(b, at(100)) == batches{{3}});

    b.push(make(4, event_type::typing_stop), at(150)); // a new batch: nothing to absorb
    CHECK(poll_seqs(b, at(250)) == batches{{4}});
    CHECK(b.metrics().coalesced == 2);
    CHECK(b.metrics().pushed == 4);
}

TEST_CASE("batcher: items without a key are never dropped or reordered")
{
    batcher b(config(100ms, 100000));
    const event_type kinds[] = {event_type::message_new, event_type::message_updated,
                                event_type::message_deleted, event_type::reaction_new,
                                event_type::user_updated, event_type::unknown};
    std::vector<int> expected;
    for (int i = 0; i < 3000; ++i) {
        b.push(make(i, kinds[i % 6]), at(0)); // same channel and user throughout
        expected.push_back(i);
    }
    CHECK(poll_seqs(b, at(100)) == batches{expected});
    CHECK(b.metrics().coalesced == 0);
}

TEST_CASE("batcher: max_events counts items after coalescing")
{
    batcher b(config(100ms, 3));
    for (int i = 1; i <= 5; ++i)
        b.push(make(i, event_type::typing_start), at(0));
    CHECK(b.open_size() == 1);
    CHECK(b.ready_count() == 0);
    b.push(make(6), at(1));
    CHECK(b.ready_count() == 0);
    b.push(make(7), at(2));
    CHECK(poll_seqs(b, at(2)) == batches{{5, 6, 7}});
    CHECK(b.metrics().coalesced == 4);
}

TEST_CASE("batcher: a long burst of few keys gives the same batch as without compaction")
{
    batcher b(config(100ms, 100000));
    const char* users[] = {"alice", "bob", "carol-with-a-name-longer-than-sso"};
    std::vector<int> expected;
    for (int i = 0; i < 10000; ++i) {
        if (i % 100 == 0)
            b.push(make(i, event_type::message_new), at(0));
        else
            b.push(make(i, i % 2 ? event_type::typing_start : event_type::typing_stop,
                        "messaging:general", users[i % 3]),
                   at(0));
    }
    for (int i = 0; i < 10000; i += 100)
        expected.push_back(i);
    expected.insert(expected.end(), {9997, 9998, 9999}); // the last typing event of each user
    CHECK(b.open_size() == expected.size());
    CHECK(poll_seqs(b, at(100)) == batches{expected});
    CHECK(b.metrics().coalesced == 10000 - expected.size());
}

TEST_CASE("batcher: lag and storage are reported back by the owner")
{
    batcher b(config(100ms));
    b.push(make(1), at(0));
    b.push(make(2), at(50));
    auto ready = b.poll(at(100));
    REQUIRE(ready.size() == 1);
    CHECK(b.metrics().max_lag == std::chrono::steady_clock::duration::zero()); // not delivered yet
    b.record_delivery(ready[0], at(130));
    CHECK(b.metrics().max_lag == 130ms);
    b.record_delivery(ready[0], at(110)); // smaller: kept at the maximum
    CHECK(b.metrics().max_lag == 130ms);

    // Storage handed back is used again: the open batch took fresh storage when the first one
    // closed, and the recycled one when the second one closes.
    const item* storage = ready[0].items.data();
    b.recycle(std::move(ready[0]));
    b.push(make(3), at(200));
    b.flush();
    b.push(make(4), at(200));
    b.flush();
    ready = b.poll(at(200));
    REQUIRE(ready.size() == 2);
    CHECK(ready[1].items.data() == storage);
    CHECK(seqs(ready[1].items) == std::vector<int>{4});
}

namespace {

// The batching rules written as plainly as possible, for comparison.
struct reference_batcher {
    std::chrono::steady_clock::duration window;
    std::size_t max_events;
    std::vector<item> open;
    time_point opened{};
    std::vector<std::pair<std::vector<int>, time_point>> ready;

    void close()
    {
        ready.emplace_back(seqs(open), opened);
        open.clear();
    }
    void push(const item& it, time_point now)
    {
        if (!open.empty() && now - opened >= window)
            close();
        if (open.empty())
            opened = now;
        if (const auto key = item_key{}(it)) {
            const auto same = std::find_if(open.begin(), open.end(),
                                           [&](const item& o) { return item_key{}(o) == key; });
            if (same != open.end())
                open.erase(same);
        }
        open.push_back(it);
        if (window == window.zero() || open.size() >= max_events)
            close();
    }
    std::vector<std::pair<std::vector<int>, time_point>> poll(time_point now)
    {
        if (!open.empty() && now - opened >= window)
            close();
        return std::exchange(ready, {});
    }
};

} // namespace

TEST_CASE("batcher: random pushes, polls and flushes agree with a plain reference")
{
    const std::pair<int, std::size_t> configs[] = {{0, 1},  {1, 3},   {5, 8},
                                                   {5, 200}, {50, 200}, {50, 100000}};
    const event_type kinds[] = {event_type::message_new,         event_type::message_updated,
                                event_type::typing_start,        event_type::typing_stop,
                                event_type::user_watching_start, event_type::user_watching_stop,
                                event_type::user_presence_changed, event_type::user_updated,
                                event_type::message_read,        event_type::notification_mark_read};
    const char* cids[] = {"messaging:general", "messaging:a-channel-id-longer-than-sso", ""};
    const char* users[] = {"alice", "bob-with-an-identifier-longer-than-sso", ""};
    const char* parents[] = {"", "parent-1"};

    for (auto [window_ms, max_events] : configs) {
        INFO("window " << window_ms << " ms, max_events " << max_events);
        const auto cfg = config(std::chrono::milliseconds(window_ms), max_events);
        batcher b(cfg);
        reference_batcher ref{std::chrono::milliseconds(window_ms), max_events, {}, {}, {}};
        std::mt19937 rng(static_cast<unsigned>(window_ms * 1000003 + static_cast<int>(max_events)));
        const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
        time_point now{};

        std::vector<batcher::batch> got; // reused across polls, as an owner would
        const auto compare_poll = [&] {
            REQUIRE(got.empty());
            const std::size_t n = b.poll(now, got);
            const auto want = ref.poll(now);
            REQUIRE(n == want.size());
            REQUIRE(got.size() == want.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                CHECK(seqs(got[i].items) == want[i].first);
                CHECK(got[i].first_received == want[i].second);
                b.record_delivery(got[i], now);
                b.recycle(std::move(got[i]));
            }
            got.clear();
        };

        for (int step = 0; step < 20000; ++step) {
            if (pick(40) == 0)
                now += std::chrono::milliseconds(pick(4));
            const std::size_t op = pick(100);
            if (op < 90) {
                const item it{kinds[pick(10)], cids[pick(3)], users[pick(3)], parents[pick(2)], step};
                b.push(it, now);
                ref.push(it, now);
                REQUIRE(b.open_size() == ref.open.size());
            } else if (op < 99) {
                compare_poll();
            } else {
                b.flush();
                if (!ref.open.empty())
                    ref.close();
            }
        }
        b.flush();
        if (!ref.open.empty())
            ref.close();
        compare_poll();
        CHECK(b.empty());
        CHECK(b.metrics().pushed - b.metrics().coalesced >= b.metrics().batches);
    }
}
