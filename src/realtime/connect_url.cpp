#include "realtime/connect_url.hpp"

#include "wire/url.hpp"

#include <streamchat/version.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace streamchat::detail {

namespace json = boost::json;

std::string make_connect_target(const std::string& base_path, const client_config& cfg, const user_input& details,
                                const std::string& token, const std::string& client_request_id)
{
    json::object user;
    user["id"] = details.id.empty() ? cfg.user_id : details.id;
    if (details.name) user["name"] = *details.name;
    if (details.image) user["image"] = *details.image;
    for (const auto& kv : details.custom)
        if (!user.contains(kv.key())) user.emplace(kv.key(), kv.value());

    json::object payload;
    payload["user_id"] = cfg.user_id;
    payload["user_details"] = std::move(user);
    payload["client_request_id"] = client_request_id;

    const bool jwt = cfg.auth == auth_type::jwt;
    query_builder q;
    q.add("json", json::serialize(payload));
    q.add("api_key", cfg.api_key);
    q.add("authorization", jwt ? token : std::string{});
    q.add("stream-auth-type", jwt ? "jwt" : "anonymous");
    q.add("X-Stream-Client", client_identifier);
    return q.target(base_path + "/connect");
}

std::string make_ping_frame(const std::string& client_id)
{
    json::object ping;
    ping["type"] = "health.check";
    ping["client_id"] = client_id;
    json::array frame;
    frame.push_back(std::move(ping));
    return json::serialize(frame);
}

} // namespace streamchat::detail
