#ifndef STREAMCHAT_SRC_EVENTS_BATCHER_HPP
#define STREAMCHAT_SRC_EVENTS_BATCHER_HPP

// Groups incoming events into batches (batch_config) and drops events that a newer one of the
// same kind and subject makes redundant. Sans-io: the owner stamps each event with its receipt
// time, arms a timer at deadline() and calls poll() when it fires.

#include <streamchat/realtime_config.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace streamchat {
// Defined in <streamchat/model/event.hpp>; only named here, which keeps Boost.JSON out.
enum class event_type;
} // namespace streamchat

namespace streamchat::detail {

/// What makes two events interchangeable: the newer one carries everything the older one did.
/// The views point into the item they were computed from and live no longer than it.
struct coalesce_key {
    event_type kind{};          ///< Folded type: typing.stop counts as typing.start, and so on.
    std::string_view cid;       ///< Channel; empty for per-user kinds.
    std::string_view user_id;   ///< Subject user.
    std::string_view parent_id; ///< Thread, so that a thread's state never absorbs the channel's.

    friend bool operator==(const coalesce_key&, const coalesce_key&) = default;
};

struct coalesce_key_hash {
    std::size_t operator()(const coalesce_key& k) const noexcept
    {
        const std::hash<std::string_view> h;
        std::size_t seed = static_cast<std::size_t>(k.kind);
        for (std::string_view part : {k.cid, k.user_id, k.parent_id})
            seed ^= h(part) + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
        return seed;
    }
};

/// The coalescing key of an event, or nullopt when no later event may replace it. Only kinds
/// that carry a complete state (not a change) coalesce (docs/protocol.md, "Events"):
///  - typing.start / typing.stop, per cid + user + parent_id: the latest says whether one types;
///  - user.watching.start / user.watching.stop, per cid + user: the latest says whether that user
///    watches, and since survivors keep the newest position the channel's last one still carries
///    the newest watcher_count. (Per cid alone would lose who started watching.)
///  - user.presence.changed, per user (cid ignored): `user` holds the whole presence;
///  - message.read, per cid + user + parent_id (pass the thread's id for thread reads), and
///    notification.mark_read, per cid + user + parent_id: read states and unread totals.
/// user.updated does not coalesce: it also rewrites the user's messages and may carry a cid.
/// A kind that needs a user or a channel to be told apart never coalesces without one.
std::optional<coalesce_key> coalesce_key_for(event_type type, std::string_view cid,
                                             std::string_view user_id,
                                             std::string_view parent_id) noexcept;

/// Items delivered together, in arrival order once coalesced.
template <class Item>
struct event_batch {
    std::vector<Item> items;
    /// Receipt time of the first item pushed into the batch, even if a newer one absorbed it:
    /// the lag of a batch is how long its oldest information waited.
    std::chrono::steady_clock::time_point first_received{};
};

struct batcher_metrics {
    std::uint64_t pushed = 0;    ///< Items given to push().
    std::uint64_t batches = 0;   ///< Batches closed (ready, or already returned by poll()).
    std::uint64_t coalesced = 0; ///< Items dropped because a newer one had the same key.
    /// Largest delivery time minus `first_received`, as reported through record_delivery():
    /// only the owner knows when the application actually got a batch.
    std::chrono::steady_clock::duration max_lag{};
};

/// `KeyOf` maps an item to its coalescing key, whose views point into that item.
template <class KeyOf, class Item>
concept coalesce_key_function =
    std::invocable<const KeyOf&, const Item&> &&
    std::convertible_to<std::invoke_result_t<const KeyOf&, const Item&>, std::optional<coalesce_key>>;

/// Collects items into batches. A batch opens with its first item and closes `window` later, or
/// as soon as it holds `max_events` items (counted after coalescing), or on flush(). A zero
/// window closes every batch on the push that opened it.
///
/// Coalescing: an item whose key matches an earlier item of the open batch removes that earlier
/// item and takes its own, newer position. Keeping the newer position is what preserves per-
/// channel order: every item the survivor follows in the batch did arrive before it, so no
/// event is ever applied before one that preceded it. (Taking the older position would, e.g.,
/// apply a read of message m before m's message.new, leaving m counted as unread.) Items without
/// a key are never dropped or moved.
///
/// Steady state allocates nothing per item beyond the item's own move: item storage comes back
/// through recycle(), and the coalescing index is an open-addressed table reused across batches
/// and cleared in O(1) by a generation counter. Batches and items only move, so `Item` needs to
/// be move-constructible and move-assignable.
template <class Item, class KeyOf>
    requires coalesce_key_function<KeyOf, Item>
class event_batcher {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using batch = event_batch<Item>;

