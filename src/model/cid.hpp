#ifndef STREAMCHAT_SRC_MODEL_CID_HPP
#define STREAMCHAT_SRC_MODEL_CID_HPP

// A channel's cid (`type:id`): which channel an event is about, and the reference a REST call
// takes. One place, so that the client, its ingest and the channel list route alike.

#include <streamchat/api/channels.hpp>
#include <streamchat/model/event.hpp>

#include <optional>
#include <string_view>

namespace streamchat::detail {

/// The channel an event is routed to, as channel_store::apply() routes it: the top-level `cid`,
/// else the embedded channel's; empty when neither is present.
inline std::string_view event_cid(const event& e) noexcept
{
    if (e.cid) return *e.cid;
    if (e.channel) return e.channel->cid;
    return {};
}

/// `type:id` split at the first colon; nullopt without one.
inline std::optional<channel_ref> split_cid(std::string_view cid)
{
    const auto colon = cid.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return channel_ref{std::string(cid.substr(0, colon)), std::string(cid.substr(colon + 1))};
}

} // namespace streamchat::detail

#endif
