// to_json(metrics_snapshot): the shape documented in docs/metrics.md. Durations are milliseconds
// as doubles; histogram buckets keep integer nanoseconds so that a reader merges them exactly.

#include <streamchat/metrics.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace streamchat {

namespace json = boost::json;

namespace {

double ms(std::chrono::nanoseconds d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

json::value ms_or_null(const std::optional<std::chrono::nanoseconds>& d)
{
    if (!d) return nullptr;
    return ms(*d);
}

json::object histogram_json(const latency_histogram& h)
{
    json::object o;
    o["count"] = h.count();
    auto figure = [&](std::chrono::nanoseconds d) -> json::value {
        if (h.empty()) return nullptr;
        return ms(d);
    };
    o["min_ms"] = figure(h.min());
    o["mean_ms"] = figure(h.mean());
    o["p50_ms"] = figure(h.percentile(50));
    o["p95_ms"] = figure(h.percentile(95));
    o["p99_ms"] = figure(h.percentile(99));
    o["max_ms"] = figure(h.max());
    json::array buckets;
    for (const auto& b : h.buckets()) {
        json::array row;
        row.emplace_back(b.lower.count());
        row.emplace_back(b.upper.count());
        row.emplace_back(b.count);
        buckets.emplace_back(std::move(row));
    }
    o["buckets"] = std::move(buckets);
    return o;
}

json::object client_json(const client_metrics& m)
{
    json::object o;
    o["websockets_open"] = m.websockets_open;
    o["websockets_open_max"] = m.websockets_open_max;
    o["websockets_opened"] = m.websockets_opened;
    o["reconnects"] = m.reconnects;
    o["recoveries"] = m.recoveries;
    o["pings_sent"] = m.pings_sent;
    o["frames_received"] = m.frames_received;
    o["events_applied"] = m.events_applied;
    o["events_compact"] = m.events_compact;
    o["events_dropped"] = m.events_dropped;
    o["duplicates"] = m.duplicates;
    o["malformed_frames"] = m.malformed_frames;
    o["batches"] = m.batches;
    o["coalesced"] = m.coalesced;
    o["max_lag_ms"] = ms(std::chrono::duration_cast<std::chrono::nanoseconds>(m.max_lag));
    o["watched"] = m.watched;
    o["watched_max"] = m.watched_max;
    o["evictions"] = m.evictions;
    o["sync_calls"] = m.sync_calls;
    o["requery_calls"] = m.requery_calls;
    o["mark_read_calls"] = m.mark_read_calls;
    o["rate_limited"] = m.rate_limited;
    o["typing_events"] = m.typing_events;
    o["profile_requests"] = m.profile_requests;
    o["profile_hits"] = m.profile_hits;
    o["profile_misses"] = m.profile_misses;
    o["profile_fills"] = m.profile_fills;
    o["requests_visible"] = m.requests_visible;
    o["requests_unread"] = m.requests_unread;
    o["requests_idle"] = m.requests_idle;
    o["responses_429"] = m.responses_429;
    o["budget_waits"] = m.budget_waits;
    o["background_before_visible"] = m.background_before_visible;
    o["requests_queued_max"] = m.requests_queued_max;
    return o;
}

json::object lists_json(const channel_list_metrics& m, std::size_t attached)
{
    json::object o;
    o["attached"] = attached;
    o["pages"] = m.pages;
    o["offset_pages"] = m.offset_pages;
    o["keyset_pages"] = m.keyset_pages;
    o["tie_walk_pages"] = m.tie_walk_pages;
    o["null_walk_pages"] = m.null_walk_pages;
    o["preview_calls"] = m.preview_calls;
    o["duplicates"] = m.duplicates;
    o["moved"] = m.moved;
    o["added_live"] = m.added_live;
    o["removed"] = m.removed;
    o["viewport_watches"] = m.viewport_watches;
    o["viewport_stops"] = m.viewport_stops;
    return o;
}

} // namespace

std::string to_json(const metrics_snapshot& s)
{
    json::object o;
    o["uptime_ms"] = ms(s.uptime);
    o["socket_connected_ms"] = ms_or_null(s.socket_connected);
    o["first_page_ttfb_ms"] = ms_or_null(s.first_page_ttfb);
    o["first_page_loaded_ms"] = ms_or_null(s.first_page_loaded);
    o["first_visible_page_ms"] = ms_or_null(s.first_visible_page);
    o["first_viewport_watched_ms"] = ms_or_null(s.first_viewport_watched);
    o["time_to_interactive_ms"] = ms_or_null(s.time_to_interactive);
    o["channel_switch_cold"] = histogram_json(s.channel_switch_cold);
    o["channel_switch_preloaded"] = histogram_json(s.channel_switch_preloaded);
    json::array endpoints;
    for (const auto& e : s.endpoints) {
        json::object eo;
        eo["endpoint"] = e.endpoint;
        eo["requests"] = e.requests;
        eo["rate_limited"] = e.rate_limited;
        eo["failures"] = e.failures;
        eo["latency"] = histogram_json(e.latency);
        endpoints.emplace_back(std::move(eo));
    }
    o["endpoints"] = std::move(endpoints);
    o["rate_limited"] = s.rate_limited;
    o["watch_budget"] = s.watch_budget;
    o["client"] = client_json(s.client);
    o["lists"] = lists_json(s.lists, s.lists_attached);
    json::array rss;
    for (const auto& r : s.rss_samples) {
        json::array row;
        row.emplace_back(ms(r.at));
        row.emplace_back(r.bytes);
        rss.emplace_back(std::move(row));
    }
    o["rss_samples"] = std::move(rss);
    return json::serialize(o);
}

} // namespace streamchat
