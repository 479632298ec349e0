// Users: query, upsert and partial update (docs/protocol.md §2.6), and the WebSocket handshake
// data (connect_user / disconnect_user, §5.2).

#include "emulator/handlers/handlers.hpp"
#include "emulator/handlers/render.hpp"
#include "emulator/handlers/schemas.hpp"

#include "filter/filter_json.hpp"
#include "filter/sort_json.hpp"
#include "model/codec.hpp"
#include "wire/validation.hpp"

#include <streamchat/model/own_user.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace streamchat::emu {

namespace {

/// Keys that are columns or that the server computes: never stored as custom data.
bool not_custom(std::string_view k)
{
    static constexpr std::string_view keys[] = {"id", "role", "name", "image", "banned", "online", "created_at",
                                                "updated_at", "last_active", "custom", "deleted_at",
                                                "deactivated_at", "total_unread_count", "unread_count",
                                                "unread_channels", "unread_threads", "devices", "mutes",
                                                "channel_mutes"};
    return std::find(std::begin(keys), std::end(keys), k) != std::end(keys);
}

json::object parse_object_text(const std::string& text)
{
    error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return {};
    return std::move(v.as_object());
}

/// Checks a user object the way the SDK decodes one, naming the field (`<root>.<field>`).
void validate_user(const json::object& o, const std::string& root)
{
    json::object probe = o;
    if (!probe.contains("id")) probe["id"] = "probe";
    streamchat::user u;
    detail::decode_context dc(root);
    if (detail::decode(json::value(std::move(probe)), u, dc)) bad_input(dc.message());
}

/// Applies `fields` to `row`: columns from their keys, the rest as custom data. `replace`
/// discards previous custom data (a full upsert); `allow_role` lets server tokens set role/banned.
void apply_user_fields(user_row& row, const json::object& fields, bool replace, bool allow_role)
{
    json::object extra = replace ? json::object{} : parse_object_text(row.extra);
    for (const auto& kv : fields)
        if (!not_custom(kv.key())) extra[kv.key()] = kv.value();
    if (auto it = fields.find("custom"); it != fields.end() && it->value().is_object())
        for (const auto& kv : it->value().get_object())
            if (!not_custom(kv.key()) && !fields.contains(kv.key())) extra[kv.key()] = kv.value();
    if (auto it = fields.find("name"); it != fields.end())
        row.name = it->value().is_string() ? std::optional<std::string>(std::string(it->value().get_string())) : std::nullopt;
    if (auto it = fields.find("image"); it != fields.end())
        row.image = it->value().is_string() ? std::optional<std::string>(std::string(it->value().get_string())) : std::nullopt;
    if (allow_role) {
        if (auto it = fields.find("role"); it != fields.end() && it->value().is_string())
            row.role = std::string(it->value().get_string());
        if (auto it = fields.find("banned"); it != fields.end() && it->value().is_bool())
            row.banned = it->value().get_bool();
    }
    row.extra = json::serialize(extra);
}

void require_server(session& s)
{
    if (!s.who.server) not_allowed("only server-side requests (server token) may update users");
}

/// user.updated to the users subscribed to `id`'s presence.
void announce_user(session& s, const std::string& id, std::string_view type)
{
    s.forget_user(id);
    json::object ev;
    ev["type"] = type;
    ev["user"] = s.user_json(id);
    ev["created_at"] = s.now_text;
    for (const auto& sub : s.db().presence_subscribers(id)) s.realtime().to_user(sub, ev);
}

json::object upserted(session& s, const std::vector<std::string>& ids)
{
    json::object users;
    for (const auto& id : ids) {
        announce_user(s, id, "user.updated");
        users[id] = s.user_json(id);
    }
    json::object out;
    out["users"] = std::move(users);
    out["membership_deletion_task_id"] = "";
    return out;
}

} // namespace

