#include "emulator/server/ws_session.hpp"

#include "emulator/server/auth.hpp"
#include "emulator/server/target.hpp"
#include "wire/uuid.hpp"

#include <streamchat/timestamp.hpp>

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <exception>

namespace streamchat::emu {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;

namespace {

std::string now_rfc3339()
{
    return format_timestamp(std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()));
}

std::shared_ptr<const std::string> frame_of(const json::object& o)
{
    return std::make_shared<const std::string>(json::serialize(o));
}

const json::string* string_field(const json::object& o, std::string_view key)
{
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

bool is_health_check(const json::value& v)
{
    if (!v.is_object()) return false;
    const auto* type = string_field(v.get_object(), "type");
    return type && *type == "health.check";
}

} // namespace

ws_session::ws_session(std::shared_ptr<server> srv, beast::tcp_stream stream, std::string remote_ip)
    : srv_(std::move(srv)), ws_(std::move(stream)), health_(srv_->get_executor()), remote_ip_(std::move(remote_ip))
{
}

ws_session::~ws_session() { srv_->remove(this); }

void ws_session::run(http::request<http::string_body> req)
{
    req_ = std::move(req);
    const auto now = std::chrono::system_clock::now();
    const auto& cfg = srv_->config();
    const auto target = parse_target(req_.target());

    // Connect payload (docs/protocol.md §5.1): user_id, user_details, device, client_request_id, …
    json::object payload;
    bool payload_ok = true;
    if (auto text = find_param(target.query, "json")) {
        error_code ec;
        auto v = json::parse(*text, ec);
        if (ec || !v.is_object()) payload_ok = false;
        else payload = std::move(v.get_object());
    }
    if (auto it = payload.find("user_details"); it != payload.end()) {
        if (it->value().is_object()) user_details_ = it->value().get_object();
        else if (!it->value().is_null()) payload_ok = false;
    }
    const json::string* claimed_user = string_field(payload, "user_id");
    const json::string* details_id = string_field(user_details_, "id");
    if (user_details_.contains("id") && !details_id) payload_ok = false;
    if (payload.contains("user_id") && !claimed_user && !payload.at("user_id").is_null()) payload_ok = false;

    credentials creds;
    creds.api_key = find_param(target.query, "api_key");
    creds.auth_type = find_param(target.query, "stream-auth-type");
    if (auto t = find_param(target.query, "authorization")) creds.token = *t;
    if (claimed_user) creds.user_id = std::string_view{*claimed_user};
    else if (details_id) creds.user_id = std::string_view{*details_id};
    auto auth = authenticate(creds, cfg, now);

    if (!auth.who) {
        handshake_error_ = error_response(auth.failure.code, auth.failure.status, "Connect", auth.failure.reason);
    } else if (!payload_ok) {
        handshake_error_ = error_response(4, 400, "Connect",
                                          "the json query parameter must be a JSON object with string user_id and "
                                          "an object user_details");
    } else {
        who_ = std::move(*auth.who);
        if (claimed_user && details_id && *claimed_user != *details_id) {
            handshake_error_ = error_response(5, 401, "Connect",
                                              "user_details.id \"" + std::string{*details_id} +
                                                  "\" does not match user_id \"" + std::string{*claimed_user} + "\"");
        } else if (details_id && !who_.user_id.empty() && *details_id != who_.user_id) {
            handshake_error_ = error_response(5, 401, "Connect",
                                              "user_details.id \"" + std::string{*details_id} +
                                                  "\" does not match the token's user_id \"" + who_.user_id + "\"");
        } else if (who_.user_id.empty()) {
            if (who_.anonymous) who_.user_id = detail::make_uuid_v4();
            else handshake_error_ = error_response(4, 400, "Connect", "the connect payload has no user_id");
        }
    }
    if (!handshake_error_) user_details_["id"] = who_.user_id;

    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10); // also bounds close handshakes
    timeouts.idle_timeout = std::chrono::seconds(120);     // with pings at half of it: dead peers go
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(max_message_size);
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(http::field::server, "streamchat-emulator");
    }));
    // Swift pings at the WebSocket level and waits for a health.check (docs/protocol.md §5.4). The
    // callback may not start operations itself, hence the post.
    ws_.control_callback([weak = weak_from_this(), ex = srv_->get_executor()](websocket::frame_type kind, beast::string_view) {
        if (kind != websocket::frame_type::ping) return;
        asio::post(ex, [weak] {
            if (auto s = weak.lock()) static_cast<ws_session&>(*s).send_health();
        });
    });
    ws_.async_accept(req_, [self = std::static_pointer_cast<ws_session>(shared_from_this())](error_code ec) {
        self->on_accept(ec);
    });
}

