#include "support/scripted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <list>

namespace streamchat::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

bool iequals(std::string_view a, std::string_view b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        auto l = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        return l(x) == l(y);
    });
}

std::string data_file(std::string_view rel)
{
    return std::string(STREAMCHAT_TEST_DATA_DIR) + "/" + std::string(rel);
}

struct session_base {
    virtual ~session_base() = default;
    virtual void close() = 0;
};

template <class Stream>
struct session final : session_base {
    template <class... Args>
    explicit session(const asio::any_io_executor& ex, Args&&... args) : stream(std::forward<Args>(args)...), timer(ex)
    {
    }
    Stream stream;
    asio::steady_timer timer;

    tcp::socket& socket()
    {
        if constexpr (std::is_same_v<Stream, tcp::socket>) return stream;
        else return stream.next_layer();
    }
    void close() override
    {
        boost::system::error_code ignored;
        timer.cancel();
        socket().shutdown(tcp::socket::shutdown_both, ignored);
        socket().close(ignored);
    }
};

} // namespace

struct scripted_server::state : std::enable_shared_from_this<scripted_server::state> {
    explicit state(asio::any_io_executor e) : ex(std::move(e)), acceptor(ex) {}

    asio::any_io_executor ex;
    tcp::acceptor acceptor;
    std::unique_ptr<ssl::context> tls;
    script fn;
    std::list<std::weak_ptr<session_base>> sessions;
    std::vector<scripted_request> log;
    std::size_t accepted = 0;
    std::size_t open = 0;
    std::size_t max_open = 0;
    std::uint16_t port = 0;
    bool stopped = false;

    void listen()
    {
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
        acceptor.open(ep.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen();
        port = acceptor.local_endpoint().port();
        asio::co_spawn(ex, accept_loop(shared_from_this()), asio::detached);
    }

    static asio::awaitable<void> accept_loop(std::shared_ptr<state> self)
    {
        for (;;) {
            auto [ec, sock] = co_await self->acceptor.async_accept(nothrow);
            if (self->stopped || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) co_return;
            if (ec) continue;
            const std::size_t index = ++self->accepted;
            self->max_open = std::max(self->max_open, ++self->open);
            if (self->tls) {
                auto s = std::make_shared<session<ssl::stream<tcp::socket>>>(self->ex, std::move(sock), *self->tls);
                self->sessions.push_back(s);
                asio::co_spawn(self->ex, serve(self, s, index), asio::detached);
            } else {
                auto s = std::make_shared<session<tcp::socket>>(self->ex, std::move(sock));
                self->sessions.push_back(s);
                asio::co_spawn(self->ex, serve(self, s, index), asio::detached);
            }
            self->sessions.remove_if([](const auto& w) { return w.expired(); });
        }
    }

    template <class Stream>
    static asio::awaitable<void> serve(std::shared_ptr<state> self, std::shared_ptr<session<Stream>> s, std::size_t index)
    {
        co_await serve_requests(self, s, index);
        s->close();
        --self->open;
    }

    template <class Stream>
    static asio::awaitable<void> serve_requests(std::shared_ptr<state> self, std::shared_ptr<session<Stream>> s,
                                                std::size_t index)
    {
        if constexpr (!std::is_same_v<Stream, tcp::socket>) {
            auto [hec] = co_await s->stream.async_handshake(ssl::stream_base::server, nothrow);
            if (hec) co_return; // e.g. the client refused our certificate
        }
        beast::flat_buffer buffer;
        for (std::size_t on_connection = 1;; ++on_connection) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            auto [rec, n] = co_await http::async_read(s->stream, buffer, parser, nothrow);
            (void)n;
            if (rec || self->stopped) co_return;

            auto& msg = parser.get();
            scripted_request req;
            req.method = std::string(msg.method_string());
            req.target = std::string(msg.target());
            for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            req.body = msg.body();
            req.index = self->log.size() + 1;
            req.connection = index;
            req.on_connection = on_connection;
            self->log.push_back(req);

            scripted_reply reply = self->fn ? self->fn(req) : scripted_reply{http_response(404), reply_action::respond};
            if (self->stopped) co_return;
            switch (reply.action) {
            case reply_action::close:
                co_return;
            case reply_action::partial_then_close: {
                const auto len = std::min(reply.partial_bytes, reply.bytes.size());
                (void)co_await asio::async_write(s->stream, asio::buffer(reply.bytes.data(), len), nothrow);
                co_return;
            }
            case reply_action::never_respond: {
                char sink[512];
                for (;;) {
                    auto [ec, got] = co_await s->stream.async_read_some(asio::buffer(sink), nothrow);
                    (void)got;
                    if (ec) co_return;
                }
            }
            case reply_action::delay_then_respond: {
                s->timer.expires_after(reply.delay);
                auto [tec] = co_await s->timer.async_wait(nothrow);
                if (tec || self->stopped) co_return;
                break;
            }
            case reply_action::respond:
            case reply_action::respond_then_close:
                break;
            }
            auto [wec, written] = co_await asio::async_write(s->stream, asio::buffer(reply.bytes), nothrow);
            (void)written;
            if (wec || reply.action == reply_action::respond_then_close) co_return;
        }
    }

