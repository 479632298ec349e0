#ifndef STREAMCHAT_EMULATOR_HPP
#define STREAMCHAT_EMULATOR_HPP

/// @file
/// A local Stream-compatible chat server (REST + WebSocket, SQLite-backed) for development, tests,
/// demos and load tests: what the Firebase emulator is to Firebase. Single-node by design.
/// Link `StreamChat::emulator`.

#include <streamchat/error.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace streamchat {

/// Rate limiting of the emulator.
enum class emulator_rate_limits {
    off,   ///< No limits; `X-RateLimit-*` headers still report a generous quota.
    stream ///< Stream-like: 60 requests per minute per user and endpoint, 429 + code 9 beyond.
};

/// Deterministic seed data (same options, same data).
struct emulator_seed {
    int users = 0;                 ///< Users `user-0` … `user-{N-1}` (plus `for_user`).
    int channels = 0;              ///< Channels `seed-0` … of type `messaging`, each with `for_user` as member.
    int messages_per_channel = 0;  ///< Messages per channel, from members, spread over time.
    std::string for_user{};        ///< The user the seeded channels belong to; empty = `user-0`.
    std::uint64_t seed = 42;       ///< Pseudo-random seed: member picks, timestamps, unread counts.
};

/// Settings of an emulator. Every member has a default suitable for tests.
struct emulator_config {
    std::string host = "127.0.0.1";          ///< Address to bind.
    std::uint16_t port = 0;                  ///< Port to bind; 0 = any free port (see emulator::port()).
    std::string db_path = ":memory:";        ///< SQLite file, or ":memory:". A file keeps data across restarts.
    std::string api_key = "emulator-key";    ///< The only accepted `api_key`.
    std::string api_secret = "emulator-secret"; ///< HS256 secret that signs valid tokens.
    bool allow_dev_tokens = false;           ///< Accept dev tokens (signature `devtoken`), like "disable auth checks".
    emulator_rate_limits rate_limits = emulator_rate_limits::off; ///< Rate limiting.
    int rate_limit_per_minute = 60;          ///< Requests per user, endpoint and minute in `stream` mode.
    /// Length of the fixed rate-limit window that `rate_limit_per_minute` counts in. One minute
    /// like Stream; tests shorten it to see a window reset quickly.
    std::chrono::milliseconds rate_limit_window = std::chrono::minutes(1);
    /// Interval of the server's own `health.check` frames on each WebSocket.
    std::chrono::milliseconds health_check_interval = std::chrono::seconds(30);
    std::size_t max_body_size = 2 * 1024 * 1024; ///< Larger request bodies get 413 + code 22.
    std::size_t max_connections = 20000;     ///< Open sockets at most; more are refused at accept.
    emulator_seed seed{};                    ///< Data created at start (skipped when the database already has channels).
};

/** @brief A running emulator: REST and `/connect` WebSocket on one port.

    @par Thread safety
    Runs entirely on the executor given to the constructor (no threads). Call its functions from
    that executor's thread; `stop()` before destruction is optional (the destructor stops).
*/
class emulator {
public:
    emulator(boost::asio::any_io_executor ex, emulator_config config = {});
    ~emulator();
    emulator(const emulator&) = delete;
    emulator& operator=(const emulator&) = delete;

    /// Opens the database (creating the schema), seeds, binds and starts accepting. On failure
    /// returns the error and, when `why` is given, a sentence explaining it.
    error_code start(std::string* why = nullptr);

    /// The bound port (the real one when the config asked for 0); 0 before start().
    std::uint16_t port() const noexcept;

    /// "http://<host>:<port>": the base URL for clients (WebSocket at "ws://<host>:<port>/connect").
    std::string base_url() const;

    /// Stops accepting, closes every connection and the database. Idempotent.
    void stop();

    const emulator_config& config() const noexcept;

    // ---- introspection and faults, for tests and tools (call from the emulator's executor)

    /// Channels any WebSocket of `user_id` watches right now, sorted: the server's side of a
    /// client's watch set.
    std::vector<std::string> watched_channels(const std::string& user_id) const;
    /// Open WebSockets of `user_id`; of everyone when empty.
    std::size_t websocket_count(const std::string& user_id = {}) const;
    /// Closes every WebSocket abruptly (no close frame), as a network failure would; returns how
    /// many. Clients see a lost connection and reconnect.
    std::size_t drop_websockets();

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace streamchat

#endif
