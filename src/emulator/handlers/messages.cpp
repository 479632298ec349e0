// Messages (docs/protocol.md §2.4): send, get, update, partial update and delete.

#include "emulator/handlers/handlers.hpp"
#include "emulator/handlers/render.hpp"

#include "model/codec.hpp"
#include "wire/uuid.hpp"
#include "wire/validation.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <unordered_map>

namespace streamchat::emu {

namespace {

constexpr std::size_t max_text_length = 5000; // config max_message_length
constexpr std::size_t max_attachments = 30;
constexpr std::size_t max_mentions = 100;

/// Fields the server owns: ignored on input.
bool server_owned(std::string_view k)
{
    static constexpr std::string_view keys[] = {
        "html", "__html", "created_at", "updated_at", "deleted_at", "cid", "user", "user_id",
        "latest_reactions", "own_reactions", "reaction_counts", "reaction_scores", "reaction_groups",
        "reply_count", "deleted_reply_count", "quoted_message", "i18n", "thread_participants", "pinned_by",
        "status", "channel", "member", "deleted_for_me", "message_text_updated_at", "custom", "id", "text",
        "type", "parent_id", "mentioned_users"};
    return std::find(std::begin(keys), std::end(keys), k) != std::end(keys);
}

struct message_input {
    json::object stored; ///< What goes to the `extra` column.
    std::optional<std::string> id, text, type, parent_id;
};

/// Reads a client message: columns apart, custom fields flattened, mentions as ids; the rest is
/// checked by decoding it as the SDK's message (so a wrong type names its field).
message_input read_message_input(const json::object& in)
{
    message_input r;
    r.id = read_string(in, "id", "message.id");
    r.text = read_string(in, "text", "message.text");
    r.type = read_string(in, "type", "message.type");
    r.parent_id = read_string(in, "parent_id", "message.parent_id");
    if (r.id) {
        std::string why;
        if (detail::check_message_id(*r.id, "message.id", why)) bad_input(why);
    }
    if (r.text && r.text->size() > max_text_length)
        fail(20, 400, "message.text is longer than " + std::to_string(max_text_length) + " characters");
    if (r.type && *r.type != "regular" && *r.type != "system")
        bad_input("message.type must be regular or system");
    for (const auto& kv : in)
        if (!server_owned(kv.key())) r.stored[kv.key()] = kv.value();
    if (const auto* custom = read_object(in, "custom", "message.custom"))
        for (const auto& kv : *custom)
            if (!server_owned(kv.key()) && !r.stored.contains(kv.key())) r.stored[kv.key()] = kv.value();
    if (const auto* mentions = read_array(in, "mentioned_users", "message.mentioned_users")) {
        if (mentions->size() > max_mentions)
            bad_input("message.mentioned_users accepts at most " + std::to_string(max_mentions) + " users");
        json::array ids;
        for (std::size_t i = 0; i < mentions->size(); ++i) {
            const auto& v = (*mentions)[i];
            const std::string at = "message.mentioned_users[" + std::to_string(i) + "]";
            std::string id;
            if (v.is_string()) id = std::string(v.get_string());
            else if (v.is_object()) id = read_string(v.get_object(), "id", at + ".id").value_or("");
            std::string why;
            if (detail::check_user_id(id, at, why)) bad_input(why);
            ids.emplace_back(id);
        }
        r.stored["mentioned_users"] = std::move(ids);
    }
    if (const auto* atts = read_array(in, "attachments", "message.attachments"); atts && atts->size() > max_attachments)
        bad_input("message.attachments accepts at most " + std::to_string(max_attachments) + " attachments");

    // Nothing but the columns (the usual message: id and text, checked above): nothing to decode.
    if (r.stored.empty()) return r;
    json::object probe = r.stored;
    probe["id"] = "probe";
    if (auto it = probe.find("mentioned_users"); it != probe.end()) {
        json::array users;
        for (const auto& v : it->value().get_array()) users.push_back(json::object{{"id", v}});
        it->value() = std::move(users);
    }
    streamchat::message m;
    detail::decode_context dc("message");
    if (detail::decode(json::value(std::move(probe)), m, dc)) bad_input(dc.message());
    return r;
}

message_row load_message(session& s, const std::string& id)
{
    auto m = s.db().find_message(id);
    if (!m) not_found("Message '" + id + "' does not exist");
    return std::move(*m);
}

channel_row channel_of(session& s, const message_row& m)
{
    auto c = s.db().find_channel(m.cid);
    if (!c) not_found("Channel '" + m.cid + "' does not exist");
    if (!s.can_read(*c, s.membership(c->cid)))
        not_allowed("User '" + s.who.user_id + "' is not allowed to read channel '" + c->cid + "'");
    return std::move(*c);
}

void require_author(session& s, const message_row& m, std::string_view what)
{
    if (s.who.server || s.who.user_id == m.user_id) return;
    not_allowed("User '" + s.who.user_id + "' is not allowed to " + std::string(what) + " message '" + m.id + "'");
}

void announce(session& s, const channel_row& c, std::string_view type, const message_row& m, const std::string& actor,
              std::optional<bool> hard = std::nullopt)
{
    json::object ev = channel_event(s, type, c);
    ev["message"] = message_json(s, m);
    ev["message_id"] = m.id;
    ev["user"] = s.user_json(actor);
    if (hard) ev["hard_delete"] = *hard;
    emit_to_watchers(s, c, ev);
}

void append_int(std::string& out, std::int64_t v)
{
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out.append(buf, end);
}

/// What add_unread_totals() adds to an event, as text.
void append_unread_totals(std::string& out, const unread_totals& t)
{
    out += R"(,"total_unread_count":)";
    append_int(out, t.messages);
    out += R"(,"unread_count":)";
    append_int(out, t.messages);
    out += R"(,"unread_channels":)";
    append_int(out, t.channels);
}

/// Unread totals of the recipients of one message, looked up by user id.
class totals_by_user {
public:
    totals_by_user(session& s, std::vector<std::string> users) : users_(std::move(users)), totals_(s.db().unread_for(users_))
    {
        // A channel's few members are found by a scan; a crowded livestream's watchers by hash.
        if (users_.size() > 16)
            for (std::size_t i = 0; i < users_.size(); ++i) index_.emplace(users_[i], i);
    }

