#ifndef STREAMCHAT_CONFIG_HPP
#define STREAMCHAT_CONFIG_HPP

/// @file
/// Configuration of a client: where the server is, who the user is, how to authenticate.

#include <streamchat/http_config.hpp>
#include <streamchat/logger.hpp>
#include <streamchat/realtime_config.hpp>
#include <streamchat/request_priority.hpp>
#include <streamchat/token.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace streamchat {

class shared_http_pool;

/// How requests authenticate (`stream-auth-type`, docs/protocol.md §1.3, §1.5).
enum class auth_type {
    jwt,      ///< `Authorization: <raw JWT>`.
    anonymous ///< No `Authorization` header; `stream-auth-type: anonymous`.
};

/// Settings of a client. An aggregate: designated initialisers work, every member has a default.
struct client_config {
    /// REST base URL. `https://…` uses TLS with verification; `http://` is for loopback/emulator.
    std::string base_url = "https://chat.stream-io-api.com";
    /// The app's API key, sent as `api_key` on every request. Required.
    std::string api_key{};
    /// The connected user, sent as `user_id`; empty for a server-side client.
    std::string user_id{};
    /// Authentication kind.
    auth_type auth = auth_type::jwt;
    /// A fixed token (user token, server token or dev token). Ignored when `token_source` is set.
    std::string token{};
    /// Asked for a token before the first request when `token` is empty, and again whenever the
    /// server answers code 40 (token expired). Empty: no refresh, code 40 reaches the caller.
    token_provider token_source{};
    /// How many times one request may refresh its token and resend after code 40 (the JS client
    /// retries without bound; one is enough when the provider returns a fresh token).
    int max_token_refreshes = 1;
    /// HTTP connection pool settings (of the client's own pool; see `http_pool`).
    http_config http{};
    /// Connections shared with other clients of this process (`<streamchat/shared_http_pool.hpp>`):
    /// REST calls go over them instead of over a pool of the client's own, whose settings (`http`)
    /// and host (`base_url`, still used for the WebSocket when `ws_url` is empty) then do not
    /// apply to REST. Use the client on the pool's executor. Default: none, the client has its own.
    std::shared_ptr<shared_http_pool> http_pool{};
    /// Request lanes, requests in flight and per-endpoint rate budgets in front of the pool
    /// (on, Stream's 60 a minute per endpoint, by default).
    scheduler_config scheduler{};
    /// WebSocket base URL (`ws://` or `wss://`, the `/connect` path is appended). Empty: derived
    /// from `base_url` (http → ws, https → wss), which is right for Stream and the emulator.
    std::string ws_url{};
    /// WebSocket health checks and handshake budget (Stream's figures by default).
    health_config health{};
    /// Reconnect delays (Stream's jittered schedule by default).
    backoff_config backoff{};
    /// Grouping of incoming events before they are applied and delivered (100 ms by default).
    batch_config batch{};
    /// Bound on the channels watched at once (20 by default).
    watch_config watch{};
    /// Pacing of typing events and read marks.
    pacing_config pacing{};
    /// Profile cache: how long a profile answers without a call. Default 5 minutes.
    std::chrono::milliseconds profile_ttl{5 * 60 * 1000};
    /// Profile cache: entries kept at most, least recently used dropped first. Default 10,000.
    std::size_t profile_capacity = 10000;
    /// Metrics: the process's resident set size is sampled at most this often, when batches are
    /// delivered (no timer of its own), and at every `client::metrics_snapshot()`; the last 600
    /// samples are kept. 0 turns sampling off. Default 1 s.
    std::chrono::milliseconds rss_sample_interval{1000};
    /// Diagnostics (skipped frames, reconnects, failed recoveries). Default: no sink, silent.
    logger log{};
};

} // namespace streamchat

#endif
