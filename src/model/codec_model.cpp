// Field tables and codecs of the model objects (everything but events).

#include "model/codec.hpp"
#include "model/codec_fields.hpp"

namespace streamchat::detail {

namespace {

/// `T::m` under a wire name that is not the member's name.
#define STREAMCHAT_FIELD_AS(T, wire, m)                                                           \
    field<T> { wire, &decode_member<T, &T::m>, &encode_member<T, &T::m>, false }
#define STREAMCHAT_REQUIRED_AS(T, wire, m)                                                        \
    field<T> { wire, &decode_member<T, &T::m>, &encode_member<T, &T::m>, true }

// Shared by user and own_user (whose table must list the inherited members too).
#define STREAMCHAT_USER_FIELDS(T)                                                                 \
    STREAMCHAT_REQUIRED(T, id), STREAMCHAT_FIELD(T, role), STREAMCHAT_FIELD(T, name),             \
        STREAMCHAT_FIELD(T, image), STREAMCHAT_FIELD(T, language), STREAMCHAT_FIELD(T, online),   \
        STREAMCHAT_FIELD(T, banned), STREAMCHAT_FIELD(T, shadow_banned),                          \
        STREAMCHAT_FIELD(T, invisible), STREAMCHAT_FIELD(T, teams),                               \
        STREAMCHAT_FIELD(T, blocked_user_ids), STREAMCHAT_FIELD(T, created_at),                   \
        STREAMCHAT_FIELD(T, updated_at), STREAMCHAT_FIELD(T, last_active),                        \
        STREAMCHAT_FIELD(T, deactivated_at), STREAMCHAT_FIELD(T, deleted_at)

constexpr field<user> user_fields[] = {STREAMCHAT_USER_FIELDS(user)};

constexpr field<own_user> own_user_fields[] = {
    STREAMCHAT_USER_FIELDS(own_user),
    STREAMCHAT_FIELD(own_user, devices),
    STREAMCHAT_FIELD(own_user, mutes),
    STREAMCHAT_FIELD(own_user, channel_mutes),
    STREAMCHAT_FIELD(own_user, total_unread_count),
    STREAMCHAT_FIELD(own_user, unread_count),
    STREAMCHAT_FIELD(own_user, unread_channels),
    STREAMCHAT_FIELD(own_user, unread_threads),
    STREAMCHAT_FIELD(own_user, roles),
    STREAMCHAT_FIELD(own_user, latest_hidden_channels),
};

constexpr field<device> device_fields[] = {
    STREAMCHAT_REQUIRED(device, id),
    STREAMCHAT_FIELD(device, push_provider),
    STREAMCHAT_FIELD(device, push_provider_name),
    STREAMCHAT_FIELD(device, user_id),
    STREAMCHAT_FIELD(device, created_at),
    STREAMCHAT_FIELD(device, disabled),
    STREAMCHAT_FIELD(device, disabled_reason),
};

constexpr field<user_mute> user_mute_fields[] = {
    STREAMCHAT_FIELD(user_mute, user),       STREAMCHAT_FIELD(user_mute, target),
    STREAMCHAT_FIELD(user_mute, created_at), STREAMCHAT_FIELD(user_mute, updated_at),
    STREAMCHAT_FIELD(user_mute, expires),
};

constexpr field<channel_mute> channel_mute_fields[] = {
    STREAMCHAT_FIELD(channel_mute, user),       STREAMCHAT_FIELD(channel_mute, channel),
    STREAMCHAT_FIELD(channel_mute, created_at), STREAMCHAT_FIELD(channel_mute, updated_at),
    STREAMCHAT_FIELD(channel_mute, expires),
};

constexpr field<channel_config> channel_config_fields[] = {
    STREAMCHAT_FIELD(channel_config, name),
    STREAMCHAT_FIELD(channel_config, created_at),
    STREAMCHAT_FIELD(channel_config, updated_at),
    STREAMCHAT_FIELD(channel_config, typing_events),
    STREAMCHAT_FIELD(channel_config, read_events),
    STREAMCHAT_FIELD(channel_config, connect_events),
    STREAMCHAT_FIELD(channel_config, custom_events),
    STREAMCHAT_FIELD(channel_config, delivery_events),
    STREAMCHAT_FIELD(channel_config, search),
    STREAMCHAT_FIELD(channel_config, reactions),
    STREAMCHAT_FIELD(channel_config, replies),
    STREAMCHAT_FIELD(channel_config, quotes),
    STREAMCHAT_FIELD(channel_config, mutes),
    STREAMCHAT_FIELD(channel_config, uploads),
    STREAMCHAT_FIELD(channel_config, url_enrichment),
    STREAMCHAT_FIELD(channel_config, push_notifications),
    STREAMCHAT_FIELD(channel_config, polls),
    STREAMCHAT_FIELD(channel_config, reminders),
    STREAMCHAT_FIELD(channel_config, shared_locations),
    STREAMCHAT_FIELD(channel_config, user_message_reminders),
    STREAMCHAT_FIELD(channel_config, count_messages),
    STREAMCHAT_FIELD(channel_config, mark_messages_pending),
    STREAMCHAT_FIELD(channel_config, skip_last_msg_update_for_system_msgs),
    STREAMCHAT_FIELD(channel_config, max_message_length),
    STREAMCHAT_FIELD(channel_config, message_retention),
    STREAMCHAT_FIELD(channel_config, automod),
    STREAMCHAT_FIELD(channel_config, automod_behavior),
    STREAMCHAT_FIELD(channel_config, blocklist_behavior),
    STREAMCHAT_FIELD(channel_config, push_level),
};

// cid/id/type are not marked required: decode(channel) checks "cid, or type and id" itself.
constexpr field<channel> channel_fields[] = {
    STREAMCHAT_FIELD(channel, cid),
    STREAMCHAT_FIELD(channel, id),
    STREAMCHAT_FIELD(channel, type),
    STREAMCHAT_FIELD(channel, created_at),
    STREAMCHAT_FIELD(channel, updated_at),
    STREAMCHAT_FIELD(channel, frozen),
    STREAMCHAT_FIELD(channel, disabled),
    STREAMCHAT_FIELD(channel, config),
    STREAMCHAT_FIELD(channel, created_by),
    STREAMCHAT_FIELD(channel, last_message_at),
    STREAMCHAT_FIELD(channel, deleted_at),
    STREAMCHAT_FIELD(channel, truncated_at),
    STREAMCHAT_FIELD(channel, truncated_by),
    STREAMCHAT_FIELD(channel, member_count),
    STREAMCHAT_FIELD(channel, message_count),
    STREAMCHAT_FIELD(channel, members),
    STREAMCHAT_FIELD(channel, cooldown),
    STREAMCHAT_FIELD(channel, team),
    STREAMCHAT_FIELD(channel, hidden),
    STREAMCHAT_FIELD(channel, muted),
    STREAMCHAT_FIELD(channel, mute_expires_at),
    STREAMCHAT_FIELD(channel, blocked),
    STREAMCHAT_FIELD(channel, own_capabilities),
    STREAMCHAT_FIELD(channel, hide_messages_before),
};

constexpr field<member> member_fields[] = {
    STREAMCHAT_FIELD(member, user_id),
    STREAMCHAT_FIELD(member, user),
    STREAMCHAT_FIELD(member, channel_role),
    STREAMCHAT_FIELD(member, banned),
    STREAMCHAT_FIELD(member, shadow_banned),
    STREAMCHAT_FIELD(member, notifications_muted),
    STREAMCHAT_FIELD(member, created_at),
    STREAMCHAT_FIELD(member, updated_at),
    STREAMCHAT_FIELD(member, role),
    STREAMCHAT_FIELD(member, is_moderator),
    STREAMCHAT_FIELD(member, invited),
    STREAMCHAT_FIELD(member, invite_accepted_at),
    STREAMCHAT_FIELD(member, invite_rejected_at),
    STREAMCHAT_FIELD(member, status),
    STREAMCHAT_FIELD(member, ban_expires),
    STREAMCHAT_FIELD(member, pinned_at),
    STREAMCHAT_FIELD(member, archived_at),
    STREAMCHAT_FIELD(member, deleted_at),
};

constexpr field<attachment> attachment_fields[] = {
    STREAMCHAT_FIELD(attachment, type),
    STREAMCHAT_FIELD(attachment, title),
    STREAMCHAT_FIELD(attachment, title_link),
    STREAMCHAT_FIELD(attachment, text),
    STREAMCHAT_FIELD(attachment, pretext),
    STREAMCHAT_FIELD(attachment, fallback),
    STREAMCHAT_FIELD(attachment, image_url),
    STREAMCHAT_FIELD(attachment, thumb_url),
    STREAMCHAT_FIELD(attachment, asset_url),
    STREAMCHAT_FIELD(attachment, og_scrape_url),
    STREAMCHAT_FIELD(attachment, mime_type),
    STREAMCHAT_FIELD(attachment, file_size),
    STREAMCHAT_FIELD(attachment, original_width),
    STREAMCHAT_FIELD(attachment, original_height),
    STREAMCHAT_FIELD(attachment, author_name),
};

constexpr field<reaction> reaction_fields[] = {
    STREAMCHAT_REQUIRED(reaction, type),
    STREAMCHAT_FIELD(reaction, score),
    STREAMCHAT_FIELD(reaction, message_id),
    STREAMCHAT_FIELD(reaction, user_id),
    STREAMCHAT_FIELD(reaction, user),
    STREAMCHAT_FIELD(reaction, created_at),
    STREAMCHAT_FIELD(reaction, updated_at),
    STREAMCHAT_FIELD(reaction, emoji_code),
};

// Ordered by how often the keys occur, so the common ones match early.
constexpr field<message> message_fields[] = {
    STREAMCHAT_REQUIRED(message, id),
    STREAMCHAT_FIELD(message, text),
    STREAMCHAT_FIELD(message, type),
    STREAMCHAT_FIELD(message, cid),
    STREAMCHAT_FIELD(message, user),
    STREAMCHAT_FIELD(message, html),
    STREAMCHAT_FIELD(message, created_at),
    STREAMCHAT_FIELD(message, updated_at),
    STREAMCHAT_FIELD(message, attachments),
    STREAMCHAT_FIELD(message, latest_reactions),
    STREAMCHAT_FIELD(message, own_reactions),
    STREAMCHAT_FIELD(message, reaction_counts),
    STREAMCHAT_FIELD(message, reaction_scores),
    STREAMCHAT_FIELD(message, reply_count),
    STREAMCHAT_FIELD(message, deleted_reply_count),
    STREAMCHAT_FIELD(message, mentioned_users),
    STREAMCHAT_FIELD(message, mentioned_channel),
    STREAMCHAT_FIELD(message, mentioned_here),
    STREAMCHAT_FIELD(message, silent),
    STREAMCHAT_FIELD(message, shadowed),
    STREAMCHAT_FIELD(message, pinned),
    STREAMCHAT_FIELD(message, restricted_visibility),
    STREAMCHAT_FIELD(message, parent_id),
    STREAMCHAT_FIELD(message, show_in_channel),
    STREAMCHAT_FIELD(message, quoted_message_id),
    STREAMCHAT_FIELD(message, thread_participants),
    STREAMCHAT_FIELD(message, pinned_at),
    STREAMCHAT_FIELD(message, pinned_by),
    STREAMCHAT_FIELD(message, pin_expires),
    STREAMCHAT_FIELD(message, deleted_at),
    STREAMCHAT_FIELD(message, deleted_for_me),
    STREAMCHAT_FIELD(message, message_text_updated_at),
    STREAMCHAT_FIELD(message, command),
    STREAMCHAT_FIELD(message, poll_id),
};

constexpr field<read_state> read_state_fields[] = {
    STREAMCHAT_REQUIRED(read_state, user),
    STREAMCHAT_FIELD(read_state, last_read),
    STREAMCHAT_FIELD(read_state, unread_messages),
    STREAMCHAT_FIELD(read_state, last_read_message_id),
    STREAMCHAT_FIELD(read_state, last_delivered_at),
    STREAMCHAT_FIELD(read_state, last_delivered_message_id),
};

constexpr field<channel_state> channel_state_fields[] = {
    STREAMCHAT_REQUIRED(channel_state, channel),
    STREAMCHAT_FIELD(channel_state, messages),
    STREAMCHAT_FIELD(channel_state, members),
    STREAMCHAT_FIELD(channel_state, pinned_messages),
    STREAMCHAT_FIELD(channel_state, read),
    STREAMCHAT_FIELD(channel_state, watchers),
    STREAMCHAT_FIELD(channel_state, watcher_count),
    STREAMCHAT_FIELD(channel_state, membership),
    STREAMCHAT_FIELD(channel_state, hidden),
    STREAMCHAT_FIELD(channel_state, hide_messages_before),
};

// The envelope must yield its `code` even when the decorations are odd: the JS type declares
// `details` as objects (the spec says integers) and the JS client reads neither of these two,
// so entries of another shape are skipped instead of failing the whole envelope.
error_code decode_details(const json::value& v, api_error& e, decode_context&)
{
    e.details.clear();
    if (const json::array* a = v.if_array()) {
        for (const json::value& item : *a) {
            int n = 0;
            decode_context scratch;
            if (!decode(item, n, scratch))
                e.details.push_back(n);
        }
    }
    return {};
}

error_code decode_exception_fields(const json::value& v, api_error& e, decode_context&)
{
    e.exception_fields.clear();
    if (const json::object* o = v.if_object()) {
        for (const auto& kv : *o) {
            if (const json::string* s = kv.value().if_string())
                e.exception_fields.emplace(std::string(kv.key()), std::string(s->data(), s->size()));
        }
    }
    return {};
}

constexpr field<api_error> api_error_fields[] = {
    STREAMCHAT_REQUIRED_AS(api_error, "code", code),
    STREAMCHAT_FIELD_AS(api_error, "StatusCode", status_code),
    STREAMCHAT_FIELD_AS(api_error, "message", message),
    STREAMCHAT_FIELD_AS(api_error, "more_info", more_info),
    field<api_error>{"details", &decode_details, &encode_member<api_error, &api_error::details>, false},
    field<api_error>{"exception_fields", &decode_exception_fields,
                     &encode_member<api_error, &api_error::exception_fields>, false},
    STREAMCHAT_FIELD_AS(api_error, "unrecoverable", unrecoverable),
    STREAMCHAT_FIELD_AS(api_error, "duration", duration),
};

/// Resets `out` and decodes an object through `table`, unknown keys into `out.extra`.
template <class T, std::size_t N>
error_code decode_object(const json::value& v, T& out, const field<T> (&table)[N],
                         decode_context& ctx)
{
    out = T{};
    error_code ec;
    const json::object* o = expect_object(v, ctx, ec);
    if (!o)
        return ec;
    return decode_fields(*o, out, table, &out.extra, ctx);
}

} // namespace

// Types whose codec is exactly "the table, plus extra".
#define STREAMCHAT_TABLE_CODEC(T)                                                                 \
    error_code decode(const json::value& v, T& out, decode_context& ctx)                         \
    {                                                                                             \
        return decode_object(v, out, T##_fields, ctx);                                            \
    }                                                                                             \
    void encode(const T& v, json::object& out) { encode_fields(v, T##_fields, &v.extra, out); }  \
    json::value encode(const T& v)                                                                \
    {                                                                                             \
        json::object o;                                                                           \
        encode(v, o);                                                                             \
        return o;                                                                                 \
    }

STREAMCHAT_TABLE_CODEC(user)
STREAMCHAT_TABLE_CODEC(own_user)
STREAMCHAT_TABLE_CODEC(device)
STREAMCHAT_TABLE_CODEC(user_mute)
STREAMCHAT_TABLE_CODEC(channel_mute)
STREAMCHAT_TABLE_CODEC(channel_config)
STREAMCHAT_TABLE_CODEC(member)
STREAMCHAT_TABLE_CODEC(attachment)
STREAMCHAT_TABLE_CODEC(reaction)
STREAMCHAT_TABLE_CODEC(message)
STREAMCHAT_TABLE_CODEC(read_state)
STREAMCHAT_TABLE_CODEC(channel_state)

#undef STREAMCHAT_TABLE_CODEC

// ---------------------------------------------------------------- channel

error_code decode(const json::value& v, channel& out, decode_context& ctx)
{
    if (error_code ec = decode_object(v, out, channel_fields, ctx))
        return ec;
    // Identity: a cid, or a type and an id. Whatever is missing is derived from the rest.
    if (out.cid.empty()) {
        if (out.type.empty())
            return ctx.fail_missing("cid");
        if (out.id.empty())
            return ctx.fail_missing("id");
        out.cid = streamchat::cid(out.type, out.id);
    } else if (out.type.empty() || out.id.empty()) {
        const std::optional<cid_parts> parts = split_cid(out.cid);
        if (!parts) {
            auto s = ctx.enter("cid");
            return ctx.fail(error::invalid_value, "expected \"type:id\"");
        }
        if (out.type.empty())
            out.type.assign(parts->type);
        if (out.id.empty())
            out.id.assign(parts->id);
    }
    return {};
}

void encode(const channel& v, json::object& out) { encode_fields(v, channel_fields, &v.extra, out); }

json::value encode(const channel& v)
{
    json::object o;
    encode(v, o);
    return o;
}

// ---------------------------------------------------------------- api_error

error_code decode(const json::value& v, api_error& out, decode_context& ctx)
{
    out = api_error{};
    error_code ec;
    const json::object* o = expect_object(v, ctx, ec);
    if (!o)
        return ec;
    return decode_fields(*o, out, api_error_fields, nullptr, ctx); // no extra: unknown keys dropped
}

void encode(const api_error& v, json::object& out)
{
    // The spec requires code, StatusCode, message, more_info, details and duration.
    out.emplace("code", encode(v.code));
    out.emplace("StatusCode", encode(v.status_code));
    out.emplace("message", encode(v.message));
    out.emplace("more_info", encode(v.more_info));
    out.emplace("details", encode(v.details));
    out.emplace("duration", encode(v.duration));
    if (!v.exception_fields.empty())
        out.emplace("exception_fields", encode(v.exception_fields));
    if (v.unrecoverable)
        out.emplace("unrecoverable", encode(v.unrecoverable));
}

json::value encode(const api_error& v)
{
    json::object o;
    encode(v, o);
    return o;
}

} // namespace streamchat::detail
