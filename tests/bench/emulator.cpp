// The emulator under load, side by side in one run:
//  - queryChannels pages (30 channels, message_limit 1, state, no watch) for a member of 5,000
//    seeded channels, sorted by last_message_at descending: (a) the first page, (b) a deep page at
//    offset 990, (c) the same depth reached by keyset paging (last_message_at < the 990th
//    channel's value, offset 0). Through the SDK's rest_client over loopback HTTP, and, for
//    comparison, the same request body straight into the handlers (emu::handle: no HTTP, no
//    client, no auth; the SQLite store plus writing the JSON body) on a second, identically
//    seeded store. The first page also runs the previous way (handler_only/first_page_per_channel,
//    support/emulator_reference: queries per channel, rows → SDK model → JSON DOM → text), so
//    the gain is measured in the same run. Pages are reported as pages/s.
//  - sendMessage through the handlers (emu::handle, sans-io hub whose senders count bytes): 5,000
//    users online, each a member of 5 channels it watches; every send reaches 5 connections.
//    Reported as sends/s (items), frames/s and bytes/frame; it fails when the watchers did not get
//    5 frames per send, or when a checked send's frames are not message.new with each member's
//    unread totals as the store counts them.
//  - WebSocket fan-out: N = 1, 5, 10, 100 watchers (distinct users, one /connect WebSocket each,
//    watching one livestream channel), one sender posting messages one after the other with
//    rest_client; counted until every watcher received every message.new.
// Client, server and the io_context all run in the benchmark thread, so every figure is the cost
// of client and server together on one core. Prints items/s (pages, events), then the ratios.

#include "ratio_report.hpp"

#include "support/emulator_reference.hpp"

#include "emulator/api.hpp"
#include "emulator/hub.hpp"
#include "emulator/store/store.hpp"
#include "wire/url.hpp"

#include <streamchat/emulator.hpp>
#include <streamchat/rest_client.hpp>
#include <streamchat/timestamp.hpp>
#include <streamchat/token.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
namespace emu = streamchat::emu;
using tcp = asio::ip::tcp;
using streamchat::error_code;

constexpr int page_size = 30;
constexpr int deep_offset = 990;
const std::string bench_user = "bench-user";
/// A step that takes longer than this is reported as an error instead of hanging the run.
constexpr auto step_deadline = std::chrono::seconds(10);

streamchat::emulator_config bench_config()
{
    streamchat::emulator_config cfg;
    cfg.seed.users = 50;
    cfg.seed.channels = 5000;
    cfg.seed.messages_per_channel = 5;
    cfg.seed.for_user = bench_user;
    return cfg;
}

/// Runs `ioc` until `done` or the deadline; false on timeout.
template <class Pred>
bool run_until(asio::io_context& ioc, Pred done, std::chrono::steady_clock::duration limit = step_deadline)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        ioc.run_one_for(deadline - now);
    }
    return true;
}

/// The one io_context, emulator and (lazily) the handler-level store every benchmark shares.
struct world {
    asio::io_context ioc;
    std::optional<streamchat::emulator> emu;
    std::string setup_error;
    std::optional<streamchat::timestamp> keyset_bound; ///< last_message_at of the channel at offset 989.
    std::string deep_first_cid;                         ///< First cid of the offset-990 page.
    double seed_seconds = 0;

    streamchat::client_config client(const std::string& user) const
    {
        streamchat::client_config c;
        c.base_url = emu->base_url();
        c.api_key = emu->config().api_key;
        c.user_id = user;
        c.token = streamchat::make_user_token(emu->config().api_secret, user);
        c.http.max_retries = 0; // a failure must show, not be papered over by a retry
        return c;
    }
};

world& the_world()
{
    static world w;
    return w;
}

// ------------------------------------------------------------------ queryChannels

enum class page_kind { first, deep, keyset };

const char* page_name(page_kind k)
{
    switch (k) {
    case page_kind::first: return "query_channels/first_page";
    case page_kind::deep: return "query_channels/offset_990";
    case page_kind::keyset: return "query_channels/keyset_990";
    }
    return "?";
}

