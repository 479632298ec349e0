#ifndef STREAMCHAT_SRC_EMULATOR_SERVER_AUTH_HPP
#define STREAMCHAT_SRC_EMULATOR_SERVER_AUTH_HPP

// Who is calling (docs/protocol.md §1.3–1.5), decided from the api_key, the token and the
// `stream-auth-type`, identically for REST (headers) and the WebSocket (query parameters).
// Sans-io and clock-injected so every branch is testable without sockets.

#include "emulator/api.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace streamchat::emu {

/// The credentials of one request, as received.
struct credentials {
    std::optional<std::string_view> api_key{};   ///< `api_key` query parameter; empty = absent.
    std::optional<std::string_view> auth_type{}; ///< `stream-auth-type`; empty = absent.
    std::string_view token{};                    ///< `Authorization` header / `authorization` parameter.
    std::optional<std::string_view> user_id{};   ///< The user the request claims to act for (`user_id`).
    std::string_view connection_id{};            ///< `connection_id` query parameter.
};

/// A refusal: Stream code, HTTP status and the reason for the envelope's message.
struct auth_failure {
    int code = 0;
    int status = 401;
    std::string reason{};
};

/// The outcome: `who` on success, else `failure`.
struct auth_result {
    std::optional<caller> who{};
    auth_failure failure{};
};

/** Decides who is calling.

    Decisions (the codes the real service documents where it documents them):
    - `api_key` absent or not `cfg.api_key`: 401, code 2.
    - `stream-auth-type` absent or not `jwt`/`anonymous`: 401, code 5.
    - `anonymous`: no token needed; `caller.anonymous`, `user_id` from the request (may be empty).
    - `jwt` without a token, or a malformed token: 401, code 5.
    - `alg` other than HS256 (including `none`): 401, code 43 — an unsigned token has no valid signature.
    - bad signature, or a dev token while `cfg.allow_dev_tokens` is off: 401, code 43.
    - expired: 401, code 40 (clients refresh on it). `nbf` in the future: 41; `iat` in the future: 42.
    - a user token without `user_id`: 401, code 5.
    - a user token whose `user_id` differs from the claimed `user_id`: 401, code 5 (the token
      authenticates someone else; 5 is Stream's generic authentication error).
    - a server token: `caller.server`, acting for the claimed `user_id` if any.
*/
auth_result authenticate(const credentials& in, const emulator_config& cfg,
                         std::chrono::system_clock::time_point now);

} // namespace streamchat::emu

#endif
