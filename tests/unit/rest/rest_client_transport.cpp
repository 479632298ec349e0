// rest_client over a fake transport (no sockets): the endpoint key on each call, the envelope,
// concurrent code-40 answers refreshing the shared token once, and a send whose first attempt
// landed being recovered instead of posted twice.

#include <streamchat/rest_client.hpp>

#include "auth/token_refresher.hpp"
#include "rest/transport.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include <functional>
#include <map>

using namespace streamchat;
using namespace streamchat::detail;
namespace asio = boost::asio;
using streamchat::test::run_coro;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

/// Answers through a function of (endpoint, request); completes asynchronously like a network.
class fake_transport final : public transport {
public:
    using responder = std::function<http_response(endpoint_key, const http_request&)>;
    fake_transport(asio::any_io_executor ex, responder r) : ex_(std::move(ex)), respond_(std::move(r)) {}

    void async_send(endpoint_key ep, http_request req,
                    asio::any_completion_handler<void(error_code, http_response)> handler) override
    {
        endpoints.emplace_back(ep.name);
        requests.push_back(req);
        if (shut_) {
            asio::post(ex_, [h = std::move(handler)]() mutable { std::move(h)(error::shut_down, http_response{}); });
            return;
        }
        http_response res = respond_(ep, req);
        if (res.attempts == 0) res.attempts = 1;
        asio::post(ex_, [h = std::move(handler), res = std::move(res)]() mutable { std::move(h)(error_code{}, res); });
    }
    void shutdown() override { shut_ = true; }

    std::vector<std::string> endpoints;
    std::vector<http_request> requests;

private:
    asio::any_io_executor ex_;
    responder respond_;
    bool shut_ = false;
};

http_response answer(int status, std::string body)
{
    http_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

std::string auth_of(const http_request& r) { return std::string(find_header(r.headers, "Authorization").value_or("")); }

client_config config()
{
    client_config c;
    c.api_key = "key1";
    c.user_id = "john";
    return c;
}

} // namespace

TEST_CASE("every call names its endpoint for rate budgets")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto net = std::make_shared<fake_transport>(ex, [](endpoint_key, const http_request&) {
            return answer(200, R"({"channels":[],"users":[],"duration":"1ms"})");
        });
        auto cfg = config();
        cfg.token = "t";
        rest_client client(ex, cfg, net, nullptr);
        // Named requests: g++ 12 mis-destroys braced temporaries inside co_await.
        query_channels_request qc;
        (void)co_await client.async_query_channels(qc, tuple_token);
        query_users_request qu;
        qu.filter_conditions = filter::in("id", {"a"});
        (void)co_await client.async_query_users(qu, tuple_token);
        channel_ref general{"messaging", "general"};
        (void)co_await client.async_stop_watching(general, tuple_token);
        CHECK(net->endpoints == std::vector<std::string>{"query_channels", "query_users", "stop_watching"});
        CHECK(net->requests.at(0).target.starts_with("/channels?user_id=john&api_key=key1"));
        client.shutdown();
        auto [ec, r] = co_await client.async_query_channels(qc, tuple_token);
        CHECK(ec == error::shut_down);
    });
}

TEST_CASE("concurrent code-40 answers refresh the shared token once, every request is resent with it")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto net = std::make_shared<fake_transport>(ex, [](endpoint_key, const http_request& r) {
            if (auth_of(r) == "token-1")
                return answer(401, R"({"code":40,"StatusCode":401,"message":"token expired","duration":"0ms"})");
            return answer(200, R"({"users":[],"duration":"1ms"})");
        });
        int calls = 0;
        std::vector<asio::any_completion_handler<void(error_code, std::string)>> parked;
        // Tokens arrive later, so every request sees its 40 before the refresh completes.
        auto refresher = std::make_shared<token_refresher>(
            ex, "token-1", [&](asio::any_completion_handler<void(error_code, std::string)> h) {
                ++calls;
                asio::post(ex, [h = std::move(h), n = calls]() mutable {
                    std::move(h)(error_code{}, "token-" + std::to_string(n + 1));
                });
            });
        rest_client client(ex, config(), net, refresher);

        query_users_request req;
        req.filter_conditions = filter::in("id", {"jack"});
        constexpr int n = 50;
        int ok = 0, done = 0;
        for (int i = 0; i < n; ++i)
            client.async_query_users(req, [&](error_code ec, query_users_response) {
                ok += !ec;
                ++done;
            });
        asio::steady_timer t(ex);
        while (done < n) {
            t.expires_after(std::chrono::milliseconds(1));
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(ok == n);
        CHECK(calls == 1);
        CHECK(refresher->token() == "token-2");
        REQUIRE(net->requests.size() == 2 * n);
        int fresh = 0;
        for (const auto& r : net->requests) fresh += auth_of(r) == "token-2";
        CHECK(fresh == n);
    });
}

TEST_CASE("a send refused as a duplicate after a retried attempt fetches the stored message")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        int send_attempts = 1;
        auto net = std::make_shared<fake_transport>(ex, [&](endpoint_key ep, const http_request& r) {
            if (ep.name == "send_message") {
                http_response res = answer(
                    400, R"({"code":4,"StatusCode":400,"message":"a message with ID m1 already exists","duration":"0ms"})");
                res.attempts = send_attempts; // the transport resent after a lost connection
                return res;
            }
            CHECK(r.method == http_verb::get);
            CHECK(r.target.starts_with("/messages/m1?"));
            return answer(200, R"({"message":{"id":"m1","text":"hi","type":"regular"},"duration":"1ms"})");
        });
        auto cfg = config();
        cfg.token = "t";
        rest_client client(ex, cfg, net, nullptr);
        send_message_request req;
        req.type = "messaging";
        req.id = "general";
        req.message.id = "m1";
        req.message.text = "hi";

        // One attempt: the refusal is a real error (nothing says an earlier attempt of ours landed).
        diagnostics diag;
        auto [ec, res] = co_await client.async_send_message(req, diag, tuple_token);
        CHECK(ec == api_errc::input_error);
        CHECK(net->endpoints == std::vector<std::string>{"send_message"});

        // Two attempts: the first landed; the stored message is the answer, posted once.
        send_attempts = 2;
        auto [ec2, res2] = co_await client.async_send_message(req, diag, tuple_token);
        REQUIRE_FALSE(ec2);
        CHECK(res2.message.id == "m1");
        CHECK(diag.attempts == 3);
        CHECK(net->endpoints == std::vector<std::string>{"send_message", "send_message", "get_message"});
    });
}
