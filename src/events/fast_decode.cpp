// The fast event decoder: one SAX pass over the frame with Boost.JSON's basic_parser, validating
// every modelled field against a schema that mirrors the codec's field tables
// (src/model/codec_model.cpp, codec_event.cpp) and copying out only what a channel summary needs.

#include "events/fast_decode.hpp"

#include <streamchat/model/channel.hpp>

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace streamchat::detail {

namespace {

namespace json = boost::json;

// ------------------------------------------------------------------ schema

/// JSON shape a field must have (null is always accepted for a field: it means absent).
enum class vk : std::uint8_t {
    any,     ///< Unmodelled key (goes to `extra`): anything.
    str,     ///< std::string.
    boolean, ///< bool.
    i32,     ///< int: an integral number within 32 bits (3.0 is fine).
    i64,     ///< std::int64_t.
    time,    ///< timestamp: an RFC 3339 string.
    object,  ///< A model object (see `sk`).
    array,   ///< std::vector of `elem` (elements may not be null).
    map_i32, ///< std::map<std::string, int>.
};

/// Model objects.
enum class sk : std::uint8_t {
    event, user, own_user, device, user_mute, channel_mute, channel_config, channel, member,
    attachment, reaction, message, count_
};

/// What a value is copied into; only acted upon in a captured context (see `cx`).
enum class cap : std::uint8_t {
    none,
    // event
    type, cid, created_at, user, message, channel, parent_id, unread_messages, channel_member_count,
    watcher_count, thread, custom,
    // message / user
    id, text, show_in_channel, silent, shadowed,
    // channel
    ch_cid, ch_type, ch_id, member_count, hidden, last_message_at, name, image,
};

/// Where an object sits, for captures.
enum class cx : std::uint8_t { none, top, message, message_user, user, channel };

struct fdesc {
    std::string_view name;
    vk kind = vk::any;
    vk elem = vk::any;      ///< Arrays: element kind.
    sk schema = sk::count_; ///< Objects, and arrays of objects.
    cap c = cap::none;
    bool required = false;
    bool modelled = true; ///< False for the unmodelled keys a summary reads (`name`, `thread`, …).
};

constexpr fdesc S(std::string_view n, cap c = cap::none) { return {n, vk::str, vk::any, sk::count_, c}; }
constexpr fdesc B(std::string_view n, cap c = cap::none) { return {n, vk::boolean, vk::any, sk::count_, c}; }
constexpr fdesc I(std::string_view n, cap c = cap::none) { return {n, vk::i32, vk::any, sk::count_, c}; }
constexpr fdesc L(std::string_view n) { return {n, vk::i64, vk::any, sk::count_}; }
constexpr fdesc T(std::string_view n, cap c = cap::none) { return {n, vk::time, vk::any, sk::count_, c}; }
constexpr fdesc O(std::string_view n, sk s, cap c = cap::none) { return {n, vk::object, vk::any, s, c}; }
constexpr fdesc AS(std::string_view n) { return {n, vk::array, vk::str, sk::count_}; }
constexpr fdesc AO(std::string_view n, sk s) { return {n, vk::array, vk::object, s}; }
constexpr fdesc M(std::string_view n) { return {n, vk::map_i32, vk::any, sk::count_}; }
constexpr fdesc X(std::string_view n, cap c) { return {n, vk::any, vk::any, sk::count_, c, false, false}; }
constexpr fdesc R(fdesc f)
{
    f.required = true;
    return f;
}

constexpr std::size_t max_key = 40; // longest modelled key: 36 characters

/// A field table sorted by key length, with the index of the first key of each length.
template <std::size_t N>
struct table {
    std::array<fdesc, N> f{};
    std::array<std::uint8_t, max_key + 2> start{};
    std::uint64_t required = 0;

    constexpr explicit table(const std::array<fdesc, N>& in) : f(in)
    {
        static_assert(N <= 64, "the seen mask has 64 bits");
        std::sort(f.begin(), f.end(), [](const fdesc& a, const fdesc& b) {
            return a.name.size() != b.name.size() ? a.name.size() < b.name.size() : a.name < b.name;
        });
        std::size_t i = 0;
        for (std::size_t len = 0; len <= max_key + 1; ++len) {
            while (i < N && f[i].name.size() < len) ++i;
            start[len] = static_cast<std::uint8_t>(i);
        }
        for (std::size_t k = 0; k < N; ++k)
            if (f[k].required) required |= std::uint64_t{1} << k;
    }
};

template <class... F>
constexpr auto make_table(F... f)
{
    return table<sizeof...(F)>(std::array<fdesc, sizeof...(F)>{f...});
}

#define STREAMCHAT_USER_KEYS                                                                       \
    R(S("id", cap::id)), S("role"), S("name"), S("image"), S("language"), B("online"), B("banned"),  \
        B("shadow_banned"), B("invisible"), AS("teams"), AS("blocked_user_ids"), T("created_at"),     \
        T("updated_at"), T("last_active"), T("deactivated_at"), T("deleted_at")

constexpr auto user_table = make_table(STREAMCHAT_USER_KEYS);

constexpr auto own_user_table = make_table(
    STREAMCHAT_USER_KEYS, AO("devices", sk::device), AO("mutes", sk::user_mute),
    AO("channel_mutes", sk::channel_mute), I("total_unread_count"), I("unread_count"), I("unread_channels"),
    I("unread_threads"), AS("roles"), AS("latest_hidden_channels"));

#undef STREAMCHAT_USER_KEYS

constexpr auto device_table = make_table(R(S("id")), S("push_provider"), S("push_provider_name"), S("user_id"),
                                         T("created_at"), B("disabled"), S("disabled_reason"));

constexpr auto user_mute_table = make_table(O("user", sk::user), O("target", sk::user), T("created_at"),
                                            T("updated_at"), T("expires"));

constexpr auto channel_mute_table = make_table(O("user", sk::user), O("channel", sk::channel), T("created_at"),
                                               T("updated_at"), T("expires"));

constexpr auto channel_config_table = make_table(
    S("name"), T("created_at"), T("updated_at"), B("typing_events"), B("read_events"), B("connect_events"),
    B("custom_events"), B("delivery_events"), B("search"), B("reactions"), B("replies"), B("quotes"), B("mutes"),
    B("uploads"), B("url_enrichment"), B("push_notifications"), B("polls"), B("reminders"), B("shared_locations"),
    B("user_message_reminders"), B("count_messages"), B("mark_messages_pending"),
    B("skip_last_msg_update_for_system_msgs"), I("max_message_length"), S("message_retention"), S("automod"),
    S("automod_behavior"), S("blocklist_behavior"), S("push_level"));

constexpr auto channel_table = make_table(
    S("cid", cap::ch_cid), S("id", cap::ch_id), S("type", cap::ch_type), T("created_at"), T("updated_at"),
    B("frozen"), B("disabled"), O("config", sk::channel_config), O("created_by", sk::user),
    T("last_message_at", cap::last_message_at), T("deleted_at"), T("truncated_at"), O("truncated_by", sk::user),
    I("member_count", cap::member_count), L("message_count"), AO("members", sk::member), I("cooldown"), S("team"),
    B("hidden", cap::hidden), B("muted"), T("mute_expires_at"), B("blocked"), AS("own_capabilities"),
    T("hide_messages_before"),
    // Unmodelled keys the summary reads (custom fields of a channel).
    X("name", cap::name), X("image", cap::image), X("custom", cap::custom));

constexpr auto member_table = make_table(
    S("user_id"), O("user", sk::user), S("channel_role"), B("banned"), B("shadow_banned"), B("notifications_muted"),
    T("created_at"), T("updated_at"), S("role"), B("is_moderator"), B("invited"), T("invite_accepted_at"),
    T("invite_rejected_at"), S("status"), T("ban_expires"), T("pinned_at"), T("archived_at"), T("deleted_at"));

constexpr auto attachment_table = make_table(
    S("type"), S("title"), S("title_link"), S("text"), S("pretext"), S("fallback"), S("image_url"), S("thumb_url"),
    S("asset_url"), S("og_scrape_url"), S("mime_type"), L("file_size"), I("original_width"), I("original_height"),
    S("author_name"));

constexpr auto reaction_table = make_table(R(S("type")), I("score"), S("message_id"), S("user_id"),
                                           O("user", sk::user), T("created_at"), T("updated_at"),
                                           S("emoji_code"));

constexpr auto message_table = make_table(
    R(S("id", cap::id)), S("text", cap::text), S("type"), S("cid"), O("user", sk::user, cap::user), S("html"),
    T("created_at", cap::created_at), T("updated_at"), AO("attachments", sk::attachment),
    AO("latest_reactions", sk::reaction), AO("own_reactions", sk::reaction), M("reaction_counts"),
    M("reaction_scores"), I("reply_count"), I("deleted_reply_count"), AO("mentioned_users", sk::user),
    B("mentioned_channel"), B("mentioned_here"), B("silent", cap::silent), B("shadowed", cap::shadowed),
    B("pinned"), AS("restricted_visibility"), S("parent_id", cap::parent_id),
    B("show_in_channel", cap::show_in_channel), S("quoted_message_id"), AO("thread_participants", sk::user),
    T("pinned_at"), O("pinned_by", sk::user), T("pin_expires"), T("deleted_at"), B("deleted_for_me"),
    T("message_text_updated_at"), S("command"), S("poll_id"));

constexpr auto event_table = make_table(
    R(S("type", cap::type)), T("created_at", cap::created_at), S("cid", cap::cid), S("channel_id"),
    S("channel_type"), O("user", sk::user, cap::user), O("message", sk::message, cap::message),
    O("channel", sk::channel, cap::channel), O("member", sk::member), O("reaction", sk::reaction),
    O("me", sk::own_user), S("connection_id"), I("watcher_count", cap::watcher_count), I("total_unread_count"),
    I("unread_count"), I("unread_channels"), I("unread_messages", cap::unread_messages), I("unread_threads"),
    I("unread_thread_messages"), S("last_read_message_id"), T("last_read_at"), S("first_unread_message_id"),
    T("last_delivered_at"), S("last_delivered_message_id"), S("parent_id", cap::parent_id), S("message_id"),
    B("hard_delete"), B("deleted_for_me"), B("clear_history"), B("mark_messages_deleted"),
    I("channel_member_count", cap::channel_member_count), L("channel_message_count"), S("team"), B("shadow"),
    S("reason"), T("expiration"),
    // Unmodelled keys apply() reads.
    X("thread", cap::thread), X("custom", cap::custom));

struct schema_view {
    const fdesc* f;
    const std::uint8_t* start;
    std::uint64_t required;
};

template <std::size_t N>
constexpr schema_view view(const table<N>& t)
{
    return {t.f.data(), t.start.data(), t.required};
}

constexpr schema_view schemas[] = {
    view(event_table),    view(user_table),    view(own_user_table),   view(device_table),
    view(user_mute_table), view(channel_mute_table), view(channel_config_table), view(channel_table),
    view(member_table),   view(attachment_table), view(reaction_table), view(message_table),
};
static_assert(std::size(schemas) == static_cast<std::size_t>(sk::count_));

template <class U>
inline U load(const char* p) noexcept
{
    U u;
    std::memcpy(&u, p, sizeof u);
    return u;
}

/// a == b for two strings of `n` bytes: two overlapping word compares up to 16 bytes (keys are
/// short), no call; longer ones compare their last 8 bytes first.
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept
{
    if (n >= 8) {
        if (n > 16) // the end first: times and ids differ there
            return load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8) && std::memcmp(a, b, n - 8) == 0;
        return load<std::uint64_t>(a) == load<std::uint64_t>(b) &&
               load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8);
    }
    if (n >= 4)
        return load<std::uint32_t>(a) == load<std::uint32_t>(b) &&
               load<std::uint32_t>(a + n - 4) == load<std::uint32_t>(b + n - 4);
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}

