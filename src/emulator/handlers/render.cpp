#include "emulator/handlers/render.hpp"

#include "model/codec.hpp"

#include <streamchat/model/channel_state.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>

namespace streamchat::emu {

namespace {

json::object parse_extra(const std::string& text)
{
    error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return {};
    return std::move(v.as_object());
}

const std::vector<std::string>& member_capabilities()
{
    static const std::vector<std::string> caps = {
        "connect-events", "create-attachment", "delete-own-message", "delivery-events", "flag-message",
        "leave-channel", "mute-channel", "pin-message", "quote-message", "read-events", "search-messages",
        "send-custom-events", "send-links", "send-message", "send-reaction", "send-reply", "send-typing-events",
        "typing-events", "update-channel", "update-channel-members", "update-own-message", "upload-file"};
    return caps;
}

std::vector<std::string> capabilities(session& s, const channel_row& c)
{
    if (s.who.server) {
        auto caps = member_capabilities();
        for (const char* extra : {"delete-any-message", "delete-channel", "freeze-channel", "update-any-message"})
            caps.emplace_back(extra);
        std::sort(caps.begin(), caps.end());
        return caps;
    }
    if (s.membership(c.cid)) return member_capabilities();
    if (c.type == "livestream" && !s.who.anonymous)
        return {"join-channel", "send-message", "send-reaction", "send-typing-events", "typing-events"};
    return {};
}

} // namespace

std::string render_html(std::string_view text)
{
    if (text.empty()) return {};
    std::string out = "<p>";
    for (char ch : text) {
        switch (ch) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out += ch;
        }
    }
    out += "</p>\n";
    return out;
}

channel_config config_for(std::string_view type)
{
    channel_config cfg;
    cfg.name = std::string(type);
    // Built-in channel types have existed since the emulator's reference date, 2024-01-01T00:00:00Z.
    constexpr std::int64_t builtin_types_since = 1'704'067'200LL * 1'000'000'000LL;
    cfg.created_at = from_nanos(builtin_types_since);
    cfg.updated_at = from_nanos(builtin_types_since);
    const bool live = type == "livestream";
    cfg.typing_events = true;
    cfg.read_events = !live;
    cfg.connect_events = !live;
    cfg.custom_events = true;
    cfg.delivery_events = !live;
    cfg.search = true;
    cfg.reactions = true;
    cfg.replies = true;
    cfg.quotes = true;
    cfg.mutes = true;
    cfg.uploads = true;
    cfg.url_enrichment = false;
    cfg.push_notifications = false;
    cfg.count_messages = true;
    cfg.max_message_length = 5000;
    cfg.message_retention = "infinite";
    cfg.automod = "disabled";
    cfg.automod_behavior = "flag";
    cfg.extra["commands"] = json::array{};
    return cfg;
}

streamchat::channel channel_model(session& s, const channel_row& c, bool for_caller)
{
    streamchat::channel ch;
    ch.cid = c.cid;
    ch.id = c.id;
    ch.type = c.type;
    ch.created_at = from_nanos(c.created_at);
    ch.updated_at = from_nanos(c.updated_at);
    ch.frozen = c.frozen;
    ch.disabled = c.disabled;
    ch.config = config_for(c.type);
    if (!c.created_by_id.empty()) ch.created_by = s.user_model(c.created_by_id);
    if (c.last_message_at) ch.last_message_at = from_nanos(*c.last_message_at);
    ch.member_count = static_cast<int>(c.member_count);
    ch.message_count = c.message_count;
    ch.hidden = false;
    if (for_caller) ch.own_capabilities = capabilities(s, c);
    ch.extra = parse_extra(c.extra);
    return ch;
}

json::object channel_json(session& s, const channel_row& c, bool for_caller)
{
    json::object o;
    detail::encode(channel_model(s, c, for_caller), o);
    return o;
}

