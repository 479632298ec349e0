// Requests per second through http_pool over loopback, side by side in one run:
//  (a) keep-alive: the scripted server keeps connections open, the pool reuses them;
//  (b) reconnect:  the server answers `Connection: close`, so every request opens a new TCP
//      connection (resolve + connect) through the very same pool code.
// For max_connections_per_host 1 and 4, with 1 and 16 requests in flight. Client, server and the
// io_context all run in the benchmark thread (the resolver's getaddrinfo thread aside), so a
// request costs the client and the server side together; both modes pay the same server cost.
// Prints items/s (= requests/s) and connections opened per request, then the keep-alive /
// reconnect ratios.

#include "ratio_report.hpp"

#include "rest/http_pool.hpp"
#include "wire/url.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

namespace asio = boost::asio;
namespace detail = streamchat::detail;
namespace test = streamchat::test;

/// A small JSON body, like a send-event or mark-read answer.
const std::string small_body = R"({"event":{"type":"typing.start","cid":"messaging:general","created_at":"2024-05-02T10:15:00.490113242Z"},"duration":"0.42ms"})";

/// Requests per timed batch: the window refills inside a batch and drains only at its end.
constexpr int batch = 256;
/// A batch that takes longer than this is reported as an error instead of hanging the run.
constexpr auto batch_deadline = std::chrono::seconds(10);

enum class mode { keep_alive, reconnect };

/// Sends requests with at most `inflight` outstanding until `target` have been issued.
struct driver {
    detail::http_pool& pool;
    int inflight;
    long issued = 0;
    long completed = 0;
    long target = 0;
    std::string error{};

    void issue()
    {
        ++issued;
        pool.async_request(detail::http_request(detail::http_verb::post, "/channels/messaging/general/event",
                                                R"({"event":{"type":"typing.start"}})"),
                           [this](streamchat::error_code ec, detail::http_response r) {
                               ++completed;
                               if (ec && error.empty()) error = "request failed: " + ec.message();
                               else if (!ec && r.status != 200 && error.empty())
                                   error = "unexpected status " + std::to_string(r.status);
                               if (issued < target) issue();
                           });
    }

    /// Issues `n` more requests and runs the io_context until they completed (or the deadline).
    bool run(asio::io_context& ioc, long n)
    {
        target += n;
        for (int i = 0; i < inflight && issued < target; ++i) issue();
        const auto deadline = std::chrono::steady_clock::now() + batch_deadline;
        while (completed < target) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                error = "batch did not complete within the deadline";
                return false;
            }
            ioc.run_one_for(deadline - now);
        }
        return error.empty();
    }
};

void bm_pool(benchmark::State& st, mode m, int max_connections, int inflight)
{

    asio::io_context ioc;
    const std::string reply = test::http_response(200, small_body, {{"Content-Type", "application/json"}},
                                                  m == mode::reconnect);
    const auto action = m == mode::reconnect ? test::reply_action::respond_then_close : test::reply_action::respond;
    test::scripted_server server(ioc.get_executor(),
                                 [&](const test::scripted_request&) { return test::scripted_reply{reply, action}; });
    std::string why;
    auto url = detail::parse_base_url(server.base_url(), why);
    if (!url) {
        st.SkipWithError(why.c_str());
        return;
    }
    streamchat::http_config cfg;
    cfg.max_connections_per_host = static_cast<std::size_t>(max_connections);
    cfg.max_retries = 0; // a failure must show, not be papered over by a retry
    {
        detail::http_pool pool(ioc.get_executor(), *url, cfg);
        driver d{pool, inflight};
        if (!d.run(ioc, inflight)) { // warm-up: opens the connections outside the timed loop
            st.SkipWithError(d.error.c_str());
            return;
        }
        const std::size_t opened_before = pool.connections_opened();
        const long completed_before = d.completed;
        while (st.KeepRunningBatch(batch)) {
            if (!d.run(ioc, batch)) {
                st.SkipWithError(d.error.c_str());
                break;
            }
        }
        const long requests = d.completed - completed_before;
        st.SetItemsProcessed(requests);
        st.counters["conn/req"] = requests > 0
            ? static_cast<double>(pool.connections_opened() - opened_before) / static_cast<double>(requests)
            : 0.0;
        st.counters["server_conns"] = static_cast<double>(server.max_open_connections());
    }
    server.stop();
    ioc.run_for(std::chrono::milliseconds(200)); // let the closes complete before the next run
}

std::string pool_name(mode m, int conns, int inflight)
{
    return std::string(m == mode::keep_alive ? "keep_alive" : "reconnect") + "/conns:" + std::to_string(conns) +
           "/inflight:" + std::to_string(inflight);
}

} // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    const int conns[] = {1, 4};
    const int inflights[] = {1, 16};
    // Each configuration runs keep-alive then reconnect, back to back; ~1-2 s each, ~15 s total.
    for (int c : conns)
        for (int f : inflights)
            for (mode m : {mode::keep_alive, mode::reconnect})
                benchmark::RegisterBenchmark(pool_name(m, c, f).c_str(), bm_pool, m, c, f)
                    ->MinTime(0.5)
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond);

    streamchat::bench::ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    for (int c : conns)
        for (int f : inflights) {
            const std::string config = "conns " + std::to_string(c) + ", inflight " + std::to_string(f) + ": ";
            reporter.record_rate(config + "keep-alive pool", pool_name(mode::keep_alive, c, f), "req/s");
            reporter.record_rate(config + "new connection per request", pool_name(mode::reconnect, c, f), "req/s");
        }

    std::printf("\nratios (same run, requests/s keep-alive over requests/s reconnect):\n");
    for (int c : conns)
        for (int f : inflights)
            reporter.print_ratio("conns " + std::to_string(c) + ", inflight " + std::to_string(f) + ": keep-alive is ",
                                 " the reconnect rate", pool_name(mode::keep_alive, c, f),
                                 pool_name(mode::reconnect, c, f));
    return reporter.exit_code(); // a benchmark whose own check failed fails the run
}
