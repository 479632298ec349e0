#ifndef STREAMCHAT_TESTS_SUPPORT_SCRIPTED_SERVER_HPP
#define STREAMCHAT_TESTS_SUPPORT_SCRIPTED_SERVER_HPP

// A loopback HTTP/1.1 server for tests whose every answer is scripted: the script sees each parsed
// request and returns the raw response bytes plus what to do with the connection (answer, hang up,
// send half the bytes, wait, never answer). Raw bytes let tests send malformed HTTP on purpose.
//
// Listens on 127.0.0.1 with an ephemeral port, plain or TLS (certificate chain + key files). Runs on
// the executor it is given, like the code under test; no threads. stop() (or the destructor) closes
// the listener and every connection, so an io_context with only the server left on it runs dry.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamchat::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// A request as the server parsed it.
struct scripted_request {
    std::string method;               ///< "GET", "POST", ...
    std::string target;               ///< Request target as sent ("/channels?api_key=...").
    header_list headers;              ///< In arrival order.
    std::string body;
    std::size_t index = 0;            ///< 1-based over all requests the server received.
    std::size_t connection = 0;       ///< 1-based index of the accepted connection that carried it.
    std::size_t on_connection = 0;    ///< 1-based index of the request on its connection.

    /// First header called `name` (case-insensitive), or empty.
    std::optional<std::string_view> header(std::string_view name) const;
};

/// What the server does with a request.
enum class reply_action {
    respond,             ///< Send `bytes`, keep the connection for the next request.
    respond_then_close,  ///< Send `bytes`, then close the connection.
    close,               ///< Close the connection without sending anything.
    partial_then_close,  ///< Send the first `partial_bytes` of `bytes`, then close.
    delay_then_respond,  ///< Wait `delay`, send `bytes`, keep the connection.
    never_respond,       ///< Keep the connection open and silent until the client (or stop()) closes it.
};

/// The script's answer to one request.
struct scripted_reply {
    std::string bytes{};                      ///< Raw bytes written to the socket.
    reply_action action = reply_action::respond;
    std::size_t partial_bytes = 0;            ///< For partial_then_close.
    std::chrono::milliseconds delay{0};       ///< For delay_then_respond.
};

/// Called once per request, on the server's executor.
using script = std::function<scripted_reply(const scripted_request&)>;

/// A well-formed response: status line with a standard reason, `Content-Length`, `extra` headers,
/// and `Connection: close` when `close` is set.
std::string http_response(int status, std::string_view body = {}, const header_list& extra = {}, bool close = false);

/// Certificate chain and private key files for a TLS server.
struct tls_files {
    std::string certificate_chain;
    std::string private_key;
};

/// Test TLS material in tests/data/tls (see make-certs.sh there).
std::string test_ca_file();            ///< The test CA certificate (PEM), to trust on the client.
tls_files test_server_tls();            ///< Leaf for DNS:localhost and IP:127.0.0.1.
tls_files test_wrong_host_tls();        ///< Leaf for DNS:wrong.example only.

class scripted_server {
public:
    /// Plain HTTP server. Throws on setup failure (tests only).
    scripted_server(boost::asio::any_io_executor ex, script s);
    /// HTTPS server presenting `tls`. Throws on setup failure (tests only).
    scripted_server(boost::asio::any_io_executor ex, script s, const tls_files& tls);
    ~scripted_server();

    scripted_server(const scripted_server&) = delete;
    scripted_server& operator=(const scripted_server&) = delete;

    std::uint16_t port() const noexcept;
    /// "http://127.0.0.1:<port>" or, for TLS, "https://localhost:<port>" unless `host` is given.
    std::string base_url(std::string_view host = {}) const;

    std::size_t connections_accepted() const noexcept;  ///< Connections accepted so far.
    std::size_t open_connections() const noexcept;      ///< Connections currently open.
    std::size_t max_open_connections() const noexcept;  ///< Highest number open at the same time.
    std::size_t requests_received() const noexcept;     ///< Requests parsed so far.
    const std::vector<scripted_request>& requests() const noexcept; ///< Every request so far, in order.

    /// Replaces the script (takes effect for the next request).
    void set_script(script s);

    /// Closes the listener and every connection. Idempotent.
    void stop();

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace streamchat::test

#endif
