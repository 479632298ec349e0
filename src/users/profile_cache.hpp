#ifndef STREAMCHAT_SRC_USERS_PROFILE_CACHE_HPP
#define STREAMCHAT_SRC_USERS_PROFILE_CACHE_HPP

// User profiles by id with a TTL and an LRU bound, fetched in batches: the misses of one tick
// become one queryUsers call per 100 ids (`id: {$in: [...]}`), and an id already asked for joins
// the request under way instead of making another. Sans-io: the owner passes the time, sends the
// batches, and reports their outcome.

#include <streamchat/error.hpp>
#include <streamchat/user_profile.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <list>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace streamchat {
struct user; // <streamchat/model/user.hpp>
} // namespace streamchat

namespace streamchat::detail {

struct profile_cache_config {
    /// How long a profile answers without asking the server again. Presence and user.updated
    /// events keep watched users current in between. Default: 5 minutes.
    std::chrono::steady_clock::duration ttl = std::chrono::minutes(5);

    /// How long "no such user" answers, so that a deleted author costs no call per page; short,
    /// so that a user created since shows up soon. Default: 1 minute.
    std::chrono::steady_clock::duration missing_ttl = std::chrono::minutes(1);

    /// Entries kept at most (known-missing ids included); the least recently used leave first.
    /// 0 counts as 1. Default: 10,000, about 3 MB with avatar URLs.
    std::size_t capacity = 10000;

    /// Ids per batch, clamped to 1..100: queryUsers returns at most 100 users. Default: 100.
    std::size_t max_batch = 100;
};

struct profile_cache_metrics {
    std::uint64_t hits = 0;      ///< Ids answered at once: fresh profiles and known-missing ids.
    std::uint64_t misses = 0;    ///< Ids that waited for the server, joined ones included.
    std::uint64_t expired = 0;   ///< Of the misses, ids whose entry had outlived its TTL.
    std::uint64_t joined = 0;    ///< Of the misses, ids already queued or in flight: no new request.
    std::uint64_t requests = 0;  ///< Batches handed out by take_batches() (queryUsers calls).
    std::uint64_t fills = 0;     ///< Profiles stored by put() from payloads, at no call.
    std::uint64_t evictions = 0; ///< Entries dropped to stay within the capacity.
    std::size_t entries = 0;     ///< Entries now.
};

/// The cache, its batches and its waiters.
///
/// Flow: get() answers what it can and registers a waiter for the rest. At the end of the tick
/// (one turn of the owner's event loop, say) the owner calls take_batches() and sends each batch
/// as queryUsers with `filter: {id: {$in: ids}}, limit: ids.size()`, then reports complete() or
/// fail(). Completed waiters come out of take_results(). A waiter completes once every id it
/// waits for is resolved: found, missing (the server does not know it), or failed (its batch
/// failed; nothing is cached, the next get() asks again).
///
/// Profiles in channel payloads (members, message authors, read states) go in through put() and
/// resolve waiters for those ids at once, whether or not their batch is still to be sent.
///
/// Every call is O(ids involved); nothing here scans the cache.
class profile_cache {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using waiter_id = std::uint64_t;
    using batch_id = std::uint64_t;

    /// What get() knows at once.
    struct lookup {
        std::vector<user_profile> hits;   ///< Fresh profiles, in the order asked.
        std::vector<std::string> missing; ///< Ids the server recently said do not exist.
        /// Non-zero when some ids wait for the server: a result with this id follows.
        waiter_id waiter = 0;
        std::size_t pending = 0;          ///< How many ids the waiter waits for.
    };

    /// Ids for one queryUsers call.
    struct batch {
        batch_id id = 0;
        std::vector<std::string> ids;
    };

    /// A waiter's outcome.
    struct result {
        waiter_id waiter = 0;
        /// The failure of a batch it waited on (the first, if several); success otherwise.
        error_code ec{};
        std::vector<user_profile> found;  ///< In the order they arrived.
        std::vector<std::string> missing; ///< Ids the server does not know.
        std::vector<std::string> failed;  ///< Ids whose batch failed.
    };

    explicit profile_cache(const profile_cache_config& cfg = {});

