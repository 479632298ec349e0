// A barrage of bad requests over real sockets against an emulator with a file database: each gets
// the exact status and Stream error code it deserves (docs/protocol.md §4.2: 400/4 input error,
// 401/2 api_key, 401/5 authentication, 401/43 signature, 404/16 does not exist, 413/22 payload too
// big) in Stream's error envelope (§4.1), the server stays up, and the database stays intact.
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "rest/http_pool.hpp"
#include "wire/url.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace streamchat;
using streamchat::test::run_coro;

namespace {

/// How a probe authenticates; everything but `good` is refused before any handler runs.
enum class creds {
    good,              ///< api_key, user_id=john, a valid token for john, stream-auth-type jwt
    no_api_key,        ///< api_key left out
    wrong_api_key,     ///< api_key of another app
    no_auth_type,      ///< stream-auth-type header left out
    foreign_signature, ///< a token for john signed with another secret
    not_a_jwt,         ///< an Authorization header that is no JWT at all
    other_user,        ///< a valid token for jack, with user_id=john in the query
};

/// What a probe must get back.
struct answer {
    int status;            ///< exact HTTP status; 201 means "legal, answered normally"
    int code = 0;          ///< exact Stream error code (`code` and, with status, `StatusCode`)
    std::string operation; ///< the message's "<Operation> failed with error: ..." prefix
    std::string reason;    ///< a fragment of the message naming what was wrong
};

struct probe {
    std::string method;
    std::string target; // path + query after the auth parameters
    std::string body;
    answer want;
    creds with = creds::good;
};

answer legal() { return {201, 0, {}, {}}; } // hostile but well-formed: answered normally, matching nothing
answer input_error(std::string operation, std::string reason) { return {400, 4, std::move(operation), std::move(reason)}; }

std::string sqlite_scalar(const std::string& path, const char* sql)
{
    sqlite3* db = nullptr;
    std::string out;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

} // namespace

TEST_CASE("a barrage of bad requests gets exact statuses and error codes, the server stays up and the database intact")
{
    const auto db_path = (std::filesystem::temp_directory_path() /
                          ("streamchat-bad-input-" + std::to_string(::getpid()) + ".db")).string();
    std::filesystem::remove(db_path);

    run_coro([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator_config cfg;
        cfg.db_path = db_path;
        cfg.max_body_size = 64 * 1024;
        cfg.seed.channels = 5;
        cfg.seed.messages_per_channel = 2;
        cfg.seed.for_user = "john";
        emulator emu(ex, cfg);
        std::string why;
        REQUIRE_FALSE(emu.start(&why));

        auto url = detail::parse_base_url(emu.base_url(), why);
        REQUIRE(url.has_value());
        http_config hc;
        hc.max_retries = 0;
        detail::http_pool pool(ex, *url, hc);
        const std::string token = make_user_token(cfg.api_secret, "john");
        const std::string auth = "?api_key=" + cfg.api_key + "&user_id=john";

        const std::string sql = "x'); DROP TABLE channels; --";
        const std::string qc = "QueryChannels";
        const std::vector<probe> probes = {
            // Bodies that are not what the endpoint takes.
            {"POST", "/channels", "{not json", input_error(qc, "request body is not valid JSON")},
            {"POST", "/channels", R"({"filter_conditions":[]})", input_error(qc, "filter_conditions must be an object")},
            {"POST", "/channels", R"({"filter_conditions":{"type":{"$regex":"m.*"}}})",
             input_error(qc, R"(filter_conditions: type: unknown operator "$regex")")},
            // Input never becomes SQL: a hostile value or field name is just data.
            {"POST", "/channels", R"({"filter_conditions":{"name":")" + sql + R"("}})", legal()},
            {"POST", "/channels", R"({"filter_conditions":{")" + sql + R"(":1}})", legal()},
            {"POST", "/channels", R"({"filter_conditions":{"members":{"$in":["john"]}},"sort":[{"field":")" + sql + R"(","direction":1}]})", legal()},
            // Out of Stream's documented ranges (limit 0..30, offset 0..1000), or of the wrong type.
            {"POST", "/channels", R"({"limit":1000000})", input_error(qc, "limit must be between 0 and 30, got 1000000")},
            {"POST", "/channels", R"({"offset":1001})", input_error(qc, "offset must be between 0 and 1000, got 1001")},
            {"POST", "/channels", R"({"limit":"ten"})", input_error(qc, "limit must be an integer")},
            {"POST", "/channels", "{\"filter_conditions\":{\"name\":\"\xc3\x28\"}}", // invalid UTF-8
             input_error(qc, "request body is not valid JSON")},
            // Over the body limit: refused by the HTTP layer, before routing ("Request").
            {"POST", "/channels", std::string(70 * 1024, ' '),
             {413, 22, "Request", "request body is larger than the maximum of 65536 bytes"}},
            {"POST", "/channels/messaging/seed-0/message", R"({"message":{"text":5}})",
             input_error("SendMessage", "message.text must be a string")},
            {"POST", "/channels/messaging/seed-0/message", R"({"message":{"id":")" + sql + R"(","text":"x"}})",
             input_error("SendMessage", "contains a forbidden character")},
            {"POST", "/channels/bad:type/x/query", "{}",
             input_error("GetOrCreateChannel", R"(channel type "bad:type" may only contain)")},
            {"GET", "/users&payload=%7B%22filter_conditions%22%3A%7B%22id%22%3A%7B%22%24in%22%3A5%7D%7D%7D", "",
             input_error("QueryUsers", "filter_conditions: id.$in: $in needs a non-empty array")},
            // Routing: no such path (404, code 16 "does not exist"); a known path with another method.
            {"GET", "/nowhere", "", {404, 16, "Request", "unknown endpoint GET /nowhere"}},
            {"DELETE", "/channels", "", {405, 4, "Request", "method DELETE is not allowed on /channels"}},
            {"POST", "/sync", R"({"channel_cids":[],"last_sync_at":"2020-01-01T00:00:00Z"})",
             input_error("Sync", "channel_cids must list 1 to 255 channels")},
            // Credentials: refused before any handler runs, the operation still named.
            {"POST", "/channels", "{}", {401, 2, qc, "api_key not found"}, creds::no_api_key},
            {"POST", "/channels", "{}", {401, 2, qc, "api_key not valid"}, creds::wrong_api_key},
            {"POST", "/channels", "{}", {401, 5, qc, "stream-auth-type missing or invalid"}, creds::no_auth_type},
            {"POST", "/channels", "{}", {401, 43, qc, "signature is not valid"}, creds::foreign_signature},
            {"POST", "/channels", "{}", {401, 5, qc, "token is not a valid JWT"}, creds::not_a_jwt},
            {"POST", "/channels", "{}", {401, 5, qc, R"(does not match user_id "john")"}, creds::other_user},
        };
        for (const auto& p : probes) {
            std::string query = auth;
            std::string authorization = token;
            switch (p.with) {
            case creds::good:
            case creds::no_auth_type: break;
            case creds::no_api_key: query = "?user_id=john"; break;
            case creds::wrong_api_key: query = "?api_key=someone-else&user_id=john"; break;
            case creds::foreign_signature: authorization = make_user_token("not-the-secret", "john"); break;
            case creds::not_a_jwt: authorization = "not-a-jwt"; break;
            case creds::other_user: authorization = make_user_token(cfg.api_secret, "jack"); break;
            }
            std::string target = p.target;
            // Keep the query well-formed: the probe's own query (if any) follows the auth parameters.
            const auto amp = target.find('&');
            target = amp == std::string::npos ? target + query : target.substr(0, amp) + query + target.substr(amp);
            detail::http_request req(boost::beast::http::string_to_verb(p.method), target, p.body);
            req.headers.emplace_back("Authorization", authorization);
            if (p.with != creds::no_auth_type) req.headers.emplace_back("stream-auth-type", "jwt");
            if (!p.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
            auto [ec, resp] = co_await pool.async_request(std::move(req), asio::as_tuple(asio::use_awaitable));
            INFO(p.method << " " << p.target << " " << p.body.substr(0, 80) << " (credentials #"
                          << static_cast<int>(p.with) << ")");
            REQUIRE_FALSE(ec);
            INFO("answer: " << resp.status << " " << resp.body.substr(0, 300));
            error_code jec;
            auto body = json::parse(resp.body, jec);
            REQUIRE_FALSE(jec);
            REQUIRE(body.is_object());
            const auto& o = body.as_object();
            CHECK(resp.status == p.want.status);
            if (p.want.status == 201) {
                const auto n = o.at("channels").as_array().size();
                CHECK((n == 0 || n == 5)); // the custom-field sort keeps all of john's channels
                continue;
            }
            // Stream's error envelope, exactly.
            REQUIRE(o.contains("code"));
            CHECK(o.at("code") == p.want.code);
            REQUIRE(o.contains("StatusCode"));
            CHECK(o.at("StatusCode") == p.want.status);
            REQUIRE(o.contains("message"));
            REQUIRE(o.at("message").is_string());
            const std::string message{o.at("message").get_string()};
            CHECK(message.starts_with(p.want.operation + " failed with error: \""));
            CHECK_THAT(message, Catch::Matchers::Contains(p.want.reason));
            CHECK((o.contains("duration") && o.at("duration").is_string()));
            CHECK((o.contains("more_info") && o.at("more_info") == "https://getstream.io/chat/docs/api_errors_response"));
            CHECK((o.contains("details") && o.at("details") == json::array{}));
        }

        // Still up and still correct.
        detail::http_request ok(boost::beast::http::verb::post, "/channels" + auth,
                                R"({"filter_conditions":{"members":{"$in":["john"]}},"limit":30})");
        ok.headers.emplace_back("Authorization", token);
        ok.headers.emplace_back("stream-auth-type", "jwt");
        auto [ec, resp] = co_await pool.async_request(std::move(ok), asio::as_tuple(asio::use_awaitable));
        REQUIRE_FALSE(ec);
        CHECK(resp.status == 201);
        CHECK(json::parse(resp.body).at("channels").as_array().size() == 5);
        pool.shutdown();
        emu.stop();
    });

    CHECK(sqlite_scalar(db_path, "PRAGMA integrity_check") == "ok");
    CHECK(sqlite_scalar(db_path, "SELECT count(*) FROM channels") == "5");
    CHECK(sqlite_scalar(db_path, "SELECT count(*) FROM messages") == "10");
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
}
