// streamchat-demo: the SDK at scale against a local emulator, with measured figures.
//
//   streamchat-demo                          # in-process emulator, 5,000 channels for "john"
//   streamchat-demo --channels 300 --messages 2
//   streamchat-demo --base-url http://127.0.0.1:3031 --user john   # a running emulator (or Stream)
//
// Steps, each timed with std::chrono::steady_clock: first page of the user's channels, one batched
// profile look-up for that page, paging the whole list with the SDK's channel_list (offsets to
// Stream's 1,000 cap, then keyset cursors), three channel switches, a send with read-back, and a summary
// next to the scale plan's targets. Client and in-process emulator share the main thread.
//
// Exit status: 0 on success, 1 when a call fails or a check does not hold, 2 on bad flags.

#include <streamchat/channel_list.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/streamchat.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace asio = boost::asio;
using namespace streamchat;

namespace {

using clock_type = std::chrono::steady_clock;

// Scale-plan targets the summary compares against.
constexpr double target_initial_load_ms = 1000.0;
constexpr double target_channel_switch_ms = 100.0;
constexpr int target_profile_calls_per_page = 5;
constexpr int offset_cap = 1000;        // Stream refuses offsets above 1,000 on queryChannels.
constexpr std::size_t users_per_call = 100; // Stream's cap on ids in one queryUsers filter / limit.

struct options {
    std::optional<std::string> base_url{};
    std::string api_key = emulator_config{}.api_key;
    std::string api_secret = emulator_config{}.api_secret;
    std::string user = "john";
    int page_size = 30;
    int channels = 5000;
    int messages = 5;
    int seed_users = 200;
};

struct figures {
    double initial_load_ms = 0;
    int profile_calls = 0;
    double switch_avg_ms = 0;
    int switches = 0;
    double paging_ms = 0;
    std::size_t paged_channels = 0;
    int pages = 0;
    double send_ms = 0;
    double read_back_ms = 0;
};

double ms_since(clock_type::time_point start)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

/// Prints what went wrong: the code's message, the SDK's explanation and the server's envelope.
int fail(const char* what, error_code ec, const diagnostics& diag)
{
    std::fflush(stdout); // keep the report after the step it belongs to
    std::fprintf(stderr, "\nstreamchat-demo: %s failed: %s [%s:%d]\n", what, ec.message().c_str(),
                 ec.category().name(), ec.value());
    if (!diag.client_message.empty()) std::fprintf(stderr, "  client: %s\n", diag.client_message.c_str());
    if (diag.server)
        std::fprintf(stderr, "  server: code %d, HTTP %d: %s\n", diag.server->code, diag.server->status_code,
                     diag.server->message.c_str());
    else if (diag.http_status != 0)
        std::fprintf(stderr, "  server: HTTP %d, no error envelope\n", diag.http_status);
    if (diag.rate_limit.retry_after)
        std::fprintf(stderr, "  rate limited: retry after %llds\n",
                     static_cast<long long>(diag.rate_limit.retry_after->count()));
    if (!diag.client_request_id.empty())
        std::fprintf(stderr, "  x-client-request-id %s, attempts %d\n", diag.client_request_id.c_str(), diag.attempts);
    return 1;
}

int check_failed(const char* what)
{
    std::fflush(stdout);
    std::fprintf(stderr, "\nstreamchat-demo: check failed: %s\n", what);
    return 1;
}

/// The list query of the demo: the user's channels, most recent message first, one message each.
query_channels_request list_query(const options& opt, filter f, int offset)
{
    query_channels_request q;
    q.filter_conditions = std::move(f);
    q.sort = sort::by("last_message_at", sort_direction::descending);
    q.limit = opt.page_size;
    q.offset = offset;
    q.message_limit = 1;
    q.state = true;
    return q;
}

asio::awaitable<int> run_demo(options opt, client_config cfg, std::optional<std::size_t> expected, figures& fig)
{
    constexpr auto token = asio::as_tuple(asio::use_awaitable);
    rest_client client(co_await asio::this_coro::executor, cfg);
    diagnostics diag;
    const filter mine = filter::members_in({opt.user});

    // a) Initial load: the first page, including the first connection to the server.
    std::printf("\n[a] initial load: first page of %s's channels (limit %d, message_limit 1, state)\n",
                opt.user.c_str(), opt.page_size);
    auto first_query = list_query(opt, mine, 0);
    auto t0 = clock_type::now();
    auto [ec, first] = co_await client.async_query_channels(std::move(first_query), diag, token);
    fig.initial_load_ms = ms_since(t0);
    if (ec) co_return fail("initial load (query_channels)", ec, diag);
    std::printf("    %zu channels in %.2f ms (time to first page)\n", first.channels.size(), fig.initial_load_ms);
    if (first.channels.empty()) co_return check_failed("the user has no channels; nothing to demonstrate");

    // b) Profiles: every member and last-message author of the page, in batches of <= 100 ids.
    std::set<std::string> ids;
    for (const auto& c : first.channels) {
        for (const auto& m : c.members) {
            if (m.user) ids.insert(m.user->id);
            else if (m.user_id) ids.insert(*m.user_id);
        }
        if (!c.messages.empty() && !c.messages.back().user.id.empty()) ids.insert(c.messages.back().user.id);
    }
    std::printf("\n[b] profiles: %zu distinct users on the page (members + last-message authors)\n", ids.size());
    const std::vector<std::string> id_list(ids.begin(), ids.end());
    std::size_t found_users = 0;
    t0 = clock_type::now();
    for (std::size_t i = 0; i < id_list.size(); i += users_per_call) {
        const auto end = std::min(id_list.size(), i + users_per_call);
        query_users_request uq;
        uq.filter_conditions = filter::in("id", std::vector<std::string>(id_list.begin() + static_cast<std::ptrdiff_t>(i),
                                                                         id_list.begin() + static_cast<std::ptrdiff_t>(end)));
        uq.limit = static_cast<int>(end - i);
        auto [uec, users] = co_await client.async_query_users(std::move(uq), diag, token);
        if (uec) co_return fail("profiles (query_users)", uec, diag);
        ++fig.profile_calls;
        found_users += users.users.size();
    }
    const double profiles_ms = ms_since(t0);
    std::printf("    %zu profiles with %d query_users call(s) in %.2f ms (budget <= %d calls per page)\n",
                found_users, fig.profile_calls, profiles_ms, target_profile_calls_per_page);
    if (found_users != ids.size()) co_return check_failed("query_users did not return every requested profile");

    // c) The whole list with the SDK's channel_list: offsets up to Stream's 1,000 cap, then keyset
    //    cursors on last_message_at (ties walked by cid, channels without messages fetched last),
    //    every cid once. Stage 1 only: channel data and unread counts, no messages.
    std::printf("\n[c] paging the whole list with channel_list: offsets to %d, then keyset cursors\n", offset_cap);
    const auto executor = co_await asio::this_coro::executor;
    streamchat::client live(executor, cfg);
    channel_list list(live, {.filter_conditions = mine, .page_size = opt.page_size});
    t0 = clock_type::now();
    while (!list.done()) {
        auto [pec, added] = co_await list.async_load_next_page(token);
        if (pec) co_return fail("paging (channel_list)", pec, diag);
    }
    fig.paging_ms = ms_since(t0);
    const auto lm = list.metrics();
    fig.pages = static_cast<int>(lm.pages);
    fig.paged_channels = list.size();
    const std::size_t duplicates = lm.duplicates;
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) seen.insert(list.cid(i));
    std::printf("    offset pages: %llu, keyset pages: %llu (tie walks %llu, channels without messages %llu)\n",
                static_cast<unsigned long long>(lm.offset_pages), static_cast<unsigned long long>(lm.keyset_pages),
                static_cast<unsigned long long>(lm.tie_walk_pages), static_cast<unsigned long long>(lm.null_walk_pages));
    std::printf("    %d pages, %zu distinct channels, %zu rows returned twice and dropped, in %.1f ms = %.0f channels/s\n",
                fig.pages, seen.size(), duplicates, fig.paging_ms,
                fig.paging_ms > 0 ? 1000.0 * static_cast<double>(seen.size()) / fig.paging_ms : 0.0);
    live.rest().shutdown();
    bool paging_ok = seen.size() == list.size();
    if (expected) {
        paging_ok = paging_ok && seen.size() == *expected;
        std::printf("    total vs seeded %zu, each channel once: %s\n", *expected, paging_ok ? "OK" : "MISMATCH");
    } else {
        std::printf("    total not checked (external server: seeded count unknown), each channel once: %s\n",
                    paging_ok ? "OK" : "MISMATCH");
    }

