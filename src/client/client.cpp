// client: the facade that ties the realtime pieces together. The WebSocket (realtime/) delivers
// frames; they are decoded into events, grouped by the batcher (events/), applied to the channel
// store (store/) and handed to the application. Watches go through the watch budget (store/)
// one at a time, so the server never holds more than the budget; recovery re-watches and
// catches up after a reconnect.

#include <streamchat/client.hpp>
#include <streamchat/metrics.hpp>

#include "util/fifo.hpp"
#include "auth/token_refresher.hpp"
#include "events/ingest.hpp"
#include "metrics/collector.hpp"
#include "metrics/observed_transport.hpp"
#include "model/cid.hpp"
#include "model/codec.hpp"
#include "realtime/frames.hpp"
#include "realtime/ws_connection.hpp"
#include "rest/envelope.hpp"
#include "rest/scheduled_transport.hpp"
#include "store/watch_budget.hpp"
#include "users/profile_cache.hpp"
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
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace streamchat {

namespace asio = boost::asio;

namespace detail {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;

/// Up to `n` elements of `v` from `from`.
std::vector<std::string> slice(const std::vector<std::string>& v, std::size_t from, std::size_t n)
{
    const auto first = v.begin() + static_cast<std::ptrdiff_t>(std::min(from, v.size()));
    const auto last = v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), from + n));
    return {first, last};
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

/// Batches waiting for the application, and the receives waiting for batches.
struct delivery_queue {
    fifo<streamchat::event_batch> ready;
    fifo<asio::any_completion_handler<void(error_code, streamchat::event_batch)>> waiters;
    std::size_t queued = 0;    // events + changed summaries in `ready`
    std::uint64_t dropped = 0; // events folded away

    static std::size_t weight(const streamchat::event_batch& b) noexcept
    {
        return b.events.size() + b.summaries_changed.size();
    }

    /// Appends `b`; beyond `max` queued, folds the oldest batches into their successors.
    void push(streamchat::event_batch b, std::size_t max)
    {
        queued += weight(b);
        ready.push_back(std::move(b));
        while (queued > std::max<std::size_t>(max, 1) && ready.size() > 1) fold_front();
    }

    /// The oldest batch is not delivered: its events were applied to the store already, so the
    /// next batch names their channels (to redraw) and counts them.
    void fold_front()
    {
        streamchat::event_batch old = std::move(ready.front());
        ready.pop_front();
        auto& next = ready.front();
        queued -= weight(old) + weight(next);
        next.dropped += old.dropped + old.events.size();
        dropped += old.events.size();
        next.first_received = old.first_received;
        std::vector<std::string> cids = std::move(old.summaries_changed);
        for (const auto& e : old.events)
            if (const auto cid = event_cid(e); !cid.empty()) cids.emplace_back(cid);
        for (auto& c : next.summaries_changed) cids.push_back(std::move(c));
        std::unordered_set<std::string> have;
        next.summaries_changed.clear();
        for (auto& c : cids)
            if (have.insert(c).second) next.summaries_changed.push_back(std::move(c));
        queued += weight(next);
    }

    /// Completes waiting receives with ready batches; `on_deliver` sees each before it goes.
    template <class OnDeliver>
    void hand_out(const asio::any_io_executor& ex, OnDeliver on_deliver)
    {
        while (!ready.empty() && !waiters.empty()) {
            auto h = std::move(waiters.front());
            waiters.pop_front();
            auto b = std::move(ready.front());
            ready.pop_front();
            queued -= weight(b);
            on_deliver(b);
            asio::post(ex, asio::append(std::move(h), error_code{}, std::move(b)));
        }
    }

    void fail_all(const asio::any_io_executor& ex, error_code ec)
    {
        for (auto& h : std::exchange(waiters, {}))
            asio::post(ex, asio::append(std::move(h), ec, streamchat::event_batch{}));
    }
};

