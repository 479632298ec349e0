#ifndef STREAMCHAT_SRC_EVENTS_INGEST_HPP
#define STREAMCHAT_SRC_EVENTS_INGEST_HPP

// event_ingest: WebSocket frames in, batches out, the channel store kept current in between.
// Sans-io: the owner hands it frames with their receipt time, arms a timer at deadline() and
// calls poll() when it fires; nothing here reads a clock or touches a socket.
//
// Two paths into the store:
//  * typed: decode_event_frame() → batcher (window, coalescing) → channel_store::apply() when
//    the batch closes → the batch's `events`;
//  * compact (batch_config::compact_unwatched): message and read events for a channel without
//    full state are decoded by fast_decoder straight into the summary at receipt, and the
//    channel is listed once in `summaries_changed` of the next batch out (a batch of its own
//    when no typed batch closes within the window).
// Per-channel order holds across the two: an event takes the compact path only when no typed
// event of its channel (or a channel-less one, which may touch every summary) is still waiting
// in the batcher; otherwise it queues behind them on the typed path.

#include "util/fifo.hpp"
#include "events/batcher.hpp"
#include "events/fast_decode.hpp"
#include "events/recent_ids.hpp"

#include <streamchat/channel_store.hpp>
#include <streamchat/event_batch.hpp>
#include <streamchat/model/event.hpp>
#include <streamchat/realtime_config.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace streamchat::detail {

struct key_of_event {
    std::optional<coalesce_key> operator()(const event& e) const noexcept;
};

struct ingest_metrics {
    std::uint64_t frames = 0;         ///< Frames given to on_frame().
    std::uint64_t malformed = 0;      ///< Frames that were not one valid event.
    std::uint64_t compact = 0;        ///< Events applied through the compact path.
    std::uint64_t applied = 0;        ///< Events applied to the store, both paths.
    std::uint64_t duplicates = 0;     ///< Messages already applied once, skipped.
};

/// What on_frame() made of a frame.
enum class frame_outcome {
    queued,       ///< Typed event waiting in the batcher.
    applied,      ///< Compact path: the store has it already.
    health_check, ///< A health.check (its time noted, nothing queued).
    duplicate,    ///< A message seen before: skipped.
    malformed     ///< Not a valid event: counted and skipped; `why` says what was wrong.
};

class event_ingest {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    /// `typed_only(cid)` names channels whose events must take the typed path although they have
    /// no full state (a watch in flight: its answer will materialise them, and the messages
    /// received meanwhile must reach that state). May be empty.
    event_ingest(channel_store& store, const batch_config& cfg,
                 std::function<bool(std::string_view)> typed_only = {});

    /// One text frame received at `t`. `why`, when given, receives the reason of a malformed
    /// frame.
    frame_outcome on_frame(std::string_view frame, time_point t, std::string* why = nullptr);
    /// An event that did not come through the socket (a /sync answer): the typed path.
    /// Returns false for a message already applied.
    bool push(event e, time_point t);
    /// Notes a message the store received some other way (a query answer), so that its
    /// message.new is not counted again.
    void remember(std::string_view message_id);

    /// When poll() next has work.
    std::optional<time_point> deadline() const noexcept;
    /// Applies every closed batch to the store and appends it to `out`, oldest first.
    void poll(time_point now, fifo<streamchat::event_batch>& out);
    /// Closes the open batch now (disconnect, recovery): the next poll() applies it.
    void flush()
    {
        batcher_.flush();
        flush_changes_ = !changed_.empty();
    }

    /// Newest `created_at` seen in any event, health checks included (the `last_sync_at` of a
    /// recovery).
    const std::optional<timestamp>& last_server_time() const noexcept { return last_server_time_; }
    void note_server_time(const timestamp& t) noexcept;

    const ingest_metrics& metrics() const noexcept { return m_; }
    std::uint64_t coalesced() const noexcept { return batcher_.metrics().coalesced; }

private:
    struct hash : std::hash<std::string_view> {
        using is_transparent = void;
    };
    using batcher_t = event_batcher<event, key_of_event>;

    bool first_time(std::string_view message_id);
    bool typed_waiting(std::string_view cid) const;
    void queue_typed(event e, time_point t);
    bool try_compact(time_point t);

    channel_store& store_;
    bool compact_enabled_;
    std::function<bool(std::string_view)> typed_only_;
    batcher_t batcher_;
    fast_decoder fast_;
    fast_event fe_;

    // Per-channel order: the batch (count of batches closed before its push) of each channel's
    // newest typed event, and of the newest channel-less one; waiting while >= applied_batches_.
    std::unordered_map<std::string, std::uint64_t, hash, std::equal_to<>> typed_batch_;
    std::optional<std::uint64_t> channelless_batch_;
    std::uint64_t applied_batches_ = 0;
    std::size_t prune_at_ = 1024;

    // Channels the compact path changed since the last batch out, each once. A deque keeps the
    // strings in place, so the set can hold views of them.
    fifo<std::string> changed_;
    std::unordered_set<std::string_view> changed_set_;
    std::optional<time_point> changed_since_;
    bool flush_changes_ = false;
    clock::duration window_;

    // Message ids applied (a /sync answer may repeat what the socket delivered).
    recent_ids seen_{8192};

    std::optional<timestamp> last_server_time_;
    ingest_metrics m_;
};

} // namespace streamchat::detail

#endif
