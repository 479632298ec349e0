#ifndef STREAMCHAT_CLIENT_HPP
#define STREAMCHAT_CLIENT_HPP

/// @file
/// A live chat client for one user: one WebSocket that keeps itself alive, events applied in
/// batches to a channel store, a bounded set of watched channels, and recovery after a
/// reconnect. REST calls go through `rest()`.

#include <streamchat/api/channels.hpp>
#include <streamchat/api/messages.hpp>
#include <streamchat/api/users.hpp>
#include <streamchat/channel_store.hpp>
#include <streamchat/config.hpp>
#include <streamchat/connection_state.hpp>
#include <streamchat/error.hpp>
#include <streamchat/event_batch.hpp>
#include <streamchat/model/event.hpp>
#include <streamchat/model/own_user.hpp>
#include <streamchat/rest_client.hpp>
#include <streamchat/user_profile.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace streamchat {

namespace detail {
struct client_impl;
struct subscription_state;
class metrics_collector;
} // namespace detail

class channel_list;
struct metrics_snapshot; // <streamchat/metrics.hpp>

/// What a client did so far (headless metrics).
struct client_metrics {
    std::uint64_t websockets_open = 0;     ///< WebSockets open now (0 or 1).
    std::uint64_t websockets_open_max = 0; ///< Most WebSockets open at once: 1 for a healthy client.
    std::uint64_t websockets_opened = 0;   ///< Upgrades completed.
    std::uint64_t reconnects = 0;          ///< Handshakes after a drop.
    std::uint64_t recoveries = 0;          ///< Recoveries completed.
    std::uint64_t pings_sent = 0;          ///< Health-check pings.
    std::uint64_t frames_received = 0;     ///< Text frames received.
    std::uint64_t events_applied = 0;      ///< Events applied to the store (both paths).
    std::uint64_t events_compact = 0;      ///< Of those, applied straight to a summary (batch_config::compact_unwatched).
    std::uint64_t events_dropped = 0;      ///< Applied but not delivered: the application fell behind (batch_config::max_queued).
    std::uint64_t duplicates = 0;          ///< Messages received again (e.g. by /sync) and skipped.
    std::uint64_t malformed_frames = 0;    ///< Frames skipped because they were not valid events.
    std::uint64_t batches = 0;             ///< Batches delivered.
    std::uint64_t coalesced = 0;           ///< Events dropped as redundant.
    std::chrono::steady_clock::duration max_lag{}; ///< Longest receipt → delivery of a batch.
    std::size_t watched = 0;               ///< Channels watched now.
    std::size_t watched_max = 0;           ///< Most channels watched at once.
    std::uint64_t evictions = 0;           ///< Watches ended to stay within the budget.
    std::uint64_t sync_calls = 0;          ///< `/sync` calls made by recovery.
    std::uint64_t requery_calls = 0;       ///< Channel re-queries made by recovery.
    std::uint64_t mark_read_calls = 0;     ///< Mark-read requests sent (after pacing).
    std::uint64_t rate_limited = 0;        ///< Watch calls that met a 429 beyond the transport's own waits.
    std::uint64_t typing_events = 0;       ///< typing.start / typing.stop sent (after pacing).
    std::uint64_t profile_requests = 0;    ///< queryUsers calls made by the profile cache.
    std::uint64_t profile_hits = 0;        ///< Profiles answered from the cache.
    std::uint64_t profile_misses = 0;      ///< Profiles that waited for the server (joined ones included).
    std::uint64_t profile_fills = 0;       ///< Profiles learnt for free from payloads and events.
    std::uint64_t requests_visible = 0;    ///< REST requests sent in the visible lane (429 retries included),
    std::uint64_t requests_unread = 0;     ///< the unread lane,
    std::uint64_t requests_idle = 0;       ///< and the idle lane (request_priority).
    std::uint64_t responses_429 = 0;       ///< 429 answers; the scheduler waits them out and resends.
    std::uint64_t budget_waits = 0;        ///< Times queued requests waited for an endpoint's rate budget.
    /// Background requests sent while a visible request of the same endpoint waited: background
    /// work spending budget visible work needs. Zero by design (background lanes leave a reserve).
    std::uint64_t background_before_visible = 0;
    std::size_t requests_queued_max = 0;   ///< Most requests queued in the scheduler at once.
};

/** @brief One channel's share of a client's batches.

    Holds the typed events of channel `cid()` and, in `summaries_changed`, the channel itself when
    its summary changed without a typed event. Delivered alongside `client::async_receive`, which
    still sees everything. Bounded like the client's queue (`batch_config::max_queued`).
    Move-only; destruction or `reset()` ends it and completes a pending receive with
    `operation_aborted`. Use it on the client's executor; it may outlive the client (a receive
    then fails with `error::shut_down`).
*/
class channel_subscription {
public:
    channel_subscription() = default;
    channel_subscription(channel_subscription&& other) noexcept;
    channel_subscription& operator=(channel_subscription&& other) noexcept;
    ~channel_subscription();

