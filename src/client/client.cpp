// client: the facade that ties the realtime pieces together. The WebSocket (realtime/) delivers
// frames; they are decoded into events, grouped by the batcher (events/), applied to the channel
// store (store/) and handed to the application. Watches go through the watch budget (store/)
// one at a time, so the server never holds more than the budget; recovery re-watches and
// catches up after a reconnect.

#include <streamchat/client.hpp>

#include "auth/token_refresher.hpp"
#include "events/batcher.hpp"
#include "model/codec.hpp"
#include "realtime/frames.hpp"
#include "realtime/ws_connection.hpp"
#include "rest/envelope.hpp"
#include "store/watch_budget.hpp"
#include "wire/uuid.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace streamchat {

namespace asio = boost::asio;

namespace detail {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;

struct key_of_event {
    std::optional<coalesce_key> operator()(const event& e) const noexcept
    {
        static const std::string none;
        const std::string& cid = e.cid ? *e.cid : none;
        const std::string& uid = e.user ? e.user->id : none;
        const std::string& parent = e.parent_id ? *e.parent_id : none;
        return coalesce_key_for(e.type, cid, uid, parent);
    }
};

using batcher_t = event_batcher<event, key_of_event>;

/// Up to `n` elements of `v` from `from`.
std::vector<std::string> slice(const std::vector<std::string>& v, std::size_t from, std::size_t n)
{
    const auto first = v.begin() + static_cast<std::ptrdiff_t>(std::min(from, v.size()));
    const auto last = v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), from + n));
    return {first, last};
}

std::optional<channel_ref> split_cid(std::string_view cid)
{
    const auto colon = cid.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return channel_ref{std::string(cid.substr(0, colon)), std::string(cid.substr(colon + 1))};
}

/// A condition variable for coroutines on one executor: waiters park on a timer that never
/// expires; notify() cancels it.
struct signal {
    explicit signal(const asio::any_io_executor& ex) : timer(ex, clock::time_point::max()) {}
    asio::steady_timer timer;
    asio::awaitable<void> wait()
    {
        (void)co_await timer.async_wait(nothrow);
    }
    void notify()
    {
        timer.cancel();
        timer.expires_at(clock::time_point::max());
    }
};

} // namespace

struct watch_job {
    channel_ref ch;
    bool watch = true;
    asio::any_completion_handler<void(error_code)> handler;
};

struct client_impl : std::enable_shared_from_this<client_impl> {
    client_impl(asio::any_io_executor e, client_config c)
        : ex(e), cfg(std::move(c)), auth(std::make_shared<token_refresher>(ex, cfg.token, cfg.token_source)),
          rest(ex, cfg, nullptr, auth), store(cfg.user_id), budget(cfg.watch), batcher(cfg.batch),
          batch_timer(ex), state_changed(ex), jobs_changed(ex)
    {
    }

    asio::any_io_executor ex;
    client_config cfg;
    std::shared_ptr<token_refresher> auth;
    rest_client rest;
    channel_store store;
    watch_budget budget;
    batcher_t batcher;
    std::shared_ptr<ws_connection> ws;
    asio::steady_timer batch_timer;
    std::optional<clock::time_point> batch_armed;
    signal state_changed; // connection state moved (watch worker, senders)
    signal jobs_changed;  // a watch job was queued

    connection_status status{};
    own_user me{};
    std::string connection_id;
    bool shut = false;
    bool worker_running = false;
    std::chrono::steady_clock::duration rate_pause = std::chrono::seconds(1);

    std::vector<asio::any_completion_handler<void(error_code, own_user)>> connect_waiters;
    std::deque<asio::any_completion_handler<void(error_code, connection_status)>> status_waiters;
    std::deque<asio::any_completion_handler<void(error_code, streamchat::event_batch)>> receive_waiters;
    std::deque<streamchat::event_batch> ready;
    std::deque<watch_job> jobs;

    // Duplicate suppression: a message.new seen once is not applied again (a /sync answer may
    // overlap what the socket delivered before it dropped).
    std::unordered_set<std::string> seen_messages;
    std::deque<std::string> seen_order;
    static constexpr std::size_t seen_capacity = 20000;

    std::optional<timestamp> last_server_time; // newest created_at received: /sync's since

