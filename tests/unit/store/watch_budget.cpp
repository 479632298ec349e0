#include "store/watch_budget.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using streamchat::watch_config;
using streamchat::detail::watch_budget;

namespace {

using strings = std::vector<std::string>;

watch_budget budget(std::size_t capacity)
{
    watch_config cfg;
    cfg.max_watched_channels = capacity;
    return watch_budget(cfg);
}

} // namespace

TEST_CASE("watch_budget: admits up to capacity, then evicts the least recently used")
{
    auto b = budget(3);
    for (const char* cid : {"m:a", "m:b", "m:c"}) {
        const auto d = b.request(cid);
        CHECK_FALSE(d.refused);
        CHECK_FALSE(d.already_watched_or_requested);
        CHECK(d.evict.empty());
    }
    CHECK(b.size() == 3);
    CHECK(b.lru_order() == strings{"m:a", "m:b", "m:c"});

    const auto d = b.request("m:d");
    CHECK_FALSE(d.refused);
    CHECK(d.evict == strings{"m:a"});
    CHECK_FALSE(b.contains("m:a"));
    CHECK(b.lru_order() == strings{"m:b", "m:c", "m:d"});
    CHECK(b.size() == 3);
}

TEST_CASE("watch_budget: touching and requesting again refresh recency")
{
    auto b = budget(3);
    b.request("m:a");
    b.request("m:b");
    b.request("m:c");
    CHECK(b.touch("m:a"));
    CHECK_FALSE(b.touch("m:x"));
    CHECK(b.lru_order() == strings{"m:b", "m:c", "m:a"});

    const auto again = b.request("m:b");
    CHECK(again.already_watched_or_requested);
    CHECK(again.evict.empty());
    CHECK(b.lru_order() == strings{"m:c", "m:a", "m:b"});

    CHECK(b.request("m:d").evict == strings{"m:c"});
}

TEST_CASE("watch_budget: confirmations, failures and releases")
{
    auto b = budget(2);
    b.request("m:a");
    CHECK(b.contains("m:a"));
    CHECK_FALSE(b.is_watched("m:a"));
    CHECK(b.watched_set().empty());
    CHECK(b.to_rewatch() == strings{"m:a"});

    CHECK(b.confirmed("m:a"));
    CHECK(b.is_watched("m:a"));
    CHECK(b.watched_set() == strings{"m:a"});
    CHECK(b.request("m:a").already_watched_or_requested);
    CHECK(b.is_watched("m:a")); // requesting again does not reset the state

    b.request("m:b");
    CHECK(b.failed("m:b"));
    CHECK_FALSE(b.contains("m:b"));
    CHECK_FALSE(b.failed("m:b"));

    CHECK(b.released("m:a"));
    CHECK_FALSE(b.released("m:a"));
    CHECK(b.size() == 0);

    SECTION("a confirmation for a channel that left the set tells the owner to stop watching it")
    {
        b.request("m:c");
        b.request("m:d");
        CHECK(b.request("m:e").evict == strings{"m:c"});
        CHECK_FALSE(b.confirmed("m:c"));
        CHECK_FALSE(b.contains("m:c"));
    }
}

TEST_CASE("watch_budget: pinned channels are never evicted and keep their recency")
{
    auto b = budget(3);
    b.request("m:a");
    b.request("m:b");
    b.request("m:c");
    CHECK(b.pin("m:a"));
    CHECK(b.pin("m:a")); // idempotent
    CHECK(b.is_pinned("m:a"));
    CHECK(b.pinned_count() == 1);
    CHECK(b.lru_order() == strings{"m:a", "m:b", "m:c"});

    CHECK(b.request("m:d").evict == strings{"m:b"});
    CHECK(b.lru_order() == strings{"m:a", "m:c", "m:d"});

    CHECK(b.unpin("m:a"));
    CHECK_FALSE(b.is_pinned("m:a"));
    CHECK(b.lru_order() == strings{"m:a", "m:c", "m:d"});
    CHECK(b.request("m:e").evict == strings{"m:a"});

    SECTION("unpinning puts the channel back at its place among the unpinned")
    {
        auto c = budget(4);
        for (const char* cid : {"m:a", "m:b", "m:c", "m:d"})
            c.request(cid);
        c.pin("m:b");
        c.pin("m:d");
        c.touch("m:a");
        CHECK(c.lru_order() == strings{"m:b", "m:c", "m:d", "m:a"});
        c.unpin("m:d");
        CHECK(c.lru_order() == strings{"m:b", "m:c", "m:d", "m:a"});
        CHECK(c.request("m:e").evict == strings{"m:c"});
        CHECK(c.request("m:f").evict == strings{"m:d"});
        CHECK(c.lru_order() == strings{"m:b", "m:a", "m:e", "m:f"});
    }
    SECTION("releasing a pinned channel removes it and its pin")
    {
        b.pin("m:c");
        CHECK(b.released("m:c"));
        CHECK(b.pinned_count() == 0);
        CHECK_FALSE(b.is_pinned("m:c"));
    }
}

