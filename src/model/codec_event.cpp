// Event types (wire names) and the event codec.

#include "model/codec.hpp"
#include "model/codec_fields.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace streamchat {

namespace {

struct event_name {
    std::string_view name;
    event_type type;
};

// In enum order: names[i].type == event_type(i + 1); checked below.
constexpr event_name names[] = {
    {"health.check", event_type::health_check},
    {"message.new", event_type::message_new},
    {"message.updated", event_type::message_updated},
    {"message.deleted", event_type::message_deleted},
    {"message.undeleted", event_type::message_undeleted},
    {"message.read", event_type::message_read},
    {"message.delivered", event_type::message_delivered},
    {"typing.start", event_type::typing_start},
    {"typing.stop", event_type::typing_stop},
    {"user.watching.start", event_type::user_watching_start},
    {"user.watching.stop", event_type::user_watching_stop},
    {"user.presence.changed", event_type::user_presence_changed},
    {"user.updated", event_type::user_updated},
    {"user.deleted", event_type::user_deleted},
    {"user.banned", event_type::user_banned},
    {"user.unbanned", event_type::user_unbanned},
    {"user.messages.deleted", event_type::user_messages_deleted},
    {"member.added", event_type::member_added},
    {"member.updated", event_type::member_updated},
    {"member.removed", event_type::member_removed},
    {"channel.created", event_type::channel_created},
    {"channel.updated", event_type::channel_updated},
    {"channel.deleted", event_type::channel_deleted},
    {"channel.truncated", event_type::channel_truncated},
    {"channel.hidden", event_type::channel_hidden},
    {"channel.visible", event_type::channel_visible},
    {"channel.kicked", event_type::channel_kicked},
    {"channel.muted", event_type::channel_muted},
    {"channel.unmuted", event_type::channel_unmuted},
    {"reaction.new", event_type::reaction_new},
    {"reaction.updated", event_type::reaction_updated},
    {"reaction.deleted", event_type::reaction_deleted},
    {"notification.message_new", event_type::notification_message_new},
    {"notification.added_to_channel", event_type::notification_added_to_channel},
    {"notification.removed_from_channel", event_type::notification_removed_from_channel},
    {"notification.channel_deleted", event_type::notification_channel_deleted},
    {"notification.channel_truncated", event_type::notification_channel_truncated},
    {"notification.invited", event_type::notification_invited},
    {"notification.invite_accepted", event_type::notification_invite_accepted},
    {"notification.invite_rejected", event_type::notification_invite_rejected},
    {"notification.mark_read", event_type::notification_mark_read},
    {"notification.mark_unread", event_type::notification_mark_unread},
    {"notification.mutes_updated", event_type::notification_mutes_updated},
    {"notification.channel_mutes_updated", event_type::notification_channel_mutes_updated},
    {"notification.thread_message_new", event_type::notification_thread_message_new},
    {"thread.updated", event_type::thread_updated},
    {"connection.changed", event_type::connection_changed},
    {"connection.recovered", event_type::connection_recovered},
};
constexpr std::size_t name_count = std::size(names);

constexpr bool names_in_enum_order()
{
    for (std::size_t i = 0; i < name_count; ++i) {
        if (static_cast<std::size_t>(names[i].type) != i + 1)
            return false;
    }
    return static_cast<std::size_t>(event_type::connection_recovered) == name_count;
}
static_assert(names_in_enum_order(), "names[] must list every event_type in enum order");

// Sorted by name at compile time for a binary search (a dozen comparisons at most).
constexpr auto sorted_names = [] {
    std::array<event_name, name_count> a{};
    for (std::size_t i = 0; i < name_count; ++i)
        a[i] = names[i];
    std::sort(a.begin(), a.end(), [](const event_name& x, const event_name& y) { return x.name < y.name; });
    return a;
}();

} // namespace