/// Index of `key` in the schema, or -1.
inline int find_key(const schema_view& s, std::string_view key) noexcept
{
    const std::size_t n = key.size();
    if (n == 0 || n > max_key) return -1;
    for (std::size_t i = s.start[n]; i < s.start[n + 1]; ++i)
        if (same_bytes(s.f[i].name.data(), key.data(), n)) return static_cast<int>(i);
    return -1;
}

// ------------------------------------------------------------------ hot types

struct hot_name {
    std::string_view name;
    event_type type;
};
constexpr hot_name hot_types[] = {
    {"message.new", event_type::message_new},
    {"notification.message_new", event_type::notification_message_new},
    {"message.read", event_type::message_read},
    {"typing.start", event_type::typing_start},
    {"typing.stop", event_type::typing_stop},
    {"user.watching.start", event_type::user_watching_start},
    {"user.watching.stop", event_type::user_watching_stop},
    {"health.check", event_type::health_check},
};

event_type hot_type(std::string_view name) noexcept
{
    for (const auto& h : hot_types)
        if (h.name == name) return h.type;
    return event_type::unknown;
}

// ------------------------------------------------------------------ integers (as the codec reads them)

bool int64_of(std::int64_t i, std::int64_t& out) noexcept
{
    out = i;
    return true;
}
bool int64_of(std::uint64_t u, std::int64_t& out) noexcept
{
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    out = static_cast<std::int64_t>(u);
    return true;
}
bool int64_of(double d, std::int64_t& out) noexcept
{
    if (!std::isfinite(d) || std::trunc(d) != d || d < -9.2233720368547e18 || d > 9.2233720368547e18) return false;
    out = static_cast<std::int64_t>(d);
    return true;
}

