#include "emulator/server/http_session.hpp"

#include "emulator/server/auth.hpp"
#include "emulator/server/target.hpp"
#include "emulator/server/ws_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <exception>

namespace streamchat::emu {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using steady = std::chrono::steady_clock;

namespace {

/// A connection being closed reads (and discards) what the client still sends, for at most this
/// long or this much, so that closing does not reset the connection before the client has read
/// our answer (a 413 is sent while the oversized body is still arriving).
constexpr std::chrono::seconds linger_timeout{2};
constexpr std::size_t linger_max_bytes = 64 * 1024 * 1024;

constexpr std::string_view cors_allow_headers =
    "Authorization, Content-Type, stream-auth-type, X-Stream-Client, x-client-request-id, Cache-Control, "
    "X-CSRFToken, X-Requested-With";
constexpr std::string_view cors_expose_headers =
    "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After";

bool is_http_parse_error(const error_code& ec)
{
    return ec.category() == make_error_code(http::error::bad_method).category();
}

} // namespace

http_session::http_session(std::shared_ptr<server> srv, asio::ip::tcp::socket socket)
    : srv_(std::move(srv)), stream_(std::move(socket))
{
    error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    remote_ip_ = ec ? std::string{"unknown"} : ep.address().to_string();
}

http_session::~http_session() { srv_->remove(this); }

void http_session::run() { do_read(); }

void http_session::shutdown() { close_socket(); }

void http_session::close_socket() noexcept
{
    closed_ = true;
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
}

void http_session::do_read()
{
    if (closed_ || !srv_->serving()) return close_socket();
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(srv_->config().max_body_size);
    stream_.expires_after(read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = std::static_pointer_cast<http_session>(shared_from_this())](error_code ec, std::size_t) {
                                self->on_header(ec);
                            });
}

void http_session::on_header(error_code ec)
{
    if (ec) return on_read_error(ec);
    if (closed_ || !srv_->serving()) return close_socket();
    auto& req = parser_->get();

    if (beast::websocket::is_upgrade(req)) {
        const auto target = parse_target(req.target());
        if (target.path == "/connect") {
            stream_.expires_never();
            auto ws = std::make_shared<ws_session>(srv_, std::move(stream_), remote_ip_);
            srv_->add(ws);
            closed_ = true; // the stream now belongs to the WebSocket session
            ws->run(parser_->release());
            return;
        }
    }

    auto self = std::static_pointer_cast<http_session>(shared_from_this());
    auto read_body = [self] {
        self->stream_.expires_after(read_timeout);
        http::async_read(self->stream_, self->buffer_, *self->parser_,
                         [self](error_code rec, std::size_t) { self->on_read(rec); });
    };
    if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
        static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
        asio::async_write(stream_, asio::buffer(continue_line.data(), continue_line.size()),
                          [self, read_body](error_code wec, std::size_t) {
                              if (wec) return self->close_socket();
                              read_body();
                          });
        return;
    }
    read_body();
}

void http_session::on_read(error_code ec)
{
    if (ec) return on_read_error(ec);
    if (closed_ || !srv_->serving()) return close_socket();
    handle_request();
}

void http_session::on_read_error(error_code ec)
{
    if (closed_ || !srv_->serving() || ec == http::error::end_of_stream || ec == http::error::partial_message ||
        !is_http_parse_error(ec))
        return close_socket(); // the client left, timed out or reset: nobody to answer

    const auto started = steady::now();
    const auto limits = srv_->limiter().peek("ip:" + remote_ip_, "", std::chrono::system_clock::now());
    if (ec == http::error::body_limit)
        return send_api(error_response(22, 413, "Request",
                                       "request body is larger than the maximum of " +
                                           std::to_string(srv_->config().max_body_size) + " bytes"),
                        started, limits, false);
    if (ec == http::error::header_limit)
        return send_api(error_response(24, 431, "Request",
                                       "request headers are larger than the maximum of " +
                                           std::to_string(header_limit) + " bytes"),
                        started, limits, false);
    send_api(error_response(4, 400, "Request", "malformed HTTP request: " + ec.message()), started, limits, false);
}

