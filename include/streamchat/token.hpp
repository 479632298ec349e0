#ifndef STREAMCHAT_TOKEN_HPP
#define STREAMCHAT_TOKEN_HPP

/// @file
/// Stream's JWTs (docs/protocol.md §1.4): HS256 user, server and dev tokens, their decoding and
/// verification, and the token provider the client asks again when the server answers code 40.
///
/// Creation matches the official JS client byte for byte, so a token made here and one made by
/// `StreamChat#createToken` for the same inputs are the same string.

#include <streamchat/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace streamchat {

// ------------------------------------------------------------------ creation

/// A user token `{"user_id":…[,"exp":…][,"iat":…]}` signed with HS256, in the JS client's key
/// order. Without `iat` none is added: the JS client signs with `noTimestamp`
/// (docs/protocol.md §1.4). `user_id` must be UTF-8; it is escaped like `JSON.stringify` does
/// (quotes, backslashes and control characters escaped, everything else verbatim).
/// @par Example
/// `make_user_token("secret", "john")` is
/// `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiam9obiJ9.yrpLD2gUq_TIyxMKpDBHQO391KGCNrFl-RvMT-p90MU`.
std::string make_user_token(std::string_view secret, std::string_view user_id,
                            std::optional<std::chrono::sys_seconds> exp = {},
                            std::optional<std::chrono::sys_seconds> iat = {});

/// A server token `{"server":true}` signed with HS256. It grants full access to the app:
/// never ship the secret, or this token, to an end-user device.
std::string make_server_token(std::string_view secret);

/// An unsigned development token, exactly as the JS client's `devToken(user_id)` builds it: the
/// fixed HS256 header, the payload in *standard* base64 *with* `=` padding, and the literal
/// signature `devtoken`. Only apps with auth checks disabled accept it.
std::string make_dev_token(std::string_view user_id);

// ------------------------------------------------------------------ inspection

/// The claims of a token that this SDK understands. Unknown claims are ignored.
struct token_claims {
    /// `user_id`. Empty: no such claim (e.g. a server token).
    std::optional<std::string> user_id{};
    /// `server` was `true`. Default false: a user token.
    bool server = false;
    /// `exp` (NumericDate; fractions truncated toward the past). Empty: never expires.
    std::optional<std::chrono::sys_seconds> exp{};
    /// `iat`. Empty: absent, the normal case for Stream user tokens.
    std::optional<std::chrono::sys_seconds> iat{};
    /// `nbf`. Empty: absent.
    std::optional<std::chrono::sys_seconds> nbf{};
    /// The signature segment is the literal `devtoken`. Default false.
    bool dev = false;
};

/// Reads the claims without checking the signature, as `connectUser` does to compare `user_id`
/// with the user being connected. Both base64 alphabets are accepted, padded or not, because dev
/// tokens use the standard padded form. Fails with `error::invalid_token` unless the token has
/// exactly three segments whose first two decode to JSON objects and whose known claims have
/// the right types (`user_id` a string, `server` a bool, `exp`/`iat`/`nbf` numbers).
boost::system::result<token_claims> decode_token(std::string_view token);

/// What `verify_token` tolerates.
struct verify_options {
    /// Accept tokens whose signature is the literal `devtoken` without checking it, as an app with
    /// auth checks disabled does. Default false: dev tokens fail with `token_signature_invalid`.
    bool allow_dev_tokens = false;
    /// Clock skew forgiven on `exp`, `nbf` and `iat`. Default 0: exact, like Stream's server.
    std::chrono::seconds leeway{0};
};

/// Verifies an HS256 token against `secret` at time `now` (passed in so tests and the emulator
/// control the clock). Checks, in order, each failing with its own code:
/// well-formedness (`invalid_token`), `alg` is exactly `HS256` (`unsupported_token_algorithm`;
/// `none` is never accepted), the signature in constant time (`token_signature_invalid`),
/// `exp` with `now >= exp + leeway` (`token_expired`), `nbf` or `iat` later than
/// `now + leeway` (`token_not_yet_valid`).
boost::system::result<token_claims> verify_token(std::string_view token, std::string_view secret,
                                                 std::chrono::system_clock::time_point now,
                                                 const verify_options& options = {});

// ------------------------------------------------------------------ provider

/// Supplies a fresh token on demand, like the JS client's `connectUser(user, () => Promise<string>)`.
///
/// Contract:
/// - The client calls it when connecting and again whenever the server answers code 40 (token
///   expired) over WebSocket or REST (docs/protocol.md §5.6); never concurrently with itself.
/// - It must invoke the handler exactly once, with a token or with an error. Never drop it
///   uninvoked: the waiting operation could then only end by its timeout or by cancellation.
/// - It may complete on any executor or thread, even inline before returning: the caller
///   re-dispatches to its own executor, so the provider needs no knowledge of it.
/// - An error is passed to whoever awaited the connection or request; it is not retried.
using token_provider =
    std::function<void(boost::asio::any_completion_handler<void(error_code, std::string)>)>;

/// A provider that always hands out `token`. The client treats it like a static token: after a
/// code 40 it gets the same token again, so the failure reaches the caller.
token_provider make_static_token_provider(std::string token);

/// Adapts a synchronous function, e.g. one that asks the application's backend over a blocking
/// call. It runs *inside* the provider call, on whatever thread the client calls from, so it
/// must be quick or the caller's executor stalls. It completes inline with the returned token;
/// with `error::invalid_token` when it returns an empty string or throws (the exception does not
/// escape), or `error::no_token_provider` when `fetch` is empty.
token_provider make_sync_token_provider(std::function<std::string()> fetch);

} // namespace streamchat

#endif
