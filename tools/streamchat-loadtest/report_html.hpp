#ifndef STREAMCHAT_LOADTEST_REPORT_HTML_HPP
#define STREAMCHAT_LOADTEST_REPORT_HTML_HPP

#include <boost/json/object.hpp>

#include <string>

namespace streamchat::loadtest {

/// One self-contained HTML page (no network: inline CSS, inline JS, no CDN, no external fonts)
/// that shows a load-test report. `report` is the JSON object the tool writes with --json.
///
/// Every key may be missing (a missing figure shows as a dash, a missing series as "no data").
/// The summary and check tables are rendered here, so they read without JavaScript; the charts
/// are inline SVG drawn by an inline script from the report, which the page embeds as JSON.
/// When the script is done, `<body data-rendered>` is "ok" (or "error: ..."), and every chart's
/// `<svg data-chart>` has `data-points` set to the number of points or bars it drew.
std::string render_html_report(const boost::json::object& report);

} // namespace streamchat::loadtest

#endif
