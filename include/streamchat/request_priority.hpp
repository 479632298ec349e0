#ifndef STREAMCHAT_REQUEST_PRIORITY_HPP
#define STREAMCHAT_REQUEST_PRIORITY_HPP

/// @file
/// Which lane of the client's request scheduler a REST call takes, and the settings of that
/// scheduler: lanes, a cap on requests in flight, and per-endpoint rate budgets.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace streamchat {

struct diagnostics;

/// Lanes of the request scheduler, most urgent first. A queued request of a lane is always
/// dispatched before any request of a later lane that could go at the same time.
enum class request_priority : std::uint8_t {
    visible, ///< What the user looks at now (default for application calls).
    unread,  ///< Background work for channels with unread messages.
    idle     ///< Everything else in the background (paging the rest of a list ahead of time).
};

/// Per-call options of a REST call: its lane, and where to put the failure details.
struct request_options {
    /// Lane of the call. Default: visible, the application is waiting for it.
    request_priority priority = request_priority::visible;
    /// Filled with the server's error envelope and rate-limit figures; must outlive the call.
    /// Default: none.
    diagnostics* diag = nullptr;
};

/// Settings of the request scheduler between the typed REST calls and the connection pool
/// (docs/protocol.md §4.5). Every member has a default that suits Stream's hosted API.
struct scheduler_config {
    /// Off: requests go straight to the pool, which then waits out 429s itself. Default on.
    bool enabled = true;
    /// Requests in flight at most, over all lanes. Default 4, the pool's connection count, so
    /// that a dispatched request never queues again inside the pool.
    std::size_t max_in_flight = 4;
    /// Slots kept free for visible work: the unread lane may fill `max_in_flight - 1` slots, the
    /// idle lane `max_in_flight - visible_reserve_slots`. Default 2 (idle work uses at most 2 of 4).
    std::size_t visible_reserve_slots = 2;
    /// Budget of an endpoint before its first answer says otherwise: Stream allows each user 60
    /// requests a minute per endpoint. Default 60.
    int seed_limit = 60;
    /// Window of the seeded budget; corrected by `X-RateLimit-Reset`. Default 60 s.
    std::chrono::milliseconds seed_window = std::chrono::minutes(1);
    /// Share of an endpoint's budget that background lanes leave to visible work, in percent of
    /// its limit (at least one request). Default 10.
    int visible_reserve_percent = 10;
    /// Added to the server's reset time before a window counts as renewed: `X-RateLimit-Reset` is
    /// in whole seconds, and clocks differ. Default 100 ms.
    std::chrono::milliseconds reset_margin = std::chrono::milliseconds(100);
    /// Wait after a 429 that names no delay. Default 1 s.
    std::chrono::milliseconds default_retry_after = std::chrono::seconds(1);
    /// 429s one request may meet before its 429 is handed to the caller. Default 5.
    int max_rate_limited_retries = 5;
    /// Longest an endpoint is held back on the server's word (`Retry-After`, `X-RateLimit-Reset`):
    /// Stream's windows are one minute, so a longer figure is not believed past this. Default 60 s.
    std::chrono::milliseconds max_window = std::chrono::minutes(1);
};

} // namespace streamchat

#endif