const char* handler_page_name(page_kind k)
{
    switch (k) {
    case page_kind::first: return "handler_only/first_page";
    case page_kind::deep: return "handler_only/offset_990";
    case page_kind::keyset: return "handler_only/keyset_990";
    }
    return "?";
}

const char* const per_channel_page_name = "handler_only/first_page_per_channel";

streamchat::query_channels_request page_request(page_kind k, const world& w)
{
    streamchat::query_channels_request req;
    req.filter_conditions = streamchat::filter::members_in(std::vector<std::string>{bench_user});
    if (k == page_kind::keyset && w.keyset_bound)
        req.filter_conditions = std::move(req.filter_conditions) && streamchat::filter::lt("last_message_at", *w.keyset_bound);
    req.sort = streamchat::sort::by("last_message_at", streamchat::sort_direction::descending);
    req.limit = page_size;
    req.offset = k == page_kind::deep ? deep_offset : 0;
    req.message_limit = 1;
    req.state = true;
    req.watch = false;
    return req;
}

/// One page through the client; nullopt + `why` on failure. The handler's state is shared, so a
/// late completion after a timeout writes into live memory.
std::optional<streamchat::query_channels_response> fetch(world& w, streamchat::rest_client& c,
                                                         streamchat::query_channels_request req, std::string& why)
{
    struct result {
        bool done = false;
        error_code err;
        streamchat::diagnostics diag;
        streamchat::query_channels_response page;
    };
    auto r = std::make_shared<result>();
    c.async_query_channels(std::move(req), r->diag, [r](error_code ec, streamchat::query_channels_response page) {
        r->done = true;
        r->err = ec;
        r->page = std::move(page);
    });
    if (!run_until(w.ioc, [&] { return r->done; })) {
        why = "queryChannels did not complete within the deadline";
        return std::nullopt;
    }
    if (r->err) {
        why = "queryChannels failed: " + r->err.message() + " " + r->diag.client_message;
        return std::nullopt;
    }
    return std::move(r->page);
}

void bm_query_channels(benchmark::State& st, page_kind k)
{
    world& w = the_world();
    if (!w.setup_error.empty()) {
        st.SkipWithError(w.setup_error.c_str());
        return;
    }
    streamchat::rest_client client(w.ioc.get_executor(), w.client(bench_user));
    const auto req = page_request(k, w);
    std::string why;
    if (!fetch(w, client, req, why)) { // warm-up: opens the keep-alive connection
        st.SkipWithError(why.c_str());
        return;
    }
    long channels = 0;
    for (auto _ : st) {
        auto page = fetch(w, client, req, why);
        if (!page) {
            st.SkipWithError(why.c_str());
            break;
        }
        if (page->channels.size() != page_size) {
            st.SkipWithError(("a page held " + std::to_string(page->channels.size()) + " channels").c_str());
            break;
        }
        channels += static_cast<long>(page->channels.size());
    }
    st.SetItemsProcessed(static_cast<long>(st.iterations()));
    st.counters["pages/s"] = benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
    st.counters["channels/s"] = benchmark::Counter(static_cast<double>(channels), benchmark::Counter::kIsRate);
    client.shutdown();
    w.ioc.poll();
}

/// The same pages without HTTP: the request body the SDK sends, straight into emu::handle().
struct handler_world {
    streamchat::emulator_config cfg = bench_config();
    std::unique_ptr<emu::store> db;
    emu::hub realtime;
    std::optional<emu::context> ctx;
    std::string error;
};

handler_world& the_handler_world()
{
    static handler_world h = [] {
        handler_world out;
        out.db = emu::open_store(out.cfg, out.error);
        if (out.db && !emu::seed_store(*out.db, out.cfg.seed, out.error)) out.db.reset();
        return out;
    }();
    if (h.db && !h.ctx) h.ctx.emplace(emu::context{*h.db, h.realtime, h.cfg});
    return h;
}

std::string request_body(const streamchat::query_channels_request& r)
{
    return R"({"filter_conditions":)" + r.filter_conditions.to_json() + R"(,"sort":)" + r.sort.to_json() +
           R"(,"limit":)" + std::to_string(*r.limit) + R"(,"offset":)" + std::to_string(*r.offset) +
           R"(,"message_limit":)" + std::to_string(*r.message_limit) + R"(,"state":true,"watch":false,"presence":false})";
}

