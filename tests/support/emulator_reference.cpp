#include "support/emulator_reference.hpp"

#include "emulator/handlers/schemas.hpp"
#include "emulator/store/store.hpp"
#include "filter/filter_json.hpp"
#include "filter/sort_json.hpp"
#include "model/codec.hpp"

#include <streamchat/model/channel_state.hpp>

namespace streamchat::emu::reference {

boost::json::object channel_state(session& s, const channel_row& c, const state_options& o)
{
    streamchat::channel_state st;
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

    boost::json::object out;
    detail::encode(st, out);
    out["threads"] = boost::json::array{};
    out["pending_messages"] = boost::json::array{};
    if (!out.contains("membership")) out["membership"] = nullptr;
    return out;
}

api_response query_channels(const api_request& request, context& ctx)
{
    try {
        session s(ctx, request);
        store::transaction tx(ctx.db);
        const json::object body = parse_body(request);
        filter f;
        std::string why;
        if (auto it = body.find("filter_conditions"); it != body.end() && !it->value().is_null())
            if (detail::parse_filter(it->value(), f, &why)) bad_input("filter_conditions: " + why);
        sort order;
        if (auto it = body.find("sort"); it != body.end() && !it->value().is_null())
            if (detail::parse_sort(it->value(), order, &why)) bad_input(why);
        if (order.empty()) order = sort::by("last_updated", sort_direction::descending);

        state_options so;
        const int limit = read_int(body, "limit", "limit", 10, 0, 30);
        const int offset = read_int(body, "offset", "offset", 0, 0, 1000);
        so.window.limit = read_int(body, "message_limit", "message_limit", 25, 0, 300);
        so.member_limit = read_int(body, "member_limit", "member_limit", 100, 0, 100);
        so.messages = read_bool(body, "state", "state").value_or(true);

        channel_scope scope = channel_scope::member;
        std::string user_id = s.who.user_id;
        if (s.who.server) {
            scope = channel_scope::all;
            if (auto hint = read_string(body, "user_id", "user_id")) user_id = *hint;
        } else if (s.who.anonymous) {
            scope = channel_scope::anonymous;
        }
        const filter_schema schema = channel_schema(scope == channel_scope::member);
        sql_fragment where, by;
        if (to_sql(f, schema, where, why)) bad_input("filter_conditions: " + why);
        if (to_sql(order, schema, "c.cid", by, why)) bad_input("sort: " + why);
        const channel_query q = build_channel_query(scope, user_id, where, by, limit, offset);
        std::vector<channel_row> rows;
        {
            auto st = s.db().use(q.sql);
            st->bind_all(1, q.params);
            while (st->step()) rows.push_back(store::channel_from(*st));
        }
        json::array channels;
        for (const auto& c : rows) channels.push_back(channel_state(s, c, so));
        api_response res;
        res.status = 201;
        res.body["channels"] = std::move(channels);
        tx.commit();
        return res;
    } catch (const api_failure& f) {
        return error_response(f.code, f.status, "QueryChannels", f.reason);
    }
}

} // namespace streamchat::emu::reference