// ------------------------------------------------------------------ the SAX handler

/// Why a parse stopped early (the parser only sees an error code).
enum class stop { none, fallback, malformed };

class handler {
public:
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    fast_event* out = nullptr;
    stop stopped = stop::none;

    void start(fast_event& e)
    {
        out = &e;
        stopped = stop::none;
        depth_ = 0;
        skip_ = 0;
        in_string_ = false;
        key_.clear();
        type_ = event_type::unknown;
        cid_present_ = false;
        has_parent_ = false;
        show_in_channel_.reset();
        channel_cid_.clear();

        e.type = event_type::unknown;
        e.created_at = {};
        e.cid.clear();
        e.user_id.clear();
        e.has_user = false;
        e.parent_id.clear();
        e.watcher_count.reset();
        e.unread_messages.reset();
        e.channel_member_count.reset();
        e.thread = false;
        e.has_message = false;
        e.message_id.clear();
        e.message_user_id.clear();
        e.message_created_at = {};
        e.preview.clear();
        e.thread_only = false;
        e.silent = false;
        e.shadowed = false;
        e.has_channel = false;
        e.channel_name.clear();
        e.channel_image.clear();
        e.channel_members.reset();
        e.channel_hidden.reset();
        e.channel_last_message_at.reset();
    }