/// "" when `body` is a page of `page_size` channels, else what is wrong.
std::string check_page(int status, const std::string& body)
{
    if (status / 100 != 2) return "handler answered " + std::to_string(status) + ": " + body.substr(0, 300);
    json::error_code ec;
    const json::value v = json::parse(body, ec);
    const json::value* channels = ec || !v.is_object() ? nullptr : v.get_object().if_contains("channels");
    if (!channels || !channels->is_array()) return "not a page of channels: " + body.substr(0, 300);
    if (channels->get_array().size() != page_size)
        return "a page held " + std::to_string(channels->get_array().size()) + " channels";
    return {};
}

/// The handlers answer `k` (or, with `per_channel`, the reference renders the first page the
/// previous way); the body text, what goes on the wire, is part of the work.
void bm_handler(benchmark::State& st, page_kind k, bool per_channel)
{
    handler_world& h = the_handler_world();
    if (!h.db) {
        st.SkipWithError(("handler store: " + h.error).c_str());
        return;
    }
    // Without the bound from the set-up the keyset request would be a plain first page.
    if (k == page_kind::keyset && (!the_world().keyset_bound || !the_world().setup_error.empty())) {
        st.SkipWithError(("keyset set-up failed: " + the_world().setup_error).c_str());
        return;
    }
    emu::api_request req;
    req.method = "POST";
    req.path = "/channels";
    req.body = request_body(page_request(k, the_world()));
    req.who.user_id = bench_user;
    auto answer = [&](std::string& body) {
        req.now = std::chrono::system_clock::now();
        emu::api_response res = per_channel ? emu::reference::query_channels(req, *h.ctx) : emu::handle(req, *h.ctx);
        const int status = res.status;
        body = emu::body_text(std::move(res));
        return status;
    };
    std::string body;
    // Checked outside the timed loop: parsing a page costs as much as answering it.
    if (auto why = check_page(answer(body), body); !why.empty()) {
        st.SkipWithError(why.c_str());
        return;
    }
    int status = 0;
    for (auto _ : st) {
        status = answer(body);
        benchmark::DoNotOptimize(body.data());
    }
    if (auto why = check_page(status, body); !why.empty()) st.SkipWithError(why.c_str());
    st.SetItemsProcessed(static_cast<long>(st.iterations()));
    st.counters["pages/s"] = benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
    st.counters["channels/s"] =
        benchmark::Counter(static_cast<double>(st.iterations() * page_size), benchmark::Counter::kIsRate);
}

// ------------------------------------------------------------------ sending, handlers only

// POST /channels/{type}/{id}/message straight into emu::handle() with the realtime fan-out of a
// load test: 5,000 users, each online (one connection) and a member of 5 of the 5,000 channels,
// all of which it watches. Senders only count frames and bytes, so the figure is the data plane's
// cost per message: validation, the writes, rendering the event and fanning it out.
constexpr int send_users = 5000;
constexpr int send_channels = 5000;
constexpr int send_members = 5;

struct send_world {
    streamchat::emulator_config cfg;
    std::unique_ptr<emu::store> db;
    emu::hub realtime;
    std::optional<emu::context> ctx;
    std::vector<std::vector<std::string>> members; ///< user ids of each channel's members
    long frames = 0;
    std::size_t bytes = 0;
    std::vector<std::string> last_frame; ///< per user: the newest frame, when `keep` is set
    bool keep = false;
    long next_id = 0;
    std::string error;
};

std::string send_user(int i) { return "load-" + std::to_string(i); }
std::string send_channel(int i) { return "load-" + std::to_string(i); }

