#ifndef STREAMCHAT_REALTIME_CONFIG_HPP
#define STREAMCHAT_REALTIME_CONFIG_HPP

/// @file
/// Settings of the realtime side of a client: the WebSocket's health checks and reconnect
/// backoff, the event batcher and the watch budget. Defaults are Stream's own figures
/// (docs/protocol.md §5.4, §5.5); tests shorten them to milliseconds.

#include <chrono>
#include <cstddef>

namespace streamchat {

/// Jittered reconnect delay. After `n` consecutive failures the delay is drawn uniformly from
/// `[min(max(floor, (n-1)*step), cap), min(first_max + n*step, cap)]`, which with the defaults is
/// Stream's own schedule: 250–500 ms, 250–2500 ms, 2000–4500 ms, … capped at 25 s.
struct backoff_config {
    /// Lowest delay ever drawn. Default 250 ms.
    std::chrono::milliseconds floor{250};
    /// Upper end of the range before any failure (n = 0). Default 500 ms.
    std::chrono::milliseconds first_max{500};
    /// Growth of both ends per consecutive failure. Default 2000 ms.
    std::chrono::milliseconds step{2000};
    /// No delay exceeds this. Default 25 s.
    std::chrono::milliseconds cap{25000};
};

/// How the WebSocket keeps itself alive and notices a dead link.
struct health_config {
    /// A ping (`[{"type":"health.check","client_id":…}]`) is sent this long after the last
    /// `health.check` received; the timer restarts on every one. Default 25 s.
    std::chrono::milliseconds ping_interval{25000};
    /// The link is declared dead after this long without any frame, and a reconnect starts.
    /// Default 35 s (ping interval + 10 s).
    std::chrono::milliseconds dead_after{35000};
    /// Budget from opening the socket to the first `health.check` (the handshake). Default 15 s.
    std::chrono::milliseconds connect_timeout{15000};
};

/// How incoming events are grouped before they are applied and delivered.
struct batch_config {
    /// A batch is closed this long after its first event arrived. Default 100 ms; zero delivers
    /// each event on its own (still through the same path).
    std::chrono::milliseconds window{100};
    /// A batch is closed as soon as it holds this many events. Default 1000. Must be at least 1.
    std::size_t max_events = 1000;
    /// Most events (typed events plus changed summaries) waiting for the application in
    /// `client::async_receive`, and in each channel subscription. Beyond it the oldest batches
    /// are folded into the next one: their events are not delivered (`event_batch::dropped`
    /// counts them) but were applied to the store, and their channels are listed in
    /// `summaries_changed`, so an application that fell behind redraws from the store instead of
    /// the queue growing without bound. Default 10,000. Must be at least 1.
    std::size_t max_queued = 10000;
    /// Message and read events of channels the client holds no full state for (neither watched
    /// nor open) are decoded straight into the channel's summary and reported in
    /// `event_batch::summaries_changed` instead of as typed events: such a channel has only a
    /// row to redraw, and this path is several times faster. Default true; false delivers every
    /// event typed.
    bool compact_unwatched = true;
};

/// The bounded set of channels whose events this client's connection subscribes to.
struct watch_config {
    /// Channels watched at once at most; watching one more stops watching the least recently
    /// used (pinned channels excepted). Default 20.
    std::size_t max_watched_channels = 20;
    /// Watches also subscribe to the presence of the channel's members (`presence: true`), so
    /// that `user.updated` and `user.presence.changed` keep their cached profiles fresh. Bounded
    /// by the budget above. Default true.
    bool presence = true;
};

/// Pacing of what a typing user and a reading user send, as the official client paces it.
struct pacing_config {
    /// `typing.start` is sent at most this often while keystrokes continue. Default 2 s.
    std::chrono::milliseconds typing_resend{2000};
    /// `typing.stop` is sent this long after the last keystroke. Default 3 s.
    std::chrono::milliseconds typing_idle_stop{3000};
    /// At most one mark-read per channel in this window; calls inside it are folded into one
    /// sent at its end. Default 1 s.
    std::chrono::milliseconds mark_read_interval{1000};
};

} // namespace streamchat

#endif
