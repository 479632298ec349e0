// streamchat-demo: the scale story told with the SDK's own components, with measured figures.
//
//   streamchat-demo                          # in-process emulator, 5,000 channels for "john"
//   streamchat-demo --channels 100000        # the same at 100,000 channels
//   streamchat-demo --base-url http://127.0.0.1:3031 --user john --token JWT   # any Stream-compatible server
//
// Phases, each bounded: other users start chatting (posts through their own rest_client), the
// user's client connects its one WebSocket while channel_list loads the first page in stages
// (rows, previews, viewport), the background sync pages the rest while the demo scrolls to the
// end and back, two channel switches (cold, preloaded), live batches applied to the list, the
// profile calls each page costs, and a report next to the scale plan's targets.
//
// Exit status: 0 on success, 1 when a call fails or a check does not hold (a channel listed
// twice or missing, more channels watched than the budget, more than one WebSocket), 2 on bad
// flags. Timing targets are reported, not enforced: sanitizer builds are slower by design.

#include <streamchat/channel_list.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/metrics.hpp>
#include <streamchat/streamchat.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace asio = boost::asio;
using namespace streamchat;

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Scale-plan targets the report compares against.
constexpr double target_first_page_ms = 1000.0;
constexpr double target_interactive_ms = 1000.0;
constexpr double target_switch_cold_ms = 100.0;
constexpr double target_switch_preloaded_ms = 100.0;
constexpr std::uint64_t target_profile_calls_per_page = 5;
constexpr double target_rss_mb = 64.0; // the client alone at 100,000 channels

constexpr std::size_t viewport_rows = 10; // rows on screen

struct options {
    std::optional<std::string> base_url{};
    std::string api_key = emulator_config{}.api_key;
    std::string api_secret = emulator_config{}.api_secret;
    std::optional<std::string> token{};
    std::string user = "john";
    int page_size = 30;
    int channels = 5000;
    int messages = 5;
    int seed_users = 200;
    double live_seconds = 3.0;
    double post_rate = 20.0;
    int posters = 10;
    int scroll_steps = 40;
    int timeout_s = 600;
    std::string json_path{};
    bool quiet = false;
    bool can_post = true; // other users' tokens can be signed
};

double ms_since(clock_type::time_point start)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

double to_ms(std::optional<std::chrono::nanoseconds> d)
{
    return d ? std::chrono::duration<double, std::milli>(*d).count() : -1.0;
}

int fail(const char* what, error_code ec)
{
    std::fflush(stdout); // keep the error after the step it belongs to
    std::fprintf(stderr, "\nstreamchat-demo: %s failed: %s [%s:%d]\n", what, ec.message().c_str(),
                 ec.category().name(), ec.value());
    return 1;
}

channel_ref ref_of(std::string_view cid)
{
    const auto colon = cid.find(':');
    if (colon == std::string_view::npos) return {std::string(cid), {}};
    return {std::string(cid.substr(0, colon)), std::string(cid.substr(colon + 1))};
}

/// `s` cut to `cols` code points (never inside a UTF-8 sequence), newlines flattened, padded.
std::string fit(std::string_view s, std::size_t cols)
{
    std::string out;
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto lead = static_cast<unsigned char>(s[i]);
        const std::size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 4;
        if (n + 1 == cols && i + len < s.size()) { // room for the ellipsis only
            out += "\xE2\x80\xA6";
            ++n;
            break;
        }
        if (len == 1 && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) out += ' ';
        else out.append(s.substr(i, len));
        i += len;
        ++n;
    }
    out.append(cols > n ? cols - n : 0, ' ');
    return out;
}

/// Set by a completion handler; the coroutine that waits for it sleeps on the timer.
struct flag_state {
    explicit flag_state(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    bool done = false;
    error_code ec{};
    void set(error_code e)
    {
        ec = e;
        done = true;
        timer.cancel();
    }
};

/// Waits until `st.done` or `limit` passed; true when done.
asio::awaitable<bool> wait_done(flag_state& st, clock_type::duration limit)
{
    if (st.done) co_return true;
    st.timer.expires_after(limit);
    while (!st.done) {
        auto [ec] = co_await st.timer.async_wait(use_tuple);
        if (!ec) break; // deadline
    }
    co_return st.done;
}

asio::awaitable<void> sleep_for(clock_type::duration d)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(use_tuple);
}

// ---- other users chatting

struct poster {
    std::string user{};
    std::string token{};
    std::vector<channel_ref> channels{};
};

