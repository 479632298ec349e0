// The profile cache: hits, batching of one tick's misses, single flight, failures, TTL, LRU,
// profiles from payloads and events, and a randomized run checking that every waiter completes
// exactly once with exactly what it waited for.

#include "users/profile_cache.hpp"

#include <streamchat/model/user.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using streamchat::error;
using streamchat::timestamp;
using streamchat::user;
using streamchat::user_profile;
using streamchat::detail::profile_cache;
using streamchat::detail::profile_cache_config;

namespace {

using strings = std::vector<std::string>;
using time_point = profile_cache::time_point;

const time_point t0 = time_point{} + 1000h;

user_profile profile(std::string id, std::string name = {})
{
    user_profile p;
    p.id = std::move(id);
    p.name = name.empty() ? "Name of " + p.id : std::move(name);
    p.image = "https://example.com/" + p.id + ".png";
    return p;
}

strings ids_of(const std::vector<user_profile>& ps)
{
    strings out;
    for (const auto& p : ps) out.push_back(p.id);
    return out;
}

strings numbered(const std::string& prefix, int n)
{
    strings out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
}

profile_cache cache_with(std::size_t capacity, std::size_t max_batch = 100)
{
    profile_cache_config cfg;
    cfg.capacity = capacity;
    cfg.max_batch = max_batch;
    return profile_cache(cfg);
}

// The server: knows every id except those starting with "ghost".
std::vector<user_profile> answer(const profile_cache::batch& b)
{
    std::vector<user_profile> out;
    for (const auto& id : b.ids)
        if (id.rfind("ghost", 0) != 0) out.push_back(profile(id));
    return out;
}

} // namespace

TEST_CASE("profile_cache: a page of 30 costs one call, a revisit within the TTL none")
{
    profile_cache c;
    strings page = numbered("u", 29);
    page.push_back("ghost-1");

    auto first = c.get(page, t0);
    CHECK(first.hits.empty());
    CHECK(first.waiter != 0);
    CHECK(first.pending == 30);
    auto batches = c.take_batches();
    REQUIRE(batches.size() == 1);
    CHECK(batches[0].ids == page);
    CHECK_FALSE(c.has_queued());
    CHECK(c.take_results().empty()); // nothing completes before the answer

    REQUIRE(c.complete(batches[0].id, answer(batches[0]), t0 + 20ms));
    auto results = c.take_results();
    REQUIRE(results.size() == 1);
    CHECK(results[0].waiter == first.waiter);
    CHECK_FALSE(results[0].ec);
    CHECK(ids_of(results[0].found) == numbered("u", 29));
    CHECK(results[0].missing == strings{"ghost-1"});
    CHECK(results[0].failed.empty());

    auto again = c.get(page, t0 + 50s);
    CHECK(again.waiter == 0);
    CHECK(again.pending == 0);
    CHECK(ids_of(again.hits) == numbered("u", 29));
    CHECK(again.missing == strings{"ghost-1"}); // "no such user" holds for a minute
    CHECK(c.take_batches().empty());
    auto m = c.metrics();
    CHECK(m.requests == 1);
    CHECK(m.misses == 30);
    CHECK(m.hits == 30);
    CHECK(m.entries == 30);

    // Four minutes on, only the unknown id is asked again.
    auto later = c.get(page, t0 + 4min);
    CHECK(later.hits.size() == 29);
    CHECK(later.pending == 1);
    m = c.metrics();
    CHECK(m.misses == 31);
    CHECK(m.expired == 1);
}

