// render_html_report: the load-test report as one offline HTML page. Tables are rendered here (so
// the figures read without JavaScript and in any text dump of the page); the charts are drawn in
// the browser by an inline script from the report, embedded as JSON, so that the page needs no
// chart library and no network.

#include "report_html.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace streamchat::loadtest {

namespace {

namespace json = boost::json;

// The page's own limit: the tool reports it, the page shows whether it was met (it does not fail
// the run: only lost or duplicated messages do).
constexpr double p99_target_ms = 250;

// --- reading the report: every key may be missing or of another type -------------------------

std::optional<double> as_number(const json::value* v)
{
    if (v == nullptr) return std::nullopt;
    double d = 0;
    switch (v->kind()) {
    case json::kind::int64: d = static_cast<double>(v->get_int64()); break;
    case json::kind::uint64: d = static_cast<double>(v->get_uint64()); break;
    case json::kind::double_: d = v->get_double(); break;
    default: return std::nullopt;
    }
    if (!std::isfinite(d)) return std::nullopt;
    return d;
}

const json::value* member(const json::object* o, std::string_view key)
{
    return o == nullptr ? nullptr : o->if_contains(key);
}

const json::object* object_at(const json::object* o, std::string_view key)
{
    const json::value* v = member(o, key);
    return v == nullptr ? nullptr : v->if_object();
}

std::optional<double> number_at(const json::object* o, std::string_view key)
{
    return as_number(member(o, key));
}

std::optional<std::string_view> string_at(const json::object* o, std::string_view key)
{
    const json::value* v = member(o, key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string_view(v->get_string());
}

// --- formatting ------------------------------------------------------------------------------

std::string escape(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

// "1234567.5" -> "1,234,567.5": counts of a load test run into the millions.
std::string group_digits(std::string_view s)
{
    const std::size_t sign = (!s.empty() && s.front() == '-') ? 1 : 0;
    const std::size_t dot = std::min(s.find('.'), s.size());
    std::string out(s.substr(0, sign));
    const std::string_view digits = s.substr(sign, dot - sign);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    out += s.substr(dot);
    return out;
}

std::string fixed(double v, int decimals)
{
    std::array<char, 64> buf{};
    if (std::fabs(v) >= 1e15) { // beyond any real figure: keep it short rather than exact
        std::snprintf(buf.data(), buf.size(), "%.6g", v);
        return buf.data();
    }
    std::snprintf(buf.data(), buf.size(), "%.*f", decimals, v);
    return group_digits(buf.data());
}

// Integers print as integers whatever their JSON type; other values with `decimals` digits.
std::string plain(double v, int decimals = 1)
{
    return fixed(v, v == std::floor(v) ? 0 : decimals);
}

// Milliseconds with the digits that matter at their scale (0.042 ms, 3.14 ms, 80.3 ms).
std::string ms_value(double v)
{
    const double a = std::fabs(v);
    return fixed(v, a < 1 ? 3 : a < 10 ? 2 : 1);
}

std::string or_dash(const std::optional<double>& v, std::string (*format)(double))
{
    return v ? format(*v) : std::string("&mdash;");
}

std::string count_text(double v) { return plain(v, 1); }
std::string ms_text(double v) { return ms_value(v) + " ms"; }
std::string one_decimal(double v) { return fixed(v, 1); }

// A JSON leaf as table text: strings as they are, numbers formatted, containers serialized.
std::string value_text(const json::value& v)
{
    if (const auto n = as_number(&v)) {
        std::string text = plain(*n, 3); // 5.100 -> 5.1: these figures have no unit to align on
        if (text.find('.') != std::string::npos) {
            text.erase(text.find_last_not_of('0') + 1);
            if (text.back() == '.') text.pop_back();
        }
        return text;
    }
    if (v.is_string()) return escape(v.get_string());
    if (v.is_bool()) return v.get_bool() ? "yes" : "no";
    if (v.is_null()) return "&mdash;";
    return escape(json::serialize(v));
}

// Boost.JSON writes non-finite doubles as NaN/Infinity, which JSON.parse rejects: null instead
// (the page treats null as a missing figure).
void make_finite(json::value& v)
{
    if (v.is_double()) {
        if (!std::isfinite(v.get_double())) v = nullptr;
    } else if (v.is_array()) {
        for (auto& e : v.get_array()) make_finite(e);
    } else if (v.is_object()) {
        for (auto& e : v.get_object()) make_finite(e.value());
    }
}

// The report as the text of a <script type="application/json">. '<' only occurs inside JSON
// strings, and \u003c there is the same string: with no '<' left, no value can close the element
// ("</script") or open a comment ("<!--"). '>' and '&' go too, so no HTML parser state matters.
std::string embedded_json(const json::object& report)
{
    json::value copy(report);
    make_finite(copy);
    const std::string text = json::serialize(copy);
    std::string out;
    out.reserve(text.size() + 64);
    for (const char c : text) {
        switch (c) {
        case '<': out += "\\u003c"; break;
        case '>': out += "\\u003e"; break;
        case '&': out += "\\u0026"; break;
        default: out += c;
        }
    }
    return out;
}

// --- tables ----------------------------------------------------------------------------------

struct table_builder {
    std::string html;

    void group(std::string_view title)
    {
        html += "<tbody><tr class=\"group\"><th colspan=\"3\" scope=\"rowgroup\">";
        html += title;
        html += "</th></tr>\n";
    }
    void end_group() { html += "</tbody>\n"; }

    // `label`, `value` and `note` are HTML already (the callers escape what came from the report).
    void row(std::string_view label, const std::string& value, std::string_view note = {},
             std::string_view value_class = {})
    {
        html += "<tr><th scope=\"row\">";
        html += label;
        html += "</th><td class=\"num";
        if (value == "&mdash;") html += " missing";
        if (!value_class.empty()) {
            html += ' ';
            html += value_class;
        }
        html += "\">";
        html += value;
        html += "</td><td class=\"note\">";
        html += note;
        html += "</td></tr>\n";
    }
};

std::string percent(double part, double whole)
{
    if (whole <= 0) return {};
    return fixed(100 * part / whole, 1) + "%";
}

std::string summary_table(const json::object& r)
{
    const json::object* rp = &r;
    const auto users = number_at(rp, "users");
    const auto connected = number_at(rp, "connected");
    const auto duration = number_at(rp, "duration_s");
    const auto sent = number_at(rp, "messages_sent");
    const auto delivered = number_at(rp, "messages_delivered");
    const auto lost = number_at(rp, "messages_lost");
    const auto duplicated = number_at(rp, "messages_duplicated");
    const json::object* latency = object_at(rp, "latency_ms");
    const json::object* connect = object_at(rp, "connect_ms");
    const json::object* server = object_at(rp, "server");

    table_builder t;
    t.html += "<table class=\"summary\" id=\"summary\">\n<caption>Summary</caption>\n";

    t.group("Clients");
    t.row("users", or_dash(users, count_text));
    t.row("connected", or_dash(connected, count_text),
          connected && users ? escape(percent(*connected, *users)) + " of users" : std::string());
    t.row("duration_s", or_dash(duration, one_decimal), "seconds");
    if (const auto shards = number_at(rp, "shards")) t.row("shards", count_text(*shards), "processes merged");
    t.end_group();

    t.group("Messages");
    t.row("messages_sent", or_dash(sent, count_text));
    t.row("messages_delivered", or_dash(delivered, count_text),
          sent && delivered && *sent > 0 ? fixed(*delivered / *sent, 2) + " deliveries per message" : std::string());
    t.row("messages_lost", or_dash(lost, count_text), "expected deliveries never received",
          lost ? (*lost > 0 ? "bad" : "good") : "");
    t.row("messages_duplicated", or_dash(duplicated, count_text), "deliveries received twice",
          duplicated ? (*duplicated > 0 ? "bad" : "good") : "");
    if (const auto recovered = number_at(rp, "messages_recovered"))
        t.row("messages_recovered", count_text(*recovered), "recovered after a reconnect");
    t.row("throughput_msgs_per_s", or_dash(number_at(rp, "throughput_msgs_per_s"), one_decimal), "messages sent per second");
    if (const auto d = number_at(rp, "deliveries_per_s")) t.row("deliveries_per_s", one_decimal(*d), "messages received per second");
    t.end_group();

    t.group("Latency, send to delivery");
    for (const std::string_view q : {"p50", "p95", "p99", "max", "mean"}) {
        const auto v = number_at(latency, q);
        if (q == "mean" && !v) continue; // optional extra
        std::string note;
        std::string_view cls;
        if (q == "p99") {
            note = "target &lt; " + plain(p99_target_ms) + " ms";
            if (v) cls = *v < p99_target_ms ? "good" : "bad";
        }
        t.row("latency " + std::string(q), or_dash(v, ms_text), note, cls);
    }
    if (connect != nullptr) {
        std::string text;
        for (const std::string_view q : {"p50", "p95", "p99", "max"}) {
            if (!text.empty()) text += " / ";
            text += or_dash(number_at(connect, q), ms_value);
        }
        t.row("connect p50 / p95 / p99 / max", text + " ms", "time to connect");
    }
    t.end_group();

    t.group("Errors");
    t.row("errors", or_dash(number_at(rp, "errors"), count_text));
    t.row("reconnects", or_dash(number_at(rp, "reconnects"), count_text));
    if (const auto drops = number_at(rp, "chaos_drops")) t.row("chaos_drops", count_text(*drops), "connections cut on purpose");
    t.end_group();

    t.group("Memory (load tool)");
    t.row("rss_mb", or_dash(number_at(rp, "rss_mb"), one_decimal), "resident set, MB");
    const auto per_client = number_at(rp, "rss_bytes_per_client");
    t.row("rss_bytes_per_client", or_dash(per_client, count_text),
          per_client ? fixed(*per_client / 1024, 1) + " KiB per connected user" : std::string());
    t.end_group();

    if (server != nullptr) {
        t.group("Server");
        if (const auto pid = number_at(server, "pid")) t.row("server pid", plain(*pid));
        if (const auto cpu = number_at(server, "cpu_s")) {
            t.row("server cpu_s", one_decimal(*cpu),
                  duration && *duration > 0 ? escape(percent(*cpu, *duration)) + " of one core over the run" : std::string());
        }
        if (const auto rss = number_at(server, "rss_mb")) t.row("server rss_mb", one_decimal(*rss), "resident set, MB");
        // Figures a later server reports without this page knowing them yet.
        for (const auto& [key, value] : *server) {
            if (key == "pid" || key == "cpu_s" || key == "rss_mb") continue;
            t.row("server " + escape(key), value_text(value));
        }
        t.end_group();
    }

    // Figures this page does not know by name (a newer tool, a debugging counter): shown as they are.
    static constexpr std::array<std::string_view, 27> shown{
        "tool", "version", "started_at", "target", "config", "users", "connected", "duration_s", "messages_sent",
        "messages_delivered", "messages_lost", "messages_duplicated", "messages_recovered", "latency_ms",
        "latency_histogram", "connect_ms", "throughput_msgs_per_s", "deliveries_per_s", "errors", "errors_by_kind",
        "reconnects", "chaos_drops", "rss_mb", "rss_bytes_per_client", "server", "shards", "timeline"};
    table_builder other;
    for (const auto& [key, value] : r) {
        if (std::find(shown.begin(), shown.end(), std::string_view(key)) != shown.end()) continue;
        if (const json::object* o = value.if_object()) {
            if (!number_at(o, "p50") && !number_at(o, "p99")) continue; // histograms and the like
            std::string text;
            for (const std::string_view q : {"p50", "p95", "p99", "max"}) {
                if (!text.empty()) text += " / ";
                text += or_dash(number_at(o, q), ms_value);
            }
            other.row(escape(key) + " p50 / p95 / p99 / max", text + (key.ends_with("_ms") ? " ms" : ""));
        } else if (!value.is_array()) {
            other.row(escape(key), value_text(value));
        }
    }
    if (!other.html.empty()) {
        t.group("Other figures");
        t.html += other.html;
        t.end_group();
    }
    t.html += "</table>\n";
    return t.html;
}

struct verdict {
    std::string_view word;  // PASS, FAIL, UNKNOWN
    std::string_view klass; // CSS class
};

verdict judge(const json::object& r)
{
    const auto lost = number_at(&r, "messages_lost");
    const auto duplicated = number_at(&r, "messages_duplicated");
    if ((lost && *lost > 0) || (duplicated && *duplicated > 0)) return {"FAIL", "fail"};
    if (lost && duplicated) return {"PASS", "pass"};
    return {"UNKNOWN", "unknown"}; // a pass needs both figures
}

std::string checks_table(const json::object& r)
{
    struct check {
        std::string what;
        std::string target;
        std::optional<double> actual;
        std::string actual_text;
        bool met;
        std::string_view kind; // "required" fails the run, "target" does not
    };
    std::vector<check> checks;
    const auto lost = number_at(&r, "messages_lost");
    const auto duplicated = number_at(&r, "messages_duplicated");
    const auto p99 = number_at(object_at(&r, "latency_ms"), "p99");
    const auto users = number_at(&r, "users");
    const auto connected = number_at(&r, "connected");
    checks.push_back({"messages lost", "0", lost, or_dash(lost, count_text), lost && *lost == 0, "required"});
    checks.push_back({"messages duplicated", "0", duplicated, or_dash(duplicated, count_text),
                      duplicated && *duplicated == 0, "required"});
    checks.push_back({"latency p99", "&lt; " + plain(p99_target_ms) + " ms", p99, or_dash(p99, ms_text),
                      p99 && *p99 < p99_target_ms, "target"});
    checks.push_back({"users connected", users ? count_text(*users) : std::string("all"), connected,
                      or_dash(connected, count_text), connected && users && *connected >= *users, "target"});

    std::string html = "<table class=\"checks\" id=\"checks\">\n<caption>Checks</caption>\n"
                       "<thead><tr><th scope=\"col\">check</th><th scope=\"col\">target</th>"
                       "<th scope=\"col\">actual</th><th scope=\"col\">result</th><th scope=\"col\">kind</th></tr></thead>\n<tbody>\n";
    for (const auto& c : checks) {
        const std::string_view result = !c.actual ? "no data" : c.met ? "met" : c.kind == "required" ? "failed" : "missed";
        const std::string_view cls = !c.actual ? "unknown" : c.met ? "good" : "bad";
        html += "<tr><th scope=\"row\">" + c.what + "</th><td class=\"num\">" + c.target + "</td><td class=\"num\">" +
                c.actual_text + "</td><td class=\"result " + std::string(cls) + "\">" + std::string(result) +
                "</td><td class=\"note\">" + std::string(c.kind) + "</td></tr>\n";
    }
    html += "</tbody></table>\n";
    return html;
}

std::string errors_table(const json::object& r)
{
    const json::object* kinds = object_at(&r, "errors_by_kind");
    if (kinds == nullptr || kinds->empty()) return {};
    std::vector<std::pair<std::string_view, double>> rows;
    for (const auto& [key, value] : *kinds) rows.emplace_back(key, as_number(&value).value_or(0));
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string html = "<table class=\"errors\" id=\"errors-by-kind\">\n<caption>Errors by kind</caption>\n"
                       "<thead><tr><th scope=\"col\">kind</th><th scope=\"col\">count</th></tr></thead>\n<tbody>\n";
    for (const auto& [kind, n] : rows)
        html += "<tr><th scope=\"row\">" + escape(kind) + "</th><td class=\"num\">" + count_text(n) + "</td></tr>\n";
    html += "</tbody></table>\n";
    return html;
}

std::string config_table(const json::object& r)
{
    const json::object* config = object_at(&r, "config");
    std::string rows;
    auto line = [&](std::string_view key, const std::string& value) {
        rows += "<tr><th scope=\"row\">" + escape(key) + "</th><td>" + value + "</td></tr>\n";
    };
    for (const std::string_view key : {"tool", "version", "started_at", "target"}) {
        if (const json::value* v = member(&r, key)) line(key, value_text(*v));
    }
    if (config != nullptr) {
        for (const auto& [key, value] : *config) line("config." + std::string(key), value_text(value));
    }
    if (rows.empty()) return {};
    return "<table class=\"config\" id=\"config\">\n<caption>Run</caption>\n<tbody>\n" + rows + "</tbody></table>\n";
}

// The per-second figures the charts draw, as a table for readers without JavaScript.
std::string timeline_table(const json::object& r)
{
    const json::value* tv = member(&r, "timeline");
    const json::array* timeline = tv == nullptr ? nullptr : tv->if_array();
    if (timeline == nullptr || timeline->empty()) return "<p>The report has no per-second timeline.</p>\n";
    static constexpr std::array<std::pair<std::string_view, bool>, 11> columns{{
        {"t_s", false}, {"sent", false}, {"delivered", false}, {"connected", false}, {"reconnects", false},
        {"errors", false}, {"p50_ms", true}, {"p95_ms", true}, {"p99_ms", true}, {"max_ms", true}, {"rss_mb", false},
    }};
    std::string html = "<table class=\"timeline\" id=\"timeline-table\">\n<caption>Per second</caption>\n<thead><tr>";
    for (const auto& [name, is_ms] : columns) html += "<th scope=\"col\">" + std::string(name) + "</th>";
    html += "</tr></thead>\n<tbody>\n";
    for (const json::value& entry : *timeline) {
        const json::object* e = entry.if_object();
        if (e == nullptr) continue;
        html += "<tr>";
        for (const auto& [name, is_ms] : columns) {
            const auto v = number_at(e, name);
            html += "<td class=\"num\">" + (v ? (is_ms ? ms_value(*v) : plain(*v)) : std::string("&mdash;")) + "</td>";
        }
        html += "</tr>\n";
    }
    html += "</tbody></table>\n";
    return html;
}

std::string page_title(const json::object& r)
{
    const json::object* config = object_at(&r, "config");
    const auto users = number_at(&r, "users");
    auto duration = number_at(&r, "duration_s");
    if (!duration) duration = number_at(config, "duration_s");
    const auto rate = number_at(config, "rate");
    std::string title = "streamchat load test: " + (users ? plain(*users) : std::string("?")) + " users";
    if (duration) title += ", " + plain(*duration) + " s";
    if (rate) title += ", " + plain(*rate) + " msg/s";
    return title;
}

std::string histogram_caption(const json::object& r)
{
    const json::object* h = object_at(&r, "latency_histogram");
    const auto count = number_at(h, "count");
    const json::value* b = member(h, "buckets");
    const json::array* buckets = b == nullptr ? nullptr : b->if_array();
    std::string text = "Deliveries by latency, log-scale axis; a bar is one histogram bucket (1/32 to 1/64 octave wide), "
                       "its height the bucket's count per 1/32 octave, so that wider buckets do not stand taller";
    if (count) text += "; " + count_text(*count) + " deliveries";
    if (buckets != nullptr) text += " in " + plain(static_cast<double>(buckets->size())) + " non-empty buckets";
    return text + ". Dashed lines: the run's p50, p95 and p99.";
}

constexpr std::string_view style = R"css(
:root { --fg: #1d2430; --muted: #5b6575; --line: #d9dee7; --bg: #ffffff; --panel: #f6f8fb;
        --good: #17803d; --bad: #c62828; --unknown: #8a6d00; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px 40px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
       "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 18px; flex-wrap: wrap; margin-bottom: 6px; }
h1 { font-size: 22px; margin: 0; font-weight: 650; }
h2 { font-size: 15px; margin: 0 0 6px; font-weight: 600; }
.sub { color: var(--muted); margin: 0 0 18px; }
.badge { display: inline-block; padding: 4px 14px; border-radius: 999px; font-weight: 700; letter-spacing: .06em;
         color: #fff; font-size: 15px; }
.badge.pass { background: var(--good); } .badge.fail { background: var(--bad); } .badge.unknown { background: var(--unknown); }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 18px 28px; align-items: start; }
/* A long figure scrolls inside its column instead of spilling over the next one. */
.tables > div { min-width: 0; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; font-size: 15px; padding-bottom: 6px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th[scope=row] { font-weight: 500; overflow-wrap: anywhere; }
thead th { color: var(--muted); font-weight: 600; }
.tables > div > table + table { margin-top: 20px; }
tr.group th { background: var(--panel); font-weight: 600; color: var(--muted); padding-top: 6px; }
td.num { text-align: right; white-space: nowrap; }
td.note { color: var(--muted); min-width: 9em; }
.missing { color: var(--muted); }
.good { color: var(--good); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
.unknown { color: var(--unknown); }
.badge.unknown { color: #fff; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 22px 28px; margin: 26px 0; }
figure { margin: 0; padding: 12px 14px 8px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
svg.chart { display: block; width: 100%; height: auto; background: #fff; border-radius: 4px; }
svg.chart text { font-family: inherit; fill: var(--fg); }
svg.chart .tick { font-size: 11px; fill: var(--muted); }
svg.chart .axis-label { font-size: 11.5px; fill: var(--muted); }
svg.chart .legend { font-size: 12px; }
svg.chart .nodata { font-size: 15px; fill: var(--muted); }
svg.chart .grid { stroke: #e8ecf2; stroke-width: 1; }
svg.chart .axis { stroke: #8b95a5; stroke-width: 1; }
svg.chart .frame { fill: none; stroke: var(--line); }
svg.chart .guide { stroke: #8b95a5; stroke-dasharray: 3 3; }
svg.chart .tip rect { fill: #fff; stroke: #b7c0cd; }
svg.chart .tip text { font-size: 11.5px; }
details { margin-top: 22px; }
summary { cursor: pointer; color: var(--muted); }
.timeline { max-width: 980px; }
)css";

// Plain ES2017, no library: draws the four charts from #report-data, then reports on <body>.
constexpr std::string_view script = R"js(
(function () {
  'use strict';
  var problems = [];
  var NS = null; // the SVG namespace, taken from the page's own <svg> elements
  var W = 640, H = 300;

  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function field(o, k) { return isObj(o) ? num(o[k]) : null; }
  function message(e) { return e && e.message ? e.message : String(e); }
  function r1(v) { return Math.round(v * 10) / 10; }

  function precise(v, digits) { return String(Number(v.toPrecision(digits))); }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '\u2013';
    digits = digits || 3;
    var a = Math.abs(v);
    if (a === 0) return '0';
    if (a >= 1e9) return precise(v / 1e9, digits) + 'G';
    if (a >= 1e6) return precise(v / 1e6, digits) + 'M';
    if (a >= 1e4) return precise(v / 1e3, digits) + 'k';
    return precise(v, digits);
  }
  function fmtMs(ms, digits) {
    if (ms === null || ms === undefined) return '\u2013';
    var a = Math.abs(ms);
    if (a === 0) return '0 ms';
    if (a >= 1000) return fmt(ms / 1000, digits) + ' s';
    if (a >= 1) return fmt(ms, digits) + ' ms';
    if (a >= 0.001) return fmt(ms * 1000, digits) + ' \u00b5s';
    return fmt(ms * 1e6, digits) + ' ns';
  }

  // Every attribute goes through here: a non-finite coordinate is a bug, never silent output.
  function el(parent, name, attrs, text) {
    var e = document.createElementNS(NS, name);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (typeof v === 'number' && !isFinite(v)) throw new Error('non-finite ' + name + ' ' + k);
        v = String(v);
        if (/NaN|Infinity/.test(v)) throw new Error('non-finite ' + name + ' ' + k);
        e.setAttribute(k, v);
      });
    }
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function textWidth(t, s) {
    var w = 0;
    try { w = t.getComputedTextLength(); } catch (e) { w = 0; }
    return w > 0 ? w : s.length * 6.6;
  }

  function niceStep(span, count) {
    if (!(span > 0)) return 1;
    var raw = span / count;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  }
  function ticks(lo, hi, count, integers) {
    var step = niceStep(hi - lo, count);
    if (integers) step = Math.max(1, Math.round(step));
    var out = [];
    for (var i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9 && out.length < 100; i++) out.push(i * step);
    return out;
  }
  function topOf(max) {
    if (!(max > 0)) return 1;
    var step = niceStep(max * 1.05, 5);
    return Math.ceil(max * 1.05 / step) * step;
  }
  function scale(d0, d1, r0, r1_) {
    var k = d1 === d0 ? 0 : (r1_ - r0) / (d1 - d0);
    return function (v) { return r0 + (v - d0) * k; };
  }

  function setup(svg, rightAxis) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    var m = { l: 62, r: rightAxis ? 56 : 20, t: 36, b: 44 };
    return { x: m.l, y: m.t, w: W - m.l - m.r, h: H - m.t - m.b };
  }
  function noData(svg, text) {
    var p = setup(svg, false);
    el(svg, 'rect', { x: p.x, y: p.y, width: p.w, height: p.h, 'class': 'frame' });
    el(svg, 'text', { x: p.x + p.w / 2, y: p.y + p.h / 2, 'text-anchor': 'middle', 'class': 'nodata' }, text || 'no data');
    return 0;
  }
  function axisY(svg, p, ys, values, label, format, right) {
    var x = right ? p.x + p.w : p.x;
    values.forEach(function (v) {
      var y = r1(ys(v));
      if (!right) el(svg, 'line', { x1: p.x, x2: p.x + p.w, y1: y, y2: y, 'class': 'grid' });
      el(svg, 'line', { x1: x, x2: right ? x + 4 : x - 4, y1: y, y2: y, 'class': 'axis' });
      el(svg, 'text', { x: right ? x + 7 : x - 7, y: y + 4, 'text-anchor': right ? 'start' : 'end', 'class': 'tick' }, format(v));
    });
    el(svg, 'line', { x1: x, x2: x, y1: p.y, y2: p.y + p.h, 'class': 'axis' });
    var lx = right ? W - 10 : 13, ly = p.y + p.h / 2;
    el(svg, 'text', { x: lx, y: ly, transform: 'rotate(' + (right ? 90 : -90) + ' ' + lx + ' ' + ly + ')',
      'text-anchor': 'middle', 'class': 'axis-label' }, label);
  }
  function axisX(svg, p, xs, values, label, format) {
    var y = p.y + p.h;
    el(svg, 'line', { x1: p.x, x2: p.x + p.w, y1: y, y2: y, 'class': 'axis' });
    values.forEach(function (v) {
      var x = r1(xs(v));
      el(svg, 'line', { x1: x, x2: x, y1: y, y2: y + 4, 'class': 'axis' });
      el(svg, 'text', { x: x, y: y + 17, 'text-anchor': 'middle', 'class': 'tick' }, format(v));
    });
    el(svg, 'text', { x: p.x + p.w / 2, y: H - 6, 'text-anchor': 'middle', 'class': 'axis-label' }, label);
  }
  function legend(svg, p, items) {
    var x = p.x;
    items.forEach(function (it) {
      if (it.bar) el(svg, 'rect', { x: x, y: 12, width: 14, height: 10, fill: it.color, opacity: it.opacity || 1 });
      else el(svg, 'line', { x1: x, x2: x + 18, y1: 17, y2: 17, stroke: it.color, 'stroke-width': 2.5,
        'stroke-dasharray': it.dash || 'none' });
      var t = el(svg, 'text', { x: x + 23, y: 21, 'class': 'legend' }, it.name);
      x += 23 + textWidth(t, it.name) + 18;
    });
  }

  // Hover read-out: the nearest sample's figures next to a guide line.
  function hover(svg, p, xPix, lines) {
    var guide = el(svg, 'line', { x1: p.x, x2: p.x, y1: p.y, y2: p.y + p.h, 'class': 'guide', visibility: 'hidden' });
    var tip = el(svg, 'g', { 'class': 'tip', visibility: 'hidden' });
    var bg = el(tip, 'rect', { x: 0, y: 0, width: 10, height: 10, rx: 4 });
    var overlay = el(svg, 'rect', { x: p.x, y: p.y, width: p.w, height: p.h, fill: 'transparent' });
    function hide() { guide.setAttribute('visibility', 'hidden'); tip.setAttribute('visibility', 'hidden'); }
    overlay.addEventListener('mouseleave', hide);
    overlay.addEventListener('mousemove', function (ev) {
      var ctm = svg.getScreenCTM();
      if (!ctm) return;
      var pt = svg.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      var at = pt.matrixTransform(ctm.inverse()).x;
      var best = -1, dist = Infinity;
      for (var i = 0; i < xPix.length; i++) {
        var d = Math.abs(xPix[i] - at);
        if (d < dist) { dist = d; best = i; }
      }
      if (best < 0) return hide();
      while (tip.childNodes.length > 1) tip.removeChild(tip.lastChild);
      var w = 0, rows = lines(best);
      rows.forEach(function (s, k) { w = Math.max(w, textWidth(el(tip, 'text', { x: 8, y: 17 + k * 15 }, s), s)); });
      bg.setAttribute('width', String(r1(w + 16)));
      bg.setAttribute('height', String(rows.length * 15 + 9));
      var tx = xPix[best] + 12;
      if (tx + w + 16 > p.x + p.w) tx = xPix[best] - 12 - (w + 16);
      tip.setAttribute('transform', 'translate(' + r1(Math.max(0, tx)) + ',' + (p.y + 6) + ')');
      guide.setAttribute('x1', String(r1(xPix[best])));
      guide.setAttribute('x2', String(r1(xPix[best])));
      guide.setAttribute('visibility', 'visible');
      tip.setAttribute('visibility', 'visible');
    });
  }

  // Lines over time (gaps where a sample is missing) and optional bars on a right-hand axis.
  // Returns the number of samples drawn.
  function timeChart(svg, cfg) {
    var xs = cfg.xs, n = xs.length, drawn = 0, yMax = 0, bMax = 0;
    for (var i = 0; i < n; i++) {
      var any = false;
      cfg.series.forEach(function (s) { var v = s.values[i]; if (v !== null) { any = true; yMax = Math.max(yMax, v); } });
      if (cfg.bars && cfg.bars.values[i] !== null) { any = true; bMax = Math.max(bMax, cfg.bars.values[i]); }
      if (any) drawn++;
    }
    if (drawn === 0) return noData(svg, cfg.empty || 'no data');
    var showLine = cfg.hline && yMax >= cfg.hline.y * 0.5;
    var bars = cfg.bars && bMax > 0;
    var p = setup(svg, bars);
    var xMin = Infinity, xMax = -Infinity;
    xs.forEach(function (x) { xMin = Math.min(xMin, x); xMax = Math.max(xMax, x); });
    var step = n > 1 ? (xMax - xMin) / (n - 1) : 1;
    if (!(step > 0)) step = 1;
    var x0 = xMin - (bars || n === 1 ? step / 2 : 0), x1 = xMax + (bars || n === 1 ? step / 2 : 0);
    var xsc = scale(x0, x1, p.x, p.x + p.w);
    var yTop = topOf(Math.max(yMax, showLine ? cfg.hline.y : 0));
    var ysc = scale(0, yTop, p.y + p.h, p.y);
    var shaded = false;
    if (cfg.shade) {
      // One band per run of shaded samples, each sample covering its step.
      for (var s0 = 0; s0 < n; s0++) {
        if (!cfg.shade[s0]) continue;
        var s1 = s0;
        while (s1 + 1 < n && cfg.shade[s1 + 1]) s1++;
        var left = Math.max(p.x, xsc(xs[s0] - step / 2)), right = Math.min(p.x + p.w, xsc(xs[s1] + step / 2));
        if (right > left) {
          el(svg, 'rect', { x: r1(left), y: p.y, width: r1(right - left), height: p.h, fill: '#eef1f6' });
          shaded = true;
        }
        s0 = s1;
      }
    }
    axisY(svg, p, ysc, ticks(0, yTop, 5, cfg.integers), cfg.yLabel, cfg.yFormat || fmt, false);
    axisX(svg, p, xsc, ticks(x0, x1, 8, true), cfg.xLabel || 'time (s)', fmt);
    if (bars) {
      var bTop = topOf(bMax);
      var bsc = scale(0, bTop, p.y + p.h, p.y);
      axisY(svg, p, bsc, ticks(0, bTop, 5, true), cfg.bars.axisLabel, fmt, true);
      var bw = Math.max(1, r1((xsc(x0 + step) - xsc(x0)) * 0.6));
      cfg.bars.values.forEach(function (v, k) {
        if (v === null || v <= 0) return;
        var top = r1(bsc(v));
        el(svg, 'rect', { x: r1(xsc(xs[k]) - bw / 2), y: top, width: bw, height: Math.max(0.5, r1(p.y + p.h - top)),
          fill: cfg.bars.color, opacity: 0.55 });
      });
    }
    if (showLine) {
      var hy = r1(ysc(cfg.hline.y));
      el(svg, 'line', { x1: p.x, x2: p.x + p.w, y1: hy, y2: hy, stroke: cfg.hline.color, 'stroke-width': 1.2,
        'stroke-dasharray': '6 4' });
      el(svg, 'text', { x: p.x + p.w - 4, y: hy - 5, 'text-anchor': 'end', 'class': 'tick' }, cfg.hline.label);
    }
    cfg.series.forEach(function (s) {
      var d = '', pen = false;
      for (var i = 0; i < n; i++) {
        var v = s.values[i];
        if (v === null) { pen = false; continue; }
        var X = r1(xsc(xs[i])), Y = r1(ysc(v));
        d += (pen ? 'L' : 'M') + X + ' ' + Y;
        var alone = (i === 0 || s.values[i - 1] === null) && (i === n - 1 || s.values[i + 1] === null);
        if (alone || n <= 60) el(svg, 'circle', { cx: X, cy: Y, r: alone ? 3 : 2, fill: s.color });
        pen = true;
      }
      if (d) el(svg, 'path', { d: d, fill: 'none', stroke: s.color, 'stroke-width': s.width || 2,
        'stroke-linejoin': 'round', 'stroke-dasharray': s.dash || 'none' });
    });
    var items = cfg.series.map(function (s) { return { name: s.name, color: s.color, dash: s.dash }; });
    if (cfg.bars) items.push({ name: bars ? cfg.bars.name : cfg.bars.name + ': none', color: cfg.bars.color, bar: true, opacity: 0.55 });
    if (showLine) items.push({ name: cfg.hline.label, color: cfg.hline.color, dash: '6 4' });
    if (shaded) items.push({ name: 'ramp-up', color: '#dde3ec', bar: true });
    legend(svg, p, items);
    hover(svg, p, xs.map(function (x) { return xsc(x); }), function (i) {
      var rows = [(cfg.xLabel || 'time (s)').replace(/ \(s\)$/, '') + ' ' + fmt(xs[i], 6) + ' s'];
      cfg.series.forEach(function (s) { rows.push(s.name + ': ' + (cfg.tipFormat || fmt)(s.values[i], 4)); });
      if (cfg.bars) rows.push(cfg.bars.name + ': ' + fmt(cfg.bars.values[i], 4));
      (cfg.extra || []).forEach(function (x) { rows.push(x.name + ': ' + (x.format || fmt)(x.values[i], 4)); });
      return rows;
    });
    return drawn;
  }

  function histogramChart(svg, hist, lat) {
    var raw = isObj(hist) && Array.isArray(hist.buckets) ? hist.buckets : [];
    var unit = isObj(hist) && typeof hist.unit === 'string' ? hist.unit : 'ns';
    var toMs = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3 }[unit] || 1e-6;
    var bars = [];
    raw.forEach(function (b) {
      var lo = null, hi = null, c = null;
      if (Array.isArray(b)) { lo = num(b[0]); hi = num(b[1]); c = num(b[2]); }
      else if (isObj(b)) { lo = num(b.lower); hi = num(b.upper); c = num(b.count); }
      if (lo === null || hi === null || c === null || lo < 0 || !(hi > lo) || !(c > 0)) return;
      // The [0, 1) ns bucket has no place on a log axis: it starts at half its width instead.
      bars.push({ lo: lo * toMs, hi: hi * toMs, c: c, l0: Math.log10(lo > 0 ? lo * toMs : hi * toMs / 2),
        l1: Math.log10(hi * toMs) });
    });
    if (!bars.length) return noData(svg, 'no latency data');
    // Heights are counts per 1/32 octave, not per bucket: a bucket is 1/32 to 1/64 octave wide (it
    // halves across each power of two), and raw counts would draw that as a saw-tooth.
    var lmin = Infinity, lmax = -Infinity, cmax = 0, unitWidth = Math.log10(2) / 32;
    bars.forEach(function (b) {
      b.h = b.c * unitWidth / (b.l1 - b.l0);
      lmin = Math.min(lmin, b.l0); lmax = Math.max(lmax, b.l1); cmax = Math.max(cmax, b.h);
    });
    var marks = [['p50', '#1f77b4'], ['p95', '#ff7f0e'], ['p99', '#d62728']].map(function (m) {
      var v = field(lat, m[0]);
      return { name: m[0], color: m[1], v: v, l: v !== null && v > 0 ? Math.log10(v) : null };
    }).filter(function (m) { return m.l !== null && m.l >= lmin - 0.3 && m.l <= lmax + 0.3; });
    marks.forEach(function (m) { lmin = Math.min(lmin, m.l); lmax = Math.max(lmax, m.l); });
    if (lmax - lmin < 0.5) { var mid = (lmax + lmin) / 2; lmin = mid - 0.25; lmax = mid + 0.25; }
    var pad = (lmax - lmin) * 0.03;
    lmin -= pad; lmax += pad;
    var p = setup(svg, false);
    var xsc = scale(lmin, lmax, p.x, p.x + p.w);
    var yTop = topOf(cmax);
    var ysc = scale(0, yTop, p.y + p.h, p.y);
    var span = lmax - lmin;
    var mult = span > 3.5 ? [1] : span > 1.5 ? [1, 2, 5] : [1, 1.5, 2, 3, 5, 7];
    var xt = [];
    for (var e = Math.floor(lmin); e <= Math.ceil(lmax); e++) {
      mult.forEach(function (k) { var l = Math.log10(k) + e; if (l >= lmin && l <= lmax) xt.push(l); });
    }
    axisY(svg, p, ysc, ticks(0, yTop, 5, false), 'deliveries per 1/32 octave', fmt, false);
    axisX(svg, p, xsc, xt, 'latency, send to delivery (log scale)', function (l) { return fmtMs(Math.pow(10, l), 3); });
    bars.forEach(function (b) {
      var x = r1(xsc(b.l0)), top = r1(ysc(b.h));
      var r = el(svg, 'rect', { x: x, y: top, width: Math.max(0.8, r1(xsc(b.l1) - xsc(b.l0))),
        height: Math.max(0.5, r1(p.y + p.h - top)), fill: '#4c78a8' });
      el(r, 'title', null, '[' + fmtMs(b.lo, 4) + ', ' + fmtMs(b.hi, 4) + '): ' + fmt(b.c, 6) + ' deliveries');
    });
    marks.forEach(function (m, k) {
      var x = r1(xsc(m.l));
      el(svg, 'line', { x1: x, x2: x, y1: p.y, y2: p.y + p.h, stroke: m.color, 'stroke-width': 1.5, 'stroke-dasharray': '5 3' });
      el(svg, 'text', { x: x + 4, y: p.y + 12 + k * 13, 'class': 'tick' }, m.name + ' ' + fmtMs(m.v, 3));
    });
    legend(svg, p, [{ name: 'deliveries', color: '#4c78a8', bar: true }].concat(
      marks.map(function (m) { return { name: m.name, color: m.color, dash: '5 3' }; })));
    return bars.length;
  }

  try {
    var report = {};
    try {
      var parsed = JSON.parse(document.getElementById('report-data').textContent);
      if (isObj(parsed)) report = parsed; else problems.push('report data is not an object');
    } catch (e) {
      problems.push('report data: ' + message(e));
    }
    var timeline = Array.isArray(report.timeline) ? report.timeline.filter(isObj) : [];
    var xs = timeline.map(function (e, i) { var t = num(e.t_s); return t === null ? i + 1 : t; });
    var col = function (k) { return timeline.map(function (e) { return num(e[k]); }); };
    // A second without deliveries has no latency, whatever zeros the tool wrote for it.
    var latencyCol = function (k) {
      return timeline.map(function (e) {
        var v = num(e[k]);
        return v === 0 && (num(e.delivered) === 0 || (Array.isArray(e.latency_buckets) && !e.latency_buckets.length)) ? null : v;
      });
    };
    // Seconds before the load phase (entries with "load": false): shaded as ramp-up.
    var rampUp = timeline.map(function (e) { return e.load === false; });
    var errors = col('errors');
    var anyErrors = errors.some(function (v) { return v !== null && v > 0; });

    var charts = {
      latency: function (svg) {
        return timeChart(svg, { xs: xs, yLabel: 'latency (ms)', integers: false, tipFormat: fmtMs, empty: 'no data',
          series: [{ name: 'p50', color: '#1f77b4', values: latencyCol('p50_ms') },
                   { name: 'p95', color: '#ff7f0e', values: latencyCol('p95_ms') },
                   { name: 'p99', color: '#d62728', values: latencyCol('p99_ms') }],
          extra: [{ name: 'max', values: latencyCol('max_ms'), format: fmtMs }], shade: rampUp,
          hline: { y: 250, label: 'p99 target 250 ms', color: '#9a9a9a' } });
      },
      throughput: function (svg) {
        var series = [{ name: 'sent/s', color: '#1f77b4', values: col('sent') },
                      { name: 'delivered/s', color: '#2ca02c', values: col('delivered') }];
        if (anyErrors) series.push({ name: 'errors/s', color: '#d62728', values: errors, width: 1.5 });
        return timeChart(svg, { xs: xs, yLabel: 'messages per second', integers: true, series: series, empty: 'no data',
          shade: rampUp });
      },
      connections: function (svg) {
        return timeChart(svg, { xs: xs, yLabel: 'connected users', integers: true, empty: 'no data', shade: rampUp,
          series: [{ name: 'connected', color: '#7b4ea3', values: col('connected') }],
          bars: { name: 'reconnects/s', axisLabel: 'reconnects per second', color: '#ff7f0e', values: col('reconnects') },
          extra: [{ name: 'rss', values: col('rss_mb'), format: function (v) { return fmt(v, 4) + ' MB'; } }] });
      },
      histogram: function (svg) { return histogramChart(svg, report.latency_histogram, report.latency_ms); }
    };
    Object.keys(charts).forEach(function (name) {
      var svg = document.querySelector('svg[data-chart="' + name + '"]');
      if (!svg) { problems.push(name + ': no <svg> for it'); return; }
      NS = svg.namespaceURI;
      var points = 0;
      try {
        points = charts[name](svg);
      } catch (e) {
        problems.push(name + ': ' + message(e));
        try { noData(svg, 'chart failed: ' + message(e)); } catch (ignored) { /* the message above says it */ }
      }
      svg.setAttribute('data-points', String(points));
    });
  } catch (e) {
    problems.push(message(e));
  }
  document.body.dataset.rendered = problems.length ? 'error: ' + problems.join('; ') : 'ok';
})();
)js";

std::string chart_figure(std::string_view name, std::string_view title, std::string_view caption)
{
    std::string html = "<figure>\n<h2>";
    html += title;
    html += "</h2>\n<svg class=\"chart\" data-chart=\"";
    html += name;
    html += "\" viewBox=\"0 0 640 300\" role=\"img\" aria-label=\"";
    html += title;
    html += "\"></svg>\n<figcaption>";
    html += caption;
    html += "</figcaption>\n</figure>\n";
    return html;
}

} // namespace

std::string render_html_report(const boost::json::object& report)
{
    const std::string title = escape(page_title(report));
    const verdict v = judge(report);

    std::string sub;
    auto add_sub = [&](std::string text) {
        if (!sub.empty()) sub += " &middot; ";
        sub += text;
    };
    if (const auto at = string_at(&report, "started_at")) add_sub("started " + escape(*at));
    if (const auto target = string_at(&report, "target")) add_sub("server: " + escape(*target));
    if (const auto shard = string_at(object_at(&report, "config"), "shard")) add_sub("shard " + escape(*shard));

    std::string html;
    html.reserve(32 * 1024);
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            // The page makes no request at all, whatever a string in the report says.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>";
    html += title;
    html += "</title>\n<noscript><style>.charts { display: none; }</style></noscript>\n<style>";
    html += style;
    html += "</style>\n</head>\n<body>\n<header>\n<h1>";
    html += title;
    html += "</h1>\n<span class=\"badge ";
    html += v.klass;
    html += "\" id=\"verdict\" title=\"fails when any message is lost or duplicated\">";
    html += v.word;
    html += "</span>\n</header>\n<p class=\"sub\">";
    html += sub.empty() ? std::string("load test report") : sub;
    html += "</p>\n<div class=\"tables\">\n";
    html += summary_table(report);
    html += "<div>\n";
    html += checks_table(report);
    html += errors_table(report);
    html += config_table(report);
    html += "</div>\n</div>\n<div class=\"charts\">\n";
    html += chart_figure("latency", "Latency percentiles per second",
                         "p50, p95 and p99 of the deliveries of each second (ms). A gap is a second without deliveries.");
    html += chart_figure("throughput", "Throughput per second",
                         "Messages sent and deliveries received in each second (one message reaches every other member of its channel).");
    html += chart_figure("connections", "Connections",
                         "Users connected at the end of each second (left axis) and reconnects in it (bars, right axis).");
    html += chart_figure("histogram", "Latency distribution", escape(histogram_caption(report)));
    html += "</div>\n<noscript>\n<p><strong>The charts need JavaScript.</strong> The summary above is complete; "
            "the figures the charts draw follow.</p>\n";
    html += timeline_table(report);
    html += "</noscript>\n<script type=\"application/json\" id=\"report-data\">";
    html += embedded_json(report);
    html += "</script>\n<script>";
    html += script;
    html += "</script>\n</body>\n</html>\n";
    return html;
}

} // namespace streamchat::loadtest