    /// Uses `window` and `max_events` of `cfg` (a max_events of 0 counts as 1). `max_queued` is
    /// the owner's concern: ready batches wait here until polled, none is ever dropped.
    explicit event_batcher(const batch_config& cfg = {}, KeyOf key_of = KeyOf{})
        : window_(cfg.window > std::chrono::milliseconds::zero()
                      ? std::chrono::duration_cast<clock::duration>(cfg.window)
                      : clock::duration::zero()),
          max_events_(cfg.max_events == 0 ? 1 : cfg.max_events),
          key_of_(std::move(key_of))
    {
    }

    /// Adds an item received at `now`. An open batch whose window has already passed is closed
    /// first, so a late poll() never lets an item join a batch that should have closed.
    void push(Item item, time_point now)
    {
        if (!slots_.empty() && now - opened_ >= window_)
            close();
        if (slots_.empty())
            opened_ = now;
        else if (dead_ >= compact_min && dead_ > slots_.size() - dead_)
            compact_open(); // a burst of one key: bound the storage by the items that survive
        dead_flags_.push_back(0);
        try {
            slots_.push_back(std::move(item));
        } catch (...) {
            dead_flags_.pop_back();
            throw;
        }
        ++metrics_.pushed;
        const std::size_t at = slots_.size() - 1;
        if (const std::optional<coalesce_key> key = key_of_(slots_[at])) {
            if (index_entry* earlier = find_or_insert(*key, at)) {
                dead_flags_[earlier->slot] = 1;
                ++dead_;
                ++metrics_.coalesced;
                earlier->slot = at;
            }
        }
        if (window_ == clock::duration::zero() || slots_.size() - dead_ >= max_events_)
            close();
    }

    /// When poll() next has work: the open batch's closing time, a time no later than the
    /// moment it closed if a closed batch awaits poll(), nullopt when there is nothing at all.
    std::optional<time_point> deadline() const noexcept
    {
        if (!ready_.empty())
            return ready_.front().first_received;
        if (!slots_.empty())
            return opened_ + window_;
        return std::nullopt;
    }

    /// Closes the open batch if its window has passed and appends every closed batch to `out`,
    /// oldest first; returns how many. An `out` kept across calls makes polling allocation-free.
    std::size_t poll(time_point now, std::vector<batch>& out)
    {
        if (!slots_.empty() && now - opened_ >= window_)
            close();
        const std::size_t n = ready_.size();
        if (out.capacity() - out.size() < n) // all room first: no batch is lost to a bad_alloc
            out.reserve(std::max(out.size() + n, 2 * out.capacity()));
        for (batch& b : ready_)
            out.push_back(std::move(b));
        ready_.clear();
        return n;
    }

    /// As above, into a new vector.
    std::vector<batch> poll(time_point now)
    {
        std::vector<batch> out;
        poll(now, out);
        return out;
    }

    /// Closes the open batch now, whatever its age (on disconnect, so that the events received
    /// before it are delivered before anything that follows). The next poll() returns it.
    void flush()
    {
        if (!slots_.empty())
            close();
    }

    /// Hands a delivered batch's storage back for reuse by a later batch.
    void recycle(batch&& b)
    {
        if (spares_.size() < max_spares && b.items.capacity() != 0) {
            b.items.clear();
            spares_.push_back(std::move(b.items));
        }
    }

