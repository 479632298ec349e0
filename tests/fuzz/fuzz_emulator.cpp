// Fuzzes the emulator's REST data plane: one in-memory store and hub for the whole run (state
// accumulates across inputs, like a long-lived server), seeded with messaging:general (members
// john and jack). The first byte of an input picks an endpoint, the rest is the body (or the
// `payload` query parameter of GET /users). handle() must return an envelope for everything.

#include "emulator/api.hpp"
#include "emulator/hub.hpp"
#include "emulator/store/store.hpp"

#include <boost/json/serialize.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace streamchat::emu;

struct endpoint {
    const char* method;
    const char* path;
    bool payload_in_query; // GET /users?payload=<rest>
    bool server;           // a server-token caller
};

constexpr std::array<endpoint, 7> endpoints{{
    {"POST", "/channels", false, false},
    {"POST", "/channels/messaging/general/query", false, false},
    {"POST", "/channels/messaging/general/message", false, false},
    {"GET", "/users", true, false},
    {"POST", "/sync", false, false},
    {"POST", "/channels/messaging/general/read", false, false},
    {"POST", "/users", false, true},
}};

struct world {
    streamchat::emulator_config cfg{};
    std::unique_ptr<store> db;
    hub realtime;
    std::unique_ptr<context> ctx;
    std::string john_connection;
    std::chrono::system_clock::time_point clock{std::chrono::sys_days{std::chrono::year{2030} / 1 / 1}};

    world()
    {
        std::string why;
        db = open_store(cfg, why);
        if (!db) {
            std::fprintf(stderr, "open_store: %s\n", why.c_str());
            std::abort();
        }
        ctx = std::make_unique<context>(context{*db, realtime, cfg});
        john_connection = realtime.add_connection("john", [](std::shared_ptr<const std::string>) {});
        caller who;
        who.user_id = "john";
        who.connection_id = john_connection;
        if (!connect_user(*ctx, who, boost::json::object{{"id", "john"}}, tick()).first) std::abort();
        api_request r;
        r.method = "POST";
        r.path = "/channels/messaging/general/query";
        r.body = R"({"data":{"members":["john","jack"],"name":"General"},"state":true,"watch":true})";
        r.who = who;
        r.now = tick();
        const auto res = handle(r, *ctx);
        if (res.status != 201 && res.status != 200) {
            std::fprintf(stderr, "seeding failed: %d\n", res.status);
            std::abort();
        }
    }

    std::chrono::system_clock::time_point tick() { return clock += std::chrono::milliseconds(1); }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static world w;
    if (size == 0) return 0;
    const endpoint& e = endpoints[data[0] % endpoints.size()];
    const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);

    api_request r;
    r.method = e.method;
    r.path = e.path;
    if (e.payload_in_query)
        r.query.emplace_back("payload", rest);
    else
        r.body = rest;
    if (e.server) {
        r.who.server = true;
    } else {
        r.who.user_id = "john";
        r.who.connection_id = w.john_connection;
    }
    r.now = w.tick();
    const api_response res = handle(r, *w.ctx);
    if (res.status < 200 || res.status > 599) {
        std::fprintf(stderr, "bad status %d\n", res.status);
        std::abort();
    }
    // An internal failure (500, code -1) means an unexpected exception inside a handler.
    if (res.status == 500) {
        std::fprintf(stderr, "500 from %s %s: %s\n", e.method, e.path, boost::json::serialize(res.body).c_str());
        std::abort();
    }
    return 0;
}
