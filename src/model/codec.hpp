#ifndef STREAMCHAT_MODEL_CODEC_HPP
#define STREAMCHAT_MODEL_CODEC_HPP

/// @file
/// Boost.JSON codec of the model (private; REST and realtime layers build on it).
///
/// Uniform API, in namespace streamchat::detail, for every model type T (user, own_user, device,
/// user_mute, channel_mute, channel_config, channel, member, attachment, reaction, message,
/// read_state, channel_state, event, api_error) and for the building blocks (std::string, bool,
/// int, std::int64_t, double, timestamp, std::optional<X>, std::vector<X>,
/// std::map<std::string, X>):
///
///     error_code decode(const json::value& v, T& out, decode_context& ctx);
///         Replaces `out`. On failure returns the error, and ctx.message() reads
///         "<path>: <what>", e.g. "channels[3].channel.created_at: expected an RFC 3339 string".
///         Push the key of an enclosing envelope first (`auto s = ctx.enter("channels");`) so
///         paths name the whole document.
///     json::value encode(const T& v);                  // a fresh value
///     void encode(const T& v, json::object& out);     // model types: add T's keys to `out`
///
/// Decoding rules, the same for every type:
///  * Required: identity fields only — user/message/device `id`, channel `cid` or `type`+`id`
///    (the missing ones are derived), reaction `type`, read_state `user`, channel_state
///    `channel`, event `type`, api_error `code`. Like the JS client, everything else is tolerated
///    when absent and takes the struct's default.
///  * `null` means absent, for every field (and a null required field is missing).
///  * A present field of the wrong JSON type is an error (wrong_type); integers must be integral
///    and fit the C++ type (invalid_value); times must be RFC 3339 strings (invalid_timestamp).
///  * Unknown keys go to `extra`. A nested `custom` object is flattened into `extra`
///    (docs/protocol.md §7.1); on a clash the top-level key wins, and custom keys named like a
///    modelled field or `custom` are dropped (they could not be written back flat).
///  * api_error alone keeps no `extra` (unknown keys are dropped) and skips `details` and
///    `exception_fields` entries of an unexpected shape, so an envelope always yields its code.
///  * Nothing throws except std::bad_alloc (callers at the SDK boundary catch it).
///
/// Encoding rules: modelled fields first — plain members always, std::optional ones only when
/// set — then every key of `extra` that is not already written. Hence for any accepted payload x,
/// encode(decode(x)) equals x up to key order, timestamp spelling, nulls dropped, and spec-required
/// fields added with their defaults.

#include <streamchat/diagnostics.hpp>
#include <streamchat/error.hpp>
#include <streamchat/model/attachment.hpp>
#include <streamchat/model/channel.hpp>
#include <streamchat/model/channel_state.hpp>
#include <streamchat/model/event.hpp>
#include <streamchat/model/member.hpp>
#include <streamchat/model/message.hpp>
#include <streamchat/model/own_user.hpp>
#include <streamchat/model/reaction.hpp>
#include <streamchat/model/read_state.hpp>
#include <streamchat/model/user.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamchat::detail {

namespace json = boost::json;

/// Tracks where the decoder is, so an error can name the field. Path segments are views into
/// the JSON being decoded and are only turned into text when a failure is recorded, so the
/// success path allocates nothing. Keep the context alive no longer than that JSON.
class decode_context {
public:
    decode_context() noexcept = default;
    /// `root` prefixes every path, e.g. "message" gives "message.text".
    explicit decode_context(std::string_view root) noexcept : root_(root) {}
    decode_context(const decode_context&) = delete;
    decode_context& operator=(const decode_context&) = delete;

    /// Pops the segment it pushed when it goes out of scope.
    class [[nodiscard]] scope {
    public:
        explicit scope(decode_context& ctx) noexcept : ctx_(ctx) {}
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
        ~scope() { ctx_.pop(); }

    private:
        decode_context& ctx_;
    };

    /// Enters the member `key` (must outlive the scope) / the array element `index`.
    scope enter(std::string_view key) noexcept { push(key, 0, false); return scope(*this); }
    scope enter(std::size_t index) noexcept { push({}, index, true); return scope(*this); }

    /// Records "<path>: <what>" and returns `e`.
    error_code fail(error e, std::string_view what);
    /// Records "<path>.<key>: missing required field" and returns error::missing_field.
    error_code fail_missing(std::string_view key);

    /// The current path, e.g. "channels[3].channel".
    std::string path() const;
    /// The message of the last failure; empty when none was recorded.
    const std::string& message() const noexcept { return message_; }

private:
    struct segment {
        std::string_view key;
        std::size_t index;
        bool is_index;
    };
    // The model nests at most ~8 levels; deeper segments are counted but not named.
    static constexpr std::size_t max_segments = 32;