api_response query_users(session& s, const path_params&)
{
    if (s.who.anonymous) not_allowed("anonymous users cannot query users");
    const auto payload_text = s.req.param("payload");
    const json::object payload = payload_text ? parse_json_param(*payload_text, "payload") : json::object{};
    filter f;
    std::string why;
    if (auto it = payload.find("filter_conditions"); it != payload.end() && !it->value().is_null()) {
        if (!it->value().is_object()) bad_input("filter_conditions must be an object");
        if (detail::parse_filter(it->value(), f, &why)) bad_input("filter_conditions: " + why);
    }
    sort order;
    if (auto it = payload.find("sort"); it != payload.end() && !it->value().is_null())
        if (detail::parse_sort(it->value(), order, &why)) bad_input(why);
    if (order.empty()) order = sort::by("created_at", sort_direction::descending).then("id", sort_direction::descending);
    const int limit = read_int(payload, "limit", "limit", 30, 0, 100);
    const int offset = read_int(payload, "offset", "offset", 0, 0, 1000);
    const bool presence = read_bool(payload, "presence", "presence").value_or(false);
    (void)read_bool(payload, "include_deactivated_users", "include_deactivated_users");

    const filter_schema schema = user_schema();
    sql_fragment where, by;
    if (to_sql(f, schema, where, why)) bad_input("filter_conditions: " + why);
    if (to_sql(order, schema, "u.id", by, why)) bad_input("sort: " + why);
    std::string sql = "SELECT u.id FROM users u WHERE (" + (where.sql.empty() ? std::string("1") : where.sql) + ")";
    std::vector<sql_param> params = where.params;
    if (!by.sql.empty()) {
        sql += " ORDER BY " + by.sql;
        params.insert(params.end(), by.params.begin(), by.params.end());
    }
    sql += " LIMIT ? OFFSET ?";
    params.emplace_back(static_cast<std::int64_t>(limit));
    params.emplace_back(static_cast<std::int64_t>(offset));
    std::vector<std::string> ids;
    {
        auto st = s.db().use(sql);
        st->bind_all(1, params);
        while (st->step()) ids.push_back(st->text(0));
    }
    json::array users;
    for (const auto& id : ids) {
        users.push_back(s.user_json(id));
        if (presence && !s.who.user_id.empty()) s.db().subscribe_presence(s.who.user_id, id);
    }
    json::object out;
    out["users"] = std::move(users);
    return ok(s, std::move(out));
}

api_response upsert_users(session& s, const path_params&)
{
    const json::object body = parse_body(s.req);
    require_server(s);
    const json::object* users = read_object(body, "users", "users");
    if (!users) bad_input("users is a required field");
    if (users->size() > 100) bad_input("users accepts at most 100 users");
    std::vector<std::string> ids;
    for (const auto& kv : *users) {
        const std::string key(kv.key());
        const std::string root = "users." + key;
        if (!kv.value().is_object()) bad_input(root + " must be an object");
        const auto& fields = kv.value().get_object();
        const std::string id = read_string(fields, "id", root + ".id").value_or(key);
        if (id != key) bad_input(root + ".id must match its key");
        std::string why;
        if (detail::check_user_id(id, root, why)) bad_input(why);
        validate_user(fields, root);
        user_row row;
        if (auto existing = s.db().find_user(id)) row = std::move(*existing);
        else {
            row.id = id;
            row.created_at = s.now;
        }
        row.updated_at = s.now;
        apply_user_fields(row, fields, true, true);
        s.db().put_user(row);
        ids.push_back(id);
    }
    return ok(s, upserted(s, ids));
}

api_response update_users_partial(session& s, const path_params&)
{
    const json::object body = parse_body(s.req);
    require_server(s);
    const json::array* list = read_array(body, "users", "users");
    if (!list) bad_input("users is a required field");
    if (list->size() > 100) bad_input("users accepts at most 100 updates");
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string root = "users[" + std::to_string(i) + "]";
        if (!(*list)[i].is_object()) bad_input(root + " must be an object");
        const auto& item = (*list)[i].get_object();
        const auto id = read_string(item, "id", root + ".id");
        if (!id) bad_input(root + ".id is a required field");
        auto row = s.db().find_user(*id);
        if (!row) not_found("User '" + *id + "' does not exist");
        json::object fields;
        if (const auto* set = read_object(item, "set", root + ".set")) {
            validate_user(*set, root + ".set");
            fields = *set;
        }
        apply_user_fields(*row, fields, false, true);
        if (const auto* unset = read_array(item, "unset", root + ".unset")) {
            json::object extra = parse_object_text(row->extra);
            for (std::size_t k = 0; k < unset->size(); ++k) {
                if (!(*unset)[k].is_string()) bad_input(root + ".unset[" + std::to_string(k) + "] must be a string");
                const auto key = (*unset)[k].get_string();
                if (key == "name") row->name.reset();
                else if (key == "image") row->image.reset();
                else extra.erase(key);
            }
            row->extra = json::serialize(extra);
        }
        row->updated_at = s.now;
        s.db().put_user(*row);
        ids.push_back(*id);
    }
    return ok(s, upserted(s, ids));
}

