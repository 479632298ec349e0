// Messages (with their effect on channel and member rows) and the event log.

#include "emulator/store/store.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace streamchat::emu {

message_row store::read_message(const statement& s)
{
    message_row m;
    m.seq = s.int64(0);
    m.id = s.text(1);
    m.cid = s.text(2);
    m.user_id = s.text(3);
    m.type = s.text(4);
    m.text = s.text(5);
    m.parent_id = s.opt_text(6);
    m.created_at = s.int64(7);
    m.updated_at = s.int64(8);
    m.deleted_at = s.opt_int64(9);
    m.extra = s.text(10);
    return m;
}

std::optional<message_row> store::find_message(std::string_view id)
{
    auto s = use("SELECT " STREAMCHAT_EMU_MESSAGE_COLUMNS "FROM messages WHERE id = ?1");
    s->bind(1, id);
    if (!s->step()) return std::nullopt;
    return read_message(*s);
}

bool store::insert_message(message_row& m, bool counts_unread, message_effects* effects)
{
    {
        auto s = use("INSERT INTO messages (id, cid, user_id, type, text, parent_id, created_at, updated_at, "
                     "deleted_at, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                     "ON CONFLICT(id) DO NOTHING");
        s->bind(1, m.id).bind(2, m.cid).bind(3, m.user_id).bind(4, m.type).bind(5, m.text).bind(6, m.parent_id);
        s->bind(7, m.created_at).bind(8, m.updated_at).bind(9, m.deleted_at).bind(10, m.extra);
        s->run();
    }
    if (changes() == 0) return false;
    m.seq = sqlite3_last_insert_rowid(db_);
    std::optional<nanos> last_message_at;
    nanos created_at = 0;
    {
        // The whole row comes back, in `channels` table order: the caller's events show it.
        auto s = use("UPDATE channels SET last_message_at = MAX(COALESCE(last_message_at, 0), ?2), "
                     "message_count = message_count + 1 WHERE cid = ?1 RETURNING cid, type, id, created_by_id, "
                     "created_at, updated_at, last_message_at, member_count, message_count, frozen, disabled, extra");
        s->bind(1, m.cid).bind(2, m.created_at);
        if (!s->step()) return true; // no channel row: no members either
        last_message_at = s->opt_int64(6);
        created_at = s->int64(4);
        if (effects) effects->channel = channel_from(*s);
    }
    // One pass over the channel's members: their copy of last_message_at (so "my channels by
    // recency" stays an index walk), unread counts, and the author's read (sending reads the
    // channel up to one's own message, as the JS client assumes too).
    auto s = use("UPDATE members SET last_message_at = ?3, last_updated = ?4, "
                 "unread_messages = CASE WHEN user_id = ?2 THEN 0 WHEN ?5 THEN unread_messages + 1 "
                 "ELSE unread_messages END, "
                 "last_read = CASE WHEN user_id = ?2 THEN ?6 ELSE last_read END, "
                 "last_read_message_id = CASE WHEN user_id = ?2 THEN ?7 ELSE last_read_message_id END "
                 "WHERE cid = ?1 RETURNING user_id, unread_messages");
    s->bind(1, m.cid).bind(2, m.user_id).bind(3, last_message_at).bind(4, last_message_at.value_or(created_at));
    s->bind(5, counts_unread).bind(6, m.created_at).bind(7, m.id);
    while (s->step())
        if (effects) effects->unread.emplace_back(s->text(0), s->int64(1));
    return true;
}

void store::update_message(const message_row& m)
{
    auto s = use("UPDATE messages SET type = ?2, text = ?3, updated_at = ?4, deleted_at = ?5, extra = ?6 "
                 "WHERE id = ?1");
    s->bind(1, m.id).bind(2, m.type).bind(3, m.text).bind(4, m.updated_at).bind(5, m.deleted_at).bind(6, m.extra);
    s->run();
}

void store::delete_message(std::string_view id)
{
    auto s = use("DELETE FROM messages WHERE id = ?1");
    s->bind(1, id);
    s->run();
}

std::optional<message_row> store::latest_message(std::string_view cid)
{
    auto s = use(sql::latest_messages);
    s->bind(1, cid).bind(2, 1);
    if (!s->step()) return std::nullopt;
    return read_message(*s);
}

std::vector<message_row> store::latest_messages_of(const std::vector<std::string>& cids, int limit)
{
    std::vector<message_row> out;
    if (cids.empty() || limit <= 0) return out;
    auto s = use(sql::latest_messages_of_channels);
    s->bind(1, json_list(cids)).bind(2, limit);
    while (s->step()) out.push_back(read_message(*s));
    return out;
}

std::vector<message_row> store::messages(std::string_view cid, const message_window& w)
{
    std::vector<message_row> out;
    const int limit = std::max(0, w.limit);
    if (limit == 0) return out;

    // Only trusted fragments are concatenated; every value is a bound parameter. The set of
    // possible SQL texts is small (one per combination of bounds), so the cache stays bounded.
    struct bound {
        const char* sql;
        std::int64_t value;
    };
    std::vector<bound> bounds;
    bool lower = false, upper = false;
    auto add = [&](const std::optional<std::int64_t>& v, const char* sql, bool is_lower) {
        if (!v) return;
        bounds.push_back({sql, *v});
        (is_lower ? lower : upper) = true;
    };
    add(w.seq_lt, " AND seq < ?", false);
    add(w.seq_lte, " AND seq <= ?", false);
    add(w.seq_gt, " AND seq > ?", true);
    add(w.seq_gte, " AND seq >= ?", true);
    add(w.created_before, " AND created_at < ?", false);
    add(w.created_before_or_equal, " AND created_at <= ?", false);
    add(w.created_after, " AND created_at > ?", true);
    add(w.created_after_or_equal, " AND created_at >= ?", true);

    auto run = [&](const std::vector<bound>& bs, bool ascending, int n, std::vector<message_row>& into) {
        std::string text = "SELECT " STREAMCHAT_EMU_MESSAGE_COLUMNS "FROM messages WHERE cid = ?";
        for (const auto& b : bs) text += b.sql;
        text += " AND " STREAMCHAT_EMU_IN_CHANNEL;
        text += ascending ? " ORDER BY seq ASC LIMIT ?" : " ORDER BY seq DESC LIMIT ?";
        auto s = use(text);
        int i = 1;
        s->bind(i++, cid);
        for (const auto& b : bs) s->bind(i++, b.value);
        s->bind(i, n);
        while (s->step()) into.push_back(read_message(*s));
    };

    if (w.seq_around || w.created_around) {
        // A window centred on the anchor: the older half, then the anchor and the newer half.
        const int before = limit / 2;
        std::vector<bound> older = bounds, newer = bounds;
        if (w.seq_around) {
            older.push_back({" AND seq < ?", *w.seq_around});
            newer.push_back({" AND seq >= ?", *w.seq_around});
        } else {
            older.push_back({" AND created_at < ?", *w.created_around});
            newer.push_back({" AND created_at >= ?", *w.created_around});
        }
        run(older, false, before, out);
        std::reverse(out.begin(), out.end());
        run(newer, true, limit - static_cast<int>(out.size()), out);
        return out;
    }
    const bool ascending = lower && !upper;
    run(bounds, ascending, limit, out);
    if (!ascending) std::reverse(out.begin(), out.end());
    return out;
}

// ------------------------------------------------------------------ events

std::int64_t store::append_event(std::string_view cid, nanos created_at, std::string_view type,
                                 std::string_view payload)
{
    auto s = use("INSERT INTO events (cid, created_at, type, payload) VALUES (?1, ?2, ?3, ?4)");
    s->bind(1, cid).bind(2, created_at).bind(3, type).bind(4, payload);
    s->run();
    return sqlite3_last_insert_rowid(db_);
}

std::vector<event_row> store::events_since(const std::vector<std::string>& cids, nanos after, int limit)
{
    auto s = use(sql::events_since);
    s->bind(1, json_list(cids)).bind(2, after).bind(3, limit);
    std::vector<event_row> out;
    while (s->step()) {
        event_row e;
        e.seq = s->int64(0);
        e.cid = s->text(1);
        e.created_at = s->int64(2);
        e.type = s->text(3);
        e.payload = s->text(4);
        out.push_back(std::move(e));
    }
    return out;
}

} // namespace streamchat::emu
