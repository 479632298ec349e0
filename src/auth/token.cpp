#include <streamchat/token.hpp>

#include "wire/base64.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>

namespace streamchat {

namespace {

namespace json = boost::json;

/// base64url of `{"alg":"HS256","typ":"JWT"}`, the header both jsonwebtoken and DevToken emit.
constexpr std::string_view hs256_header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

constexpr std::string_view dev_signature = "devtoken";

/// Appends `s` as a JSON string literal exactly as `JSON.stringify` writes it: `"` and `\`
/// escaped, \b \f \n \r \t short forms, other control characters as lowercase `\u00xx`, every
/// other byte (DEL and UTF-8 sequences included) verbatim.
void append_json_string(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

std::string user_payload(std::string_view user_id)
{
    std::string payload = "{\"user_id\":";
    append_json_string(payload, user_id);
    return payload;
}

/// HMAC-SHA256 of `data` keyed with `secret`; empty on an OpenSSL failure.
std::string hmac_sha256(std::string_view secret, std::string_view data)
{
    // HMAC() treats a null key specially; an empty key must still be a valid pointer.
    static const unsigned char empty_key = 0;
    const void* key = secret.empty() ? static_cast<const void*>(&empty_key) : secret.data();
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &md_len)
        == nullptr)
        return {};
    return std::string(reinterpret_cast<const char*>(md.data()), md_len);
}

std::string sign(std::string_view secret, std::string_view payload_json)
{
    std::string token(hs256_header);
    token += '.';
    token += detail::base64url_encode(payload_json);
    const std::string mac = hmac_sha256(secret, token);
    token += '.';
    token += detail::base64url_encode(mac);
    return token;
}

// ------------------------------------------------------------------ parsing

/// A token split into its parts, with header and payload decoded.
struct parsed_token {
    std::string_view signing_input; ///< `header.payload`, exactly as received.
    std::string_view signature;     ///< The third segment, still encoded.
    json::object header;
    token_claims claims;
};

boost::system::result<json::object> decode_object(std::string_view segment)
{
    auto bytes = detail::base64_decode(segment);
    if (!bytes)
        return error::invalid_token;
    error_code ec;
    json::value v = json::parse(*bytes, ec);
    if (ec || !v.is_object())
        return error::invalid_token;
    return std::move(v.get_object());
}

/// Reads a NumericDate. Integers are taken as they are; fractions are floored. Values beyond
/// what an int64 of seconds holds are malformed, which keeps later arithmetic overflow-free.
boost::system::result<std::chrono::sys_seconds> numeric_date(const json::value& v)
{
    // +-2^62 leaves headroom for adding a leeway later.
    constexpr std::int64_t bound = std::int64_t{1} << 62;
    std::int64_t s = 0;
    if (v.is_int64()) {
        s = v.get_int64();
        if (s <= -bound || s >= bound)
            return error::invalid_token;
    } else if (v.is_double()) {
        const double d = std::floor(v.get_double());
        // NaN fails both comparisons.
        if (!(d > -4.6e18 && d < 4.6e18))
            return error::invalid_token;
        s = static_cast<std::int64_t>(d);
    } else {
        return error::invalid_token; // strings, bools, uint64 beyond int64
    }
    return std::chrono::sys_seconds{std::chrono::seconds{s}};
}

boost::system::result<token_claims> read_claims(const json::object& payload)
{
    token_claims claims;
    if (const auto* v = payload.if_contains("user_id")) {
        if (!v->is_string())
            return error::invalid_token;
        claims.user_id = std::string(v->get_string());
    }
    if (const auto* v = payload.if_contains("server")) {
        if (!v->is_bool())
            return error::invalid_token;
        claims.server = v->get_bool();
    }
    const std::pair<const char*, std::optional<std::chrono::sys_seconds>*> dates[] = {
        {"exp", &claims.exp}, {"iat", &claims.iat}, {"nbf", &claims.nbf}};
    for (const auto& [name, slot] : dates) {
        if (const auto* v = payload.if_contains(name)) {
            auto t = numeric_date(*v);
            if (!t)
                return t.error();
            *slot = *t;
        }
    }
    return claims;
}

boost::system::result<parsed_token> parse_token(std::string_view token)
{
    const auto first = token.find('.');
    if (first == std::string_view::npos)
        return error::invalid_token;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return error::invalid_token;

    parsed_token out;
    out.signing_input = token.substr(0, second);
    out.signature = token.substr(second + 1);
    auto header = decode_object(token.substr(0, first));
    if (!header)
        return header.error();
    out.header = std::move(*header);
    auto payload = decode_object(token.substr(first + 1, second - first - 1));
    if (!payload)
        return payload.error();
    auto claims = read_claims(*payload);
    if (!claims)
        return claims.error();
    out.claims = std::move(*claims);
    out.claims.dev = out.signature == dev_signature;
    return out;
}

} // namespace

