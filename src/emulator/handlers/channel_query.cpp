// One channel (docs/protocol.md §2.3): get-or-create / watch, stop-watching, update.

#include "emulator/handlers/handlers.hpp"
#include "emulator/handlers/render.hpp"

#include "model/codec.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace streamchat::emu {

namespace {

/// Keys of channel `data` that are not custom data.
bool reserved_channel_key(std::string_view k)
{
    static constexpr std::string_view keys[] = {
        "members", "invites", "created_by", "created_by_id", "cid", "id", "type", "config", "config_overrides",
        "created_at", "updated_at", "deleted_at", "last_message_at", "member_count", "message_count",
        "own_capabilities", "frozen", "disabled", "truncated_at", "hidden", "custom"};
    return std::find(std::begin(keys), std::end(keys), k) != std::end(keys);
}

/// Custom data of `data`, with a nested `custom` object flattened (top-level keys win).
std::string custom_data(const json::object& data)
{
    json::object out;
    for (const auto& kv : data)
        if (!reserved_channel_key(kv.key())) out[kv.key()] = kv.value();
    if (auto it = data.find("custom"); it != data.end()) {
        if (!it->value().is_object()) bad_input("data.custom must be an object");
        for (const auto& kv : it->value().get_object())
            if (!reserved_channel_key(kv.key()) && !out.contains(kv.key())) out[kv.key()] = kv.value();
    }
    // Custom keys named like channel fields must have their types (e.g. `cooldown` a number),
    // or an SDK could not read the channel back.
    json::object probe = out;
    probe["cid"] = "probe:probe";
    streamchat::channel ch;
    detail::decode_context dc("data");
    if (detail::decode(json::value(std::move(probe)), ch, dc)) bad_input(dc.message());
    return json::serialize(out);
}

std::optional<std::int64_t> anchor(session& s, const json::object& o, std::string_view key, const std::string& cid)
{
    const std::string name = "messages." + std::string(key);
    auto id = read_string(o, key, name);
    if (!id) return std::nullopt;
    auto m = s.db().find_message(*id);
    if (!m || m->cid != cid) bad_input(name + ": message '" + *id + "' does not exist in channel '" + cid + "'");
    return m->seq;
}

std::optional<nanos> time_anchor(const json::object& o, std::string_view key)
{
    const std::string name = "messages." + std::string(key);
    auto text = read_string(o, key, name);
    if (!text) return std::nullopt;
    auto t = parse_timestamp(*text);
    if (!t) bad_input(name + " must be an RFC 3339 timestamp");
    return to_nanos(*t);
}

state_options read_state_options(session& s, const json::object& body, const std::string& cid)
{
    state_options o;
    o.messages = read_bool(body, "state", "state").value_or(true);
    if (const auto* m = read_object(body, "messages", "messages")) {
        o.window.limit = read_int(*m, "limit", "messages.limit", 25, 0, 300);
        o.window.seq_lt = anchor(s, *m, "id_lt", cid);
        o.window.seq_lte = anchor(s, *m, "id_lte", cid);
        o.window.seq_gt = anchor(s, *m, "id_gt", cid);
        o.window.seq_gte = anchor(s, *m, "id_gte", cid);
        o.window.seq_around = anchor(s, *m, "id_around", cid);
        o.window.created_after = time_anchor(*m, "created_at_after");
        o.window.created_after_or_equal = time_anchor(*m, "created_at_after_or_equal");
        o.window.created_before = time_anchor(*m, "created_at_before");
        o.window.created_before_or_equal = time_anchor(*m, "created_at_before_or_equal");
        o.window.created_around = time_anchor(*m, "created_at_around");
    }
    if (const auto* m = read_object(body, "members", "members")) {
        o.member_limit = read_int(*m, "limit", "members.limit", 100, 0, 300);
        o.member_offset = read_int(*m, "offset", "members.offset", 0, 0, 10000);
    }
    if (const auto* w = read_object(body, "watchers", "watchers")) {
        o.watcher_limit = read_int(*w, "limit", "watchers.limit", 100, 0, 300);
        o.watcher_offset = read_int(*w, "offset", "watchers.offset", 0, 0, 10000);
    }
    return o;
}

std::string creator_of(session& s, const json::object* data)
{
    if (!s.who.server) return s.who.user_id;
    std::string hint;
    if (data) {
        if (auto id = read_string(*data, "created_by_id", "data.created_by_id")) hint = *id;
        else if (const auto* u = read_object(*data, "created_by", "data.created_by"))
            hint = read_string(*u, "id", "data.created_by.id").value_or("");
    }
    return s.acting_user(hint);
}

} // namespace

