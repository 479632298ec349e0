#ifndef STREAMCHAT_USER_PROFILE_HPP
#define STREAMCHAT_USER_PROFILE_HPP

/// @file
/// What a list row needs to show a user: a compact copy of the user, cheap to cache by the
/// thousand (no custom data, no JSON).

#include <streamchat/timestamp.hpp>

#include <optional>
#include <string>

namespace streamchat {

struct user; // <streamchat/model/user.hpp>

/// A user as rows and avatars show it.
struct user_profile {
    std::string id{};                       ///< User id.
    std::string name{};                     ///< Display name; empty when the user has none.
    std::string image{};                    ///< Avatar URL; empty when none.
    bool online = false;                    ///< Presence as last reported.
    std::optional<timestamp> last_active{}; ///< Last time seen online, when known.

    friend bool operator==(const user_profile&, const user_profile&) = default;
};

/// The profile of a full user object (a query result, a channel member, a message author).
/// Absent fields give their defaults.
user_profile to_profile(const user& u);

} // namespace streamchat

#endif