    /// After a complete parse: the checks that need the whole frame.
    fast_status finish()
    {
        fast_event& e = *out;
        if (type_ == event_type::unknown) return fast_status::fallback;
        e.type = type_;
        if (!cid_present_ && e.has_channel) e.cid = channel_cid_;
        e.thread_only = has_parent_ && !show_in_channel_.value_or(false);
        // apply() upserts the channel under its own cid: keep it simple, take the slow path when
        // the two differ.
        if (type_ == event_type::notification_message_new && e.has_channel && channel_cid_ != e.cid)
            return fast_status::fallback;
        return fast_status::decoded;
    }

    // ---- basic_parser callbacks

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
    bool on_number_part(json::string_view, json::error_code&) { return true; }

    bool on_object_begin(json::error_code& ec)
    {
        if (skip_) return ++skip_, true;
        if (depth_ == 0) return push_object(sk::event, cx::top, ec);
        const expectation& x = take_expectation();
        if (x.kind == vk::any) {
            if (x.c == cap::custom && (x.ctx == cx::top || x.ctx == cx::channel))
                return fail(ec); // a custom object is flattened into the fields apply() reads
            any_scalar(x);
            skip_ = 1;
            return true;
        }
        if (x.kind == vk::map_i32) return push_container(vk::map_i32, vk::i32, sk::count_, ec);
        if (x.kind != vk::object) return fail(ec);
        cx child = cx::none;
        if (x.ctx == cx::top) {
            if (x.c == cap::message) child = cx::message, out->has_message = true;
            else if (x.c == cap::user) child = cx::user, out->has_user = true;
            else if (x.c == cap::channel) child = cx::channel, out->has_channel = true;
        } else if (x.ctx == cx::message && x.c == cap::user) {
            child = cx::message_user;
        }
        return push_object(x.schema, child, ec);
    }