void http_session::handle_request()
{
    const auto started = steady::now();
    const auto now = std::chrono::system_clock::now();
    auto& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    auto target = parse_target(req.target());
    std::string method{req.method_string()};

    if (req.method() == http::verb::options) {
        const auto limits = srv_->limiter().peek("ip:" + remote_ip_, "", now);
        return send_api(api_response{200, {}}, started, limits, keep_alive, true);
    }

    credentials creds;
    creds.api_key = find_param(target.query, "api_key");
    if (auto it = req.find("stream-auth-type"); it != req.end()) creds.auth_type = std::string_view{it->value()};
    creds.token = std::string_view{req[http::field::authorization]};
    creds.user_id = find_param(target.query, "user_id");
    if (auto c = find_param(target.query, "connection_id")) creds.connection_id = *c;
    auto auth = authenticate(creds, srv_->config(), now);

    std::string route;
    try {
        route = route_name(method, target.path);
    } catch (...) {
        route.clear();
    }
    const bool per_user = auth.who && !auth.who->anonymous && !auth.who->user_id.empty();
    const std::string identity = per_user ? "user:" + auth.who->user_id : "ip:" + remote_ip_;
    const auto limits = srv_->limiter().hit(identity, route, now);
    const auto operation = operation_name(method, target.path);

    if (!auth.who)
        return send_api(error_response(auth.failure.code, auth.failure.status, operation, auth.failure.reason),
                        started, limits, keep_alive);
    if (!limits.allowed)
        return send_api(error_response(9, 429, operation,
                                       "Too many requests, check response headers for rate limit info (limit " +
                                           std::to_string(limits.limit) + " per window)"),
                        started, limits, keep_alive);

    api_request request;
    request.method = std::move(method);
    request.path = std::move(target.path);
    request.query = std::move(target.query);
    request.body = std::move(req.body());
    request.who = std::move(*auth.who);
    request.now = now;
    api_response res;
    try {
        res = handle(request, srv_->ctx());
    } catch (const std::exception& e) {
        res = error_response(-1, 500, operation, std::string{"internal error: "} + e.what());
    } catch (...) {
        res = error_response(-1, 500, operation, "internal error");
    }
    if (res.status >= 500) std::fprintf(stderr, "streamchat-emulator: %d %s\n", res.status, boost::json::serialize(res.body).c_str());
    send_api(std::move(res), started, limits, keep_alive);
}

void http_session::send_api(api_response res, steady::time_point started, const rate_limiter::verdict& limits,
                            bool keep_alive, bool cors_preflight)
{
    int status = res.status;
    if (status < 100 || status > 599) status = 500;
    res_.emplace(static_cast<http::status>(status), 11);
    auto& r = *res_;
    r.set(http::field::server, "streamchat-emulator");
    r.set(http::field::content_type, "application/json;charset=utf-8");
    r.set("X-RateLimit-Limit", std::to_string(limits.limit));
    r.set("X-RateLimit-Remaining", std::to_string(limits.remaining));
    r.set("X-RateLimit-Reset", std::to_string(limits.reset));
    if (!limits.allowed) r.set(http::field::retry_after, std::to_string(limits.retry_after));
    for (const auto& [name, value] : res.headers) r.set(name, value);
    r.set(http::field::access_control_allow_origin, "*");
    r.set(http::field::access_control_expose_headers, cors_expose_headers);
    if (cors_preflight) {
        r.set(http::field::access_control_allow_methods, "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        const auto requested = parser_ ? parser_->get()[http::field::access_control_request_headers] : beast::string_view{};
        if (requested.empty()) r.set(http::field::access_control_allow_headers, cors_allow_headers);
        else r.set(http::field::access_control_allow_headers, requested);
        r.set(http::field::access_control_max_age, "86400");
    }
    r.body() = body_text(std::move(res), format_duration(steady::now() - started));
    r.keep_alive(keep_alive);
    r.prepare_payload();
    do_write(!keep_alive);
}

void http_session::do_write(bool close)
{
    stream_.expires_after(read_timeout);
    http::async_write(stream_, *res_,
                      [self = std::static_pointer_cast<http_session>(shared_from_this()), close](error_code ec, std::size_t) {
                          if (ec || self->closed_) return self->close_socket();
                          if (close) return self->linger();
                          self->do_read();
                      });
}

void http_session::linger()
{
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    drain_.resize(16 * 1024);
    stream_.expires_after(linger_timeout); // one deadline for the whole drain
    drain_step();
}

void http_session::drain_step()
{
    stream_.async_read_some(asio::buffer(drain_),
                            [self = std::static_pointer_cast<http_session>(shared_from_this())](error_code ec, std::size_t n) {
                                self->drained_ += n;
                                if (ec || self->closed_ || self->drained_ > linger_max_bytes) return self->close_socket();
                                self->drain_step();
                            });
}

} // namespace streamchat::emu
