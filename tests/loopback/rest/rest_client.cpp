// rest_client against a scripted loopback server: the exact wire envelope, validation before
// sending, error envelopes, token refresh on code 40, malformed bodies, cancellation.
#include <streamchat/rest_client.hpp>
#include <streamchat/token.hpp>
#include <streamchat/version.hpp>

#include "wire/url.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <regex>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace streamchat;
using streamchat::test::run_coro;
using streamchat::test::scripted_reply;
using streamchat::test::scripted_request;
using streamchat::test::scripted_server;
using streamchat::test::http_response;
using streamchat::test::reply_action;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

// Named, never a temporary inside `co_await f(T{})`: g++ 12 destroys such aggregate temporaries
// twice in coroutines (a compiler bug, seen under ASan).
const query_channels_request empty_query{};

const std::string john_token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiam9obiJ9.yrpLD2gUq_TIyxMKpDBHQO391KGCNrFl-RvMT-p90MU";

client_config config_for(const scripted_server& server)
{
    client_config cfg;
    cfg.base_url = server.base_url();
    cfg.api_key = "key1";
    cfg.user_id = "john";
    cfg.token = john_token;
    cfg.http.retry_backoff_initial = std::chrono::milliseconds(5);
    cfg.http.retry_backoff_max = std::chrono::milliseconds(20);
    return cfg;
}

std::string ok(std::string_view body) { return http_response(201, body, {{"Content-Type", "application/json"}}); }

const char* channel_page = R"({"channels":[{"channel":{"id":"general","type":"messaging","cid":"messaging:general",
  "created_at":"2024-01-01T10:00:00.123456Z","updated_at":"2024-01-01T10:00:00Z","name":"General"},
  "messages":[{"id":"m1","text":"hi","type":"regular","user":{"id":"jack"},"created_at":"2024-01-01T10:00:00.5Z"}],
  "members":[],"read":[],"pinned_messages":[],"watcher_count":1}],"duration":"1.23ms"})";

std::string error_body(int code, int status, std::string_view message)
{
    json::object o{{"code", code}, {"message", message}, {"StatusCode", status}, {"duration", "0.1ms"},
                   {"more_info", "https://getstream.io/chat/docs/api_errors_response"}, {"details", json::array{}}};
    return json::serialize(o);
}

std::map<std::string, std::string> query_of(const std::string& target)
{
    std::map<std::string, std::string> out;
    auto q = target.find('?');
    if (q == std::string::npos) return out;
    std::string rest = target.substr(q + 1);
    const auto decode = [](std::string_view v) { return streamchat::detail::percent_decode(v); };
    std::size_t pos = 0;
    while (pos <= rest.size()) {
        auto amp = rest.find('&', pos);
        auto part = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        auto eq = part.find('=');
        out[decode(part.substr(0, eq))] = eq == std::string::npos ? "" : decode(part.substr(eq + 1));
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    return out;
}

} // namespace

TEST_CASE("query_channels puts the exact Stream envelope on the wire and decodes the page")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        scripted_server server(ex, [](const scripted_request&) { return scripted_reply{ok(channel_page)}; });
        rest_client client(ex, config_for(server));
        client.set_connection_id("conn-1");

        query_channels_request req;
        req.filter_conditions = filter::members_in({"john"});
        req.sort = streamchat::sort{{{"last_message_at", sort_direction::descending}}};
        req.limit = 10;
        diagnostics diag;
        auto [ec, page] = co_await client.async_query_channels(req, diag, tuple_token);
        REQUIRE_FALSE(ec);
        REQUIRE(page.channels.size() == 1);
        CHECK(page.channels[0].channel.cid == "messaging:general");
        CHECK(page.channels[0].messages.at(0).text == "hi");
        CHECK(page.duration == "1.23ms");
        CHECK(diag.http_status == 201);
        CHECK(diag.attempts == 1);

        REQUIRE(server.requests().size() == 1);
        const auto& r = server.requests()[0];
        CHECK(r.method == "POST");
        CHECK(r.target == "/channels?user_id=john&connection_id=conn-1&api_key=key1");
        CHECK(r.header("Authorization").value() == john_token); // raw JWT, no "Bearer "
        CHECK(r.header("stream-auth-type").value() == "jwt");
        CHECK(r.header("X-Stream-Client").value() == std::string("streamchat-cpp-v") + STREAMCHAT_VERSION_STRING);
        CHECK(r.header("Content-Type").value() == "application/json");
        const std::string rid(r.header("x-client-request-id").value());
        CHECK(std::regex_match(rid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
        CHECK(diag.client_request_id == rid);
        CHECK(r.body == R"({"filter_conditions":{"members":{"$in":["john"]}},"sort":[{"field":"last_message_at","direction":-1}],"state":true,"watch":true,"presence":false,"limit":10})");
    });
}

