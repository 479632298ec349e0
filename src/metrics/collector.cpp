#include "metrics/collector.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>
#include <charconv>

#include <fcntl.h>
#include <unistd.h>

namespace streamchat::detail {

std::optional<std::uint64_t> read_rss_bytes() noexcept
{
    // Plain read(2): no stream machinery on the delivery path. statm: "size resident shared ...",
    // in pages.
    const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[128];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    const char* p = buf;
    const char* end = buf + n;
    std::uint64_t size = 0, resident = 0;
    auto r = std::from_chars(p, end, size);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != ' ') return std::nullopt;
    r = std::from_chars(r.ptr + 1, end, resident);
    if (r.ec != std::errc{}) return std::nullopt;
    static const long page = ::sysconf(_SC_PAGESIZE);
    if (page <= 0) return std::nullopt;
    return resident * static_cast<std::uint64_t>(page);
}

metrics_collector::metrics_collector(clock::time_point start, std::chrono::milliseconds rss_interval)
    : start_(start), rss_interval_(rss_interval)
{
}

endpoint_metrics& metrics_collector::endpoint(std::string_view name)
{
    for (auto& e : endpoints_)
        if (e.endpoint == name) return e;
    endpoint_metrics& e = endpoints_.emplace_back();
    e.endpoint = std::string(name);
    return e;
}

void metrics_collector::on_response(std::string_view name, clock::time_point sent, const http_response& res,
                                    error_code ec)
{
    const auto now = clock::now();
    endpoint_metrics& e = endpoint(name);
    ++e.requests;
    e.rate_limited += static_cast<std::uint64_t>(std::max(res.rate_limited, res.status == 429 ? 1 : 0));
    if (ec) {
        if (ec != boost::asio::error::operation_aborted) ++e.failures;
        return;
    }
    if (res.status < 200 || res.status >= 400) ++e.failures;
    e.latency.record(now - sent);
    if (!first_page_ttfb_ && name == "query_channels" && res.status >= 200 && res.status < 300 &&
        res.sent_at != clock::time_point{} && res.first_byte_at >= res.sent_at)
        first_page_ttfb_ = res.first_byte_at - res.sent_at;
}

void metrics_collector::on_rate_limited(std::string_view name)
{
    ++endpoint(name).rate_limited;
}

void metrics_collector::record_switch(bool cold, clock::duration d) noexcept
{
    (cold ? switch_cold_ : switch_preloaded_).record(d);
}

void metrics_collector::on_batch_delivered(clock::time_point now)
{
    if (rss_interval_ <= std::chrono::milliseconds::zero()) return;
    if (rss_last_ && now - *rss_last_ < rss_interval_) return;
    sample_rss(now);
}

void metrics_collector::sample_rss(clock::time_point now)
{
    if (rss_interval_ <= std::chrono::milliseconds::zero()) return;
    rss_last_ = now; // also after a failed read: do not retry on every batch
    const auto bytes = read_rss_bytes();
    if (!bytes) return;
    const rss_sample s{now - start_, *bytes};
    if (rss_.size() < metrics_snapshot::rss_sample_capacity) {
        rss_.push_back(s);
        return;
    }
    rss_[rss_next_] = s;
    rss_next_ = (rss_next_ + 1) % rss_.size();
}

void metrics_collector::fill(metrics_snapshot& out, clock::time_point now) const
{
    auto since = [this](const std::optional<clock::time_point>& t) -> std::optional<std::chrono::nanoseconds> {
        if (!t) return std::nullopt;
        return std::chrono::duration_cast<std::chrono::nanoseconds>(*t - start_);
    };
    out.uptime = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_);
    out.socket_connected = since(connected_);
    if (first_page_ttfb_) out.first_page_ttfb = std::chrono::duration_cast<std::chrono::nanoseconds>(*first_page_ttfb_);
    out.first_page_loaded = since(page_loaded_);
    out.first_visible_page = since(page_visible_);
    out.first_viewport_watched = since(viewport_);
    if (connected_ && page_visible_ && viewport_)
        out.time_to_interactive = since(std::max({*connected_, *page_visible_, *viewport_}));
    out.channel_switch_cold = switch_cold_;
    out.channel_switch_preloaded = switch_preloaded_;
    out.endpoints = endpoints_;
    out.rate_limited = 0;
    for (const auto& e : endpoints_) out.rate_limited += e.rate_limited;
    // Oldest first: once the ring is full, the oldest sample is the one to be overwritten next.
    out.rss_samples.clear();
    out.rss_samples.reserve(rss_.size());
    for (std::size_t i = 0; i < rss_.size(); ++i) out.rss_samples.push_back(rss_[(rss_next_ + i) % rss_.size()]);
}

} // namespace streamchat::detail