    // d) Channel switch: open a channel from the first page with its last 25 messages.
    const std::size_t n_switch = std::min<std::size_t>(3, first.channels.size());
    std::printf("\n[d] channel switch: query_channel (state, messages limit 25) x %zu\n", n_switch);
    double switch_total = 0;
    for (std::size_t i = 0; i < n_switch; ++i) {
        query_channel_request cq;
        cq.type = first.channels[i].channel.type;
        cq.id = first.channels[i].channel.id;
        cq.state = true;
        cq.messages = message_pagination{.limit = 25};
        t0 = clock_type::now();
        auto [cec, state] = co_await client.async_query_channel(std::move(cq), diag, token);
        const double ms = ms_since(t0);
        if (cec) co_return fail("channel switch (query_channel)", cec, diag);
        switch_total += ms;
        std::printf("    %-28s %3zu messages, %2zu members in %.2f ms\n", state.channel.cid.c_str(),
                    state.messages.size(), state.members.size(), ms);
    }
    fig.switches = static_cast<int>(n_switch);
    fig.switch_avg_ms = switch_total / static_cast<double>(n_switch);
    std::printf("    average %.2f ms\n", fig.switch_avg_ms);

    // e) Send a message to the first channel and read it back by id.
    std::printf("\n[e] send: a message to %s, then get_message\n", first.channels[0].channel.cid.c_str());
    send_message_request send;
    send.type = first.channels[0].channel.type;
    send.id = first.channels[0].channel.id;
    send.message.text = "hello from streamchat-demo";
    t0 = clock_type::now();
    auto [sec, sent] = co_await client.async_send_message(std::move(send), diag, token);
    fig.send_ms = ms_since(t0);
    if (sec) co_return fail("send (send_message)", sec, diag);
    std::string message_id = sent.message.id;
    t0 = clock_type::now();
    auto [gec, got] = co_await client.async_get_message(std::move(message_id), diag, token);
    fig.read_back_ms = ms_since(t0);
    if (gec) co_return fail("read back (get_message)", gec, diag);
    const bool same = got.message.id == sent.message.id && got.message.text == "hello from streamchat-demo";
    std::printf("    sent %s in %.2f ms, read back in %.2f ms: %s\n", sent.message.id.c_str(), fig.send_ms,
                fig.read_back_ms, same ? "OK" : "MISMATCH");