TEST_CASE("watch is sent as false without a connection id, and anonymous users send no token")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        scripted_server server(ex, [](const scripted_request&) { return scripted_reply{ok(R"({"channels":[],"duration":"1ms"})")}; });
        auto cfg = config_for(server);
        cfg.auth = auth_type::anonymous;
        cfg.token.clear();
        rest_client client(ex, cfg);
        auto [ec, page] = co_await client.async_query_channels(empty_query, tuple_token);
        REQUIRE_FALSE(ec);
        CHECK(page.channels.empty());
        const auto& r = server.requests().at(0);
        CHECK(json::parse(r.body).at("watch") == false);
        CHECK_FALSE(r.header("Authorization").has_value());
        CHECK(r.header("stream-auth-type").value() == "anonymous");
        CHECK(r.target == "/channels?user_id=john&api_key=key1");
    });
}

TEST_CASE("invalid requests are refused before anything is sent")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        scripted_server server(ex, [](const scripted_request&) { return scripted_reply{ok("{}")}; });
        rest_client client(ex, config_for(server));
        diagnostics diag;

        query_channels_request big;
        big.limit = 31;
        auto [e1, r1] = co_await client.async_query_channels(big, diag, tuple_token);
        CHECK(e1 == error::limit_exceeded);
        CHECK(diag.client_message.find("limit") != std::string::npos);

        query_channels_request far;
        far.offset = 1001;
        auto [e2, r2] = co_await client.async_query_channels(far, diag, tuple_token);
        CHECK(e2 == error::limit_exceeded);

        query_channels_request bad_filter;
        bad_filter.filter_conditions = filter::in("cid", {});
        auto [e3, r3] = co_await client.async_query_channels(bad_filter, diag, tuple_token);
        CHECK(e3 == error::invalid_filter);

        query_channel_request bad_id;
        bad_id.type = "messaging";
        bad_id.id = "has:colon";
        auto [e4, r4] = co_await client.async_query_channel(bad_id, diag, tuple_token);
        CHECK(e4 == error::invalid_id);

        sync_request too_many;
        too_many.last_sync_at = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
        for (int i = 0; i < 256; ++i) too_many.channel_cids.push_back("messaging:c" + std::to_string(i));
        auto [e5, r5] = co_await client.async_sync(too_many, diag, tuple_token);
        CHECK(e5 == error::limit_exceeded);

        sync_request too_old;
        too_old.channel_cids = {"messaging:a"};
        too_old.last_sync_at = std::chrono::time_point_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now() - std::chrono::hours(24 * 31));
        auto [e6, r6] = co_await client.async_sync(too_old, diag, tuple_token);
        CHECK(e6 == error::limit_exceeded);

        send_message_request empty;
        empty.type = "messaging";
        empty.id = "general";
        auto [e7, r7] = co_await client.async_send_message(empty, diag, tuple_token);
        CHECK(e7 == error::invalid_argument);

        auto [e8, r8] = co_await client.async_get_message("a/b", diag, tuple_token);
        CHECK(e8 == error::invalid_id);

        std::vector<user_partial_update> updates(101, user_partial_update{"u", {{"name", "x"}}, {}});
        auto [e9, r9] = co_await client.async_partial_update_users(updates, diag, tuple_token);
        CHECK(e9 == error::limit_exceeded);

        CHECK(server.requests_received() == 0);
    });
}

