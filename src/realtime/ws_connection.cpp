#include "realtime/ws_connection.hpp"

#include "net/connector.hpp"
#include "realtime/connect_url.hpp"
#include "realtime/frames.hpp"
#include "wire/url.hpp"
#include "wire/uuid.hpp"

#include <streamchat/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <algorithm>

namespace streamchat::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using clock = ws_connection::clock;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// The WebSocket's host: `ws_url` when set (ws → http, wss → https for the parser), else base_url.
boost::system::result<base_url> ws_base(const client_config& cfg, std::string& why)
{
    if (cfg.ws_url.empty()) return parse_base_url(cfg.base_url, why);
    std::string text = cfg.ws_url;
    if (text.rfind("wss://", 0) == 0) text = "https://" + text.substr(6);
    else if (text.rfind("ws://", 0) == 0) text = "http://" + text.substr(5);
    return parse_base_url(text, why);
}

} // namespace

// ------------------------------------------------------------------ socket

/// One attempt's socket. Shared by the coroutines that use it; `close_now` interrupts them all.
struct ws_connection::socket {
    socket(const asio::any_io_executor& ex, std::uint64_t a) : attempt(a), parts(ex) {}

    std::uint64_t attempt;
    connect_parts parts;
    net_stream net;
    std::optional<websocket::stream<beast::tcp_stream>> plain;
    std::optional<websocket::stream<asio::ssl::stream<beast::tcp_stream>>> tls;
    bool upgraded = false;
    bool closed = false;

    template <class F>
    auto with_ws(F&& f)
    {
        if (tls) return f(*tls);
        return f(*plain);
    }

    /// Closes the TCP connection under the WebSocket, as a network failure would.
    void drop_tcp() noexcept
    {
        if (plain) beast::get_lowest_layer(*plain).close();
        else if (tls) beast::get_lowest_layer(*tls).close();
        else if (net.is_open()) net.lowest().close();
    }

    void close_now() noexcept
    {
        if (closed) return;
        closed = true;
        parts.cancel();
        drop_tcp();
    }
};

struct ws_connection::timers {
    explicit timers(const asio::any_io_executor& ex) : health(ex), backoff(ex) {}
    asio::steady_timer health;   // handshake deadline and health checks
    asio::steady_timer backoff;  // reconnect delay
    clock::time_point armed = clock::time_point::max();
    std::uint64_t health_generation = 0;
    std::uint64_t backoff_generation = 0;
    std::unique_ptr<asio::ssl::context> tls_ctx;
};

// ------------------------------------------------------------------ life cycle

ws_connection::ws_connection(asio::any_io_executor ex, const client_config& cfg, std::shared_ptr<token_refresher> auth,
                             listener l, std::uint64_t seed)
    : ex_(ex), cfg_(cfg), auth_(std::move(auth)), listener_(std::move(l)),
      machine_(auth_ && auth_->has_provider(), cfg.backoff, seed), health_(cfg.health),
      timers_(std::make_unique<timers>(ex))
{
}

ws_connection::~ws_connection()
{
    if (sock_) sock_->close_now();
}

void ws_connection::start(user_input details)
{
    details_ = std::move(details);
    if (details_.id.empty()) details_.id = cfg_.user_id;
    // The id the server never sees in the handshake, only in pings (as the JS client does).
    client_id_ = cfg_.user_id + "--" + make_uuid_v4();
    after_input(machine_.start());
}

void ws_connection::stop()
{
    after_input(machine_.stop());
}

void ws_connection::recovery_done(error_code ec)
{
    after_input(machine_.recovery_done(ec));
}

void ws_connection::drop()
{
    if (sock_) sock_->drop_tcp();
}

bool ws_connection::send(std::string frame)
{
    if (!sock_ || !handshaken_) return false;
    outbox_.push_back(std::move(frame));
    metrics_.write_queue_max = std::max<std::uint64_t>(metrics_.write_queue_max, outbox_.size());
    write_next();
    return true;
}

// ------------------------------------------------------------------ carrying out decisions

void ws_connection::after_input(connection_action a)
{
    for (auto& change : machine_.take_changes())
        if (listener_.on_status)
            asio::post(ex_, [weak = weak_from_this(), change] {
                if (auto self = weak.lock()) self->listener_.on_status(change);
            });
    act(a);
}

