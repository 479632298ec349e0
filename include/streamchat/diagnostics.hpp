#ifndef STREAMCHAT_DIAGNOSTICS_HPP
#define STREAMCHAT_DIAGNOSTICS_HPP

/// @file
/// What an error_code cannot carry: Stream's error envelope, the rate-limit figures of the
/// response, and a human-readable client-side explanation (e.g. which JSON field was wrong).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// Rate-limit figures from `X-RateLimit-*` and `Retry-After` headers (docs/protocol.md §4.4).
struct rate_limit_info {
    /// `X-RateLimit-Limit`: requests allowed in the window. Empty: header absent.
    std::optional<std::int64_t> limit{};
    /// `X-RateLimit-Remaining`: requests left in the window. Empty: header absent.
    std::optional<std::int64_t> remaining{};
    /// `X-RateLimit-Reset`: when the window resets (UTC). Empty: header absent.
    std::optional<std::chrono::sys_seconds> reset{};
    /// `Retry-After` (seconds form or HTTP date). Empty: header absent.
    std::optional<std::chrono::seconds> retry_after{};

    bool empty() const noexcept { return !limit && !remaining && !reset && !retry_after; }
};

/// Stream's error envelope (docs/protocol.md §4.1), kept field for field.
struct api_error {
    int code = 0;                                      ///< Stream's `code` (e.g. 4, 9, 40).
    int status_code = 0;                               ///< `StatusCode` (the HTTP status the server meant).
    std::string message{};                             ///< `message`.
    std::string more_info{};                           ///< `more_info` (a documentation URL).
    std::vector<int> details{};                        ///< `details`.
    std::map<std::string, std::string> exception_fields{}; ///< `exception_fields`.
    bool unrecoverable = false;                        ///< `unrecoverable`: do not retry.
    std::string duration{};                            ///< `duration` as the server wrote it.
};

/// Everything known about the last failure of an operation, beyond its error_code.
struct diagnostics {
    /// Explanation produced by the SDK (e.g. "channels[3].channel.created_at: expected a string").
    std::string client_message{};
    /// The server's error envelope, when the server sent one.
    std::optional<api_error> server{};
    /// HTTP status of the last response; 0 when no response arrived.
    int http_status = 0;
    /// Rate-limit figures of the last response.
    rate_limit_info rate_limit{};
    /// The `x-client-request-id` of the last attempt, to correlate with server logs.
    std::string client_request_id{};
    /// Number of attempts made (1 when no retry happened).
    int attempts = 0;

    void clear() { *this = diagnostics{}; }
};

} // namespace streamchat

#endif