api_response get_or_create_channel(session& s, const path_params& p)
{
    const json::object body = parse_body(s.req);
    const std::string type = p.at("type");
    const json::object* data = read_object(body, "data", "data");
    std::vector<member_input> members;
    if (data)
        if (auto it = data->find("members"); it != data->end() && !it->value().is_null())
            members = read_member_list(it->value(), "data.members", 100);

    std::string id;
    if (auto it = p.find("id"); it != p.end()) {
        id = it->second;
    } else {
        if (members.empty()) bad_input("data.members is required to create a channel without an id");
        std::vector<std::string> ids;
        for (const auto& m : members) ids.push_back(m.user_id);
        id = distinct_channel_id(std::move(ids));
    }
    check_channel_path(type, id);
    const bool watch = read_bool(body, "watch", "watch").value_or(false);
    const bool presence = read_bool(body, "presence", "presence").value_or(false);
    const std::string the_cid = cid(type, id);
    const state_options so = read_state_options(s, body, the_cid);

    auto existing = s.db().find_channel(the_cid);
    channel_row c;
    if (existing) {
        c = std::move(*existing);
        if (!s.can_read(c, s.membership(c.cid)))
            not_allowed("User '" + s.who.user_id + "' is not allowed to read channel '" + c.cid + "'");
    } else {
        if (s.who.anonymous) not_allowed("anonymous users cannot create channels");
        const std::string creator = creator_of(s, data);
        s.db().ensure_user(creator, s.now);
        c.cid = the_cid;
        c.type = type;
        c.id = id;
        c.created_by_id = creator;
        c.created_at = s.now;
        c.updated_at = s.now;
        if (data) {
            c.frozen = read_bool(*data, "frozen", "data.frozen").value_or(false);
            c.extra = custom_data(*data);
        }
        s.db().insert_channel(c);
        json::object created = channel_event(s, "channel.created", c);
        add_channel_members(s, c, members, true);
        created["channel"] = channel_json(s, c, false);
        emit_to_watchers(s, c, created);
    }
    if (watch) watch_channel(s, c);
    if (presence && !s.who.user_id.empty())
        for (const auto& m : s.db().members(c.cid, so.member_limit, so.member_offset))
            s.db().subscribe_presence(s.who.user_id, m.user_id);
    return ok_text(s, channel_state_text(s, c, so));
}

api_response stop_watching(session& s, const path_params& p)
{
    (void)parse_body(s.req);
    const channel_row c = load_channel(s, p.at("type"), p.at("id"));
    if (auto conn = s.own_connection()) {
        const std::string user = s.realtime().user_of(*conn);
        if (s.realtime().unwatch(*conn, c.cid) && config_for(c.type).connect_events) {
            json::object ev = channel_event(s, "user.watching.stop", c);
            ev["user"] = s.user_json(user);
            ev["watcher_count"] = s.realtime().watcher_count(c.cid);
            emit_to_watchers(s, c, ev);
        }
    }
    return ok(s, {});
}

api_response update_channel(session& s, const path_params& p)
{
    const json::object body = parse_body(s.req);
    channel_row c = load_channel(s, p.at("type"), p.at("id"));
    if (!s.who.server && !s.membership(c.cid) && c.created_by_id != s.who.user_id)
        not_allowed("User '" + s.who.user_id + "' is not allowed to update channel '" + c.cid + "'");
    // Server tokens may act without a user (no `user` on the events then).
    std::string actor = s.who.user_id;
    if (s.who.server && actor.empty())
        if (auto p_user = s.req.param("user_id")) actor = std::string(*p_user);

    std::vector<member_input> add, remove, promote, demote;
    if (auto it = body.find("add_members"); it != body.end() && !it->value().is_null())
        add = read_member_list(it->value(), "add_members", 100);
    if (auto it = body.find("remove_members"); it != body.end() && !it->value().is_null())
        remove = read_member_list(it->value(), "remove_members", 100);
    if (auto it = body.find("add_moderators"); it != body.end() && !it->value().is_null())
        promote = read_member_list(it->value(), "add_moderators", 100);
    if (auto it = body.find("demote_moderators"); it != body.end() && !it->value().is_null())
        demote = read_member_list(it->value(), "demote_moderators", 100);
    const json::object* data = read_object(body, "data", "data");
    const json::object* message = read_object(body, "message", "message");

    if (data) {
        c.extra = custom_data(*data);
        if (auto frozen = read_bool(*data, "frozen", "data.frozen")) c.frozen = *frozen;
        c.updated_at = s.now;
        s.db().update_channel(c);
    }
    add_channel_members(s, c, add, true);
    remove_channel_members(s, c, remove);
    auto set_role = [&](const std::vector<member_input>& list, const char* role) {
        for (const auto& m : list) {
            if (!s.db().find_member(c.cid, m.user_id)) continue;
            s.db().set_member_role(c.cid, m.user_id, role, s.now);
            json::object ev = channel_event(s, "member.updated", c);
            ev["channel"] = channel_json(s, c, false); // required by MemberUpdatedEvent
            ev["member"] = member_json(s, *s.db().find_member(c.cid, m.user_id));
            ev["user"] = s.user_json(m.user_id);
            emit_to_watchers(s, c, ev);
        }
    };
    set_role(promote, "channel_moderator");
    set_role(demote, "channel_member");

    json::object out;
    if (message) {
        message_row m = post_message(s, c, *message, s.who.server ? s.acting_user(actor) : actor);
        out["message"] = message_json(s, m);
    }
    if (auto fresh = s.db().find_channel(c.cid)) c = std::move(*fresh);
    if (data) {
        json::object ev = channel_event(s, "channel.updated", c);
        ev["channel"] = channel_json(s, c, false);
        if (!actor.empty()) ev["user"] = s.user_json(actor);
        emit_to_watchers(s, c, ev);
    }
    out["channel"] = channel_json(s, c, true);
    json::array members;
    for (const auto& m : s.db().members(c.cid, 100, 0)) members.push_back(member_json(s, m));
    out["members"] = std::move(members);
    return ok(s, std::move(out));
}

} // namespace streamchat::emu
