#ifndef STREAMCHAT_SRC_WIRE_BASE64_HPP
#define STREAMCHAT_SRC_WIRE_BASE64_HPP

/// @file
/// Base64 for JWTs. Encoding follows whichever form Stream's JS client uses (base64url without
/// padding for signed tokens, standard alphabet with padding for dev tokens, docs/protocol.md §1.4);
/// decoding is deliberately lenient because both forms reach the server.

#include <optional>
#include <string>
#include <string_view>

namespace streamchat::detail {

/// Standard alphabet (`+/`) with `=` padding (RFC 4648 §4): the dev-token payload form.
std::string base64_encode(std::string_view bytes);

/// URL alphabet (`-_`) without padding (RFC 7515 §2): the form of signed JWT segments.
std::string base64url_encode(std::string_view bytes);

/// Decodes either alphabet (even mixed), with or without `=` padding; padding, when present, must
/// be complete. Bits left over in the last character are ignored, as Node's Buffer does. Empty
/// on any other character (whitespace included), `=` before the end, wrong padding, or a length
/// that no encoding produces (1 mod 4 once padding is removed).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace streamchat::detail

#endif
