#ifndef STREAMCHAT_API_SYNC_HPP
#define STREAMCHAT_API_SYNC_HPP

/// @file
/// `POST /sync`: the events of a set of channels since a point in time (docs/protocol.md §8.4).

#include <streamchat/model/event.hpp>
#include <streamchat/timestamp.hpp>

#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// `POST /sync`. The server accepts 1..255 cids and looks back at most 30 days.
struct sync_request {
    std::vector<std::string> channel_cids{}; ///< 1..255 cids (`type:id`).
    timestamp last_sync_at{};                ///< Events after this instant.
    std::optional<bool> watch{};             ///< Also watch these channels on this connection.
    std::optional<bool> with_inaccessible_cids{}; ///< List unreadable cids instead of removal events.
};

/// Result of `POST /sync`.
struct sync_response {
    std::vector<event> events{};                ///< Ascending by `created_at`.
    std::vector<std::string> inaccessible_cids{}; ///< With `with_inaccessible_cids`.
    std::string duration{};                     ///< Server-side duration.
};

} // namespace streamchat

#endif