    unread_totals operator()(const std::string& user) const
    {
        if (!index_.empty()) {
            const auto it = index_.find(user);
            return it == index_.end() ? unread_totals{} : totals_[it->second];
        }
        for (std::size_t i = 0; i < users_.size(); ++i)
            if (users_[i] == user) return totals_[i];
        return {};
    }

private:
    std::vector<std::string> users_;
    std::vector<unread_totals> totals_;
    std::unordered_map<std::string_view, std::size_t> index_;
};

} // namespace

message_row post_message(session& s, channel_row& c, const json::object& input, const std::string& author,
                         std::string* message_out)
{
    message_input in = read_message_input(input);
    // A duplicate id is refused by the insert below (which then writes nothing); checked first
    // only when a reply's parent is checked too, so that the duplicate is what gets reported.
    if (in.id && in.parent_id && s.db().find_message(*in.id))
        bad_input("a message with ID " + *in.id + " already exists");
    if (in.parent_id) {
        auto parent = s.db().find_message(*in.parent_id);
        if (!parent || parent->cid != c.cid)
            bad_input("message.parent_id: message '" + *in.parent_id + "' does not exist in this channel");
        if (parent->parent_id) fail(21, 400, "message.parent_id: replies to replies are not allowed");
    }
    s.db().ensure_user(author, s.now);
    message_row m;
    m.id = in.id.value_or(detail::make_uuid_v4());
    m.cid = c.cid;
    m.user_id = author;
    m.type = in.type.value_or("regular");
    m.text = in.text.value_or("");
    m.parent_id = in.parent_id;
    m.created_at = s.now;
    m.updated_at = s.now;
    const bool silent = in.stored.contains("silent") && in.stored.at("silent").is_bool() && in.stored.at("silent").get_bool();
    const bool in_channel = !m.parent_id || (in.stored.contains("show_in_channel") &&
                                             in.stored.at("show_in_channel").is_bool() &&
                                             in.stored.at("show_in_channel").get_bool());
    m.extra = in.stored.empty() ? std::string("{}") : json::serialize(in.stored);
    store::message_effects fx;
    if (!s.db().insert_message(m, !silent && in_channel && m.type != "system", &fx))
        bad_input("a message with ID " + m.id + " already exists");
    if (fx.channel) c = std::move(*fx.channel);

    // message.new is written as text once for all recipients; each gets it with its own unread
    // totals spliced in at the end, where add_unread_totals() would put them. Keys and order are
    // those of channel_event() + message, message_id, user, watcher_count, channel_last_message_at.
    hub& realtime = s.realtime();
    message_text texts = message_texts(s, m);
    const std::vector<std::string> watching = realtime.watchers(c.cid);
    std::string rest; // the event after its type, shared by message.new and notification.message_new
    rest.reserve(texts.message.size() + texts.user.size() + 256);
    rest += R"(,"cid":)";
    append_json_string(rest, c.cid);
    rest += R"(,"channel_id":)";
    append_json_string(rest, c.id);
    rest += R"(,"channel_type":)";
    append_json_string(rest, c.type);
    rest += R"(,"created_at":)";
    append_json_string(rest, s.now_text);
    rest += R"(,"message":)";
    rest += texts.message;
    rest += R"(,"message_id":)";
    append_json_string(rest, m.id);
    rest += R"(,"user":)";
    rest += texts.user;
    rest += R"(,"watcher_count":)";
    append_int(rest, static_cast<std::int64_t>(watching.size()));
    if (c.last_message_at) {
        rest += R"(,"channel_last_message_at":")";
        append_timestamp(rest, *c.last_message_at);
        rest += '"';
    }

