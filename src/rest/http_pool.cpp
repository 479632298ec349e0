#include "util/fifo.hpp"
#include "rest/http_pool.hpp"

#include "net/connector.hpp"
#include "rest/retry_policy.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>
#include <random>
#include <unordered_set>
#include <vector>

namespace streamchat::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using handler_type = asio::any_completion_handler<void(error_code, http_response)>;
using result_type = std::pair<error_code, http_response>;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// One pooled connection. Shared between the pool (idle list) and the request using it, so that
/// closing it from a cancellation or shutdown never leaves a dangling stream.
struct connection {
    explicit connection(const asio::any_io_executor& ex) : parts(ex), idle_timer(ex) {}

    connect_parts parts;
    asio::steady_timer idle_timer;
    net_stream stream;
    beast::flat_buffer buffer;
    std::uint64_t idle_generation = 0; // invalidates idle-timer completions that lost a race
    int exchanges = 0;                 // completed request/response pairs; > 0 means "reused"
    bool closed = false;

    bool has_stream() const noexcept { return stream.is_open(); }
    beast::tcp_stream& lowest() noexcept { return stream.lowest(); }

    void close() noexcept
    {
        closed = true;
        parts.cancel();
        idle_timer.cancel();
        if (has_stream()) lowest().close();
    }
};

enum class phase { starting, queued, connecting, exchanging, waiting_retry };

/// State of one async_request, shared by its coroutine and its cancellation handler.
struct request_op {
    request_op(const asio::any_io_executor& ex, http_request r, handler_type h)
        : timer(ex), req(std::move(r)), handler(std::move(h))
    {
    }

    asio::steady_timer timer; // queue wait (as a condition variable) and retry delays
    http_request req;
    handler_type handler;
    asio::cancellation_slot slot;
    phase state = phase::starting;
    bool cancelled = false;
    bool done = false;
    std::shared_ptr<connection> conn; // the connection being opened or used

    // Hand-over from the pool while queued: a connection, or permission to open one (null), or an error.
    bool granted = false;
    error_code grant_error;
    std::shared_ptr<connection> grant_conn;
};

struct acquired {
    error_code ec;
    std::shared_ptr<connection> conn;
};

struct exchange_result {
    error_code ec;
    http_response response;
    bool write_failed = false; // the request was not fully written
    bool got_bytes = false;    // some response byte arrived
    bool reused = false;       // the connection had served a request before
    bool reusable = false;     // the connection may go back to the pool
};

bool valid_target(std::string_view t) noexcept
{
    if (t.empty() || t.front() != '/') return false;
    return std::none_of(t.begin(), t.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7F;
    });
}

bool valid_header_name(std::string_view n) noexcept
{
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
               extra.find(c) != std::string_view::npos;
    });
}

bool valid_header_value(std::string_view v) noexcept
{
    return std::none_of(v.begin(), v.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

/// Maps a failure while writing/reading an exchange to the SDK's codes.
error_code map_exchange_error(const error_code& ec)
{
    if (ec == beast::error::timeout) return error::request_timeout;
    if (ec == http::error::body_limit) return error::payload_too_large;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return error::connection_lost;
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) return error::bad_http_response;
    return error::connection_lost; // socket errors, eof, reset, TLS record errors, truncation
}

} // namespace

// ------------------------------------------------------------------------------------------- impl

struct http_pool::impl : std::enable_shared_from_this<http_pool::impl> {
    impl(asio::any_io_executor e, base_url u, http_config c, ssl::context* ctx)
        : ex(std::move(e)), url(std::move(u)), cfg(std::move(c)), tls_ctx(ctx), rng(std::random_device{}())
    {
        if (url.tls && !tls_ctx) {
            own_ctx = make_client_tls_context(ctx_error);
            tls_ctx = own_ctx.get();
        }
    }

    asio::any_io_executor ex;
    base_url url;
    http_config cfg;
    ssl::context* tls_ctx;
    std::unique_ptr<ssl::context> own_ctx;
    error_code ctx_error;
    std::minstd_rand rng;

    std::vector<std::shared_ptr<connection>> idle;     // LIFO: back() is the most recently used
    fifo<std::shared_ptr<request_op>> waiters;
    std::unordered_set<request_op*> active;             // every op whose coroutine is running
    std::size_t open = 0;                               // open or opening connections
    std::size_t opened = 0;
    bool shut = false;

    // ---------------------------------------------------------------- start / finish