std::string make_user_token(std::string_view secret, std::string_view user_id,
                            std::optional<std::chrono::sys_seconds> exp,
                            std::optional<std::chrono::sys_seconds> iat)
{
    std::string payload = user_payload(user_id);
    if (exp) {
        payload += ",\"exp\":";
        payload += std::to_string(exp->time_since_epoch().count());
    }
    if (iat) {
        payload += ",\"iat\":";
        payload += std::to_string(iat->time_since_epoch().count());
    }
    payload += '}';
    return sign(secret, payload);
}

std::string make_server_token(std::string_view secret) { return sign(secret, "{\"server\":true}"); }

std::string make_dev_token(std::string_view user_id)
{
    std::string token(hs256_header);
    token += '.';
    token += detail::base64_encode(user_payload(user_id) + '}');
    token += '.';
    token += dev_signature;
    return token;
}

boost::system::result<token_claims> decode_token(std::string_view token)
{
    auto parsed = parse_token(token);
    if (!parsed)
        return parsed.error();
    return std::move(parsed->claims);
}

boost::system::result<token_claims> verify_token(std::string_view token, std::string_view secret,
                                                 std::chrono::system_clock::time_point now,
                                                 const verify_options& options)
{
    auto parsed = parse_token(token);
    if (!parsed)
        return parsed.error();

    const auto* alg = parsed->header.if_contains("alg");
    if (alg == nullptr || !alg->is_string())
        return error::invalid_token;
    if (alg->get_string() != "HS256")
        return error::unsupported_token_algorithm;

    if (!(parsed->claims.dev && options.allow_dev_tokens)) {
        const auto signature = detail::base64_decode(parsed->signature);
        if (!signature)
            return error::invalid_token;
        const std::string expected = hmac_sha256(secret, parsed->signing_input);
        if (expected.empty() || signature->size() != expected.size()
            || CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
            return error::token_signature_invalid;
    }

    // Compare in whole seconds: claims may lie far outside system_clock's nanosecond range.
    // The leeway is clamped to [0, 100 years] so the sums below cannot overflow.
    using std::chrono::seconds;
    const std::int64_t now_s =
        std::chrono::floor<seconds>(now).time_since_epoch().count();
    const std::int64_t leeway =
        std::clamp<std::int64_t>(options.leeway.count(), 0, std::int64_t{100} * 366 * 86400);
    const auto& c = parsed->claims;
    if (c.exp && now_s >= c.exp->time_since_epoch().count() + leeway)
        return error::token_expired;
    if (c.nbf && c.nbf->time_since_epoch().count() > now_s + leeway)
        return error::token_not_yet_valid;
    if (c.iat && c.iat->time_since_epoch().count() > now_s + leeway)
        return error::token_not_yet_valid;
    return std::move(parsed->claims);
}

// ------------------------------------------------------------------ providers

token_provider make_static_token_provider(std::string token)
{
    return [token = std::move(token)](
               boost::asio::any_completion_handler<void(error_code, std::string)> handler) {
        std::move(handler)(error_code{}, token);
    };
}

token_provider make_sync_token_provider(std::function<std::string()> fetch)
{
    return [fetch = std::move(fetch)](
               boost::asio::any_completion_handler<void(error_code, std::string)> handler) {
        if (!fetch) {
            std::move(handler)(make_error_code(error::no_token_provider), std::string{});
            return;
        }
        std::string token;
        bool ok = true;
        try {
            token = fetch();
        } catch (...) {
            ok = false;
        }
        if (!ok || token.empty()) {
            std::move(handler)(make_error_code(error::invalid_token), std::string{});
            return;
        }
        std::move(handler)(error_code{}, std::move(token));
    };
}

} // namespace streamchat
