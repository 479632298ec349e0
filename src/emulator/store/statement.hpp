#ifndef STREAMCHAT_SRC_EMULATOR_STORE_STATEMENT_HPP
#define STREAMCHAT_SRC_EMULATOR_STORE_STATEMENT_HPP

// A thin RAII layer over the sqlite3 C API: one prepared statement, typed binding and column
// access. Every SQL text the emulator runs goes through here with bound parameters; nothing the
// client sends is ever spliced into SQL.

#include "emulator/sql_filter.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace streamchat::emu {

/// A SQLite failure. Thrown inside the data plane only; `handle()` turns it into 500 / code -1.
class store_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One prepared statement. Binding indexes are 1-based (SQLite's convention); column indexes
/// are 0-based.
class statement {
public:
    statement(sqlite3* db, std::string_view sql);
    ~statement();
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int index, std::nullptr_t);
    statement& bind(int index, std::int64_t v);
    statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
    statement& bind(int index, bool v) { return bind(index, static_cast<std::int64_t>(v ? 1 : 0)); }
    statement& bind(int index, double v);
    statement& bind(int index, std::string_view v);
    statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
    statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
    statement& bind(int index, const sql_param& v);
    template <class T>
    statement& bind(int index, const std::optional<T>& v)
    {
        if (v) return bind(index, *v);
        return bind(index, nullptr);
    }
    /// Binds `params` to ?1…?n starting at `first`; returns the next free index.
    int bind_all(int first, const std::vector<sql_param>& params);

    /// Runs one step: true when a row is available, false when done. Throws store_error.
    bool step();
    /// Runs to completion (for statements without result rows).
    void run();
    /// Ready for reuse: resets and clears the bindings.
    void reset() noexcept;

    bool is_null(int col) const;
    std::int64_t int64(int col) const;
    double real(int col) const;
    std::string text(int col) const;
    std::optional<std::int64_t> opt_int64(int col) const;
    std::optional<std::string> opt_text(int col) const;

    sqlite3_stmt* native() const noexcept { return stmt_; }

private:
    void check(int rc, const char* what);
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

} // namespace streamchat::emu

#endif
