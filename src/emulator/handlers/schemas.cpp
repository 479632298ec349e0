#include "emulator/handlers/schemas.hpp"

#include <algorithm>
#include <set>

namespace streamchat::emu {

namespace {

/// `?, ?, …` for `n` values, with the values as text parameters. False when one is not a string.
bool string_list(const std::vector<filter_value>& values, std::string& placeholders, std::vector<sql_param>& params)
{
    for (const auto& v : values) {
        if (!v.is_string()) return false;
        if (!placeholders.empty()) placeholders += ", ";
        placeholders += '?';
        params.emplace_back(std::get<std::string>(v.get()));
    }
    return !values.empty();
}

error_code refuse(std::string& why, std::string text)
{
    why = std::move(text);
    return make_error_code(error::invalid_filter);
}

/// `members`: $in (any of), $nin (none of), $eq with one id (contains), $eq with several
/// (exactly this set), $contains (contains).
error_code members_sql(filter_op op, const std::vector<filter_value>& values, sql_fragment& out, std::string& why)
{
    std::string list;
    std::vector<sql_param> params;
    if (!string_list(values, list, params)) return refuse(why, "members: expected user ids (strings)");
    const std::string exists = "EXISTS (SELECT 1 FROM members mf WHERE mf.cid = c.cid AND mf.user_id IN (" + list + "))";
    switch (op) {
    case filter_op::in:
    case filter_op::contains:
        out.sql = exists;
        out.params = std::move(params);
        return {};
    case filter_op::nin:
        out.sql = "NOT " + exists;
        out.params = std::move(params);
        return {};
    case filter_op::eq: {
        if (values.size() == 1) {
            out.sql = exists;
            out.params = std::move(params);
            return {};
        }
        std::set<std::string> distinct;
        for (const auto& p : params) distinct.insert(std::get<std::string>(p));
        out.sql = "(c.member_count = ? AND NOT EXISTS (SELECT 1 FROM members mf WHERE mf.cid = c.cid AND "
                  "mf.user_id NOT IN (" + list + ")))";
        out.params.clear();
        out.params.emplace_back(static_cast<std::int64_t>(distinct.size()));
        for (auto& p : params) out.params.push_back(std::move(p));
        return {};
    }
    default:
        return refuse(why, "members: operator " + std::string(to_string(op)) + " is not supported (use $in, $nin or $eq)");
    }
}

std::string like_pattern(std::string_view text)
{
    std::string p = "%";
    for (char ch : text) {
        if (ch == '%' || ch == '_' || ch == '\\') p += '\\';
        p += ch;
    }
    p += '%';
    return p;
}

/// `member.user.name`: $autocomplete / $q (partial, case-insensitive), $eq, $in.
error_code member_name_sql(filter_op op, const std::vector<filter_value>& values, sql_fragment& out, std::string& why)
{
    const char* head = "EXISTS (SELECT 1 FROM members mf JOIN users mu ON mu.id = mf.user_id WHERE mf.cid = c.cid AND ";
    std::string list;
    std::vector<sql_param> params;
    if (!string_list(values, list, params)) return refuse(why, "member.user.name: expected strings");
    switch (op) {
    case filter_op::autocomplete:
    case filter_op::q:
        out.sql = std::string(head) + "mu.name LIKE ? ESCAPE '\\')";
        out.params = {like_pattern(std::get<std::string>(params.front()))};
        return {};
    case filter_op::eq:
    case filter_op::in:
        out.sql = std::string(head) + "mu.name IN (" + list + "))";
        out.params = std::move(params);
        return {};
    default:
        return refuse(why, "member.user.name: operator " + std::string(to_string(op)) + " is not supported");
    }
}

/// Per-user flags the emulator does not model (hidden, muted, pinned, archived): every channel
/// is visible, unmuted, unpinned and not archived. `{flag: false}` matches all, `true` none.
special_field flag_sql(std::string name)
{
    return [name](filter_op op, const std::vector<filter_value>& values, sql_fragment& out, std::string& why) {
        if (op != filter_op::eq || values.size() != 1 || !values.front().is_bool()) {
            return refuse(why, name + ": only $eq with a boolean is supported");
        }
        // One char pushed, not a literal assigned: GCC 12 -O3 reports a false -Wrestrict on that.
        out.sql.clear();
        out.sql.push_back(std::get<bool>(values.front().get()) ? '0' : '1');
        out.params.clear();
        return error_code{};
    };
}

/// `teams` of users: $contains / $eq / $in any of the teams.
error_code teams_sql(filter_op op, const std::vector<filter_value>& values, sql_fragment& out, std::string& why)
{
    if (op != filter_op::contains && op != filter_op::eq && op != filter_op::in)
        return refuse(why, "teams: operator " + std::string(to_string(op)) + " is not supported");
    std::string list;
    std::vector<sql_param> params;
    if (!string_list(values, list, params)) return refuse(why, "teams: expected strings");
    out.sql = "EXISTS (SELECT 1 FROM json_each(u.extra, '$.teams') t WHERE t.value IN (" + list + "))";
    out.params = std::move(params);
    return {};
}

} // namespace

filter_schema channel_schema(bool member_driven)
{
    filter_schema s;
    s.column = [member_driven](std::string_view f) -> std::optional<sql_column> {
        if (f == "cid") return sql_column{"c.cid", sql_type::text};
        if (f == "id") return sql_column{"c.id", sql_type::text};
        if (f == "type") return sql_column{"c.type", sql_type::text};
        if (f == "created_by_id") return sql_column{"c.created_by_id", sql_type::text};
        if (f == "created_at") return sql_column{"c.created_at", sql_type::time};
        if (f == "updated_at") return sql_column{"c.updated_at", sql_type::time};
        if (f == "last_message_at")
            return sql_column{member_driven ? "me.last_message_at" : "c.last_message_at", sql_type::time};
        if (f == "last_updated")
            return sql_column{member_driven ? "me.last_updated" : "COALESCE(c.last_message_at, c.created_at)",
                              sql_type::time};
        if (f == "member_count") return sql_column{"c.member_count", sql_type::integer};
        if (f == "message_count") return sql_column{"c.message_count", sql_type::integer};
        if (f == "frozen") return sql_column{"c.frozen", sql_type::boolean};
        if (f == "disabled") return sql_column{"c.disabled", sql_type::boolean};
        if (f == "joined") return sql_column{"(me.user_id IS NOT NULL)", sql_type::boolean};
        if (f == "unread_count") return sql_column{"COALESCE(me.unread_messages, 0)", sql_type::integer};
        if (f == "has_unread") return sql_column{"(COALESCE(me.unread_messages, 0) > 0)", sql_type::boolean};
        return std::nullopt;
    };
    s.special = [](std::string_view f) -> std::optional<special_field> {
        if (f == "members") return special_field(members_sql);
        if (f == "member.user.name") return special_field(member_name_sql);
        for (const char* flag : {"hidden", "muted", "pinned", "archived"})
            if (f == flag) return flag_sql(flag);
        return std::nullopt;
    };
    s.custom_json_column = "c.extra";
    return s;
}

filter_schema user_schema()
{
    filter_schema s;
    s.column = [](std::string_view f) -> std::optional<sql_column> {
        if (f == "id") return sql_column{"u.id", sql_type::text};
        if (f == "role") return sql_column{"u.role", sql_type::text};
        if (f == "name") return sql_column{"u.name", sql_type::text};
        if (f == "image") return sql_column{"u.image", sql_type::text};
        if (f == "created_at") return sql_column{"u.created_at", sql_type::time};
        if (f == "updated_at") return sql_column{"u.updated_at", sql_type::time};
        if (f == "last_active") return sql_column{"u.last_active", sql_type::time};
        if (f == "banned") return sql_column{"u.banned", sql_type::boolean};
        return std::nullopt;
    };
    s.special = [](std::string_view f) -> std::optional<special_field> {
        if (f == "teams") return special_field(teams_sql);
        return std::nullopt;
    };
    s.custom_json_column = "u.extra";
    return s;
}

channel_query build_channel_query(channel_scope scope, const std::string& user_id, const sql_fragment& where,
                                  const sql_fragment& order, int limit, int offset)
{
    channel_query q;
    // The membership comes along: the page needs it for every channel.
    q.sql = "SELECT c.cid, c.type, c.id, c.created_by_id, c.created_at, c.updated_at, c.last_message_at, "
            "c.member_count, c.message_count, c.frozen, c.disabled, c.extra, me.cid, me.user_id, me.channel_role, "
            "me.created_at, me.updated_at, me.last_message_at, me.unread_messages, me.last_read, "
            "me.last_read_message_id, me.last_updated ";
    switch (scope) {
    case channel_scope::member:
        q.sql += "FROM members me JOIN channels c ON c.cid = me.cid WHERE me.user_id = ? AND ";
        break;
    case channel_scope::all:
        q.sql += "FROM channels c LEFT JOIN members me ON me.cid = c.cid AND me.user_id = ? WHERE ";
        break;
    case channel_scope::anonymous:
        q.sql += "FROM channels c LEFT JOIN members me ON me.cid = c.cid AND me.user_id = ? "
                 "WHERE c.type = 'livestream' AND ";
        break;
    }
    q.params.emplace_back(user_id);
    q.sql += "(" + (where.sql.empty() ? std::string("1") : where.sql) + ")";
    for (const auto& p : where.params) q.params.push_back(p);
    if (!order.sql.empty()) {
        q.sql += " ORDER BY " + order.sql;
        for (const auto& p : order.params) q.params.push_back(p);
    }
    q.sql += " LIMIT ? OFFSET ?";
    q.params.emplace_back(static_cast<std::int64_t>(limit));
    q.params.emplace_back(static_cast<std::int64_t>(offset));
    return q;
}

} // namespace streamchat::emu
