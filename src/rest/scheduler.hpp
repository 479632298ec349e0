#ifndef STREAMCHAT_SRC_REST_SCHEDULER_HPP
#define STREAMCHAT_SRC_REST_SCHEDULER_HPP

// The request scheduler's decisions, without I/O (docs/protocol.md §4.5): which queued request
// goes next, given lanes, a cap on requests in flight and a rate budget per endpoint that the
// server's `X-RateLimit-*` headers and 429s correct. `scheduled_transport` carries them out.

#include "util/fifo.hpp"

#include <streamchat/request_priority.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace streamchat::detail {

/// What one answer says about its endpoint's budget.
struct rate_answer {
    int status = 0;                                           ///< HTTP status; 429 = rate limited.
    std::optional<std::int64_t> limit{};                      ///< `X-RateLimit-Limit`.
    std::optional<std::int64_t> remaining{};                  ///< `X-RateLimit-Remaining`.
    std::optional<std::chrono::steady_clock::duration> reset_in{};    ///< Until `X-RateLimit-Reset`.
    std::optional<std::chrono::steady_clock::duration> retry_after{}; ///< `Retry-After`.
};

/// Counters of a scheduler.
struct scheduler_stats {
    std::uint64_t dispatched = 0;      ///< Requests handed to the transport (429 retries included).
    std::uint64_t rate_limited = 0;    ///< 429 answers.
    std::uint64_t retried = 0;         ///< Requests queued again after a 429.
    std::uint64_t waited_for_budget = 0; ///< Times the head of a lane had to wait for its endpoint's budget.
    /// Background requests dispatched while a visible request of the same endpoint was queued:
    /// background work spending budget that visible work waits for. Zero by design (background
    /// lanes need a reserve left); counted so that tests and metrics can show it.
    std::uint64_t background_before_visible = 0;
    std::size_t queued_max = 0;        ///< Most requests queued at once.
    std::size_t in_flight_max = 0;     ///< Most requests in flight at once.
    std::array<std::uint64_t, 3> dispatched_by_lane{}; ///< By `request_priority`.
    /// Longest wait from enqueue to dispatch, by lane.
    std::array<std::chrono::steady_clock::duration, 3> max_wait_by_lane{};
};

/// One dispatch, for tests and diagnostics (`scheduler_config`-independent, bounded).
struct dispatch_record {
    std::uint64_t ticket = 0;
    request_priority lane = request_priority::visible;
    std::string_view endpoint;  ///< Endpoint names are string literals.
    std::chrono::steady_clock::time_point enqueued{};
    std::chrono::steady_clock::time_point dispatched{};
};

class request_scheduler {
public:
    using clock = std::chrono::steady_clock;
    using ticket = std::uint64_t;

    explicit request_scheduler(scheduler_config cfg = {}, std::size_t trace_capacity = 0);

    /// Queues a request for `endpoint` (a string literal: it is kept as a view) in `lane`.
    ticket enqueue(std::string_view endpoint, request_priority lane, clock::time_point now);
    /// Removes a request that is still queued. False when it is not (dispatched or unknown).
    bool cancel(ticket t);

    struct step {
        std::optional<ticket> dispatch{};      ///< Hand this request to the transport now.
        std::optional<clock::time_point> wake{}; ///< Nothing can go now; ask again at this time.
    };
    /// The next request to send, if any can go at `now`. Call until it returns no dispatch.
    step next(clock::time_point now);

    /// A dispatched request got `answer`. Returns true when it should be sent again (a 429 within
    /// the retry budget): it is queued again, first in its lane, under the same ticket.
    bool complete(ticket t, const rate_answer& answer, clock::time_point now, bool may_retry = true);
    /// A dispatched request ended without an answer (connection lost, cancelled, shut down).
    void abandon(ticket t);

    std::size_t queued() const noexcept;
    std::size_t in_flight() const noexcept { return in_flight_.size(); }
    const scheduler_stats& stats() const noexcept { return stats_; }
    /// The last dispatches (up to the trace capacity), oldest first.
    std::vector<dispatch_record> trace() const;
    /// Requests `endpoint` may still send in its current window (tests, diagnostics).
    double budget(std::string_view endpoint, clock::time_point now);

private:
    struct endpoint_budget {
        double tokens = 0;
        double limit = 0;
        clock::time_point refilled{};                  // last smooth refill (no window known)
        std::optional<clock::time_point> window_end{}; // learnt from X-RateLimit-Reset or a 429
        std::size_t in_flight = 0;
        std::size_t visible_queued = 0;
    };
    struct entry {
        ticket id = 0;
        std::string_view endpoint;
        request_priority lane = request_priority::visible;
        clock::time_point enqueued{};
        int rate_limited = 0;
    };

    endpoint_budget& budget_of(std::string_view endpoint, clock::time_point now);
    void refresh(endpoint_budget& b, clock::time_point now) const;
    double reserve(const endpoint_budget& b) const;
    std::size_t lane_cap(request_priority lane) const noexcept;
    void learn(endpoint_budget& b, const rate_answer& a, clock::time_point now) const;

    scheduler_config cfg_;
    ticket next_ticket_ = 1;
    std::array<fifo<entry>, 3> lanes_;
    std::unordered_map<ticket, entry> in_flight_;
    std::map<std::string, endpoint_budget, std::less<>> budgets_;
    scheduler_stats stats_;
    std::vector<dispatch_record> trace_;
    std::size_t trace_capacity_ = 0;
    std::size_t trace_next_ = 0;
};

} // namespace streamchat::detail

#endif
