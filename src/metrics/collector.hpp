#ifndef STREAMCHAT_SRC_METRICS_COLLECTOR_HPP
#define STREAMCHAT_SRC_METRICS_COLLECTOR_HPP

// The part of a client's metrics snapshot that is not a counter kept elsewhere: per-endpoint
// request figures (fed by the transport), milestones (first connection, first page, …), channel
// switches and RSS samples. One per client, used on its executor; shared (shared_ptr) with the
// transport and the channel lists, whose completions may run after the client is gone.

#include "rest/http_message.hpp"

#include <streamchat/error.hpp>
#include <streamchat/metrics.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace streamchat::detail {

/// Resident set size of this process in bytes, from /proc/self/statm; empty where unavailable.
std::optional<std::uint64_t> read_rss_bytes() noexcept;

class metrics_collector {
public:
    using clock = std::chrono::steady_clock;

    /// `start` is the origin of every milestone; `rss_interval` 0 turns RSS sampling off.
    metrics_collector(clock::time_point start, std::chrono::milliseconds rss_interval);

    // ---------------------------------------------------------------- requests (the transport)

    /// One answer (or failure) of `endpoint`, for a request handed to the transport at `sent`.
    /// Call it once per response the transport got: the 429s are counted from
    /// `res.rate_limited` (429s a pool waited out and retried) or a 429 status.
    void on_response(std::string_view endpoint, clock::time_point sent, const http_response& res, error_code ec);
    /// A 429 of `endpoint` that no `on_response` call reports (see on_response).
    void on_rate_limited(std::string_view endpoint);

    // ---------------------------------------------------------------- milestones (first one kept)

    void note_connected(clock::time_point t) noexcept { first(connected_, t); }
    void note_first_page_loaded(clock::time_point t) noexcept { first(page_loaded_, t); }
    void note_page_visible(clock::time_point t) noexcept { first(page_visible_, t); }
    void note_viewport_watched(clock::time_point t) noexcept { first(viewport_, t); }

    // ---------------------------------------------------------------- switches, RSS

    void record_switch(bool cold, clock::duration d) noexcept;
    /// A batch was delivered: samples the RSS when the interval has passed since the last sample.
    void on_batch_delivered(clock::time_point now);
    /// Samples the RSS now (unless sampling is off).
    void sample_rss(clock::time_point now);

    /// Writes everything above into `out` (the other members are left alone).
    void fill(metrics_snapshot& out, clock::time_point now) const;

    clock::time_point start() const noexcept { return start_; }

private:
    static void first(std::optional<clock::time_point>& slot, clock::time_point t) noexcept
    {
        if (!slot) slot = t;
    }
    endpoint_metrics& endpoint(std::string_view name);

    clock::time_point start_;
    std::chrono::milliseconds rss_interval_;
    std::optional<clock::time_point> connected_, page_loaded_, page_visible_, viewport_;
    std::optional<clock::duration> first_page_ttfb_;
    latency_histogram switch_cold_, switch_preloaded_;
    std::vector<endpoint_metrics> endpoints_; // a dozen at most: a linear search is the cheapest
    std::vector<rss_sample> rss_;              // a ring of rss_sample_capacity once full
    std::size_t rss_next_ = 0;                 // where the next sample goes once the ring is full
    std::optional<clock::time_point> rss_last_;
};

} // namespace streamchat::detail

#endif