TEST_CASE("Stream's error envelope becomes an api_errc code with full diagnostics")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        scripted_server server(ex, [](const scripted_request& r) {
            if (r.index == 1)
                return scripted_reply{http_response(400, error_body(4, 400, "QueryChannels failed with error: \"bad\""))};
            if (r.index == 2)
                return scripted_reply{http_response(429, error_body(9, 429, "Too many requests"),
                                                    {{"Retry-After", "3600"}, {"X-RateLimit-Limit", "60"},
                                                     {"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "1700000000"}})};
            return scripted_reply{http_response(502, "<html>bad gateway</html>")};
        });
        auto cfg = config_for(server);
        cfg.http.max_retries = 0;
        rest_client client(ex, cfg);
        diagnostics diag;

        auto [e1, r1] = co_await client.async_query_channels(empty_query, diag, tuple_token);
        CHECK(e1 == api_errc::input_error);
        CHECK(is_fatal(e1));
        REQUIRE(diag.server);
        CHECK(diag.server->code == 4);
        CHECK(diag.server->status_code == 400);
        CHECK(diag.server->message == "QueryChannels failed with error: \"bad\"");
        CHECK(diag.server->more_info == "https://getstream.io/chat/docs/api_errors_response");
        CHECK(diag.http_status == 400);

        auto [e2, r2] = co_await client.async_query_channels(empty_query, diag, tuple_token);
        CHECK(is_rate_limited(e2));
        CHECK(diag.rate_limit.limit == 60);
        CHECK(diag.rate_limit.remaining == 0);
        CHECK(diag.rate_limit.retry_after == std::chrono::seconds(3600));
        CHECK(diag.rate_limit.reset == std::chrono::sys_seconds(std::chrono::seconds(1700000000)));

        auto [e3, r3] = co_await client.async_query_channels(empty_query, diag, tuple_token);
        CHECK(e3 == error::http_status);
        CHECK(diag.http_status == 502);
        CHECK_FALSE(diag.server);
    });
}

TEST_CASE("code 40 asks the token provider again and resends with the fresh token")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        std::vector<std::string> seen_tokens;
        scripted_server server(ex, [&](const scripted_request& r) {
            seen_tokens.emplace_back(r.header("Authorization").value_or(""));
            if (seen_tokens.back() == "token-1")
                return scripted_reply{http_response(401, error_body(40, 401, "token expired"))};
            return scripted_reply{ok(R"({"users":[{"id":"jack","name":"Jack"}],"duration":"1ms"})")};
        });
        int calls = 0;
        auto cfg = config_for(server);
        cfg.token.clear();
        cfg.token_source = [&calls](asio::any_completion_handler<void(error_code, std::string)> h) {
            ++calls;
            std::move(h)(error_code{}, "token-" + std::to_string(calls));
        };
        rest_client client(ex, cfg);
        query_users_request req;
        req.filter_conditions = filter::in("id", {"jack"});
        diagnostics diag;
        auto [ec, res] = co_await client.async_query_users(req, diag, tuple_token);
        REQUIRE_FALSE(ec);
        REQUIRE(res.users.size() == 1);
        CHECK(res.users[0].id == "jack");
        CHECK(calls == 2);
        CHECK(seen_tokens == std::vector<std::string>{"token-1", "token-2"});

        // A static token cannot be refreshed: the second 40 reaches the caller.
        cfg.token = "token-1";
        cfg.token_source = {};
        rest_client fixed(ex, cfg);
        auto [ec2, res2] = co_await fixed.async_query_users(req, tuple_token);
        CHECK(is_token_expired(ec2));
    });
}

TEST_CASE("query_users sends its payload as URL-encoded JSON in the query string")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        scripted_server server(ex, [](const scripted_request&) {
            return scripted_reply{http_response(200, R"({"users":[],"duration":"1ms"})")};
        });
        rest_client client(ex, config_for(server));
        query_users_request req;
        req.filter_conditions = filter::in("id", {"jack", "jill & co"});
        req.limit = 5;
        auto [ec, res] = co_await client.async_query_users(req, tuple_token);
        REQUIRE_FALSE(ec);
        const auto& r = server.requests().at(0);
        CHECK(r.method == "GET");
        CHECK(r.body.empty());
        CHECK_FALSE(r.header("Content-Type").has_value());
        auto q = query_of(r.target);
        CHECK(q["api_key"] == "key1");
        CHECK(q["payload"] == R"({"filter_conditions":{"id":{"$in":["jack","jill & co"]}},"presence":false,"limit":5})");
    });
}

TEST_CASE("malformed success bodies are errors that name the field, never crashes")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        std::vector<std::string> bodies = {
            "not json at all", "[1,2,3]", R"({"channels":{}})",
            R"({"channels":[{"channel":{"id":"x","type":"messaging","created_at":5}}]})",
            R"({"channels":[{"channel":{"id":"x","type":"messaging"},"messages":[{"id":"m","text":5}]}]})",
            std::string(R"({"channels":[)") + std::string(5000, '[') , "{\"channels\":[\"\xff\xfe\"]}"};
        std::size_t i = 0;
        scripted_server server(ex, [&](const scripted_request&) { return scripted_reply{ok(bodies[i])}; });
        rest_client client(ex, config_for(server));
        std::vector<error_code> codes;
        std::vector<std::string> messages;
        for (i = 0; i < bodies.size(); ++i) {
            diagnostics diag;
            auto [ec, page] = co_await client.async_query_channels(empty_query, diag, tuple_token);
            codes.push_back(ec);
            messages.push_back(diag.client_message);
        }
        CHECK(codes[0] == error::malformed_json);
        CHECK(codes[1] == error::wrong_type);
        CHECK(codes[2] == error::wrong_type);
        CHECK(messages[2].find("channels") != std::string::npos);
        CHECK(codes[3] == error::wrong_type);
        CHECK(messages[3].find("channels[0].channel.created_at") != std::string::npos);
        CHECK(codes[4] == error::wrong_type);
        CHECK(messages[4].find("channels[0].messages[0].text") != std::string::npos);
        CHECK(codes[5] == error::malformed_json);
        CHECK(codes[6]); // invalid UTF-8 or a string where an object belongs: an error either way
    });
}

