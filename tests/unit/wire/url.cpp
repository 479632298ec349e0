// Base URL parsing, percent-encoding and query strings.

#include "wire/url.hpp"

#include <catch2/catch.hpp>

using namespace streamchat::detail;
using streamchat::error;

namespace {

base_url parse_ok(std::string_view text)
{
    std::string why;
    auto r = parse_base_url(text, why);
    INFO(text << ": " << why);
    REQUIRE(r.has_value());
    CHECK(why.empty());
    return *r;
}

std::string parse_fails(std::string_view text)
{
    std::string why;
    auto r = parse_base_url(text, why);
    INFO(text);
    REQUIRE(r.has_error());
    CHECK(r.error() == error::invalid_url);
    CHECK(!why.empty());
    return why;
}

} // namespace

TEST_CASE("parse_base_url: the accepted forms")
{
    auto a = parse_ok("http://127.0.0.1:1234");
    CHECK(a.scheme == "http");
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == 1234);
    CHECK(a.base_path.empty());
    CHECK(!a.tls);
    CHECK(a.host_is_ip());
    CHECK(a.host_header() == "127.0.0.1:1234");

    auto b = parse_ok("https://chat.stream-io-api.com");
    CHECK(b.tls);
    CHECK(b.port == 443);
    CHECK(b.host == "chat.stream-io-api.com");
    CHECK(!b.host_is_ip());
    CHECK(b.host_header() == "chat.stream-io-api.com");

    auto c = parse_ok("HTTPS://Chat.Example.COM:8443/api/v1/");
    CHECK(c.scheme == "https");
    CHECK(c.host == "chat.example.com");
    CHECK(c.port == 8443);
    CHECK(c.base_path == "/api/v1");
    CHECK(c.host_header() == "chat.example.com:8443");

    auto d = parse_ok("http://[::1]:8080/");
    CHECK(d.host == "::1");
    CHECK(d.port == 8080);
    CHECK(d.base_path.empty());
    CHECK(d.host_is_ip());
    CHECK(d.host_header() == "[::1]:8080");

    auto e = parse_ok("http://localhost");
    CHECK(e.port == 80);
    CHECK(e.host_header() == "localhost");
}

TEST_CASE("parse_base_url: clear errors")
{
    CHECK_THAT(parse_fails("chat.stream-io-api.com"), Catch::Contains("scheme"));
    CHECK_THAT(parse_fails("ftp://host"), Catch::Contains("ftp"));
    CHECK_THAT(parse_fails("wss://host"), Catch::Contains("wss"));
    CHECK_THAT(parse_fails("http://"), Catch::Contains("no host"));
    CHECK_THAT(parse_fails("http://:80"), Catch::Contains("no host"));
    CHECK_THAT(parse_fails("http://host:"), Catch::Contains("empty port"));
    CHECK_THAT(parse_fails("http://host:0"), Catch::Contains("port"));
    CHECK_THAT(parse_fails("http://host:65536"), Catch::Contains("port"));
    CHECK_THAT(parse_fails("http://host:12ab"), Catch::Contains("port"));
    CHECK_THAT(parse_fails("http://user:pw@host"), Catch::Contains("user"));
    CHECK_THAT(parse_fails("http://host/path?x=1"), Catch::Contains("query"));
    CHECK_THAT(parse_fails("http://host#frag"), Catch::Contains("fragment"));
    CHECK_THAT(parse_fails("http://ho st"), Catch::Contains("host"));
    CHECK_THAT(parse_fails("http://[::1"), Catch::Contains("IPv6"));
    CHECK_THAT(parse_fails("http://[nope]:1"), Catch::Contains("IPv6"));
    CHECK_THAT(parse_fails("http://[::1]x"), Catch::Contains("IPv6"));
    CHECK_THAT(parse_fails("http://host/a b"), Catch::Contains("path"));
    parse_fails("");
    parse_fails("://");
}

TEST_CASE("percent_encode: RFC 3986 unreserved characters pass, everything else is escaped")
{
    CHECK(percent_encode("") == "");
    CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(percent_encode("a b") == "a%20b");
    CHECK(percent_encode("{\"type\":\"messaging\"}") == "%7B%22type%22%3A%22messaging%22%7D");
    CHECK(percent_encode("a+b&c=d/e?f#g%") == "a%2Bb%26c%3Dd%2Fe%3Ff%23g%25");
    CHECK(percent_encode("!'()*") == "%21%27%28%29%2A");
    CHECK(percent_encode("\xC3\xA9") == "%C3%A9"); // é in UTF-8
    CHECK(percent_encode(std::string_view("\0\x7F", 2)) == "%00%7F");
}

TEST_CASE("query_builder: keys and values encoded, order kept")
{
    query_builder q;
    CHECK(q.empty());
    CHECK(q.str().empty());
    CHECK(q.target("/channels") == "/channels");
    q.add("api_key", "key 1").add("user_id", "jo&hn").add("payload", R"({"a":[1,2]})").add("api_key", "x");
    CHECK(!q.empty());
    CHECK(q.str() == "?api_key=key%201&user_id=jo%26hn&payload=%7B%22a%22%3A%5B1%2C2%5D%7D&api_key=x");
    CHECK(q.target("/channels") == "/channels" + q.str());
}
