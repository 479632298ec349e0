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

} // namespace

channel_access access_to(const session& s, const channel_row& c, bool member)
{
    if (s.who.server) return channel_access::server;
    if (member) return channel_access::member;
    if (c.type == "livestream" && !s.who.anonymous) return channel_access::visitor;
    return channel_access::none;
}

std::vector<std::string> capabilities(channel_access a)
{
    switch (a) {
    case channel_access::server: {
        auto caps = member_capabilities();
        for (const char* extra : {"delete-any-message", "delete-channel", "freeze-channel", "update-any-message"})
            caps.emplace_back(extra);
        std::sort(caps.begin(), caps.end());
        return caps;
    }
    case channel_access::member: return member_capabilities();
    case channel_access::visitor:
        return {"join-channel", "send-message", "send-reaction", "send-typing-events", "typing-events"};
    case channel_access::none: break;
    }
    return {};
}

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
    if (for_caller)
        ch.own_capabilities = capabilities(access_to(s, c, !s.who.server && s.membership(c.cid).has_value()));
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

} // namespace streamchat::emu
