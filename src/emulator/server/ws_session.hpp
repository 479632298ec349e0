#ifndef STREAMCHAT_SRC_EMULATOR_SERVER_WS_SESSION_HPP
#define STREAMCHAT_SRC_EMULATOR_SERVER_WS_SESSION_HPP

// One `/connect` WebSocket (docs/protocol.md §5): authentication from the query, the `health.check`
// handshake, health checks both ways, and a single writer draining a bounded queue that the hub
// fills through the connection's sender.

#include "emulator/server/server.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace streamchat::emu {

class ws_session final : public session_base {
public:
    ws_session(std::shared_ptr<server> srv, boost::beast::tcp_stream stream, std::string remote_ip);
    ~ws_session() override;

    /// Authenticates from the upgrade request's query, then accepts the upgrade.
    void run(boost::beast::http::request<boost::beast::http::string_body> req);
    void shutdown() override;
    bool is_websocket() const noexcept override { return true; }

    /// Queues one text frame. A consumer so slow that `max_queued_frames` pile up is dropped
    /// (TCP closed without a close frame, which could only queue behind the backlog): clients
    /// see an abnormal close, reconnect and recover what they missed through `/sync`.
    void send(std::shared_ptr<const std::string> frame);

    static constexpr std::size_t max_queued_frames = 10'000;
    /// Inbound messages larger than this fail the read (Beast closes with 1009).
    static constexpr std::size_t max_message_size = 1024 * 1024;

private:
    void on_accept(error_code ec);
    void fail_handshake(api_response err);
    void do_read();
    void on_read(error_code ec);
    void on_text(std::string_view text);
    void do_write();
    void on_write(error_code ec);
    void start_close();
    void arm_health();
    void send_health();
    void finish() noexcept;

    std::shared_ptr<server> srv_;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::http::request<boost::beast::http::string_body> req_;
    boost::beast::flat_buffer buffer_;
    boost::asio::steady_timer health_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    std::string remote_ip_;
    std::optional<api_response> handshake_error_; // decided before the upgrade, sent right after it
    caller who_;
    boost::json::object user_details_;
    std::string connection_id_;
    bool writing_ = false;
    bool holding_ = false;    // connect_user is running: queue, do not write yet
    bool overflowed_ = false; // the queue overflowed: the connection is being dropped
    bool close_after_drain_ = false;
    bool closing_ = false;
    bool done_ = false;
};

} // namespace streamchat::emu

#endif
