#ifndef STREAMCHAT_MODEL_USER_HPP
#define STREAMCHAT_MODEL_USER_HPP

/// @file
/// A chat user as the server returns it (`UserResponse`, docs/protocol.md §7.3).

#include <streamchat/timestamp.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// A user. Only `id` is always known: events embed partial users (`{"id":"jack"}` in typing and
/// watching events), so every other field is optional even where the spec marks it required —
/// a default such as `online = false` would overwrite what a cache already knows.
struct user {
    std::string id{};                                ///< Unique user id (required on decode).
    std::optional<std::string> role{};               ///< `user`, `admin`, `guest`, `anonymous`, …
    std::optional<std::string> name{};               ///< Built-in display name.
    std::optional<std::string> image{};              ///< Built-in avatar URL.
    std::optional<std::string> language{};           ///< Preferred language; `""` allowed.
    std::optional<bool> online{};                    ///< Presence at the time of the payload.
    std::optional<bool> banned{};                    ///< Globally banned.
    std::optional<bool> shadow_banned{};             ///< Shadow-banned (messages hidden from others).
    std::optional<bool> invisible{};                 ///< Appears offline to others.
    std::optional<std::vector<std::string>> teams{}; ///< Teams of a multi-tenant app.
    std::optional<std::vector<std::string>> blocked_user_ids{}; ///< Users this user blocked.
    std::optional<timestamp> created_at{};           ///< Creation time.
    std::optional<timestamp> updated_at{};           ///< Last update.
    std::optional<timestamp> last_active{};          ///< Last time the user was seen online.
    std::optional<timestamp> deactivated_at{};       ///< Set while deactivated.
    std::optional<timestamp> deleted_at{};           ///< Set once deleted.
    /// Every other key: custom data (flattened on the wire, docs/protocol.md §7.1) and Stream
    /// fields not modelled here (`teams_role`, `privacy_settings`, …). Written back unchanged.
    boost::json::object extra{};
};

} // namespace streamchat

#endif
