// recent_ids against a plain reference (a deque and a set) under random inserts, small and large
// capacities, with many colliding probe runs.

#include "events/recent_ids.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <set>
#include <string>

using streamchat::detail::recent_ids;

TEST_CASE("recent_ids: a repeat is refused, the oldest is forgotten first")
{
    recent_ids r(3);
    CHECK(r.insert("a"));
    CHECK(r.insert("b"));
    CHECK_FALSE(r.insert("a"));
    CHECK(r.insert("c"));
    CHECK(r.size() == 3);
    CHECK(r.insert("d")); // forgets a
    CHECK_FALSE(r.contains("a"));
    CHECK(r.contains("b"));
    CHECK(r.contains("d"));
    CHECK(r.insert("a")); // new again; forgets b
    CHECK_FALSE(r.contains("b"));
    CHECK(r.size() == 3);
    CHECK(recent_ids(0).capacity() == 1);
}

TEST_CASE("recent_ids: agrees with a reference under random use")
{
    std::mt19937 rng(7);
    for (std::size_t cap : {1u, 2u, 5u, 63u, 64u, 100u, 1000u}) {
        recent_ids r(cap);
        std::deque<std::string> order;
        std::set<std::string> ref;
        for (int i = 0; i < 20000; ++i) {
            const std::string id = "m-" + std::to_string(rng() % (cap * 3 + 5));
            INFO("capacity " << cap << " step " << i << " id " << id);
            const bool fresh = !ref.contains(id);
            REQUIRE(r.insert(id) == fresh);
            if (fresh) {
                order.push_back(id);
                ref.insert(id);
                if (order.size() > cap) {
                    ref.erase(order.front());
                    order.pop_front();
                }
            }
            if (i % 97 == 0)
                for (const auto& x : order) REQUIRE(r.contains(x));
            REQUIRE(r.size() == order.size());
        }
    }
}
