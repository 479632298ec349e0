// Resizing Stream CDN image URLs: the sizing parameters replaced, everything else kept byte for
// byte, other URLs unchanged, bad input refused with a sentence.

#include <streamchat/image_url.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace streamchat;

namespace {

// An upload URL as Stream returns it (signature values shortened).
const std::string upload = "https://us-east.stream-io-cdn.com/114344/images/4d58-photo.jpg"
                           "?Key-Pair-Id=APKAIHG36VEWPDULE23Q&Policy=eyJTdGF0~Km9oPTEy&Signature=aB-c~d_e&oh=1280&ow=960";

std::string resized(std::string_view url, image_size size, const image_url_options& options = {})
{
    std::string out, why;
    const auto ec = resize_image_url(url, size, out, options, &why);
    INFO(url << ": " << why);
    REQUIRE_FALSE(ec);
    CHECK(why.empty());
    return out;
}

std::string refused(std::string_view url, image_size size, error expected)
{
    std::string out = "untouched", why;
    const auto ec = resize_image_url(url, size, out, {}, &why);
    INFO(url);
    CHECK(ec == expected);
    CHECK(out == "untouched");
    CHECK(!why.empty());
    CHECK(resized_image_url(url, size) == url); // the lenient form hands the input back
    return why;
}

} // namespace

TEST_CASE("image_url: a CDN upload gets w, h, resize and crop after its own parameters")
{
    CHECK(resized(upload, {.width = 96, .height = 96}) == upload + "&w=96&h=96&resize=clip");
    CHECK(resized(upload, {.width = 200, .height = 120, .resize = image_resize_mode::crop, .crop = image_crop::top}) ==
          upload + "&w=200&h=120&resize=crop&crop=top");
    CHECK(resized(upload, {.width = 300}) == upload + "&w=300&resize=clip");
    CHECK(resized(upload, {.height = 40, .resize = image_resize_mode::scale}) == upload + "&h=40&resize=scale");
    CHECK(resized(upload, {.width = 1, .height = 1, .resize = image_resize_mode::fill}) ==
          upload + "&w=1&h=1&resize=fill");
    CHECK(resized_image_url(upload, {.width = 64, .height = 64}) == upload + "&w=64&h=64&resize=clip");

    for (const auto c : {image_crop::center, image_crop::top, image_crop::bottom, image_crop::left, image_crop::right}) {
        const std::string url = resized(upload, {.width = 10, .resize = image_resize_mode::crop, .crop = c});
        CHECK(url.ends_with("&crop=" + std::string(to_string(c))));
    }
    CHECK(to_string(image_resize_mode::clip) == "clip");
    CHECK(to_string(image_crop::center) == "center");
}

TEST_CASE("image_url: earlier sizing is replaced, other parameters and the fragment stay as written")
{
    const std::string sized = "https://us-east.stream-io-cdn.com/1/images/a.png?w=1000&Key-Pair-Id=K&h=800&"
                              "Policy=P%3D%3D&resize=scale&crop=left&Signature=S~x&oh=2000&ow=1600#frag";
    CHECK(resized(sized, {.width = 50, .height = 40}) ==
          "https://us-east.stream-io-cdn.com/1/images/a.png?Key-Pair-Id=K&Policy=P%3D%3D&Signature=S~x&oh=2000&ow=1600"
          "&w=50&h=40&resize=clip#frag");
    // Resizing twice is resizing once.
    const std::string once = resized(upload, {.width = 96, .height = 96});
    CHECK(resized(once, {.width = 48, .height = 48, .resize = image_resize_mode::crop}) ==
          upload + "&w=48&h=48&resize=crop");
    // Empty segments go; a parameter without '=' stays.
    CHECK(resized("https://x.stream-io-cdn.com/i.jpg?&oh=10&&ow=20&flag&", {.width = 5}) ==
          "https://x.stream-io-cdn.com/i.jpg?oh=10&ow=20&flag&w=5&resize=clip");
}

