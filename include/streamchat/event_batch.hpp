#ifndef STREAMCHAT_EVENT_BATCH_HPP
#define STREAMCHAT_EVENT_BATCH_HPP

/// @file
/// What a client delivers to the application: events grouped in time (batch_config).

#include <streamchat/model/event.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace streamchat {

/// Events delivered together, already applied to the client's channel store. Per channel they
/// are in the order the server sent them; redundant typing, watcher, presence and read events
/// are coalesced.
struct event_batch {
    /// Typed events, in arrival order.
    std::vector<event> events{};
    /// Channels whose summary changed without a typed event here, each once: message and read
    /// events of channels the client holds no full state for (see
    /// batch_config::compact_unwatched), and the channels of events dropped by an overflow.
    /// Redraw their rows from `client::channels()`.
    std::vector<std::string> summaries_changed{};
    /// Events not delivered because the application fell more than batch_config::max_queued
    /// events behind. They were applied to the store; their channels are in `summaries_changed`.
    std::uint64_t dropped = 0;
    /// When the oldest event of the batch was received.
    std::chrono::steady_clock::time_point first_received{};
};

} // namespace streamchat

#endif