    // Members who do not watch on some connection, except the author (whose own request already
    // has the message), get notification.message_new.
    std::vector<std::string> notify;
    std::vector<std::int64_t> notify_unread;
    for (const auto& [user, unread] : fx.unread)
        if (user != author && realtime.has_connection_not_watching(user, c.cid)) {
            notify.push_back(user);
            notify_unread.push_back(unread);
        }
    // Every recipient's totals in one statement.
    std::vector<std::string> recipients = watching;
    for (const auto& user : notify)
        if (std::find(watching.begin(), watching.end(), user) == watching.end()) recipients.push_back(user);
    const totals_by_user totals(s, std::move(recipients));

    const std::string head = R"({"type":"message.new")" + rest;
    s.db().append_event(c.cid, s.now, "message.new", head + '}');
    realtime.to_watchers(c.cid, head, [&](const std::string& user, std::string& out) {
        append_unread_totals(out, totals(user));
        out += '}';
    });

    if (!notify.empty()) {
        std::string note = R"({"type":"notification.message_new")" + rest + R"(,"channel":)";
        note += json::serialize(channel_json(s, c, false));
        realtime.to_members_not_watching(c.cid, notify, note, [&](const std::string& user, std::string& out) {
            append_unread_totals(out, totals(user));
            out += R"(,"unread_messages":)";
            const auto at = std::find(notify.begin(), notify.end(), user) - notify.begin();
            append_int(out, notify_unread[static_cast<std::size_t>(at)]);
            out += '}';
        });
    }
    if (message_out) *message_out = std::move(texts.message);
    return m;
}

api_response send_message(session& s, const path_params& p)
{
    const json::object body = parse_body(s.req);
    channel_row c = load_channel(s, p.at("type"), p.at("id"));
    const json::object* input = read_object(body, "message", "message");
    if (!input) bad_input("message is a required field");
    if (s.who.anonymous) not_allowed("anonymous users cannot send messages");

    std::string author = s.who.user_id;
    if (s.who.server) {
        std::string hint = read_string(*input, "user_id", "message.user_id").value_or("");
        if (hint.empty())
            if (const auto* u = read_object(*input, "user", "message.user"))
                hint = read_string(*u, "id", "message.user.id").value_or("");
        author = s.acting_user(hint);
    } else if (auto claimed = read_string(*input, "user_id", "message.user_id"); claimed && *claimed != author) {
        not_allowed("User '" + author + "' cannot send messages as '" + *claimed + "'");
    }
    const auto membership = s.db().find_member(c.cid, author);
    if (!s.who.server && !membership && !(c.type == "livestream"))
        not_allowed("User '" + author + "' is not allowed to send messages in channel '" + c.cid + "'");
    if (c.frozen && !s.who.server) not_allowed("channel '" + c.cid + "' is frozen");

    std::string message;
    post_message(s, c, *input, author, &message);
    return ok_text(s, R"({"message":)" + message + '}');
}

