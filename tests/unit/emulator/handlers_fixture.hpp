#ifndef STREAMCHAT_TESTS_UNIT_EMULATOR_HANDLERS_FIXTURE_HPP
#define STREAMCHAT_TESTS_UNIT_EMULATOR_HANDLERS_FIXTURE_HPP

// An emulator data plane without sockets: an in-memory store, a real hub whose connections
// record the frames they get, and `call()` driving handle() like the server would.

#include "emulator/api.hpp"
#include "emulator/hub.hpp"
#include "emulator/store/store.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace emu_test {

namespace json = boost::json;
using namespace streamchat::emu;
using streamchat::emulator_seed;

struct fixture {
    streamchat::emulator_config cfg{};
    std::unique_ptr<store> db;
    hub realtime;
    std::unique_ptr<context> ctx;
    std::map<std::string, std::vector<json::object>> frames; // connection id -> frames received
    std::chrono::system_clock::time_point clock{std::chrono::sys_days{std::chrono::year{2030} / 1 / 1}};

    explicit fixture(std::string path = ":memory:")
    {
        cfg.db_path = std::move(path);
        std::string why;
        db = open_store(cfg, why);
        REQUIRE(db);
        ctx = std::make_unique<context>(context{*db, realtime, cfg});
    }

    /// A WebSocket connection of `user` (handshake included); frames land in `frames[id]`.
    std::string connect(const std::string& user, json::object details = {})
    {
        auto slot = std::make_shared<std::string>();
        *slot = realtime.add_connection(user, [this, slot](std::shared_ptr<const std::string> f) {
            frames[*slot].push_back(json::parse(*f).as_object());
        });
        caller who;
        who.user_id = user;
        who.connection_id = *slot;
        if (!details.contains("id")) details["id"] = user;
        auto [me, err] = connect_user(*ctx, who, details, tick());
        REQUIRE(me);
        return *slot;
    }

    /// Advances the clock 1 ms per request, so events have distinct times.
    std::chrono::system_clock::time_point tick()
    {
        clock += std::chrono::milliseconds(1);
        return clock;
    }

    api_response call(const std::string& method, const std::string& path, const std::string& body, caller who,
                      std::vector<std::pair<std::string, std::string>> query = {})
    {
        api_request r;
        r.method = method;
        r.path = path;
        r.body = body;
        r.who = std::move(who);
        r.query = std::move(query);
        r.now = tick();
        api_response res = handle(r, *ctx);
        // Pages of channel states come as text; tests read every answer as a DOM.
        if (!res.text.empty()) res.body = json::parse(res.text).as_object();
        return res;
    }
    api_response call(const std::string& method, const std::string& path, const json::object& body, caller who,
                      std::vector<std::pair<std::string, std::string>> query = {})
    {
        return call(method, path, json::serialize(body), std::move(who), std::move(query));
    }

    /// Frames of one connection with a given type.
    std::vector<json::object> of_type(const std::string& conn, const std::string& type)
    {
        std::vector<json::object> out;
        for (const auto& f : frames[conn])
            if (f.at("type").as_string() == type) out.push_back(f);
        return out;
    }
};

inline caller user(std::string id, std::string connection = {})
{
    caller c;
    c.user_id = std::move(id);
    c.connection_id = std::move(connection);
    return c;
}

inline caller server(std::string acting = {})
{
    caller c;
    c.server = true;
    c.user_id = std::move(acting);
    return c;
}

inline caller anonymous(std::string id = "anon-1")
{
    caller c;
    c.user_id = std::move(id);
    c.anonymous = true;
    return c;
}

/// Checks the error envelope (docs/protocol.md §4.1) and returns its code.
inline int error_code_of(const api_response& r, int status)
{
    INFO(json::serialize(r.body));
    CHECK(r.status == status);
    REQUIRE(r.body.contains("code"));
    CHECK(r.body.at("StatusCode").as_int64() == status);
    CHECK(r.body.at("message").is_string());
    CHECK(r.body.at("more_info").is_string());
    CHECK(r.body.at("details").is_array());
    return static_cast<int>(r.body.at("code").as_int64());
}

inline std::string message_of(const api_response& r) { return std::string(r.body.at("message").as_string()); }

} // namespace emu_test

#endif
