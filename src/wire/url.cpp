#include "wire/url.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace streamchat::detail {
namespace {

char lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_unreserved(unsigned char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// RFC 3986 reg-name characters we accept in a host: letters, digits, '-', '.', '_'.
bool is_host_char(char c) noexcept
{
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
}

// Path characters allowed verbatim in a base path (pchar minus '%', plus '/').
bool is_path_char(char c) noexcept
{
    const auto u = static_cast<unsigned char>(c);
    if (is_unreserved(u)) return true;
    switch (c) {
    case '/': case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
    case ',': case ';': case '=': case ':': case '@': case '%':
        return true;
    default:
        return false;
    }
}

boost::system::result<base_url> fail(std::string& why, std::string message)
{
    why = std::move(message);
    return error_code(error::invalid_url);
}

} // namespace

std::string base_url::host_header() const
{
    // Appends rather than `"[" + host + "]"`: GCC 12 at -O3 flags that with a false -Wrestrict.
    std::string out;
    const bool bracket = host.find(':') != std::string::npos;
    if (bracket) out += '[';
    out += host;
    if (bracket) out += ']';
    if (port != (tls ? 443 : 80)) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

bool base_url::host_is_ip() const
{
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(host, ec);
    return !ec;
}

boost::system::result<base_url> parse_base_url(std::string_view text, std::string& why)
{
    base_url url;
    const auto sep = text.find("://");
    if (sep == std::string_view::npos)
        return fail(why, "base URL \"" + std::string(text) + "\" has no scheme (expected http:// or https://)");
    for (char c : text.substr(0, sep)) url.scheme += lower(c);
    if (url.scheme == "https") {
        url.tls = true;
        url.port = 443;
    } else if (url.scheme == "http") {
        url.port = 80;
    } else {
        return fail(why, "base URL scheme \"" + url.scheme + "\" is not supported (expected http or https)");
    }

    std::string_view rest = text.substr(sep + 3);
    const auto path_pos = rest.find('/');
    std::string_view authority = rest.substr(0, path_pos);
    std::string_view path = path_pos == std::string_view::npos ? std::string_view{} : rest.substr(path_pos);

    if (authority.find_first_of("?#") != std::string_view::npos || path.find_first_of("?#") != std::string_view::npos)
        return fail(why, "base URL must not have a query or fragment");
    if (authority.find('@') != std::string_view::npos)
        return fail(why, "base URL must not carry user information");
    if (authority.empty()) return fail(why, "base URL has no host");

    std::string_view port_text;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail(why, "base URL has an unterminated IPv6 literal");
        const std::string v6(authority.substr(1, close - 1));
        boost::system::error_code ec;
        const auto addr = boost::asio::ip::make_address(v6, ec);
        if (ec || !addr.is_v6()) return fail(why, "base URL host \"" + v6 + "\" is not an IPv6 address");
        url.host = v6;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail(why, "base URL has junk after the IPv6 literal");
            port_text = after.substr(1);
            if (port_text.empty()) return fail(why, "base URL has an empty port");
        }
    } else {
        const auto colon = authority.find(':');
        std::string_view host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return fail(why, "base URL has an empty port");
        }
        if (host.empty()) return fail(why, "base URL has no host");
        if (!std::all_of(host.begin(), host.end(), is_host_char))
            return fail(why, "base URL host \"" + std::string(host) + "\" has characters not allowed in a host name");
        for (char c : host) url.host += lower(c);
    }

    if (!port_text.empty()) {
        unsigned value = 0;
        const auto* end = port_text.data() + port_text.size();
        const auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
        if (ec != std::errc{} || ptr != end || value == 0 || value > 65535)
            return fail(why, "base URL port \"" + std::string(port_text) + "\" is not a number in 1..65535");
        url.port = static_cast<std::uint16_t>(value);
    }

    if (!std::all_of(path.begin(), path.end(), is_path_char))
        return fail(why, "base URL path \"" + std::string(path) + "\" has characters that must be percent-encoded");
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    url.base_path = std::string(path);
    return url;
}

std::string percent_encode(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        }
    }
    return out;
}

query_builder& query_builder::add(std::string_view key, std::string_view value)
{
    query_ += query_.empty() ? '?' : '&';
    query_ += percent_encode(key);
    query_ += '=';
    query_ += percent_encode(value);
    return *this;
}

std::string query_builder::str() const
{
    return query_;
}

std::string query_builder::target(std::string_view path) const
{
    std::string out(path);
    out += query_;
    return out;
}

namespace {
int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

std::string percent_decode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

} // namespace streamchat::detail
