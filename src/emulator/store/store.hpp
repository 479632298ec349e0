#ifndef STREAMCHAT_SRC_EMULATOR_STORE_STORE_HPP
#define STREAMCHAT_SRC_EMULATOR_STORE_STORE_HPP

// The emulator's persistent state: users, channels, members, messages and the event log in
// SQLite (WAL for files). Row-level operations only; the REST semantics live in handlers/.
// Timestamps are INTEGER nanoseconds since the epoch: compact, index-friendly, exact.
// Single-threaded: used from the emulator's executor only.

#include "emulator/store/statement.hpp"

#include <streamchat/timestamp.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

struct sqlite3;

namespace streamchat::emu {

/// Nanoseconds since the epoch, as stored.
using nanos = std::int64_t;

inline nanos to_nanos(timestamp t) noexcept { return t.time_since_epoch().count(); }
inline timestamp from_nanos(nanos n) noexcept { return timestamp(std::chrono::nanoseconds(n)); }

struct user_row {
    std::string id{};
    std::string role = "user";
    std::optional<std::string> name{};
    std::optional<std::string> image{};
    nanos created_at = 0;
    nanos updated_at = 0;
    std::optional<nanos> last_active{};
    bool banned = false;
    std::string extra = "{}"; ///< JSON object of custom fields (flattened on the wire).
};

struct channel_row {
    std::string cid{};
    std::string type{};
    std::string id{};
    std::string created_by_id{};
    nanos created_at = 0;
    nanos updated_at = 0;
    std::optional<nanos> last_message_at{};
    std::int64_t member_count = 0;
    std::int64_t message_count = 0;
    bool frozen = false;
    bool disabled = false;
    std::string extra = "{}"; ///< JSON object of custom fields (`name`, `image`, …).
};

struct member_row {
    std::string cid{};
    std::string user_id{};
    std::string channel_role = "channel_member";
    nanos created_at = 0;
    nanos updated_at = 0;
    /// Copy of the channel's `last_message_at`, so a user's channels list by recency from the
    /// index members(user_id, last_message_at) without touching the channels table.
    std::optional<nanos> last_message_at{};
    /// COALESCE(channel last_message_at, created_at): queryChannels' default sort `last_updated`,
    /// also walked from an index, members(user_id, last_updated).
    nanos last_updated = 0;
    std::int64_t unread_messages = 0;
    nanos last_read = 0;
    std::optional<std::string> last_read_message_id{};
};

struct message_row {
    std::int64_t seq = 0; ///< Insertion order; pages are cut on it.
    std::string id{};
    std::string cid{};
    std::string user_id{};
    std::string type = "regular";
    std::string text{};
    std::optional<std::string> parent_id{};
    nanos created_at = 0;
    nanos updated_at = 0;
    std::optional<nanos> deleted_at{};
    std::string extra = "{}"; ///< JSON object: attachments, mentioned user ids, flags, custom fields.
};

struct event_row {
    std::int64_t seq = 0;
    std::string cid{};
    nanos created_at = 0;
    std::string type{};
    std::string payload{}; ///< The event JSON as delivered to watchers (not personalised).
};

/// A window of a channel's messages (docs/protocol.md §2.3), anchors already resolved to seq.
struct message_window {
    int limit = 25;
    std::optional<std::int64_t> seq_lt{}, seq_lte{}, seq_gt{}, seq_gte{}, seq_around{};
    std::optional<nanos> created_after{}, created_after_or_equal{}, created_before{}, created_before_or_equal{},
        created_around{};
};

struct unread_totals {
    std::int64_t messages = 0; ///< Sum of unread messages over the user's channels.
    std::int64_t channels = 0; ///< Channels with unread messages.
};

/// The SQL of the hot queries, public so tests can EXPLAIN exactly what runs.
namespace sql {
/// A user's channels by recency: ?1 user, ?2 limit, ?3 offset.
inline constexpr const char* user_channels_by_recency =
    "SELECT me.cid FROM members me WHERE me.user_id = ?1 ORDER BY me.last_message_at DESC LIMIT ?2 OFFSET ?3";
/// Columns of a message row, in the order store reads them.
#define STREAMCHAT_EMU_MESSAGE_COLUMNS \
    "seq, id, cid, user_id, type, text, parent_id, created_at, updated_at, deleted_at, extra "
/// Channel messages exclude thread-only replies.
#define STREAMCHAT_EMU_IN_CHANNEL "(parent_id IS NULL OR json_extract(extra, '$.show_in_channel') = 1)"
/// The newest messages of a channel: ?1 cid, ?2 limit.
inline constexpr const char* latest_messages =
    "SELECT " STREAMCHAT_EMU_MESSAGE_COLUMNS "FROM messages WHERE cid = ?1 AND " STREAMCHAT_EMU_IN_CHANNEL
    " ORDER BY seq DESC LIMIT ?2";
/// Older messages of a channel: ?1 cid, ?2 seq bound, ?3 limit.
inline constexpr const char* messages_before =
    "SELECT " STREAMCHAT_EMU_MESSAGE_COLUMNS "FROM messages WHERE cid = ?1 AND seq < ?2 AND " STREAMCHAT_EMU_IN_CHANNEL
    " ORDER BY seq DESC LIMIT ?3";
/// A page of channels at once: one statement each instead of one per channel. ?1 is a JSON array
/// of cids, joined (not `IN (…)`, which builds a temporary index per statement) and walked first
/// (CROSS JOIN fixes the order: the planner cannot tell how short the list is). Rows come in no
/// particular order; the caller orders them.
/// Every member of the channels: for channels known to be small (member_count), so that no limit
/// per channel is needed.
inline constexpr const char* all_members_of_channels =
    "SELECT m.cid, m.user_id, m.channel_role, m.created_at, m.updated_at, m.last_message_at, m.unread_messages, "
    "m.last_read, m.last_read_message_id, m.last_updated FROM json_each(?1) j CROSS JOIN members m ON m.cid = j.value";
/// One user's memberships among channels: ?1 user, ?2 cids.
inline constexpr const char* memberships_in_channels =
    "SELECT m.cid, m.user_id, m.channel_role, m.created_at, m.updated_at, m.last_message_at, m.unread_messages, "
    "m.last_read, m.last_read_message_id, m.last_updated FROM json_each(?2) j CROSS JOIN members m ON m.cid = j.value "
    "AND m.user_id = ?1";
/// The newest ?2 messages of each channel: those from the ?2-th newest one on, so each channel is
/// an index walk of ?2 rows however long it is.
inline constexpr const char* latest_messages_of_channels =
    "SELECT m.seq, m.id, m.cid, m.user_id, m.type, m.text, m.parent_id, m.created_at, m.updated_at, m.deleted_at, "
    "m.extra FROM json_each(?1) j CROSS JOIN messages m ON m.cid = j.value AND m.seq >= COALESCE((SELECT seq "
    "FROM messages WHERE cid = j.value AND " STREAMCHAT_EMU_IN_CHANNEL " ORDER BY seq DESC LIMIT 1 OFFSET ?2 - 1), 0) "
    "WHERE (m.parent_id IS NULL OR json_extract(m.extra, '$.show_in_channel') = 1)";
/// Users by id: ?1 JSON array of ids.
inline constexpr const char* users_in =
    "SELECT u.id, u.role, u.name, u.image, u.created_at, u.updated_at, u.last_active, u.banned, u.extra "
    "FROM json_each(?1) j CROSS JOIN users u ON u.id = j.value";
/// The event log of channels after a time: ?1 JSON array of cids, ?2 after (ns), ?3 limit.
inline constexpr const char* events_since =
    "SELECT seq, cid, created_at, type, payload FROM events "
    "WHERE cid IN (SELECT value FROM json_each(?1)) AND created_at > ?2 ORDER BY created_at, seq LIMIT ?3";
} // namespace sql

class store {
public:
    /// Current schema version (PRAGMA user_version).
    static constexpr int schema_version = 1;

