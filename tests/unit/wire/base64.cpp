#include "wire/base64.hpp"

#include <catch2/catch.hpp>

#include <string>

using streamchat::detail::base64_decode;
using streamchat::detail::base64_encode;
using streamchat::detail::base64url_encode;

TEST_CASE("base64 encodes the RFC 4648 test vectors")
{
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foob") == "Zm9vYg==");
    CHECK(base64_encode("fooba") == "Zm9vYmE=");
    CHECK(base64_encode("foobar") == "Zm9vYmFy");

    CHECK(base64url_encode("f") == "Zg");
    CHECK(base64url_encode("fo") == "Zm8");
    CHECK(base64url_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 alphabets differ only in the last two characters")
{
    const std::string bytes("\xfb\xff\xbf", 3);
    CHECK(base64_encode(bytes) == "+/+/");
    CHECK(base64url_encode(bytes) == "-_-_");
}

TEST_CASE("base64_decode is lenient about alphabet and padding")
{
    const std::string bytes("\xfb\xff\xbf", 3);
    CHECK(base64_decode("+/+/") == bytes);
    CHECK(base64_decode("-_-_") == bytes);
    CHECK(base64_decode("+_-/") == bytes);

    CHECK(base64_decode("Zg==") == std::string("f"));
    CHECK(base64_decode("Zg") == std::string("f"));
    CHECK(base64_decode("Zm8=") == std::string("fo"));
    CHECK(base64_decode("Zm8") == std::string("fo"));
    CHECK(base64_decode("Zm9vYmFy") == std::string("foobar"));
    CHECK(base64_decode("") == std::string());

    // The dev-token payload for "alice" carries "==" that a strict base64url decoder rejects.
    CHECK(base64_decode("eyJ1c2VyX2lkIjoiYWxpY2UifQ==") == std::string(R"({"user_id":"alice"})"));
    CHECK(base64_decode("eyJ1c2VyX2lkIjoiYWxpY2UifQ") == std::string(R"({"user_id":"alice"})"));
}

TEST_CASE("base64_decode round-trips every byte value")
{
    std::string all;
    for (int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    for (std::size_t n = 0; n <= all.size(); n += 37) {
        const auto prefix = all.substr(0, n);
        CHECK(base64_decode(base64_encode(prefix)) == prefix);
        CHECK(base64_decode(base64url_encode(prefix)) == prefix);
    }
}

TEST_CASE("base64_decode rejects what no encoder produces")
{
    CHECK_FALSE(base64_decode("Z"));         // 1 mod 4
    CHECK_FALSE(base64_decode("Zm9vY"));     // 1 mod 4
    CHECK_FALSE(base64_decode("Zg="));       // incomplete padding
    CHECK_FALSE(base64_decode("Zm8=="));     // too much padding
    CHECK_FALSE(base64_decode("Zg==="));     // three '='
    CHECK_FALSE(base64_decode("Z=g="));      // '=' inside
    CHECK_FALSE(base64_decode("Zm 9v"));     // whitespace
    CHECK_FALSE(base64_decode("Zm9v\n"));
    CHECK_FALSE(base64_decode("Zm9*"));      // outside both alphabets
    CHECK_FALSE(base64_decode(std::string("Zm\0v", 4)));
    CHECK_FALSE(base64_decode("Zm9v\xc3\xa9"));
    CHECK_FALSE(base64_decode("===="));
}