    /// Reports that `b` reached the application at `now`; updates `metrics().max_lag`.
    void record_delivery(const batch& b, time_point now) noexcept
    {
        if (now - b.first_received > metrics_.max_lag)
            metrics_.max_lag = now - b.first_received;
    }

    const batcher_metrics& metrics() const noexcept { return metrics_; }
    /// Items in the open batch, counted after coalescing.
    std::size_t open_size() const noexcept { return slots_.size() - dead_; }
    /// Closed batches not yet returned by poll().
    std::size_t ready_count() const noexcept { return ready_.size(); }
    /// True when no item is waiting, open or closed.
    bool empty() const noexcept { return slots_.empty() && ready_.empty(); }

private:
    struct index_entry {
        std::size_t hash = 0;
        std::size_t slot = 0;   // position in slots_ of the newest item with this key
        std::uint32_t gen = 0;  // the entry is live only when equal to gen_
    };

    // Below this many dead slots compaction costs more than the memory it saves.
    static constexpr std::size_t compact_min = 64;
    static constexpr std::size_t max_spares = 4;

    // The entry already holding `key`, or nullptr after inserting one pointing at `at`.
    index_entry* find_or_insert(const coalesce_key& key, std::size_t at)
    {
        if ((used_ + 1) * 2 > index_.size())
            grow();
        const std::size_t h = coalesce_key_hash{}(key);
        const std::size_t mask = index_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            index_entry& e = index_[i];
            if (e.gen != gen_) {
                e = {h, at, gen_};
                ++used_;
                return nullptr;
            }
            if (e.hash == h && key_of_(slots_[e.slot]) == key)
                return &e;
        }
    }

    void grow()
    {
        std::vector<index_entry> old(index_.empty() ? 16 : index_.size() * 2);
        old.swap(index_);
        const std::size_t mask = index_.size() - 1;
        for (const index_entry& e : old) {
            if (e.gen != gen_)
                continue;
            std::size_t i = e.hash & mask;
            while (index_[i].gen == gen_)
                i = (i + 1) & mask;
            index_[i] = e;
        }
    }

    void clear_index() noexcept
    {
        used_ = 0;
        if (++gen_ == 0) { // wrapped: stale entries could look live again
            for (index_entry& e : index_)
                e.gen = 0;
            gen_ = 1;
        }
    }

    // Removes the dead slots, keeping the order of the live ones.
    void compact()
    {
        if (dead_ == 0)
            return;
        std::size_t out = 0;
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            if (dead_flags_[i])
                continue;
            if (out != i)
                slots_[out] = std::move(slots_[i]);
            ++out;
        }
        slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(out), slots_.end());
        dead_flags_.assign(out, 0);
        dead_ = 0;
    }

    // Compaction moves items, so the open batch's index is rebuilt from the survivors.
    void compact_open()
    {
        compact();
        clear_index();
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (const std::optional<coalesce_key> key = key_of_(slots_[i]))
                find_or_insert(*key, i);
    }

    void close()
    {
        compact();
        if (ready_.size() == ready_.capacity()) // so that the push below cannot throw
            ready_.reserve(ready_.empty() ? 4 : 2 * ready_.size());
        ready_.push_back(batch{std::move(slots_), opened_});
        if (spares_.empty()) {
            slots_ = {};
        } else {
            slots_ = std::move(spares_.back());
            spares_.pop_back();
        }
        dead_flags_.clear();
        clear_index();
        ++metrics_.batches;
    }

    clock::duration window_;
    std::size_t max_events_;
    [[no_unique_address]] KeyOf key_of_;

    std::vector<Item> slots_;                // the open batch, dead (coalesced) slots included
    std::vector<unsigned char> dead_flags_;  // parallel to slots_
    std::size_t dead_ = 0;
    time_point opened_{};

    std::vector<index_entry> index_;         // power-of-two size, at most half full
    std::size_t used_ = 0;
    std::uint32_t gen_ = 1;

    std::vector<batch> ready_;
    std::vector<std::vector<Item>> spares_;
    batcher_metrics metrics_;
};

} // namespace streamchat::detail

#endif
