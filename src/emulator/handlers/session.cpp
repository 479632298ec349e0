#include "emulator/handlers/session.hpp"

#include "model/codec.hpp"
#include "wire/validation.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <limits>

namespace streamchat::emu {

void fail(int code, int status, std::string reason) { throw api_failure{code, status, std::move(reason)}; }
void bad_input(std::string reason) { fail(4, 400, std::move(reason)); }
void not_found(std::string reason) { fail(16, 404, std::move(reason)); }
void not_allowed(std::string reason) { fail(17, 403, std::move(reason)); }

// ------------------------------------------------------------------ session

namespace {

nanos request_time(const api_request& r)
{
    auto t = r.now;
    if (t == std::chrono::system_clock::time_point{}) t = std::chrono::system_clock::now();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace

session::session(context& c, const api_request& r)
    : ctx(c), req(r), who(r.who), now(request_time(r)), now_text(format_timestamp(from_nanos(now)))
{
}

const std::string& session::acting_user(std::string_view hint)
{
    if (!who.server) return who.user_id;
    if (!hint.empty()) {
        acting_ = std::string(hint);
    } else if (!who.user_id.empty()) {
        acting_ = who.user_id;
    } else if (auto p = req.param("user_id"); p && !p->empty()) {
        acting_ = std::string(*p);
    }
    if (acting_.empty()) bad_input("either user or user_id must be provided when using server-side auth");
    std::string why;
    if (detail::check_user_id(acting_, "user_id", why)) bad_input(why);
    // A percent-decoded query value: the id would be stored and sent in every answer about it.
    if (well_formed_utf8(acting_) != acting_) bad_input("user_id is not valid UTF-8");
    return acting_;
}

bool session::can_read(const channel_row& c, const std::optional<member_row>& membership) const
{
    if (who.server) return true;
    if (membership) return true;
    if (!who.user_id.empty() && !who.anonymous && c.created_by_id == who.user_id) return true;
    return c.type == "livestream"; // public: anonymous users may read it too
}

std::optional<member_row> session::membership(const std::string& cid)
{
    if (who.user_id.empty()) return std::nullopt;
    return db().find_member(cid, who.user_id);
}

streamchat::user session::stored_user(const std::string& id) { return user_from(id, db().find_user(id)); }

streamchat::user session::user_from(const std::string& id, const std::optional<user_row>& row)
{
    streamchat::user u;
    u.id = id;
    if (row && row->extra == "{}") {
        // No custom fields: the columns are exactly what decoding them (below) would give,
        // without building and parsing JSON for every user of a page.
        u.id = row->id;
        u.role = row->role;
        u.name = row->name;
        u.image = row->image;
        u.created_at = from_nanos(row->created_at);
        u.updated_at = from_nanos(row->updated_at);
        if (row->last_active) u.last_active = from_nanos(*row->last_active);
        u.banned = row->banned;
    } else if (row) {
        // Stored custom fields first, then the columns: decode puts modelled keys in place.
        json::object o;
        error_code ec;
        json::value extra = json::parse(row->extra, ec);
        if (!ec && extra.is_object()) o = std::move(extra.as_object());
        o["id"] = row->id;
        o["role"] = row->role;
        if (row->name) o["name"] = *row->name;
        if (row->image) o["image"] = *row->image;
        o["created_at"] = format_timestamp(from_nanos(row->created_at));
        o["updated_at"] = format_timestamp(from_nanos(row->updated_at));
        if (row->last_active) o["last_active"] = format_timestamp(from_nanos(*row->last_active));
        o["banned"] = row->banned;
        detail::decode_context dc;
        streamchat::user decoded;
        if (!detail::decode(json::value(std::move(o)), decoded, dc)) u = std::move(decoded);
    }
    if (row) {
        if (!u.language) u.language = "";
        if (!u.teams) u.teams.emplace();
        if (!u.blocked_user_ids) u.blocked_user_ids.emplace();
        if (!u.shadow_banned) u.shadow_banned = false;
    }
    u.online = realtime().is_online(id);
    return u;
}

const streamchat::user& session::cache_public(const std::string& id, streamchat::user u)
{
    // OwnUserResponse's fields that UserResponse lacks: a user's private settings are theirs
    // alone, and clients take the unread counters as the mark of their own user.
    u.invisible.reset();
    for (std::string_view key : {"devices", "mutes", "channel_mutes", "total_unread_count", "unread_count",
                                 "unread_channels", "unread_threads", "channel_unread_counts",
                                 "total_unread_count_by_team", "latest_hidden_channels", "privacy_settings",
                                 "push_preferences", "roles"})
        u.extra.erase(key);
    return users_.insert_or_assign(id, std::move(u)).first->second;
}

const streamchat::user& session::user_model(const std::string& id)
{
    auto it = users_.find(id);
    if (it != users_.end()) return it->second;
    return cache_public(id, stored_user(id));
}

const json::object& session::user_object(const std::string& id)
{
    auto it = user_objects_.find(id);
    if (it != user_objects_.end()) return it->second;
    json::object o;
    detail::encode(user_model(id), o);
    return user_objects_.emplace(id, std::move(o)).first->second;
}

void session::preload_users(const std::vector<std::string>& ids)
{
    std::vector<std::string> missing;
    for (const auto& id : ids)
        if (!users_.contains(id)) missing.push_back(id);
    if (missing.empty()) return;
    std::unordered_map<std::string, user_row> rows;
    for (auto& row : db().find_users(missing)) {
        std::string key = row.id;
        rows.insert_or_assign(std::move(key), std::move(row));
    }
    for (const auto& id : missing) {
        if (users_.contains(id)) continue; // listed twice
        auto it = rows.find(id);
        std::optional<user_row> row;
        if (it != rows.end()) row = std::move(it->second);
        cache_public(id, user_from(id, row));
    }
}

std::optional<std::string> session::own_connection() const
{
    if (who.connection_id.empty()) return std::nullopt;
    if (!ctx.realtime.has_connection(who.connection_id)) return std::nullopt;
    const std::string owner = ctx.realtime.user_of(who.connection_id);
    if (!who.server && owner != who.user_id) return std::nullopt;
    return who.connection_id;
}

// ------------------------------------------------------------------ input

std::string well_formed_utf8(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t len = lead < 0x80                    ? 1
                                : lead >= 0xC2 && lead <= 0xDF ? 2
                                : lead >= 0xE0 && lead <= 0xEF ? 3
                                : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                               : 0;
        bool ok = len != 0 && len <= text.size() - i;
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (ok && len > 2) {
            const auto next = static_cast<unsigned char>(text[i + 1]);
            ok = !(lead == 0xE0 && next < 0xA0) && !(lead == 0xED && next > 0x9F) && !(lead == 0xF0 && next < 0x90) &&
                 !(lead == 0xF4 && next > 0x8F);
        }
        if (ok) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

namespace {

/// True if `v` holds a number beyond double range (`1e999`): Boost.JSON reads it as infinity and
/// would store it as `Infinity`, which is not JSON (the `json_valid(extra)` CHECKs fail). Stream
/// refuses such numbers too. Recursion is bounded by the parser's max_depth.
bool has_non_finite(const json::value& v)
{
    if (const double* d = v.if_double()) return !std::isfinite(*d);
    if (const json::array* a = v.if_array()) {
        for (const auto& e : *a)
            if (has_non_finite(e)) return true;
    } else if (const json::object* o = v.if_object()) {
        for (const auto& kv : *o)
            if (has_non_finite(kv.value())) return true;
    }
    return false;
}

json::object parse_object(std::string_view text, std::string_view what)
{
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
    json::parse_options opt;
    opt.max_depth = 64;
    error_code ec;
    json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opt);
    if (ec) bad_input(std::string(what) + " is not valid JSON: " + ec.message());
    if (!v.is_object()) bad_input(std::string(what) + " must be a JSON object");
    if (has_non_finite(v)) bad_input(std::string(what) + " has a number out of range");
    return std::move(v.as_object());
}

std::string field_name(std::string_view name) { return std::string(name); }

} // namespace

json::object parse_body(const api_request& r) { return parse_object(r.body, "request body"); }

json::object parse_json_param(std::string_view text, std::string_view name)
{
    return parse_object(text, std::string("query parameter ") + std::string(name));
}

std::optional<bool> read_bool(const json::object& o, std::string_view key, std::string_view name)
{
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_bool()) bad_input(field_name(name) + " must be a boolean");
    return it->value().get_bool();
}

std::optional<std::string> read_string(const json::object& o, std::string_view key, std::string_view name)
{
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_string()) bad_input(field_name(name) + " must be a string");
    return std::string(it->value().get_string());
}

const json::object* read_object(const json::object& o, std::string_view key, std::string_view name)
{
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return nullptr;
    if (!it->value().is_object()) bad_input(field_name(name) + " must be an object");
    return &it->value().get_object();
}

const json::array* read_array(const json::object& o, std::string_view key, std::string_view name)
{
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return nullptr;
    if (!it->value().is_array()) bad_input(field_name(name) + " must be an array");
    return &it->value().get_array();
}

int read_int(const json::object& o, std::string_view key, std::string_view name, int fallback, int min, int max)
{
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return fallback;
    const json::value& v = it->value();
    std::int64_t n = 0;
    if (v.is_int64()) {
        n = v.get_int64();
    } else if (v.is_uint64()) {
        n = std::numeric_limits<std::int64_t>::max();
    } else if (v.is_double()) {
        // 10.0 is an integer; 1e300 is out of range (checked before converting, which would be UB).
        const double d = v.get_double();
        if (!(d > -1e15 && d < 1e15)) n = d < 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
        else if (d != static_cast<double>(static_cast<std::int64_t>(d))) bad_input(field_name(name) + " must be an integer");
        else n = static_cast<std::int64_t>(d);
    } else {
        bad_input(field_name(name) + " must be an integer");
    }
    if (n < min || n > max)
        bad_input(field_name(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                  ", got " + std::to_string(n));
    return static_cast<int>(n);
}

void check_channel_path(const std::string& type, const std::string& id)
{
    std::string why;
    if (detail::check_channel_type(type, why)) bad_input(why);
    if (detail::check_channel_id(id, why)) bad_input(why);
}

std::vector<member_input> read_member_list(const json::value& v, std::string_view name, std::size_t max)
{
    if (!v.is_array()) bad_input(field_name(name) + " must be an array");
    const auto& a = v.get_array();
    if (a.size() > max) bad_input(field_name(name) + " accepts at most " + std::to_string(max) + " items");
    std::vector<member_input> out;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string at = field_name(name) + "[" + std::to_string(i) + "]";
        member_input m;
        if (a[i].is_string()) {
            m.user_id = std::string(a[i].get_string());
        } else if (a[i].is_object()) {
            const auto& o = a[i].get_object();
            if (auto id = read_string(o, "user_id", at + ".user_id")) {
                m.user_id = *id;
            } else if (const auto* u = read_object(o, "user", at + ".user")) {
                m.user_id = read_string(*u, "id", at + ".user.id").value_or("");
            }
            m.channel_role = read_string(o, "channel_role", at + ".channel_role");
        } else {
            bad_input(at + " must be a user id or an object with user_id");
        }
        std::string why;
        if (detail::check_user_id(m.user_id, at, why)) bad_input(why);
        out.push_back(std::move(m));
    }
    return out;
}

// ------------------------------------------------------------------ events

json::object channel_event(session& s, std::string_view type, const channel_row& c)
{
    json::object ev;
    ev["type"] = type;
    ev["cid"] = c.cid;
    ev["channel_id"] = c.id;
    ev["channel_type"] = c.type;
    ev["created_at"] = s.now_text;
    return ev;
}

void emit_to_watchers(session& s, const channel_row& c, const json::object& event,
                      const std::function<void(const std::string&, json::object&)>& personal)
{
    const auto type_it = event.find("type");
    const std::string_view type = type_it != event.end() && type_it->value().is_string()
                                      ? std::string_view(type_it->value().get_string())
                                      : std::string_view{};
    // Typing and watching events are ephemeral: replaying them from /sync would show ghosts.
    const bool ephemeral = type.starts_with("typing.") || type.starts_with("user.watching.");
    if (!personal) {
        // The same bytes for everyone, and for the log: serialised once.
        auto frame = std::make_shared<const std::string>(json::serialize(event));
        if (!ephemeral) s.db().append_event(c.cid, s.now, type, *frame);
        s.realtime().to_watchers(c.cid, frame);
        return;
    }
    if (!ephemeral) s.db().append_event(c.cid, s.now, type, json::serialize(event));
    s.realtime().to_watchers(c.cid, [&](const std::string& user_id) {
        if (!personal) return event;
        json::object copy = event;
        personal(user_id, copy);
        return copy;
    });
}

void add_unread_totals(session& s, const std::string& user_id, json::object& event)
{
    const auto t = s.db().unread_for(user_id);
    event["total_unread_count"] = t.messages;
    event["unread_count"] = t.messages;
    event["unread_channels"] = t.channels;
}

} // namespace streamchat::emu