void ws_session::on_accept(error_code ec)
{
    if (ec || done_ || !srv_->serving()) return finish();
    if (handshake_error_) return fail_handshake(std::move(*handshake_error_));

    auto& realtime = srv_->realtime();
    // Frames the hub hands us while connect_user runs (presence, notifications) wait behind
    // the handshake's health.check, which must be the first frame.
    holding_ = true;
    connection_id_ = realtime.add_connection(who_.user_id, [weak = weak_from_this()](std::shared_ptr<const std::string> frame) {
        if (auto s = weak.lock()) static_cast<ws_session&>(*s).send(std::move(frame));
    });
    who_.connection_id = connection_id_;

    std::pair<std::optional<json::object>, api_response> result;
    try {
        result = connect_user(srv_->ctx(), who_, user_details_, std::chrono::system_clock::now());
    } catch (const std::exception& e) {
        result.second = error_response(-1, 500, "Connect", std::string{"internal error: "} + e.what());
    } catch (...) {
        result.second = error_response(-1, 500, "Connect", "internal error");
    }
    holding_ = false;
    if (!result.first) {
        queue_.clear();
        realtime.remove_connection(connection_id_);
        connection_id_.clear();
        return fail_handshake(std::move(result.second));
    }

    json::object first;
    first["type"] = "health.check";
    first["connection_id"] = connection_id_;
    first["cid"] = "*";
    first["created_at"] = now_rfc3339();
    first["me"] = std::move(*result.first);
    queue_.push_front(frame_of(first));
    if (!writing_) do_write();
    do_read();
    arm_health();
}

void ws_session::fail_handshake(api_response err)
{
    // One `{"error":{…}}` frame, then close 1000, which means "permanent, do not reconnect"
    // (docs/protocol.md §5.3).
    err.body["duration"] = "0.00ms";
    json::object frame;
    frame["error"] = std::move(err.body);
    send(frame_of(frame));
    close_after_drain_ = true;
    if (!writing_) start_close();
}

void ws_session::do_read()
{
    if (done_) return;
    ws_.async_read(buffer_, [self = std::static_pointer_cast<ws_session>(shared_from_this())](error_code ec, std::size_t) {
        self->on_read(ec);
    });
}

void ws_session::on_read(error_code ec)
{
    if (ec || done_) return finish();
    if (ws_.got_text()) {
        const std::string text = beast::buffers_to_string(buffer_.data());
        on_text(text);
    }
    buffer_.consume(buffer_.size());
    do_read();
}

void ws_session::on_text(std::string_view text)
{
    // Empty frames are keep-alives (Unreal); anything unparsable is ignored, never fatal.
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return;
    error_code ec;
    const auto v = json::parse(text, ec);
    if (ec) return;
    bool health = is_health_check(v);
    if (v.is_array())
        for (const auto& e : v.get_array()) health = health || is_health_check(e);
    if (health) send_health();
}

void ws_session::send_health()
{
    if (done_ || connection_id_.empty()) return;
    json::object hc;
    hc["type"] = "health.check";
    hc["connection_id"] = connection_id_;
    hc["cid"] = "*";
    hc["created_at"] = now_rfc3339();
    send(frame_of(hc));
}

void ws_session::arm_health()
{
    const auto interval = srv_->config().health_check_interval;
    if (done_ || interval <= std::chrono::milliseconds::zero()) return;
    health_.expires_after(interval);
    health_.async_wait([self = std::static_pointer_cast<ws_session>(shared_from_this())](error_code ec) {
        if (ec || self->done_) return;
        self->send_health();
        self->arm_health();
    });
}

void ws_session::send(std::shared_ptr<const std::string> frame)
{
    if (done_ || closing_ || close_after_drain_ || overflowed_ || !frame) return;
    if (queue_.size() >= max_queued_frames) {
        // Slow consumer: drop it. Deferred, because we are usually inside a hub fan-out loop
        // that finish() (remove_connection) must not modify under its feet.
        overflowed_ = true;
        queue_.clear();
        asio::post(srv_->get_executor(), [self = std::static_pointer_cast<ws_session>(shared_from_this())] {
            self->finish();
        });
        return;
    }
    queue_.push_back(std::move(frame));
    if (!writing_ && !holding_) do_write();
}

void ws_session::do_write()
{
    if (done_ || queue_.empty()) return;
    writing_ = true;
    ws_.text(true);
    auto frame = queue_.front();
    ws_.async_write(asio::buffer(*frame),
                    [self = std::static_pointer_cast<ws_session>(shared_from_this()), frame](error_code ec, std::size_t) {
                        self->on_write(ec);
                    });
}

void ws_session::on_write(error_code ec)
{
    writing_ = false;
    if (ec || done_) return finish();
    queue_.pop_front();
    if (!queue_.empty()) return do_write();
    if (close_after_drain_) start_close();
}

void ws_session::start_close()
{
    if (closing_ || done_) return;
    closing_ = true;
    ws_.async_close(websocket::close_code::normal,
                    [self = std::static_pointer_cast<ws_session>(shared_from_this())](error_code) { self->finish(); });
}

void ws_session::shutdown() { finish(); }

void ws_session::finish() noexcept
{
    if (done_) return;
    done_ = true;
    health_.cancel();
    queue_.clear();
    if (!connection_id_.empty() && srv_->serving()) {
        auto& realtime = srv_->realtime();
        try {
            realtime.remove_connection(connection_id_);
            if (!realtime.is_online(who_.user_id))
                disconnect_user(srv_->ctx(), who_.user_id, std::chrono::system_clock::now());
        } catch (...) {
            // Bookkeeping of a closing socket must not take the server down.
        }
    }
    connection_id_.clear();
    error_code ignored;
    auto& sock = beast::get_lowest_layer(ws_).socket();
    sock.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
}

} // namespace streamchat::emu
