#include "emulator/store/statement.hpp"

#include <sqlite3.h>

#include <climits>

namespace streamchat::emu {

statement::statement(sqlite3* db, std::string_view sql) : db_(db)
{
    if (sql.size() > static_cast<std::size_t>(INT_MAX)) throw store_error("SQL text too long");
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt_, nullptr);
    if (rc != SQLITE_OK) {
        std::string why = "prepare failed: ";
        why += sqlite3_errmsg(db);
        why += " in: ";
        why.append(sql.substr(0, 200));
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        throw store_error(why);
    }
    if (!stmt_) throw store_error("prepare failed: empty statement");
}

statement::~statement() { sqlite3_finalize(stmt_); }

void statement::check(int rc, const char* what)
{
    if (rc == SQLITE_OK) return;
    std::string why = what;
    why += ": ";
    why += sqlite3_errmsg(db_);
    throw store_error(why);
}

statement& statement::bind(int index, std::nullptr_t)
{
    check(sqlite3_bind_null(stmt_, index), "bind");
    return *this;
}

statement& statement::bind(int index, std::int64_t v)
{
    check(sqlite3_bind_int64(stmt_, index, v), "bind");
    return *this;
}

statement& statement::bind(int index, double v)
{
    check(sqlite3_bind_double(stmt_, index, v), "bind");
    return *this;
}

statement& statement::bind(int index, std::string_view v)
{
    check(sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "bind");
    return *this;
}

statement& statement::bind(int index, const sql_param& v)
{
    std::visit([&](const auto& x) { bind(index, x); }, v);
    return *this;
}

int statement::bind_all(int first, const std::vector<sql_param>& params)
{
    for (const auto& p : params) bind(first++, p);
    return first;
}

bool statement::step()
{
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string why = "step failed: ";
    why += sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    throw store_error(why);
}

void statement::run()
{
    while (step()) {
    }
}

void statement::reset() noexcept
{
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double statement::real(int col) const { return sqlite3_column_double(stmt_, col); }

std::string statement::text(int col) const
{
    const auto* p = sqlite3_column_text(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::optional<std::int64_t> statement::opt_int64(int col) const
{
    if (is_null(col)) return std::nullopt;
    return int64(col);
}

std::optional<std::string> statement::opt_text(int col) const
{
    if (is_null(col)) return std::nullopt;
    return text(col);
}

} // namespace streamchat::emu