send_world& the_send_world()
{
    static send_world w = [] {
        send_world out;
        out.cfg.db_path = ":memory:";
        out.db = emu::open_store(out.cfg, out.error);
        if (!out.db) return out;
        try {
            emu::store::transaction tx(*out.db);
            const emu::nanos t0 = 1'735'689'600LL * 1'000'000'000LL; // 2025-01-01
            for (int u = 0; u < send_users; ++u) {
                emu::user_row row;
                row.id = send_user(u);
                row.name = "Load user " + std::to_string(u);
                row.created_at = row.updated_at = t0;
                out.db->put_user(row);
            }
            out.members.resize(send_channels);
            for (int c = 0; c < send_channels; ++c) {
                emu::channel_row ch;
                ch.type = "messaging";
                ch.id = send_channel(c);
                ch.cid = "messaging:" + ch.id;
                ch.created_by_id = send_user(c % send_users);
                ch.created_at = ch.updated_at = t0 + c;
                out.db->insert_channel(ch);
                // Members c, c + 1000, …: distinct, and every user ends up in 5 channels.
                for (int k = 0; k < send_members; ++k) {
                    emu::member_row m;
                    m.cid = ch.cid;
                    m.user_id = send_user((c + k * (send_users / send_members)) % send_users);
                    m.created_at = m.updated_at = t0 + c;
                    out.db->add_member(m);
                    out.members[static_cast<std::size_t>(c)].push_back(m.user_id);
                }
            }
            tx.commit();
        } catch (const std::exception& e) {
            out.error = std::string("seeding: ") + e.what();
            out.db.reset();
        }
        return out;
    }();
    if (w.db && !w.ctx) {
        w.ctx.emplace(emu::context{*w.db, w.realtime, w.cfg});
        w.last_frame.resize(send_users);
        std::vector<std::string> conn(send_users);
        for (int u = 0; u < send_users; ++u)
            conn[static_cast<std::size_t>(u)] =
                w.realtime.add_connection(send_user(u), [self = &w, u](std::shared_ptr<const std::string> f) {
                    ++self->frames;
                    self->bytes += f->size();
                    if (self->keep) self->last_frame[static_cast<std::size_t>(u)] = *f;
                });
        for (int c = 0; c < send_channels; ++c)
            for (int k = 0; k < send_members; ++k)
                w.realtime.watch(conn[static_cast<std::size_t>((c + k * (send_users / send_members)) % send_users)],
                                 "messaging:" + send_channel(c));
    }
    return w;
}

/// Posts message `n` (channel n mod 5,000, authors in turn); the status, and the body on failure.
int post_one(send_world& w, long n, std::string* body = nullptr)
{
    const auto c = static_cast<std::size_t>(n % send_channels);
    const auto& members = w.members[c];
    emu::api_request req;
    req.method = "POST";
    req.path = "/channels/messaging/" + send_channel(static_cast<int>(c)) + "/message";
    const long id = ++w.next_id;
    req.body = R"({"message":{"id":"bench-msg-)" + std::to_string(id) + R"(","text":"load test message )" +
               std::to_string(id) + R"("}})";
    req.who.user_id = members[static_cast<std::size_t>(n / send_channels) % members.size()];
    req.now = std::chrono::system_clock::now();
    emu::api_response res = emu::handle(req, *w.ctx);
    const int status = res.status;
    if (body) *body = emu::body_text(std::move(res));
    return status;
}

/// "" when one send reached each member's connection as a message.new with the member's unread
/// totals as the store counts them; else what is wrong. Outside the timed loop.
std::string check_send(send_world& w, long n)
{
    const auto c = static_cast<std::size_t>(n % send_channels);
    w.keep = true;
    for (auto& f : w.last_frame) f.clear();
    const long frames_before = w.frames;
    std::string body;
    const int status = post_one(w, n, &body);
    w.keep = false;
    if (status != 201) return "send answered " + std::to_string(status) + ": " + body.substr(0, 300);
    if (w.frames - frames_before != send_members)
        return "one send gave " + std::to_string(w.frames - frames_before) + " frames for " +
               std::to_string(send_members) + " watchers";
    json::error_code ec;
    const json::value answer = json::parse(body, ec);
    if (ec || !answer.is_object() || !answer.get_object().contains("message")) return "bad answer: " + body.substr(0, 300);
    for (const auto& user : w.members[c]) {
        const int u = std::stoi(user.substr(5));
        const std::string& text = w.last_frame[static_cast<std::size_t>(u)];
        const json::value v = json::parse(text, ec);
        if (ec || !v.is_object()) return user + " got invalid JSON: " + text.substr(0, 300);
        const auto& ev = v.get_object();
        if (!ev.contains("type") || ev.at("type") != "message.new") return user + " got " + text.substr(0, 200);
        if (!ev.contains("message") || ev.at("message").at("id") != answer.at("message").at("id"))
            return user + "'s message.new carries another message";
        auto s = w.db->use("SELECT COALESCE(SUM(unread_messages), 0), COALESCE(SUM(unread_messages > 0), 0) "
                           "FROM members WHERE user_id = ?1");
        s->bind(1, user);
        s->step();
        if (!ev.contains("total_unread_count") || ev.at("total_unread_count") != s->int64(0) ||
            !ev.contains("unread_count") || ev.at("unread_count") != s->int64(0) || !ev.contains("unread_channels") ||
            ev.at("unread_channels") != s->int64(1))
            return user + "'s unread totals differ from the store's: " + text.substr(text.size() > 200 ? text.size() - 200 : 0);
    }
    return {};
}