    void stop()
    {
        if (stopped) return;
        stopped = true;
        boost::system::error_code ignored;
        acceptor.close(ignored);
        for (auto& w : sessions)
            if (auto s = w.lock()) s->close();
    }
};

std::optional<std::string_view> scripted_request::header(std::string_view name) const
{
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return std::string_view(v);
    return std::nullopt;
}

std::string http_response(int status, std::string_view body, const header_list& extra, bool close)
{
    const auto reason = http::obsolete_reason(static_cast<http::status>(status));
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& [k, v] : extra) out += k + ": " + v + "\r\n";
    if (close) out += "Connection: close\r\n";
    out += "\r\n";
    out += body;
    return out;
}

std::string test_ca_file()
{
    return data_file("tls/ca.pem");
}

tls_files test_server_tls()
{
    return {data_file("tls/server.pem"), data_file("tls/server.key")};
}

tls_files test_wrong_host_tls()
{
    return {data_file("tls/wrong-host.pem"), data_file("tls/wrong-host.key")};
}

scripted_server::scripted_server(asio::any_io_executor ex, script s) : state_(std::make_shared<state>(std::move(ex)))
{
    state_->fn = std::move(s);
    state_->listen();
}

scripted_server::scripted_server(asio::any_io_executor ex, script s, const tls_files& tls)
    : state_(std::make_shared<state>(std::move(ex)))
{
    state_->fn = std::move(s);
    state_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    state_->tls->use_certificate_chain_file(tls.certificate_chain);
    state_->tls->use_private_key_file(tls.private_key, ssl::context::pem);
    state_->listen();
}

scripted_server::~scripted_server()
{
    state_->stop();
}

std::uint16_t scripted_server::port() const noexcept
{
    return state_->port;
}

std::string scripted_server::base_url(std::string_view host) const
{
    std::string h = host.empty() ? (state_->tls ? "localhost" : "127.0.0.1") : std::string(host);
    return (state_->tls ? "https://" : "http://") + h + ":" + std::to_string(state_->port);
}

std::size_t scripted_server::connections_accepted() const noexcept
{
    return state_->accepted;
}

std::size_t scripted_server::open_connections() const noexcept
{
    return state_->open;
}

std::size_t scripted_server::max_open_connections() const noexcept
{
    return state_->max_open;
}

std::size_t scripted_server::requests_received() const noexcept
{
    return state_->log.size();
}

const std::vector<scripted_request>& scripted_server::requests() const noexcept
{
    return state_->log;
}

void scripted_server::set_script(script s)
{
    state_->fn = std::move(s);
}

void scripted_server::stop()
{
    state_->stop();
}

} // namespace streamchat::test
