// A tour of the REST layer: make a token, page a user's channels, send a message, look up
// profiles in one batched call, and handle errors with diagnostics.
//
//   cpp20_rest_tour BASE_URL API_KEY API_SECRET USER_ID
//
// Against Stream's hosted API: cpp20_rest_tour https://chat.stream-io-api.com <key> <secret> john
// Against the local emulator (no account needed), see README.md "To run the emulator on its own".

#include <streamchat/streamchat.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <set>
#include <string>

namespace asio = boost::asio;
using namespace streamchat;

namespace {

void report(const char* what, error_code ec, const diagnostics& diag)
{
    std::fprintf(stderr, "%s failed: %s (%s)\n", what, ec.message().c_str(), diag.client_message.c_str());
    if (diag.server)
        std::fprintf(stderr, "  Stream code %d, HTTP %d: %s\n", diag.server->code, diag.server->status_code,
                     diag.server->message.c_str());
    if (is_rate_limited(ec) && diag.rate_limit.retry_after)
        std::fprintf(stderr, "  retry after %llds\n", static_cast<long long>(diag.rate_limit.retry_after->count()));
}

asio::awaitable<void> tour(client_config cfg)
{
    constexpr auto token = asio::as_tuple(asio::use_awaitable);
    rest_client client(co_await asio::this_coro::executor, cfg);
    diagnostics diag;

    // 1. The first page of the user's channels, most recent first, one message each.
    query_channels_request page;
    page.filter_conditions = filter::eq("type", "messaging") && filter::members_in({cfg.user_id});
    page.sort = sort::by("last_message_at", sort_direction::descending);
    page.limit = 30;
    page.message_limit = 1;
    auto [ec, channels] = co_await client.async_query_channels(page, diag, token);
    if (ec) co_return report("query_channels", ec, diag);
    std::printf("%zu channels\n", channels.channels.size());

    // 2. Profiles of everyone who wrote the last messages: one batched call, not one per row.
    std::set<std::string> authors;
    for (const auto& c : channels.channels)
        for (const auto& m : c.messages)
            if (!m.user.id.empty()) authors.insert(m.user.id);
    if (!authors.empty()) {
        query_users_request users;
        users.filter_conditions = filter::in("id", std::vector<std::string>(authors.begin(), authors.end()));
        auto [uec, found] = co_await client.async_query_users(users, diag, token);
        if (uec) co_return report("query_users", uec, diag);
        for (const auto& u : found.users) std::printf("  %s\n", u.name.value_or(u.id).c_str());
    }

    // 3. Send a message: the SDK picks the id, so a retry after a lost response never duplicates it.
    if (!channels.channels.empty()) {
        send_message_request send;
        send.type = channels.channels[0].channel.type;
        send.id = channels.channels[0].channel.id;
        send.message.text = "hello from streamchat";
        auto [sec, sent] = co_await client.async_send_message(send, diag, token);
        if (sec) co_return report("send_message", sec, diag);
        std::printf("sent %s\n", sent.message.id.c_str());
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s BASE_URL API_KEY API_SECRET USER_ID\n", argv[0]);
        return 2;
    }
    client_config cfg;
    cfg.base_url = argv[1];
    cfg.api_key = argv[2];
    cfg.user_id = argv[4];
    // In production the token comes from your backend; signing here keeps the tour self-contained.
    cfg.token = make_user_token(argv[3], cfg.user_id);

    asio::io_context ioc;
    asio::co_spawn(ioc, tour(std::move(cfg)), asio::detached);
    ioc.run();
}