    // f) Summary next to the scale plan.
    const auto ratio = [](double target, double measured) { return measured > 0 ? target / measured : 0.0; };
    std::printf("\n[f] summary (target/measured > 1 means within target)\n");
    std::printf("    %-34s %12s %12s %16s\n", "figure", "measured", "target", "target/measured");
    std::printf("    %-34s %9.2f ms %9s ms %15.1fx\n", "initial load (first page)", fig.initial_load_ms, "< 1000",
                ratio(target_initial_load_ms, fig.initial_load_ms));
    std::printf("    %-34s %9.2f ms %9s ms %15.1fx\n", "channel switch (average of 3)", fig.switch_avg_ms, "< 100",
                ratio(target_channel_switch_ms, fig.switch_avg_ms));
    std::printf("    %-34s %12d %12s %15.1fx\n", "profile calls per page", fig.profile_calls, "<= 5",
                ratio(target_profile_calls_per_page, fig.profile_calls));
    std::printf("    %-34s %12zu %12s %16s\n", "channels paged (past offset 1000)", fig.paged_channels,
                expected ? std::to_string(*expected).c_str() : "-", paging_ok ? "OK" : "MISMATCH");
    std::printf("    %-34s %9.0f /s %12s %16s\n", "paging rate", fig.paging_ms > 0 ? 1000.0 * static_cast<double>(fig.paged_channels) / fig.paging_ms : 0.0,
                "-", "-");
    std::printf("    %-34s %9.2f ms %12s %16s\n", "send + read back", fig.send_ms + fig.read_back_ms, "-",
                same ? "OK" : "MISMATCH");