TEST_CASE("profile_cache: the misses of one tick go out in batches of at most 100 ids")
{
    profile_cache c;
    const strings a = numbered("a", 120), b = numbered("b", 130);
    const auto w1 = c.get(a, t0);
    const auto w2 = c.get(b, t0);
    CHECK(w1.waiter != w2.waiter);
    const auto batches = c.take_batches();
    REQUIRE(batches.size() == 3);
    CHECK(batches[0].ids.size() == 100);
    CHECK(batches[1].ids.size() == 100);
    CHECK(batches[2].ids.size() == 50);
    std::set<std::string> all;
    for (const auto& bt : batches) all.insert(bt.ids.begin(), bt.ids.end());
    CHECK(all.size() == 250);
    CHECK(c.metrics().requests == 3);

    // Answers in any order; each waiter completes when its last id is in. The middle batch holds
    // the end of the first waiter's ids and the start of the second's.
    CHECK(batches[1].ids.front() == "a100");
    CHECK(batches[1].ids.back() == "b79");
    CHECK(c.complete(batches[2].id, answer(batches[2]), t0));
    CHECK(c.take_results().empty());
    CHECK(c.complete(batches[0].id, answer(batches[0]), t0));
    CHECK(c.take_results().empty());
    CHECK(c.complete(batches[1].id, answer(batches[1]), t0));
    const auto r = c.take_results();
    REQUIRE(r.size() == 2);
    CHECK(r[0].waiter == w1.waiter);
    CHECK(r[0].found.size() == 120);
    CHECK(r[1].waiter == w2.waiter);
    CHECK(r[1].found.size() == 130);

    SECTION("a smaller batch size")
    {
        auto small = cache_with(1000, 7);
        small.get(numbered("x", 15), t0);
        const auto bs = small.take_batches();
        REQUIRE(bs.size() == 3);
        CHECK(bs[2].ids.size() == 1);
    }
}

TEST_CASE("profile_cache: an id asked again while pending joins its request")
{
    profile_cache c;
    SECTION("queued in the same tick")
    {
        const auto w1 = c.get({"x", "y"}, t0);
        const auto w2 = c.get({"y", "x", "x"}, t0);
        CHECK(w1.pending == 2);
        CHECK(w2.pending == 2); // repeated ids count once
        const auto bs = c.take_batches();
        REQUIRE(bs.size() == 1);
        CHECK(bs[0].ids == strings{"x", "y"});
        c.complete(bs[0].id, answer(bs[0]), t0);
        const auto r = c.take_results();
        REQUIRE(r.size() == 2);
        CHECK(r[0].waiter == w1.waiter);
        CHECK(r[0].found.size() == 2);
        CHECK(r[1].found.size() == 2);
        CHECK(c.metrics().joined == 2);
    }
    SECTION("in flight")
    {
        const auto w1 = c.get({"a", "b"}, t0);
        const auto b1 = c.take_batches();
        const auto w2 = c.get({"b", "c"}, t0 + 1ms);
        const auto b2 = c.take_batches();
        REQUIRE(b2.size() == 1);
        CHECK(b2[0].ids == strings{"c"}); // no second request for b
        c.complete(b1[0].id, answer(b1[0]), t0 + 2ms);
        auto r = c.take_results();
        REQUIRE(r.size() == 1);
        CHECK(r[0].waiter == w1.waiter);
        c.complete(b2[0].id, answer(b2[0]), t0 + 3ms);
        r = c.take_results();
        REQUIRE(r.size() == 1);
        CHECK(r[0].waiter == w2.waiter);
        CHECK(ids_of(r[0].found) == strings{"b", "c"});
        CHECK(c.metrics().requests == 2);
        CHECK(c.metrics().joined == 1);
    }
}

