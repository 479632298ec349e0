#include <streamchat/token.hpp>

#include "wire/base64.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

using namespace streamchat;
using namespace std::chrono_literals;
using std::chrono::sys_seconds;

namespace {

constexpr std::string_view john_secret_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiam9obiJ9."
    "yrpLD2gUq_TIyxMKpDBHQO391KGCNrFl-RvMT-p90MU";

sys_seconds at(std::int64_t s) { return sys_seconds{std::chrono::seconds{s}}; }

std::chrono::system_clock::time_point now_at(std::int64_t s)
{
    return std::chrono::system_clock::time_point{std::chrono::seconds{s}};
}

/// The decoded middle segment of a token.
std::string payload_of(const std::string& token)
{
    const auto a = token.find('.');
    const auto b = token.find('.', a + 1);
    return detail::base64_decode(token.substr(a + 1, b - a - 1)).value_or("<bad base64>");
}

/// Signs an arbitrary payload, independently of the code under test.
std::string sign_payload(std::string_view secret, std::string_view payload)
{
    std::string input = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + detail::base64url_encode(payload);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), md, &len);
    return input + "." + detail::base64url_encode(std::string(reinterpret_cast<const char*>(md), len));
}

/// Replaces the segment `index` (0..2) of a token.
std::string with_segment(const std::string& token, int index, const std::string& segment)
{
    const auto a = token.find('.');
    const auto b = token.find('.', a + 1);
    if (index == 0)
        return segment + token.substr(a);
    if (index == 1)
        return token.substr(0, a + 1) + segment + token.substr(b);
    return token.substr(0, b + 1) + segment;
}

error_code verify_error(std::string_view token, std::string_view secret = "secret",
                        std::chrono::system_clock::time_point now = now_at(1'600'000'000),
                        verify_options opts = {})
{
    auto r = verify_token(token, secret, now, opts);
    return r ? error_code{} : r.error();
}

} // namespace

TEST_CASE("user token for john/secret is byte-identical to the JS client's (protocol 1.4)")
{
    CHECK(make_user_token("secret", "john") == john_secret_token);
}

TEST_CASE("user token payload keeps the JS key order user_id, exp, iat")
{
    const auto with_exp = make_user_token("secret", "john", at(1'700'000'000));
    CHECK(payload_of(with_exp) == R"({"user_id":"john","exp":1700000000})");
    // Reference value computed independently (HMAC-SHA256 over the same bytes).
    CHECK(with_exp
          == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiam9obiIsImV4cCI6MTcwMDAwMDAwMH0."
             "Tb6bsusboyKgZgVa65jmRdMZtK79eXzrAWeh4NpG9Sw");

    const auto both = make_user_token("secret", "john", at(1'700'000'000), at(1'690'000'000));
    CHECK(payload_of(both) == R"({"user_id":"john","exp":1700000000,"iat":1690000000})");

    const auto iat_only = make_user_token("secret", "john", std::nullopt, at(1'690'000'000));
    CHECK(payload_of(iat_only) == R"({"user_id":"john","iat":1690000000})");
}

TEST_CASE("user_id is escaped like JSON.stringify")
{
    CHECK(payload_of(make_user_token("s", "a\"b\\c")) == R"({"user_id":"a\"b\\c"})");
    CHECK(payload_of(make_user_token("s", "l\n\t\r\b\f")) == R"({"user_id":"l\n\t\r\b\f"})");
    CHECK(payload_of(make_user_token("s", std::string("x\x01\x1f\x7fy"))) == "{\"user_id\":\"x\\u0001\\u001f\x7fy\"}");
    CHECK(payload_of(make_user_token("s", "j\xc3\xb6rg/\xe2\x82\xac")) == "{\"user_id\":\"j\xc3\xb6rg/\xe2\x82\xac\"}");
    CHECK(payload_of(make_user_token("s", std::string("nul\0z", 5))) == R"({"user_id":"nul\u0000z"})");

    // And decoding gives the original id back.
    const std::string id = "q\"\\\n\x01\xc3\xa9";
    auto claims = decode_token(make_user_token("s", id));
    REQUIRE(claims.has_value());
    CHECK(claims->user_id == id);
}

TEST_CASE("server token")
{
    const auto token = make_server_token("secret");
    CHECK(payload_of(token) == R"({"server":true})");
    CHECK(token
          == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXJ2ZXIiOnRydWV9."
             "DHnfQolWsEGFcTR7ZwVBbIVUFAvxzDJXzB6UlyU-7JQ");
    auto claims = verify_token(token, "secret", now_at(1'600'000'000));
    REQUIRE(claims.has_value());
    CHECK(claims->server);
    CHECK_FALSE(claims->user_id);
}

TEST_CASE("dev tokens have the exact shape of protocol 1.4")
{
    CHECK(make_dev_token("john") == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiam9obiJ9.devtoken");
    CHECK(make_dev_token("alice")
          == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiYWxpY2UifQ==.devtoken");
    CHECK(make_dev_token("user-1")
          == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoidXNlci0xIn0=.devtoken");
}

TEST_CASE("decode_token reads claims of every token kind")
{
    SECTION("user token")
    {
        auto c = decode_token(john_secret_token);
        REQUIRE(c.has_value());
        CHECK(c->user_id == "john");
        CHECK_FALSE(c->server);
        CHECK_FALSE(c->exp);
        CHECK_FALSE(c->iat);
        CHECK_FALSE(c->nbf);
        CHECK_FALSE(c->dev);
    }
    SECTION("padded standard-base64 dev token")
    {
        auto c = decode_token(make_dev_token("alice"));
        REQUIRE(c.has_value());
        CHECK(c->user_id == "alice");
        CHECK(c->dev);
    }
    SECTION("the same dev token without padding")
    {
        auto c = decode_token("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiYWxpY2UifQ.devtoken");
        REQUIRE(c.has_value());
        CHECK(c->user_id == "alice");
    }
    SECTION("exp/iat/nbf, fractional dates floored")
    {
        const std::string payload =
            detail::base64url_encode(R"({"user_id":"x","exp":1700000000,"iat":1690000000.9,"nbf":5})");
        auto c = decode_token(with_segment(std::string(john_secret_token), 1, payload));
        REQUIRE(c.has_value());
        CHECK(c->exp == at(1'700'000'000));
        CHECK(c->iat == at(1'690'000'000));
        CHECK(c->nbf == at(5));
    }
}

TEST_CASE("decode_token rejects malformed tokens")
{
    const std::string good(john_secret_token);
    auto bad = [](const std::string& t) {
        auto r = decode_token(t);
        return !r && r.error() == error::invalid_token;
    };
    CHECK(bad(""));
    CHECK(bad("garbage"));
    CHECK(bad("a.b"));
    CHECK(bad(good + ".x"));                              // 3 dots
    CHECK(bad("..."));
    CHECK(bad(".."));
    CHECK(bad(with_segment(good, 1, "!!!!")));            // not base64
    CHECK(bad(with_segment(good, 0, "e30*")));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode("not json"))));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode("[1,2]"))));
    CHECK(bad(with_segment(good, 0, detail::base64url_encode("\"HS256\""))));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode(R"({"user_id":42})"))));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode(R"({"server":"yes"})"))));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode(R"({"exp":"tomorrow"})"))));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode(R"({"exp":1e300})"))));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode(R"({"exp":18446744073709551615})"))));
    CHECK(bad(with_segment(good, 1, detail::base64url_encode(R"({"exp":9223372036854775807})"))));
}