    /// Opens `path` (a file, or ":memory:"), configures it and creates what the schema lacks.
    static std::unique_ptr<store> open(const std::string& path, std::string& why);
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    /// A cached prepared statement, reset when the handle goes away. A statement already in use
    /// (a nested query with the same SQL) gets a private copy instead.
    class stmt_ref {
    public:
        stmt_ref(statement* s, std::unique_ptr<statement> owned, bool* busy) noexcept
            : s_(s), owned_(std::move(owned)), busy_(busy) {}
        stmt_ref(stmt_ref&& o) noexcept : s_(o.s_), owned_(std::move(o.owned_)), busy_(o.busy_) { o.busy_ = nullptr; o.s_ = nullptr; }
        stmt_ref(const stmt_ref&) = delete;
        stmt_ref& operator=(const stmt_ref&) = delete;
        stmt_ref& operator=(stmt_ref&&) = delete;
        ~stmt_ref()
        {
            if (s_) s_->reset();
            if (busy_) *busy_ = false;
        }
        statement* operator->() const noexcept { return s_; }
        statement& operator*() const noexcept { return *s_; }

    private:
        statement* s_;
        std::unique_ptr<statement> owned_;
        bool* busy_;
    };
    stmt_ref use(std::string_view sql);

    /// Runs SQL without parameters (schema, pragmas, transaction control).
    void exec(const char* sql);

