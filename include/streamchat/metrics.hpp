#ifndef STREAMCHAT_METRICS_HPP
#define STREAMCHAT_METRICS_HPP

/// @file
/// One metrics snapshot for a whole client (`client::metrics_snapshot()`), exportable as JSON.
/// docs/metrics.md describes every field and the JSON shape.

#include <streamchat/channel_list.hpp>
#include <streamchat/client.hpp>
#include <streamchat/latency_histogram.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// What one REST endpoint ("query_channels", "send_message", …) did.
struct endpoint_metrics {
    /// The endpoint's name, as the rate limits key it. Default: empty.
    std::string endpoint{};
    /// Requests that completed (answered, failed or cancelled). Default 0.
    std::uint64_t requests = 0;
    /// 429 answers, including those the transport waited out and sent again. Default 0.
    std::uint64_t rate_limited = 0;
    /// Requests that ended without a 2xx answer: a transport error or an HTTP status of 400 or
    /// more (429 included). Cancelled requests are not failures. Default 0.
    std::uint64_t failures = 0;
    /// Request sent to the server (after any wait in the scheduler's queue) → its answer, for
    /// every answer of any status; a request sent again after a 429 counts once per send.
    /// Default: empty.
    latency_histogram latency{};
};

/// The resident set size at one moment.
struct rss_sample {
    /// Since the client was constructed. Default 0.
    std::chrono::nanoseconds at{};
    /// Resident set size of the process, in bytes (/proc/self/statm). Default 0.
    std::uint64_t bytes = 0;
};

/** @brief Everything a client measured, at one moment.

    Timings are measured from the client's construction (the same origin as `uptime` and the
    RSS samples), except `first_page_ttfb`, an HTTP figure. An unset optional means the milestone
    was not reached yet. Channel-list figures cover every `channel_list` of the client, including
    destroyed ones: counters are summed, milestones are the first any list reached.
*/
struct metrics_snapshot {
    /// Time since the client was constructed. Default 0.
    std::chrono::nanoseconds uptime{};
    /// The client's counters (`client::metrics()`): WebSockets open (now and max), reconnects,
    /// events and batches, watched channels (now and max), evictions, profile cache requests,
    /// hits and misses, … Default: all 0.
    client_metrics client{};
    /// The channel lists' counters, summed over every list of this client. Default: all 0.
    channel_list_metrics lists{};
    /// Lists alive now. Default 0.
    std::size_t lists_attached = 0;
    /// The watch budget (`client_config::watch.max_watched_channels`). Default 0.
    std::size_t watch_budget = 0;

    /// The WebSocket first connected (first `health.check`). Default: unset.
    std::optional<std::chrono::nanoseconds> socket_connected{};
    /// Time to first byte of the first page: request written → response header read, for the
    /// first successful `query_channels` answer of the client (in practice the list's first
    /// page). Default: unset.
    std::optional<std::chrono::nanoseconds> first_page_ttfb{};
    /// A list's first page (stage 1) was loaded. Default: unset.
    std::optional<std::chrono::nanoseconds> first_page_loaded{};
    /// Time to first visible page: a list's first page loaded (stage 1) and its previews
    /// (stage 2, a call that includes row 0) done. Default: unset.
    std::optional<std::chrono::nanoseconds> first_visible_page{};
    /// A list's viewport (stage 3) first completed without error. Default: unset.
    std::optional<std::chrono::nanoseconds> first_viewport_watched{};
    /// Time to interactive: the latest of `first_visible_page`, `first_viewport_watched` and
    /// `socket_connected`; unset until all three are set. Default: unset.
    std::optional<std::chrono::nanoseconds> time_to_interactive{};

    /// Channel switches to a channel without full state: `client::async_watch` called by the
    /// application → the watch done and the full state in the store. Default: empty.
    latency_histogram channel_switch_cold{};
    /// Channel switches to a channel whose full state was already in the store (preloaded by
    /// the viewport's overscan, or watched before): `async_watch` → done, without a round trip
    /// but behind the watches queued before it. Default: empty.
    latency_histogram channel_switch_preloaded{};

    /// Per REST endpoint, in the order first used. Default: empty.
    std::vector<endpoint_metrics> endpoints{};
    /// 429 answers over every endpoint. Default 0.
    std::uint64_t rate_limited = 0;

    /// Resident set size over time, oldest first: at most one sample per
    /// `client_config::rss_sample_interval` taken when batches are delivered, one at every
    /// snapshot, the last `rss_sample_capacity` kept. Empty when the interval is 0 or
    /// /proc/self/statm cannot be read. Default: empty.
    std::vector<rss_sample> rss_samples{};
    /// RSS samples kept at most (10 minutes at the default interval).
    static constexpr std::size_t rss_sample_capacity = 600;
};

/// The snapshot as compact JSON (docs/metrics.md): snake_case keys, durations in milliseconds as
/// doubles (`*_ms`, null when unset), histograms as `{count, min_ms, mean_ms, p50_ms, p95_ms,
/// p99_ms, max_ms, buckets: [[lo_ns, hi_ns, count], …]}`.
std::string to_json(const metrics_snapshot& s);

} // namespace streamchat

#endif
