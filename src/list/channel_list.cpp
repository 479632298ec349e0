// channel_list: the keyset pager (list/keyset_pager) driven over queryChannels, stage 2 previews,
// the viewport's watches through the client's budget, and live re-ordering from event batches.

#include <streamchat/channel_list.hpp>

#include "list/keyset_pager.hpp"
#include "metrics/collector.hpp"
#include "model/cid.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <functional>
#include <unordered_set>
#include <vector>

namespace streamchat {

namespace asio = boost::asio;

namespace detail {

namespace {

bool moves_on_message(const streamchat::sort& s)
{
    const auto& f = s.fields();
    if (f.empty()) return true; // the server's default: last_updated descending
    return (f.front().field == "last_message_at" || f.front().field == "last_updated") &&
           f.front().direction == sort_direction::descending;
}

/// The row's value of the pager's key field (see page_row::key).
filter_value key_of(const channel& ch, const std::string& field)
{
    if (field == "last_message_at") return ch.last_message_at ? filter_value(*ch.last_message_at) : filter_value(nullptr);
    if (field == "last_updated")
        return filter_value(ch.last_message_at ? std::max(*ch.last_message_at, ch.created_at) : ch.created_at);
    if (field == "created_at") return filter_value(ch.created_at);
    if (field == "updated_at") return filter_value(ch.updated_at);
    if (field == "member_count") return ch.member_count ? filter_value(*ch.member_count) : filter_value(nullptr);
    if (field == "cid") return filter_value(ch.cid);
    return filter_value(nullptr);
}

} // namespace

/// Completes one handler after `left` operations, with the first error. (Constructed with its
/// handler: Boost 1.81's any_completion_handler move-assignment recurses without end.)
struct join {
    explicit join(asio::any_completion_handler<void(error_code)> handler) : h(std::move(handler)) {}
    std::size_t left = 0;
    error_code first_error{};
    asio::any_completion_handler<void(error_code)> h;
};

struct channel_list_impl : std::enable_shared_from_this<channel_list_impl> {
    channel_list_impl(client& cl, std::function<void(const channel_state&, bool)> abs, channel_list_config conf)
        : c(cl), absorb(std::move(abs)), cfg(std::move(conf)),
          pager(cfg.filter_conditions, cfg.sort, keyset_pager_config{.limit = std::clamp(cfg.page_size, 1, 30)}),
          reorder(moves_on_message(cfg.sort))
    {
    }

    client& c;
    std::function<void(const channel_state&, bool)> absorb; // into the store and the profile cache
    channel_list_config cfg;
    keyset_pager pager;
    bool reorder;
    std::vector<std::string> rows;
    std::unordered_set<std::string> listed;
    std::unordered_set<std::string> wanted; // cids the viewport asked to watch
    channel_list_metrics m{};
    bool page_in_flight = false;
    bool syncing = false;                  // async_sync_background runs: it does the paging
    bool sync_paging = false;              // the next page request is the sync's own
    std::size_t view_first = 0, view_count = 0; // the last viewport asked for
    bool has_view = false;

    /// Rows [lo, hi) that are on screen or in the overscan (the first page before a viewport).
    std::pair<std::size_t, std::size_t> visible_range() const
    {
        if (!has_view) return {0, static_cast<std::size_t>(std::max(cfg.page_size, 1))};
        const std::size_t lo = view_first > cfg.overscan ? view_first - cfg.overscan : 0;
        return {lo, view_first + view_count + cfg.overscan};
    }

    /// A page is visible work while the rows do not reach past what is on screen.
    request_priority page_lane() const
    {
        return rows.size() < visible_range().second ? request_priority::visible : request_priority::idle;
    }

    request_priority preview_lane(std::size_t first, std::size_t end) const
    {
        const auto [lo, hi] = visible_range();
        if (first < hi && end > lo) return request_priority::visible;
        for (std::size_t i = first; i < end; ++i)
            if (auto s = store().summary(rows[i]); s && s->unread_count > 0) return request_priority::unread;
        return request_priority::idle;
    }

    const channel_store& store() const { return c.channels(); }

    void add_rows(const query_channels_response& res)
    {
        std::vector<page_row> page;
        page.reserve(res.channels.size());
        for (const auto& st : res.channels) page.push_back(page_row{st.channel.cid, key_of(st.channel, pager.key_field())});
        const page_result r = pager.on_page(page);
        m.duplicates += r.duplicates;
        for (std::size_t i : r.fresh) {
            const auto& st = res.channels[i];
            absorb(st, false);
            if (listed.insert(st.channel.cid).second) rows.push_back(st.channel.cid);
        }
    }