api_response get_message(session& s, const path_params& p)
{
    const message_row m = load_message(s, p.at("id"));
    const channel_row c = channel_of(s, m);
    json::object msg = message_json(s, m);
    msg["channel"] = channel_json(s, c, true);
    json::object out;
    out["message"] = std::move(msg);
    return ok(s, std::move(out));
}

namespace {
/// Stores an edited message (full or partial update), announces message.updated, answers it.
api_response store_update(session& s, const channel_row& c, message_row m, message_input in, std::string text)
{
    if (text != m.text) in.stored["message_text_updated_at"] = s.now_text;
    m.text = std::move(text);
    m.extra = json::serialize(in.stored);
    m.updated_at = s.now;
    s.db().update_message(m);
    announce(s, c, "message.updated", m, s.who.server ? m.user_id : s.who.user_id);
    json::object out;
    out["message"] = message_json(s, m);
    return ok(s, std::move(out));
}
} // namespace

api_response update_message(session& s, const path_params& p)
{
    const json::object body = parse_body(s.req);
    const json::object* input = read_object(body, "message", "message");
    if (!input) bad_input("message is a required field");
    message_row m = load_message(s, p.at("id"));
    const channel_row c = channel_of(s, m);
    require_author(s, m, "update");
    message_input in = read_message_input(*input);
    if (in.id && *in.id != m.id) bad_input("message.id does not match the message being updated");
    std::string text = in.text.value_or(m.text);
    return store_update(s, c, std::move(m), std::move(in), std::move(text));
}

api_response update_message_partial(session& s, const path_params& p)
{
    const json::object body = parse_body(s.req);
    message_row m = load_message(s, p.at("id"));
    const channel_row c = channel_of(s, m);
    require_author(s, m, "update");
    const json::object* set = read_object(body, "set", "set");
    const json::array* unset = read_array(body, "unset", "unset");

    // Rebuild the client view (stored extras + text), apply set/unset, and validate as a whole.
    json::object current;
    {
        error_code ec;
        json::value v = json::parse(m.extra, ec);
        if (!ec && v.is_object()) current = std::move(v.as_object());
    }
    current["text"] = m.text;
    if (set)
        for (const auto& kv : *set) current[kv.key()] = kv.value();
    if (unset)
        for (std::size_t i = 0; i < unset->size(); ++i) {
            if (!(*unset)[i].is_string()) bad_input("unset[" + std::to_string(i) + "] must be a string");
            current.erase((*unset)[i].get_string());
        }
    message_input in = read_message_input(current);
    std::string text = in.text.value_or("");
    return store_update(s, c, std::move(m), std::move(in), std::move(text));
}

api_response delete_message(session& s, const path_params& p)
{
    message_row m = load_message(s, p.at("id"));
    const channel_row c = channel_of(s, m);
    require_author(s, m, "delete");
    const auto hard_param = s.req.param("hard");
    const bool hard = hard_param && (*hard_param == "true" || *hard_param == "1");
    m.type = "deleted";
    if (!m.deleted_at) m.deleted_at = s.now;
    m.updated_at = s.now;
    if (hard) s.db().delete_message(m.id);
    else s.db().update_message(m);
    announce(s, c, "message.deleted", m, s.who.server ? m.user_id : s.who.user_id, hard);
    json::object out;
    out["message"] = message_json(s, m);
    return ok(s, std::move(out));
}

} // namespace streamchat::emu
