#include "events/recent_ids.hpp"

#include <algorithm>
#include <functional>

namespace streamchat::detail {

recent_ids::recent_ids(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::size_t recent_ids::probe(std::string_view id, std::size_t h) const noexcept
{
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const std::uint32_t e = table_[i];
        if (e == empty || (hashes_[e - 1] == h && ring_[e - 1] == id)) return i;
    }
}

bool recent_ids::contains(std::string_view id) const noexcept
{
    if (table_.empty()) return false;
    return table_[probe(id, std::hash<std::string_view>{}(id))] != empty;
}

// Backward-shift deletion: later entries of the probe run move up, so look-ups that stop at the
// first empty slot stay correct without tombstones.
void recent_ids::erase_slot(std::size_t slot) noexcept
{
    const std::size_t mask = table_.size() - 1;
    std::size_t hole = slot;
    for (std::size_t j = (hole + 1) & mask; table_[j] != empty; j = (j + 1) & mask) {
        const std::size_t home = hashes_[table_[j] - 1] & mask;
        // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
        const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays) continue;
        table_[hole] = table_[j];
        hole = j;
    }
    table_[hole] = empty;
}

void recent_ids::grow()
{
    std::vector<std::uint32_t> t(table_.empty() ? 64 : table_.size() * 2, empty);
    table_.swap(t);
    const std::size_t mask = table_.size() - 1;
    for (std::size_t r = 0; r < ring_.size(); ++r) {
        std::size_t i = hashes_[r] & mask;
        while (table_[i] != empty) i = (i + 1) & mask;
        table_[i] = static_cast<std::uint32_t>(r + 1);
    }
}

bool recent_ids::insert(std::string_view id)
{
    const std::size_t h = std::hash<std::string_view>{}(id);
    if (ring_.size() < capacity_ && (ring_.size() + 1) * 2 > table_.size()) grow();
    std::size_t slot = probe(id, h);
    if (table_[slot] != empty) return false;
    std::size_t r;
    if (ring_.size() < capacity_) {
        r = ring_.size();
        ring_.emplace_back(id);
        hashes_.push_back(h);
    } else { // full: the oldest goes, its string is reused
        r = next_;
        next_ = (next_ + 1) % capacity_;
        erase_slot(probe(ring_[r], hashes_[r]));
        ring_[r].assign(id);
        hashes_[r] = h;
        slot = probe(id, h); // the deletion may have shifted the run
    }
    table_[slot] = static_cast<std::uint32_t>(r + 1);
    return true;
}

} // namespace streamchat::detail