    void remove(std::string_view cid)
    {
        auto it = listed.find(std::string(cid));
        if (it == listed.end()) return;
        listed.erase(it);
        rows.erase(std::find(rows.begin(), rows.end(), cid));
        ++m.removed;
    }

    /// A channel got a new message: to the top of a newest-first list; added when paging has
    /// not reached it yet (the pager then drops it from later pages).
    void bump(const std::string& cid)
    {
        if (!listed.contains(cid)) {
            if (pager.seen(cid) || !store().summary(cid)) return; // listed once, then left: stays out
            pager.mark_seen(cid);
            listed.insert(cid);
            rows.insert(rows.begin(), cid);
            ++m.added_live;
            return;
        }
        if (!reorder) return;
        auto it = std::find(rows.begin(), rows.end(), cid);
        if (it == rows.begin()) return;
        std::rotate(rows.begin(), it, std::next(it));
        ++m.moved;
    }

    /// A summary changed without a typed event: re-position by last_message_at.
    void settle(const std::string& cid)
    {
        const auto s = store().summary(cid);
        if (!s || s->hidden) {
            remove(cid);
            return;
        }
        if (!listed.contains(cid)) {
            bump(cid);
            return;
        }
        if (!reorder || !s->last_message_at) return;
        auto it = std::find(rows.begin(), rows.end(), cid);
        // Everything above it must be at least as new; move it up past the older ones.
        auto to = it;
        while (to != rows.begin()) {
            const auto above = store().summary(*std::prev(to));
            if (above && above->last_message_at && !(*above->last_message_at < *s->last_message_at)) break;
            --to;
        }
        if (to != it) {
            std::rotate(to, it, std::next(it));
            ++m.moved;
        }
    }

