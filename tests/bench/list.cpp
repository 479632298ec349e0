// The channel list at scale against the emulator over loopback: a user with 5,000 channels (one
// message each), the emulator on its own thread, the client on this one. Figures, each over
// repeated runs (p50 / p95 / max):
//  - first visible page: channel_list stage 1 (30 rows) + stage 2 (their last messages), on a
//    fresh list each time;
//  - channel switch, cold: a channel with no full state is watched (query with state + watch);
//  - channel switch, preloaded: a channel in the viewport's overscan is opened: its full state is
//    already in the store, no round trip;
//  - the whole list paged to the end (offsets to the cap, then keyset cursors): time, pages and
//    pages/s; every seeded channel must come exactly once, else the benchmark fails (exit 1).
// Then, when node and tests/conformance/node_modules are present, the official stream-chat JS
// client against the same emulator (tests/bench/js_list.mjs, a child process; STREAMCHAT_BENCH_JS=0
// skips it): its first page (queryChannels with message_limit 1, its stages 1 and 2 in one call),
// a cold switch (channel.watch()), and the whole list as far as offsets reach.
// Targets: first visible page <= 5 ms p50; switch <= 5 ms cold, <= 1 ms preloaded.
//
//   bench_list [--channels N] [--runs R]      e.g. --channels 100000 --runs 5 for the 100,000-channel list

#include "js_peer.hpp"
#include "summary.hpp"

#include <streamchat/channel_list.hpp>
#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace streamchat;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

struct stats {
    std::vector<double> ms;
    double pct(double p) const
    {
        if (ms.empty()) return 0;
        auto v = ms;
        std::sort(v.begin(), v.end());
        const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
        return v[std::min(i, v.size() - 1)];
    }
    void print(const char* name) const
    {
        std::printf("  %-34s %6zu %10.3f %10.3f %10.3f\n", name, ms.size(), pct(0.5), pct(0.95), pct(1.0));
    }
};

double ms_since(clock_type::time_point t0)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

[[noreturn]] void die(const std::string& what, error_code ec = {})
{
    std::fprintf(stderr, "bench_list: %s%s%s\n", what.c_str(), ec ? ": " : "", ec ? ec.message().c_str() : "");
    std::exit(1);
}

/// The JS peer's RESULT lines: name -> values. `failed`: it ran and failed (rather than being
/// unavailable here).
std::map<std::string, std::pair<double, double>> run_js(const emulator& emu, int runs, std::string& note, bool& failed)
{
    std::map<std::string, std::pair<double, double>> out;
    const std::filesystem::path conformance = STREAMCHAT_CONFORMANCE_DIR;
    note = streamchat::bench::js_peer_unavailable(conformance);
    if (!note.empty()) return out;
    const std::string cmd = std::string("node '") + STREAMCHAT_BENCH_JS_SCRIPT + "' '" + conformance.string() + "' '" +
                            emu.base_url() + "' '" + emu.config().api_key + "' '" +
                            make_user_token(emu.config().api_secret, "john") + "' " + std::to_string(runs) + " 2>&1";
    std::printf("\nJS peer: node %s ...\n", STREAMCHAT_BENCH_JS_SCRIPT);
    note = streamchat::bench::run_js_peer_command(cmd, [&](const char* line) {
        char name[128];
        double a = 0, b = 0;
        if (std::sscanf(line, "RESULT %127s %lf %lf", name, &a, &b) == 3) out[name] = {a, b};
    });
    failed = !note.empty();
    return out;
}

/// The list holds the seeded channels `messaging:seed-0` … `seed-{n-1}`, each exactly once.
void check_every_channel_once(const channel_list& list, int n)
{
    std::vector<std::string> got;
    got.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) got.push_back(list.cid(i));
    std::sort(got.begin(), got.end());
    if (const auto dup = std::adjacent_find(got.begin(), got.end()); dup != got.end())
        die("channel " + *dup + " listed twice");
    std::vector<std::string> want;
    want.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) want.push_back("messaging:seed-" + std::to_string(i));
    std::sort(want.begin(), want.end());
    if (got != want) {
        std::vector<std::string> missing;
        std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
        die("paged " + std::to_string(got.size()) + " of " + std::to_string(n) + " channels" +
            (missing.empty() ? std::string(", some not seeded") : ", missing " + missing.front() + " and " +
                                                                     std::to_string(missing.size() - 1) + " more"));
    }
}

