#ifndef STREAMCHAT_SRC_EMULATOR_SERVER_TARGET_HPP
#define STREAMCHAT_SRC_EMULATOR_SERVER_TARGET_HPP

// Request targets as clients send them: "/path?k=v&k2=v2", percent-encoded (axios uses
// encodeURIComponent, the WebSocket URL uses URLSearchParams where a space is '+').

#include "wire/url.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamchat::emu {

using query_params = std::vector<std::pair<std::string, std::string>>;

using detail::percent_decode; // the SDK's, next to its percent_encode (src/rest/url.hpp)

/// A target split into its decoded path and its decoded query parameters, in order.
struct parsed_target {
    std::string path{};
    query_params query{};
};

/// Splits and decodes. A fragment ('#…') is dropped; an empty path becomes "/".
parsed_target parse_target(std::string_view target);

/// The first parameter named `key`.
std::optional<std::string_view> find_param(const query_params& query, std::string_view key);

} // namespace streamchat::emu

#endif