struct transparent_hash : std::hash<std::string_view> {
    using is_transparent = void;
};

} // namespace

struct subscription_state {
    std::string cid;
    delivery_queue q;
    std::weak_ptr<client_impl> owner;
    asio::any_io_executor ex; // the client's, to complete receives after it is gone
};

struct watch_job {
    channel_ref ch;
    bool watch = true;
    asio::any_completion_handler<void(error_code)> handler;
    std::optional<clock::time_point> opened_at{}; // an application's switch: timed from here
    bool cold = true;                              // ... to a channel without full state
};

struct client_impl : std::enable_shared_from_this<client_impl> {
    client_impl(asio::any_io_executor e, client_config c)
        : ex(e), cfg(std::move(c)), auth(std::make_shared<token_refresher>(ex, cfg.token, cfg.token_source)),
          collector(std::make_shared<metrics_collector>(clock::now(), cfg.rss_sample_interval)),
          net(make_observed_api_transport(ex, cfg, collector)),
          scheduler(std::dynamic_pointer_cast<scheduled_transport>(net)), rest(ex, cfg, net, auth),
          store(cfg.user_id), budget(cfg.watch),
          ingest(store, cfg.batch, [this](std::string_view cid) { return budget.contains(cid); }),
          profiles(profile_cache_config{.ttl = cfg.profile_ttl, .capacity = cfg.profile_capacity}),
          batch_timer(ex), state_changed(ex), jobs_changed(ex)
    {
    }

