#include "report.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

namespace streamchat::loadtest {

namespace json = boost::json;
using ns = std::chrono::nanoseconds;

json::object histogram_json(const latency_histogram& h)
{
    json::object o;
    o["unit"] = "ns";
    o["count"] = h.count();
    o["min_ns"] = h.min().count();
    o["max_ns"] = h.max().count();
    o["mean_ns"] = h.mean().count();
    json::array buckets;
    for (const auto& b : h.buckets()) buckets.push_back(json::array{b.lower.count(), b.upper.count(), b.count});
    o["buckets"] = std::move(buckets);
    return o;
}

namespace {

std::optional<std::int64_t> integer_of(const json::value& v)
{
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
    if (v.is_double() && v.get_double() >= 0 && v.get_double() < 9.2e18) return static_cast<std::int64_t>(v.get_double());
    return std::nullopt;
}

double ms(ns d) { return static_cast<double>(d.count()) / 1e6; }

} // namespace

bool add_histogram_json(const json::value& v, latency_histogram& into)
{
    if (!v.is_object()) return false;
    const auto* buckets = v.get_object().if_contains("buckets");
    if (!buckets || !buckets->is_array()) return false;
    for (const auto& b : buckets->get_array()) {
        if (!b.is_array() || b.get_array().size() != 3) return false;
        const auto& a = b.get_array();
        const auto lower = integer_of(a[0]), upper = integer_of(a[1]), count = integer_of(a[2]);
        if (!lower || !upper || !count || *count < 0) return false;
        latency_histogram::bucket bk{ns(*lower), ns(*upper), static_cast<std::uint64_t>(*count)};
        if (!into.add_bucket(bk)) return false;
    }
    return true;
}

json::object percentiles_ms(const latency_histogram& h)
{
    json::object o;
    o["p50"] = ms(h.percentile(50));
    o["p95"] = ms(h.percentile(95));
    o["p99"] = ms(h.percentile(99));
    o["max"] = ms(h.max());
    o["mean"] = ms(h.mean());
    return o;
}

json::object timeline_json(std::int64_t t_s, const timeline_second& s)
{
    json::object e;
    e["t_s"] = t_s;
    e["sent"] = s.sent;
    e["delivered"] = s.delivered;
    e["connected"] = s.connected;
    e["reconnects"] = s.reconnects;
    e["errors"] = s.errors;
    e["rss_mb"] = s.rss_mb;
    e["p50_ms"] = ms(s.latency.percentile(50));
    e["p95_ms"] = ms(s.latency.percentile(95));
    e["p99_ms"] = ms(s.latency.percentile(99));
    e["max_ms"] = ms(s.latency.max());
    e["latency_buckets"] = histogram_json(s.latency).at("buckets");
    return e;
}

double number_of(const json::object& o, std::string_view key, double fallback)
{
    const auto* v = o.if_contains(key);
    if (!v) return fallback;
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    if (v->is_double()) return v->get_double();
    return fallback;
}

std::optional<json::object> merge_reports(const std::vector<json::object>& reports, std::string& why)
{
    if (reports.empty()) {
        why = "no report to merge";
        return std::nullopt;
    }
    // Plain sums.
    static constexpr std::string_view summed[] = {
        "users", "connected", "messages_sent", "messages_delivered", "messages_lost", "messages_duplicated",
        "messages_recovered", "messages_expected", "errors", "reconnects", "chaos_drops", "send_skipped",
        "deliveries_foreign", "throughput_msgs_per_s", "deliveries_per_s", "rss_mb", "shards"};
    json::object out;
    out["tool"] = "streamchat-loadtest";
    out["version"] = 1;
    out["merged_from"] = reports.size();
    latency_histogram latency, recovered, connect;
    double duration = 0, max_latency_ns = 0, rss_clients_bytes = 0, clients = 0;
    std::map<std::string, double> errors_by_kind;
    std::map<std::int64_t, timeline_second> timeline;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& r = reports[i];
        if (!r.contains("users") || !r.contains("latency_histogram")) {
            why = "report " + std::to_string(i + 1) + " is not a streamchat-loadtest report (no users / latency_histogram)";
            return std::nullopt;
        }
        for (auto key : summed) {
            const double add = number_of(r, key, key == "shards" ? 1 : 0);
            out[key] = number_of(out, key) + add;
        }
        duration = std::max(duration, number_of(r, "duration_s"));
        if (!add_histogram_json(r.at("latency_histogram"), latency)) {
            why = "report " + std::to_string(i + 1) + ": latency_histogram has buckets of another layout";
            return std::nullopt;
        }
        if (const auto* h = r.if_contains("recovered_histogram")) add_histogram_json(*h, recovered);
        if (const auto* h = r.if_contains("connect_histogram")) add_histogram_json(*h, connect);
        if (const auto* h = r.at("latency_histogram").if_object()) max_latency_ns = std::max(max_latency_ns, number_of(*h, "max_ns"));
        const double c = number_of(r, "connected");
        rss_clients_bytes += number_of(r, "rss_bytes_per_client") * c;
        clients += c;
        if (const auto* e = r.if_contains("errors_by_kind"); e && e->is_object())
            for (const auto& [k, v] : e->get_object()) errors_by_kind[std::string(k)] += v.is_number() ? v.to_number<double>() : 0;
        if (const auto* t = r.if_contains("timeline"); t && t->is_array()) {
            for (const auto& entry : t->get_array()) {
                if (!entry.is_object()) continue;
                const auto& e = entry.get_object();
                auto& s = timeline[static_cast<std::int64_t>(number_of(e, "t_s"))];
                const auto count = [&](std::string_view key) { return static_cast<std::uint64_t>(number_of(e, key)); };
                s.sent += count("sent");
                s.delivered += count("delivered");
                s.connected += count("connected");
                s.reconnects += count("reconnects");
                s.errors += count("errors");
                s.rss_mb += number_of(e, "rss_mb");
                if (const auto* b = e.if_contains("latency_buckets"); b) {
                    json::object wrapped;
                    wrapped["buckets"] = *b;
                    add_histogram_json(wrapped, s.latency);
                }
            }
        }
        if (i == 0) {
            for (auto key : {"started_at", "target", "config"})
                if (const auto* v = r.if_contains(key)) out[key] = *v;
        }
    }
    out["duration_s"] = duration;
    out["latency_ms"] = percentiles_ms(latency);
    // Bucket bounds cannot carry the exact maximum; the largest of the inputs' maxima can.
    out["latency_ms"].as_object()["max"] = max_latency_ns / 1e6;
    out["latency_histogram"] = histogram_json(latency);
    out["recovered_latency_ms"] = percentiles_ms(recovered);
    out["recovered_histogram"] = histogram_json(recovered);
    out["connect_ms"] = percentiles_ms(connect);
    out["connect_histogram"] = histogram_json(connect);
    out["rss_bytes_per_client"] = clients > 0 ? rss_clients_bytes / clients : 0.0;
    json::object kinds;
    for (auto& [k, v] : errors_by_kind) kinds[k] = v;
    out["errors_by_kind"] = std::move(kinds);
    json::array tl;
    for (auto& [t, s] : timeline) tl.push_back(timeline_json(t, s));
    out["timeline"] = std::move(tl);
    return out;
}

