#include "store/watch_budget.hpp"

#include <algorithm>
#include <initializer_list>
#include <iterator>

namespace streamchat::detail {

watch_budget::watch_budget(const watch_config& cfg)
    : capacity_(std::max<std::size_t>(cfg.max_watched_channels, 1))
{
    index_.reserve(capacity_ + 1);
}

watch_budget::decision watch_budget::request(std::string_view cid)
{
    decision d;
    if (auto found = index_.find(cid); found != index_.end()) {
        make_most_recent(found->second);
        d.already_watched_or_requested = true;
        return d;
    }
    const bool full = index_.size() >= capacity_;
    if (full && unpinned_.empty()) {
        d.refused = true;
        return d;
    }

    // Everything that may throw happens before the set changes: the new node is built aside and
    // indexed, and room for the victim's name is reserved.
    list fresh;
    fresh.push_back(entry{std::string(cid), watch_state::requested, false, ++clock_});
    if (full)
        d.evict.reserve(1);
    index_.emplace(fresh.front().cid, fresh.begin());

    if (full) {
        // Only one victim is ever needed: the set was at most full before this admission.
        const auto victim = std::prev(unpinned_.end());
        index_.erase(victim->cid);
        d.evict.push_back(std::move(victim->cid));
        unpinned_.erase(victim);
    }
    unpinned_.splice(unpinned_.begin(), fresh);
    return d;
}

bool watch_budget::confirmed(std::string_view cid) noexcept
{
    const auto found = index_.find(cid);
    if (found == index_.end())
        return false;
    found->second->state = watch_state::watched;
    return true;
}

bool watch_budget::failed(std::string_view cid) noexcept
{
    return remove(cid);
}

bool watch_budget::released(std::string_view cid) noexcept
{
    return remove(cid);
}

bool watch_budget::pin(std::string_view cid) noexcept
{
    const auto found = index_.find(cid);
    if (found == index_.end())
        return false;
    if (!found->second->pinned) {
        found->second->pinned = true;
        move_between(found->second, unpinned_, pinned_);
    }
    return true;
}

bool watch_budget::unpin(std::string_view cid) noexcept
{
    const auto found = index_.find(cid);
    if (found == index_.end())
        return false;
    if (found->second->pinned) {
        found->second->pinned = false;
        move_between(found->second, pinned_, unpinned_);
    }
    return true;
}

bool watch_budget::touch(std::string_view cid) noexcept
{
    const auto found = index_.find(cid);
    if (found == index_.end())
        return false;
    make_most_recent(found->second);
    return true;
}

void watch_budget::on_disconnect() noexcept
{
    for (list* l : {&unpinned_, &pinned_})
        for (entry& e : *l)
            e.state = watch_state::requested;
}

std::vector<std::string> watch_budget::to_rewatch() const
{
    std::vector<std::string> out;
    merged(true, [&](const entry& e) {
        if (e.state == watch_state::requested)
            out.push_back(e.cid);
    });
    return out;
}

bool watch_budget::is_watched(std::string_view cid) const noexcept
{
    const auto found = index_.find(cid);
    return found != index_.end() && found->second->state == watch_state::watched;
}

bool watch_budget::is_pinned(std::string_view cid) const noexcept
{
    const auto found = index_.find(cid);
    return found != index_.end() && found->second->pinned;
}

std::vector<std::string> watch_budget::watched_set() const
{
    std::vector<std::string> out;
    for (const list* l : {&unpinned_, &pinned_})
        for (const entry& e : *l)
            if (e.state == watch_state::watched)
                out.push_back(e.cid);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> watch_budget::lru_order() const
{
    std::vector<std::string> out;
    out.reserve(size());
    merged(false, [&](const entry& e) { out.push_back(e.cid); });
    return out;
}

void watch_budget::make_most_recent(list::iterator it) noexcept
{
    it->stamp = ++clock_;
    list& l = it->pinned ? pinned_ : unpinned_;
    l.splice(l.begin(), l, it);
}

void watch_budget::move_between(list::iterator it, list& from, list& to) noexcept
{
    // Both lists are sorted by decreasing stamp; the entry goes before the first older one.
    auto pos = std::find_if(to.begin(), to.end(),
                            [&](const entry& e) { return e.stamp < it->stamp; });
    to.splice(pos, from, it);
}

bool watch_budget::remove(std::string_view cid) noexcept
{
    const auto found = index_.find(cid);
    if (found == index_.end())
        return false;
    const list::iterator it = found->second;
    index_.erase(found); // before the node, whose cid the key views
    (it->pinned ? pinned_ : unpinned_).erase(it);
    return true;
}

template <class Out>
void watch_budget::merged(bool most_recent_first, Out out) const
{
    // Two runs sorted by stamp, merged; both lists are stored most recent first.
    auto visit = [&](auto a, auto a_end, auto b, auto b_end, auto before) {
        while (a != a_end || b != b_end) {
            if (b == b_end || (a != a_end && before(*a, *b)))
                out(*a++);
            else
                out(*b++);
        }
    };
    if (most_recent_first)
        visit(unpinned_.begin(), unpinned_.end(), pinned_.begin(), pinned_.end(),
              [](const entry& x, const entry& y) { return x.stamp > y.stamp; });
    else
        visit(unpinned_.rbegin(), unpinned_.rend(), pinned_.rbegin(), pinned_.rend(),
              [](const entry& x, const entry& y) { return x.stamp < y.stamp; });
}

} // namespace streamchat::detail