asio::awaitable<void> run(const emulator& emu, int runs, int channels, std::map<std::string, std::pair<double, double>>& js,
                          std::string& js_note, bool& js_failed)
{
    auto ex = co_await asio::this_coro::executor;
    client_config cfg;
    cfg.base_url = emu.base_url();
    cfg.api_key = emu.config().api_key;
    cfg.user_id = "john";
    cfg.token = make_user_token(emu.config().api_secret, "john");
    client c(ex, cfg);
    user_input me{};
    auto [cec, own] = co_await c.async_connect(me, tuple_token);
    if (cec) die("connect", cec);
    const filter mine = filter::in("members", std::vector<filter_value>{"john"});

    stats first_page, cold, preloaded;
    for (int r = 0; r < runs; ++r) {
        channel_list list(c, {.filter_conditions = mine});
        const auto t0 = clock_type::now();
        auto [ec, n] = co_await list.async_load_next_page(tuple_token);
        if (ec) die("stage 1", ec);
        auto [pec] = co_await list.async_load_previews(0, n, tuple_token);
        if (pec) die("stage 2", pec);
        first_page.ms.push_back(ms_since(t0));
    }

    channel_list list(c, {.filter_conditions = mine, .overscan = 2});
    const auto t_all = clock_type::now();
    while (!list.done()) {
        auto [ec, n] = co_await list.async_load_next_page(tuple_token);
        if (ec) die("paging", ec);
    }
    const double all_ms = ms_since(t_all);
    check_every_channel_once(list, channels);

    // Cold switches: channels far from the viewport, each watched once.
    for (int r = 0; r < runs; ++r) {
        const std::string& cid = list.cid(static_cast<std::size_t>(1000 + 37 * r) % list.size());
        channel_ref ref{cid.substr(0, cid.find(':')), cid.substr(cid.find(':') + 1)};
        const auto t0 = clock_type::now();
        auto [ec] = co_await c.async_watch(ref, tuple_token);
        if (ec) die("cold switch", ec);
        if (!c.channels().state(cid)) die("no state after a watch");
        cold.ms.push_back(ms_since(t0));
    }
    // Preloaded: the viewport at rows 100..109 with overscan 2 holds rows 98..111; open row 110.
    for (int r = 0; r < runs; ++r) {
        const std::size_t at = 100 + static_cast<std::size_t>(r) * 20;
        auto [ec] = co_await list.async_set_viewport(at, 10, tuple_token);
        if (ec) die("viewport", ec);
        const std::string& neighbour = list.cid(at + 10);
        const auto t0 = clock_type::now();
        const channel_state* st = c.channels().state(neighbour);
        if (!st) die("the overscan row has no full state");
        c.pin(neighbour);
        preloaded.ms.push_back(ms_since(t0));
        c.unpin(neighbour);
    }

    std::printf("\n%d channels for john, one message each; emulator on its own thread, loopback HTTP\n", channels);
    std::printf("  %-34s %6s %10s %10s %10s\n", "figure (ms)", "n", "p50", "p95", "max");
    first_page.print("first visible page (stages 1+2)");
    cold.print("channel switch, cold (watch)");
    preloaded.print("channel switch, preloaded");
    const auto m = list.metrics();
    std::printf("\nwhole list: %zu channels, each once, in %.1f ms, %.0f pages/s (%llu pages: %llu offset, %llu "
                "keyset, %llu tie walks, %llu null walks; %llu rows dropped as repeats)\n",
                list.size(), all_ms, static_cast<double>(m.pages) * 1000.0 / all_ms,
                static_cast<unsigned long long>(m.pages),
                static_cast<unsigned long long>(m.offset_pages), static_cast<unsigned long long>(m.keyset_pages),
                static_cast<unsigned long long>(m.tie_walk_pages), static_cast<unsigned long long>(m.null_walk_pages),
                static_cast<unsigned long long>(m.duplicates));
    std::printf("most channels watched at once: %zu (budget %zu)\n", c.metrics().watched_max,
                cfg.watch.max_watched_channels);
    c.disconnect();

    // The JS client, same emulator (it runs on its own thread), same user, same channels. Its
    // blocking child process leaves this thread idle meanwhile, which nothing here needs.
    js = run_js(emu, runs, js_note, js_failed);
    if (!js_note.empty()) std::printf("%s\n", js_note.c_str());
    auto js_p50 = [&](const char* k) { return js.contains(k) ? js[k].first : 0.0; };
    std::printf("\nside by side (p50, ms)               C++ SDK     stream-chat JS    JS / C++\n");
    auto row = [&](const char* name, double cpp, double j) {
        if (j > 0) std::printf("  %-34s %9.3f %14.3f %10.1fx\n", name, cpp, j, j / cpp);
        else std::printf("  %-34s %9.3f %14s %11s\n", name, cpp, "n/a", "n/a");
    };
    row("first visible page", first_page.pct(0.5), js_p50("first_page"));
    row("channel switch, cold", cold.pct(0.5), js_p50("cold_switch"));
    if (js.contains("whole_list"))
        std::printf("  %-34s %9zu %14.0f   (channels reached; JS stops at the offset cap)\n", "whole list", list.size(),
                    js["whole_list"].first);
    std::printf("\ntargets: first visible page <= 5 ms p50: %.3f -> %s; cold switch <= 5 ms p50: %.3f -> %s; "
                "preloaded <= 1 ms p50: %.3f -> %s\n",
                first_page.pct(0.5), first_page.pct(0.5) <= 5 ? "met" : "NOT met", cold.pct(0.5),
                cold.pct(0.5) <= 5 ? "met" : "NOT met", preloaded.pct(0.5), preloaded.pct(0.5) <= 1 ? "met" : "NOT met");

    // The README's channel list table.
    using streamchat::bench::figure;
    using streamchat::bench::record;
    const std::string no_js = js_note.empty() ? "no JS figure" : js_note;
    auto spread = [&](const stats& s) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "p95 %.3f, max %.3f ms, %zu runs", s.pct(0.95), s.pct(1.0), s.ms.size());
        return std::string(buf);
    };
    auto beside_js = [&](const std::string& name, const stats& s, const char* js_key) {
        figure f{.name = name, .value = s.pct(0.5), .unit = "ms", .peer_name = "stream-chat JS", .note = spread(s)};
        if (const double j = js_p50(js_key); j > 0) {
            f.peer = j;
            if (s.pct(0.5) > 0) f.ratio = j / s.pct(0.5);
        } else {
            f.note += "; " + no_js;
        }
        record(f);
    };
    beside_js("first visible page p50 (C++: stages 1 + 2; JS: queryChannels)", first_page, "first_page");
    beside_js("channel switch, cold p50 (C++: watch; JS: channel.watch())", cold, "cold_switch");
    record({.name = "channel switch, preloaded p50", .value = preloaded.pct(0.5), .unit = "ms", .note = spread(preloaded)});
    {
        auto ms_text = [](double v) { return std::to_string(static_cast<long>(v + 0.5)) + " ms"; };
        figure f{.name = "whole list: channels paged, each once", .value = static_cast<double>(list.size()),
                 .unit = "channels", .peer_name = "stream-chat JS", .note = "C++ in " + ms_text(all_ms)};
        if (js.contains("whole_list")) {
            f.peer = js["whole_list"].first;
            f.note += "; JS in " + ms_text(js["whole_list"].second) + ", stops at the offset cap";
        } else {
            f.note += "; " + no_js;
        }
        record(f);
    }
    {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%llu pages (%llu offset, %llu keyset, %llu tie walks, %llu null walks) in %.0f ms",
                      static_cast<unsigned long long>(m.pages), static_cast<unsigned long long>(m.offset_pages),
                      static_cast<unsigned long long>(m.keyset_pages), static_cast<unsigned long long>(m.tie_walk_pages),
                      static_cast<unsigned long long>(m.null_walk_pages), all_ms);
        record({.name = "whole list: pages/s", .value = static_cast<double>(m.pages) * 1000.0 / all_ms,
                .unit = "pages/s", .note = buf});
    }
    record({.name = "most channels watched at once", .value = static_cast<double>(c.metrics().watched_max),
            .unit = "channels", .note = "budget " + std::to_string(cfg.watch.max_watched_channels)});
}

} // namespace

