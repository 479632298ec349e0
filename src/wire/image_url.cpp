#include <streamchat/image_url.hpp>

#include "wire/url.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace streamchat {

namespace {

// The CDN refuses to resize larger originals (docs/protocol.md §2.7).
constexpr std::uint64_t max_source_pixels = 16'800'000;

constexpr std::string_view cdn_domain = "stream-io-cdn.com";

error_code fail(std::string* why, error ec, std::string message)
{
    if (why != nullptr)
        *why = std::move(message);
    return ec;
}

char lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) before the first ':'.
std::string_view scheme_of(std::string_view url) noexcept
{
    const auto colon = url.find(':');
    if (colon == std::string_view::npos || colon == 0 || !is_alpha(url[0]))
        return {};
    for (std::size_t i = 1; i < colon; ++i) {
        const char c = url[i];
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
            return {};
    }
    return url.substr(0, colon);
}

bool is_cdn_host(std::string_view host, const image_url_options& options) noexcept
{
    if (!host.empty() && host.back() == '.') // the absolute form names the same host
        host.remove_suffix(1);
    if (iequals(host, cdn_domain))
        return true;
    if (host.size() > cdn_domain.size() + 1 && host[host.size() - cdn_domain.size() - 1] == '.'
        && iequals(host.substr(host.size() - cdn_domain.size()), cdn_domain))
        return true;
    for (const std::string& extra : options.extra_hosts)
        if (iequals(host, extra))
            return true;
    return false;
}

// A positive decimal integer, or 0.
std::uint64_t positive(std::string_view text) noexcept
{
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && end == text.data() + text.size() ? v : 0;
}

bool is_sizing_key(std::string_view key) noexcept
{
    return key == "w" || key == "h" || key == "resize" || key == "crop";
}

} // namespace

std::string_view to_string(image_resize_mode mode) noexcept
{
    switch (mode) {
    case image_resize_mode::clip: return "clip";
    case image_resize_mode::crop: return "crop";
    case image_resize_mode::fill: return "fill";
    case image_resize_mode::scale: return "scale";
    }
    return {};
}

std::string_view to_string(image_crop crop) noexcept
{
    switch (crop) {
    case image_crop::center: return "center";
    case image_crop::top: return "top";
    case image_crop::bottom: return "bottom";
    case image_crop::left: return "left";
    case image_crop::right: return "right";
    }
    return {};
}

error_code resize_image_url(std::string_view url, const image_size& size, std::string& out,
                            const image_url_options& options, std::string* why)
{
    if (size.width < 0 || size.height < 0)
        return fail(why, error::invalid_argument,
                    "image size " + std::to_string(size.width) + "x" + std::to_string(size.height) + " is negative");
    if (size.width == 0 && size.height == 0)
        return fail(why, error::invalid_argument, "image size needs a width, a height or both");
    if (to_string(size.resize).empty())
        return fail(why, error::invalid_argument, "image resize mode is not one of clip, crop, fill, scale");
    if (size.crop && to_string(*size.crop).empty())
        return fail(why, error::invalid_argument, "image crop is not one of center, top, bottom, left, right");

    for (const char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return fail(why, error::invalid_url, "image URL contains spaces or control characters");
    const std::string_view scheme = scheme_of(url);
    if (scheme.empty())
        return fail(why, error::invalid_url, "image URL \"" + std::string(url) + "\" is not an absolute URL");
    if (!iequals(scheme, "https") && !iequals(scheme, "http")) {
        out.assign(url); // data:, file:, blob:... are not the CDN's
        return {};
    }

    // scheme "://" authority path [ "?" query ] [ "#" fragment ]
    std::string_view rest = url.substr(scheme.size() + 1);
    if (rest.substr(0, 2) != "//")
        return fail(why, error::invalid_url, "image URL \"" + std::string(url) + "\" has no host");
    rest.remove_prefix(2);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        host = host.substr(0, host.find(']') + 1); // an IP literal: never the CDN
    } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    if (host.empty())
        return fail(why, error::invalid_url, "image URL \"" + std::string(url) + "\" has no host");
    if (!is_cdn_host(host, options)) {
        out.assign(url);
        return {};
    }

    const std::size_t fragment_at = std::min(url.find('#'), url.size());
    const std::size_t query_at = std::min(url.find('?'), fragment_at);
    const std::string_view head = url.substr(0, query_at);
    const std::string_view query = url.substr(std::min(query_at + 1, fragment_at), fragment_at - std::min(query_at + 1, fragment_at));
    const std::string_view fragment = url.substr(fragment_at);

    // Other parameters are kept as written: a signature covers them byte for byte.
    std::string kept;
    std::uint64_t original_w = 0, original_h = 0;
    for (std::size_t pos = 0; pos <= query.size();) {
        const std::size_t amp = std::min(query.find('&', pos), query.size());
        const std::string_view param = query.substr(pos, amp - pos);
        pos = amp + 1;
        if (param.empty())
            continue;
        const std::size_t eq = param.find('=');
        const std::string key = detail::percent_decode(param.substr(0, eq), true);
        const std::string value =
            eq == std::string_view::npos ? std::string() : detail::percent_decode(param.substr(eq + 1), true);
        if (key == "ow")
            original_w = positive(value);
        else if (key == "oh")
            original_h = positive(value);
        if (is_sizing_key(key))
            continue;
        if (!kept.empty())
            kept += '&';
        kept += param;
    }
    const bool original_known = original_w != 0 && original_h != 0;
    if ((options.require_original_size && !original_known)
        || (original_known && original_w > max_source_pixels / original_h)) {
        out.assign(url);
        return {};
    }

    detail::query_builder sizing;
    if (size.width > 0)
        sizing.add("w", std::to_string(size.width));
    if (size.height > 0)
        sizing.add("h", std::to_string(size.height));
    sizing.add("resize", to_string(size.resize));
    if (size.crop)
        sizing.add("crop", to_string(*size.crop));
    std::string resized(head);
    resized += '?';
    resized += kept;
    if (!kept.empty())
        resized += '&';
    resized += std::string_view(sizing.str()).substr(1); // without its '?'
    resized += fragment;
    out = std::move(resized);
    return {};
}

std::string resized_image_url(std::string_view url, const image_size& size, const image_url_options& options)
{
    std::string out;
    if (resize_image_url(url, size, out, options))
        return std::string(url);
    return out;
}

} // namespace streamchat
