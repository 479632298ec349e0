// Read state, typing and custom events (docs/protocol.md §2.5) and unread counts (GET /unread).

#include "emulator/handlers/handlers.hpp"
#include "emulator/handlers/render.hpp"

#include "model/codec.hpp"

#include <map>

namespace streamchat::emu {

namespace {

/// Marks `c` read for `user` up to `message_id` (or the latest message); message.read to the
/// watchers. Returns that event.
json::object read_channel(session& s, const channel_row& c, const std::string& user,
                          std::optional<std::string> message_id)
{
    if (!message_id)
        if (auto last = s.db().latest_message(c.cid)) message_id = last->id;
    s.db().mark_read(c.cid, user, s.now, message_id);
    json::object ev = channel_event(s, "message.read", c);
    ev["user"] = s.user_json(user);
    if (message_id) ev["last_read_message_id"] = *message_id;
    if (c.last_message_at) ev["channel_last_message_at"] = format_timestamp(from_nanos(*c.last_message_at));
    emit_to_watchers(s, c, ev);
    return ev;
}

/// notification.mark_read with the reader's new totals, to all of the reader's connections.
void notify_mark_read(session& s, const std::string& user, const channel_row* c,
                      const std::optional<std::string>& message_id)
{
    json::object note;
    note["type"] = "notification.mark_read";
    if (c) {
        note["cid"] = c->cid;
        note["channel_id"] = c->id;
        note["channel_type"] = c->type;
        note["channel"] = channel_json(s, *c, false);
        note["unread_messages"] = 0;
    }
    note["user"] = s.user_json(user);
    if (message_id) note["last_read_message_id"] = *message_id;
    add_unread_totals(s, user, note);
    note["unread_threads"] = 0;
    note["created_at"] = s.now_text;
    s.realtime().to_user(user, note);
}

std::string reader(session& s, const json::object& body)
{
    if (s.who.anonymous) not_allowed("anonymous users have no read state");
    if (!s.who.server) return s.who.user_id;
    return s.acting_user(read_string(body, "user_id", "user_id").value_or(""));
}

} // namespace

api_response mark_read(session& s, const path_params& p)
{
    const json::object body = parse_body(s.req);
    const channel_row c = load_channel(s, p.at("type"), p.at("id"));
    const std::string user = reader(s, body);
    if (!s.db().find_member(c.cid, user))
        not_allowed("User '" + user + "' is not a member of channel '" + c.cid + "'");
    auto message_id = read_string(body, "message_id", "message_id");
    if (message_id) {
        auto m = s.db().find_message(*message_id);
        if (!m || m->cid != c.cid) bad_input("message_id: message '" + *message_id + "' does not exist in this channel");
    }
    json::object ev = read_channel(s, c, user, message_id);
    const auto last = ev.contains("last_read_message_id")
                          ? std::optional<std::string>(std::string(ev.at("last_read_message_id").get_string()))
                          : std::nullopt;
    notify_mark_read(s, user, &c, last);
    json::object out;
    out["event"] = std::move(ev);
    return ok(s, std::move(out));
}

api_response mark_channels_read(session& s, const path_params&)
{
    const json::object body = parse_body(s.req);
    const std::string user = reader(s, body);
    std::vector<std::pair<std::string, std::optional<std::string>>> targets;
    if (const auto* by = read_object(body, "read_by_channel", "read_by_channel")) {
        if (by->size() > 100) bad_input("read_by_channel accepts at most 100 channels");
        for (const auto& kv : *by) {
            const std::string name = "read_by_channel." + std::string(kv.key());
            if (!kv.value().is_string()) bad_input(name + " must be a message id");
            targets.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
        }
    } else {
        for (const auto& m : s.db().unread_memberships(user)) targets.emplace_back(m.cid, std::nullopt);
    }
    for (const auto& [the_cid, message_id] : targets) {
        auto c = s.db().find_channel(the_cid);
        if (!c) not_found("Channel '" + the_cid + "' does not exist");
        if (!s.db().find_member(c->cid, user))
            not_allowed("User '" + user + "' is not a member of channel '" + c->cid + "'");
        read_channel(s, *c, user, message_id);
    }
    // The answer has no `event`: MarkReadResponse's event needs a cid, and a mark-all-read has
    // no single channel. The totals reach the reader's connections as notification.mark_read.
    notify_mark_read(s, user, nullptr, std::nullopt);
    return ok(s, {});
}

api_response mark_delivered(session& s, const path_params&)
{
    const json::object body = parse_body(s.req);
    const std::string user = reader(s, body);
    const json::array* list = read_array(body, "latest_delivered_messages", "latest_delivered_messages");
    if (list && list->size() > 100) bad_input("latest_delivered_messages accepts at most 100 entries");
    if (list)
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string at = "latest_delivered_messages[" + std::to_string(i) + "]";
            if (!(*list)[i].is_object()) bad_input(at + " must be an object");
            const auto& o = (*list)[i].get_object();
            const auto the_cid = read_string(o, "cid", at + ".cid");
            const auto id = read_string(o, "id", at + ".id");
            if (!the_cid || !id) bad_input(at + " needs cid and id");
            auto c = s.db().find_channel(*the_cid);
            if (!c) not_found("Channel '" + *the_cid + "' does not exist");
            if (!s.db().find_member(c->cid, user)) continue;
            json::object ev = channel_event(s, "message.delivered", *c);
            ev["user"] = s.user_json(user);
            ev["last_delivered_at"] = s.now_text;
            ev["last_delivered_message_id"] = *id;
            emit_to_watchers(s, *c, ev);
        }
    return ok(s, {});
}

