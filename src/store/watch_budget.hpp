#ifndef STREAMCHAT_SRC_STORE_WATCH_BUDGET_HPP
#define STREAMCHAT_SRC_STORE_WATCH_BUDGET_HPP

// The bounded set of watched channels (watch_config): which cids the connection subscribes to,
// in least-recently-used order, and which to stop watching to make room. Sans-io: it decides,
// the owner sends the watch and stop-watching calls and reports their outcome.

#include <streamchat/realtime_config.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace streamchat::detail {

/// Channels are admitted by request() and leave by eviction, failed() or released(). The set
/// never holds more than capacity() entries, calls in flight included: a channel counts from
/// the moment its watch is requested, so confirmations arriving late cannot overfill it.
///
/// Pinned channels (on screen, say) are never evicted. When every entry is pinned and the set is
/// full, request() refuses. Pinning needs the channel to be in the set already, so pinned
/// channels can never outnumber the capacity.
///
/// request, confirmed, failed, released and touch are O(1). pin and unpin are O(capacity) at
/// worst: they keep the recency order while moving an entry between the pinned and unpinned
/// lists, which in turn makes finding the eviction victim O(1).
class watch_budget {
public:
    enum class watch_state : unsigned char {
        requested, ///< The watch call is queued or in flight, or must be sent again.
        watched,   ///< The server confirmed the watch on the current connection.
    };

    struct decision {
        /// The set is full of pinned channels: nothing changed, the caller gets an error.
        bool refused = false;
        /// The channel was already requested or watched (it is now the most recent): send
        /// nothing.
        bool already_watched_or_requested = false;
        /// Channels removed to make room, already gone from the set: send stop-watching for
        /// each (a watch still in flight for one is answered by confirmed() returning false).
        std::vector<std::string> evict;
    };

    /// A max_watched_channels of 0 is outside the documented domain; it counts as 1 so that the
    /// invariants hold whatever the configuration (validating it is the configuration's job).
    explicit watch_budget(const watch_config& cfg = {});

    std::size_t capacity() const noexcept { return capacity_; }

    /// Admits `cid` as the most recently used channel, evicting the least recently used unpinned
    /// one if the set is full.
    decision request(std::string_view cid);

    /// The watch call for `cid` succeeded. False when `cid` left the set meanwhile (evicted or
    /// released): the server now watches a channel nobody wants, so stop watching it.
    bool confirmed(std::string_view cid) noexcept;

    /// The watch call for `cid` failed: the entry is removed, pinned or not. False if absent.
    bool failed(std::string_view cid) noexcept;

    /// The application stopped watching `cid`: the entry is removed, pinned or not. False if
    /// absent.
    bool released(std::string_view cid) noexcept;

    /// Protects `cid` from eviction, keeping its recency. False if `cid` is not in the set
    /// (request it first).
    bool pin(std::string_view cid) noexcept;

    /// Makes `cid` evictable again, keeping its recency. False if `cid` is not in the set.
    bool unpin(std::string_view cid) noexcept;

    /// Marks `cid` as the most recently used. False if `cid` is not in the set.
    bool touch(std::string_view cid) noexcept;

    /// The socket closed, and the server forgot every watch with it: all entries go back to
    /// `requested`, keeping their order and pins.
    void on_disconnect() noexcept;

    /// Entries whose watch is not confirmed, most recently used first: after on_disconnect(),
    /// the recovery order. Includes requests already in flight; watching twice is harmless.
    std::vector<std::string> to_rewatch() const;

    std::size_t size() const noexcept { return index_.size(); }
    std::size_t pinned_count() const noexcept { return pinned_.size(); }
    bool contains(std::string_view cid) const noexcept { return index_.contains(cid); }
    bool is_watched(std::string_view cid) const noexcept;
    bool is_pinned(std::string_view cid) const noexcept;

    /// Confirmed entries, sorted by cid.
    std::vector<std::string> watched_set() const;

    /// Every entry, least recently used first (the eviction order, pins aside).
    std::vector<std::string> lru_order() const;

private:
    struct entry {
        std::string cid;
        watch_state state = watch_state::requested;
        bool pinned = false;
        std::uint64_t stamp = 0; // recency across both lists; larger is more recent
    };
    using list = std::list<entry>;

    void make_most_recent(list::iterator it) noexcept;
    void move_between(list::iterator it, list& from, list& to) noexcept;
    bool remove(std::string_view cid) noexcept;
    template <class Out>
    void merged(bool most_recent_first, Out out) const;

    std::size_t capacity_;
    std::uint64_t clock_ = 0;
    list unpinned_; // most recent first
    list pinned_;   // most recent first
    // Keys view the entries' own cids: list nodes never move, splices included.
    std::unordered_map<std::string_view, list::iterator> index_;
};

} // namespace streamchat::detail

#endif