streamchat::message message_model(session& s, const message_row& m)
{
    json::object o = parse_extra(m.extra);
    // Mentions are stored as ids and shown as users.
    if (auto it = o.find("mentioned_users"); it != o.end() && it->value().is_array()) {
        json::array users;
        for (const auto& v : it->value().get_array())
            if (v.is_string()) users.push_back(s.user_json(std::string(v.get_string())));
        it->value() = std::move(users);
    }
    o["id"] = m.id;
    o["cid"] = m.cid;
    o["type"] = m.type;
    o["text"] = m.text;
    o["html"] = render_html(m.text);
    o["user"] = s.user_json(m.user_id);
    o["created_at"] = format_timestamp(from_nanos(m.created_at));
    o["updated_at"] = format_timestamp(from_nanos(m.updated_at));
    if (m.deleted_at) o["deleted_at"] = format_timestamp(from_nanos(*m.deleted_at));
    if (m.parent_id) o["parent_id"] = *m.parent_id;
    streamchat::message msg;
    detail::decode_context dc;
    if (detail::decode(json::value(std::move(o)), msg, dc)) {
        // Stored extras are validated on the way in, so this is a safety net only.
        msg = streamchat::message{};
        msg.id = m.id;
        msg.cid = m.cid;
        msg.type = m.type;
        msg.text = m.text;
        msg.html = render_html(m.text);
        msg.user = s.user_model(m.user_id);
        msg.created_at = from_nanos(m.created_at);
        msg.updated_at = from_nanos(m.updated_at);
    }
    return msg;
}

json::object message_json(session& s, const message_row& m)
{
    json::object o;
    detail::encode(message_model(s, m), o);
    return o;
}

streamchat::member member_model(session& s, const member_row& m)
{
    streamchat::member mem;
    mem.user_id = m.user_id;
    mem.user = s.user_model(m.user_id);
    mem.channel_role = m.channel_role;
    mem.created_at = from_nanos(m.created_at);
    mem.updated_at = from_nanos(m.updated_at);
    mem.role = m.channel_role == "owner"               ? "owner"
               : m.channel_role == "channel_moderator" ? "moderator"
                                                       : "member";
    mem.is_moderator = m.channel_role == "channel_moderator";
    mem.status = "member";
    return mem;
}

json::object member_json(session& s, const member_row& m)
{
    json::object o;
    detail::encode(member_model(s, m), o);
    return o;
}

json::object channel_state_json(session& s, const channel_row& c, const state_options& o)
{
    channel_state st;
    st.channel = channel_model(s, c, true);
    if (o.messages)
        for (const auto& m : s.db().messages(c.cid, o.window)) st.messages.push_back(message_model(s, m));

    const auto rows = s.db().members(c.cid, o.member_limit, o.member_offset);
    const auto mine = s.membership(c.cid);
    bool caller_read = false;
    for (const auto& m : rows) st.members.push_back(member_model(s, m));
    auto read_of = [&](const member_row& m) {
        read_state r;
        r.user = s.user_model(m.user_id);
        r.last_read = from_nanos(m.last_read);
        r.unread_messages = static_cast<int>(m.unread_messages);
        r.last_read_message_id = m.last_read_message_id;
        return r;
    };
    for (std::size_t i = 0; i < rows.size() && i < 100; ++i) {
        st.read.push_back(read_of(rows[i]));
        caller_read = caller_read || rows[i].user_id == s.who.user_id;
    }
    if (mine && !caller_read) st.read.push_back(read_of(*mine));
    if (!mine && !s.who.user_id.empty() && !s.who.server) {
        // A reader who is not a member (livestream): nothing unread.
        read_state r;
        r.user = s.user_model(s.who.user_id);
        r.last_read = c.last_message_at ? from_nanos(*c.last_message_at) : from_nanos(s.now);
        st.read.push_back(std::move(r));
    }
    if (mine) st.membership = member_model(s, *mine);

    const auto watchers = s.realtime().watchers(c.cid);
    st.watcher_count = static_cast<int>(watchers.size());
    for (std::size_t i = static_cast<std::size_t>(o.watcher_offset);
         i < watchers.size() && st.watchers.size() < static_cast<std::size_t>(o.watcher_limit); ++i)
        st.watchers.push_back(s.user_model(watchers[i]));

    json::object out;
    detail::encode(st, out);
    out["threads"] = json::array{};
    out["pending_messages"] = json::array{};
    if (!out.contains("membership")) out["membership"] = nullptr;
    return out;
}

} // namespace streamchat::emu
