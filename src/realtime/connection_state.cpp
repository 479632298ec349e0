#include <streamchat/connection_state.hpp>

namespace streamchat {

std::string_view to_string(connection_state s) noexcept
{
    switch (s) {
    case connection_state::idle: return "idle";
    case connection_state::connecting: return "connecting";
    case connection_state::connected: return "connected";
    case connection_state::recovering: return "recovering";
    case connection_state::waiting: return "waiting";
    case connection_state::offline: return "offline";
    }
    return "unknown";
}

} // namespace streamchat
