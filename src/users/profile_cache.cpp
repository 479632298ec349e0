#include "users/profile_cache.hpp"

#include <streamchat/model/user.hpp>

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace streamchat {

user_profile to_profile(const user& u)
{
    user_profile p;
    p.id = u.id;
    p.name = u.name.value_or(std::string());
    p.image = u.image.value_or(std::string());
    p.online = u.online.value_or(false);
    p.last_active = u.last_active;
    return p;
}

} // namespace streamchat

namespace streamchat::detail {

profile_cache::profile_cache(const profile_cache_config& cfg)
    : ttl_(cfg.ttl),
      missing_ttl_(cfg.missing_ttl),
      capacity_(std::max<std::size_t>(cfg.capacity, 1)),
      max_batch_(std::clamp<std::size_t>(cfg.max_batch, 1, 100))
{
}

profile_cache::lookup profile_cache::get_views(std::span<const std::string_view> ids, time_point now)
{
    lookup out;
    waiter* w = nullptr;
    std::unordered_set<std::string_view> asked;
    asked.reserve(ids.size());
    for (const std::string_view id : ids) {
        if (id.empty() || !asked.insert(id).second)
            continue;
        if (const auto found = index_.find(id); found != index_.end()) {
            const lru_list::iterator it = found->second;
            if (now < it->expires) {
                lru_.splice(lru_.begin(), lru_, it);
                ++metrics_.hits;
                if (it->missing)
                    out.missing.push_back(it->profile.id);
                else
                    out.hits.push_back(it->profile);
                continue;
            }
            ++metrics_.expired; // kept for peek() until the answer replaces it
        }
        ++metrics_.misses;
        if (w == nullptr) {
            out.waiter = ++next_waiter_;
            w = &waiters_[out.waiter];
            w->res.waiter = out.waiter;
        }
        auto p = pending_.find(id);
        if (p != pending_.end()) {
            ++metrics_.joined;
        } else {
            p = pending_.emplace(std::string(id), pending{}).first;
            queued_.push_back(p->first);
            ++queued_count_;
        }
        p->second.waiters.push_back(out.waiter);
        ++w->remaining;
        ++out.pending;
    }
    return out;
}

std::vector<profile_cache::batch> profile_cache::take_batches()
{
    std::vector<batch> out;
    for (std::string& id : queued_) {
        const auto p = pending_.find(id);
        if (p == pending_.end() || p->second.batch != 0)
            continue; // resolved by put() since, or queued twice
        if (out.empty() || out.back().ids.size() >= max_batch_) {
            out.push_back(batch{++next_batch_, {}});
            out.back().ids.reserve(std::min(max_batch_, queued_count_));
        }
        p->second.batch = out.back().id;
        --queued_count_;
        out.back().ids.push_back(std::move(id));
    }
    queued_.clear();
    for (const batch& b : out)
        in_flight_.emplace(b.id, b.ids);
    metrics_.requests += out.size();
    return out;
}

bool profile_cache::complete(batch_id id, std::span<const user_profile> users, time_point now)
{
    const auto flight = in_flight_.find(id);
    if (flight == in_flight_.end())
        return false;
    const std::vector<std::string> ids = std::move(flight->second);
    in_flight_.erase(flight);
    for (const user_profile& u : users) {
        if (u.id.empty())
            continue;
        user_profile copy = u;
        const entry& e = store(std::move(copy), now + ttl_, false);
        resolve(u.id, outcome::found, &e.profile, {});
    }
    for (const std::string& asked : ids) {
        const auto p = pending_.find(asked);
        if (p == pending_.end() || p->second.batch != id)
            continue; // answered above, by put(), or asked again in a later batch
        store(user_profile{asked, {}, {}, false, std::nullopt}, now + missing_ttl_, true);
        resolve(asked, outcome::missing, nullptr, {});
    }
    evict_overflow();
    return true;
}

bool profile_cache::complete(batch_id id, const std::vector<user>& users, time_point now)
{
    std::vector<user_profile> profiles;
    profiles.reserve(users.size());
    for (const user& u : users)
        profiles.push_back(to_profile(u));
    return complete(id, profiles, now);
}

bool profile_cache::fail(batch_id id, error_code ec)
{
    const auto flight = in_flight_.find(id);
    if (flight == in_flight_.end())
        return false;
    const std::vector<std::string> ids = std::move(flight->second);
    in_flight_.erase(flight);
    for (const std::string& asked : ids) {
        const auto p = pending_.find(asked);
        if (p != pending_.end() && p->second.batch == id)
            resolve(asked, outcome::failed, nullptr, ec);
    }
    return true;
}

std::vector<profile_cache::result> profile_cache::take_results()
{
    return std::exchange(ready_, {});
}

void profile_cache::put(user_profile p, time_point now)
{
    if (p.id.empty())
        return;
    ++metrics_.fills;
    const entry& e = store(std::move(p), now + ttl_, false);
    resolve(e.profile.id, outcome::found, &e.profile, {});
    evict_overflow();
}

void profile_cache::put(const user& u, time_point now)
{
    const bool stub = !u.name && !u.image && !u.online && !u.last_active && !u.role && !u.created_at && !u.updated_at;
    if (u.id.empty() || stub)
        return;
    user_profile p = to_profile(u);
    if (const auto found = index_.find(u.id); found != index_.end() && !found->second->missing) {
        const user_profile& known = found->second->profile;
        if (!u.online)
            p.online = known.online;
        if (!u.last_active)
            p.last_active = known.last_active;
    }
    put(std::move(p), now);
}

bool profile_cache::update_presence(std::string_view id, bool online, std::optional<timestamp> last_active)
{
    const auto found = index_.find(id);
    if (found == index_.end() || found->second->missing)
        return false;
    user_profile& p = found->second->profile;
    p.online = online;
    if (last_active)
        p.last_active = last_active;
    return true;
}

bool profile_cache::erase(std::string_view id)
{
    const auto found = index_.find(id);
    if (found == index_.end())
        return false;
    const lru_list::iterator it = found->second;
    index_.erase(found);
    lru_.erase(it);
    return true;
}

const user_profile* profile_cache::find(std::string_view id, time_point now) const
{
    const auto found = index_.find(id);
    if (found == index_.end() || found->second->missing || !(now < found->second->expires))
        return nullptr;
    return &found->second->profile;
}

const user_profile* profile_cache::peek(std::string_view id) const
{
    const auto found = index_.find(id);
    if (found == index_.end() || found->second->missing)
        return nullptr;
    return &found->second->profile;
}

profile_cache_metrics profile_cache::metrics() const noexcept
{
    profile_cache_metrics m = metrics_;
    m.entries = index_.size();
    return m;
}

profile_cache::entry& profile_cache::store(user_profile&& p, time_point expires, bool missing)
{
    if (const auto found = index_.find(p.id); found != index_.end()) {
        const lru_list::iterator it = found->second;
        // Field by field: the index's key views this entry's id, which must not be reassigned.
        it->profile.name = std::move(p.name);
        it->profile.image = std::move(p.image);
        it->profile.online = p.online;
        it->profile.last_active = p.last_active;
        it->expires = expires;
        it->missing = missing;
        lru_.splice(lru_.begin(), lru_, it);
        return *it;
    }
    lru_list fresh;
    fresh.push_back(entry{std::move(p), expires, missing});
    index_.emplace(fresh.front().profile.id, fresh.begin());
    lru_.splice(lru_.begin(), fresh);
    return lru_.front();
}

void profile_cache::evict_overflow()
{
    while (index_.size() > capacity_) {
        const lru_list::iterator victim = std::prev(lru_.end());
        index_.erase(victim->profile.id);
        lru_.erase(victim);
        ++metrics_.evictions;
    }
}

void profile_cache::resolve(std::string_view id, outcome how, const user_profile* p, error_code ec)
{
    const auto found = pending_.find(id);
    if (found == pending_.end())
        return;
    if (found->second.batch == 0)
        --queued_count_;
    const std::vector<waiter_id> waiting = std::move(found->second.waiters);
    std::string key = std::move(pending_.extract(found).key());
    for (const waiter_id wid : waiting) {
        const auto w = waiters_.find(wid);
        if (w == waiters_.end())
            continue;
        result& r = w->second.res;
        switch (how) {
        case outcome::found: r.found.push_back(*p); break;
        case outcome::missing: r.missing.push_back(key); break;
        case outcome::failed:
            r.failed.push_back(key);
            if (!r.ec)
                r.ec = ec;
            break;
        }
        if (--w->second.remaining == 0) {
            ready_.push_back(std::move(r));
            waiters_.erase(w);
        }
    }
}

} // namespace streamchat::detail