TEST_CASE("image_url: which hosts are the CDN")
{
    const std::string tail = "/1/images/a.jpg?oh=100&ow=100";
    for (const char* host : {"https://us-east.stream-io-cdn.com", "https://stream-io-cdn.com", "https://ohio.stream-io-cdn.com",
                             "https://US-EAST.Stream-IO-CDN.com", "https://us-east.stream-io-cdn.com.",
                             "https://us-east.stream-io-cdn.com:443", "https://user@us-east.stream-io-cdn.com",
                             "http://us-east.stream-io-cdn.com", "HTTPS://a.b.stream-io-cdn.com"}) {
        INFO(host);
        CHECK(resized(host + tail, {.width = 10}) == host + tail + "&w=10&resize=clip");
    }
    for (const char* host : {"https://evilstream-io-cdn.com", "https://stream-io-cdn.com.evil.com",
                             "https://stream-io-cdn.co", "https://example.com", "https://[::1]:8080",
                             "https://stream-io-cdn.com@evil.com", "https://evil.com/stream-io-cdn.com"}) {
        INFO(host);
        CHECK(resized(host + tail, {.width = 10}) == host + tail);
    }
    image_url_options proxy;
    proxy.extra_hosts = {"images.example.com"};
    CHECK(resized("https://Images.Example.com" + tail, {.width = 10}, proxy) ==
          "https://Images.Example.com" + tail + "&w=10&resize=clip");
    CHECK(resized("https://other.example.com" + tail, {.width = 10}, proxy) == "https://other.example.com" + tail);
}

TEST_CASE("image_url: URLs the CDN would not resize come back unchanged")
{
    // No original size: an older CDN URL.
    const std::string old = "https://us-east.stream-io-cdn.com/1/images/a.jpg?Key-Pair-Id=K&Signature=S";
    CHECK(resized(old, {.width = 10}) == old);
    CHECK(resized(old + "&oh=10", {.width = 10}) == old + "&oh=10");
    CHECK(resized(old + "&oh=10&ow=x", {.width = 10}) == old + "&oh=10&ow=x");
    CHECK(resized(old + "&oh=0&ow=10", {.width = 10}) == old + "&oh=0&ow=10");
    image_url_options any;
    any.require_original_size = false;
    CHECK(resized(old, {.width = 10}, any) == old + "&w=10&resize=clip");
    CHECK(resized("https://us-east.stream-io-cdn.com/a.jpg", {.width = 10}, any) ==
          "https://us-east.stream-io-cdn.com/a.jpg?w=10&resize=clip");

    // Over the CDN's 16.8 megapixels: 4000x4200 is the largest it resizes.
    const std::string big = "https://us-east.stream-io-cdn.com/1/images/a.jpg?oh=4200&ow=4000";
    CHECK(resized(big, {.width = 10}) == big + "&w=10&resize=clip");
    const std::string bigger = "https://us-east.stream-io-cdn.com/1/images/a.jpg?oh=4201&ow=4000";
    CHECK(resized(bigger, {.width = 10}) == bigger);
    const std::string huge = "https://us-east.stream-io-cdn.com/1/images/a.jpg?oh=18446744073709551615&ow=4000";
    CHECK(resized(huge, {.width = 10}) == huge);

    // Other schemes and hosts.
    for (const char* url : {"data:image/png;base64,iVBORw0KGgo=", "file:///tmp/a.png", "blob:https://app/1234",
                            "https://getstream.io/images/a.png?w=5", "mailto:a@b.c"}) {
        INFO(url);
        CHECK(resized(url, {.width = 10}) == url);
    }
}

TEST_CASE("image_url: bad input gets a clear error, not a crash")
{
    CHECK_THAT(refused(upload, {.width = -1, .height = 10}, error::invalid_argument), Catch::Contains("negative"));
    CHECK_THAT(refused(upload, {.width = 10, .height = -5}, error::invalid_argument), Catch::Contains("negative"));
    CHECK_THAT(refused(upload, {}, error::invalid_argument), Catch::Contains("width"));
    CHECK_THAT(refused(upload, {.width = 5, .resize = static_cast<image_resize_mode>(42)}, error::invalid_argument),
               Catch::Contains("resize"));
    CHECK_THAT(refused(upload, {.width = 5, .crop = static_cast<image_crop>(-1)}, error::invalid_argument),
               Catch::Contains("crop"));
    // Size errors come first, whatever the URL.
    refused("https://example.com/a.png", {.width = -1}, error::invalid_argument);

    for (const char* url : {"", "not a url", "us-east.stream-io-cdn.com/a.jpg", "/images/a.jpg", "://x", "1http://x",
                            "https://", "https:///a.jpg", "https:a.jpg", "https://user@/a.jpg", "https://:443/a.jpg",
                            "https://us-east.stream-io-cdn.com/a b.jpg", "https://x.stream-io-cdn.com/a\n.jpg",
                            "https://[::1/a.jpg"}) {
        INFO(url);
        refused(url, {.width = 10}, error::invalid_url);
    }
    CHECK_THAT(refused("ftp//x", {.width = 10}, error::invalid_url), Catch::Contains("absolute"));
}
