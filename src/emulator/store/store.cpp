// Opening, configuring and versioning the database; the statement cache and transactions.

#include "emulator/store/store.hpp"

#include "emulator/api.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <sqlite3.h>

namespace streamchat::emu {

namespace {

// Version 1. Timestamps are INTEGER ns since the epoch; `extra` columns hold JSON objects of
// custom fields, checked by json_valid so a bad write cannot corrupt later reads. Every statement
// is IF NOT EXISTS: the script runs at each open.
constexpr const char* schema = R"SQL(
CREATE TABLE IF NOT EXISTS users (
    id          TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL DEFAULT 'user',
    name        TEXT,
    image       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    last_active INTEGER,
    banned      INTEGER NOT NULL DEFAULT 0,
    extra       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra))
);
CREATE INDEX IF NOT EXISTS users_created_at ON users(created_at);
CREATE INDEX IF NOT EXISTS users_last_active ON users(last_active);

CREATE TABLE IF NOT EXISTS channels (
    cid             TEXT PRIMARY KEY NOT NULL,
    type            TEXT NOT NULL,
    id              TEXT NOT NULL,
    created_by_id   TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_message_at INTEGER,
    member_count    INTEGER NOT NULL DEFAULT 0,
    message_count   INTEGER NOT NULL DEFAULT 0,
    frozen          INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    extra           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra))
);
CREATE INDEX IF NOT EXISTS channels_created_by_id ON channels(created_by_id);
CREATE INDEX IF NOT EXISTS channels_created_at ON channels(created_at);
CREATE INDEX IF NOT EXISTS channels_created_by_id_created_at ON channels(created_by_id, created_at);
CREATE INDEX IF NOT EXISTS channels_last_message_at ON channels(last_message_at);

CREATE TABLE IF NOT EXISTS members (
    cid                  TEXT NOT NULL REFERENCES channels(cid) ON DELETE CASCADE,
    user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel_role         TEXT NOT NULL DEFAULT 'channel_member',
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    last_message_at      INTEGER,
    last_updated         INTEGER NOT NULL DEFAULT 0,
    unread_messages      INTEGER NOT NULL DEFAULT 0,
    last_read            INTEGER NOT NULL DEFAULT 0,
    last_read_message_id TEXT,
    PRIMARY KEY (cid, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_user_id_last_message_at ON members(user_id, last_message_at);
CREATE INDEX IF NOT EXISTS members_user_id_last_updated ON members(user_id, last_updated);
-- A channel's members by join time (channel states list them so) as an index walk, not a sort
-- of every member. Added later: databases made before get it when next opened.
CREATE INDEX IF NOT EXISTS members_cid_created_at ON members(cid, created_at, user_id);

CREATE TABLE IF NOT EXISTS messages (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    cid        TEXT NOT NULL REFERENCES channels(cid) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id),
    type       TEXT NOT NULL DEFAULT 'regular',
    text       TEXT NOT NULL DEFAULT '',
    parent_id  TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    extra      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra))
);
CREATE INDEX IF NOT EXISTS messages_cid_seq ON messages(cid, seq);
CREATE INDEX IF NOT EXISTS messages_cid_created_at ON messages(cid, created_at);

CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY,
    cid        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL CHECK (json_valid(payload))
);
CREATE INDEX IF NOT EXISTS events_cid_created_at ON events(cid, created_at);

-- Each user's unread totals: SUM(members.unread_messages) and the count of channels with unread
-- messages, kept by triggers so every change of unread_messages (whoever makes it) moves them.
-- Every message.new carries its recipient's totals; summing them per recipient costs a row per
-- channel of the user, so a user in 100,000 channels made each message cost milliseconds.
-- Added later: databases made before get it (and its rows) when next opened.
CREATE TABLE IF NOT EXISTS unread_totals (
    user_id  TEXT PRIMARY KEY NOT NULL,
    messages INTEGER NOT NULL DEFAULT 0,
    channels INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS members_unread_insert AFTER INSERT ON members WHEN NEW.unread_messages != 0
BEGIN
    INSERT INTO unread_totals (user_id, messages, channels)
    VALUES (NEW.user_id, NEW.unread_messages, NEW.unread_messages > 0)
    ON CONFLICT(user_id) DO UPDATE SET messages = messages + excluded.messages, channels = channels + excluded.channels;
END;
CREATE TRIGGER IF NOT EXISTS members_unread_update AFTER UPDATE OF unread_messages ON members
WHEN NEW.unread_messages != OLD.unread_messages
BEGIN
    INSERT INTO unread_totals (user_id, messages, channels)
    VALUES (NEW.user_id, NEW.unread_messages - OLD.unread_messages, (NEW.unread_messages > 0) - (OLD.unread_messages > 0))
    ON CONFLICT(user_id) DO UPDATE SET messages = messages + excluded.messages, channels = channels + excluded.channels;
END;
CREATE TRIGGER IF NOT EXISTS members_unread_delete AFTER DELETE ON members WHEN OLD.unread_messages != 0
BEGIN
    UPDATE unread_totals SET messages = messages - OLD.unread_messages, channels = channels - (OLD.unread_messages > 0)
    WHERE user_id = OLD.user_id;
END;
)SQL";