TEST_CASE("profile_cache: a failed batch completes its waiters with the error and caches nothing")
{
    auto c = cache_with(100, 2);
    const auto w = c.get({"a", "b", "c"}, t0);
    const auto bs = c.take_batches();
    REQUIRE(bs.size() == 2);
    const auto joined = c.get({"a"}, t0);
    CHECK(c.fail(bs[0].id, error::request_timeout));
    auto r = c.take_results();
    REQUIRE(r.size() == 1); // the joined waiter: its only id failed
    CHECK(r[0].waiter == joined.waiter);
    CHECK(r[0].ec == error::request_timeout);
    CHECK(r[0].failed == strings{"a"});
    CHECK(c.complete(bs[1].id, answer(bs[1]), t0));
    r = c.take_results();
    REQUIRE(r.size() == 1);
    CHECK(r[0].waiter == w.waiter);
    CHECK(r[0].ec == error::request_timeout);
    CHECK(r[0].failed == strings{"a", "b"});
    CHECK(ids_of(r[0].found) == strings{"c"});
    CHECK(c.peek("a") == nullptr);

    // Asked again: a new request.
    const auto again = c.get({"a", "c"}, t0);
    CHECK(ids_of(again.hits) == strings{"c"});
    CHECK(again.pending == 1);
    const auto retry = c.take_batches();
    REQUIRE(retry.size() == 1);
    CHECK(retry[0].ids == strings{"a"});

    CHECK_FALSE(c.fail(bs[0].id, error::request_timeout)); // already reported
    CHECK_FALSE(c.complete(bs[1].id, answer(bs[1]), t0));
    CHECK_FALSE(c.complete(12345, answer(bs[1]), t0));
}

TEST_CASE("profile_cache: entries expire after their TTL, stale ones stay visible to peek")
{
    profile_cache_config cfg;
    cfg.ttl = 5min;
    cfg.missing_ttl = 1min;
    profile_cache c(cfg);
    c.put(profile("a"), t0);
    CHECK(c.find("a", t0 + 5min - 1ns) != nullptr);
    CHECK(c.get({"a"}, t0 + 5min - 1ns).hits.size() == 1);
    const auto late = c.get({"a"}, t0 + 5min);
    CHECK(late.hits.empty());
    CHECK(late.pending == 1);
    CHECK(c.metrics().expired == 1);
    CHECK(c.find("a", t0 + 5min) == nullptr);
    REQUIRE(c.peek("a") != nullptr);
    CHECK(c.peek("a")->name == "Name of a");

    auto bs = c.take_batches();
    c.complete(bs[0].id, std::vector<user_profile>{profile("a", "Renamed")}, t0 + 5min);
    CHECK(c.find("a", t0 + 9min)->name == "Renamed");

    // Unknown ids are remembered for the shorter TTL.
    c.get({"ghost"}, t0);
    bs = c.take_batches();
    c.complete(bs[0].id, answer(bs[0]), t0);
    CHECK(c.get({"ghost"}, t0 + 59s).missing == strings{"ghost"});
    CHECK(c.get({"ghost"}, t0 + 60s).pending == 1);
    CHECK(c.peek("ghost") == nullptr);
    CHECK(c.find("ghost", t0) == nullptr);
}

TEST_CASE("profile_cache: the least recently used entry leaves first")
{
    auto c = cache_with(3);
    for (const char* id : {"a", "b", "c"}) c.put(profile(id), t0);
    CHECK(c.get({"a"}, t0).hits.size() == 1); // a is now the most recent
    c.put(profile("d"), t0);
    CHECK(c.size() == 3);
    CHECK(c.peek("b") == nullptr);
    CHECK(c.peek("a") != nullptr);
    CHECK(c.metrics().evictions == 1);

    // A batch larger than the capacity still completes its waiter with every profile.
    const auto w = c.get(numbered("n", 10), t0);
    const auto bs = c.take_batches();
    c.complete(bs[0].id, answer(bs[0]), t0);
    const auto r = c.take_results();
    REQUIRE(r.size() == 1);
    CHECK(r[0].waiter == w.waiter);
    CHECK(r[0].found.size() == 10);
    CHECK(c.size() == 3);
    CHECK(c.metrics().evictions == 11);

    auto one = cache_with(0);
    one.put(profile("x"), t0);
    one.put(profile("y"), t0);
    CHECK(one.size() == 1);
    CHECK(one.peek("y") != nullptr);
}

