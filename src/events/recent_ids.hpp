#ifndef STREAMCHAT_SRC_EVENTS_RECENT_IDS_HPP
#define STREAMCHAT_SRC_EVENTS_RECENT_IDS_HPP

// The newest N message ids a client applied, to tell a repeat (a /sync answer overlapping what
// the socket delivered) from a new message. On the hot path of every message event, so: one
// hash per look-up, open addressing over a flat table, and no allocation once the ring is full
// (the oldest id's string is reused for the newest).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace streamchat::detail {

class recent_ids {
public:
    /// Remembers at most `capacity` ids (at least 1); the oldest is forgotten first.
    explicit recent_ids(std::size_t capacity = 8192);

    /// Adds `id`; false when it is already remembered.
    bool insert(std::string_view id);
    bool contains(std::string_view id) const noexcept;
    std::size_t size() const noexcept { return ring_.size(); }
    std::size_t capacity() const noexcept { return capacity_; }

private:
    static constexpr std::uint32_t empty = 0; // table_ holds ring index + 1

    /// The table slot holding `id`, or the empty slot where it would go.
    std::size_t probe(std::string_view id, std::size_t h) const noexcept;
    void erase_slot(std::size_t slot) noexcept;
    void grow();

    std::size_t capacity_;
    std::vector<std::string> ring_;       // ids, oldest at next_ once full
    std::vector<std::size_t> hashes_;     // parallel to ring_
    std::size_t next_ = 0;
    std::vector<std::uint32_t> table_;    // power-of-two size, at most half full
};

} // namespace streamchat::detail

#endif