    /// Looks up `ids` (anything whose elements convert to std::string_view); repeated and empty
    /// ids are ignored. Hits and known-missing ids count as recently used.
    template <std::ranges::input_range R>
        requires std::convertible_to<std::ranges::range_reference_t<const R>, std::string_view>
    lookup get(const R& ids, time_point now)
    {
        std::vector<std::string_view> views;
        if constexpr (std::ranges::sized_range<const R>)
            views.reserve(std::ranges::size(ids));
        for (auto&& id : ids)
            views.emplace_back(id);
        return get_views(views, now);
    }
    lookup get(std::initializer_list<std::string_view> ids, time_point now)
    {
        return get_views(std::span<const std::string_view>(ids.begin(), ids.size()), now);
    }

    /// The ids queued since the last call, in batches of at most `max_batch`; they are in flight
    /// from now on. Call once per tick.
    std::vector<batch> take_batches();
    /// True when take_batches() has work.
    bool has_queued() const noexcept { return queued_count_ != 0; }

    /// Batch `id` succeeded with these users (a queryUsers response). Ids of the batch not among
    /// them are missing. False for an unknown or already reported batch.
    bool complete(batch_id id, std::span<const user_profile> users, time_point now);
    bool complete(batch_id id, const std::vector<user>& users, time_point now);
    /// Batch `id` failed: its waiters complete with `ec`. False for an unknown batch.
    bool fail(batch_id id, error_code ec);

    /// Waiters completed since the last call, in completion order.
    std::vector<result> take_results();

    /// Stores a complete profile (fresh as of `now`).
    void put(user_profile p, time_point now);
    /// Stores a user object from a payload. A user carrying nothing but its id (typing and
    /// watching events embed such stubs) changes nothing; absent `online` and `last_active` keep
    /// what the cache knew.
    void put(const user& u, time_point now);
    /// A presence event: updates `online` (and `last_active`, if given) of a cached user without
    /// renewing its TTL. False when the user is not cached.
    bool update_presence(std::string_view id, bool online, std::optional<timestamp> last_active = std::nullopt);
    /// Forgets a user (user.deleted). False when not cached.
    bool erase(std::string_view id);

    /// The fresh profile of `id`, or nullptr; no recency or metrics change. Valid until the next
    /// non-const call.
    const user_profile* find(std::string_view id, time_point now) const;
    /// The cached profile of `id` whatever its age (stale data to show while a refresh runs).
    const user_profile* peek(std::string_view id) const;

    std::size_t size() const noexcept { return index_.size(); }
    profile_cache_metrics metrics() const noexcept;

private:
    struct entry {
        user_profile profile;
        time_point expires{};
        bool missing = false;
    };
    using lru_list = std::list<entry>; // most recent first

    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    struct pending {
        batch_id batch = 0; // 0: queued, not yet handed out
        std::vector<waiter_id> waiters;
    };

    struct waiter {
        std::size_t remaining = 0;
        result res;
    };

    enum class outcome : unsigned char { found, missing, failed };

    lookup get_views(std::span<const std::string_view> ids, time_point now);
    entry& store(user_profile&& p, time_point expires, bool missing);
    void resolve(std::string_view id, outcome how, const user_profile* p, error_code ec);
    void evict_overflow();

    std::chrono::steady_clock::duration ttl_;
    std::chrono::steady_clock::duration missing_ttl_;
    std::size_t capacity_;
    std::size_t max_batch_;

    lru_list lru_;
    // Keys view the entries' own ids: list nodes never move, and an entry's id never changes.
    std::unordered_map<std::string_view, lru_list::iterator> index_;

    std::unordered_map<std::string, pending, string_hash, std::equal_to<>> pending_;
    std::vector<std::string> queued_; // may hold ids resolved since: skipped when batched
    std::size_t queued_count_ = 0;    // pending ids with batch 0
    std::unordered_map<batch_id, std::vector<std::string>> in_flight_;
    std::unordered_map<waiter_id, waiter> waiters_;
    std::vector<result> ready_;

    waiter_id next_waiter_ = 0;
    batch_id next_batch_ = 0;
    profile_cache_metrics metrics_;
};

} // namespace streamchat::detail

#endif