    void start(http_request req, handler_type handler)
    {
        auto op = std::make_shared<request_op>(ex, std::move(req), std::move(handler));
        error_code ec;
        if (shut) ec = error::shut_down;
        else if (cfg.max_connections_per_host == 0 || cfg.max_retries < 0) ec = error::invalid_argument;
        else if (url.tls && ctx_error) ec = ctx_error;
        else if (!valid_target(op->req.target)) ec = error::invalid_argument;
        else {
            for (const auto& [name, value] : op->req.headers)
                if (!valid_header_name(name) || !valid_header_value(value)) ec = error::invalid_argument;
        }
        if (ec) {
            finish(op, {ec, http_response{}});
            return;
        }

        op->slot = asio::get_associated_cancellation_slot(op->handler);
        if (op->slot.is_connected()) {
            op->slot.assign([wop = std::weak_ptr<request_op>(op), wself = weak_from_this()](asio::cancellation_type t) {
                auto o = wop.lock();
                auto self = wself.lock();
                if (o && self) self->on_cancel(*o, t);
            });
        }
        auto self = shared_from_this();
        asio::co_spawn(ex, run(self, op), [self, op](std::exception_ptr e, result_type r) {
            if (e) r = {make_error_code(boost::system::errc::not_enough_memory), http_response{}};
            self->finish(op, std::move(r));
        });
    }

    void finish(const std::shared_ptr<request_op>& op, result_type r)
    {
        if (op->done) return;
        op->done = true;
        if (op->slot.is_connected()) op->slot.clear();
        // Always deferred: the handler never runs inside async_request or inside our own frames.
        asio::post(ex, asio::append(std::move(op->handler), r.first, std::move(r.second)));
    }

    void on_cancel(request_op& op, asio::cancellation_type t)
    {
        if (op.done || op.cancelled) return;
        const bool hard = (t & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) !=
                          asio::cancellation_type::none;
        switch (op.state) {
        case phase::starting:
            op.cancelled = true;
            break;
        case phase::queued: {
            op.cancelled = true;
            const auto it = std::find_if(waiters.begin(), waiters.end(), [&](const auto& w) { return w.get() == &op; });
            if (it != waiters.end()) {
                waiters.erase(it);
                op.granted = true;
                op.grant_error = asio::error::operation_aborted;
                op.timer.cancel();
            }
            break;
        }
        case phase::waiting_retry:
            op.cancelled = true;
            op.timer.cancel();
            break;
        case phase::connecting: // nothing sent yet: every cancellation type applies
            op.cancelled = true;
            if (op.conn) op.conn->close();
            break;
        case phase::exchanging: // the server may already act on the request: total does not apply
            if (!hard) break;
            op.cancelled = true;
            if (op.conn) op.conn->close();
            break;
        }
    }

    void shutdown()
    {
        if (shut) return;
        shut = true;
        auto queued = std::move(waiters);
        waiters.clear();
        for (auto& w : queued) {
            w->granted = true;
            w->grant_error = error::shut_down;
            w->timer.cancel();
        }
        for (auto& c : idle) {
            c->close();
            --open;
        }
        idle.clear();
        for (auto* op : active) {
            op->timer.cancel();
            if (op->conn) op->conn->close();
        }
    }

    error_code interrupted(const request_op& op) const
    {
        if (op.cancelled) return asio::error::operation_aborted;
        if (shut) return error::shut_down;
        return {};
    }

    // ---------------------------------------------------------------- connection accounting

    /// True when an idle connection still looks usable: open, nothing unread, peer has not closed.
    static bool still_alive(connection& c, bool tls)
    {
        if (c.closed || !c.has_stream() || c.buffer.size() != 0) return false;
        auto& s = c.lowest().socket();
        if (!s.is_open()) return false;
        error_code ec, ignored;
        char byte = 0;
        s.non_blocking(true, ec);
        if (ec) return false;
        const std::size_t n = s.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
        s.non_blocking(false, ignored);
        if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
        if (ec || n == 0) return false; // eof or reset: the server dropped it while idle
        return tls; // unsolicited bytes: garbage for HTTP; for TLS possibly a session ticket
    }

    void give_slots_to_waiters()
    {
        while (!waiters.empty() && open < cfg.max_connections_per_host) {
            ++open;
            grant(nullptr);
        }
    }

    void grant(std::shared_ptr<connection> c)
    {
        auto w = std::move(waiters.front());
        waiters.pop_front();
        w->granted = true;
        w->grant_error = {};
        w->grant_conn = std::move(c);
        w->timer.cancel();
    }

    void drop(const std::shared_ptr<connection>& c)
    {
        c->close();
        --open;
        give_slots_to_waiters();
    }

    void release(const std::shared_ptr<connection>& c, bool reusable)
    {
        if (!reusable || shut || c->closed) {
            drop(c);
            return;
        }
        if (!waiters.empty()) {
            grant(c);
            return;
        }
        idle.push_back(c);
        const auto generation = ++c->idle_generation;
        c->idle_timer.expires_after(cfg.idle_timeout);
        c->idle_timer.async_wait([wself = weak_from_this(), wc = std::weak_ptr<connection>(c), generation](error_code ec) {
            auto self = wself.lock();
            auto conn = wc.lock();
            if (ec || !self || !conn || conn->idle_generation != generation) return;
            const auto it = std::find(self->idle.begin(), self->idle.end(), conn);
            if (it == self->idle.end()) return;
            self->idle.erase(it);
            self->drop(conn);
        });
    }

