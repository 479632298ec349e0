// Users, channels and members.

#include "emulator/store/store.hpp"

namespace streamchat::emu {

namespace {

constexpr const char* user_columns = "id, role, name, image, created_at, updated_at, last_active, banned, extra";
constexpr const char* member_columns =
    "cid, user_id, channel_role, created_at, updated_at, last_message_at, unread_messages, last_read, "
    "last_read_message_id, last_updated";

user_row read_user(const statement& s)
{
    user_row u;
    u.id = s.text(0);
    u.role = s.text(1);
    u.name = s.opt_text(2);
    u.image = s.opt_text(3);
    u.created_at = s.int64(4);
    u.updated_at = s.int64(5);
    u.last_active = s.opt_int64(6);
    u.banned = s.int64(7) != 0;
    u.extra = s.text(8);
    return u;
}

channel_row read_channel(const statement& s)
{
    channel_row c;
    c.cid = s.text(0);
    c.type = s.text(1);
    c.id = s.text(2);
    c.created_by_id = s.text(3);
    c.created_at = s.int64(4);
    c.updated_at = s.int64(5);
    c.last_message_at = s.opt_int64(6);
    c.member_count = s.int64(7);
    c.message_count = s.int64(8);
    c.frozen = s.int64(9) != 0;
    c.disabled = s.int64(10) != 0;
    c.extra = s.text(11);
    return c;
}

member_row read_member(const statement& s, int first = 0)
{
    member_row m;
    m.cid = s.text(first);
    m.user_id = s.text(first + 1);
    m.channel_role = s.text(first + 2);
    m.created_at = s.int64(first + 3);
    m.updated_at = s.int64(first + 4);
    m.last_message_at = s.opt_int64(first + 5);
    m.unread_messages = s.int64(first + 6);
    m.last_read = s.int64(first + 7);
    m.last_read_message_id = s.opt_text(first + 8);
    m.last_updated = s.int64(first + 9);
    return m;
}

std::string select_from(const char* columns, const char* rest)
{
    std::string sql = "SELECT ";
    sql += columns;
    sql += rest;
    return sql;
}

} // namespace

channel_row store::channel_from(const statement& s) { return read_channel(s); }
member_row store::member_from(const statement& s, int first) { return read_member(s, first); }

// ------------------------------------------------------------------ users

std::optional<user_row> store::find_user(std::string_view id)
{
    static const std::string sql = select_from(user_columns, " FROM users WHERE id = ?1");
    auto s = use(sql);
    s->bind(1, id);
    if (!s->step()) return std::nullopt;
    return read_user(*s);
}

std::vector<user_row> store::find_users(const std::vector<std::string>& ids)
{
    std::vector<user_row> out;
    if (ids.empty()) return out;
    auto s = use(sql::users_in);
    s->bind(1, json_list(ids));
    while (s->step()) out.push_back(read_user(*s));
    return out;
}

void store::put_user(const user_row& u)
{
    auto s = use("INSERT INTO users (id, role, name, image, created_at, updated_at, last_active, banned, extra) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                 "ON CONFLICT(id) DO UPDATE SET role = excluded.role, name = excluded.name, image = excluded.image, "
                 "created_at = excluded.created_at, updated_at = excluded.updated_at, "
                 "last_active = excluded.last_active, banned = excluded.banned, extra = excluded.extra");
    s->bind(1, u.id).bind(2, u.role).bind(3, u.name).bind(4, u.image).bind(5, u.created_at);
    s->bind(6, u.updated_at).bind(7, u.last_active).bind(8, u.banned).bind(9, u.extra);
    s->run();
}

bool store::ensure_user(std::string_view id, nanos now)
{
    auto s = use("INSERT INTO users (id, role, created_at, updated_at) VALUES (?1, 'user', ?2, ?2) "
                 "ON CONFLICT(id) DO NOTHING");
    s->bind(1, id).bind(2, now);
    s->run();
    return changes() > 0;
}

void store::set_last_active(std::string_view id, nanos t)
{
    auto s = use("UPDATE users SET last_active = ?2 WHERE id = ?1");
    s->bind(1, id).bind(2, t);
    s->run();
}

// ------------------------------------------------------------------ channels

std::optional<channel_row> store::find_channel(std::string_view cid)
{
    auto s = use("SELECT cid, type, id, created_by_id, created_at, updated_at, last_message_at, member_count, "
                 "message_count, frozen, disabled, extra FROM channels WHERE cid = ?1");
    s->bind(1, cid);
    if (!s->step()) return std::nullopt;
    return read_channel(*s);
}

void store::insert_channel(const channel_row& c)
{
    auto s = use("INSERT INTO channels (cid, type, id, created_by_id, created_at, updated_at, last_message_at, "
                 "member_count, message_count, frozen, disabled, extra) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    s->bind(1, c.cid).bind(2, c.type).bind(3, c.id).bind(4, c.created_by_id).bind(5, c.created_at);
    s->bind(6, c.updated_at).bind(7, c.last_message_at).bind(8, c.member_count).bind(9, c.message_count);
    s->bind(10, c.frozen).bind(11, c.disabled).bind(12, c.extra);
    s->run();
}

void store::update_channel(const channel_row& c)
{
    auto s = use("UPDATE channels SET created_by_id = ?2, updated_at = ?3, frozen = ?4, disabled = ?5, extra = ?6 "
                 "WHERE cid = ?1");
    s->bind(1, c.cid).bind(2, c.created_by_id).bind(3, c.updated_at).bind(4, c.frozen).bind(5, c.disabled);
    s->bind(6, c.extra);
    s->run();
}

// ------------------------------------------------------------------ members

std::optional<member_row> store::find_member(std::string_view cid, std::string_view user_id)
{
    static const std::string sql = select_from(member_columns, " FROM members WHERE cid = ?1 AND user_id = ?2");
    auto s = use(sql);
    s->bind(1, cid).bind(2, user_id);
    if (!s->step()) return std::nullopt;
    return read_member(*s);
}

std::vector<member_row> store::members(std::string_view cid, int limit, int offset)
{
    static const std::string sql =
        select_from(member_columns, " FROM members WHERE cid = ?1 ORDER BY created_at, user_id LIMIT ?2 OFFSET ?3");
    auto s = use(sql);
    s->bind(1, cid).bind(2, limit).bind(3, offset);
    std::vector<member_row> out;
    while (s->step()) out.push_back(read_member(*s));
    return out;
}

std::vector<std::string> store::member_ids(std::string_view cid)
{
    auto s = use("SELECT user_id FROM members WHERE cid = ?1");
    s->bind(1, cid);
    std::vector<std::string> out;
    while (s->step()) out.push_back(s->text(0));
    return out;
}

std::vector<member_row> store::all_members_of(const std::vector<std::string>& cids)
{
    std::vector<member_row> out;
    if (cids.empty()) return out;
    auto s = use(sql::all_members_of_channels);
    s->bind(1, json_list(cids));
    while (s->step()) out.push_back(read_member(*s));
    return out;
}

std::vector<member_row> store::memberships(std::string_view user_id, const std::vector<std::string>& cids)
{
    std::vector<member_row> out;
    if (cids.empty()) return out;
    auto s = use(sql::memberships_in_channels);
    s->bind(1, user_id).bind(2, json_list(cids));
    while (s->step()) out.push_back(read_member(*s));
    return out;
}

bool store::add_member(const member_row& m)
{
    {
        auto s = use("INSERT INTO members (cid, user_id, channel_role, created_at, updated_at, last_message_at, "
                     "last_updated, unread_messages, last_read, last_read_message_id) "
                     "SELECT ?1, ?2, ?3, ?4, ?5, c.last_message_at, COALESCE(c.last_message_at, c.created_at), ?6, ?7, ?8 "
                     "FROM channels c WHERE c.cid = ?1 "
                     "ON CONFLICT(cid, user_id) DO NOTHING");
        s->bind(1, m.cid).bind(2, m.user_id).bind(3, m.channel_role).bind(4, m.created_at).bind(5, m.updated_at);
        s->bind(6, m.unread_messages).bind(7, m.last_read).bind(8, m.last_read_message_id);
        s->run();
    }
    if (changes() == 0) return false;
    auto u = use("UPDATE channels SET member_count = member_count + 1 WHERE cid = ?1");
    u->bind(1, m.cid);
    u->run();
    return true;
}

bool store::remove_member(std::string_view cid, std::string_view user_id)
{
    {
        auto s = use("DELETE FROM members WHERE cid = ?1 AND user_id = ?2");
        s->bind(1, cid).bind(2, user_id);
        s->run();
    }
    if (changes() == 0) return false;
    auto u = use("UPDATE channels SET member_count = MAX(member_count - 1, 0) WHERE cid = ?1");
    u->bind(1, cid);
    u->run();
    return true;
}

void store::set_member_role(std::string_view cid, std::string_view user_id, std::string_view role, nanos now)
{
    auto s = use("UPDATE members SET channel_role = ?3, updated_at = ?4 WHERE cid = ?1 AND user_id = ?2");
    s->bind(1, cid).bind(2, user_id).bind(3, role).bind(4, now);
    s->run();
}

void store::mark_read(std::string_view cid, std::string_view user_id, nanos at,
                      const std::optional<std::string>& message_id)
{
    auto s = use("UPDATE members SET unread_messages = 0, last_read = ?3, last_read_message_id = ?4 "
                 "WHERE cid = ?1 AND user_id = ?2");
    s->bind(1, cid).bind(2, user_id).bind(3, at).bind(4, message_id);
    s->run();
}

unread_totals store::unread_for(std::string_view user_id)
{
    auto s = use("SELECT messages, channels FROM unread_totals WHERE user_id = ?1");
    s->bind(1, user_id);
    unread_totals t;
    if (s->step()) {
        t.messages = s->int64(0);
        t.channels = s->int64(1);
    }
    return t;
}

std::vector<unread_totals> store::unread_for(const std::vector<std::string>& user_ids)
{
    std::vector<unread_totals> out(user_ids.size());
    if (user_ids.empty()) return out;
    // json_each's `key` is the position in the list, so rows land where their id is.
    auto s = use("SELECT j.key, t.messages, t.channels FROM json_each(?1) j "
                 "CROSS JOIN unread_totals t ON t.user_id = j.value");
    s->bind(1, json_list(user_ids));
    while (s->step()) {
        const auto i = static_cast<std::size_t>(s->int64(0));
        if (i < out.size()) out[i] = unread_totals{s->int64(1), s->int64(2)};
    }
    return out;
}

std::vector<member_row> store::unread_memberships(std::string_view user_id)
{
    static const std::string sql = select_from(
        member_columns, " FROM members WHERE user_id = ?1 AND unread_messages > 0 ORDER BY last_message_at DESC");
    auto s = use(sql);
    s->bind(1, user_id);
    std::vector<member_row> out;
    while (s->step()) out.push_back(read_member(*s));
    return out;
}

} // namespace streamchat::emu
