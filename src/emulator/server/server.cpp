#include "emulator/server/server.hpp"

#include "emulator/server/http_session.hpp"
#include "emulator/store/store.hpp" // open_store returns std::unique_ptr<store>

#include <boost/asio/ip/address.hpp>
#include <boost/system/errc.hpp>

#include <cstdio>
#include <vector>

namespace streamchat::emu {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string format_duration(std::chrono::steady_clock::duration d)
{
    const double ms = std::chrono::duration<double, std::milli>(d).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fms", ms);
    return buf;
}

server::server(asio::any_io_executor ex, emulator_config cfg)
    : ex_(ex),
      cfg_(std::move(cfg)),
      limiter_(cfg_.rate_limits, cfg_.rate_limit_per_minute, cfg_.rate_limit_window),
      acceptor_(ex),
      accept_retry_(ex)
{
}

server::~server() { stop(); }

error_code server::start(std::string& why)
{
    if (ctx_) {
        why = "the emulator is already running";
        return error::already_running;
    }
    std::unique_ptr<store, store_deleter> db;
    try {
        auto opened = open_store(cfg_, why);
        db.reset(opened.release());
        if (!db) {
            if (why.empty()) why = "cannot open the database " + cfg_.db_path;
            return make_error_code(boost::system::errc::io_error);
        }
        if (!seed_store(*db, cfg_.seed, why)) {
            if (why.empty()) why = "seeding failed";
            return make_error_code(boost::system::errc::io_error);
        }
    } catch (const std::exception& e) {
        why = std::string{"cannot prepare the database: "} + e.what();
        return make_error_code(boost::system::errc::io_error);
    }

    error_code ec;
    tcp::endpoint endpoint;
    const auto address = asio::ip::make_address(cfg_.host, ec);
    if (!ec) {
        endpoint = tcp::endpoint(address, cfg_.port);
    } else {
        tcp::resolver resolver(ex_);
        auto results = resolver.resolve(cfg_.host, std::to_string(cfg_.port), ec);
        if (ec || results.empty()) {
            why = "cannot resolve host \"" + cfg_.host + "\": " + (ec ? ec.message() : "no address");
            return ec ? ec : make_error_code(boost::system::errc::address_not_available);
        }
        endpoint = results.begin()->endpoint();
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) port_ = acceptor_.local_endpoint(ec).port();
    if (ec) {
        why = "cannot listen on " + cfg_.host + ":" + std::to_string(cfg_.port) + ": " + ec.message();
        error_code ignored;
        acceptor_.close(ignored);
        return ec;
    }

    store_ = std::move(db);
    ctx_.emplace(context{*store_, hub_, cfg_});
    hub_.set_user_renderer([this](const std::string& user_id) { return user_json(*ctx_, user_id); });
    accepting_ = true;
    do_accept();
    return {};
}

void server::stop()
{
    accepting_ = false;
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    // Collect first: shutting a session down may end it, and remove() edits the map.
    std::vector<std::shared_ptr<session_base>> live;
    live.reserve(sessions_.size());
    for (auto& [raw, weak] : sessions_)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    for (auto& s : live) s->shutdown();
    live.clear();
    hub_.set_user_renderer({});
    ctx_.reset();
    store_.reset();
}

std::size_t server::drop_websockets()
{
    std::vector<std::shared_ptr<session_base>> live;
    for (auto& [raw, weak] : sessions_)
        if (auto s = weak.lock(); s && s->is_websocket()) live.push_back(std::move(s));
    for (auto& s : live) s->shutdown();
    return live.size();
}

void server::add(const std::shared_ptr<session_base>& s) { sessions_.emplace(s.get(), s); }

void server::remove(session_base* s) noexcept { sessions_.erase(s); }

void server::do_accept()
{
    if (!accepting_) return;
    acceptor_.async_accept(ex_, [self = shared_from_this()](error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
    });
}

void server::on_accept(error_code ec, tcp::socket socket)
{
    if (!accepting_) return;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        // E.g. out of file descriptors: back off a little instead of spinning.
        accept_retry_.expires_after(std::chrono::milliseconds(50));
        accept_retry_.async_wait([self = shared_from_this()](error_code wec) {
            if (!wec) self->do_accept();
        });
        return;
    }
    if (sessions_.size() >= cfg_.max_connections) {
        error_code ignored;
        socket.close(ignored); // refused at accept: over max_connections
    } else {
        // Small frames back to back (a fan-out, a response after a WebSocket push) must not wait
        // for the peer's delayed ACK: Nagle would add up to 40 ms to a delivery.
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto session = std::make_shared<http_session>(shared_from_this(), std::move(socket));
        add(session);
        session->run();
    }
    do_accept();
}

} // namespace streamchat::emu