    // Pacing (docs/protocol.md §6.3: typing.start at most every 2 s, stop after 3 s idle).
    struct typing_state {
        clock::time_point last_start{};
        clock::time_point last_keystroke{};
        bool typing = false;
        std::shared_ptr<asio::steady_timer> idle;
    };
    std::unordered_map<std::string, typing_state> typing; // by cid + '/' + parent_id
    struct read_state_pace {
        clock::time_point last_sent{};
        bool scheduled = false;
        std::vector<asio::any_completion_handler<void(error_code)>> waiters;
    };
    std::unordered_map<std::string, read_state_pace> reads; // by cid
    client_metrics m{};

    // ------------------------------------------------------------------ wiring

    void make_ws()
    {
        ws_connection::listener l;
        std::weak_ptr<client_impl> weak = weak_from_this();
        l.on_handshake = [weak](const std::string& id, std::string_view frame) {
            if (auto self = weak.lock()) self->on_handshake(id, frame);
        };
        l.on_frame = [weak](std::string_view frame, clock::time_point t) {
            if (auto self = weak.lock()) self->on_frame(frame, t);
        };
        l.on_status = [weak](const connection_status& s) {
            if (auto self = weak.lock()) self->on_status(s);
        };
        l.on_recover = [weak] {
            if (auto self = weak.lock()) self->start_recovery();
        };
        ws = std::make_shared<ws_connection>(ex, cfg, auth, std::move(l), std::random_device{}());
    }

    void shutdown()
    {
        if (shut) return;
        shut = true;
        if (ws) ws->stop();
        rest.shutdown();
        batch_timer.cancel();
        for (auto& h : std::exchange(connect_waiters, {})) asio::post(ex, asio::append(std::move(h), error_code(error::shut_down), own_user{}));
        for (auto& h : std::exchange(status_waiters, {})) asio::post(ex, asio::append(std::move(h), error_code(error::shut_down), status));
        for (auto& h : std::exchange(receive_waiters, {})) asio::post(ex, asio::append(std::move(h), error_code(error::shut_down), streamchat::event_batch{}));
        for (auto& j : std::exchange(jobs, {})) asio::post(ex, asio::append(std::move(j.handler), error_code(error::shut_down)));
        state_changed.notify();
        jobs_changed.notify();
    }

    // ------------------------------------------------------------------ connection events

    void on_handshake(const std::string& id, std::string_view frame)
    {
        connection_id = id;
        rest.set_connection_id(id);
        event e;
        if (decode_event_frame(frame, e)) return;
        if (e.me) {
            me = std::move(*e.me);
            store.set_own_user(me.id);
        }
        note_server_time(e.created_at);
    }

    void on_status(const connection_status& s)
    {
        if (shut) return; // waiters were completed with shut_down already
        status = s;
        switch (s.state) {
            case connection_state::connected:
                for (auto& h : std::exchange(connect_waiters, {})) asio::post(ex, asio::append(std::move(h), error_code{}, me));
                break;
            case connection_state::waiting:
            case connection_state::connecting:
                if (!connection_id.empty() || s.state == connection_state::waiting) drop_connection_state();
                break;
            case connection_state::offline: {
                drop_connection_state();
                const error_code why = s.reason ? s.reason : error_code(asio::error::operation_aborted);
                for (auto& h : std::exchange(connect_waiters, {})) asio::post(ex, asio::append(std::move(h), why, own_user{}));
                break;
            }
            default: break;
        }
        for (auto& h : std::exchange(status_waiters, {})) asio::post(ex, asio::append(std::move(h), error_code{}, s));
        state_changed.notify();
    }

    /// The socket is gone: the server forgot our watches; deliver what was received before.
    void drop_connection_state()
    {
        if (connection_id.empty()) return;
        connection_id.clear();
        rest.set_connection_id({});
        budget.on_disconnect();
        batcher.flush();
        deliver_ready(clock::now());
    }

    void note_server_time(const timestamp& t)
    {
        if (t == timestamp{}) return;
        if (!last_server_time || *last_server_time < t) last_server_time = t;
    }

    // ------------------------------------------------------------------ events

    void on_frame(std::string_view frame, clock::time_point t)
    {
        ++m.frames_received;
        event e;
        if (decode_event_frame(frame, e)) {
            ++m.malformed_frames; // skipped; the connection stays up
            return;
        }
        note_server_time(e.created_at);
        if (e.type == event_type::health_check) return;
        push_event(std::move(e), t);
    }