    /// BEGIN IMMEDIATE … COMMIT; rolls back unless committed. Nested scopes join the outer one.
    class transaction {
    public:
        explicit transaction(store& db);
        ~transaction();
        transaction(const transaction&) = delete;
        transaction& operator=(const transaction&) = delete;
        void commit();

    private:
        store& db_;
        bool outer_;
        bool done_ = false;
    };

    /// `values` as a JSON array of strings, the text bound to `json_each(?)` lists.
    static std::string json_list(const std::vector<std::string>& values);

    /// `EXPLAIN QUERY PLAN` of `sql`, one detail line per row, joined with '\n'.
    std::string query_plan(std::string_view sql);
    /// `PRAGMA integrity_check` result ("ok" when intact).
    std::string integrity_check();
    int user_version();
    /// Rows changed by the last INSERT/UPDATE/DELETE.
    std::int64_t changes() const noexcept;
    sqlite3* native() const noexcept { return db_; }
    /// Reads a channel row from columns 0..11 in `channels` table order (for custom SELECTs).
    static channel_row channel_from(const statement& s);
    /// Reads a member row from the 10 columns from `first` on, in the order of member_columns:
    /// cid, user_id, channel_role, created_at, updated_at, last_message_at, unread_messages,
    /// last_read, last_read_message_id, last_updated.
    static member_row member_from(const statement& s, int first);

    // ------------------------------------------------------------ users
    std::optional<user_row> find_user(std::string_view id);
    /// The users of `ids` (distinct) that exist, in no particular order.
    std::vector<user_row> find_users(const std::vector<std::string>& ids);
    /// Inserts or replaces every column (the caller merges first).
    void put_user(const user_row& u);
    /// Creates a plain user when absent (role `user`); returns true when created.
    bool ensure_user(std::string_view id, nanos now);
    void set_last_active(std::string_view id, nanos t);

    // ------------------------------------------------------------ channels
    std::optional<channel_row> find_channel(std::string_view cid);
    void insert_channel(const channel_row& c);
    void update_channel(const channel_row& c);
    std::int64_t channel_count();