void bm_send_handler(benchmark::State& st)
{
    send_world& w = the_send_world();
    if (!w.db) {
        st.SkipWithError(("send store: " + w.error).c_str());
        return;
    }
    static long n = 0;
    if (auto why = check_send(w, n++); !why.empty()) {
        st.SkipWithError(why.c_str());
        return;
    }
    const long frames_before = w.frames;
    const std::size_t bytes_before = w.bytes;
    long sends = 0;
    for (auto _ : st) {
        if (const int status = post_one(w, n++); status != 201) {
            std::string body;
            post_one(w, n++, &body);
            st.SkipWithError(("send answered " + std::to_string(status) + ": " + body.substr(0, 300)).c_str());
            return;
        }
        ++sends;
    }
    const long frames = w.frames - frames_before;
    if (frames != sends * send_members) {
        st.SkipWithError(("watchers received " + std::to_string(frames) + " frames for " + std::to_string(sends) +
                          " sends (" + std::to_string(send_members) + " each)").c_str());
        return;
    }
    st.SetItemsProcessed(sends);
    st.counters["sends/s"] = benchmark::Counter(static_cast<double>(sends), benchmark::Counter::kIsRate);
    st.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
    st.counters["bytes/frame"] = frames ? static_cast<double>(w.bytes - bytes_before) / static_cast<double>(frames) : 0;
}

const char* const send_handler_name = "handler_only/send_message_5_watchers";

// ------------------------------------------------------------------ WebSocket fan-out

/// One watcher: a /connect WebSocket that counts the message.new frames it receives.
struct watcher : std::enable_shared_from_this<watcher> {
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
    std::string connection_id;
    long message_new = 0;
    bool reading = false;
    std::string error;

    explicit watcher(asio::any_io_executor ex) : ws(std::move(ex)) {}

    void read_loop()
    {
        reading = true;
        buffer.clear();
        ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->reading = false;
                if (ec != websocket::error::closed && ec != asio::error::operation_aborted) self->error = ec.message();
                return;
            }
            // A client would parse the frame; the count only needs its type, which the emulator
            // writes as `"type":"message.new"` (the message's own type is "regular").
            const auto data = buffer_view(self->buffer);
            if (data.find(R"("type":"message.new")") != std::string_view::npos) ++self->message_new;
            self->read_loop();
        });
    }

    static std::string_view buffer_view(const beast::flat_buffer& b)
    {
        const auto d = b.data();
        return {static_cast<const char*>(d.data()), d.size()};
    }
};

std::string connect_target(const world& w, const std::string& user)
{
    const json::object payload{{"user_id", user}, {"user_details", json::object{{"id", user}, {"name", user}}}};
    return "/connect?json=" + streamchat::detail::percent_encode(json::serialize(payload)) +
           "&api_key=" + streamchat::detail::percent_encode(w.emu->config().api_key) + "&authorization=" +
           streamchat::detail::percent_encode(streamchat::make_user_token(w.emu->config().api_secret, user)) +
           "&stream-auth-type=jwt";
}

