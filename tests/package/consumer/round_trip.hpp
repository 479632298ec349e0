// A real REST round trip against an emulator, shared by both consumers: the SDK's Asio sockets,
// its Boost.JSON codec and OpenSSL (the client's TLS context, the HS256 tokens) all take part.
#ifndef STREAMCHAT_CONSUMER_ROUND_TRIP_HPP
#define STREAMCHAT_CONSUMER_ROUND_TRIP_HPP

#include <streamchat/streamchat.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace consumer {

/// Upserts a user with a server token, then finds it as that user. Empty on success, else why not.
inline boost::asio::awaitable<std::string> round_trip(std::string base_url, std::string api_key,
                                                      std::string api_secret)
{
    namespace asio = boost::asio;
    using namespace streamchat;
    constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);
    const auto ex = co_await asio::this_coro::executor;
    const std::string id = "package-consumer";
    diagnostics diag;
    const auto why = [&](const char* what, error_code ec) {
        std::string s = std::string(what) + ": " + ec.message() + " (HTTP " + std::to_string(diag.http_status) + ")";
        if (!diag.client_message.empty()) s += "; " + diag.client_message;
        if (diag.server) s += "; server: " + diag.server->message;
        return s;
    };

    rest_client admin(ex, client_config{.base_url = base_url, .api_key = api_key,
                                        .token = make_server_token(api_secret)});
    // Requests are named before co_await: g++ 12 mishandles temporaries inside it.
    std::vector<user_input> users(1);
    users[0].id = id;
    users[0].name = "Package Consumer";
    users[0].custom["team"] = "red";
    auto [uec, upserted] = co_await admin.async_upsert_users(users, diag, tuple_token);
    if (uec) co_return why("upsert_users", uec);
    if (!upserted.users.contains(id)) co_return "upsert_users: the answer lacks " + id;

    const auto token = make_user_token(api_secret, id);
    if (!verify_token(token, api_secret, std::chrono::system_clock::now()).has_value())
        co_return std::string("verify_token refused a token just made");
    rest_client user(ex, client_config{.base_url = base_url, .api_key = api_key, .user_id = id, .token = token});
    query_users_request query;
    query.filter_conditions = filter::eq("id", id);
    auto [qec, found] = co_await user.async_query_users(query, diag, tuple_token);
    if (qec) co_return why("query_users", qec);
    if (found.users.size() != 1) co_return "query_users: " + std::to_string(found.users.size()) + " users, not 1";
    const auto& u = found.users.front();
    const auto* team = u.extra.if_contains("team");
    if (u.id != id || u.name != "Package Consumer" || !team || !team->is_string() || team->get_string() != "red")
        co_return std::string("query_users: the user came back different");
    co_return std::string{};
}

} // namespace consumer

#endif
