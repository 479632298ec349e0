// streamchat-conformance-peer: the C++ side of the interop conformance test (interop.test.mjs).
//
// Connects as one user with streamchat::client, watches one channel, then sends a message, marks
// the channel read and sends typing.start (rest().async_send_event). Every step and every event
// received is printed to stdout as one JSON object per line:
//   {"kind":"connected","connection_id":"…","user":"…"}      {"kind":"watching","cid":"…"}
//   {"kind":"sent","message_id":"…"}  {"kind":"marked_read"}  {"kind":"typing_sent"}
//   {"kind":"event","type":"message.new","cid":"…","user":"…","message_id":"…","text":"…"}
//   {"kind":"done"}                   {"kind":"error","what":"…"}
// It exits 0 once it has received a message.new from --peer, 1 when a call fails, 2 on bad
// arguments, 3 when --timeout-ms passes first.
//
//   streamchat-conformance-peer --base-url URL --api-key KEY --token JWT --user ID
//                               --channel TYPE:ID --peer ID [--timeout-ms 15000]

#include <streamchat/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace streamchat;
using namespace std::chrono_literals;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

void print(const json::object& line)
{
    std::fputs((json::serialize(line) + "\n").c_str(), stdout);
    std::fflush(stdout); // the JS side reads line by line while we run
}

void print_error(std::string what, error_code ec = {})
{
    if (ec) what += ": " + ec.message();
    print({{"kind", "error"}, {"what", what}});
}

struct options {
    std::map<std::string, std::string> values;
    std::string get(const std::string& key) const
    {
        auto it = values.find(key);
        return it == values.end() ? std::string{} : it->second;
    }
};

asio::awaitable<int> run(const options& o)
{
    auto ex = co_await asio::this_coro::executor;
    const std::string cid = o.get("channel");
    const auto colon = cid.find(':');
    const channel_ref ch{cid.substr(0, colon), cid.substr(colon + 1)};
    const std::string peer = o.get("peer");

    client_config cfg;
    cfg.base_url = o.get("base-url");
    cfg.api_key = o.get("api-key");
    cfg.user_id = o.get("user");
    cfg.token = o.get("token");
    cfg.batch.window = 5ms;                 // print events promptly
    cfg.pacing.mark_read_interval = 100ms;  // the first mark-read goes out at once anyway
    client c(ex, cfg);

    user_input me{.id = cfg.user_id, .name = "C++ peer"};
    auto [ec, own] = co_await c.async_connect(std::move(me), tuple_token);
    if (ec) {
        print_error("connect", ec);
        co_return 1;
    }
    print({{"kind", "connected"}, {"connection_id", c.connection_id()}, {"user", own.id}});

    if (auto [wec] = co_await c.async_watch(ch, tuple_token); wec) {
        print_error("watch", wec);
        co_return 1;
    }
    print({{"kind", "watching"}, {"cid", cid}});

    send_message_request msg;
    msg.type = ch.type;
    msg.id = ch.id;
    msg.message.text = "hello from C++";
    auto [sec, sent] = co_await c.async_send_message(std::move(msg), tuple_token);
    if (sec) {
        print_error("send_message", sec);
        co_return 1;
    }
    print({{"kind", "sent"}, {"message_id", sent.message.id}});

    if (auto [mec] = co_await c.async_mark_read(ch, tuple_token); mec) {
        print_error("mark_read", mec);
        co_return 1;
    }
    print({{"kind", "marked_read"}});

    send_event_request typing;
    typing.type = ch.type;
    typing.id = ch.id;
    typing.event_type = "typing.start";
    if (auto [tec, ignored] = co_await c.rest().async_send_event(std::move(typing), tuple_token); tec) {
        print_error("send_event(typing.start)", tec);
        co_return 1;
    }
    print({{"kind", "typing_sent"}});

    for (;;) {
        auto [rec, batch] = co_await c.async_receive(tuple_token);
        if (rec) {
            print_error("receive", rec);
            co_return 1;
        }
        bool done = false;
        for (const auto& e : batch.events) {
            json::object line{{"kind", "event"}, {"type", e.type_name}};
            if (e.cid) line["cid"] = *e.cid;
            if (e.user) line["user"] = e.user->id;
            if (e.message) {
                line["message_id"] = e.message->id;
                line["text"] = e.message->text;
            }
            if (e.last_read_message_id) line["last_read_message_id"] = *e.last_read_message_id;
            print(line);
            done = done || (e.type_name == "message.new" && e.user && e.user->id == peer && e.cid == cid);
        }
        if (done) break;
    }
    c.disconnect();
    print({{"kind", "done"}});
    co_return 0;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view key = argv[i];
        if (!key.starts_with("--")) break;
        o.values[std::string(key.substr(2))] = argv[i + 1];
    }
    for (const char* required : {"base-url", "api-key", "token", "user", "channel", "peer"}) {
        if (o.get(required).empty()) {
            std::fprintf(stderr, "streamchat-conformance-peer: --%s is required\n", required);
            return 2;
        }
    }
    if (o.get("channel").find(':') == std::string::npos) {
        std::fprintf(stderr, "streamchat-conformance-peer: --channel must be TYPE:ID\n");
        return 2;
    }
    const auto timeout = std::chrono::milliseconds(o.get("timeout-ms").empty() ? 15000 : std::stol(o.get("timeout-ms")));

    asio::io_context ioc;
    int status = 1;
    asio::steady_timer deadline(ioc, timeout);
    deadline.async_wait([](error_code ec) {
        if (ec) return;
        print_error("timed out");
        std::_Exit(3); // a hard limit: no teardown that could hang
    });
    asio::co_spawn(ioc, run(o), [&](std::exception_ptr ep, int result) {
        if (ep) {
            try {
                std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                print_error(std::string("exception: ") + e.what());
            }
            status = 1;
        } else {
            status = result;
        }
        ioc.stop();
    });
    ioc.run();
    deadline.cancel();
    return status;
}