TEST_CASE("watch_budget: pinning needs the channel in the set")
{
    auto b = budget(2);
    CHECK_FALSE(b.pin("m:a"));
    CHECK_FALSE(b.unpin("m:a"));
    CHECK(b.pinned_count() == 0);
    CHECK(b.size() == 0);
}

TEST_CASE("watch_budget: requests are refused when every entry is pinned")
{
    auto b = budget(2);
    b.request("m:a");
    b.request("m:b");
    b.pin("m:a");
    b.pin("m:b");

    const auto refused = b.request("m:c");
    CHECK(refused.refused);
    CHECK(refused.evict.empty());
    CHECK_FALSE(b.contains("m:c"));
    CHECK(b.lru_order() == strings{"m:a", "m:b"});

    const auto known = b.request("m:a"); // already in: not refused, just refreshed
    CHECK_FALSE(known.refused);
    CHECK(known.already_watched_or_requested);
    CHECK(b.lru_order() == strings{"m:b", "m:a"});

    b.unpin("m:b");
    const auto admitted = b.request("m:c");
    CHECK_FALSE(admitted.refused);
    CHECK(admitted.evict == strings{"m:b"});
}

TEST_CASE("watch_budget: a disconnect makes every entry requested again")
{
    auto b = budget(3);
    for (const char* cid : {"m:a", "m:b", "m:c"}) {
        b.request(cid);
        b.confirmed(cid);
    }
    b.pin("m:b");
    b.touch("m:a");
    CHECK(b.to_rewatch().empty());
    CHECK(b.watched_set() == strings{"m:a", "m:b", "m:c"});

    b.on_disconnect();
    CHECK(b.watched_set().empty());
    CHECK(b.size() == 3);
    CHECK(b.is_pinned("m:b"));
    CHECK(b.to_rewatch() == strings{"m:a", "m:c", "m:b"}); // most recent first

    b.confirmed("m:c");
    CHECK(b.to_rewatch() == strings{"m:a", "m:b"});
    CHECK(b.watched_set() == strings{"m:c"});
}

TEST_CASE("watch_budget: a capacity of 0 counts as 1")
{
    auto b = budget(0);
    CHECK(b.capacity() == 1);
    b.request("m:a");
    CHECK(b.request("m:b").evict == strings{"m:a"});
    CHECK(b.size() == 1);
}

namespace {

// The budget's rules over a plain vector, least recently used first.
struct reference_budget {
    struct entry {
        std::string cid;
        bool watched = false;
        bool pinned = false;
    };
    std::size_t capacity;
    std::vector<entry> entries;

    std::vector<entry>::iterator find(const std::string& cid)
    {
        return std::find_if(entries.begin(), entries.end(), [&](const entry& e) { return e.cid == cid; });
    }
    void to_back(std::vector<entry>::iterator it)
    {
        std::rotate(it, it + 1, entries.end());
    }
    watch_budget::decision request(const std::string& cid)
    {
        watch_budget::decision d;
        if (auto it = find(cid); it != entries.end()) {
            to_back(it);
            d.already_watched_or_requested = true;
            return d;
        }
        if (entries.size() == capacity) {
            auto victim = std::find_if(entries.begin(), entries.end(), [](const entry& e) { return !e.pinned; });
            if (victim == entries.end()) {
                d.refused = true;
                return d;
            }
            d.evict.push_back(victim->cid);
            entries.erase(victim);
        }
        entries.push_back({cid});
        return d;
    }
    template <class F>
    bool with(const std::string& cid, F f)
    {
        auto it = find(cid);
        if (it == entries.end())
            return false;
        f(it);
        return true;
    }
};

} // namespace