    /// Adds a message id to the bounded set of ids seen; false when it was already there.
    bool remember(const std::string& id)
    {
        if (!seen_messages.insert(id).second) return false;
        seen_order.push_back(id);
        if (seen_order.size() > seen_capacity) {
            seen_messages.erase(seen_order.front());
            seen_order.pop_front();
        }
        return true;
    }

    /// False for a message.new already applied (by id).
    bool first_time(const event& e)
    {
        if ((e.type != event_type::message_new && e.type != event_type::notification_message_new) || !e.message)
            return true;
        return remember(e.message->id);
    }

    void push_event(event e, clock::time_point t)
    {
        if (!first_time(e)) return;
        batcher.push(std::move(e), t);
        arm_batch_timer();
        deliver_ready(t);
    }

    void arm_batch_timer()
    {
        const auto due = batcher.deadline();
        if (!due || (batch_armed && *batch_armed <= *due)) return;
        batch_armed = due;
        batch_timer.expires_at(*due);
        batch_timer.async_wait([weak = weak_from_this()](error_code ec) {
            auto self = weak.lock();
            if (!self || ec == asio::error::operation_aborted) return;
            self->batch_armed.reset();
            self->deliver_ready(clock::now());
            self->arm_batch_timer();
        });
    }

    void deliver_ready(clock::time_point now)
    {
        for (auto& b : batcher.poll(now)) {
            streamchat::event_batch out;
            out.first_received = b.first_received;
            out.events = std::move(b.items);
            for (const auto& e : out.events) store.apply(e);
            m.events_applied += out.events.size();
            ready.push_back(std::move(out));
        }
        hand_out();
    }

    void hand_out()
    {
        while (!ready.empty() && !receive_waiters.empty()) {
            auto h = std::move(receive_waiters.front());
            receive_waiters.pop_front();
            auto b = std::move(ready.front());
            ready.pop_front();
            ++m.batches;
            m.max_lag = std::max(m.max_lag, clock::now() - b.first_received);
            asio::post(ex, asio::append(std::move(h), error_code{}, std::move(b)));
        }
    }

    void emit_local(event_type type)
    {
        batcher.flush();
        deliver_ready(clock::now());
        event e;
        e.type = type;
        e.type_name = std::string(to_string(type));
        e.created_at = last_server_time.value_or(timestamp{});
        streamchat::event_batch b;
        b.first_received = clock::now();
        b.events.push_back(std::move(e));
        ready.push_back(std::move(b));
        hand_out();
    }

    // ------------------------------------------------------------------ watching

    void start_worker()
    {
        if (worker_running || shut) return;
        worker_running = true;
        asio::co_spawn(ex, watch_worker(shared_from_this()), asio::detached);
    }

    asio::awaitable<void> wait_connected()
    {
        while (!shut && status.state != connection_state::connected) co_await state_changed.wait();
    }

    static asio::awaitable<void> watch_worker(std::shared_ptr<client_impl> self)
    {
        while (!self->shut) {
            if (self->jobs.empty()) {
                co_await self->jobs_changed.wait();
                continue;
            }
            co_await self->wait_connected();
            if (self->shut) break;
            watch_job job = std::move(self->jobs.front());
            self->jobs.pop_front();
            error_code ec = job.watch ? co_await self->do_watch(job.ch) : co_await self->do_stop(job.ch);
            // Lost the connection meanwhile: do it again once the connection is back.
            if (ec && !self->shut && self->status.state != connection_state::connected && is_retryable(ec)) {
                self->jobs.push_front(std::move(job));
                continue;
            }
            // Rate limited beyond what the transport waits for: pause this queue (not the
            // application) and try again, doubling the pause; nothing is dropped.
            if (ec && !self->shut && is_rate_limited(ec)) {
                ++self->m.rate_limited;
                self->jobs.push_front(std::move(job));
                asio::steady_timer pause(self->ex, self->rate_pause);
                (void)co_await pause.async_wait(nothrow);
                self->rate_pause = std::min(self->rate_pause * 2, std::chrono::steady_clock::duration(std::chrono::seconds(30)));
                continue;
            }
            if (!ec) self->rate_pause = std::chrono::seconds(1);
            asio::post(self->ex, asio::append(std::move(job.handler), ec));
        }
        self->worker_running = false;
    }