struct chatter_state : flag_state {
    using flag_state::flag_state;
    bool stop = false;
    std::uint64_t posted = 0;
    std::uint64_t failed = 0;
};

/// Other users post into random channels of theirs at `rate` messages per second, each through
/// its own rest_client and user token, until `st->stop`.
asio::awaitable<void> chatter(client_config base, std::vector<poster> posters, double rate,
                              std::shared_ptr<chatter_state> st)
{
    const auto ex = co_await asio::this_coro::executor;
    std::vector<std::unique_ptr<rest_client>> clients;
    for (const auto& p : posters) {
        client_config cfg = base;
        cfg.user_id = p.user;
        cfg.token = p.token;
        clients.push_back(std::make_unique<rest_client>(ex, cfg));
    }
    std::mt19937_64 rng(7);
    const auto period = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / rate));
    asio::steady_timer tick(ex);
    auto next = clock_type::now();
    while (!st->stop) {
        next = std::max(next + period, clock_type::now() - std::chrono::seconds(1)); // no burst after a stall
        tick.expires_at(next);
        co_await tick.async_wait(use_tuple);
        if (st->stop) break;
        const std::size_t who = rng() % posters.size();
        const auto& ch = posters[who].channels[rng() % posters[who].channels.size()];
        send_message_request req;
        req.type = ch.type;
        req.id = ch.id;
        req.message.text = "message " + std::to_string(st->posted + st->failed + 1) + " from " + posters[who].user;
        auto [ec, sent] = co_await clients[who]->async_send_message(std::move(req), use_tuple);
        if (ec) ++st->failed;
        else ++st->posted;
    }
    for (auto& c : clients) c->shutdown();
}

/// Finds users who share channels with the user (members of a few pages spread over the list)
/// and the channels each can post into.
asio::awaitable<std::vector<poster>> find_posters(const options& opt, const client_config& cfg,
                                                  std::size_t total_estimate)
{
    rest_client rest(co_await asio::this_coro::executor, cfg);
    std::map<std::string, std::vector<channel_ref>> by_user;
    const int span = static_cast<int>(std::min<std::size_t>(total_estimate, 1000)); // Stream's offset cap
    constexpr int probes = 8;
    std::unordered_set<std::string> seen;
    for (int i = 0; i < probes; ++i) {
        query_channels_request q;
        q.filter_conditions = filter::members_in({opt.user});
        q.sort = sort::by("last_message_at", sort_direction::descending);
        q.limit = 30;
        q.offset = std::min(1000, span * i / probes);
        q.message_limit = 0;
        q.member_limit = 10;
        q.state = true;
        q.watch = false;
        auto [ec, page] = co_await rest.async_query_channels(std::move(q), use_tuple);
        if (ec) break; // posting is optional: fewer channels to post into
        for (const auto& c : page.channels) {
            if (!seen.insert(c.channel.cid).second) continue;
            for (const auto& m : c.members) {
                const std::string id = m.user ? m.user->id : m.user_id.value_or(std::string());
                if (!id.empty() && id != opt.user) by_user[id].push_back({c.channel.type, c.channel.id});
            }
        }
        if (span < 30) break;
    }
    rest.shutdown();
    std::vector<poster> out;
    for (auto& [uid, chans] : by_user) out.push_back({uid, make_user_token(opt.api_secret, uid), std::move(chans)});
    std::sort(out.begin(), out.end(), [](const poster& a, const poster& b) { return a.channels.size() > b.channels.size(); });
    if (out.size() > static_cast<std::size_t>(opt.posters)) out.resize(static_cast<std::size_t>(opt.posters));
    co_return out;
}

// ---- the user's live batches

struct receive_state {
    bool stop = false;
    std::uint64_t batches = 0;
};

/// Applies every batch to the list until stopped; ends with the client (shut_down).
asio::awaitable<void> receive_loop(client& c, channel_list& list, std::shared_ptr<receive_state> st)
{
    for (;;) {
        auto [ec, batch] = co_await c.async_receive(use_tuple);
        if (ec || st->stop) co_return; // the list may be gone: touch nothing
        list.apply(batch);
        ++st->batches;
    }
}

// ---- the report

