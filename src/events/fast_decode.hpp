#ifndef STREAMCHAT_SRC_EVENTS_FAST_DECODE_HPP
#define STREAMCHAT_SRC_EVENTS_FAST_DECODE_HPP

// The hot path of the realtime client: the frequent event types decoded straight from the frame
// text (one SAX pass with Boost.JSON's basic_parser, no DOM, no typed `event`) into the little a
// channel summary needs, then applied with channel_store::apply_fast().
//
// Contract, checked by tests/unit/events/fast_decode.cpp and tests/fuzz/fuzz_fast_decode.cpp:
//  * `decoded`: decode_event_frame() accepts the frame too, and for a channel that is not
//    materialised, channel_store::apply_fast(out) changes the store exactly as
//    channel_store::apply(decode_event_frame(frame)) would (same summaries, same return value).
//  * `malformed`: not one JSON object (syntax error, too deep, trailing data); decode_event_frame()
//    rejects it as well.
//  * `fallback`: anything else — another event type, a field of an unexpected type, a duplicate
//    key, a `custom` object where it matters, … The caller runs decode_event_frame() + apply():
//    the fast path is never wrong, only sometimes not taken.
//
// Every field the typed codec validates is validated here as well (types, integer ranges, RFC 3339
// times, required ids, channel identity), so a frame the codec would reject never reaches the
// store through the fast path; what is not needed is only checked, never copied.

#include <streamchat/model/event.hpp>
#include <streamchat/timestamp.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamchat::detail {

/// What the fast decoder keeps of a frame. Reuse one instance: its strings keep their capacity,
/// so decoding allocates nothing once warmed up.
struct fast_event {
    event_type type = event_type::unknown; ///< One of the types fast_decoder handles.
    timestamp created_at{};                ///< The event's `created_at` (epoch when absent).
    /// Routing cid, as channel_store::apply() computes it: the top-level `cid`, else the
    /// channel's (derived from `type` and `id` when needed); empty when neither is present.
    std::string cid{};
    std::string user_id{};   ///< Top-level `user.id` (reader, typist, watcher, sender).
    bool has_user = false;   ///< A top-level `user` object was present.
    std::string parent_id{}; ///< Top-level `parent_id` (typing in a thread).
    std::optional<int> watcher_count{};
    std::optional<int> unread_messages{};
    std::optional<int> channel_member_count{};
    bool thread = false; ///< message.read: a top-level `thread` key (a thread read: unread untouched).

    // ---- message.new, notification.message_new
    bool has_message = false;                ///< A `message` object was present.
    std::string message_id{};                ///< `message.id`.
    std::string message_user_id{};           ///< `message.user.id` (empty when no user).
    timestamp message_created_at{};          ///< `message.created_at` (epoch when absent).
    std::string preview{};                   ///< `message.text` cut like channel_summary's preview.
    bool thread_only = false;                ///< Has `parent_id` and not `show_in_channel: true`.
    bool silent = false;                     ///< `message.silent`.
    bool shadowed = false;                   ///< `message.shadowed`.

    // ---- the full channel of notification.message_new (summary fields only)
    bool has_channel = false;
    std::string channel_name{};                     ///< Custom `name` (empty unless a string).
    std::string channel_image{};                    ///< Custom `image` (empty unless a string).
    std::optional<int> channel_members{};           ///< `channel.member_count`.
    std::optional<bool> channel_hidden{};           ///< `channel.hidden`.
    std::optional<timestamp> channel_last_message_at{}; ///< `channel.last_message_at`.
};

enum class fast_status {
    decoded,  ///< `out` holds the event; see the contract above.
    fallback, ///< Not for the fast path: use decode_event_frame().
    malformed ///< Not one JSON object: decode_event_frame() fails too.
};

/// Decodes message.new, notification.message_new, message.read, typing.start/stop,
/// user.watching.start/stop and health.check. Not thread-safe; one per connection (it keeps the
/// parser's buffers between frames).
class fast_decoder {
public:
    fast_decoder() = default;
    fast_decoder(const fast_decoder&) = delete;
    fast_decoder& operator=(const fast_decoder&) = delete;

    /// Never throws but std::bad_alloc; any input is safe. The parser (about 3.5 KB) is one per
    /// thread, shared by every decoder there: a process holding thousands of clients on a thread
    /// pays for it once. A decode never calls another, so sharing is safe.
    fast_status decode(std::string_view frame, fast_event& out);

    struct impl;
};

/// The event types fast_decoder may return `decoded` for.
bool fast_decodable(event_type t) noexcept;

/// One key of the schema the fast decoder validates against (for the tests that keep it in step
/// with the codec's field tables).
struct fast_schema_key {
    std::string_view object; ///< `event`, `message`, `user`, `channel`, `own_user`, …
    std::string_view key;
    /// `string`, `bool`, `int`, `int64`, `time`, `object:<object>`, `array:string`,
    /// `array:object:<object>`, `map:int`, or `extra` (an unmodelled key the summary reads).
    std::string kind;
    bool required;
};
std::vector<fast_schema_key> fast_schema();

} // namespace streamchat::detail

#endif
