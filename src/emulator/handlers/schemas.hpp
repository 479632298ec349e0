#ifndef STREAMCHAT_SRC_EMULATOR_HANDLERS_SCHEMAS_HPP
#define STREAMCHAT_SRC_EMULATOR_HANDLERS_SCHEMAS_HPP

// What queryChannels and queryUsers filters and sorts may name (docs/protocol.md §9.2, §9.3), as
// trusted SQL expressions for sql_filter. The channel query aliases `channels c` and the caller's
// membership `members me`; the user query aliases `users u`.

#include "emulator/sql_filter.hpp"

#include <string>

namespace streamchat::emu {

/// Channel fields. `member_driven`: the query walks the caller's memberships (`me` is always
/// present), so `last_message_at` and `last_updated` read the members copies and follow the
/// indexes members(user_id, last_message_at) and members(user_id, last_updated).
filter_schema channel_schema(bool member_driven);

/// User fields.
filter_schema user_schema();

/// The queryChannels SELECT: columns of `channels c` in store order (0..11), then those of the
/// membership `me` (12..21, store::member_from; NULL when none), FROM/JOIN for the caller, WHERE
/// (`where` fragment), ORDER BY (`order` fragment), LIMIT ? OFFSET ?. Parameters in text order:
/// [caller id], where params, order params, limit, offset.
struct channel_query {
    std::string sql;
    std::vector<sql_param> params;
};
enum class channel_scope {
    member,    ///< Channels the user is a member of.
    all,       ///< Server tokens: every channel (`me` is the acting user's membership, if any).
    anonymous  ///< Anonymous users: public (livestream) channels only.
};
channel_query build_channel_query(channel_scope scope, const std::string& user_id, const sql_fragment& where,
                                  const sql_fragment& order, int limit, int offset);

} // namespace streamchat::emu

#endif
