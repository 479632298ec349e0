#ifndef STREAMCHAT_TOOLS_LOADTEST_REPORT_HPP
#define STREAMCHAT_TOOLS_LOADTEST_REPORT_HPP

// The load test's report as JSON: what a run writes with --json, what `merge` reads and adds up,
// and the summary table both print. Histograms travel as their buckets, so a merge of several
// generators' reports is exact (same counts, same percentiles as one histogram of all values).

#include <streamchat/latency_histogram.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamchat::loadtest {

/// {"unit":"ns","count","min_ns","max_ns","mean_ns","buckets":[[lower_ns,upper_ns,count],…]}.
boost::json::object histogram_json(const latency_histogram& h);
/// Adds the buckets of histogram_json() output to `into`; false when one is not of the layout.
bool add_histogram_json(const boost::json::value& v, latency_histogram& into);

/// {"p50","p95","p99","max","mean"} in milliseconds.
boost::json::object percentiles_ms(const latency_histogram& h);

/// One second of a run's timeline: counts in that second, the generator's state at its end, and
/// the latencies of the messages sent in it.
struct timeline_second {
    std::uint64_t sent = 0, delivered = 0, connected = 0, reconnects = 0, errors = 0;
    double rss_mb = 0;
    latency_histogram latency{};
};

/// The report's entry for second `t_s` (its percentiles, and its buckets for an exact merge).
boost::json::object timeline_json(std::int64_t t_s, const timeline_second& s);

/// A number of the report (int, uint or double); `fallback` when missing or not a number.
double number_of(const boost::json::object& o, std::string_view key, double fallback = 0);

/// Adds up reports of several generators (disjoint users): counts summed, histograms merged
/// exactly, per-second timelines merged by second. `why` names the first unreadable input.
std::optional<boost::json::object> merge_reports(const std::vector<boost::json::object>& reports, std::string& why);

/// The summary table of a report, and whether it passed (nothing lost or duplicated).
void print_summary(const boost::json::object& report, std::FILE* out);
bool report_passed(const boost::json::object& report);

/// Reads a JSON object from a file; nothing with `why` on error.
std::optional<boost::json::object> read_report(const std::string& path, std::string& why);
/// Writes `text` to `path` (through a temporary file and a rename); false with `why`.
bool write_file(const std::string& path, const std::string& text, std::string& why);

} // namespace streamchat::loadtest

#endif