void ws_connection::act(connection_action a)
{
    using k = connection_action_kind;
    switch (a.kind) {
        case k::none: return;
        case k::open_socket:
            abandon_socket();
            open(machine_.attempt());
            return;
        case k::refresh_token_then_open: {
            abandon_socket();
            const auto attempt = machine_.attempt();
            auth_->async_refresh([weak = weak_from_this(), attempt](error_code ec) {
                auto self = weak.lock();
                if (!self || self->machine_.attempt() != attempt) return;
                self->after_input(self->machine_.token_refreshed(ec));
            });
            return;
        }
        case k::wait_backoff: {
            abandon_socket();
            const auto generation = ++timers_->backoff_generation;
            timers_->backoff.expires_after(a.delay);
            timers_->backoff.async_wait([weak = weak_from_this(), generation](error_code) {
                auto self = weak.lock();
                if (!self || self->timers_->backoff_generation != generation) return;
                self->after_input(self->machine_.backoff_elapsed());
            });
            return;
        }
        case k::start_recovery:
            if (listener_.on_recover)
                asio::post(ex_, [weak = weak_from_this()] {
                    if (auto self = weak.lock()) self->listener_.on_recover();
                });
            else
                asio::post(ex_, [weak = weak_from_this()] {
                    if (auto self = weak.lock()) self->recovery_done({});
                });
            return;
        case k::close_socket: {
            cancel_backoff();
            auto s = detach_socket();
            if (s && s->upgraded && !s->closed) {
                // A polite close 1000, bounded by the stream's handshake timeout; then the TCP goes.
                asio::co_spawn(
                    ex_,
                    [s]() -> asio::awaitable<void> {
                        co_await s->with_ws([&](auto& ws) {
                            return ws.async_close(websocket::close_reason(websocket::close_code::normal,
                                                                          "client disconnect"),
                                                  nothrow);
                        });
                        s->close_now();
                    },
                    asio::detached);
            } else if (s) {
                s->close_now();
            }
            return;
        }
        case k::notify_stopped:
            cancel_backoff();
            abandon_socket();
            return;
    }
}

void ws_connection::cancel_backoff()
{
    ++timers_->backoff_generation;
    timers_->backoff.cancel();
}

std::shared_ptr<ws_connection::socket> ws_connection::detach_socket()
{
    auto s = std::exchange(sock_, nullptr);
    if (s && s->upgraded && !s->closed) --metrics_.sockets_open;
    health_.on_close();
    handshaken_ = false;
    handshake_deadline_ = clock::time_point::max();
    outbox_.clear();
    return s;
}

void ws_connection::abandon_socket()
{
    if (auto s = detach_socket()) s->close_now();
}

void ws_connection::open(std::uint64_t attempt)
{
    auto s = std::make_shared<socket>(ex_, attempt);
    sock_ = s;
    handshaken_ = false;
    handshake_deadline_ = clock::now() + cfg_.health.connect_timeout;
    arm_timer();

    asio::co_spawn(
        ex_,
        [weak = weak_from_this(), s]() -> asio::awaitable<void> {
            auto live = [&]() -> std::shared_ptr<ws_connection> {
                auto self = weak.lock();
                if (!self || s->closed || self->sock_ != s) return nullptr;
                return self;
            };
            error_code ec;
            base_url url;
            std::string token;
            asio::ssl::context* tls_ctx = nullptr;
            bool verify = true;
            {
                auto self = live();
                if (!self) co_return;
                std::string why;
                auto parsed = ws_base(self->cfg_, why);
                if (!parsed) {
                    self->after_input(self->machine_.transport_failed(error::invalid_url));
                    co_return;
                }
                url = std::move(*parsed);
                token = self->auth_->token();
                verify = self->cfg_.http.verify_peer;
                if (url.tls) {
                    if (!self->timers_->tls_ctx) self->timers_->tls_ctx = make_client_tls_context(ec);
                    tls_ctx = self->timers_->tls_ctx.get();
                    if (!tls_ctx) {
                        self->after_input(self->machine_.transport_failed(ec));
                        co_return;
                    }
                }
            }
            const auto deadline = clock::now() + [&] {
                auto self = live();
                return self ? self->cfg_.health.connect_timeout : std::chrono::milliseconds(0);
            }();
            ec = co_await async_open_stream(url, tls_ctx, verify, deadline, s->parts, s->net, [&]() -> error_code {
                return s->closed ? error_code(asio::error::operation_aborted) : error_code{};
            });
            if (auto self = live(); !self) co_return;
            else if (ec) {
                self->after_input(self->machine_.transport_failed(ec));
                co_return;
            }

            // Upgrade to the WebSocket on the open stream.
            std::string target;
            {
                auto self = live();
                if (!self) co_return;
                target = make_connect_target(url.base_path, self->cfg_, self->details_, token, make_uuid_v4());
            }
            if (s->net.tls) s->tls.emplace(std::move(*s->net.tls));
            else s->plain.emplace(std::move(*s->net.plain));
            s->net.tls.reset();
            s->net.plain.reset();
            const auto left = std::max<clock::duration>(deadline - clock::now(), std::chrono::milliseconds(1));
            auto [hec] = co_await s->with_ws([&](auto& ws) {
                websocket::stream_base::timeout t;
                t.handshake_timeout = left; // also bounds the closing handshake
                t.idle_timeout = websocket::stream_base::none(); // the health monitor decides
                t.keep_alive_pings = false;
                ws.set_option(t);
                ws.read_message_max(16 * 1024 * 1024);
                ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
                    req.set(beast::http::field::user_agent, client_identifier);
                }));
                return ws.async_handshake(url.host_header(), target, nothrow);
            });
            {
                auto self = live();
                if (!self) co_return;
                if (hec) {
                    self->after_input(self->machine_.transport_failed(hec));
                    co_return;
                }
                s->upgraded = true;
                ++self->metrics_.sockets_open;
                ++self->metrics_.sockets_opened;
                self->metrics_.sockets_open_max = std::max(self->metrics_.sockets_open_max, self->metrics_.sockets_open);
                self->health_.on_open(clock::now());
                self->after_input(self->machine_.socket_opened());
            }

            beast::flat_buffer buffer;
            for (;;) {
                auto [rec, n] = co_await s->with_ws([&](auto& ws) { return ws.async_read(buffer, nothrow); });
                (void)n;
                auto self = live();
                if (!self) co_return;
                if (rec) {
                    const int code = s->with_ws([](auto& ws) { return static_cast<int>(ws.reason().code); });
                    self->on_read_end(s->attempt, rec, code);
                    co_return;
                }
                const bool text = s->with_ws([](auto& ws) { return ws.got_text(); });
                if (text) {
                    const auto data = buffer.cdata();
                    self->on_text(s->attempt,
                                  std::string_view(static_cast<const char*>(data.data()), data.size()));
                }
                buffer.consume(buffer.size()); // binary frames are ignored, like the JS client does
            }
        },
        asio::detached);
}

