#ifndef STREAMCHAT_API_USERS_HPP
#define STREAMCHAT_API_USERS_HPP

/// @file
/// Requests and responses of the user endpoints (docs/protocol.md §2.6).

#include <streamchat/filter.hpp>
#include <streamchat/model/user.hpp>
#include <streamchat/sort.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace streamchat {

/// `GET /users?payload=`. Batch profile look-ups with `filter::in("id", ids)` (≤ 100 ids).
struct query_users_request {
    filter filter_conditions{};  ///< Required by the server; `filter::all()` matches everyone.
    streamchat::sort sort{};     ///< At most 5 fields; empty = server default.
    std::optional<int> limit{};  ///< 0..100 (server default 30).
    std::optional<int> offset{}; ///< 0..1000.
    bool presence = false;       ///< Subscribe to presence of the returned users.
    std::optional<bool> include_deactivated_users{}; ///< Include deactivated users.
};

/// Result of `GET /users`.
struct query_users_response {
    std::vector<user> users{}; ///< Matching users.
    std::string duration{};    ///< Server-side duration.
};

/// A user as written by `POST /users` (server token).
struct user_input {
    std::string id{};                  ///< Required.
    std::optional<std::string> name{}; ///< Display name.
    std::optional<std::string> image{};///< Avatar URL.
    std::optional<std::string> role{}; ///< Role (server-side only).
    boost::json::object custom{};      ///< Custom fields, flattened.
};

/// One entry of `PATCH /users`.
struct user_partial_update {
    std::string id{};                 ///< Required.
    boost::json::object set{};        ///< Fields to set.
    std::vector<std::string> unset{}; ///< Fields to remove.
};

/// Result of `POST /users` and `PATCH /users`: the stored users by id.
struct users_response {
    std::map<std::string, user> users{}; ///< Stored users keyed by id.
    std::string duration{};              ///< Server-side duration.
};

} // namespace streamchat

#endif