    /// The next batch for this channel. Handler: `void(error_code, event_batch)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_receive(CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, event_batch)>(
            [this](auto handler) { receive_impl(std::move(handler)); }, token);
    }

    /// Ends the subscription.
    void reset() noexcept;
    /// The channel; empty for a default-constructed or reset subscription.
    const std::string& cid() const noexcept;
    explicit operator bool() const noexcept { return st_ != nullptr; }

private:
    friend class client;
    explicit channel_subscription(std::shared_ptr<detail::subscription_state> st) noexcept;
    void receive_impl(boost::asio::any_completion_handler<void(error_code, event_batch)> h);

    std::shared_ptr<detail::subscription_state> st_;
};

/** @brief One user's live connection to Stream (or the emulator).

    @code
    streamchat::client c(ex, cfg);
    auto me = co_await c.async_connect({.id = "john", .name = "John"});
    co_await c.async_watch({"messaging", "general"});
    for (;;) {
        auto batch = co_await c.async_receive();
        for (auto& e : batch.events) ...;       // the store is already up to date
    }
    @endcode

    @par The connection
    `async_connect` completes at the first `health.check` (connection id and `me`). From then on
    the client pings, notices a dead link, reconnects with jittered backoff, refreshes an expired
    token through `client_config::token_source` (shared with REST), re-watches and catches up
    with `/sync`, until `disconnect()` or destruction. A close 1000 or a fatal error stops it;
    `status()` and `async_wait_status` tell why. Exactly one WebSocket is open at a time.

    @par Thread safety
    No threads are started. Use one client from one strand; distinct clients are independent.
*/
class client {
public:
    using executor_type = boost::asio::any_io_executor;

    client(executor_type ex, client_config config);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    executor_type get_executor() const noexcept;
    const client_config& config() const noexcept;

    /// Connects as `me` (its `id` defaults to `config().user_id`). Handler:
    /// `void(error_code, own_user)`. Fails with the reason the connection went offline (e.g.
    /// `api_errc::token_signature_invalid`, `error::closed_by_server`), or operation_aborted when
    /// cancelled (which also stops the connection). Already connected: completes at once.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_connect(user_input me = {}, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, own_user)>(
            [this](auto handler, user_input m) { connect_impl(std::move(m), std::move(handler)); }, token,
            std::move(me));
    }

    /// Closes the WebSocket (close 1000), stops reconnecting; pending receives complete with
    /// `error::shut_down` only on destruction. `async_connect` may be called again.
    void disconnect();

    /// The current connection status.
    connection_status status() const;
    /// Waits for the next status change. Handler: `void(error_code, connection_status)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_wait_status(CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, connection_status)>(
            [this](auto handler) { wait_status_impl(std::move(handler)); }, token);
    }

    /// The next batch of events (already applied to `channels()`); waits for one. Handler:
    /// `void(error_code, event_batch)`. Local events (`connection.recovered`) arrive here too.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_receive(CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, event_batch)>(
            [this](auto handler) { receive_impl(std::move(handler)); }, token);
    }

    /// Subscribes to one channel's events (see channel_subscription); any number per channel.
    channel_subscription subscribe(std::string cid);

    /// Watches a channel (query with `watch: true`, full state into the store), within the
    /// budget `config().watch.max_watched_channels`: the least recently used unpinned channel is
    /// stopped first. Issued while disconnected, it is done after the connection is up. Handler:
    /// `void(error_code)`; `error::limit_exceeded` when every watched channel is pinned. Timed as
    /// a channel switch (metrics_snapshot(): cold, or preloaded when the full state was there).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_watch(channel_ref ch, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler, channel_ref c) { watch_impl(std::move(c), true, std::move(handler)); }, token,
            std::move(ch));
    }

    /// Stops watching and releases the full state. Handler: `void(error_code)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_stop_watching(channel_ref ch, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler, channel_ref c) { watch_impl(std::move(c), false, std::move(handler)); }, token,
            std::move(ch));
    }

    /// Keeps `cid` watched whatever the budget (the channel the application has open). Returns
    /// false when it is not watched or pinning it would leave no room.
    bool pin(const std::string& cid);
    void unpin(const std::string& cid);
    /// Channels watched now, most recently used first.
    std::vector<std::string> watched() const;

    /// Sends a message with a client-generated id, retried after transient failures and, when
    /// the connection is down, after it is back: never lost, never twice. Handler:
    /// `void(error_code, message_response)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_send_message(send_message_request req, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, message_response)>(
            [this](auto handler, send_message_request r) { send_impl(std::move(r), std::move(handler)); }, token,
            std::move(req));
    }

    /// Loads a page of older or newer messages (`id_lt` / `id_gt` / `id_around` …) and merges it
    /// into the channel's full state when the channel is materialised. Handler:
    /// `void(error_code, std::vector<message>)` with the page, oldest first.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_load_messages(channel_ref ch, message_pagination page, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<message>)>(
            [this](auto handler, channel_ref c, message_pagination p) {
                load_messages_impl(std::move(c), std::move(p), std::move(handler));
            },
            token, std::move(ch), std::move(page));
    }

    /// Edits a message; the store takes the answer. Handler: `void(error_code, message_response)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_update_message(update_message_request req, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, message_response)>(
            [this](auto handler, update_message_request r) { update_impl(std::move(r), std::move(handler)); },
            token, std::move(req));
    }

    /// Deletes a message (soft, or hard); the store takes the answer. Handler:
    /// `void(error_code, message_response)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_delete_message(delete_message_request req, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, message_response)>(
            [this](auto handler, delete_message_request r) { delete_impl(std::move(r), std::move(handler)); },
            token, std::move(req));
    }

    /// Marks the channel read, at most once per `pacing.mark_read_interval`: calls inside the
    /// window share one request sent at its end. The channel's unread count drops to 0 at once.
    /// Handler: `void(error_code)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_mark_read(channel_ref ch, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler, channel_ref c) { mark_read_impl(std::move(c), std::move(handler)); }, token,
            std::move(ch));
    }

    /// Call on every keystroke in a message input: sends `typing.start` at most every
    /// `pacing.typing_resend`, and `typing.stop` once keystrokes pause for `pacing.typing_idle_stop`.
    void keystroke(const channel_ref& ch, const std::string& parent_id = {});
    /// The user stopped typing (sent the message, left the input): `typing.stop` now if typing.
    void stop_typing(const channel_ref& ch, const std::string& parent_id = {});
    /// Typing events sent so far (metrics and tests).
    std::uint64_t typing_events_sent() const noexcept;

    /// Profiles of `ids` (names and avatars for rows), from a cache with a TTL
    /// (`profiles` in client_config); the misses of one turn of the executor, from any number of
    /// calls, go out together as one queryUsers per 100 ids, and an id already asked for joins
    /// that request. Users in channel payloads and events fill the cache at no call. Handler:
    /// `void(error_code, std::vector<user_profile>)` with the profiles found, in the order asked;
    /// ids the server does not know are left out. A failed request fails the calls that waited
    /// on it; the cache keeps nothing from it.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_profiles(std::vector<std::string> ids, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<user_profile>)>(
            [this](auto handler, std::vector<std::string> v) { profiles_impl(std::move(v), std::move(handler)); },
            token, std::move(ids));
    }
    /// The cached profile of `id` whatever its age, or null (for drawing before a refresh).
    const user_profile* cached_profile(std::string_view id) const;

    /// The REST client (same token, same connection id).
    rest_client& rest() noexcept;
    /// Summaries of every known channel, full state of watched ones.
    const channel_store& channels() const noexcept;
    /// The connection id while connected; empty otherwise.
    const std::string& connection_id() const noexcept;
    client_metrics metrics() const;
    /// Everything measured so far in one value (include <streamchat/metrics.hpp>): the counters
    /// of metrics(), the channel lists', milestones (time to first visible page, time to
    /// interactive, …), channel switches and per-endpoint request latencies as histograms, RSS
    /// samples. Takes an RSS sample. `to_json(snapshot)` exports it.
    ::streamchat::metrics_snapshot metrics_snapshot() const;

    /// Drops the WebSocket abruptly, as a network failure would (tests, chaos drills).
    void drop_connection_for_testing();

