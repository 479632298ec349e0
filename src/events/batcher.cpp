#include "events/batcher.hpp"

#include <streamchat/model/event.hpp>

namespace streamchat::detail {

std::optional<coalesce_key> coalesce_key_for(event_type type, std::string_view cid,
                                             std::string_view user_id,
                                             std::string_view parent_id) noexcept
{
    switch (type) {
    case event_type::typing_start:
    case event_type::typing_stop:
        if (cid.empty() || user_id.empty())
            return std::nullopt;
        return coalesce_key{event_type::typing_start, cid, user_id, parent_id};
    case event_type::user_watching_start:
    case event_type::user_watching_stop:
        if (cid.empty() || user_id.empty())
            return std::nullopt;
        return coalesce_key{event_type::user_watching_start, cid, user_id, {}};
    case event_type::user_presence_changed:
        if (user_id.empty())
            return std::nullopt;
        return coalesce_key{type, {}, user_id, {}};
    case event_type::message_read:
        if (cid.empty() || user_id.empty())
            return std::nullopt;
        return coalesce_key{type, cid, user_id, parent_id};
    case event_type::notification_mark_read:
        // Sent to the reader's own connections only, often without `user` and, for a change of
        // totals alone, without `cid`: both may be empty and still name one state.
        return coalesce_key{type, cid, user_id, parent_id};
    default:
        return std::nullopt;
    }
}

} // namespace streamchat::detail