    if (!paging_ok) co_return check_failed("paging did not return every channel exactly once");
    if (!same) co_return check_failed("the message read back differs from the one sent");
    co_return 0;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    CLI::App app{"streamchat-demo: the SDK's typed REST calls at scale against a local emulator, with measured "
                 "times. Without --base-url it starts an in-process emulator on 127.0.0.1 and seeds it.",
                 "streamchat-demo"};
    app.option_defaults()->always_capture_default();
    auto* base_url = app.add_option("--base-url", opt.base_url,
                                    "Server to use, e.g. http://127.0.0.1:3031; absent: an in-process emulator "
                                    "on 127.0.0.1 (free port), seeded by --channels/--messages");
    app.add_option("--api-key", opt.api_key, "API key (default: the emulator's)");
    app.add_option("--api-secret", opt.api_secret, "Secret that signs the user token (default: the emulator's)");
    app.add_option("--user", opt.user, "The user whose channels are listed (and seeded)")
        ->check([](const std::string& s) { return s.empty() ? std::string("must not be empty") : std::string(); });
    app.add_option("--page-size", opt.page_size, "Channels per queryChannels page (1..30, Stream's cap)")
        ->check(CLI::Range(1, 30));
    app.add_option("--channels", opt.channels, "Seeded channels of --user (in-process emulator only)")
        ->check(CLI::Range(1, 1000000))
        ->excludes(base_url);
    app.add_option("--messages", opt.messages,
                   "Seeded messages per channel (in-process emulator only; >= 1 so every channel has a "
                   "last_message_at to page on)")
        ->check(CLI::Range(1, 1000))
        ->excludes(base_url);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e); // --help
        app.exit(e);
        return 2;
    }

    try {
        asio::io_context ioc;
        std::unique_ptr<emulator> emu;
        std::optional<std::size_t> expected;
        client_config cfg;
        cfg.api_key = opt.api_key;
        cfg.user_id = opt.user;
        // A real application gets its token from its backend; signing here keeps the demo self-contained.
        cfg.token = make_user_token(opt.api_secret, opt.user);

#ifdef NDEBUG
        const char* build = "optimised build";
#else
        const char* build = "debug build (slower; use the release preset for figures)";
#endif
        if (opt.base_url) {
            cfg.base_url = *opt.base_url;
            std::printf("streamchat-demo: server %s, user %s, %s\n", cfg.base_url.c_str(), opt.user.c_str(), build);
        } else {
            emulator_config ec;
            ec.host = "127.0.0.1";
            ec.port = 0;
            ec.api_key = opt.api_key;
            ec.api_secret = opt.api_secret;
            ec.seed = emulator_seed{.users = opt.seed_users, .channels = opt.channels,
                                    .messages_per_channel = opt.messages, .for_user = opt.user};
            emu = std::make_unique<emulator>(ioc.get_executor(), ec);
            std::string why;
            const auto t0 = clock_type::now();
            if (auto e = emu->start(&why)) {
                std::fprintf(stderr, "streamchat-demo: cannot start the in-process emulator: %s\n",
                             why.empty() ? e.message().c_str() : why.c_str());
                return 1;
            }
            const double start_ms = ms_since(t0);
            cfg.base_url = emu->base_url();
            expected = static_cast<std::size_t>(opt.channels);
            std::printf("streamchat-demo: started an in-process emulator at %s (SQLite in memory), seeded with %d "
                        "channels for %s, %d messages each, %d users in %.0f ms\n",
                        cfg.base_url.c_str(), opt.channels, opt.user.c_str(), opt.messages, opt.seed_users, start_ms);
            std::printf("  client and emulator share this one thread over loopback HTTP; %s\n", build);
        }

        figures fig;
        int status = 1;
        asio::co_spawn(ioc, run_demo(opt, cfg, expected, fig), [&](std::exception_ptr ep, int rc) {
            status = rc;
            if (ep) {
                status = 1;
                try {
                    std::rethrow_exception(ep);
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "streamchat-demo: unexpected exception: %s\n", e.what());
                } catch (...) {
                    std::fprintf(stderr, "streamchat-demo: unexpected exception\n");
                }
            }
            if (emu) emu->stop();
            ioc.stop(); // pooled keep-alive sockets may still hold work
        });
        ioc.run();
        return status;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "streamchat-demo: unexpected exception: %s\n", e.what());
        return 1;
    }
}