void ws_connection::on_read_end(std::uint64_t attempt, error_code ec, int close_code)
{
    if (!sock_ || sock_->attempt != attempt) return;
    if (ec == websocket::error::closed) after_input(machine_.closed(close_code));
    else after_input(machine_.transport_failed(ec));
}

void ws_connection::on_text(std::uint64_t attempt, std::string_view frame)
{
    const auto now = clock::now();
    ++metrics_.frames_received;
    if (handshaken_) {
        health_.on_frame(now);
        if (looks_like_health_check(frame)) health_.on_health_check(now);
        if (listener_.on_frame) listener_.on_frame(frame, now);
        return;
    }

    // The first frame decides (docs/protocol.md §5.2–5.3): an error object, or the health.check
    // carrying the connection id and `me`.
    const first_frame first = read_first_frame(frame);
    if (first.what == first_frame::malformed) {
        after_input(machine_.transport_failed(error::malformed_frame));
        return;
    }
    if (first.what == first_frame::refused) {
        after_input(machine_.error_frame(first.code));
        return;
    }
    handshaken_ = true;
    handshake_deadline_ = clock::time_point::max();
    health_.on_health_check(now);
    arm_timer();
    const std::string& connection_id = first.connection_id;
    if (machine_.is_reconnect()) ++metrics_.reconnects;
    if (listener_.on_handshake) listener_.on_handshake(connection_id, frame);
    if (sock_ && sock_->attempt == attempt) after_input(machine_.handshake_done(connection_id));
}

// ------------------------------------------------------------------ timers

void ws_connection::arm_timer()
{
    const auto due = std::min(health_.deadline(), handshake_deadline_);
    // Deadlines only move later while a socket lives, so a wake-up at the old one recomputes;
    // re-arm only when the new one is earlier (a new socket) or nothing is armed.
    if (due >= timers_->armed && timers_->armed != clock::time_point::max()) return;
    timers_->armed = due;
    if (due == clock::time_point::max()) return;
    const auto generation = ++timers_->health_generation;
    timers_->health.expires_at(due);
    timers_->health.async_wait([weak = weak_from_this(), generation](error_code) {
        auto self = weak.lock();
        if (!self || self->timers_->health_generation != generation) return;
        self->timers_->armed = clock::time_point::max();
        self->on_timer();
    });
}

void ws_connection::on_timer()
{
    const auto now = clock::now();
    if (sock_ && !handshaken_ && now >= handshake_deadline_) {
        handshake_deadline_ = clock::time_point::max();
        after_input(machine_.handshake_timeout());
        arm_timer();
        return;
    }
    switch (health_.poll(now)) {
        case health_action::none: break;
        case health_action::send_ping:
            if (send(make_ping_frame(client_id_))) ++metrics_.pings_sent;
            break;
        case health_action::link_dead:
            after_input(machine_.link_dead());
            break;
    }
    arm_timer();
}

// ------------------------------------------------------------------ writing

void ws_connection::write_next()
{
    if (writing_ || outbox_.empty() || !sock_ || !sock_->upgraded) return;
    writing_ = true;
    auto s = sock_;
    auto frame = std::make_shared<std::string>(std::move(outbox_.front()));
    outbox_.pop_front();
    asio::co_spawn(
        ex_,
        [weak = weak_from_this(), s, frame]() -> asio::awaitable<void> {
            auto [ec, n] = co_await s->with_ws([&](auto& ws) {
                ws.text(true);
                return ws.async_write(asio::buffer(*frame), nothrow);
            });
            (void)n;
            auto self = weak.lock();
            if (!self) co_return;
            self->writing_ = false;
            if (s->closed || self->sock_ != s) {
                self->write_next(); // a newer socket may have frames waiting
                co_return;
            }
            if (ec) {
                self->after_input(self->machine_.transport_failed(ec));
                co_return;
            }
            ++self->metrics_.frames_sent;
            self->write_next();
        },
        asio::detached);
}

} // namespace streamchat::detail
