#ifndef STREAMCHAT_SRC_EMULATOR_HANDLERS_SESSION_HPP
#define STREAMCHAT_SRC_EMULATOR_HANDLERS_SESSION_HPP

// What every endpoint handler shares: the per-request session (caller, clock, user cache),
// input readers that name the offending field, access rules and event emission.
//
// Handlers report bad input by throwing `api_failure`; `handle()` (router.cpp) catches it at the
// top and answers with the error envelope, so no exception leaves the data plane.

#include "emulator/api.hpp"
#include "emulator/hub.hpp"
#include "emulator/store/store.hpp"

#include <streamchat/model/channel.hpp>
#include <streamchat/model/user.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace streamchat::emu {

namespace json = boost::json;

/// An error answer: Stream `code`, HTTP status and the reason inside the message.
struct api_failure {
    int code;
    int status;
    std::string reason;
};

[[noreturn]] void fail(int code, int status, std::string reason);
/// 400, code 4 (input error).
[[noreturn]] void bad_input(std::string reason);
/// 404, code 16 (does not exist).
[[noreturn]] void not_found(std::string reason);
/// 403, code 17 (not allowed).
[[noreturn]] void not_allowed(std::string reason);

/// Path parameters of the matched route, e.g. {"type", "messaging"}.
using path_params = std::unordered_map<std::string, std::string>;

/// One request in flight.
class session {
public:
    session(context& c, const api_request& r);

    context& ctx;
    const api_request& req;
    const caller& who;
    nanos now;
    std::string now_text; ///< `now` in RFC 3339, for `created_at` of events.

    store& db() { return ctx.db; }
    hub& realtime() { return ctx.realtime; }

    /// The user acting: the token's user, or for server tokens the `user_id` given (query or
    /// body). Throws 400/code 4 when a server request names no user and one is needed.
    const std::string& acting_user(std::string_view hint = {});
    /// True when the caller may read `c`: server tokens, members, its creator, and anyone
    /// (anonymous users included) for public `livestream` channels.
    bool can_read(const channel_row& c, const std::optional<member_row>& membership) const;
    /// The caller's membership of `cid` (none for server tokens without a user).
    std::optional<member_row> membership(const std::string& cid);

    /// A user as anyone may see it (UserResponse: custom fields flattened, `online` from the
    /// hub), without the private settings only the user's own `me` shows (docs/protocol.md
    /// §7.3). Cached for the request; an unknown id gives `{id}` only.
    const streamchat::user& user_model(const std::string& id);
    /// user_model() encoded, cached too: a page of channels shows the same users many times.
    const json::object& user_object(const std::string& id);
    json::object user_json(const std::string& id) { return user_object(id); }
    /// Loads the users of `ids` that are not cached yet with one query.
    void preload_users(const std::vector<std::string>& ids);
    /// The user as stored, private settings (`invisible`, `privacy_settings`, …) included: the
    /// base of the own user. Not cached.
    streamchat::user stored_user(const std::string& id);
    void forget_user(const std::string& id)
    {
        users_.erase(id);
        user_objects_.erase(id);
    }

    /// The connection the request names in `connection_id` when it belongs to the caller.
    std::optional<std::string> own_connection() const;

private:
    streamchat::user user_from(const std::string& id, const std::optional<user_row>& row);
    const streamchat::user& cache_public(const std::string& id, streamchat::user u);

    std::unordered_map<std::string, streamchat::user> users_;
    std::unordered_map<std::string, json::object> user_objects_;
    std::string acting_;
};

// ------------------------------------------------------------------ input

/// `text` with each byte that does not belong to a well-formed UTF-8 sequence (overlongs,
/// surrogates and code points above U+10FFFF included) replaced by U+FFFD. Paths and query
/// values arrive percent-decoded, and Boost.JSON writes strings byte for byte: one stray byte
/// echoed in an answer makes the whole body invalid JSON.
std::string well_formed_utf8(std::string_view text);

/// The JSON body as an object (empty body → {}). Malformed JSON or a non-object is 400/code 4.
json::object parse_body(const api_request& r);
/// Parses JSON text given in a query parameter (e.g. `payload`).
json::object parse_json_param(std::string_view text, std::string_view name);

/// Typed readers: absent or null → nullopt/default; a wrong type is 400/code 4 naming `name`.
std::optional<bool> read_bool(const json::object& o, std::string_view key, std::string_view name);
std::optional<std::string> read_string(const json::object& o, std::string_view key, std::string_view name);
const json::object* read_object(const json::object& o, std::string_view key, std::string_view name);
const json::array* read_array(const json::object& o, std::string_view key, std::string_view name);
/// An integer in [min, max]; `fallback` when absent.
int read_int(const json::object& o, std::string_view key, std::string_view name, int fallback, int min, int max);

/// `type`/`id` path parameters checked against the id rules (docs/protocol.md §3.1).
void check_channel_path(const std::string& type, const std::string& id);

/// User ids from `members`-like arrays: strings or objects with `user_id` (or `user.id`), and the
/// `channel_role` when given.
struct member_input {
    std::string user_id;
    std::optional<std::string> channel_role;
};
std::vector<member_input> read_member_list(const json::value& v, std::string_view name, std::size_t max);

// ------------------------------------------------------------------ events

/// The fields every channel event carries: type, cid, channel_id, channel_type, created_at.
json::object channel_event(session& s, std::string_view type, const channel_row& c);
/// Appends the event to the log and sends it to the channel's watchers; `personal` (optional)
/// adds per-recipient fields.
void emit_to_watchers(session& s, const channel_row& c, const json::object& event,
                      const std::function<void(const std::string&, json::object&)>& personal = {});
/// Adds a user's unread totals (`total_unread_count`, `unread_count`, `unread_channels`).
void add_unread_totals(session& s, const std::string& user_id, json::object& event);

} // namespace streamchat::emu

#endif