bool report_passed(const json::object& r)
{
    return number_of(r, "messages_lost") == 0 && number_of(r, "messages_duplicated") == 0 &&
           number_of(r, "connected") > 0;
}

void print_summary(const json::object& r, std::FILE* out)
{
    auto lat = [&](const char* obj, const char* key) {
        const auto* o = r.if_contains(obj);
        return o && o->is_object() ? number_of(o->get_object(), key) : 0.0;
    };
    const double users = number_of(r, "users");
    std::fprintf(out, "\n%-34s %s\n", "figure", "value");
    std::fprintf(out, "%s\n", std::string(70, '-').c_str());
    std::fprintf(out, "%-34s %.0f of %.0f\n", "users connected", number_of(r, "connected"), users);
    std::fprintf(out, "%-34s %.1f s\n", "load duration", number_of(r, "duration_s"));
    std::fprintf(out, "%-34s %.0f (%.1f msg/s)\n", "messages sent", number_of(r, "messages_sent"),
                 number_of(r, "throughput_msgs_per_s"));
    std::fprintf(out, "%-34s %.0f of %.0f expected (%.1f deliveries/s)\n", "deliveries",
                 number_of(r, "messages_delivered"), number_of(r, "messages_expected"), number_of(r, "deliveries_per_s"));
    std::fprintf(out, "%-34s %.0f\n", "  of which after a reconnect", number_of(r, "messages_recovered"));
    std::fprintf(out, "%-34s %.0f\n", "lost", number_of(r, "messages_lost"));
    std::fprintf(out, "%-34s %.0f\n", "duplicated", number_of(r, "messages_duplicated"));
    std::fprintf(out, "%-34s p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms\n", "send -> deliver (live)",
                 lat("latency_ms", "p50"), lat("latency_ms", "p95"), lat("latency_ms", "p99"), lat("latency_ms", "max"));
    if (number_of(r, "messages_recovered") > 0)
        std::fprintf(out, "%-34s p50 %.1f  p99 %.1f  max %.1f ms\n", "send -> deliver (after reconnect)",
                     lat("recovered_latency_ms", "p50"), lat("recovered_latency_ms", "p99"),
                     lat("recovered_latency_ms", "max"));
    if (r.contains("send_ms"))
        std::fprintf(out, "%-34s p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms\n", "send (until the answer)",
                     lat("send_ms", "p50"), lat("send_ms", "p95"), lat("send_ms", "p99"), lat("send_ms", "max"));
    std::fprintf(out, "%-34s p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms\n", "connect + watch", lat("connect_ms", "p50"),
                 lat("connect_ms", "p95"), lat("connect_ms", "p99"), lat("connect_ms", "max"));
    std::fprintf(out, "%-34s %.0f\n", "errors", number_of(r, "errors"));
    if (const auto* e = r.if_contains("errors_by_kind"); e && e->is_object()) {
        int shown = 0;
        for (const auto& [k, v] : e->get_object()) {
            if (++shown > 8) break;
            std::fprintf(out, "  %-32.32s x%.0f\n", std::string(k).c_str(), v.is_number() ? v.to_number<double>() : 0.0);
        }
    }
    std::fprintf(out, "%-34s %.0f (chaos drops %.0f)\n", "reconnects", number_of(r, "reconnects"), number_of(r, "chaos_drops"));
    if (number_of(r, "send_skipped") > 0)
        std::fprintf(out, "%-34s %.0f (server behind: too many sends in flight)\n", "sends skipped",
                     number_of(r, "send_skipped"));
    std::fprintf(out, "%-34s %.1f MB, %.0f bytes per connected client (heap %.0f)\n", "client process RSS",
                 number_of(r, "rss_mb"), number_of(r, "rss_bytes_per_client"), number_of(r, "heap_bytes_per_client"));
    if (r.contains("client_cpu_cores_during_load"))
        std::fprintf(out, "%-34s %.0f %% of a core during the load, %.1f s CPU in all\n", "client process CPU",
                     100 * number_of(r, "client_cpu_cores_during_load"), number_of(r, "client_cpu_s"));
    if (const auto* s = r.if_contains("server"); s && s->is_object())
        std::fprintf(out, "%-34s %.0f %% of a core during the load, %.1f s CPU in all, %.1f MB RSS\n",
                     "server (emulator process)", 100 * number_of(s->get_object(), "cpu_cores_during_load"),
                     number_of(s->get_object(), "cpu_s"), number_of(s->get_object(), "rss_mb"));
    std::fprintf(out, "%s\n", std::string(70, '-').c_str());
    std::fprintf(out, "%s\n", report_passed(r) ? "PASSED: no message lost or duplicated"
                                               : "FAILED: messages lost or duplicated, or nobody connected");
}

std::optional<json::object> read_report(const std::string& path, std::string& why)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = "cannot read " + path;
        return std::nullopt;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        why = path + ": not a JSON object" + (ec ? " (" + ec.message() + ")" : std::string{});
        return std::nullopt;
    }
    return std::move(v.get_object());
}

bool write_file(const std::string& path, const std::string& text, std::string& why)
{
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size()))) {
            why = "cannot write " + tmp;
            return false;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        why = "cannot rename " + tmp + " to " + path;
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

} // namespace streamchat::loadtest
