#include "realtime/backoff.hpp"

#include <algorithm>

namespace streamchat::detail {
namespace {

using std::chrono::milliseconds;
using rep = milliseconds::rep;

// splitmix64 (Steele, Lea, Flood 2014): one 64-bit word of state, any seed (0 included) is fine,
// and the output passes BigCrush, which is plenty for jitter.
std::uint64_t splitmix64(std::uint64_t& state) noexcept
{
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// a + k*step, clamped to cap; k*step never computed when it could overflow.
rep add_steps_capped(rep a, std::int64_t k, rep step, rep cap) noexcept
{
    if (a >= cap) return cap;
    if (k <= 0 || step == 0) return a;
    if (k > (cap - a) / step) return cap;
    return a + k * step;
}

} // namespace

reconnect_backoff::reconnect_backoff(backoff_config config, std::uint64_t seed) noexcept
    : config_(config), state_(seed)
{
}

void reconnect_backoff::record_failure() noexcept
{
    if (failures_ < max_failures) ++failures_;
}

std::pair<milliseconds, milliseconds> reconnect_backoff::range(int n, const backoff_config& config) noexcept
{
    const rep floor = std::max<rep>(config.floor.count(), 0);
    const rep first_max = std::max<rep>(config.first_max.count(), 0);
    const rep step = std::max<rep>(config.step.count(), 0);
    const rep cap = std::max<rep>(config.cap.count(), 0);
    const std::int64_t k = std::max(n, 0);

    const rep lo = std::min(std::max(floor, add_steps_capped(0, k - 1, step, cap)), cap);
    const rep hi = std::max(add_steps_capped(first_max, k, step, cap), lo);
    return {milliseconds(lo), milliseconds(hi)};
}

milliseconds reconnect_backoff::next_delay() noexcept
{
    const auto [lo, hi] = range(failures_, config_);
    const auto span = static_cast<std::uint64_t>(hi.count() - lo.count()) + 1;
    // Rejection sampling: drop the 2^64 mod span lowest draws so every offset is equally likely.
    const std::uint64_t reject_below = (0 - span) % span;
    std::uint64_t x = splitmix64(state_);
    while (x < reject_below)
        x = splitmix64(state_);
    return lo + milliseconds(static_cast<rep>(x % span));
}

} // namespace streamchat::detail