    /// Puts back what a queued op was granted after it got cancelled in between.
    void return_grant(request_op& op)
    {
        auto c = std::move(op.grant_conn);
        if (c) release(c, true);
        else if (!op.grant_error) {
            --open;
            give_slots_to_waiters();
        }
    }

    // ---------------------------------------------------------------- coroutines

    static asio::awaitable<acquired> acquire(std::shared_ptr<impl> self, std::shared_ptr<request_op> op)
    {
        std::shared_ptr<connection> c;
        while (!c && !self->idle.empty()) {
            c = std::move(self->idle.back());
            self->idle.pop_back();
            ++c->idle_generation;
            c->idle_timer.cancel();
            if (!still_alive(*c, self->url.tls)) {
                c->close();
                --self->open;
                c.reset();
            }
        }
        if (!c) {
            if (self->open < self->cfg.max_connections_per_host && self->waiters.empty()) {
                ++self->open;
            } else {
                op->state = phase::queued;
                op->granted = false;
                self->waiters.push_back(op);
                op->timer.expires_at(steady::time_point::max());
                (void)co_await op->timer.async_wait(nothrow);
                if (!op->granted) { // cannot happen: only grants wake the timer; stay safe anyway
                    std::erase(self->waiters, op);
                    co_return acquired{asio::error::operation_aborted, nullptr};
                }
                if (op->grant_error) co_return acquired{op->grant_error, nullptr};
                if (auto ec = self->interrupted(*op)) {
                    self->return_grant(*op);
                    co_return acquired{ec, nullptr};
                }
                c = std::move(op->grant_conn);
                if (c && !still_alive(*c, self->url.tls)) {
                    c->close(); // keep its slot and open a fresh connection in it
                    c.reset();
                }
            }
        }
        if (!c) {
            c = std::make_shared<connection>(self->ex);
            ++self->opened;
            op->conn = c;
            op->state = phase::connecting;
            error_code ec = co_await connect(self, op, c);
            if (!ec) ec = self->interrupted(*op);
            if (ec) {
                op->conn.reset();
                self->drop(c);
                co_return acquired{ec, nullptr};
            }
        }
        op->conn = c;
        op->state = phase::exchanging;
        co_return acquired{{}, c};
    }

    static asio::awaitable<error_code> connect(std::shared_ptr<impl> self, std::shared_ptr<request_op> op,
                                               std::shared_ptr<connection> c)
    {
        co_return co_await async_open_stream(self->url, self->tls_ctx, self->cfg.verify_peer,
                                             steady::now() + self->cfg.connect_timeout, c->parts, c->stream,
                                             [&self, &op] { return self->interrupted(*op); });
    }