    asio::awaitable<error_code> stop_on_server(const std::string& cid)
    {
        auto ref = split_cid(cid);
        if (!ref) co_return error_code(error::invalid_id);
        auto [ec, r] = co_await rest.async_stop_watching(*ref, nothrow);
        co_return ec;
    }

    asio::awaitable<error_code> do_watch(const channel_ref& ch)
    {
        const std::string cid = ch.type + ":" + ch.id;
        auto d = budget.request(cid);
        if (d.refused) co_return error_code(error::limit_exceeded);
        // Make room first, so the server never holds more than the budget.
        for (const auto& victim : d.evict) {
            ++m.evictions;
            store.release(victim);
            (void)co_await stop_on_server(victim);
        }
        if (d.already_watched_or_requested && budget.is_watched(cid)) co_return error_code{};
        query_channel_request q;
        q.type = ch.type;
        q.id = ch.id;
        q.watch = true;
        q.state = true;
        auto [ec, st] = co_await rest.async_query_channel(q, nothrow);
        if (ec) {
            budget.failed(cid);
            co_return ec;
        }
        if (!budget.confirmed(cid)) { // evicted or released meanwhile
            (void)co_await stop_on_server(cid);
            co_return error_code{};
        }
        remember_messages(st);
        store.upsert(st, true);
        note_watched();
        co_return error_code{};
    }

    asio::awaitable<error_code> do_stop(const channel_ref& ch)
    {
        const std::string cid = ch.type + ":" + ch.id;
        const bool was = budget.released(cid);
        store.release(cid);
        if (!was) co_return error_code{};
        co_return co_await stop_on_server(cid);
    }

    void note_watched()
    {
        m.watched = budget.size();
        m.watched_max = std::max(m.watched_max, m.watched);
    }

    void remember_messages(const channel_state& st)
    {
        for (const auto& msg : st.messages)
            remember(msg.id);
    }

    // ------------------------------------------------------------------ recovery

    void start_recovery()
    {
        asio::co_spawn(ex, recover(shared_from_this()), asio::detached);
    }

    /// After a reconnect (docs/protocol.md §8.3): catch up with /sync on the watched and recently
    /// active channels, then re-watch (which also refreshes their state and unread counts), then
    /// announce `connection.recovered`.
    static asio::awaitable<void> recover(std::shared_ptr<client_impl> self)
    {
        error_code ec = co_await self->catch_up();
        if (!ec) ec = co_await self->rewatch();
        if (self->shut) co_return;
        if (!ec) {
            ++self->m.recoveries;
            self->emit_local(event_type::connection_recovered);
        }
        self->ws->recovery_done(ec);
    }