    asio::any_io_executor ex;
    client_config cfg;
    std::shared_ptr<token_refresher> auth;
    std::shared_ptr<metrics_collector> collector; // before rest: its transport reports here
    std::shared_ptr<transport> net;               // the pool, behind the scheduler when enabled
    std::shared_ptr<scheduled_transport> scheduler; // null when cfg.scheduler.enabled is false
    rest_client rest;
    channel_store store;
    watch_budget budget;
    event_ingest ingest; // after store and budget, which it uses
    profile_cache profiles;
    struct profile_waiter {
        std::vector<std::string> ids;
        std::vector<user_profile> hits;
        asio::any_completion_handler<void(error_code, std::vector<user_profile>)> h;
    };
    std::unordered_map<profile_cache::waiter_id, profile_waiter> profile_waiters;
    bool profile_tick = false;
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
    fifo<asio::any_completion_handler<void(error_code, connection_status)>> status_waiters;
    delivery_queue outbox;                  // what async_receive hands out
    fifo<streamchat::event_batch> polled; // scratch for deliver_ready
    std::unordered_map<std::string, std::vector<std::weak_ptr<subscription_state>>, transparent_hash,
                       std::equal_to<>>
        subs;
    fifo<watch_job> jobs;

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
    std::vector<const channel_list*> lists; // attached lists, for metrics_snapshot()
    channel_list_metrics lists_gone{};      // counters of the lists destroyed so far

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
        outbox.fail_all(ex, error::shut_down);
        for (auto& [cid, list] : std::exchange(subs, {}))
            for (auto& w : list)
                if (auto sub = w.lock()) sub->q.fail_all(ex, error::shut_down);
        for (auto& j : std::exchange(jobs, {})) asio::post(ex, asio::append(std::move(j.handler), error_code(error::shut_down)));
        for (auto& [id, w] : std::exchange(profile_waiters, {}))
            asio::post(ex, asio::append(std::move(w.h), error_code(error::shut_down), std::vector<user_profile>{}));
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
        ingest.note_server_time(e.created_at);
    }

    void on_status(const connection_status& s)
    {
        if (shut) return; // waiters were completed with shut_down already
        status = s;
        switch (s.state) {
            case connection_state::connected:
                collector->note_connected(clock::now());
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
        ingest.flush();
        deliver_ready(clock::now());
    }

    // ------------------------------------------------------------------ events

    void on_frame(std::string_view frame, clock::time_point t)
    {
        std::string why;
        const bool log_it = cfg.log.enabled(log_level::warning);
        if (ingest.on_frame(frame, t, log_it ? &why : nullptr) == frame_outcome::malformed) {
            // Skipped; the connection stays up.
            if (log_it)
                cfg.log(log_level::warning, "skipped a malformed frame (" + std::to_string(frame.size()) +
                                                " bytes): " + why + "; it begins " +
                                                std::string(frame.substr(0, 120)));
            return;
        }
        arm_batch_timer();
        deliver_ready(t);
    }

    void arm_batch_timer()
    {
        const auto due = ingest.deadline();
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
        ingest.poll(now, polled);
        for (auto& b : polled) {
            for (const auto& e : b.events) fill_profiles(e, now);
            route_to_subscriptions(b);
            outbox.push(std::move(b), cfg.batch.max_queued);
        }
        polled.clear();
        hand_out();
        if (!profile_waiters.empty()) finish_profile_waiters(); // a fill may have answered some
    }

    // ------------------------------------------------------------------ profiles

    void fill_profiles(const event& e, clock::time_point now)
    {
        if (e.user) profiles.put(*e.user, now);
        if (e.message) profiles.put(e.message->user, now);
        if (e.member && e.member->user) profiles.put(*e.member->user, now);
    }

    void fill_profiles(const channel_state& st)
    {
        const auto now = clock::now();
        for (const auto& mb : st.members)
            if (mb.user) profiles.put(*mb.user, now);
        for (const auto& msg : st.messages) profiles.put(msg.user, now);
        for (const auto& r : st.read) profiles.put(r.user, now);
    }

    void absorb(const channel_state& st, bool materialise)
    {
        store.upsert(st, materialise);
        fill_profiles(st);
    }

    /// Misses are sent at the end of the current turn, so that the calls of one tick share them.
    void schedule_profile_tick()
    {
        if (profile_tick) return;
        profile_tick = true;
        asio::post(ex, [weak = weak_from_this()] {
            auto self = weak.lock();
            if (!self || self->shut) return;
            self->profile_tick = false;
            self->send_profile_batches();
        });
    }

    void send_profile_batches()
    {
        for (auto& b : profiles.take_batches()) {
            query_users_request q;
            std::vector<filter_value> ids(b.ids.begin(), b.ids.end());
            q.limit = static_cast<int>(ids.size()); // the server's default is 30
            q.filter_conditions = filter::in("id", std::move(ids));
            rest.async_query_users(std::move(q), [weak = weak_from_this(), id = b.id](error_code ec, query_users_response r) {
                auto self = weak.lock();
                if (!self) return;
                if (ec) self->profiles.fail(id, ec);
                else self->profiles.complete(id, r.users, clock::now());
                self->finish_profile_waiters();
            });
        }
        finish_profile_waiters();
    }

    void finish_profile_waiters()
    {
        for (auto& r : profiles.take_results()) {
            auto it = profile_waiters.find(r.waiter);
            if (it == profile_waiters.end()) continue;
            profile_waiter w = std::move(it->second);
            profile_waiters.erase(it);
            if (r.ec) {
                asio::post(ex, asio::append(std::move(w.h), r.ec, std::vector<user_profile>{}));
                continue;
            }
            asio::post(ex, asio::append(std::move(w.h), error_code{}, in_order(w.ids, std::move(w.hits), std::move(r.found))));
        }
    }

    /// `a` and `b` in the order of `ids`, each id once.
    static std::vector<user_profile> in_order(const std::vector<std::string>& ids, std::vector<user_profile> a,
                                              std::vector<user_profile> b)
    {
        std::unordered_map<std::string, user_profile> by_id;
        for (auto* v : {&a, &b})
            for (auto& p : *v) {
                std::string key = p.id;
                by_id.insert_or_assign(std::move(key), std::move(p));
            }
        std::vector<user_profile> out;
        for (const auto& id : ids)
            if (auto it = by_id.find(id); it != by_id.end()) {
                out.push_back(std::move(it->second));
                by_id.erase(it);
            }
        return out;
    }

    /// Copies each subscribed channel's share of `b` to its subscriptions.
    void route_to_subscriptions(const streamchat::event_batch& b)
    {
        if (subs.empty()) return;
        std::unordered_map<std::string_view, streamchat::event_batch> per; // views into b
        for (const auto& e : b.events)
            if (const auto cid = event_cid(e); !cid.empty() && subs.contains(cid)) per[cid].events.push_back(e);
        for (const auto& c : b.summaries_changed)
            if (subs.contains(c)) per[c].summaries_changed.push_back(c);
        for (auto& [cid, share] : per) {
            share.first_received = b.first_received;
            for (const auto& w : subs.find(cid)->second)
                if (auto sub = w.lock()) {
                    sub->q.push(share, cfg.batch.max_queued);
                    sub->q.hand_out(ex, [](const streamchat::event_batch&) {});
                }
        }
    }

    void hand_out()
    {
        outbox.hand_out(ex, [this](const streamchat::event_batch& b) {
            ++m.batches;
            const auto now = clock::now();
            m.max_lag = std::max(m.max_lag, now - b.first_received);
            collector->on_batch_delivered(now);
        });
    }

    void emit_local(event_type type)
    {
        ingest.flush();
        deliver_ready(clock::now());
        event e;
        e.type = type;
        e.type_name = std::string(to_string(type));
        e.created_at = ingest.last_server_time().value_or(timestamp{});
        streamchat::event_batch b;
        b.first_received = clock::now();
        b.events.push_back(std::move(e));
        outbox.push(std::move(b), cfg.batch.max_queued);
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
            if (!ec && job.opened_at) self->collector->record_switch(job.cold, clock::now() - *job.opened_at);
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
        // Messages that arrive before the answer go into this state, so the answer's snapshot
        // cannot lose them.
        store.prepare(cid);
        query_channel_request q;
        q.type = ch.type;
        q.id = ch.id;
        q.watch = true;
        q.state = true;
        q.presence = cfg.watch.presence;
        auto [ec, st] = co_await rest.async_query_channel(q, nothrow);
        if (ec) {
            budget.failed(cid);
            if (!budget.contains(cid)) store.release(cid);
            co_return ec;
        }
        if (!budget.confirmed(cid)) { // evicted or released meanwhile
            (void)co_await stop_on_server(cid);
            co_return error_code{};
        }
        remember_messages(st);
        absorb(st, true);
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
            ingest.remember(msg.id);
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
        // Summaries are views made on the fly: keep the time and the cid, not the summary.
        std::vector<std::pair<timestamp, std::string_view>> all;
        store.for_each([&](const channel_summary& s) { all.emplace_back(s.last_message_at.value_or(timestamp{}), s.cid); });
        const auto n = std::min(max, all.size());
        std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                          [](const auto& a, const auto& b) { return b.first < a.first; });
        std::vector<std::string> out;
        for (std::size_t i = 0; i < n; ++i) out.emplace_back(all[i].second);
        return out;
    }

    asio::awaitable<error_code> catch_up()
    {
        if (!ingest.last_server_time()) co_return error_code{};
        std::vector<std::string> cids = budget.to_rewatch();
        for (auto& c : recently_active(200))
            if (std::find(cids.begin(), cids.end(), c) == cids.end()) cids.push_back(c);
        constexpr std::size_t chunk = 100;
        for (std::size_t i = 0; i < cids.size(); i += chunk) {
            const auto part = slice(cids, i, chunk);
            sync_request req;
            req.channel_cids = part;
            req.last_sync_at = *ingest.last_server_time();
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
                ingest.note_server_time(e.created_at);
                (void)ingest.push(std::move(e), now);
            }
        }
        ingest.flush();
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
                absorb(st, watched);
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
void client::absorb_for_components(const channel_state& st, bool materialise) { impl_->absorb(st, materialise); }
std::shared_ptr<detail::metrics_collector> client::metrics_for_components() const noexcept { return impl_->collector; }