    void push(std::string_view key, std::size_t index, bool is_index) noexcept
    {
        if (depth_ < max_segments)
            segments_[depth_] = segment{key, index, is_index};
        ++depth_;
    }
    void pop() noexcept { --depth_; }

    std::array<segment, max_segments> segments_{};
    std::size_t depth_ = 0;
    std::string_view root_{};
    std::string message_{};
};

// ---------------------------------------------------------------- building blocks

error_code decode(const json::value& v, std::string& out, decode_context& ctx);
error_code decode(const json::value& v, bool& out, decode_context& ctx);
error_code decode(const json::value& v, int& out, decode_context& ctx);
error_code decode(const json::value& v, std::int64_t& out, decode_context& ctx);
error_code decode(const json::value& v, double& out, decode_context& ctx);
error_code decode(const json::value& v, timestamp& out, decode_context& ctx);

json::value encode(const std::string& v);
json::value encode(bool v);
json::value encode(int v);
json::value encode(std::int64_t v);
json::value encode(double v);
json::value encode(const timestamp& v);

// ---------------------------------------------------------------- model types

#define STREAMCHAT_DETAIL_CODEC(T)                                                    \
    error_code decode(const json::value& v, T& out, decode_context& ctx);             \
    void encode(const T& v, json::object& out);                                       \
    json::value encode(const T& v);

STREAMCHAT_DETAIL_CODEC(user)
STREAMCHAT_DETAIL_CODEC(own_user)
STREAMCHAT_DETAIL_CODEC(device)
STREAMCHAT_DETAIL_CODEC(user_mute)
STREAMCHAT_DETAIL_CODEC(channel_mute)
STREAMCHAT_DETAIL_CODEC(channel_config)
STREAMCHAT_DETAIL_CODEC(channel)
STREAMCHAT_DETAIL_CODEC(member)
STREAMCHAT_DETAIL_CODEC(attachment)
STREAMCHAT_DETAIL_CODEC(reaction)
STREAMCHAT_DETAIL_CODEC(message)
STREAMCHAT_DETAIL_CODEC(read_state)
STREAMCHAT_DETAIL_CODEC(channel_state)
STREAMCHAT_DETAIL_CODEC(event)
STREAMCHAT_DETAIL_CODEC(api_error)

#undef STREAMCHAT_DETAIL_CODEC

// ---------------------------------------------------------------- containers

/// `null` → empty optional; otherwise decodes the value.
template <class T>
error_code decode(const json::value& v, std::optional<T>& out, decode_context& ctx)
{
    if (v.is_null()) {
        out.reset();
        return {};
    }
    out.emplace();
    error_code ec = decode(v, *out, ctx);
    if (ec)
        out.reset();
    return ec;
}

/// An array (null → empty); element errors are reported as `path[i]…`.
template <class T>
error_code decode(const json::value& v, std::vector<T>& out, decode_context& ctx)
{
    out.clear();
    if (v.is_null())
        return {};
    const json::array* a = v.if_array();
    if (!a)
        return ctx.fail(error::wrong_type, "expected an array");
    // Bounded reserve: a hostile array of a million `0`s must not pre-allocate a million T.
    out.reserve(a->size() < 256 ? a->size() : 256);
    for (std::size_t i = 0; i < a->size(); ++i) {
        auto s = ctx.enter(i);
        if (error_code ec = decode((*a)[i], out.emplace_back(), ctx)) {
            out.clear();
            return ec;
        }
    }
    return {};
}

/// An object of string keys (null → empty); value errors are reported as `path.key`.
template <class T>
error_code decode(const json::value& v, std::map<std::string, T>& out, decode_context& ctx)
{
    out.clear();
    if (v.is_null())
        return {};
    const json::object* o = v.if_object();
    if (!o)
        return ctx.fail(error::wrong_type, "expected an object");
    for (const auto& kv : *o) {
        const std::string_view key = kv.key();
        auto s = ctx.enter(key);
        T item{};
        if (error_code ec = decode(kv.value(), item, ctx)) {
            out.clear();
            return ec;
        }
        out.emplace(std::string(key), std::move(item));
    }
    return {};
}

template <class T>
json::value encode(const std::vector<T>& v)
{
    json::array a;
    a.reserve(v.size());
    for (const T& item : v)
        a.push_back(encode(item));
    return a;
}

template <class T>
json::value encode(const std::map<std::string, T>& v)
{
    json::object o;
    o.reserve(v.size());
    for (const auto& [key, item] : v)
        o.emplace(key, encode(item));
    return o;
}

} // namespace streamchat::detail

#endif