    std::vector<std::string> recently_active(std::size_t max) const
    {
        std::vector<const channel_summary*> all;
        store.for_each([&](const channel_summary& s) { all.push_back(&s); });
        const auto n = std::min(max, all.size());
        std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                          [](const channel_summary* a, const channel_summary* b) {
                              return b->last_message_at.value_or(timestamp{}) < a->last_message_at.value_or(timestamp{});
                          });
        std::vector<std::string> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(all[i]->cid);
        return out;
    }

    asio::awaitable<error_code> catch_up()
    {
        if (!last_server_time) co_return error_code{};
        std::vector<std::string> cids = budget.to_rewatch();
        for (auto& c : recently_active(200))
            if (std::find(cids.begin(), cids.end(), c) == cids.end()) cids.push_back(c);
        constexpr std::size_t chunk = 100;
        for (std::size_t i = 0; i < cids.size(); i += chunk) {
            const auto part = slice(cids, i, chunk);
            sync_request req;
            req.channel_cids = part;
            req.last_sync_at = *last_server_time;
            ++m.sync_calls;
            auto [ec, res] = co_await rest.async_sync(req, nothrow);
            if (shut) co_return error_code(error::shut_down);
            if (ec == api_errc::input_error || (!ec && res.events.size() > 250)) {
                // Too much happened: a fresh query is cheaper and exact.
                if (auto qec = co_await requery(part, false)) co_return qec;
                continue;
            }
            if (ec) co_return ec;
            const auto now = clock::now();
            for (auto& e : res.events) {
                note_server_time(e.created_at);
                push_event(std::move(e), now);
            }
        }
        batcher.flush();
        deliver_ready(clock::now());
        co_return error_code{};
    }

    /// Queries `cids` 30 at a time; with `watch`, on the new connection.
    asio::awaitable<error_code> requery(const std::vector<std::string>& cids, bool watch)
    {
        constexpr std::size_t chunk = 30;
        for (std::size_t i = 0; i < cids.size(); i += chunk) {
            query_channels_request q;
            const auto part = slice(cids, i, chunk);
            q.filter_conditions = filter::in("cid", part);
            q.limit = static_cast<int>(part.size());
            q.watch = watch;
            q.state = true;
            ++m.requery_calls;
            auto [ec, res] = co_await rest.async_query_channels(q, nothrow);
            if (shut) co_return error_code(error::shut_down);
            if (ec) co_return ec;
            for (const auto& st : res.channels) {
                const bool watched = budget.contains(st.channel.cid);
                // The server's read state is the truth for unread counts after a gap.
                store.upsert(st, watched);
                remember_messages(st);
                if (watch && watched) budget.confirmed(st.channel.cid);
            }
        }
        co_return error_code{};
    }

    asio::awaitable<error_code> rewatch()
    {
        auto cids = budget.to_rewatch();
        if (cids.empty()) co_return error_code{};
        auto ec = co_await requery(cids, true);
        note_watched();
        co_return ec;
    }

    // ------------------------------------------------------------------ pacing

    void send_typing(const channel_ref& ch, const std::string& parent, const char* type)
    {
        send_event_request ev;
        ev.type = ch.type;
        ev.id = ch.id;
        ev.event_type = type;
        if (!parent.empty()) ev.parent_id = parent;
        ++m.typing_events;
        // Fire and forget, like the official client: a lost typing event only shows late.
        rest.async_send_event(std::move(ev), [](error_code, event_response) {});
    }

    void keystroke(const channel_ref& ch, const std::string& parent)
    {
        const auto now = clock::now();
        auto& t = typing[ch.type + ":" + ch.id + "/" + parent];
        t.last_keystroke = now;
        if (!t.typing || now - t.last_start >= cfg.pacing.typing_resend) {
            t.typing = true;
            t.last_start = now;
            send_typing(ch, parent, "typing.start");
        }
        if (!t.idle) t.idle = std::make_shared<asio::steady_timer>(ex);
        arm_idle_stop(ch, parent, t);
    }

    void arm_idle_stop(const channel_ref& ch, const std::string& parent, typing_state& t)
    {
        t.idle->expires_at(t.last_keystroke + cfg.pacing.typing_idle_stop);
        t.idle->async_wait([weak = weak_from_this(), ch, parent](error_code ec) {
            auto self = weak.lock();
            if (!self || ec) return;
            auto it = self->typing.find(ch.type + ":" + ch.id + "/" + parent);
            if (it == self->typing.end() || !it->second.typing) return;
            if (clock::now() - it->second.last_keystroke >= self->cfg.pacing.typing_idle_stop) {
                self->stop_typing(ch, parent);
            } else {
                self->arm_idle_stop(ch, parent, it->second); // a keystroke came meanwhile
            }
        });
    }

    void stop_typing(const channel_ref& ch, const std::string& parent)
    {
        auto it = typing.find(ch.type + ":" + ch.id + "/" + parent);
        if (it == typing.end() || !it->second.typing) return;
        it->second.typing = false;
        if (it->second.idle) it->second.idle->cancel();
        send_typing(ch, parent, "typing.stop");
    }

    void mark_read(const channel_ref& ch, asio::any_completion_handler<void(error_code)> h)
    {
        const std::string cid = ch.type + ":" + ch.id;
        store.set_unread(cid, 0); // the user has seen it; the server agrees shortly
        auto& r = reads[cid];
        r.waiters.push_back(std::move(h));
        if (r.scheduled) return;
        r.scheduled = true;
        const auto due = r.last_sent + cfg.pacing.mark_read_interval;
        auto timer = std::make_shared<asio::steady_timer>(ex, std::max(due, clock::now()));
        timer->async_wait([weak = weak_from_this(), ch, cid, timer](error_code) {
            auto self = weak.lock();
            if (!self) return;
            auto& rr = self->reads[cid];
            rr.scheduled = false;
            rr.last_sent = clock::now();
            auto waiters = std::exchange(rr.waiters, {});
            mark_read_request req;
            req.type = ch.type;
            req.id = ch.id;
            ++self->m.mark_read_calls;
            self->rest.async_mark_read(std::move(req), [self, waiters = std::move(waiters)](error_code ec, event_response) mutable {
                for (auto& w : waiters) asio::post(self->ex, asio::append(std::move(w), ec));
            });
        });
    }

    // ------------------------------------------------------------------ sending

    static asio::awaitable<std::tuple<error_code, message_response>> send(std::shared_ptr<client_impl> self,
                                                                          send_message_request req)
    {
        // The id is fixed here, so every attempt below is the same message to the server.
        if (req.message.id.empty()) req.message.id = make_uuid_v4();
        constexpr int max_attempts = 5;
        error_code ec;
        message_response out;
        for (int attempt = 1; attempt <= max_attempts && !self->shut; ++attempt) {
            diagnostics diag;
            std::tie(ec, out) = co_await self->rest.async_send_message(req, diag, nothrow);
            if (!ec) co_return std::tuple{ec, std::move(out)};
            // An earlier attempt of ours landed before its answer was lost.
            if (attempt > 1 && is_duplicate_refusal(ec, diag)) {
                auto [gec, got] = co_await self->rest.async_get_message(req.message.id, nothrow);
                co_return std::tuple{gec, std::move(got)};
            }
            if (!is_retryable(ec)) break;
            // Wait for the connection when it is down (a server restart), else back off a bit.
            if (self->status.state != connection_state::connected && self->status.state != connection_state::idle &&
                self->status.state != connection_state::offline) {
                co_await self->wait_connected();
            } else {
                asio::steady_timer t(self->ex, std::chrono::milliseconds(100 * attempt));
                (void)co_await t.async_wait(nothrow);
            }
        }
        co_return std::tuple{ec, std::move(out)};
    }
};

} // namespace detail