void client::attach_for_components(const channel_list* list) { impl_->lists.push_back(list); }

namespace {
void add_list_metrics(channel_list_metrics& to, const channel_list_metrics& m)
{
    to.pages += m.pages;
    to.offset_pages += m.offset_pages;
    to.keyset_pages += m.keyset_pages;
    to.tie_walk_pages += m.tie_walk_pages;
    to.null_walk_pages += m.null_walk_pages;
    to.preview_calls += m.preview_calls;
    to.duplicates += m.duplicates;
    to.moved += m.moved;
    to.added_live += m.added_live;
    to.removed += m.removed;
    to.viewport_watches += m.viewport_watches;
    to.viewport_stops += m.viewport_stops;
}
} // namespace

void client::detach_for_components(const channel_list* list)
{
    auto& v = impl_->lists;
    const auto it = std::find(v.begin(), v.end(), list);
    if (it == v.end()) return;
    add_list_metrics(impl_->lists_gone, list->metrics());
    v.erase(it);
}

metrics_snapshot client::metrics_snapshot() const
{
    auto& s = *impl_;
    const auto now = std::chrono::steady_clock::now();
    s.collector->sample_rss(now);
    ::streamchat::metrics_snapshot out;
    out.client = metrics();
    out.lists = s.lists_gone;
    for (const channel_list* l : s.lists) add_list_metrics(out.lists, l->metrics());
    out.lists_attached = s.lists.size();
    out.watch_budget = s.cfg.watch.max_watched_channels;
    s.collector->fill(out, now);
    return out;
}