    bool on_object_end(std::size_t, json::error_code& ec)
    {
        if (skip_) return --skip_, true;
        frame& f = stack_[depth_ - 1];
        if (f.kind == vk::object) {
            const schema_view& s = schemas[static_cast<std::size_t>(f.schema)];
            if ((f.present & s.required) != s.required) return fail(ec);
            if (f.schema == sk::channel && !channel_identity(f.ctx == cx::channel)) return fail(ec);
        }
        --depth_;
        return true;
    }

    bool on_array_begin(json::error_code& ec)
    {
        if (skip_) return ++skip_, true;
        if (depth_ == 0) return malformed(ec);
        const expectation& x = take_expectation();
        if (x.kind == vk::any) {
            any_scalar(x);
            skip_ = 1;
            return true;
        }
        if (x.kind != vk::array) return fail(ec);
        return push_container(vk::array, x.elem, x.schema, ec);
    }

    bool on_array_end(std::size_t, json::error_code&)
    {
        if (skip_) return --skip_, true;
        --depth_;
        return true;
    }

    bool on_key_part(json::string_view s, std::size_t, json::error_code&)
    {
        if (!skip_) key_.append(s.data(), s.size());
        return true;
    }

    bool on_key(json::string_view s, std::size_t, json::error_code& ec)
    {
        if (skip_) return true;
        std::string_view key(s.data(), s.size());
        if (!key_.empty()) {
            key_.append(s.data(), s.size());
            key = key_;
        }
        frame& f = stack_[depth_ - 1];
        f.field = nullptr;
        if (f.kind != vk::object) { // map keys are free
            key_.clear();
            return true;
        }
        const schema_view& sv = schemas[static_cast<std::size_t>(f.schema)];
        const int i = find_key(sv, key);
        key_.clear();
        if (i < 0) return true;
        const std::uint64_t bit = std::uint64_t{1} << i;
        if (f.seen & bit) return fail(ec); // duplicate: the DOM keeps the last one; keep it simple
        f.seen |= bit;
        f.field = &sv.f[i];
        f.bit = bit;
        if (f.field->c == cap::thread && f.ctx == cx::top) out->thread = true;
        return true;
    }

    bool on_string_part(json::string_view s, std::size_t, json::error_code& ec)
    {
        if (skip_) return true;
        if (!in_string_ && !begin_string(ec)) return false;
        append(s);
        return true;
    }

    bool on_string(json::string_view s, std::size_t, json::error_code& ec)
    {
        if (skip_) return true;
        if (!in_string_) {
            // In one piece (the usual case): times are read from the frame itself.
            if (!begin_string(ec)) return false;
            in_string_ = false;
            if (sink_ == sink::time) return end_time(std::string_view(s.data(), s.size()), ec);
            append(s);
            return end_string(ec);
        }
        append(s);
        in_string_ = false;
        return end_string(ec);
    }

    bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) { return number(i, ec); }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code& ec) { return number(u, ec); }
    bool on_double(double d, json::string_view, json::error_code& ec) { return number(d, ec); }

    bool on_bool(bool b, json::error_code& ec)
    {
        if (skip_) return true;
        if (depth_ == 0) return malformed(ec);
        const expectation& x = take_expectation();
        if (x.kind == vk::any) return any_scalar(x);
        if (x.kind != vk::boolean) return fail(ec);
        if (x.ctx == cx::message) {
            if (x.c == cap::silent) out->silent = b;
            else if (x.c == cap::shadowed) out->shadowed = b;
            else if (x.c == cap::show_in_channel) show_in_channel_ = b;
        } else if (x.ctx == cx::channel && x.c == cap::hidden) {
            out->channel_hidden = b;
        }
        return true;
    }

    bool on_null(json::error_code& ec)
    {
        if (skip_) return true;
        if (depth_ == 0) return malformed(ec);
        frame& f = stack_[depth_ - 1];
        if (f.kind != vk::object) return fail(ec); // array elements and map values are never optional
        const fdesc* fd = f.field;
        if (fd && fd->kind == vk::any) any_scalar(expectation{vk::any, vk::any, sk::count_, fd->c, f.ctx});
        // Otherwise null = absent: nothing to record, and it does not count as present.
        return true;
    }

