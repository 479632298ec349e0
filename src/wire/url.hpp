#ifndef STREAMCHAT_SRC_WIRE_URL_HPP
#define STREAMCHAT_SRC_WIRE_URL_HPP

// URL coding both sides use: base URLs of the API, percent-coding, and the query strings
// appended to request targets (the SDK builds them; the emulator parses them).

#include <streamchat/error.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace streamchat::detail {

/// Where the API lives: what `http_pool` connects to and prefixes to every target.
struct base_url {
    std::string scheme;       ///< "http" or "https" (lower case).
    std::string host;         ///< Host name or IP literal, IPv6 without brackets, lower case.
    std::uint16_t port = 0;   ///< Explicit port, else 80 / 443 from the scheme.
    std::string base_path;    ///< Path prefix without trailing '/', e.g. "" or "/api/v1".
    bool tls = false;         ///< True for https.

    /// Value of the `Host` header: host, bracketed when IPv6, with ":port" unless it is the default.
    std::string host_header() const;
    /// True when the host is an IP literal (no SNI, IP-address certificate check).
    bool host_is_ip() const;
};

/// Parses "scheme://host[:port][/path]". Only http and https; no user info, query or fragment
/// (they have no meaning for a base URL and usually betray a mistake). On failure returns
/// error::invalid_url and writes a sentence naming the problem into `why`.
boost::system::result<base_url> parse_base_url(std::string_view text, std::string& why);

/// Percent-encodes everything outside RFC 3986's unreserved set (ALPHA DIGIT - . _ ~), byte by
/// byte in UTF-8, upper-case hex: the same output as JavaScript's encodeURIComponent except that
/// `! ' ( ) *` are escaped too (strictly safer; servers decode both).
std::string percent_encode(std::string_view text);

/// Decodes %XX escapes; a malformed escape stays as written (never fails: the caller judges the
/// result). With `plus_is_space`, '+' becomes ' ' (form encoding, for query components only:
/// encodeURIComponent always escapes a literal '+', so both encoders round-trip).
std::string percent_decode(std::string_view text, bool plus_is_space = false);

/// Builds "?k1=v1&k2=v2" with keys and values percent-encoded, in insertion order.
class query_builder {
public:
    /// Appends one parameter (repeated keys are kept, in order).
    query_builder& add(std::string_view key, std::string_view value);
    /// True when no parameter was added.
    bool empty() const noexcept { return query_.empty(); }
    /// "" when empty, else "?..." ready to append to a path.
    std::string str() const;
    /// `path` followed by the query string.
    std::string target(std::string_view path) const;

private:
    std::string query_;
};

} // namespace streamchat::detail

#endif