const user_profile* client::cached_profile(std::string_view id) const { return impl_->profiles.peek(id); }

void client::profiles_impl(std::vector<std::string> ids,
                           asio::any_completion_handler<void(error_code, std::vector<user_profile>)> h)
{
    auto& s = *impl_;
    if (s.shut) {
        asio::post(s.ex, asio::append(std::move(h), error_code(error::shut_down), std::vector<user_profile>{}));
        return;
    }
    auto look = s.profiles.get(ids, std::chrono::steady_clock::now());
    if (look.waiter == 0) {
        auto found = client_impl::in_order(ids, std::move(look.hits), {});
        asio::post(s.ex, asio::append(std::move(h), error_code{}, std::move(found)));
        return;
    }
    s.profile_waiters.emplace(look.waiter, client_impl::profile_waiter{std::move(ids), std::move(look.hits), std::move(h)});
    s.schedule_profile_tick();
}
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
    impl_->outbox.waiters.push_back(std::move(h));
    impl_->hand_out();
}

namespace {
void enqueue_watch(client_impl& s, channel_ref ch, bool watch, asio::any_completion_handler<void(error_code)> h,
                   bool for_component)
{
    if (s.shut) {
        asio::post(s.ex, asio::append(std::move(h), error_code(error::shut_down)));
        return;
    }
    if (ch.type.empty() || ch.id.empty()) {
        asio::post(s.ex, asio::append(std::move(h), error_code(error::invalid_id)));
        return;
    }
    detail::watch_job job{std::move(ch), watch, std::move(h)};
    if (watch && !for_component) { // an application opening a channel: a channel switch
        job.opened_at = std::chrono::steady_clock::now();
        job.cold = s.store.state(job.ch.type + ":" + job.ch.id) == nullptr;
    }
    s.jobs.push_back(std::move(job));
    s.jobs_changed.notify();
    s.start_worker();
}
} // namespace

void client::watch_impl(channel_ref ch, bool watch, asio::any_completion_handler<void(error_code)> h)
{
    enqueue_watch(*impl_, std::move(ch), watch, std::move(h), false);
}