TEST_CASE("send_message generates an id and survives a lost response without duplicating")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        std::string stored_id;
        scripted_server server(ex, [&](const scripted_request& r) {
            if (r.method == "POST" && r.index == 1) {
                stored_id = json::parse(r.body).at("message").at("id").as_string().c_str();
                return scripted_reply{"", reply_action::close}; // stored, but the answer is lost
            }
            if (r.method == "POST")
                return scripted_reply{http_response(400, error_body(4, 400, "SendMessage failed with error: \"a message with ID " + stored_id + " already exists\""))};
            CHECK(r.target.rfind("/messages/" + stored_id + "?", 0) == 0);
            return scripted_reply{http_response(200, R"({"message":{"id":")" + stored_id +
                                                          R"(","text":"hello","type":"regular","user":{"id":"john"}},"duration":"1ms"})")};
        });
        rest_client client(ex, config_for(server));
        send_message_request req;
        req.type = "messaging";
        req.id = "general";
        req.message.text = "hello";
        req.message.custom["priority"] = 2;
        diagnostics diag;
        auto [ec, res] = co_await client.async_send_message(req, diag, tuple_token);
        REQUIRE_FALSE(ec);
        CHECK(res.message.id == stored_id);
        CHECK(stored_id.size() == 36);
        CHECK(server.requests().size() == 3); // POST (lost), POST (duplicate), GET
        auto first = json::parse(server.requests()[0].body);
        CHECK(first.at("message").at("priority") == 2); // custom fields flattened
        CHECK(first.at("message").at("text") == "hello");
    });
}

TEST_CASE("per-operation cancellation aborts a pending request")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto signal = std::make_shared<asio::cancellation_signal>();
        // Cancel once the server holds the request (it never answers): the request is pending for
        // sure, whatever the machine's speed. Emitted from the executor, not from inside the script.
        scripted_server server(ex, [ex, signal](const scripted_request&) {
            asio::post(ex, [signal] { signal->emit(asio::cancellation_type::terminal); });
            return scripted_reply{"", reply_action::never_respond};
        });
        auto cfg = config_for(server);
        cfg.http.request_timeout = std::chrono::seconds(30); // not what ends the request
        rest_client client(ex, cfg);
        auto [ec, page] = co_await client.async_query_channels(
            empty_query, asio::bind_cancellation_slot(signal->slot(), tuple_token));
        // operation_aborted, not request_timeout: the cancellation ended it (no wall-clock bound).
        CHECK(ec == asio::error::operation_aborted);
        CHECK(server.requests().size() == 1); // sent once, not retried after the abort
    });
}

TEST_CASE("callbacks work as completion tokens too")
{
    asio::io_context ioc;
    scripted_server server(ioc.get_executor(), [](const scripted_request&) {
        return scripted_reply{ok(R"({"duration":"1ms"})")};
    });
    rest_client client(ioc.get_executor(), config_for(server));
    bool called = false;
    client.async_stop_watching(channel_ref{"messaging", "general"}, [&](error_code ec, empty_response r) {
        called = true;
        CHECK_FALSE(ec);
        CHECK(r.duration == "1ms");
        client.shutdown(); // close the keep-alive connection so the io_context runs dry
        server.stop();
    });
    ioc.run_for(std::chrono::seconds(60)); // a hang guard: returns as soon as the work runs out
    CHECK(called);
    CHECK(ioc.stopped()); // ran dry: nothing left pending (not merely out of time)
    CHECK(server.requests().at(0).target == "/channels/messaging/general/stop-watching?user_id=john&api_key=key1");
}

TEST_CASE("a bad base URL fails every call with invalid_url")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        client_config cfg;
        cfg.base_url = "ftp://nowhere";
        cfg.api_key = "k";
        cfg.token = "t";
        rest_client client(ex, cfg);
        diagnostics diag;
        auto [ec, r] = co_await client.async_get_message("m1", diag, tuple_token);
        CHECK(ec == error::invalid_url);
        CHECK_FALSE(diag.client_message.empty());
    });
}