/// Fills unread_totals from the members of a database made before it existed.
constexpr const char* backfill_unread_totals =
    "INSERT INTO unread_totals (user_id, messages, channels) "
    "SELECT user_id, SUM(unread_messages), SUM(unread_messages > 0) FROM members WHERE unread_messages != 0 "
    "GROUP BY user_id";

} // namespace

std::unique_ptr<store> store::open(const std::string& path, std::string& why)
{
    const std::string file = path.empty() ? std::string(":memory:") : path;
    sqlite3* db = nullptr;
    // NOMUTEX: one executor uses the store, so SQLite need not lock the connection around every
    // call (sqlite3_column_* included), which costs more than reading a page of rows.
    const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        why = "cannot open database '" + file + "': " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return nullptr;
    }
    std::unique_ptr<store> s(new store(db));
    try {
        sqlite3_busy_timeout(db, 5000);
        s->exec("PRAGMA foreign_keys = ON");
        if (file != ":memory:") {
            // WAL: readers never block the writer; NORMAL is durable across application crashes.
            s->exec("PRAGMA journal_mode = WAL");
            s->exec("PRAGMA synchronous = NORMAL");
        }
        const int version = s->user_version();
        if (version > schema_version) {
            why = "database '" + file + "' has schema version " + std::to_string(version) +
                  ", newer than this emulator's " + std::to_string(schema_version);
            return nullptr;
        }
        // Every open runs the script: IF NOT EXISTS leaves what is there and adds what a database
        // made by an older emulator lacks (an index), which needs no new version.
        s->create_schema();
    } catch (const std::exception& e) {
        why = "cannot initialise database '" + file + "': " + e.what();
        return nullptr;
    }
    return s;
}

store::~store()
{
    cache_.clear(); // finalize every statement before closing
    sqlite3_close(db_);
}

void store::create_schema()
{
    transaction tx(*this);
    bool had_totals = false;
    {
        statement q(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'unread_totals'");
        had_totals = q.step();
    }
    exec(schema);
    if (!had_totals) exec(backfill_unread_totals);
    exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
    tx.commit();
}

void store::exec(const char* sql)
{
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string why = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw store_error(why);
    }
}

store::stmt_ref store::use(std::string_view sql)
{
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
        auto stmt = std::make_unique<statement>(db_, sql);
        it = cache_.emplace(std::string(sql), cached{std::move(stmt), false}).first;
    }
    if (it->second.busy) {
        auto owned = std::make_unique<statement>(db_, sql);
        statement* raw = owned.get();
        return stmt_ref(raw, std::move(owned), nullptr);
    }
    it->second.busy = true;
    return stmt_ref(it->second.stmt.get(), nullptr, &it->second.busy);
}

// Every request runs in a transaction: cached statements, not sqlite3_exec, which would parse
// BEGIN and COMMIT again each time.
store::transaction::transaction(store& db) : db_(db), outer_(db.tx_depth_ == 0)
{
    if (outer_) db_.use("BEGIN IMMEDIATE")->run();
    ++db_.tx_depth_;
}

void store::transaction::commit()
{
    if (done_) return;
    done_ = true;
    --db_.tx_depth_;
    if (outer_) db_.use("COMMIT")->run();
}

store::transaction::~transaction()
{
    if (done_) return;
    --db_.tx_depth_;
    if (outer_) {
        try {
            db_.use("ROLLBACK")->run();
        } catch (...) {
            // Nothing more to do: SQLite rolls back on its own when a statement fails hard.
        }
    }
}

std::string store::json_list(const std::vector<std::string>& values)
{
    boost::json::array list;
    list.reserve(values.size());
    for (const auto& v : values) list.emplace_back(v);
    return boost::json::serialize(list);
}

int store::user_version()
{
    auto s = use("PRAGMA user_version");
    return s->step() ? static_cast<int>(s->int64(0)) : 0;
}

std::string store::query_plan(std::string_view sql)
{
    std::string text = "EXPLAIN QUERY PLAN ";
    text.append(sql);
    statement s(db_, text);
    std::string out;
    while (s.step()) {
        if (!out.empty()) out += '\n';
        out += s.text(3);
    }
    return out;
}

std::string store::integrity_check()
{
    statement s(db_, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) {
        if (!out.empty()) out += '\n';
        out += s.text(0);
    }
    return out;
}

std::int64_t store::changes() const noexcept { return sqlite3_changes64(db_); }

std::int64_t store::channel_count()
{
    auto s = use("SELECT COUNT(*) FROM channels");
    return s->step() ? s->int64(0) : 0;
}

// ------------------------------------------------------------------ presence

void store::subscribe_presence(const std::string& subscriber, const std::string& subject)
{
    if (subscriber.empty() || subscriber == subject) return;
    presence_[subject].insert(subscriber);
}

std::vector<std::string> store::presence_subscribers(const std::string& subject) const
{
    auto it = presence_.find(subject);
    if (it == presence_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

void store_deleter::operator()(store* s) const noexcept { delete s; }

} // namespace streamchat::emu