private:
    friend class channel_list;
    /// Takes a query answer into the store and the profile cache (members, authors, readers).
    void absorb_for_components(const channel_state& st, bool materialise);
    /// Where components record their milestones (shared: their completions may outlive the client).
    std::shared_ptr<detail::metrics_collector> metrics_for_components() const noexcept;
    /// A list counts in metrics_snapshot() from construction; at destruction its counters are kept.
    void attach_for_components(const channel_list* list);
    void detach_for_components(const channel_list* list);
    /// A watch a component asks for ahead of time (the viewport's): not an application's
    /// channel switch. Otherwise async_watch.
    void watch_for_components(channel_ref ch, boost::asio::any_completion_handler<void(error_code)> h);
    void profiles_impl(std::vector<std::string> ids,
                       boost::asio::any_completion_handler<void(error_code, std::vector<user_profile>)> h);

    void connect_impl(user_input me, boost::asio::any_completion_handler<void(error_code, own_user)> h);
    void wait_status_impl(boost::asio::any_completion_handler<void(error_code, connection_status)> h);
    void receive_impl(boost::asio::any_completion_handler<void(error_code, event_batch)> h);
    void watch_impl(channel_ref ch, bool watch, boost::asio::any_completion_handler<void(error_code)> h);
    void send_impl(send_message_request req, boost::asio::any_completion_handler<void(error_code, message_response)> h);
    void load_messages_impl(channel_ref ch, message_pagination page,
                            boost::asio::any_completion_handler<void(error_code, std::vector<message>)> h);
    void update_impl(update_message_request req, boost::asio::any_completion_handler<void(error_code, message_response)> h);
    void delete_impl(delete_message_request req, boost::asio::any_completion_handler<void(error_code, message_response)> h);
    void mark_read_impl(channel_ref ch, boost::asio::any_completion_handler<void(error_code)> h);

    std::shared_ptr<detail::client_impl> impl_;
};

} // namespace streamchat

#endif