api_response send_event(session& s, const path_params& p)
{
    const json::object body = parse_body(s.req);
    const channel_row c = load_readable_channel(s, p.at("type"), p.at("id"));
    const json::object* input = read_object(body, "event", "event");
    if (!input) bad_input("event is a required field");
    const auto type = read_string(*input, "type", "event.type");
    if (!type || type->empty()) bad_input("event.type is a required field");
    if (type->size() > 64) bad_input("event.type is longer than 64 characters");
    const bool typing = *type == "typing.start" || *type == "typing.stop";
    if (!typing) {
        for (std::string_view prefix : {"message.", "channel.", "member.", "notification.", "health.", "user.",
                                        "reaction.", "connection.", "typing.", "thread.", "poll."})
            if (std::string_view(*type).starts_with(prefix))
                fail(18, 400, "event type " + *type + " is not supported");
    }
    if (s.who.anonymous) not_allowed("anonymous users cannot send events");
    const std::string user = s.who.server ? s.acting_user(read_string(body, "user_id", "user_id").value_or(""))
                                          : s.who.user_id;
    json::object ev = *input;
    ev.erase("custom");
    if (const auto* custom = read_object(*input, "custom", "event.custom"))
        for (const auto& kv : *custom)
            if (!ev.contains(kv.key())) ev[kv.key()] = kv.value();
    if (auto parent = read_string(*input, "parent_id", "event.parent_id")) ev["parent_id"] = *parent;
    for (const auto& kv : channel_event(s, *type, c)) ev[kv.key()] = kv.value();
    ev["user"] = s.user_json(user);
    {
        // Known event types must keep their field types, so SDKs can read what they receive.
        streamchat::event probe;
        detail::decode_context dc("event");
        if (detail::decode(json::value(ev), probe, dc)) bad_input(dc.message());
    }
    emit_to_watchers(s, c, ev);
    json::object out;
    out["event"] = std::move(ev);
    return ok(s, std::move(out));
}

api_response unread_counts(session& s, const path_params&)
{
    if (s.who.anonymous) not_allowed("anonymous users have no unread counts");
    const std::string user = s.who.server ? s.acting_user() : s.who.user_id;
    const auto totals = s.db().unread_for(user);
    json::array channels;
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_type;
    for (const auto& m : s.db().unread_memberships(user)) {
        json::object o;
        o["channel_id"] = m.cid;
        o["unread_count"] = m.unread_messages;
        o["last_read"] = format_timestamp(from_nanos(m.last_read));
        channels.push_back(std::move(o));
        const auto parts = split_cid(m.cid);
        auto& t = by_type[parts ? std::string(parts->type) : std::string()];
        t.first += 1;
        t.second += m.unread_messages;
    }
    json::array types;
    for (const auto& [type, t] : by_type)
        types.push_back(json::object{{"channel_type", type}, {"channel_count", t.first}, {"unread_count", t.second}});
    json::object out;
    out["total_unread_count"] = totals.messages;
    out["total_unread_threads_count"] = 0;
    out["total_unread_count_by_team"] = json::object{};
    out["channels"] = std::move(channels);
    out["channel_type"] = std::move(types);
    out["threads"] = json::array{};
    return ok(s, std::move(out));
}

} // namespace streamchat::emu
