#include "rest/scheduler.hpp"

#include <algorithm>
#include <cmath>

namespace streamchat::detail {

namespace {

std::size_t index_of(request_priority p) noexcept { return static_cast<std::size_t>(p); }

} // namespace

request_scheduler::request_scheduler(scheduler_config cfg, std::size_t trace_capacity)
    : cfg_(cfg), trace_capacity_(trace_capacity)
{
    cfg_.max_in_flight = std::max<std::size_t>(cfg_.max_in_flight, 1);
    cfg_.seed_limit = std::max(cfg_.seed_limit, 1);
    cfg_.seed_window = std::max(cfg_.seed_window, std::chrono::milliseconds(1));
    trace_.reserve(trace_capacity_);
}

std::size_t request_scheduler::queued() const noexcept
{
    return lanes_[0].size() + lanes_[1].size() + lanes_[2].size();
}

request_scheduler::ticket request_scheduler::enqueue(std::string_view endpoint, request_priority lane,
                                                     clock::time_point now)
{
    if (index_of(lane) > 2) lane = request_priority::idle;
    const ticket t = next_ticket_++;
    lanes_[index_of(lane)].push_back(entry{t, endpoint, lane, now, 0});
    if (lane == request_priority::visible) ++budget_of(endpoint, now).visible_queued;
    stats_.queued_max = std::max(stats_.queued_max, queued());
    return t;
}

bool request_scheduler::cancel(ticket t)
{
    for (auto& q : lanes_) {
        auto it = std::find_if(q.begin(), q.end(), [t](const entry& e) { return e.id == t; });
        if (it != q.end()) {
            if (it->lane == request_priority::visible)
                if (auto b = budgets_.find(it->endpoint); b != budgets_.end() && b->second.visible_queued > 0)
                    --b->second.visible_queued;
            q.erase(it);
            return true;
        }
    }
    return false;
}

request_scheduler::endpoint_budget& request_scheduler::budget_of(std::string_view endpoint, clock::time_point now)
{
    auto it = budgets_.find(endpoint);
    if (it == budgets_.end()) {
        endpoint_budget b;
        b.limit = cfg_.seed_limit;
        b.tokens = cfg_.seed_limit; // a fresh budget starts full, like the server's first window
        b.refilled = now;
        it = budgets_.emplace(std::string(endpoint), b).first;
    }
    return it->second;
}

void request_scheduler::refresh(endpoint_budget& b, clock::time_point now) const
{
    if (b.window_end) {
        if (now < *b.window_end) return;
        // The server's window has ended: a new one starts full. Requests still in flight may be
        // counted in it, so they are taken off. Until an answer tells the new window's end, the
        // budget refills smoothly at the seeded rate.
        b.window_end.reset();
        b.tokens = b.limit - static_cast<double>(b.in_flight);
        b.refilled = now;
        return;
    }
    if (now <= b.refilled) return;
    const double per_ns = b.limit / static_cast<double>(std::chrono::nanoseconds(cfg_.seed_window).count());
    const double gained = per_ns * static_cast<double>(std::chrono::nanoseconds(now - b.refilled).count());
    b.tokens = std::min(b.limit, b.tokens + gained);
    b.refilled = now;
}

double request_scheduler::reserve(const endpoint_budget& b) const
{
    return std::max(1.0, std::floor(b.limit * cfg_.visible_reserve_percent / 100.0));
}

std::size_t request_scheduler::lane_cap(request_priority lane) const noexcept
{
    const std::size_t max = cfg_.max_in_flight;
    switch (lane) {
    case request_priority::visible: return max;
    case request_priority::unread: return max > 1 ? max - 1 : 1;
    default: return max > cfg_.visible_reserve_slots ? max - cfg_.visible_reserve_slots : 1;
    }
}

request_scheduler::step request_scheduler::next(clock::time_point now)
{
    step out;
    auto wake_at = [&](clock::time_point t) {
        if (!out.wake || t < *out.wake) out.wake = t;
    };
    for (std::size_t li = 0; li < lanes_.size(); ++li) {
        auto& q = lanes_[li];
        if (q.empty()) continue;
        const auto lane = static_cast<request_priority>(li);
        if (in_flight_.size() >= lane_cap(lane)) continue; // a completion will wake us
        // The first request of the lane whose endpoint has budget goes; a blocked endpoint does
        // not hold up the others.
        std::string_view blocked[8];
        std::size_t n_blocked = 0;
        for (auto it = q.begin(); it != q.end(); ++it) {
            if (std::find(blocked, blocked + n_blocked, it->endpoint) != blocked + n_blocked) continue;
            auto& b = budget_of(it->endpoint, now);
            refresh(b, now);
            const double need = lane == request_priority::visible ? 1.0 : 1.0 + reserve(b);
            if (b.tokens >= need) {
                entry e = *it;
                q.erase(it);
                b.tokens -= 1;
                ++b.in_flight;
                in_flight_.emplace(e.id, e);
                ++stats_.dispatched;
                ++stats_.dispatched_by_lane[li];
                stats_.max_wait_by_lane[li] = std::max(stats_.max_wait_by_lane[li], now - e.enqueued);
                stats_.in_flight_max = std::max(stats_.in_flight_max, in_flight_.size());
                if (lane == request_priority::visible) --b.visible_queued;
                else if (b.visible_queued > 0) ++stats_.background_before_visible;
                if (trace_capacity_ > 0) {
                    dispatch_record r{e.id, lane, e.endpoint, e.enqueued, now};
                    if (trace_.size() < trace_capacity_) trace_.push_back(r);
                    else trace_[trace_next_] = r;
                    trace_next_ = (trace_next_ + 1) % trace_capacity_;
                }
                out.dispatch = e.id;
                return out;
            }
            if (it == q.begin()) ++stats_.waited_for_budget;
            if (b.window_end) {
                wake_at(*b.window_end);
            } else {
                const double missing = need - b.tokens;
                const double ns = missing * static_cast<double>(std::chrono::nanoseconds(cfg_.seed_window).count()) / b.limit;
                wake_at(now + std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(ns))) +
                        std::chrono::microseconds(1));
            }
            if (n_blocked < std::size(blocked)) blocked[n_blocked++] = it->endpoint;
        }
    }
    return out;
}