TEST_CASE("profile_cache: profiles from payloads answer waiters without a call")
{
    profile_cache c;
    SECTION("queued: the batch never goes out")
    {
        const auto w = c.get({"a", "b"}, t0);
        c.put(profile("a"), t0);
        CHECK(c.take_results().empty());
        c.put(profile("b"), t0);
        const auto r = c.take_results();
        REQUIRE(r.size() == 1);
        CHECK(r[0].waiter == w.waiter);
        CHECK(c.take_batches().empty());
        CHECK_FALSE(c.has_queued());
        CHECK(c.metrics().requests == 0);
        CHECK(c.metrics().fills == 2);
    }
    SECTION("in flight: the answer is early, and the late response does not call it missing")
    {
        c.get({"a"}, t0);
        const auto bs = c.take_batches();
        c.put(profile("a"), t0);
        CHECK(c.take_results().size() == 1);
        CHECK(c.complete(bs[0].id, std::vector<user_profile>{}, t0));
        CHECK(c.find("a", t0) != nullptr);
        CHECK(c.take_results().empty());
    }
    SECTION("queued, resolved, asked again in the same tick: one request for it")
    {
        c.get({"a"}, t0);
        c.put(profile("a"), t0 - 10min); // an old payload: already stale
        c.get({"a"}, t0);
        const auto bs = c.take_batches();
        REQUIRE(bs.size() == 1);
        CHECK(bs[0].ids == strings{"a"});
    }
}