TEST_CASE("verify_token accepts good tokens")
{
    auto c = verify_token(john_secret_token, "secret", now_at(1'600'000'000));
    REQUIRE(c.has_value());
    CHECK(c->user_id == "john");

    const auto token = make_user_token("secret", "john", at(1'700'000'000), at(1'690'000'000));
    auto c2 = verify_token(token, "secret", now_at(1'699'999'999));
    REQUIRE(c2.has_value());
    CHECK(c2->exp == at(1'700'000'000));

    // An empty secret is a secret like any other.
    CHECK_FALSE(verify_error(make_user_token("", "john"), ""));
    CHECK(verify_error(make_user_token("", "john"), "secret") == error::token_signature_invalid);
}

TEST_CASE("verify_token rejects every kind of bad token with its own code")
{
    const std::string good(john_secret_token);

    SECTION("tampered payload")
    {
        const auto tampered = with_segment(good, 1, detail::base64url_encode(R"({"user_id":"admin"})"));
        CHECK(verify_error(tampered) == error::token_signature_invalid);
    }
    SECTION("tampered signature")
    {
        auto sig = std::string(good.substr(good.rfind('.') + 1));
        sig[0] = sig[0] == 'A' ? 'B' : 'A';
        CHECK(verify_error(with_segment(good, 2, sig)) == error::token_signature_invalid);
        CHECK(verify_error(with_segment(good, 2, "")) == error::token_signature_invalid);
        CHECK(verify_error(with_segment(good, 2, sig.substr(0, 20))) == error::token_signature_invalid);
        CHECK(verify_error(with_segment(good, 2, "***")) == error::invalid_token);
    }
    SECTION("wrong secret")
    {
        CHECK(verify_error(good, "Secret") == error::token_signature_invalid);
        CHECK(verify_error(good, "") == error::token_signature_invalid);
    }
    SECTION("alg none and other algorithms")
    {
        const auto none = detail::base64url_encode(R"({"alg":"none","typ":"JWT"})");
        CHECK(verify_error(with_segment(good, 0, none)) == error::unsupported_token_algorithm);
        CHECK(verify_error(with_segment(with_segment(good, 0, none), 2, "")) == error::unsupported_token_algorithm);
        const auto hs512 = detail::base64url_encode(R"({"alg":"HS512","typ":"JWT"})");
        CHECK(verify_error(with_segment(good, 0, hs512)) == error::unsupported_token_algorithm);
        const auto lower = detail::base64url_encode(R"({"alg":"hs256"})");
        CHECK(verify_error(with_segment(good, 0, lower)) == error::unsupported_token_algorithm);
        const auto missing = detail::base64url_encode(R"({"typ":"JWT"})");
        CHECK(verify_error(with_segment(good, 0, missing)) == error::invalid_token);
    }
    SECTION("expired, with and without leeway")
    {
        const auto token = make_user_token("secret", "john", at(1'700'000'000));
        CHECK(verify_error(token, "secret", now_at(1'700'000'000)) == error::token_expired);
        CHECK(verify_error(token, "secret", now_at(1'800'000'000)) == error::token_expired);
        CHECK_FALSE(verify_error(token, "secret", now_at(1'700'000'000) - 1ns));
        verify_options opts;
        opts.leeway = 30s;
        CHECK_FALSE(verify_error(token, "secret", now_at(1'700'000'029), opts));
        CHECK(verify_error(token, "secret", now_at(1'700'000'030), opts) == error::token_expired);
        opts.leeway = std::chrono::seconds::max(); // clamped, no overflow
        CHECK_FALSE(verify_error(token, "secret", now_at(1'700'000'030), opts));
    }
    SECTION("iat and nbf in the future")
    {
        const auto iat = make_user_token("secret", "john", std::nullopt, at(1'700'000'000));
        CHECK(verify_error(iat, "secret", now_at(1'699'999'999)) == error::token_not_yet_valid);
        CHECK_FALSE(verify_error(iat, "secret", now_at(1'700'000'000)));
        verify_options opts;
        opts.leeway = 5s;
        CHECK_FALSE(verify_error(iat, "secret", now_at(1'699'999'995), opts));
        CHECK(verify_error(iat, "secret", now_at(1'699'999'994), opts) == error::token_not_yet_valid);

        const auto nbf = sign_payload("secret", R"({"user_id":"john","nbf":1700000000})");
        CHECK(verify_error(nbf, "secret", now_at(1'699'999'999)) == error::token_not_yet_valid);
        CHECK_FALSE(verify_error(nbf, "secret", now_at(1'700'000'000)));
    }
    SECTION("garbage, empty, wrong segment count, non-base64")
    {
        CHECK(verify_error("") == error::invalid_token);
        CHECK(verify_error("garbage") == error::invalid_token);
        CHECK(verify_error("a.b.c.d") == error::invalid_token);
        CHECK(verify_error(good + ".") == error::invalid_token);
        CHECK(verify_error(with_segment(good, 1, "%%%")) == error::invalid_token);
        CHECK(verify_error(with_segment(good, 0, "")) == error::invalid_token);
        CHECK(verify_error(std::string(4096, '.')) == error::invalid_token);
    }
}

TEST_CASE("dev tokens are accepted only with allow_dev_tokens")
{
    for (const char* user : {"john", "alice", "user-1"}) {
        const auto token = make_dev_token(user);
        CHECK(verify_error(token) == error::token_signature_invalid);
        verify_options opts;
        opts.allow_dev_tokens = true;
        auto c = verify_token(token, "secret", now_at(1'600'000'000), opts);
        REQUIRE(c.has_value());
        CHECK(c->user_id == user);
        CHECK(c->dev);
    }
    // alg none stays rejected even with dev tokens allowed.
    verify_options opts;
    opts.allow_dev_tokens = true;
    const auto none = detail::base64url_encode(R"({"alg":"none"})");
    CHECK(verify_error(with_segment(make_dev_token("john"), 0, none), "secret", now_at(0), opts)
          == error::unsupported_token_algorithm);
}

TEST_CASE("static token provider completes once with its token")
{
    auto provider = make_static_token_provider("tok");
    for (int round = 0; round < 2; ++round) {
        int calls = 0;
        std::string got;
        error_code got_ec = error::invalid_argument;
        provider([&](error_code ec, std::string t) {
            ++calls;
            got_ec = ec;
            got = std::move(t);
        });
        CHECK(calls == 1);
        CHECK_FALSE(got_ec);
        CHECK(got == "tok");
    }
}

TEST_CASE("sync token provider adapts a function and contains its failures")
{
    auto run = [](const token_provider& p) {
        int calls = 0;
        std::pair<error_code, std::string> out;
        p([&](error_code ec, std::string t) {
            ++calls;
            out = {ec, std::move(t)};
        });
        CHECK(calls == 1);
        return out;
    };

    int fetched = 0;
    auto ok = run(make_sync_token_provider([&] { return "t" + std::to_string(++fetched); }));
    CHECK_FALSE(ok.first);
    CHECK(ok.second == "t1");

    auto throws = run(make_sync_token_provider([]() -> std::string { throw std::runtime_error("backend down"); }));
    CHECK(throws.first == error::invalid_token);
    CHECK(throws.second.empty());

    auto empty = run(make_sync_token_provider([] { return std::string(); }));
    CHECK(empty.first == error::invalid_token);

    auto none = run(make_sync_token_provider({}));
    CHECK(none.first == error::no_token_provider);
}