    template <class Stream>
    static asio::awaitable<exchange_result> exchange_on(std::shared_ptr<impl> self, std::shared_ptr<request_op> op,
                                                        std::shared_ptr<connection> c, Stream& stream)
    {
        exchange_result x;
        x.reused = c->exchanges > 0;
        const http_request& req = op->req;

        http::request<http::string_body> msg;
        msg.method(req.method);
        msg.target(self->url.base_path + req.target);
        msg.version(11);
        msg.set(http::field::host, self->url.host_header());
        if (!find_header(req.headers, "User-Agent") && !self->cfg.user_agent.empty())
            msg.set(http::field::user_agent, self->cfg.user_agent);
        for (const auto& [name, value] : req.headers) {
            if (header_name_equals(name, "Host")) msg.set(http::field::host, value);
            else if (!header_name_equals(name, "Content-Length") && !header_name_equals(name, "Transfer-Encoding") &&
                     !header_name_equals(name, "Connection"))
                msg.insert(name, value);
        }
        msg.body() = req.body;
        msg.prepare_payload();
        msg.keep_alive(true);

        c->lowest().expires_after(self->cfg.request_timeout);
        auto [wec, written] = co_await http::async_write(stream, msg, nothrow);
        (void)written;
        if (wec) {
            x.write_failed = true;
            x.ec = map_exchange_error(wec);
            co_return x;
        }
        x.response.sent_at = steady::now();

        http::response_parser<http::string_body> parser;
        parser.body_limit(self->cfg.max_response_body);
        parser.header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(self->cfg.max_response_header, std::numeric_limits<std::uint32_t>::max())));
        if (req.method == http::verb::head) parser.skip(true);
        // The header first, then the body: the same parser, limits and errors as one async_read,
        // plus the moment the header arrived (time to first byte).
        auto [rec, read] = co_await http::async_read_header(stream, c->buffer, parser, nothrow);
        if (!rec) {
            x.response.first_byte_at = steady::now();
            if (!parser.is_done()) {
                // No structured binding here: GCC 12 miscompiles one in a nested block of a
                // coroutine (a misaligned awaitable frame at the co_return below).
                std::tuple<error_code, std::size_t> body = co_await http::async_read(stream, c->buffer, parser, nothrow);
                rec = std::get<0>(body);
                read += std::get<1>(body);
            }
        }
        x.got_bytes = read > 0 || parser.got_some() || c->buffer.size() > 0;
        if (rec) {
            x.ec = map_exchange_error(rec);
            co_return x;
        }
        c->lowest().expires_never();
        ++c->exchanges;

        auto& res = parser.get();
        x.response.status = static_cast<int>(res.result_int());
        x.response.headers.reserve(static_cast<std::size_t>(std::distance(res.begin(), res.end())));
        for (const auto& field : res)
            x.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        x.response.body = std::move(res.body());
        x.response.rate_limit = parse_rate_limit(x.response.headers, std::chrono::system_clock::now());
        x.reusable = res.keep_alive() && !parser.need_eof() && c->buffer.size() == 0;
        co_return x;
    }

    static asio::awaitable<exchange_result> exchange(std::shared_ptr<impl> self, std::shared_ptr<request_op> op,
                                                     std::shared_ptr<connection> c)
    {
        if (c->stream.tls) co_return co_await exchange_on(self, op, c, *c->stream.tls);
        co_return co_await exchange_on(self, op, c, *c->stream.plain);
    }

    static asio::awaitable<void> wait_retry(std::shared_ptr<request_op> op, steady::duration d)
    {
        op->state = phase::waiting_retry;
        op->timer.expires_after(d);
        (void)co_await op->timer.async_wait(nothrow);
    }

    static asio::awaitable<result_type> run(std::shared_ptr<impl> self, std::shared_ptr<request_op> op)
    {
        struct active_guard {
            impl* pool;
            request_op* op;
            ~active_guard() { pool->active.erase(op); }
        };
        self->active.insert(op.get());
        active_guard guard{self.get(), op.get()};

        retry_policy policy(self->cfg, op->req.idempotent, self->rng());
        int attempts = 0;
        int rate_limited = 0;
        error_code last;
        for (;;) {
            if (auto ec = self->interrupted(*op)) {
                last = ec;
                break;
            }
            ++attempts;
            auto got = co_await acquire(self, op);
            retry_decision next;
            if (got.ec) {
                last = got.ec;
                if (self->interrupted(*op)) break;
                next = policy.after_connect_failure(got.ec);
            } else {
                auto x = co_await exchange(self, op, got.conn);
                op->conn.reset();
                op->state = phase::starting;
                const error_code stop = self->interrupted(*op);
                self->release(got.conn, x.reusable && !x.ec && !stop);
                if (stop) {
                    last = stop;
                    break;
                }
                if (!x.ec) {
                    if (x.response.status == 429) ++rate_limited;
                    next = policy.after_response(x.response.status, x.response.rate_limit,
                                                 std::chrono::system_clock::now());
                    if (next.what == retry_decision::stop) {
                        x.response.attempts = attempts;
                        x.response.rate_limited = rate_limited;
                        co_return result_type{error_code{}, std::move(x.response)};
                    }
                } else {
                    last = x.ec;
                    next = policy.after_exchange_failure(x.ec, x.reused, x.got_bytes, x.write_failed);
                }
            }
            if (next.what == retry_decision::stop) break;
            if (next.what == retry_decision::again_later) co_await wait_retry(op, next.delay);
        }
        http_response failed;
        failed.attempts = attempts;
        failed.rate_limited = rate_limited;
        co_return result_type{last, std::move(failed)};
    }
};

// ------------------------------------------------------------------------------------------- http_pool

http_pool::http_pool(asio::any_io_executor executor, base_url url, http_config config, ssl::context* tls_context)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(url), std::move(config), tls_context))
{
}

http_pool::~http_pool()
{
    impl_->shutdown();
}

asio::any_io_executor http_pool::get_executor() const noexcept
{
    return impl_->ex;
}

const base_url& http_pool::url() const noexcept
{
    return impl_->url;
}

const http_config& http_pool::config() const noexcept
{
    return impl_->cfg;
}

void http_pool::async_request(http_request req, handler_type handler)
{
    impl_->start(std::move(req), std::move(handler));
}

void http_pool::shutdown()
{
    impl_->shutdown();
}

std::size_t http_pool::open_connections() const noexcept
{
    return impl_->open;
}

std::size_t http_pool::connections_opened() const noexcept
{
    return impl_->opened;
}

} // namespace streamchat::detail
