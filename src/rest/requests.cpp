#include "rest/requests.hpp"

#include "filter/filter_json.hpp"
#include "filter/sort_json.hpp"
#include "model/codec.hpp"
#include "wire/url.hpp"
#include "wire/uuid.hpp"
#include "wire/validation.hpp"

#include <boost/json/serialize.hpp>

namespace streamchat::detail {

namespace json = boost::json;

namespace {

/// Stops at the first failing check; `why` then names the argument.
struct checks {
    error_code ec;
    std::string why;
    template <class F>
    checks& then(F&& f)
    {
        if (!ec) ec = std::forward<F>(f)(why);
        return *this;
    }
    checks& fail_if(bool bad, error e, std::string_view reason)
    {
        if (!ec && bad) {
            ec = e;
            why = reason;
        }
        return *this;
    }
    encoded_call done(api_call call) { return encoded_call{ec, std::move(why), ec ? api_call{} : std::move(call)}; }
};

std::string channel_path(const std::string& type, const std::string& id, std::string_view suffix = {})
{
    std::string p = "/channels/" + type;
    if (!id.empty()) p += "/" + id;
    p += suffix;
    return p;
}

error_code check_channel(const std::string& type, const std::string& id, std::string& why)
{
    if (auto ec = check_channel_type(type, why)) return ec;
    return check_channel_id(id, why);
}

void put_opt(json::object& o, std::string_view key, const std::optional<int>& v)
{
    if (v) o[key] = *v;
}
void put_opt(json::object& o, std::string_view key, const std::optional<std::string>& v)
{
    if (v) o[key] = *v;
}
void put_opt(json::object& o, std::string_view key, const std::optional<bool>& v)
{
    if (v) o[key] = *v;
}

/// Custom fields are flattened next to the built-in ones; built-in keys win.
void flatten_custom(json::object& o, const json::object& custom)
{
    for (const auto& kv : custom)
        if (!o.contains(kv.key())) o.emplace(kv.key(), kv.value());
}

json::array string_array(const std::vector<std::string>& v)
{
    json::array a;
    a.reserve(v.size());
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

json::object pagination(const std::optional<int>& limit, const std::optional<int>& offset)
{
    json::object m;
    put_opt(m, "limit", limit);
    put_opt(m, "offset", offset);
    return m;
}

api_call post(std::string_view endpoint, std::string path, json::object body, bool idempotent)
{
    api_call c;
    c.endpoint = {endpoint};
    c.method = http_verb::post;
    c.path = std::move(path);
    c.body = std::move(body);
    c.idempotent = idempotent;
    return c;
}

api_call without_body(std::string_view endpoint, http_verb method, std::string path)
{
    api_call c;
    c.endpoint = {endpoint};
    c.method = method;
    c.path = std::move(path);
    c.idempotent = true; // GET and DELETE
    return c;
}

error_code validate_message_input(const message_input& m, bool need_id, std::string& why)
{
    if (need_id || !m.id.empty())
        if (auto ec = check_message_id(m.id, "message.id", why)) return ec;
    if (auto ec = check_count(m.attachments.size(), 0, 30, "message.attachments", why)) return ec;
    if (auto ec = check_count(m.mentioned_users.size(), 0, 100, "message.mentioned_users", why)) return ec;
    for (const auto& u : m.mentioned_users)
        if (auto ec = check_user_id(u, "message.mentioned_users entry", why)) return ec;
    if (m.parent_id)
        if (auto ec = check_message_id(*m.parent_id, "message.parent_id", why)) return ec;
    if (m.quoted_message_id)
        if (auto ec = check_message_id(*m.quoted_message_id, "message.quoted_message_id", why)) return ec;
    if (m.text.empty() && m.attachments.empty() && m.custom.empty()) {
        why = "message has no text, attachments or custom data";
        return error::invalid_argument;
    }
    return {};
}

json::object encode_message_input(const message_input& m)
{
    json::object o;
    o["id"] = m.id;
    o["text"] = m.text;
    if (!m.attachments.empty()) {
        json::array a;
        for (const auto& att : m.attachments) a.push_back(encode(att));
        o["attachments"] = std::move(a);
    }
    if (!m.mentioned_users.empty()) o["mentioned_users"] = string_array(m.mentioned_users);
    put_opt(o, "parent_id", m.parent_id);
    put_opt(o, "show_in_channel", m.show_in_channel);
    put_opt(o, "quoted_message_id", m.quoted_message_id);
    put_opt(o, "silent", m.silent);
    put_opt(o, "pinned", m.pinned);
    flatten_custom(o, m.custom);
    return o;
}

} // namespace

// ------------------------------------------------------------------ channels

encoded_call encode_query_channels(const query_channels_request& req, bool connected)
{
    checks c;
    c.then([&](std::string& why) { return req.filter_conditions.validate(&why); })
        .then([&](std::string& why) { return req.sort.validate(&why); })
        .then([&](std::string& why) { return check_range(req.limit, 0, 30, "limit", why); })
        .then([&](std::string& why) { return check_range(req.offset, 0, 1000, "offset", why); })
        .then([&](std::string& why) { return check_range(req.message_limit, 0, 300, "message_limit", why); })
        .then([&](std::string& why) { return check_range(req.member_limit, 0, 100, "member_limit", why); });
    if (c.ec) return c.done({});

    json::object body;
    body["filter_conditions"] = to_json_value(req.filter_conditions);
    if (!req.sort.empty()) body["sort"] = to_json_value(req.sort);
    body["state"] = req.state;
    body["watch"] = req.watch && connected;
    body["presence"] = req.presence;
    put_opt(body, "limit", req.limit);
    put_opt(body, "offset", req.offset);
    put_opt(body, "message_limit", req.message_limit);
    put_opt(body, "member_limit", req.member_limit);
    // A query changes nothing but the watch set, which is idempotent.
    return c.done(post("query_channels", "/channels", std::move(body), true));
}

encoded_call encode_query_channel(const query_channel_request& req, bool connected)
{
    checks c;
    c.then([&](std::string& why) { return check_channel_type(req.type, why); })
        .then([&](std::string& why) { return req.id.empty() ? error_code{} : check_channel_id(req.id, why); })
        .fail_if(req.id.empty() && (!req.data || req.data->members.empty()), error::invalid_argument,
                 "a channel without id needs data.members (distinct channel)");
    if (req.data) {
        c.then([&](std::string& why) { return check_count(req.data->members.size(), 0, 100, "data.members", why); });
        for (const auto& m : req.data->members)
            c.then([&](std::string& why) { return check_user_id(m, "data.members entry", why); });
    }
    if (req.messages) {
        const auto& m = *req.messages;
        c.then([&](std::string& why) { return check_range(m.limit, 0, 300, "messages.limit", why); })
            .fail_if(!!m.id_lt + !!m.id_lte + !!m.id_gt + !!m.id_gte + !!m.id_around > 1, error::invalid_argument,
                     "messages: set at most one of id_lt, id_lte, id_gt, id_gte, id_around");
        for (const auto* a : {&m.id_lt, &m.id_lte, &m.id_gt, &m.id_gte, &m.id_around})
            if (*a) c.then([&](std::string& why) { return check_message_id(**a, "messages pagination id", why); });
    }
    for (const auto* p : {&req.members, &req.watchers})
        if (*p)
            c.then([&](std::string& why) { return check_range((*p)->limit, 0, 300, "members/watchers limit", why); })
                .then([&](std::string& why) { return check_range((*p)->offset, 0, 10000, "members/watchers offset", why); });
    if (c.ec) return c.done({});

    json::object body;
    if (req.data) {
        json::object data;
        if (!req.data->members.empty()) data["members"] = string_array(req.data->members);
        flatten_custom(data, req.data->custom);
        body["data"] = std::move(data);
    }
    body["state"] = req.state;
    body["watch"] = req.watch && connected;
    body["presence"] = req.presence;
    if (const auto& m = req.messages) {
        json::object o = pagination(m->limit, std::nullopt);
        put_opt(o, "id_lt", m->id_lt);
        put_opt(o, "id_lte", m->id_lte);
        put_opt(o, "id_gt", m->id_gt);
        put_opt(o, "id_gte", m->id_gte);
        put_opt(o, "id_around", m->id_around);
        body["messages"] = std::move(o);
    }
    if (req.members) body["members"] = pagination(req.members->limit, req.members->offset);
    if (req.watchers) body["watchers"] = pagination(req.watchers->limit, req.watchers->offset);
    // Get-or-create: sending it twice yields the same channel.
    return c.done(post("query_channel", channel_path(req.type, req.id, "/query"), std::move(body), true));
}

encoded_call encode_stop_watching(const channel_ref& ref)
{
    checks c;
    c.then([&](std::string& why) { return check_channel(ref.type, ref.id, why); });
    return c.done(post("stop_watching", channel_path(ref.type, ref.id, "/stop-watching"), {}, true));
}

// ------------------------------------------------------------------ messages

encoded_call encode_send_message(send_message_request& req)
{
    checks c;
    c.then([&](std::string& why) { return check_channel(req.type, req.id, why); })
        .then([&](std::string& why) { return validate_message_input(req.message, false, why); });
    if (c.ec) return c.done({});

    // A client-chosen id makes the send idempotent: a resend after a lost connection is refused
    // by the server (code 4, "already exists") instead of posting the message twice, and the
    // stored message is fetched instead.
    if (req.message.id.empty()) req.message.id = make_uuid_v4();
    json::object body;
    body["message"] = encode_message_input(req.message);
    if (req.skip_push) body["skip_push"] = true;
    if (req.skip_enrich_url) body["skip_enrich_url"] = true;
    api_call call = post("send_message", channel_path(req.type, req.id, "/message"), std::move(body), true);
    call.fetch_on_duplicate = "/messages/" + percent_encode(req.message.id);
    return c.done(std::move(call));
}

encoded_call encode_get_message(const std::string& id)
{
    checks c;
    c.then([&](std::string& why) { return check_message_id(id, "message id", why); });
    return c.done(without_body("get_message", http_verb::get, "/messages/" + percent_encode(id)));
}

encoded_call encode_update_message(const update_message_request& req)
{
    checks c;
    c.then([&](std::string& why) { return validate_message_input(req.message, true, why); });
    if (c.ec) return c.done({});
    json::object body;
    body["message"] = encode_message_input(req.message);
    if (req.skip_enrich_url) body["skip_enrich_url"] = true;
    // A full update with the same content converges, so it may be resent.
    return c.done(post("update_message", "/messages/" + percent_encode(req.message.id), std::move(body), true));
}

encoded_call encode_delete_message(const delete_message_request& req)
{
    checks c;
    c.then([&](std::string& why) { return check_message_id(req.id, "message id", why); });
    api_call call = without_body("delete_message", http_verb::delete_, "/messages/" + percent_encode(req.id));
    if (req.hard) call.query.emplace_back("hard", "true");
    return c.done(std::move(call));
}

// ------------------------------------------------------------------ read state, events

encoded_call encode_mark_read(const mark_read_request& req)
{
    checks c;
    c.then([&](std::string& why) { return check_channel(req.type, req.id, why); });
    if (req.message_id) c.then([&](std::string& why) { return check_message_id(*req.message_id, "message_id", why); });
    if (req.thread_id) c.then([&](std::string& why) { return check_message_id(*req.thread_id, "thread_id", why); });
    json::object body;
    put_opt(body, "message_id", req.message_id);
    put_opt(body, "thread_id", req.thread_id);
    return c.done(post("mark_read", channel_path(req.type, req.id, "/read"), std::move(body), true));
}

encoded_call encode_send_event(const send_event_request& req)
{
    checks c;
    c.then([&](std::string& why) { return check_channel(req.type, req.id, why); })
        .fail_if(req.event_type.empty() || req.event_type.size() > 255, error::invalid_argument,
                 "event type must be 1..255 characters");
    if (req.parent_id) c.then([&](std::string& why) { return check_message_id(*req.parent_id, "parent_id", why); });
    json::object ev;
    ev["type"] = req.event_type;
    put_opt(ev, "parent_id", req.parent_id);
    flatten_custom(ev, req.custom);
    json::object body;
    body["event"] = std::move(ev);
    // Not idempotent: a resent custom event would be delivered twice.
    return c.done(post("send_event", channel_path(req.type, req.id, "/event"), std::move(body), false));
}

// ------------------------------------------------------------------ users

encoded_call encode_query_users(const query_users_request& req, bool connected)
{
    checks c;
    c.then([&](std::string& why) { return req.filter_conditions.validate(&why); })
        .then([&](std::string& why) { return req.sort.validate(&why); })
        .then([&](std::string& why) { return check_range(req.limit, 0, 100, "limit", why); })
        .then([&](std::string& why) { return check_range(req.offset, 0, 1000, "offset", why); });
    if (c.ec) return c.done({});

    api_call call = without_body("query_users", http_verb::get, "/users");
    json::object payload;
    payload["filter_conditions"] = to_json_value(req.filter_conditions);
    if (!req.sort.empty()) payload["sort"] = to_json_value(req.sort);
    // Presence subscribes a connection; without one there is nothing to subscribe.
    payload["presence"] = req.presence && connected;
    put_opt(payload, "limit", req.limit);
    put_opt(payload, "offset", req.offset);
    put_opt(payload, "include_deactivated_users", req.include_deactivated_users);
    call.query.emplace_back("payload", json::serialize(payload));
    return c.done(std::move(call));
}

encoded_call encode_upsert_users(const std::vector<user_input>& users)
{
    checks c;
    c.then([&](std::string& why) { return check_count(users.size(), 1, 100, "users", why); });
    json::object map;
    for (const auto& u : users) {
        c.then([&](std::string& why) { return check_user_id(u.id, "users[].id", why); });
        json::object o;
        o["id"] = u.id;
        put_opt(o, "name", u.name);
        put_opt(o, "image", u.image);
        put_opt(o, "role", u.role);
        flatten_custom(o, u.custom);
        map[u.id] = std::move(o);
    }
    json::object body;
    body["users"] = std::move(map);
    // An upsert converges, so it may be resent.
    return c.done(post("upsert_users", "/users", std::move(body), true));
}

encoded_call encode_partial_update_users(const std::vector<user_partial_update>& updates)
{
    checks c;
    c.then([&](std::string& why) { return check_count(updates.size(), 1, 100, "users", why); });
    json::array arr;
    for (const auto& u : updates) {
        c.then([&](std::string& why) { return check_user_id(u.id, "users[].id", why); })
            .fail_if(u.set.empty() && u.unset.empty(), error::invalid_argument,
                     "users[].set and users[].unset are both empty");
        json::object o;
        o["id"] = u.id;
        if (!u.set.empty()) o["set"] = u.set;
        if (!u.unset.empty()) o["unset"] = string_array(u.unset);
        arr.push_back(std::move(o));
    }
    json::object body;
    body["users"] = std::move(arr);
    api_call call = post("partial_update_users", "/users", std::move(body), true);
    call.method = http_verb::patch;
    return c.done(std::move(call));
}

// ------------------------------------------------------------------ sync

encoded_call encode_sync(const sync_request& req, std::chrono::system_clock::time_point now)
{
    checks c;
    c.then([&](std::string& why) { return check_count(req.channel_cids.size(), 1, 255, "channel_cids", why); });
    for (const auto& cid : req.channel_cids) {
        const auto colon = cid.find(':');
        c.fail_if(colon == std::string::npos, error::invalid_id, "a channel_cids entry is not type:id");
        if (colon != std::string::npos)
            c.then([&](std::string& why) { return check_channel(cid.substr(0, colon), cid.substr(colon + 1), why); });
    }
    // The server looks back 30 days at most (docs/protocol.md §8.4); older state must be re-queried.
    c.fail_if(req.last_sync_at < now - std::chrono::hours(24 * 30), error::limit_exceeded,
              "last_sync_at is more than 30 days ago; re-query the channels instead");
    if (c.ec) return c.done({});

    json::object body;
    body["channel_cids"] = string_array(req.channel_cids);
    body["last_sync_at"] = format_timestamp(req.last_sync_at);
    put_opt(body, "watch", req.watch);
    put_opt(body, "with_inaccessible_cids", req.with_inaccessible_cids);
    return c.done(post("sync", "/sync", std::move(body), true));
}

} // namespace streamchat::detail