std::string_view to_string(event_type t) noexcept
{
    const auto i = static_cast<std::size_t>(t);
    if (i == 0 || i > name_count)
        return {};
    return names[i - 1].name;
}

event_type event_type_from_string(std::string_view name) noexcept
{
    const auto it = std::lower_bound(sorted_names.begin(), sorted_names.end(), name,
                                     [](const event_name& e, std::string_view n) { return e.name < n; });
    if (it != sorted_names.end() && it->name == name)
        return it->type;
    return event_type::unknown;
}

namespace detail {

namespace {

error_code decode_type(const json::value& v, event& e, decode_context& ctx)
{
    if (error_code ec = decode(v, e.type_name, ctx))
        return ec;
    e.type = event_type_from_string(e.type_name);
    return {};
}

void encode_type(const event& e, json::object& out, std::string_view name)
{
    const std::string_view wire = e.type != event_type::unknown ? to_string(e.type)
                                                                : std::string_view(e.type_name);
    out.emplace(name, json::string_view(wire.data(), wire.size()));
}

#define F(m) STREAMCHAT_FIELD(event, m)
constexpr field<event> event_fields[] = {
    field<event>{"type", &decode_type, &encode_type, true},
    F(created_at),
    F(cid),
    F(channel_id),
    F(channel_type),
    F(user),
    F(message),
    F(channel),
    F(member),
    F(reaction),
    F(me),
    F(connection_id),
    F(watcher_count),
    F(total_unread_count),
    F(unread_count),
    F(unread_channels),
    F(unread_messages),
    F(unread_threads),
    F(unread_thread_messages),
    F(last_read_message_id),
    F(last_read_at),
    F(first_unread_message_id),
    F(last_delivered_at),
    F(last_delivered_message_id),
    F(parent_id),
    F(message_id),
    F(hard_delete),
    F(deleted_for_me),
    F(clear_history),
    F(mark_messages_deleted),
    F(channel_member_count),
    F(channel_message_count),
    F(team),
    F(shadow),
    F(reason),
    F(expiration),
};
#undef F

/// Best effort for routing an unknown event: a well-typed value is taken, anything else ignored.
template <class T>
void try_take(const json::object& o, std::string_view key, T& out)
{
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null())
        return;
    decode_context scratch;
    T tmp{};
    if (!decode(*v, tmp, scratch))
        out = std::move(tmp);
}

} // namespace

error_code decode(const json::value& v, event& out, decode_context& ctx)
{
    out = event{};
    error_code ec;
    const json::object* o = expect_object(v, ctx, ec);
    if (!o)
        return ec;

    const json::value* type = o->if_contains("type");
    if (!type || type->is_null())
        return ctx.fail_missing("type");
    {
        auto s = ctx.enter("type");
        if (error_code tec = decode_type(*type, out, ctx))
            return tec;
    }
    if (out.type != event_type::unknown)
        return decode_fields(*o, out, event_fields, &out.extra, ctx);

    // Outside the catalogue (custom events, polls, reminders, …): keep the frame whole so an
    // application listener sees exactly what the server sent; it is never an error.
    out.extra = *o;
    try_take(*o, "created_at", out.created_at);
    try_take(*o, "cid", out.cid);
    try_take(*o, "channel_id", out.channel_id);
    try_take(*o, "channel_type", out.channel_type);
    return {};
}

void encode(const event& v, json::object& out)
{
    if (v.type == event_type::unknown) {
        // `extra` is the whole frame; make sure it still says what it is.
        out.reserve(out.size() + v.extra.size() + 1);
        for (const auto& kv : v.extra)
            out.emplace(kv.key(), kv.value());
        if (!v.type_name.empty())
            out.emplace("type", json::string_view(v.type_name.data(), v.type_name.size()));
        return;
    }
    encode_fields(v, event_fields, &v.extra, out);
}

json::value encode(const event& v)
{
    json::object o;
    encode(v, o);
    return o;
}

} // namespace detail

} // namespace streamchat