int main(int argc, char** argv)
{
    int channels = 5000, runs = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int v = std::atoi(argv[i + 1]);
        if (v <= 0) die("bad value for " + flag);
        if (flag == "--channels") channels = v;
        else if (flag == "--runs") runs = v;
        else die("unknown flag " + flag + " (use --channels N, --runs R)");
    }
    // Two sizes run in one `make bench`: keep their rows apart in the summary.
    streamchat::bench::summary_bench_name() = "list, " + std::to_string(channels) + " channels";
    asio::io_context server_ctx;
    emulator_config ecfg;
    ecfg.seed.users = 200;
    ecfg.seed.channels = channels;
    ecfg.seed.messages_per_channel = 1;
    ecfg.seed.for_user = "john";
    emulator emu(server_ctx.get_executor(), ecfg);
    std::string why;
    const auto t_seed = clock_type::now();
    if (auto ec = emu.start(&why)) die("emulator: " + why, ec);
    std::printf("emulator seeded with %d channels in %.1f ms\n", channels, ms_since(t_seed));
    auto guard = asio::make_work_guard(server_ctx);
    std::thread server([&] { server_ctx.run(); });

    asio::io_context ioc;
    std::exception_ptr failure;
    std::map<std::string, std::pair<double, double>> js;
    std::string js_note;
    bool js_failed = false;
    asio::co_spawn(ioc, run(emu, runs, channels, js, js_note, js_failed), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    asio::post(server_ctx, [&] { emu.stop(); });
    guard.reset();
    server.join();
    if (failure) std::rethrow_exception(failure);
    if (js_failed) { // the comparison is half of what this binary is for
        std::fprintf(stderr, "FAILED the JS peer: %s\n", js_note.c_str());
        return 1;
    }
    return 0;
}