struct report {
    std::size_t channels_total = 0;
    bool total_known = false;
    std::size_t channels_listed = 0;
    std::size_t channels_distinct = 0;
    double first_page_ms = -1;
    double interactive_ms = -1;
    double switch_cold_ms = -1;
    double switch_preloaded_ms = -1;
    std::size_t watched_max = 0;
    std::size_t watch_budget = 0;
    std::uint64_t websockets_max = 0;
    std::uint64_t profile_calls_max = 0;
    std::uint64_t profile_calls_revisit = 0;
    std::size_t profile_pages = 0;
    double events_per_s = 0;
    double posted_per_s = 0;
    std::uint64_t events_dropped = 0;
    std::uint64_t rows_moved = 0;
    double rss_mb = 0;
    bool sync_done = false;
    bool emulator_in_process = false;
    std::string metrics_json{};
};

const char* verdict(bool met) { return met ? "met" : "NOT MET"; }

void print_report(const report& r)
{
    char buf[64];
    std::printf("\n[report] next to the scale plan's targets\n");
    std::printf("    %-34s %16s %20s  %s\n", "figure", "measured", "target", "");
    const auto row_ms = [&](const char* what, double v, const char* target, bool met) {
        if (v < 0) std::snprintf(buf, sizeof buf, "-");
        else std::snprintf(buf, sizeof buf, "%.2f ms", v);
        std::printf("    %-34s %16s %20s  %s\n", what, buf, target, v < 0 ? "not measured" : verdict(met));
    };
    row_ms("time to first page", r.first_page_ms, "<= 1000 ms", r.first_page_ms <= target_first_page_ms);
    row_ms("time to interactive", r.interactive_ms, "<= 1000 ms", r.interactive_ms <= target_interactive_ms);
    row_ms("channel switch, cold", r.switch_cold_ms, "<= 100 ms", r.switch_cold_ms <= target_switch_cold_ms);
    row_ms("channel switch, preloaded", r.switch_preloaded_ms, "<= 100 ms",
           r.switch_preloaded_ms <= target_switch_preloaded_ms);
    char target[64];
    std::snprintf(buf, sizeof buf, "%zu", r.watched_max);
    std::snprintf(target, sizeof target, "<= %zu (budget)", r.watch_budget);
    std::printf("    %-34s %16s %20s  %s\n", "channels watched at once (max)", buf, target,
                verdict(r.watched_max <= r.watch_budget));
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(r.websockets_max));
    std::printf("    %-34s %16s %20s  %s\n", "WebSocket connections (max)", buf, "1", verdict(r.websockets_max == 1));
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(r.profile_calls_max));
    std::printf("    %-34s %16s %20s  %s\n", "profile calls per page (max)", buf, "<= 5",
                verdict(r.profile_calls_max <= target_profile_calls_per_page));
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(r.profile_calls_revisit));
    std::printf("    %-34s %16s %20s  %s\n", "  revisiting a page", buf, "0", verdict(r.profile_calls_revisit == 0));
    std::snprintf(buf, sizeof buf, "%.1f /s", r.events_per_s);
    if (r.posted_per_s > 0) {
        std::snprintf(target, sizeof target, ">= posted %.1f /s", r.posted_per_s);
        std::printf("    %-34s %16s %20s  %s\n", "events applied per second", buf, target,
                    verdict(r.events_per_s >= 0.8 * r.posted_per_s && r.events_dropped == 0));
    } else {
        std::printf("    %-34s %16s %20s  %s\n", "events applied per second", buf, "-", "(nobody posted)");
    }
    std::snprintf(buf, sizeof buf, "%.1f MB", r.rss_mb);
    std::printf("    %-34s %16s %20s  %s%s\n", "RSS of the process", buf, "<= 64 MB (client)",
                verdict(r.rss_mb <= target_rss_mb),
                r.emulator_in_process ? " (includes the in-process emulator and its database)" : "");
    std::snprintf(buf, sizeof buf, "%zu", r.channels_listed);
    if (r.total_known) std::snprintf(target, sizeof target, "%zu, each once", r.channels_total);
    else std::snprintf(target, sizeof target, "each once");
    const bool listed_ok = r.channels_distinct == r.channels_listed && (!r.total_known || r.channels_listed == r.channels_total);
    std::printf("    %-34s %16s %20s  %s\n", "channels listed", buf, target, listed_ok ? "OK" : "MISMATCH");
    std::printf("    (rows moved to the top by live messages: %llu; events dropped: %llu)\n",
                static_cast<unsigned long long>(r.rows_moved), static_cast<unsigned long long>(r.events_dropped));
}