using detail::client_impl;

client::client(executor_type ex, client_config config) : impl_(std::make_shared<client_impl>(std::move(ex), std::move(config)))
{
    impl_->make_ws();
}

client::~client()
{
    impl_->shutdown();
}

client::executor_type client::get_executor() const noexcept { return impl_->ex; }
const client_config& client::config() const noexcept { return impl_->cfg; }
rest_client& client::rest() noexcept { return impl_->rest; }
const channel_store& client::channels() const noexcept { return impl_->store; }
const std::string& client::connection_id() const noexcept { return impl_->connection_id; }
connection_status client::status() const { return impl_->status; }

void client::disconnect()
{
    impl_->ws->stop();
}

void client::drop_connection_for_testing()
{
    impl_->ws->drop();
}

void client::connect_impl(user_input me, asio::any_completion_handler<void(error_code, own_user)> h)
{
    auto& s = *impl_;
    if (s.shut) {
        asio::post(s.ex, asio::append(std::move(h), error_code(error::shut_down), own_user{}));
        return;
    }
    if (s.status.state == connection_state::connected) {
        asio::post(s.ex, asio::append(std::move(h), error_code{}, s.me));
        return;
    }
    auto slot = asio::get_associated_cancellation_slot(h);
    if (slot.is_connected())
        slot.assign([weak = std::weak_ptr<client_impl>(impl_)](asio::cancellation_type) {
            // Cancelling the connect stops the connection; the waiters complete with
            // operation_aborted when it goes offline.
            if (auto self = weak.lock()) self->ws->stop();
        });
    s.connect_waiters.push_back(std::move(h));
    if (s.status.state == connection_state::idle || s.status.state == connection_state::offline) {
        if (me.id.empty()) me.id = s.cfg.user_id;
        s.ws->start(std::move(me));
    }
    s.start_worker();
}

void client::wait_status_impl(asio::any_completion_handler<void(error_code, connection_status)> h)
{
    if (impl_->shut) {
        asio::post(impl_->ex, asio::append(std::move(h), error_code(error::shut_down), impl_->status));
        return;
    }
    impl_->status_waiters.push_back(std::move(h));
}

void client::receive_impl(asio::any_completion_handler<void(error_code, streamchat::event_batch)> h)
{
    if (impl_->shut) {
        asio::post(impl_->ex, asio::append(std::move(h), error_code(error::shut_down), streamchat::event_batch{}));
        return;
    }
    impl_->receive_waiters.push_back(std::move(h));
    impl_->hand_out();
}