private:
    struct frame {
        vk kind;          ///< object, array or map_i32.
        sk schema;        ///< Objects; arrays of objects: the element's.
        vk elem;          ///< Arrays and maps: element kind.
        cx ctx;           ///< Objects: what is captured inside.
        std::uint64_t seen;    ///< Keys met (duplicates fall back).
        std::uint64_t present; ///< Keys with a non-null value (for required keys).
        const fdesc* field;    ///< The key whose value comes next (null: unmodelled).
        std::uint64_t bit;     ///< Its bit.
    };

    struct expectation {
        vk kind;
        vk elem;
        sk schema;
        cap c;
        cx ctx; ///< Context of the object holding the value.
    };

    /// What the next value must be; marks a field as present. (Filled in place: returning the
    /// packed struct by value costs a store-forwarding stall per value.)
    const expectation& take_expectation() noexcept
    {
        frame& f = stack_[depth_ - 1];
        expectation& x = expect_;
        if (f.kind == vk::object) {
            const fdesc* fd = f.field;
            x.ctx = f.ctx;
            if (!fd) {
                x.kind = vk::any;
                x.c = cap::none;
                return x;
            }
            f.present |= f.bit;
            x.kind = fd->kind;
            x.elem = fd->elem;
            x.schema = fd->schema;
            x.c = fd->c;
            return x;
        }
        x.kind = f.elem;
        x.schema = f.schema;
        x.c = cap::none;
        x.ctx = cx::none;
        return x;
    }

    bool push_object(sk s, cx ctx, json::error_code& ec)
    {
        if (depth_ == stack_.size()) return fail(ec);
        stack_[depth_++] = frame{vk::object, s, vk::any, ctx, 0, 0, nullptr, 0};
        if (s == sk::channel) {
            ch_cid_.clear();
            ch_type_.clear();
            ch_id_.clear();
        }
        return true;
    }

    bool push_container(vk kind, vk elem, sk s, json::error_code& ec)
    {
        if (depth_ == stack_.size()) return fail(ec);
        stack_[depth_++] = frame{kind, s, elem, cx::none, 0, 0, nullptr, 0};
        return true;
    }

    /// decode(channel): a cid, or a type and an id; a cid alone must split.
    bool channel_identity(bool top)
    {
        if (ch_cid_.empty()) {
            if (ch_type_.empty() || ch_id_.empty()) return false;
            if (top) channel_cid_ = streamchat::cid(ch_type_, ch_id_);
        } else {
            if ((ch_type_.empty() || ch_id_.empty()) && !split_cid(ch_cid_)) return false;
            if (top) channel_cid_ = ch_cid_;
        }
        return true;
    }

    /// A value of an unmodelled key that is not a string: a non-string `name` / `image` reads as
    /// empty.
    bool any_scalar(const expectation& x)
    {
        if (x.ctx == cx::channel) {
            if (x.c == cap::name) out->channel_name.clear();
            else if (x.c == cap::image) out->channel_image.clear();
        }
        return true;
    }

    template <class N>
    bool number(N n, json::error_code& ec)
    {
        if (skip_) return true;
        if (depth_ == 0) return malformed(ec);
        const expectation& x = take_expectation();
        if (x.kind == vk::any) return any_scalar(x);
        std::int64_t v = 0;
        if ((x.kind != vk::i32 && x.kind != vk::i64) || !int64_of(n, v)) return fail(ec);
        if (x.kind == vk::i64) return true;
        if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return fail(ec);
        const int i = static_cast<int>(v);
        if (x.ctx == cx::top) {
            if (x.c == cap::unread_messages) out->unread_messages = i;
            else if (x.c == cap::channel_member_count) out->channel_member_count = i;
            else if (x.c == cap::watcher_count) out->watcher_count = i;
        } else if (x.ctx == cx::channel && x.c == cap::member_count) {
            out->channel_members = i;
        }
        return true;
    }

    // ---- strings: the destination is chosen at the first part

    enum class sink : std::uint8_t { none, copy, preview, time };

    bool begin_string(json::error_code& ec)
    {
        if (depth_ == 0) return malformed(ec);
        in_string_ = true;
        str_ = take_expectation();
        dest_ = nullptr;
        sink_ = sink::none;
        switch (str_.kind) {
        case vk::any:
            if (str_.ctx == cx::channel && str_.c == cap::name) dest_ = &out->channel_name;
            else if (str_.ctx == cx::channel && str_.c == cap::image) dest_ = &out->channel_image;
            break;
        case vk::str:
            switch (str_.ctx) {
            case cx::top:
                if (str_.c == cap::type) dest_ = &type_name_;
                else if (str_.c == cap::cid) dest_ = &out->cid, cid_present_ = true;
                else if (str_.c == cap::parent_id) dest_ = &out->parent_id;
                break;
            case cx::message:
                if (str_.c == cap::id) dest_ = &out->message_id;
                else if (str_.c == cap::text) sink_ = sink::preview, text_bytes_ = 0;
                else if (str_.c == cap::parent_id) has_parent_ = true;
                break;
            case cx::message_user:
                if (str_.c == cap::id) dest_ = &out->message_user_id;
                break;
            case cx::user:
                if (str_.c == cap::id) dest_ = &out->user_id;
                break;
            default: break;
            }
            if (!dest_) {
                if (str_.c == cap::ch_cid) dest_ = &ch_cid_;
                else if (str_.c == cap::ch_type) dest_ = &ch_type_;
                else if (str_.c == cap::ch_id) dest_ = &ch_id_;
            }
            break;
        case vk::time:
            sink_ = sink::time;
            dest_ = &time_;
            break;
        default:
            in_string_ = false;
            return fail(ec);
        }
        if (dest_) {
            dest_->clear();
            if (sink_ == sink::none) sink_ = sink::copy;
        }
        return true;
    }

    void append(json::string_view s)
    {
        switch (sink_) {
        case sink::none: break;
        case sink::copy:
        case sink::time: dest_->append(s.data(), s.size()); break;
        case sink::preview: {
            // Keep one byte past the preview: the cut looks at it (see preview_of in channel_store).
            constexpr std::size_t keep = 100 + 1;
            std::string& p = out->preview;
            if (p.size() < keep) p.append(s.data(), std::min(s.size(), keep - p.size()));
            text_bytes_ += s.size();
            break;
        }
        }
    }

    /// parse_timestamp with a memory of the last few texts: frames repeat their times
    /// (created_at = updated_at, the event's = the message's, the same sender's user object, …).
    /// Least recently used out.
    std::optional<timestamp> parse_time(std::string_view text) noexcept
    {
        ++memo_clock_;
        for (auto& m : memo_)
            if (m.len == text.size() && m.len != 0 && same_bytes(m.text, text.data(), m.len)) {
                m.used = memo_clock_;
                return m.value;
            }
        const std::optional<timestamp> t = parse_timestamp(text);
        if (t && text.size() <= sizeof memo_[0].text) {
            auto* victim = &memo_[0];
            for (auto& m : memo_)
                if (m.used < victim->used) victim = &m;
            std::memcpy(victim->text, text.data(), text.size());
            victim->len = text.size();
            victim->value = *t;
            victim->used = memo_clock_;
        }
        return t;
    }

    bool end_time(std::string_view text, json::error_code& ec)
    {
        const std::optional<timestamp> t = parse_time(text);
        if (!t) return fail(ec);
        if (str_.c == cap::created_at) {
            if (str_.ctx == cx::top) out->created_at = *t;
            else if (str_.ctx == cx::message) out->message_created_at = *t;
        } else if (str_.c == cap::last_message_at && str_.ctx == cx::channel) {
            out->channel_last_message_at = *t;
        }
        return true;
    }

    bool end_string(json::error_code& ec)
    {
        switch (sink_) {
        case sink::time: return end_time(time_, ec);
        case sink::preview: {
            std::string& p = out->preview;
            if (text_bytes_ > 100) { // the cut of channel_store: never inside a UTF-8 sequence
                std::size_t cut = 100;
                while (cut > 0 && (static_cast<unsigned char>(p[cut]) & 0xC0) == 0x80) --cut;
                p.resize(cut);
            }
            break;
        }
        case sink::copy:
            if (dest_ == &type_name_) {
                type_ = hot_type(type_name_);
                if (type_ == event_type::unknown) return fail(ec); // not ours: stop reading now
            }
            break;
        case sink::none: break;
        }
        return true;
    }

    bool fail(json::error_code& ec)
    {
        if (stopped == stop::none) stopped = stop::fallback;
        ec = json::error::exception;
        return false;
    }

    bool malformed(json::error_code& ec)
    {
        stopped = stop::malformed;
        ec = json::error::exception;
        return false;
    }

    expectation expect_{};
    std::array<frame, 72> stack_{}; // max_depth is 64
    std::size_t depth_ = 0;
    std::size_t skip_ = 0; // > 0: inside an unmodelled value, only nesting is tracked
    std::string key_;

    bool in_string_ = false;
    expectation str_{};
    std::string* dest_ = nullptr;
    sink sink_ = sink::none;
    std::size_t text_bytes_ = 0;
    std::string time_;
    struct time_memo {
        char text[40];
        std::size_t len = 0;
        timestamp value{};
        std::uint64_t used = 0;
    };
    std::array<time_memo, 4> memo_{};
    std::uint64_t memo_clock_ = 0;

    std::string type_name_;
    event_type type_ = event_type::unknown;
    bool cid_present_ = false;
    bool has_parent_ = false;
    std::optional<bool> show_in_channel_;
    std::string ch_cid_, ch_type_, ch_id_;
    std::string channel_cid_;
};