    // ------------------------------------------------------------ members
    std::optional<member_row> find_member(std::string_view cid, std::string_view user_id);
    /// Members by join time (oldest first).
    std::vector<member_row> members(std::string_view cid, int limit, int offset);
    std::vector<std::string> member_ids(std::string_view cid);
    /// Every member of each of `cids` (distinct) in one query, in no particular order.
    std::vector<member_row> all_members_of(const std::vector<std::string>& cids);
    /// `user_id`'s memberships among `cids` (distinct), in no particular order.
    std::vector<member_row> memberships(std::string_view user_id, const std::vector<std::string>& cids);
    /// Adds a member (copying the channel's last_message_at) and bumps member_count. False when
    /// already a member.
    bool add_member(const member_row& m);
    /// Removes a member and lowers member_count. False when not a member.
    bool remove_member(std::string_view cid, std::string_view user_id);
    void set_member_role(std::string_view cid, std::string_view user_id, std::string_view role, nanos now);
    /// Marks read: unread 0, last_read, last_read_message_id.
    void mark_read(std::string_view cid, std::string_view user_id, nanos at,
                   const std::optional<std::string>& message_id);
    /// A user's unread totals (kept by triggers on members, so one row whatever the user's
    /// channel count).
    unread_totals unread_for(std::string_view user_id);
    /// unread_for() of each of `user_ids`, in their order, in one statement.
    std::vector<unread_totals> unread_for(const std::vector<std::string>& user_ids);
    /// Channels (cid, unread, last_read) of a user with unread messages.
    std::vector<member_row> unread_memberships(std::string_view user_id);

    // ------------------------------------------------------------ messages
    std::optional<message_row> find_message(std::string_view id);
    /// What insert_message() changed, for the events the message causes.
    struct message_effects {
        std::optional<channel_row> channel{}; ///< The channel row as updated (none: no such channel).
        /// Each member's user id and unread count after the insert, in no particular order.
        std::vector<std::pair<std::string, std::int64_t>> unread{};
    };
    /// Inserts a message and updates the channel (last_message_at, message_count), the members'
    /// copy of last_message_at and, when `counts_unread`, the unread count of every member but
    /// the author. False (nothing written) when the id exists. Sets `m.seq`; fills `effects`
    /// when given, from the updates themselves (RETURNING), so callers need not read them back.
    bool insert_message(message_row& m, bool counts_unread, message_effects* effects = nullptr);
    void update_message(const message_row& m);
    void delete_message(std::string_view id);
    /// Messages of the window, oldest first (thread-only replies excluded).
    std::vector<message_row> messages(std::string_view cid, const message_window& w);
    std::optional<message_row> latest_message(std::string_view cid);
    /// The newest `limit` messages of each of `cids` (distinct; thread-only replies excluded) in
    /// one query, in no particular order.
    std::vector<message_row> latest_messages_of(const std::vector<std::string>& cids, int limit);

    // ------------------------------------------------------------ events
    std::int64_t append_event(std::string_view cid, nanos created_at, std::string_view type,
                              std::string_view payload);
    /// Events of `cids` after `after`, oldest first, at most `limit`.
    std::vector<event_row> events_since(const std::vector<std::string>& cids, nanos after, int limit);

    // ------------------------------------------------------------ presence (memory only)
    /// `subscriber` wants presence events about `subject` (presence:true queries).
    void subscribe_presence(const std::string& subscriber, const std::string& subject);
    /// Users subscribed to `subject`.
    std::vector<std::string> presence_subscribers(const std::string& subject) const;

private:
    explicit store(sqlite3* db) noexcept : db_(db) {}
    void create_schema();
    static message_row read_message(const statement& s);

    sqlite3* db_;
    struct cached {
        std::unique_ptr<statement> stmt;
        bool busy = false;
    };
    std::unordered_map<std::string, cached> cache_;
    int tx_depth_ = 0;
    std::unordered_map<std::string, std::unordered_set<std::string>> presence_;
};

} // namespace streamchat::emu

#endif