bool write_json(const report& r, const std::string& path)
{
    boost::json::object o;
    o["channels_total"] = r.total_known ? boost::json::value(r.channels_total) : boost::json::value(r.channels_listed);
    o["channels_listed"] = r.channels_listed;
    const auto ms = [](double v) { return v < 0 ? boost::json::value(nullptr) : boost::json::value(v); };
    o["first_page_ms"] = ms(r.first_page_ms);
    o["time_to_interactive_ms"] = ms(r.interactive_ms);
    boost::json::object sw;
    sw["cold"] = ms(r.switch_cold_ms);
    sw["preloaded"] = ms(r.switch_preloaded_ms);
    o["channel_switch_ms"] = std::move(sw);
    o["watched_max"] = r.watched_max;
    o["watch_budget"] = r.watch_budget;
    o["websocket_connections_max"] = r.websockets_max;
    o["profile_calls_per_page_max"] = r.profile_calls_max;
    o["profile_calls_revisit"] = r.profile_calls_revisit;
    o["events_applied_per_s"] = r.events_per_s;
    o["messages_posted_per_s"] = r.posted_per_s;
    o["rows_moved"] = r.rows_moved;
    o["rss_mb"] = r.rss_mb;
    boost::json::object targets;
    targets["first_page_ms"] = target_first_page_ms;
    targets["time_to_interactive_ms"] = target_interactive_ms;
    targets["channel_switch_cold_ms"] = target_switch_cold_ms;
    targets["channel_switch_preloaded_ms"] = target_switch_preloaded_ms;
    targets["profile_calls_per_page_max"] = target_profile_calls_per_page;
    targets["rss_mb"] = target_rss_mb;
    o["targets"] = std::move(targets);
    boost::system::error_code ec;
    auto metrics = boost::json::parse(r.metrics_json, ec);
    if (!ec) o["metrics"] = std::move(metrics);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << boost::json::serialize(o) << '\n';
    out.close();
    return static_cast<bool>(out);
}

// ---- the demo