json::parse_options frame_options()
{
    json::parse_options opts;
    opts.max_depth = 64; // as decode_event_frame
    return opts;
}

} // namespace

struct fast_decoder::impl {
    json::basic_parser<handler> parser{frame_options()};
};

fast_status fast_decoder::decode(std::string_view frame, fast_event& out)
{
    thread_local impl shared;
    auto& p = shared.parser;
    p.reset();
    handler& h = p.handler();
    h.start(out);
    json::error_code ec;
    const std::size_t n = p.write_some(false, frame.data(), frame.size(), ec);
    if (ec) {
        // Our own stop says why; any other error is the parser's (syntax, depth, …), which
        // json::parse reports as well.
        if (h.stopped == stop::fallback) return fast_status::fallback;
        return fast_status::malformed;
    }
    if (n < frame.size()) return fast_status::malformed; // trailing data: json::parse says extra_data
    return h.finish();
}

bool fast_decodable(event_type t) noexcept
{
    for (const auto& h : hot_types)
        if (h.type == t) return true;
    return false;
}

std::vector<fast_schema_key> fast_schema()
{
    constexpr std::string_view names[] = {"event", "user", "own_user", "device", "user_mute", "channel_mute",
                                          "channel_config", "channel", "member", "attachment", "reaction",
                                          "message"};
    static_assert(std::size(names) == static_cast<std::size_t>(sk::count_));
    auto kind = [&](vk k, sk s) -> std::string {
        switch (k) {
        case vk::any: return "extra";
        case vk::str: return "string";
        case vk::boolean: return "bool";
        case vk::i32: return "int";
        case vk::i64: return "int64";
        case vk::time: return "time";
        case vk::object: return "object:" + std::string(names[static_cast<std::size_t>(s)]);
        case vk::map_i32: return "map:int";
        case vk::array: break;
        }
        return {};
    };
    std::vector<fast_schema_key> out;
    for (std::size_t i = 0; i < std::size(schemas); ++i) {
        const schema_view& s = schemas[i];
        for (std::size_t k = 0; k < s.start[max_key + 1]; ++k) {
            const fdesc& f = s.f[k];
            std::string kd = f.kind == vk::array ? "array:" + kind(f.elem, f.schema) : kind(f.kind, f.schema);
            out.push_back({names[i], f.name, std::move(kd), f.required});
        }
    }
    return out;
}

} // namespace streamchat::detail
