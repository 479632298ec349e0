#ifndef STREAMCHAT_SRC_EMULATOR_SERVER_HTTP_SESSION_HPP
#define STREAMCHAT_SRC_EMULATOR_SERVER_HTTP_SESSION_HPP

// One accepted TCP connection speaking HTTP/1.1 with keep-alive. A WebSocket upgrade on
// `/connect` hands the stream to a ws_session.

#include "emulator/server/rate_limiter.hpp"
#include "emulator/server/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace streamchat::emu {

class http_session final : public session_base {
public:
    http_session(std::shared_ptr<server> srv, boost::asio::ip::tcp::socket socket);
    ~http_session() override;

    void run();
    void shutdown() override;

    /// Largest request head (request line + headers); more gets 431 + code 24.
    static constexpr std::uint32_t header_limit = 32 * 1024;
    /// An idle keep-alive connection, or a request that trickles in, is closed after this.
    static constexpr std::chrono::seconds read_timeout{60};

private:
    using response = boost::beast::http::response<boost::beast::http::string_body>;

    void do_read();
    void on_header(error_code ec);
    void on_read(error_code ec);
    void on_read_error(error_code ec);
    void handle_request();
    void send_api(api_response res, std::chrono::steady_clock::time_point started,
                  const rate_limiter::verdict& limits, bool keep_alive, bool cors_preflight = false);
    void do_write(bool close);
    void linger();
    void drain_step();
    void close_socket() noexcept;

    std::shared_ptr<server> srv_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::optional<response> res_;
    std::vector<char> drain_;
    std::size_t drained_ = 0;
    std::string remote_ip_;
    bool closed_ = false;
};

} // namespace streamchat::emu

#endif
