// A barrage of bad requests over real sockets against an emulator with a file database: each gets
// a 4xx with Stream's error envelope, the server stays up, and the database stays intact.
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "rest/http_pool.hpp"
#include "rest/url.hpp"
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

struct probe {
    std::string method;
    std::string target; // path + query after the auth parameters
    std::string body;
    bool legal = false; // hostile but well-formed: answered normally, matching nothing
};

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

TEST_CASE("a barrage of bad requests gets 4xx envelopes; the server stays up and the database intact")
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
        const std::vector<probe> probes = {
            {"POST", "/channels", "{not json"},
            {"POST", "/channels", R"({"filter_conditions":[]})"},
            {"POST", "/channels", R"({"filter_conditions":{"type":{"$regex":"m.*"}}})"},
            {"POST", "/channels", R"({"filter_conditions":{"name":")" + sql + R"("}})", true},
            {"POST", "/channels", R"({"filter_conditions":{")" + sql + R"(":1}})", true},
            {"POST", "/channels", R"({"filter_conditions":{"members":{"$in":["john"]}},"sort":[{"field":")" + sql + R"(","direction":1}]})", true},
            {"POST", "/channels", R"({"limit":1000000})"},
            {"POST", "/channels", R"({"offset":1001})"},
            {"POST", "/channels", R"({"limit":"ten"})"},
            {"POST", "/channels", "{\"filter_conditions\":{\"name\":\"\xc3\x28\"}}"}, // invalid UTF-8
            {"POST", "/channels", std::string(70 * 1024, ' ')},                          // over the body limit
            {"POST", "/channels/messaging/seed-0/message", R"({"message":{"text":5}})"},
            {"POST", "/channels/messaging/seed-0/message", R"({"message":{"id":")" + sql + R"(","text":"x"}})"},
            {"POST", "/channels/bad:type/x/query", "{}"},
            {"GET", "/users&payload=%7B%22filter_conditions%22%3A%7B%22id%22%3A%7B%22%24in%22%3A5%7D%7D%7D", ""},
            {"GET", "/nowhere", ""},
            {"DELETE", "/channels", ""},
            {"POST", "/sync", R"({"channel_cids":[],"last_sync_at":"2020-01-01T00:00:00Z"})"},
        };
        for (const auto& p : probes) {
            std::string target = p.target;
            // Keep the query well-formed: the probe's own query (if any) follows the auth parameters.
            const auto amp = target.find('&');
            target = amp == std::string::npos ? target + auth : target.substr(0, amp) + auth + target.substr(amp);
            detail::http_request req(boost::beast::http::string_to_verb(p.method), target, p.body);
            req.headers.emplace_back("Authorization", token);
            req.headers.emplace_back("stream-auth-type", "jwt");
            if (!p.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
            auto [ec, resp] = co_await pool.async_request(std::move(req), asio::as_tuple(asio::use_awaitable));
            INFO(p.method << " " << p.target << " " << p.body.substr(0, 80));
            REQUIRE_FALSE(ec);
            error_code jec;
            auto body = json::parse(resp.body, jec);
            REQUIRE_FALSE(jec);
            const auto& o = body.as_object();
            if (p.legal) {
                // Input never becomes SQL: a hostile value or field name is just data.
                CHECK(resp.status == 201);
                const auto n = o.at("channels").as_array().size();
                CHECK((n == 0 || n == 5)); // the custom-field sort keeps all of john's channels
                continue;
            }
            CHECK(resp.status >= 400);
            CHECK(resp.status < 500);
            CHECK(o.contains("code"));
            CHECK(o.contains("message"));
            CHECK(o.contains("StatusCode"));
            CHECK(o.contains("duration"));
            CHECK(o.contains("more_info"));
            CHECK(o.contains("details"));
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