void client::watch_impl(channel_ref ch, bool watch, asio::any_completion_handler<void(error_code)> h)
{
    auto& s = *impl_;
    std::string why;
    if (s.shut) {
        asio::post(s.ex, asio::append(std::move(h), error_code(error::shut_down)));
        return;
    }
    if (ch.type.empty() || ch.id.empty()) {
        asio::post(s.ex, asio::append(std::move(h), error_code(error::invalid_id)));
        return;
    }
    s.jobs.push_back(detail::watch_job{std::move(ch), watch, std::move(h)});
    s.jobs_changed.notify();
    s.start_worker();
}

bool client::pin(const std::string& cid) { return impl_->budget.pin(cid); }
void client::unpin(const std::string& cid) { impl_->budget.unpin(cid); }
std::vector<std::string> client::watched() const { return impl_->budget.lru_order(); }

void client::send_impl(send_message_request req, asio::any_completion_handler<void(error_code, message_response)> h)
{
    auto slot = asio::get_associated_cancellation_slot(h);
    asio::co_spawn(impl_->ex, client_impl::send(impl_, std::move(req)),
                   asio::bind_cancellation_slot(slot, [h = std::move(h)](std::exception_ptr ep,
                                                                        std::tuple<error_code, message_response> r) mutable {
                       if (ep) {
                           std::move(h)(error_code(asio::error::operation_aborted), message_response{});
                           return;
                       }
                       std::move(h)(std::get<0>(r), std::move(std::get<1>(r)));
                   }));
}

void client::keystroke(const channel_ref& ch, const std::string& parent_id)
{
    if (!impl_->shut) impl_->keystroke(ch, parent_id);
}

void client::stop_typing(const channel_ref& ch, const std::string& parent_id)
{
    if (!impl_->shut) impl_->stop_typing(ch, parent_id);
}

std::uint64_t client::typing_events_sent() const noexcept { return impl_->m.typing_events; }

void client::mark_read_impl(channel_ref ch, asio::any_completion_handler<void(error_code)> h)
{
    if (impl_->shut) {
        asio::post(impl_->ex, asio::append(std::move(h), error_code(error::shut_down)));
        return;
    }
    impl_->mark_read(ch, std::move(h));
}

void client::load_messages_impl(channel_ref ch, message_pagination page,
                                asio::any_completion_handler<void(error_code, std::vector<message>)> h)
{
    query_channel_request q;
    q.type = ch.type;
    q.id = ch.id;
    q.watch = false;
    q.state = true;
    q.messages = std::move(page);
    q.members = list_pagination{.limit = 0};
    q.watchers = list_pagination{.limit = 0};
    impl_->rest.async_query_channel(
        std::move(q), [self = impl_, cid = ch.type + ":" + ch.id, h = std::move(h)](error_code ec, channel_state st) mutable {
            if (!ec) {
                self->remember_messages(st);
                self->store.merge_messages(cid, st.messages);
            }
            std::move(h)(ec, std::move(st.messages));
        });
}

namespace {
/// The event a message change would have produced, so the store applies it the one way.
event local_message_event(event_type type, const message& m, bool hard)
{
    event e;
    e.type = type;
    e.cid = m.cid;
    e.message = m;
    if (hard) e.hard_delete = true;
    return e;
}
} // namespace

void client::update_impl(update_message_request req, asio::any_completion_handler<void(error_code, message_response)> h)
{
    impl_->rest.async_update_message(std::move(req), [self = impl_, h = std::move(h)](error_code ec, message_response r) mutable {
        if (!ec) self->store.apply(local_message_event(event_type::message_updated, r.message, false));
        std::move(h)(ec, std::move(r));
    });
}

void client::delete_impl(delete_message_request req, asio::any_completion_handler<void(error_code, message_response)> h)
{
    const bool hard = req.hard;
    impl_->rest.async_delete_message(std::move(req), [self = impl_, hard, h = std::move(h)](error_code ec, message_response r) mutable {
        if (!ec) self->store.apply(local_message_event(event_type::message_deleted, r.message, hard));
        std::move(h)(ec, std::move(r));
    });
}

client_metrics client::metrics() const
{
    auto out = impl_->m;
    const auto& w = impl_->ws->metrics();
    out.websockets_open = w.sockets_open;
    out.websockets_open_max = w.sockets_open_max;
    out.websockets_opened = w.sockets_opened;
    out.reconnects = w.reconnects;
    out.pings_sent = w.pings_sent;
    out.coalesced = impl_->batcher.metrics().coalesced;
    out.watched = impl_->budget.size();
    return out;
}

} // namespace streamchat