/// Connects, reads the first health.check (connection id), then watches `channel` through rest_client.
asio::awaitable<void> open_watcher(world& w, std::shared_ptr<watcher> me, std::string user, std::string channel)
{
    co_await beast::get_lowest_layer(me->ws).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), w.emu->port()), asio::use_awaitable);
    co_await me->ws.async_handshake("127.0.0.1:" + std::to_string(w.emu->port()), connect_target(w, user),
                                    asio::use_awaitable);
    co_await me->ws.async_read(me->buffer, asio::use_awaitable);
    const json::value first = json::parse(watcher::buffer_view(me->buffer));
    me->connection_id = std::string(first.at("connection_id").as_string());

    streamchat::rest_client client(w.ioc.get_executor(), w.client(user));
    client.set_connection_id(me->connection_id);
    streamchat::query_channel_request q;
    q.type = "livestream";
    q.id = channel;
    q.watch = true;
    q.messages = streamchat::message_pagination{.limit = 0};
    streamchat::diagnostics diag;
    auto [ec, state] = co_await client.async_query_channel(q, diag, asio::as_tuple(asio::use_awaitable));
    client.shutdown();
    if (ec) throw std::runtime_error("watch failed for " + user + ": " + ec.message() + " " + diag.client_message);
    me->read_loop();
}

void bm_fanout(benchmark::State& st, int watchers)
{
    world& w = the_world();
    if (!w.setup_error.empty()) {
        st.SkipWithError(w.setup_error.c_str());
        return;
    }
    static int run_id = 0;
    const std::string channel = "fanout-" + std::to_string(watchers) + "-" + std::to_string(++run_id);

    std::vector<std::shared_ptr<watcher>> ws;
    int opened = 0;
    std::string open_error;
    for (int i = 0; i < watchers; ++i) {
        auto me = std::make_shared<watcher>(w.ioc.get_executor());
        ws.push_back(me);
        asio::co_spawn(w.ioc, open_watcher(w, me, "watcher-" + std::to_string(i), channel),
                       [&](std::exception_ptr ep) {
                           ++opened;
                           if (!ep || !open_error.empty()) return;
                           try {
                               std::rethrow_exception(ep);
                           } catch (const std::exception& e) {
                               open_error = e.what();
                           }
                       });
    }
    if (!run_until(w.ioc, [&] { return opened == watchers; }) || !open_error.empty()) {
        st.SkipWithError(open_error.empty() ? "watchers did not connect within the deadline" : open_error.c_str());
        return;
    }

    streamchat::rest_client sender(w.ioc.get_executor(), w.client("fan-sender"));
    long sent = 0, acked = 0, target = 0;
    std::string send_error;
    std::function<void()> send_next = [&] {
        ++sent;
        streamchat::send_message_request m;
        m.type = "livestream";
        m.id = channel;
        m.message.text = "fan-out " + std::to_string(sent);
        sender.async_send_message(std::move(m), [&](error_code ec, streamchat::message_response) {
            ++acked;
            if (ec && send_error.empty()) send_error = "send failed: " + ec.message();
            if (sent < target) send_next();
        });
    };
    auto batch_done = [&] {
        if (acked < target || !send_error.empty()) return !send_error.empty();
        for (const auto& x : ws)
            if (x->message_new < target) return false;
        return true;
    };
    // Messages per timed batch: the sender waits for each answer before posting the next one.
    const long batch = 32;
    auto run_batch = [&]() -> bool {
        target += batch;
        send_next();
        if (!run_until(w.ioc, batch_done)) send_error = "a batch was not delivered within the deadline";
        return send_error.empty();
    };
    if (!run_batch()) { // warm-up: the sender's connection, the channel's first messages
        st.SkipWithError(send_error.c_str());
    } else {
        const long before = target;
        while (st.KeepRunningBatch(batch)) {
            if (!run_batch()) {
                st.SkipWithError(send_error.c_str());
                break;
            }
        }
        const long messages = target - before;
        for (const auto& x : ws)
            if (x->message_new != target) {
                st.SkipWithError(("a watcher got " + std::to_string(x->message_new) + " message.new for " +
                                  std::to_string(target) + " messages").c_str());
                break;
            }
        st.SetItemsProcessed(messages * watchers); // delivered message.new events, summed over watchers
        st.counters["messages/s"] = benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
    }

    sender.shutdown(); // fails what is still pending; wait for those handlers (they use this frame)
    target = sent;
    run_until(w.ioc, [&] { return acked == sent; }, std::chrono::seconds(2));
    for (const auto& x : ws)
        x->ws.async_close(websocket::close_code::normal, [x](beast::error_code) {});
    run_until(w.ioc, [&] {
        for (const auto& x : ws)
            if (x->reading) return false;
        return true;
    }, std::chrono::seconds(2));
    for (const auto& x : ws) {
        beast::error_code ignored;
        beast::get_lowest_layer(x->ws).socket().close(ignored);
    }
    w.ioc.poll();
}