asio::awaitable<int> run_demo(options opt, client_config cfg, std::optional<std::size_t> expected, report& rep)
{
    const auto ex = co_await asio::this_coro::executor;
    rep.total_known = expected.has_value();
    rep.channels_total = expected.value_or(0);
    const auto phase_limit = std::chrono::seconds(opt.timeout_s);

    // 0) Other users keep chatting in the background, each with its own token.
    auto chat = std::make_shared<chatter_state>(ex);
    chat->done = true; // until started
    if (opt.can_post && opt.post_rate > 0) {
        auto posters = co_await find_posters(opt, cfg, expected.value_or(1000));
        std::size_t reachable = 0;
        for (const auto& p : posters) reachable += p.channels.size();
        if (posters.empty()) {
            std::printf("\n[0] nobody to chat with: no other members found in %s's channels\n", opt.user.c_str());
        } else {
            std::printf("\n[0] %zu other users chat in %zu of %s's channels at %.0f messages/s (own tokens, rest_client)\n",
                        posters.size(), reachable, opt.user.c_str(), opt.post_rate);
            chat->done = false;
            asio::co_spawn(ex, chatter(cfg, std::move(posters), opt.post_rate, chat), [chat](std::exception_ptr ep) {
                if (ep) std::fprintf(stderr, "streamchat-demo: the chatter stopped on an exception\n");
                chat->set({});
            });
        }
    } else {
        std::printf("\n[0] no chatter (needs --api-secret to sign other users' tokens, and --post-rate > 0)\n");
    }

    // 1) The user opens the app: the WebSocket connects while the list loads its first page.
    client c(ex, cfg);
    channel_list list(c, {.filter_conditions = filter::members_in({opt.user}), .page_size = opt.page_size});
    auto receiver = std::make_shared<receive_state>();
    const auto stop_receiving = [&] { receiver->stop = true; };
    // Whatever way this coroutine ends, the chatter and the receive loop end with it.
    struct stopper {
        std::shared_ptr<chatter_state> chat;
        std::shared_ptr<receive_state> receiver;
        ~stopper()
        {
            chat->stop = true;
            receiver->stop = true;
        }
    } const stop_on_exit{chat, receiver};
    auto conn = std::make_shared<flag_state>(ex);
    user_input me;
    me.id = opt.user;
    c.async_connect(me, [conn](error_code ec, own_user) { conn->set(ec); });

    std::printf("\n[1] progressive loading of the first page (page size %d, one WebSocket connecting meanwhile)\n",
                opt.page_size);
    auto t0 = clock_type::now();
    auto [ec1, rows] = co_await list.async_load_next_page(use_tuple);
    const double stage1_ms = ms_since(t0);
    if (ec1) co_return fail("stage 1 (async_load_next_page)", ec1);
    std::printf("    stage 1  rows + unread counts      %4zu rows   %8.2f ms\n", rows, stage1_ms);
    if (rows == 0) {
        std::fprintf(stderr, "streamchat-demo: %s has no channels; nothing to demonstrate\n", opt.user.c_str());
        co_return 1;
    }
    t0 = clock_type::now();
    auto [ec2] = co_await list.async_load_previews(0, rows, use_tuple);
    const double stage2_ms = ms_since(t0);
    if (ec2) co_return fail("stage 2 (async_load_previews)", ec2);
    std::printf("    stage 2  last-message previews     %4zu rows   %8.2f ms\n", rows, stage2_ms);
    if (!co_await wait_done(*conn, std::chrono::seconds(15)))
        co_return fail("connect (async_connect)", make_error_code(error::shut_down));
    if (conn->ec) co_return fail("connect (async_connect)", conn->ec);
    asio::co_spawn(ex, receive_loop(c, list, receiver), asio::detached);
    const std::size_t vp = std::min(viewport_rows, list.size());
    t0 = clock_type::now();
    auto [ec3] = co_await list.async_set_viewport(0, vp, use_tuple);
    const double stage3_ms = ms_since(t0);
    if (ec3) co_return fail("stage 3 (async_set_viewport)", ec3);
    std::printf("    stage 3  viewport watched          %4zu rows   %8.2f ms (+ overscan: %zu watched)\n", vp,
                stage3_ms, list.viewport_watched());
    {
        const auto snap = c.metrics_snapshot();
        rep.first_page_ms = to_ms(snap.first_page_loaded);
        rep.interactive_ms = to_ms(snap.time_to_interactive);
        std::printf("    since the client was created: WebSocket up %.2f ms, first page %.2f ms, first visible page "
                    "%.2f ms, interactive %.2f ms\n",
                    to_ms(snap.socket_connected), rep.first_page_ms, to_ms(snap.first_visible_page), rep.interactive_ms);
    }
    std::printf("\n    %3s  %-24s %-10s %-40s %6s\n", "#", "channel", "from", "last message", "unread");
    for (std::size_t i = 0; i < vp; ++i) {
        const auto r = list.row(i);
        if (!r) continue;
        const std::string author_id(r->last_message_user_id);
        const user_profile* who = c.cached_profile(author_id);
        const std::string author = who && !who->name.empty() ? who->name : author_id;
        std::printf("    %3zu  %s %s %s %6d\n", i, fit(r->name.empty() ? r->cid : r->name, 24).c_str(),
                    fit(author, 10).c_str(), fit(r->last_message_preview, 40).c_str(), r->unread_count);
    }

    // 2) The rest of the list in the background while the user scrolls to the end and back.
    std::printf("\n[2] background sync + scrolling %zu-row viewport to the end and back\n", vp);
    auto sync = std::make_shared<flag_state>(ex);
    list.async_sync_background([sync](error_code ec) { sync->set(ec); });
    const std::size_t budget = cfg.watch.max_watched_channels;
    const auto progress = [&](const char* dir, std::size_t pos) {
        if (opt.quiet) return;
        const std::string total = expected ? std::to_string(*expected) : list.done() ? std::to_string(list.size()) : "?";
        std::printf("\r    %-4s rows listed %zu/%s, viewport at row %zu, watched now %zu / budget %zu      ", dir,
                    list.size(), total.c_str(), pos, c.metrics().watched, budget);
        std::fflush(stdout);
    };
    const auto scroll_deadline = clock_type::now() + phase_limit;
    const auto scroll_start = clock_type::now();
    std::size_t pos = 0;
    int steps = 0;
    bool timed_out = false;
    for (;;) {
        if (clock_type::now() > scroll_deadline) {
            timed_out = true;
            break;
        }
        const std::size_t total = expected ? *expected : std::max<std::size_t>(list.size(), 1);
        const std::size_t step = std::max<std::size_t>(vp, total / static_cast<std::size_t>(opt.scroll_steps));
        const std::size_t last = list.size() > vp ? list.size() - vp : 0;
        if (pos >= last && (list.done() || sync->done)) break;
        const std::size_t next = std::min(pos + step, last);
        // Wait for a whole step of rows (or the end): tiny steps would spend the requests the sync needs.
        if (next == pos || (next < pos + step && !list.done() && !sync->done)) {
            co_await sleep_for(std::chrono::milliseconds(10));
            progress("down", pos);
            continue;
        }
        pos = next;
        auto [vec] = co_await list.async_set_viewport(pos, vp, use_tuple);
        if (vec) co_return fail("scrolling (async_set_viewport)", vec);
        ++steps;
        progress("down", pos);
    }
    while (!timed_out && pos > 0) {
        const std::size_t step = std::max<std::size_t>(vp, list.size() / static_cast<std::size_t>(opt.scroll_steps));
        pos = pos > step ? pos - step : 0;
        auto [vec] = co_await list.async_set_viewport(pos, vp, use_tuple);
        if (vec) co_return fail("scrolling (async_set_viewport)", vec);
        ++steps;
        progress("up", pos);
    }
    if (!opt.quiet) std::printf("\n");
    const bool synced = co_await wait_done(*sync, scroll_deadline - clock_type::now());
    rep.sync_done = synced && !sync->ec && list.done();
    if (sync->done && sync->ec) co_return fail("background sync (async_sync_background)", sync->ec);
    {
        const auto lm = list.metrics();
        std::printf("    %zu rows listed, %d viewport steps in %.0f ms; %llu pages (%llu offset, %llu keyset), %llu "
                    "preview calls, %llu viewport watches, %llu stops\n",
                    list.size(), steps, ms_since(scroll_start), static_cast<unsigned long long>(lm.pages),
                    static_cast<unsigned long long>(lm.offset_pages), static_cast<unsigned long long>(lm.keyset_pages),
                    static_cast<unsigned long long>(lm.preview_calls),
                    static_cast<unsigned long long>(lm.viewport_watches),
                    static_cast<unsigned long long>(lm.viewport_stops));
    }
    if (timed_out || !rep.sync_done) {
        stop_receiving();
        std::fprintf(stderr, "streamchat-demo: check failed: the list was not complete within --timeout %d s\n",
                     opt.timeout_s);
        co_return 1;
    }

    // 3) Channel switches: one far from the viewport (cold), one in the overscan (preloaded).
    std::printf("\n[3] channel switch (client::async_watch)\n");
    std::optional<std::size_t> cold_row;
    for (std::size_t i = list.size() / 2; i < list.size() && !cold_row; ++i)
        if (!c.channels().is_materialised(list.cid(i))) cold_row = i;
    if (cold_row) {
        const auto ref = ref_of(list.cid(*cold_row));
        t0 = clock_type::now();
        auto [wec] = co_await c.async_watch(ref, use_tuple);
        rep.switch_cold_ms = ms_since(t0);
        if (wec) co_return fail("cold switch (async_watch)", wec);
        std::printf("    cold       row %6zu  %-28s %8.2f ms\n", *cold_row, list.cid(*cold_row).c_str(), rep.switch_cold_ms);
    }
    if (list.size() > vp) {
        const std::size_t row = vp; // first overscan row below the viewport
        const bool held = c.channels().is_materialised(list.cid(row));
        const auto ref = ref_of(list.cid(row));
        t0 = clock_type::now();
        auto [wec] = co_await c.async_watch(ref, use_tuple);
        const double ms = ms_since(t0);
        if (wec) co_return fail("preloaded switch (async_watch)", wec);
        if (held) rep.switch_preloaded_ms = ms;
        std::printf("    preloaded  row %6zu  %-28s %8.2f ms%s\n", row, list.cid(row).c_str(), ms,
                    held ? "" : " (was not preloaded)");
    }

    // 4) Live: other users' messages arrive in batches and move rows to the top.
    if (opt.live_seconds > 0) {
        std::printf("\n[4] live for %.1f s: client::async_receive -> list.apply(batch)\n", opt.live_seconds);
        const auto m0 = c.metrics();
        const auto l0 = list.metrics();
        const auto posted0 = chat->posted;
        const auto b0 = receiver->batches;
        t0 = clock_type::now();
        const auto live_end = t0 + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.live_seconds));
        while (clock_type::now() < live_end) {
            co_await sleep_for(std::min<clock_type::duration>(std::chrono::milliseconds(250), live_end - clock_type::now()));
            if (opt.quiet) continue;
            const double s = ms_since(t0) / 1000.0;
            std::printf("\r    %4.1f s: %llu events applied (%.1f/s) in %llu batches, %llu rows moved to the top      ", s,
                        static_cast<unsigned long long>(c.metrics().events_applied - m0.events_applied),
                        static_cast<double>(c.metrics().events_applied - m0.events_applied) / s,
                        static_cast<unsigned long long>(receiver->batches - b0),
                        static_cast<unsigned long long>(list.metrics().moved - l0.moved));
            std::fflush(stdout);
        }
        const double secs = ms_since(t0) / 1000.0;
        const auto m1 = c.metrics();
        rep.events_per_s = static_cast<double>(m1.events_applied - m0.events_applied) / secs;
        rep.posted_per_s = static_cast<double>(chat->posted - posted0) / secs;
        rep.events_dropped = m1.events_dropped;
        rep.rows_moved = list.metrics().moved - l0.moved;
        if (!opt.quiet) std::printf("\n");
        std::printf("    %.1f events applied/s (others posted %.1f/s), %llu batches, %llu rows moved to the top\n",
                    rep.events_per_s, rep.posted_per_s, static_cast<unsigned long long>(receiver->batches - b0),
                    static_cast<unsigned long long>(rep.rows_moved));
    }

    // 5) Profiles: the preview authors of every page, through the client's batching cache.
    std::printf("\n[5] profiles per page: client::async_get_profiles(authors of the page's previews)\n");
    const auto page = static_cast<std::size_t>(opt.page_size);
    const auto authors_of = [&](std::size_t first) {
        std::vector<std::string> ids;
        for (std::size_t i = first; i < std::min(first + page, list.size()); ++i)
            if (const auto r = list.row(i); r && !r->last_message_user_id.empty()) {
                std::string id(r->last_message_user_id);
                if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
            }
        return ids;
    };
    const auto fills0 = c.metrics().profile_fills;
    std::size_t pages_with_calls = 0;
    for (std::size_t first = 0; first < list.size(); first += page) {
        auto ids = authors_of(first);
        const auto before = c.metrics().profile_requests;
        auto [pec, found] = co_await c.async_get_profiles(std::move(ids), use_tuple);
        if (pec) co_return fail("profiles (async_get_profiles)", pec);
        const auto calls = c.metrics().profile_requests - before;
        rep.profile_calls_max = std::max(rep.profile_calls_max, calls);
        if (calls > 0) ++pages_with_calls;
        ++rep.profile_pages;
    }
    {
        auto ids = authors_of(0);
        const auto before = c.metrics().profile_requests;
        auto [pec, found] = co_await c.async_get_profiles(std::move(ids), use_tuple);
        if (pec) co_return fail("profiles (async_get_profiles)", pec);
        rep.profile_calls_revisit = c.metrics().profile_requests - before;
    }
    const auto cm = c.metrics();
    std::printf("    %zu pages: at most %llu queryUsers call(s) per page, %zu page(s) needed one; revisiting page 0: "
                "%llu calls\n    (cache: %llu hits, %llu misses; %llu profiles learnt free from channel payloads and "
                "events before this phase, %llu in all)\n",
                rep.profile_pages, static_cast<unsigned long long>(rep.profile_calls_max), pages_with_calls,
                static_cast<unsigned long long>(rep.profile_calls_revisit),
                static_cast<unsigned long long>(cm.profile_hits), static_cast<unsigned long long>(cm.profile_misses),
                static_cast<unsigned long long>(fills0), static_cast<unsigned long long>(cm.profile_fills));

    // 6) The report.
    chat->stop = true;
    co_await wait_done(*chat, std::chrono::seconds(10));
    stop_receiving();
    const auto snap = c.metrics_snapshot();
    std::unordered_set<std::string_view> distinct;
    for (std::size_t i = 0; i < list.size(); ++i) distinct.insert(list.cid(i));
    rep.channels_listed = list.size();
    rep.channels_distinct = distinct.size();
    rep.watched_max = snap.client.watched_max;
    rep.watch_budget = snap.watch_budget;
    rep.websockets_max = snap.client.websockets_open_max;
    rep.rss_mb = snap.rss_samples.empty() ? 0.0 : static_cast<double>(snap.rss_samples.back().bytes) / (1024.0 * 1024.0);
    rep.metrics_json = to_json(snap);
    if (chat->posted + chat->failed > 0)
        std::printf("\n    other users posted %llu messages (%llu failed)\n", static_cast<unsigned long long>(chat->posted),
                    static_cast<unsigned long long>(chat->failed));
    print_report(rep);

    int status = 0;
    const auto check = [&](bool ok, const char* what) {
        if (ok) return;
        std::fflush(stdout);
        std::fprintf(stderr, "streamchat-demo: check failed: %s\n", what);
        status = 1;
    };
    check(rep.channels_distinct == rep.channels_listed, "a channel was listed twice");
    check(!expected || rep.channels_listed == *expected, "the list does not hold every seeded channel");
    check(rep.watched_max <= rep.watch_budget, "more channels watched at once than the budget");
    check(rep.websockets_max == 1, "more than one WebSocket open at once");
    check(rep.profile_calls_revisit == 0, "revisiting a page asked the server for profiles again");
    c.rest().shutdown();
    co_return status;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    CLI::App app{"streamchat-demo: the SDK's components at scale, with measured figures. Without --base-url it "
                 "starts an in-process emulator on 127.0.0.1, seeds it and lets other users chat. Exit status: 0 "
                 "on success, 1 when a call fails or a check does not hold, 2 on bad flags.",
                 "streamchat-demo"};
    app.option_defaults()->always_capture_default();
    auto* base_url = app.add_option("--base-url", opt.base_url,
                                    "Stream-compatible server, e.g. http://127.0.0.1:3031; absent: an in-process "
                                    "emulator on 127.0.0.1 (free port), seeded by --channels/--messages");
    app.add_option("--api-key", opt.api_key, "API key (default: the emulator's)");
    auto* secret = app.add_option("--api-secret", opt.api_secret,
                                  "Secret that signs user tokens: the user's (unless --token) and, against "
                                  "--base-url, the other users' who chat (no chatter without it there)");
    app.add_option("--token", opt.token, "The user's token (JWT); default: signed with --api-secret");
    app.add_option("--user", opt.user, "The user whose channels are listed (and seeded)")
        ->check([](const std::string& s) { return s.empty() ? std::string("must not be empty") : std::string(); });
    app.add_option("--channels", opt.channels, "Seeded channels of --user (in-process emulator only)")
        ->check(CLI::Range(1, 1000000))
        ->excludes(base_url);
    app.add_option("--messages", opt.messages,
                   "Seeded messages per channel (in-process emulator only; >= 1 so every channel has a "
                   "last_message_at to page on)")
        ->check(CLI::Range(1, 1000))
        ->excludes(base_url);
    app.add_option("--page-size", opt.page_size, "Channels per queryChannels page (1..30, Stream's cap)")
        ->check(CLI::Range(1, 30));
    app.add_option("--live-seconds,--duration", opt.live_seconds,
                   "Seconds of the live phase (batches applied to the list); 0 skips it")
        ->check(CLI::Range(0.0, 600.0));
    app.add_option("--post-rate", opt.post_rate, "Messages per second the other users post; 0: nobody chats")
        ->check(CLI::Range(0.0, 1000.0));
    app.add_option("--posters", opt.posters, "How many other users chat")->check(CLI::Range(1, 100));
    app.add_option("--scroll-steps", opt.scroll_steps, "Viewport steps from the top to the end of the list")
        ->check(CLI::Range(1, 100000));
    app.add_option("--timeout", opt.timeout_s, "Seconds the background sync and scrolling may take at most")
        ->check(CLI::Range(1, 3600));
    app.add_option("--json", opt.json_path, "Write the final report to this file as JSON");
    app.add_flag("--quiet", opt.quiet, "No updating progress lines");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e); // --help
        app.exit(e);
        return 2;
    }
    opt.can_post = !opt.base_url || secret->count() > 0;

    try {
        asio::io_context ioc;
        std::unique_ptr<emulator> emu;
        std::optional<std::size_t> expected;
        client_config cfg;
        cfg.api_key = opt.api_key;
        cfg.user_id = opt.user;
        // A real application gets its token from its backend; signing here keeps the demo self-contained.
        cfg.token = opt.token ? *opt.token : make_user_token(opt.api_secret, opt.user);

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
            std::printf("streamchat-demo: in-process emulator at %s (SQLite in memory) seeded with %d channels for "
                        "%s, %d messages each, %d other users, in %.0f ms\n",
                        cfg.base_url.c_str(), opt.channels, opt.user.c_str(), opt.messages, opt.seed_users, start_ms);
            std::printf("  client and emulator share this one thread over loopback; %s\n", build);
        }

        report rep;
        rep.emulator_in_process = emu != nullptr;
        int status = 1;
        asio::co_spawn(ioc, run_demo(opt, cfg, expected, rep), [&](std::exception_ptr ep, int rc) {
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
        if (!opt.json_path.empty() && rep.channels_listed > 0) {
            if (!write_json(rep, opt.json_path)) {
                std::fprintf(stderr, "streamchat-demo: cannot write %s\n", opt.json_path.c_str());
                return 1;
            }
            std::printf("\nreport written to %s\n", opt.json_path.c_str());
        }
        return status;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "streamchat-demo: unexpected exception: %s\n", e.what());
        return 1;
    }
}
