#include "emulator/server/auth.hpp"

#include <streamchat/token.hpp>

#include <vector>

namespace streamchat::emu {

namespace {

auth_result refuse(int code, std::string reason, int status = 401)
{
    return auth_result{std::nullopt, auth_failure{code, status, std::move(reason)}};
}


} // namespace

auth_result authenticate(const credentials& in, const emulator_config& cfg,
                         std::chrono::system_clock::time_point now)
{
    if (!in.api_key || in.api_key->empty()) return refuse(2, "api_key not found");
    if (*in.api_key != cfg.api_key) return refuse(2, "api_key not valid");
    if (!in.auth_type || (*in.auth_type != "jwt" && *in.auth_type != "anonymous"))
        return refuse(5, "stream-auth-type missing or invalid");

    caller who;
    who.connection_id = std::string{in.connection_id};
    if (*in.auth_type == "anonymous") {
        who.anonymous = true;
        if (in.user_id) who.user_id = std::string{*in.user_id};
        return auth_result{std::move(who), {}};
    }

    std::string_view token = in.token;
    // The token is a raw JWT (docs/protocol.md §1.3); a "Bearer " prefix, which curl users add
    // by habit, is tolerated.
    if (token.starts_with("Bearer ") || token.starts_with("bearer ")) token.remove_prefix(7);
    if (token.empty()) return refuse(5, "Authorization header missing for stream-auth-type jwt");

    verify_options opts;
    opts.allow_dev_tokens = cfg.allow_dev_tokens;
    auto verified = verify_token(token, cfg.api_secret, now, opts);
    if (!verified) {
        const error_code ec = verified.error();
        if (ec == error::token_expired) return refuse(40, "JWTAuth error: token has expired");
        if (ec == error::token_signature_invalid || ec == error::unsupported_token_algorithm)
            return refuse(43, "JWTAuth error: signature is not valid. Make sure the token is created "
                              "using the secret key and not the API key");
        if (ec == error::token_not_yet_valid) {
            // verify_token folds nbf and iat into one code; Stream tells them apart (41 vs 42).
            const auto claims = decode_token(token);
            const auto t = std::chrono::time_point_cast<std::chrono::seconds>(now);
            if (claims && claims->nbf && *claims->nbf > t) return refuse(41, "JWTAuth error: token is not valid yet");
            return refuse(42, "JWTAuth error: token used before issue at (iat)");
        }
        return refuse(5, "JWTAuth error: token is not a valid JWT");
    }

    if (verified->server) {
        who.server = true;
        if (in.user_id) who.user_id = std::string{*in.user_id};
        return auth_result{std::move(who), {}};
    }
    if (!verified->user_id || verified->user_id->empty())
        return refuse(5, "JWTAuth error: the token has no user_id claim");
    if (in.user_id && !in.user_id->empty() && *in.user_id != *verified->user_id)
        return refuse(5, "JWTAuth error: the token's user_id \"" + *verified->user_id +
                             "\" does not match user_id \"" + std::string{*in.user_id} + "\"");
    who.user_id = *verified->user_id;
    return auth_result{std::move(who), {}};
}


} // namespace streamchat::emu