// ------------------------------------------------------------------ setup

void set_up(world& w)
{
    const auto t0 = std::chrono::steady_clock::now();
    w.emu.emplace(w.ioc.get_executor(), bench_config());
    std::string why;
    if (auto ec = w.emu->start(&why)) {
        w.setup_error = "emulator start failed: " + ec.message() + " " + why;
        return;
    }
    w.seed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The keyset bound: last_message_at of the channel at position 989 (0-based) in this order,
    // so "last_message_at < bound" starts at position 990 like the offset page (unless times
    // tie); the check below reports how the two pages line up.
    streamchat::rest_client c(w.ioc.get_executor(), w.client(bench_user));
    auto probe = page_request(page_kind::first, w);
    probe.limit = 1;
    probe.offset = deep_offset - 1;
    auto row = fetch(w, c, probe, why);
    if (!row || row->channels.empty() || !row->channels[0].channel.last_message_at) {
        w.setup_error = "keyset probe failed: " + why;
        return;
    }
    w.keyset_bound = *row->channels[0].channel.last_message_at;
    auto deep = fetch(w, c, page_request(page_kind::deep, w), why);
    auto keyset = fetch(w, c, page_request(page_kind::keyset, w), why);
    c.shutdown();
    w.ioc.poll();
    if (!deep || !keyset || deep->channels.empty() || keyset->channels.empty()) {
        w.setup_error = "deep/keyset probe failed: " + why;
        return;
    }
    int same = 0;
    for (std::size_t i = 0; i < deep->channels.size() && i < keyset->channels.size(); ++i)
        same += deep->channels[i].channel.cid == keyset->channels[i].channel.cid;
    // The keyset case measures the same page as the offset case, or the comparison means nothing.
    if (static_cast<std::size_t>(same) != deep->channels.size() || keyset->channels.size() != deep->channels.size())
        w.setup_error = "the keyset page equals the offset-990 page in only " + std::to_string(same) + " of " +
                        std::to_string(deep->channels.size()) + " positions";
    std::printf("emulator: 5,000 channels x 5 messages, member bench-user, seeded and started in %.2f s\n"
                "keyset bound last_message_at < %s; keyset page = offset-990 page in %d of %zu positions\n"
                "client, server and io_context share the benchmark thread (one core does both sides)\n\n",
                w.seed_seconds, streamchat::format_timestamp(*w.keyset_bound).c_str(), same, deep->channels.size());
}

} // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    world& w = the_world();
    set_up(w);
    if (!w.setup_error.empty()) std::fprintf(stderr, "setup: %s\n", w.setup_error.c_str());

    for (page_kind k : {page_kind::first, page_kind::deep, page_kind::keyset})
        benchmark::RegisterBenchmark(page_name(k), bm_query_channels, k)
            ->MinTime(0.5)->UseRealTime()->Unit(benchmark::kMicrosecond);
    for (page_kind k : {page_kind::first, page_kind::deep, page_kind::keyset})
        benchmark::RegisterBenchmark(handler_page_name(k), bm_handler, k, false)
            ->MinTime(0.5)->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(per_channel_page_name, bm_handler, page_kind::first, true)
        ->MinTime(0.5)->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(send_handler_name, bm_send_handler)
        ->MinTime(1.0)->UseRealTime()->Unit(benchmark::kMicrosecond);
    const int fanouts[] = {1, 5, 10, 100};
    for (int n : fanouts)
        benchmark::RegisterBenchmark(("ws_fanout/watchers:" + std::to_string(n)).c_str(), bm_fanout, n)
            ->MinTime(0.5)->UseRealTime()->Unit(benchmark::kMicrosecond);

    streamchat::bench::ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    std::printf("\nqueryChannels, message_limit 1, 30 channels, member of 5,000 channels (first page):\n");
    const auto rate_line = [&](const char* what, const std::string& name, const char* unit) {
        if (const double r = reporter.rate(name); r > 0) std::printf("  %-52s %8.0f %s\n", what, r, unit);
        else std::printf("  %-52s      n/a (%s did not run)\n", what, name.c_str());
    };
    const auto pages = [&](const char* what, const std::string& name) { rate_line(what, name, "pages/s"); };
    pages("SDK rest_client over loopback HTTP, both sides:", page_name(page_kind::first));
    pages("handlers only (emu::handle + body text):", handler_page_name(page_kind::first));
    pages("handlers only, previous per-channel model path:", per_channel_page_name);

    std::printf("\nsendMessage, %d watchers each (%d users online, %d channels):\n", send_members, send_users,
                send_channels);
    rate_line("handlers only (emu::handle + fan-out):", send_handler_name, "sends/s");
    if (const double r = reporter.rate("ws_fanout/watchers:5"); r > 0)
        std::printf("  %-52s %8.0f sends/s\n", "SDK rest_client + 5 WebSockets over loopback:", r / 5);

    // The README's emulator tables, for make bench's closing table.
    const auto page_label = [](page_kind k) {
        return k == page_kind::first ? "first page" : k == page_kind::deep ? "offset 990" : "keyset page at depth 990";
    };
    for (page_kind k : {page_kind::first, page_kind::deep, page_kind::keyset}) {
        reporter.record_rate(std::string("queryChannels over HTTP (both sides): ") + page_label(k), page_name(k), "pages/s");
        reporter.record_rate(std::string("queryChannels, handlers alone: ") + page_label(k), handler_page_name(k),
                             "pages/s");
    }
    reporter.record_rate("queryChannels, handlers alone: first page, per-channel model path", per_channel_page_name,
                         "pages/s");
    reporter.record_rate("sendMessage, handlers alone (5 watchers)", send_handler_name, "sends/s");
    for (int n : {1, 5, 10, 100})
        reporter.record_rate("WebSocket fan-out, " + std::to_string(n) + (n == 1 ? " watcher" : " watchers"),
                             "ws_fanout/watchers:" + std::to_string(n), "events/s");
    if (w.seed_seconds > 0)
        streamchat::bench::record({.name = "seed 5,000 channels and start", .value = w.seed_seconds, .unit = "s"});

    std::printf("\nratios (same run, pages/s or events/s):\n");
    reporter.print_ratio("handlers alone: batched page text is ", " the rate of the per-channel model path",
                         handler_page_name(page_kind::first), per_channel_page_name);
    reporter.print_ratio("queryChannels: the first page is ", " the rate of the offset-990 page",
                         page_name(page_kind::first), page_name(page_kind::deep));
    reporter.print_ratio("queryChannels: keyset paging to depth 990 is ", " the rate of offset 990",
                         page_name(page_kind::keyset), page_name(page_kind::deep));
    reporter.print_ratio("handlers alone (no HTTP): the first page is ", " the rate of offset 990",
                         handler_page_name(page_kind::first), handler_page_name(page_kind::deep));
    reporter.print_ratio("handlers alone (no HTTP): keyset is ", " the rate of offset 990",
                         handler_page_name(page_kind::keyset), handler_page_name(page_kind::deep));
    reporter.print_ratio("WebSocket fan-out: 100 watchers deliver ", " the events/s of 1 watcher",
                         "ws_fanout/watchers:100", "ws_fanout/watchers:1");

    if (w.emu) w.emu->stop();
    w.ioc.poll();
    if (!w.setup_error.empty()) {
        std::fprintf(stderr, "FAILED setup: %s\n", w.setup_error.c_str());
        return 1;
    }
    return reporter.exit_code();
}