void request_scheduler::learn(endpoint_budget& b, const rate_answer& a, clock::time_point now) const
{
    if (a.limit && *a.limit > 0) b.limit = static_cast<double>(*a.limit);
    const double others = static_cast<double>(b.in_flight); // dispatched, not answered: maybe not counted yet
    if (a.status == 429) {
        auto wait = a.retry_after ? *a.retry_after
                    : a.reset_in  ? *a.reset_in
                                  : std::chrono::steady_clock::duration(cfg_.default_retry_after);
        if (wait <= clock::duration::zero()) wait = cfg_.default_retry_after;
        wait = std::min(wait, clock::duration(cfg_.max_window));
        const auto end = now + wait + cfg_.reset_margin;
        b.window_end = b.window_end ? std::max(*b.window_end, end) : end;
        b.tokens = std::min(b.tokens, -others);
        return;
    }
    if (!a.remaining || !a.reset_in) return;
    // A window longer than the longest wait we accept is not believed beyond that wait.
    const auto reset_in = std::clamp(*a.reset_in, clock::duration::zero(),
                                     clock::duration(cfg_.max_window));
    const auto end = now + reset_in + cfg_.reset_margin;
    const double left = static_cast<double>(*a.remaining) - others;
    // Reset times are whole seconds; answers from one window agree to well within this.
    constexpr auto same_window = std::chrono::milliseconds(250);
    if (!b.window_end || end > *b.window_end + same_window) {
        b.window_end = end; // a newer window than the one we knew
        b.tokens = left;
    } else if (end + same_window >= *b.window_end) {
        b.tokens = std::min(b.tokens, left); // answers arrive out of order: keep the lowest
    } // else: an answer from an older window; it says nothing about this one
}

bool request_scheduler::complete(ticket t, const rate_answer& answer, clock::time_point now, bool may_retry)
{
    auto it = in_flight_.find(t);
    if (it == in_flight_.end()) return false;
    entry e = it->second;
    in_flight_.erase(it);
    auto& b = budget_of(e.endpoint, now);
    if (b.in_flight > 0) --b.in_flight;
    refresh(b, now);
    const bool retry = answer.status == 429 && may_retry && e.rate_limited < cfg_.max_rate_limited_retries;
    if (answer.status == 429) ++stats_.rate_limited;
    if (!retry) {
        // Handed back: the caller decides. The headers still count, but a 429 does not park the
        // endpoint beyond its window (the caller may have been told of a longer wait).
        rate_answer plain = answer;
        plain.status = 200;
        learn(b, plain, now);
        return false;
    }
    learn(b, answer, now);
    ++e.rate_limited;
    ++stats_.retried;
    e.enqueued = now;
    lanes_[index_of(e.lane)].push_front(e);
    if (e.lane == request_priority::visible) ++b.visible_queued;
    stats_.queued_max = std::max(stats_.queued_max, queued());
    return true;
}

void request_scheduler::abandon(ticket t)
{
    auto it = in_flight_.find(t);
    if (it == in_flight_.end()) return;
    if (auto b = budgets_.find(it->second.endpoint); b != budgets_.end() && b->second.in_flight > 0)
        --b->second.in_flight;
    in_flight_.erase(it);
}

std::vector<dispatch_record> request_scheduler::trace() const
{
    if (trace_.size() < trace_capacity_) return trace_;
    std::vector<dispatch_record> out;
    out.reserve(trace_.size());
    for (std::size_t i = 0; i < trace_.size(); ++i) out.push_back(trace_[(trace_next_ + i) % trace_.size()]);
    return out;
}

double request_scheduler::budget(std::string_view endpoint, clock::time_point now)
{
    auto& b = budget_of(endpoint, now);
    refresh(b, now);
    return b.tokens;
}

} // namespace streamchat::detail
