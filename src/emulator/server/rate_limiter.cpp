#include "emulator/server/rate_limiter.hpp"

#include <algorithm>

namespace streamchat::emu {

namespace {

// Buckets of finished windows are dropped once the map grows past this (bounded memory under
// many distinct callers, no timer needed).
constexpr std::size_t prune_threshold = 50'000;

std::int64_t epoch_ms(std::chrono::system_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

} // namespace

rate_limiter::rate_limiter(emulator_rate_limits mode, int per_window, std::chrono::milliseconds window)
    : mode_(mode), per_window_(std::max(per_window, 1)), window_(std::max(window, std::chrono::milliseconds(1)))
{
}

std::string rate_limiter::key_of(std::string_view identity, std::string_view route)
{
    std::string key;
    key.reserve(identity.size() + route.size() + 1);
    key.append(identity).push_back('\n');
    key.append(route);
    return key;
}

rate_limiter::verdict rate_limiter::make(std::int64_t window_start_ms, std::int64_t count,
                                         std::chrono::system_clock::time_point now) const
{
    verdict v;
    const std::int64_t end_ms = window_start_ms + window_.count();
    v.reset = (end_ms + 999) / 1000;
    if (mode_ == emulator_rate_limits::off) {
        v.limit = unlimited_quota;
        v.remaining = unlimited_quota - 1;
        return v;
    }
    v.limit = per_window_;
    v.allowed = count <= per_window_;
    v.remaining = std::max<std::int64_t>(per_window_ - count, 0);
    if (!v.allowed) v.retry_after = std::max<std::int64_t>((end_ms - epoch_ms(now) + 999) / 1000, 1);
    return v;
}

rate_limiter::verdict rate_limiter::hit(std::string_view identity, std::string_view route,
                                        std::chrono::system_clock::time_point now)
{
    const std::int64_t t = epoch_ms(now);
    if (mode_ == emulator_rate_limits::off) return make(t, 1, now);
    if (buckets_.size() > prune_threshold)
        std::erase_if(buckets_, [&](const auto& kv) { return kv.second.start + window_.count() <= t; });
    auto& b = buckets_[key_of(identity, route)];
    if (b.count == 0 || b.start + window_.count() <= t) b = bucket{t, 0};
    ++b.count;
    return make(b.start, b.count, now);
}

rate_limiter::verdict rate_limiter::peek(std::string_view identity, std::string_view route,
                                         std::chrono::system_clock::time_point now) const
{
    const std::int64_t t = epoch_ms(now);
    if (mode_ == emulator_rate_limits::stream) {
        if (auto it = buckets_.find(key_of(identity, route));
            it != buckets_.end() && it->second.start + window_.count() > t)
            return make(it->second.start, it->second.count, now);
    }
    return make(t, 0, now);
}

} // namespace streamchat::emu