// ------------------------------------------------------------------ WebSocket handshake

std::pair<std::optional<json::object>, api_response>
connect_user(context& ctx, const caller& who, const json::object& user_details, std::chrono::system_clock::time_point now)
{
    api_request req;
    req.method = "GET";
    req.path = "/connect";
    req.who = who;
    req.now = now;
    try {
        session s(ctx, req);
        store::transaction tx(ctx.db);
        const std::string id = who.user_id;
        std::string why;
        if (detail::check_user_id(id, "user_id", why)) bad_input(why);
        if (auto given = read_string(user_details, "id", "user_details.id"); given && *given != id)
            fail(4, 400, "user_details.id '" + *given + "' does not match the token's user_id '" + id + "'");
        validate_user(user_details, "user_details");
        user_row row;
        if (auto existing = s.db().find_user(id)) row = std::move(*existing);
        else {
            row.id = id;
            row.created_at = s.now;
            row.role = who.anonymous ? "anonymous" : "user";
        }
        apply_user_fields(row, user_details, false, who.server);
        row.updated_at = s.now;
        row.last_active = s.now;
        s.db().put_user(row);
        tx.commit();

        own_user me;
        static_cast<streamchat::user&>(me) = s.stored_user(id);
        me.online = true;
        if (!me.invisible) me.invisible = false; // required by OwnUserResponse
        const auto totals = s.db().unread_for(id);
        me.total_unread_count = static_cast<int>(totals.messages);
        me.unread_count = static_cast<int>(totals.messages);
        me.unread_channels = static_cast<int>(totals.channels);
        json::object out;
        detail::encode(me, out);
        if (who.anonymous) out["anon"] = true;

        json::object ev;
        ev["type"] = "user.presence.changed";
        ev["user"] = s.user_json(id);
        ev["created_at"] = s.now_text;
        for (const auto& sub : s.db().presence_subscribers(id)) ctx.realtime.to_user(sub, ev);
        return {std::move(out), api_response{}};
    } catch (const api_failure& f) {
        return {std::nullopt, error_response(f.code, f.status, "Connect", f.reason)};
    } catch (const std::exception& e) {
        return {std::nullopt, error_response(-1, 500, "Connect", std::string("internal error: ") + e.what())};
    }
}

json::object user_json(context& ctx, const std::string& user_id)
{
    api_request req;
    req.method = "GET";
    req.path = "/connect";
    req.who.user_id = user_id;
    try {
        session s(ctx, req);
        return s.user_json(user_id);
    } catch (...) {
        return json::object{{"id", user_id}};
    }
}

void disconnect_user(context& ctx, const std::string& user_id, std::chrono::system_clock::time_point now)
{
    api_request req;
    req.method = "GET";
    req.path = "/connect";
    req.who.user_id = user_id;
    req.now = now;
    try {
        session s(ctx, req);
        if (!s.db().find_user(user_id)) return;
        s.db().set_last_active(user_id, s.now);
        json::object ev;
        ev["type"] = "user.presence.changed";
        ev["user"] = s.user_json(user_id);
        ev["created_at"] = s.now_text;
        for (const auto& sub : s.db().presence_subscribers(user_id)) ctx.realtime.to_user(sub, ev);
    } catch (...) {
        // A closing socket's bookkeeping must never take the server down.
    }
}

} // namespace streamchat::emu