TEST_CASE("watch_budget: random operations agree with a plain reference and never overfill")
{
    constexpr std::size_t capacity = 20;
    constexpr int cid_count = 5000;
    auto b = budget(capacity);
    reference_budget ref{capacity, {}};
    std::mt19937 rng(20240611);
    const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    // Half the time a cid already in the set, so that operations on present entries are common.
    const auto some_cid = [&] {
        if (!ref.entries.empty() && pick(2) == 0)
            return ref.entries[pick(ref.entries.size())].cid;
        return "messaging:c" + std::to_string(pick(cid_count));
    };

    // What the budget and the reference say after a step; built without Catch so that the
    // 100,000 steps stay fast, and compared field by field only when they differ. The set and its
    // order are compared at each step; the states of the entries and the derived lists every 97
    // steps and after disconnects, which keeps the run short under sanitizers.
    struct snapshot {
        bool result = false;
        watch_budget::decision decision{};
        std::size_t size = 0, pinned = 0;
        strings order, watched, rewatch, states;
    };
    const auto observe = [&](snapshot& s, bool lists) {
        s.size = b.size();
        s.pinned = b.pinned_count();
        s.order = b.lru_order();
        if (lists) {
            for (const auto& cid : s.order)
                s.states.push_back(std::string(b.is_watched(cid) ? "w" : "r") + (b.is_pinned(cid) ? "p" : ""));
            s.watched = b.watched_set();
            s.rewatch = b.to_rewatch();
        }
    };
    const auto expect = [&](snapshot& s, bool lists) {
        s.size = ref.entries.size();
        for (const auto& e : ref.entries) {
            s.order.push_back(e.cid);
            s.pinned += e.pinned;
        }
        if (lists) {
            for (const auto& e : ref.entries)
                s.states.push_back(std::string(e.watched ? "w" : "r") + (e.pinned ? "p" : ""));
            for (const auto& e : ref.entries)
                if (e.watched)
                    s.watched.push_back(e.cid);
            std::sort(s.watched.begin(), s.watched.end());
            for (auto it = ref.entries.rbegin(); it != ref.entries.rend(); ++it)
                if (!it->watched)
                    s.rewatch.push_back(it->cid);
        }
    };

    std::size_t evictions = 0, refusals = 0, pins = 0;
    for (int step = 0; step < 100000; ++step) {
        // Alternate phases so that the set sometimes fills up with pinned channels.
        const bool pin_heavy = (step / 5000) % 2 == 1;
        const std::string cid = some_cid();
        const std::size_t op = pick(100);
        snapshot got, want;
        if (op < 40) {
            got.decision = b.request(cid);
            want.decision = ref.request(cid);
            evictions += got.decision.evict.size();
            refusals += got.decision.refused;
        } else if (op < 55) {
            got.result = b.confirmed(cid);
            want.result = ref.with(cid, [](auto it) { it->watched = true; });
        } else if (op < 60) {
            got.result = b.failed(cid);
            want.result = ref.with(cid, [&](auto it) { ref.entries.erase(it); });
        } else if (op < 65) {
            got.result = b.released(cid);
            want.result = ref.with(cid, [&](auto it) { ref.entries.erase(it); });
        } else if (op < (pin_heavy ? 90 : 75)) {
            got.result = b.pin(cid);
            want.result = ref.with(cid, [](auto it) { it->pinned = true; });
            pins += got.result;
        } else if (op < (pin_heavy ? 91 : 87)) {
            got.result = b.unpin(cid);
            want.result = ref.with(cid, [](auto it) { it->pinned = false; });
        } else if (op < 99) {
            got.result = b.touch(cid);
            want.result = ref.with(cid, [&](auto it) { ref.to_back(it); });
        } else {
            b.on_disconnect();
            for (auto& e : ref.entries)
                e.watched = false;
        }
        const bool lists = op >= 99 || step % 97 == 0;
        observe(got, lists);
        expect(want, lists);
        REQUIRE(b.contains(cid) == (ref.find(cid) != ref.entries.end()));

        REQUIRE(got.size <= capacity);
        REQUIRE(got.pinned <= capacity);
        const bool same = got.result == want.result && got.decision.refused == want.decision.refused &&
                          got.decision.already_watched_or_requested ==
                              want.decision.already_watched_or_requested &&
                          got.decision.evict == want.decision.evict && got.size == want.size &&
                          got.pinned == want.pinned && got.order == want.order &&
                          got.states == want.states && got.watched == want.watched &&
                          got.rewatch == want.rewatch;
        if (!same) {
            INFO("step " << step << ", op " << op << ", cid " << cid);
            CHECK(got.result == want.result);
            CHECK(got.decision.refused == want.decision.refused);
            CHECK(got.decision.already_watched_or_requested == want.decision.already_watched_or_requested);
            CHECK(got.decision.evict == want.decision.evict);
            CHECK(got.size == want.size);
            CHECK(got.pinned == want.pinned);
            CHECK(got.order == want.order);
            CHECK(got.watched == want.watched);
            CHECK(got.rewatch == want.rewatch);
            CHECK(got.states == want.states);
            FAIL("the budget and the reference disagree");
        }
    }
    // The run must have gone through the interesting cases.
    CHECK(evictions > 1000);
    CHECK(refusals > 0);
    CHECK(pins > 1000);
}