void client::watch_for_components(channel_ref ch, asio::any_completion_handler<void(error_code)> h)
{
    enqueue_watch(*impl_, std::move(ch), true, std::move(h), true);
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

channel_subscription client::subscribe(std::string cid)
{
    auto st = std::make_shared<detail::subscription_state>();
    st->cid = std::move(cid);
    st->owner = impl_;
    st->ex = impl_->ex;
    if (!impl_->shut) impl_->subs[st->cid].push_back(st);
    return channel_subscription(std::move(st));
}

channel_subscription::channel_subscription(std::shared_ptr<detail::subscription_state> st) noexcept
    : st_(std::move(st))
{
}

channel_subscription::channel_subscription(channel_subscription&& other) noexcept = default;

channel_subscription& channel_subscription::operator=(channel_subscription&& other) noexcept
{
    if (this != &other) {
        reset();
        st_ = std::move(other.st_);
    }
    return *this;
}

channel_subscription::~channel_subscription() { reset(); }

void channel_subscription::reset() noexcept
{
    auto st = std::move(st_);
    if (!st) return;
    if (auto owner = st->owner.lock()) {
        if (auto it = owner->subs.find(st->cid); it != owner->subs.end()) {
            std::erase_if(it->second, [&](const std::weak_ptr<detail::subscription_state>& w) {
                auto p = w.lock();
                return !p || p == st;
            });
            if (it->second.empty()) owner->subs.erase(it);
        }
        try {
            st->q.fail_all(owner->ex, asio::error::operation_aborted);
        } catch (...) { // posting may allocate; the waiters are dropped then, not leaked
        }
    } else {
        // The client is gone and completed the waiters with shut_down already.
        st->q.waiters.clear();
    }
}

const std::string& channel_subscription::cid() const noexcept
{
    static const std::string none;
    return st_ ? st_->cid : none;
}

void channel_subscription::receive_impl(asio::any_completion_handler<void(error_code, event_batch)> h)
{
    if (!st_) { // nothing to receive from, and no executor to complete on: at once
        std::move(h)(error_code(error::invalid_argument), event_batch{});
        return;
    }
    auto owner = st_->owner.lock();
    if (!owner || owner->shut) {
        asio::post(st_->ex, asio::append(std::move(h), error_code(error::shut_down), event_batch{}));
        return;
    }
    st_->q.waiters.push_back(std::move(h));
    st_->q.hand_out(owner->ex, [](const event_batch&) {});
}

client_metrics client::metrics() const
{
    auto out = impl_->m;
    if (impl_->scheduler) {
        const auto& st = impl_->scheduler->scheduler().stats();
        out.requests_visible = st.dispatched_by_lane[0];
        out.requests_unread = st.dispatched_by_lane[1];
        out.requests_idle = st.dispatched_by_lane[2];
        out.responses_429 = st.rate_limited;
        out.budget_waits = st.waited_for_budget;
        out.background_before_visible = st.background_before_visible;
        out.requests_queued_max = st.queued_max;
    }
    const auto& w = impl_->ws->metrics();
    out.websockets_open = w.sockets_open;
    out.websockets_open_max = w.sockets_open_max;
    out.websockets_opened = w.sockets_opened;
    out.reconnects = w.reconnects;
    out.pings_sent = w.pings_sent;
    const auto& in = impl_->ingest.metrics();
    out.frames_received = in.frames;
    out.malformed_frames = in.malformed;
    out.events_applied = in.applied;
    out.events_compact = in.compact;
    out.duplicates = in.duplicates;
    out.events_dropped = impl_->outbox.dropped;
    out.coalesced = impl_->ingest.coalesced();
    out.watched = impl_->budget.size();
    const auto pm = impl_->profiles.metrics();
    out.profile_requests = pm.requests;
    out.profile_hits = pm.hits;
    out.profile_misses = pm.misses;
    out.profile_fills = pm.fills;
    return out;
}

} // namespace streamchat