    void apply(const event_batch& b)
    {
        for (const auto& e : b.events) {
            const std::string_view cid = event_cid(e);
            if (cid.empty()) continue;
            switch (e.type) {
                case event_type::message_new:
                case event_type::notification_message_new:
                    if (e.message && (!e.message->parent_id || e.message->show_in_channel.value_or(false))) bump(std::string(cid));
                    break;
                case event_type::channel_hidden:
                case event_type::channel_deleted:
                case event_type::notification_channel_deleted:
                case event_type::notification_removed_from_channel:
                    remove(cid);
                    break;
                default:
                    break;
            }
        }
        for (const auto& cid : b.summaries_changed) settle(cid);
    }
};

} // namespace detail

channel_list::channel_list(client& c, channel_list_config cfg)
    : impl_(std::make_shared<detail::channel_list_impl>(
          c, [&c](const channel_state& st, bool materialise) { c.absorb_for_components(st, materialise); }, std::move(cfg)))
{
    c.attach_for_components(this);
}

channel_list::~channel_list()
{
    impl_->c.detach_for_components(this);
}

bool channel_list::done() const noexcept { return impl_->pager.done(); }
std::size_t channel_list::size() const noexcept { return impl_->rows.size(); }
const std::string& channel_list::cid(std::size_t i) const { return impl_->rows.at(i); }
std::optional<channel_summary> channel_list::row(std::size_t i) const { return impl_->c.channels().summary(impl_->rows.at(i)); }
std::size_t channel_list::viewport_watched() const noexcept { return impl_->wanted.size(); }
channel_list_metrics channel_list::metrics() const noexcept
{
    auto out = impl_->m;
    const auto& pm = impl_->pager.metrics();
    out.offset_pages = pm.offset_pages;
    out.keyset_pages = pm.keyset_pages;
    out.tie_walk_pages = pm.tie_walk_pages;
    out.null_walk_pages = pm.null_walk_pages;
    return out;
}
void channel_list::apply(const event_batch& batch) { impl_->apply(batch); }

std::optional<std::size_t> channel_list::index_of(std::string_view cid) const
{
    const auto& r = impl_->rows;
    const auto it = std::find(r.begin(), r.end(), cid);
    if (it == r.end()) return std::nullopt;
    return static_cast<std::size_t>(it - r.begin());
}

void channel_list::next_page_impl(std::optional<request_priority> lane,
                                  asio::any_completion_handler<void(error_code, std::size_t)> h)
{
    auto& s = *impl_;
    const auto ex = s.c.get_executor();
    if (s.pager.done()) {
        asio::post(ex, asio::append(std::move(h), error_code{}, std::size_t{0}));
        return;
    }
    // The background sync pages on its own; a page from elsewhere would race it.
    if (s.page_in_flight || (s.syncing && !std::exchange(s.sync_paging, false))) {
        asio::post(ex, asio::append(std::move(h), error_code(asio::error::in_progress), std::size_t{0}));
        return;
    }
    const detail::page_request req = s.pager.next();
    query_channels_request q;
    q.filter_conditions = req.filter_conditions;
    q.sort = req.sort;
    q.limit = req.limit;
    if (req.offset > 0) q.offset = req.offset;
    q.message_limit = 0; // stage 1: no messages, no members; the read state comes with state
    q.member_limit = 0;
    q.state = true;
    q.watch = false;
    s.page_in_flight = true;
    const request_options opts{.priority = lane.value_or(s.page_lane())};
    // Cancelling the page (racing it against a timer, say) cancels the request; the pager stays
    // where it was, so the next call asks for the same page.
    auto slot = asio::get_associated_cancellation_slot(h);
    s.c.rest().async_query_channels(
        std::move(q), opts,
        asio::bind_cancellation_slot(slot, [weak = std::weak_ptr(impl_), h = std::move(h)](error_code ec, query_channels_response res) mutable {
            auto self = weak.lock();
            if (!self) {
                std::move(h)(error_code(asio::error::operation_aborted), 0);
                return;
            }
            self->page_in_flight = false;
            if (ec) {
                std::move(h)(ec, 0);
                return;
            }
            ++self->m.pages;
            if (self->m.pages == 1) self->c.metrics_for_components()->note_first_page_loaded(std::chrono::steady_clock::now());
            const std::size_t before = self->rows.size();
            self->add_rows(res);
            std::move(h)(error_code{}, self->rows.size() - before);
        }));
}

void channel_list::previews_impl(std::size_t first, std::size_t count, std::optional<request_priority> lane,
                                 asio::any_completion_handler<void(error_code)> h)
{
    auto& s = *impl_;
    const auto ex = s.c.get_executor();
    const std::size_t end = std::min(s.rows.size(), first + std::min(count, s.rows.size()));
    // The first page is visible once its previews are in (an empty list: at once).
    auto sink = s.c.metrics_for_components();
    const bool first_rows = first == 0 && s.m.pages > 0;
    if (first >= end) {
        if (first_rows && s.rows.empty()) sink->note_page_visible(std::chrono::steady_clock::now());
        asio::post(ex, asio::append(std::move(h), error_code{}));
        return;
    }
    // One cancellation of the whole operation reaches every request of it.
    auto slot = asio::get_associated_cancellation_slot(h);
    auto j = std::make_shared<detail::join>(std::move(h));
    std::vector<std::vector<filter_value>> chunks;
    std::vector<request_priority> lanes;
    for (std::size_t i = first; i < end; i += 30) {
        std::vector<filter_value> ids;
        for (std::size_t k = i; k < std::min(end, i + 30); ++k) ids.emplace_back(s.rows[k]);
        chunks.push_back(std::move(ids));
        lanes.push_back(lane.value_or(s.preview_lane(i, std::min(end, i + 30))));
    }
    j->left = chunks.size();
    auto signals = std::make_shared<std::vector<asio::cancellation_signal>>(chunks.size());
    if (slot.is_connected())
        slot.assign([signals](asio::cancellation_type t) {
            for (auto& sig : *signals) sig.emit(t);
        });
    std::size_t k = 0;
    for (auto& ids : chunks) {
        query_channels_request q;
        q.limit = static_cast<int>(ids.size());
        q.filter_conditions = filter::in("cid", std::move(ids));
        q.message_limit = 1;
        q.member_limit = 0;
        q.state = true;
        q.watch = false;
        ++s.m.preview_calls;
        const request_options opts{.priority = lanes[k]};
        s.c.rest().async_query_channels(
            std::move(q), opts, asio::bind_cancellation_slot((*signals)[k++].slot(), [weak = std::weak_ptr(impl_), j, signals, sink,
                                                                                 first_rows](error_code ec, query_channels_response res) {
                auto self = weak.lock();
                if (!self && !ec) ec = asio::error::operation_aborted;
                if (self && !ec)
                    for (const auto& st : res.channels) self->absorb(st, false);
                if (ec && !j->first_error) j->first_error = ec;
                if (--j->left > 0) return;
                if (first_rows && !j->first_error) sink->note_page_visible(std::chrono::steady_clock::now());
                std::move(j->h)(j->first_error);
            }));
    }
}

void channel_list::viewport_impl(std::size_t first, std::size_t count, asio::any_completion_handler<void(error_code)> h)
{
    auto& s = *impl_;
    s.view_first = first;
    s.view_count = count;
    s.has_view = true;
    const auto ex = s.c.get_executor();
    const std::size_t n = s.rows.size();
    first = std::min(first, n);
    count = std::min(count, n - first);
    // Viewport + overscan, the overscan shrunk to fit the budget.
    const std::size_t budget = std::max<std::size_t>(1, s.c.config().watch.max_watched_channels);
    std::size_t over = s.cfg.overscan;
    while (over > 0 && count + 2 * over > budget) --over;
    const std::size_t lo = first >= over ? first - over : 0;
    const std::size_t hi = std::min(n, first + std::min(count, budget) + over);
    std::unordered_set<std::string> want;
    for (std::size_t i = lo; i < hi && want.size() < budget; ++i) want.insert(s.rows[i]);

    std::vector<std::string> stop, watch;
    for (const auto& cid : s.wanted)
        if (!want.contains(cid)) stop.push_back(cid);
    for (std::size_t i = lo; i < hi; ++i)
        if (want.contains(s.rows[i]) && !s.wanted.contains(s.rows[i])) watch.push_back(s.rows[i]);
    s.wanted = std::move(want);

    auto j = std::make_shared<detail::join>(std::move(h));
    j->left = stop.size() + watch.size();
    auto sink = s.c.metrics_for_components();
    if (j->left == 0) {
        sink->note_viewport_watched(std::chrono::steady_clock::now());
        asio::post(ex, asio::append(std::move(j->h), error_code{}));
        return;
    }
    auto done = [j, sink](error_code ec) {
        if (ec && !j->first_error) j->first_error = ec;
        if (--j->left > 0) return;
        if (!j->first_error) sink->note_viewport_watched(std::chrono::steady_clock::now());
        std::move(j->h)(j->first_error);
    };
    // A cid without a colon becomes an empty reference, which the client refuses with invalid_id.
    auto ref = [](const std::string& cid) { return detail::split_cid(cid).value_or(channel_ref{}); };
    // Stops first: the client's watch queue runs in order, so room is made before it is used.
    for (const auto& cid : stop) {
        ++s.m.viewport_stops;
        s.c.async_stop_watching(ref(cid), done);
    }
    for (const auto& cid : watch) {
        ++s.m.viewport_watches;
        s.c.watch_for_components(ref(cid), done); // ahead of time: not a channel switch
    }
}

namespace {

asio::awaitable<error_code> sync_loop(channel_list* list, std::weak_ptr<detail::channel_list_impl> weak)
{
    constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
    const error_code aborted = asio::error::operation_aborted;
    // One page ahead: the previews of page k go while page k + 1 is asked for, so the unread
    // lane and the idle lane both have work queued and the scheduler picks between them.
    auto page = [&]() -> asio::awaitable<std::tuple<error_code, std::size_t>> {
        auto self = weak.lock();
        if (!self) co_return std::tuple{aborted, std::size_t{0}};
        if (self->pager.done()) co_return std::tuple{error_code{}, std::size_t{0}};
        self->sync_paging = true;
        self.reset();
        co_return co_await list->async_load_next_page(nothrow);
    };
    auto previews = [&](std::size_t first, std::size_t count) -> asio::awaitable<std::tuple<error_code>> {
        if (count == 0) co_return std::tuple{error_code{}};
        if (weak.expired()) co_return std::tuple{aborted};
        co_return co_await list->async_load_previews(first, count, nothrow);
    };
    auto [ec, n] = co_await page();
    for (;;) {
        if (ec) co_return ec;
        auto self = weak.lock();
        if (!self) co_return aborted;
        const std::size_t end = self->rows.size();
        const bool last = self->pager.done();
        self.reset();
        if (last) {
            auto [pec] = co_await previews(end - n, n);
            co_return pec;
        }
        // Spelled out: streamchat's filter `operator&&` would hide the awaitable one.
        auto both = asio::experimental::awaitable_operators::operator&&(previews(end - n, n), page());
        auto [pr, pg] = co_await std::move(both);
        if (pr) co_return pr; // a one-element tuple comes back unwrapped
        std::tie(ec, n) = pg;
    }
}

} // namespace

void channel_list::sync_impl(asio::any_completion_handler<void(error_code)> h)
{
    auto& s = *impl_;
    if (s.syncing || s.page_in_flight) {
        asio::post(s.c.get_executor(), asio::append(std::move(h), error_code(asio::error::in_progress)));
        return;
    }
    s.syncing = true;
    auto slot = asio::get_associated_cancellation_slot(h);
    std::weak_ptr<detail::channel_list_impl> weak = impl_;
    asio::co_spawn(s.c.get_executor(), sync_loop(this, weak),
                   asio::bind_cancellation_slot(slot, [weak, h = std::move(h)](std::exception_ptr ep, error_code ec) mutable {
                       if (auto self = weak.lock()) {
                           self->syncing = false;
                           self->sync_paging = false;
                       }
                       if (ep) ec = asio::error::operation_aborted; // cancelled inside an awaitable operator
                       std::move(h)(ec);
                   }));
}

} // namespace streamchat