TEST_CASE("profile_cache: user objects, presence and user.updated keep entries current")
{
    profile_cache c;
    user u;
    u.id = "jack";
    u.name = "Jack";
    u.image = "https://us-east.stream-io-cdn.com/1/images/jack.png";
    u.online = true;
    u.last_active = timestamp{std::chrono::seconds(1'700'000'000)};
    u.role = "user";
    c.put(u, t0);
    const user_profile* p = c.find("jack", t0);
    REQUIRE(p != nullptr);
    CHECK(*p == streamchat::to_profile(u));
    CHECK(p->online);

    // A stub (typing, watching events) changes nothing.
    user stub;
    stub.id = "jack";
    c.put(stub, t0 + 1min);
    CHECK(c.find("jack", t0)->name == "Jack");
    user only_stub;
    only_stub.id = "jill";
    c.put(only_stub, t0);
    CHECK(c.size() == 1);

    // Presence: online and last_active change, the TTL does not.
    const timestamp later{std::chrono::seconds(1'700'000'600)};
    CHECK(c.update_presence("jack", false, later));
    CHECK_FALSE(c.find("jack", t0)->online);
    CHECK(c.find("jack", t0)->last_active == later);
    CHECK(c.find("jack", t0 + 5min) == nullptr);
    CHECK_FALSE(c.update_presence("nobody", true));

    // user.updated: a full user renews the entry; absent presence fields keep what was known.
    user renamed;
    renamed.id = "jack";
    renamed.name = "Jack R.";
    c.put(renamed, t0 + 4min);
    p = c.find("jack", t0 + 8min);
    REQUIRE(p != nullptr);
    CHECK(p->name == "Jack R.");
    CHECK(p->image.empty());
    CHECK_FALSE(p->online);
    CHECK(p->last_active == later);

    // A queryUsers response as the model decodes it.
    c.get({"kim"}, t0);
    const auto bs = c.take_batches();
    user kim;
    kim.id = "kim";
    kim.name = "Kim";
    CHECK(c.complete(bs[0].id, std::vector<user>{kim}, t0));
    const auto r = c.take_results();
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].found.size() == 1);
    CHECK(r[0].found[0].name == "Kim");

    CHECK(c.erase("jack"));
    CHECK_FALSE(c.erase("jack"));
    CHECK(c.peek("jack") == nullptr);
    CHECK(c.get({"jack"}, t0 + 8min).pending == 1);
}

TEST_CASE("profile_cache: empty ids are ignored")
{
    profile_cache c;
    const auto l = c.get({"", ""}, t0);
    CHECK(l.waiter == 0);
    CHECK(l.pending == 0);
    CHECK(c.take_batches().empty());
    c.put(user_profile{}, t0);
    CHECK(c.size() == 0);
}

TEST_CASE("profile_cache: randomized ticks, every waiter completes once with what it waited for")
{
    std::mt19937_64 rng(99);
    auto c = cache_with(40, 16);
    struct expectation {
        std::set<std::string> pending;
        bool done = false;
    };
    std::map<profile_cache::waiter_id, expectation> waiting;
    std::vector<profile_cache::batch> in_flight;
    // Ids in flight and their batch: never in two at once, unless put() answered it in between.
    std::map<std::string, profile_cache::batch_id> flying;
    time_point now = t0;
    std::size_t completed = 0;

    auto settle = [&](const std::vector<profile_cache::result>& results) {
        for (const auto& r : results) {
            auto& e = waiting.at(r.waiter);
            REQUIRE_FALSE(e.done);
            std::set<std::string> got;
            for (const auto& p : r.found) got.insert(p.id);
            got.insert(r.missing.begin(), r.missing.end());
            got.insert(r.failed.begin(), r.failed.end());
            CHECK(got.size() == r.found.size() + r.missing.size() + r.failed.size());
            CHECK(got == e.pending);
            CHECK(r.failed.empty() == !r.ec);
            for (const auto& p : r.found) CHECK(p.name == "Name of " + p.id);
            e.done = true;
            ++completed;
        }
    };

    for (int tick = 0; tick < 3000; ++tick) {
        now += std::chrono::milliseconds(rng() % 20000);
        const int asks = static_cast<int>(rng() % 4);
        for (int a = 0; a < asks; ++a) {
            strings ids;
            const int n = 1 + static_cast<int>(rng() % 12);
            for (int i = 0; i < n; ++i) {
                const auto k = rng() % 80;
                ids.push_back(k < 6 ? "ghost" + std::to_string(k) : "u" + std::to_string(k));
            }
            const auto l = c.get(ids, now);
            if (l.waiter != 0) {
                auto& e = waiting[l.waiter];
                std::set<std::string> answered;
                for (const auto& p : l.hits) answered.insert(p.id);
                answered.insert(l.missing.begin(), l.missing.end());
                for (const auto& id : ids)
                    if (!answered.contains(id)) e.pending.insert(id);
                CHECK(e.pending.size() == l.pending);
            }
        }
        if (rng() % 5 == 0) {
            const std::string id = "u" + std::to_string(rng() % 80);
            c.put(profile(id), now);
            flying.erase(id);
        }
        if (rng() % 7 == 0) c.update_presence("u" + std::to_string(rng() % 80), rng() % 2 == 0);
        for (auto& b : c.take_batches()) {
            CHECK(b.ids.size() <= 16);
            for (const auto& id : b.ids) CHECK(flying.emplace(id, b.id).second);
            in_flight.push_back(std::move(b));
        }
        // Answer some of the batches in flight, in random order; a few fail.
        while (!in_flight.empty() && rng() % 2 == 0) {
            const auto at = rng() % in_flight.size();
            const auto b = in_flight[at];
            in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(at));
            for (const auto& id : b.ids)
                if (const auto f = flying.find(id); f != flying.end() && f->second == b.id) flying.erase(f);
            if (rng() % 10 == 0)
                CHECK(c.fail(b.id, error::connection_lost));
            else
                CHECK(c.complete(b.id, answer(b), now));
        }
        settle(c.take_results());
        CHECK(c.size() <= 40);
    }
    for (const auto& b : in_flight) c.complete(b.id, answer(b), now);
    settle(c.take_results());
    for (const auto& [id, e] : waiting) {
        INFO("waiter " << id);
        CHECK(e.done);
    }
    CHECK(completed == waiting.size());
    const auto m = c.metrics();
    CHECK(m.hits > 0);
    CHECK(m.joined > 0);
    CHECK(m.evictions > 0);
    CHECK_FALSE(c.has_queued());
}
