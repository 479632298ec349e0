#ifndef STREAMCHAT_SRC_REALTIME_FRAMES_HPP
#define STREAMCHAT_SRC_REALTIME_FRAMES_HPP

// Reading WebSocket frames (docs/protocol.md §5.2, §5.3, §6): what the first frame of a socket
// says, and turning any later frame into an event. Pure functions over untrusted text: a bad
// frame is an error value, never a crash (a libFuzzer harness in tests/fuzz drives them).

#include <streamchat/error.hpp>
#include <streamchat/model/event.hpp>

#include <string>
#include <string_view>

namespace streamchat::detail {

/// What the first frame of a socket is.
struct first_frame {
    enum kind {
        malformed, ///< Not one JSON object, or neither an error nor a health.check with an id.
        refused,   ///< `{"error":{"code":N,…}}`: the server refused the connection.
        handshake, ///< The `health.check` carrying the connection id (and `me`).
    } what = malformed;
    int code = -1;               ///< Stream's error code, for `refused` (-1 when absent).
    std::string connection_id{}; ///< For `handshake`.
};

first_frame read_first_frame(std::string_view frame);

/// Decodes one event frame. Fails with error::malformed_frame (not JSON, not an object, too
/// deep) or the codec's error (a field of the wrong type); `why` then says where.
error_code decode_event_frame(std::string_view frame, event& out, std::string* why = nullptr);

/// True when `frame` holds `"type":"health.check"` (whitespace allowed around the colon): a
/// cheap scan, so that health checks are noticed without parsing every frame twice.
bool looks_like_health_check(std::string_view frame) noexcept;

} // namespace streamchat::detail

#endif
