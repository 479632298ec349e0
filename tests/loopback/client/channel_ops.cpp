// Channel operations of the live client against the emulator: typing paced like the official
// client (one typing.start per resend window, typing.stop after an idle pause), mark-read folded
// per channel, older messages paged into the full state, edits and deletes reaching the store.

#include <streamchat/client.hpp>
#include <streamchat/emulator.hpp>
#include <streamchat/token.hpp>

#include "support/client_observer.hpp"
#include "support/run_coro.hpp"
#include "support/wait_until.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <set>

namespace asio = boost::asio;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::observer_guard;
using streamchat::test::run_coro;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

client_config config_for(const emulator& emu, const std::string& user)
{
    client_config cfg;
    cfg.base_url = emu.base_url();
    cfg.api_key = emu.config().api_key;
    cfg.user_id = user;
    cfg.token = make_user_token(emu.config().api_secret, user);
    cfg.batch.window = 0ms; // every event its own batch: nothing coalesced, so events can be counted
    return cfg;
}

/// Fails the test when `cond` does not hold within `ceiling` (a hang guard, not a measurement).
asio::awaitable<void> wait_for(std::function<bool()> cond, std::chrono::steady_clock::duration ceiling = 30s)
{
    const bool held = co_await streamchat::test::wait_until(cond, ceiling, 1ms);
    REQUIRE(held);
}

struct counts {
    int typing_start = 0, typing_stop = 0, reads = 0, messages = 0;
};

/// Counts what `c` delivers; shared with the receiver so a batch queued at the end stays valid.
std::shared_ptr<counts> count_events(client& c, std::shared_ptr<bool> alive)
{
    auto np = std::make_shared<counts>();
    asio::co_spawn(
        c.get_executor(),
        [&c, np, alive]() -> asio::awaitable<void> {
            auto& n = *np;
            for (;;) {
                auto [ec, batch] = co_await c.async_receive(tuple_token);
                if (ec || !*alive) co_return;
                for (auto& e : batch.events) {
                    n.typing_start += e.type == event_type::typing_start;
                    n.typing_stop += e.type == event_type::typing_stop;
                    n.reads += e.type == event_type::message_read;
                    n.messages += e.type == event_type::message_new;
                }
            }
        },
        asio::detached);
    return np;
}

} // namespace

TEST_CASE("typing, reads, paging, edits and deletes between two live clients")
{
    run_coro(
        [](asio::any_io_executor ex) -> asio::awaitable<void> {
            emulator emu(ex);
            REQUIRE_FALSE(emu.start());

            // A channel with both users, created by john.
            rest_client john_rest(ex, config_for(emu, "john"));
            query_channel_request create;
            create.type = "messaging";
            create.id = "ops";
            create.data = channel_input{};
            create.data->members = {"john", "jack"};
            auto [cec, created] = co_await john_rest.async_query_channel(create, tuple_token);
            REQUIRE_FALSE(cec);

            auto jack_cfg = config_for(emu, "jack");
            jack_cfg.pacing.typing_resend = 30s;     // one start per burst, however slow the machine
            jack_cfg.pacing.typing_idle_stop = 150ms;
            jack_cfg.pacing.mark_read_interval = 300ms;
            client john(ex, config_for(emu, "john"));
            client jack(ex, jack_cfg);
            observer_guard guard;
            auto seen_ptr = count_events(john, guard.alive);
            auto& seen_by_john = *seen_ptr;
            user_input j1{}, j2{};
            auto [e1, m1] = co_await john.async_connect(j1, tuple_token);
            auto [e2, m2] = co_await jack.async_connect(j2, tuple_token);
            REQUIRE_FALSE(e1);
            REQUIRE_FALSE(e2);
            channel_ref ops{"messaging", "ops"};
            auto [w1] = co_await john.async_watch(ops, tuple_token);
            auto [w2] = co_await jack.async_watch(ops, tuple_token);
            REQUIRE_FALSE(w1);
            REQUIRE_FALSE(w2);

            // A burst of keystrokes is one typing.start; a pause sends typing.stop by itself.
            for (int i = 0; i < 20; ++i) jack.keystroke(ops);
            CHECK(jack.typing_events_sent() == 1);
            co_await wait_for([&] { return seen_by_john.typing_start == 1 && seen_by_john.typing_stop == 1; });
            CHECK(jack.typing_events_sent() == 2);
            // An explicit stop after typing is sent at once; a second one is not.
            jack.keystroke(ops);
            jack.stop_typing(ops);
            jack.stop_typing(ops);
            CHECK(jack.typing_events_sent() == 4);
            co_await wait_for([&] { return seen_by_john.typing_stop == 2; });

            // john writes 40 messages; jack's watch loaded only the newest page.
            for (int i = 0; i < 40; ++i) {
                send_message_request m;
                m.type = "messaging";
                m.id = "ops";
                m.message.text = "n" + std::to_string(i);
                auto [sec, sent] = co_await john.async_send_message(m, tuple_token);
                REQUIRE_FALSE(sec);
            }
            co_await wait_for([&] {
                const auto s = jack.channels().summary("messaging:ops");
                return s && s->unread_count == 40 && s->last_message_preview == "n39";
            });

            // Ten mark-reads inside one window are one request; the count drops at once.
            int read_done = 0;
            for (int i = 0; i < 10; ++i)
                jack.async_mark_read(ops, [&](error_code ec) {
                    CHECK_FALSE(ec);
                    ++read_done;
                });
            CHECK(jack.channels().summary("messaging:ops")->unread_count == 0);
            co_await wait_for([&] { return read_done == 10; });
            CHECK(jack.metrics().mark_read_calls <= 2);
            co_await wait_for([&] { return seen_by_john.reads >= 1; });

            // Page older messages into jack's full state: all 40, once each, in order.
            for (int attempts = 0; attempts < 10; ++attempts) {
                const auto* st = jack.channels().state("messaging:ops");
                REQUIRE(st);
                if (st->messages.size() >= 40) break;
                message_pagination older{.limit = 10, .id_lt = st->messages.front().id};
                auto [lec, page] = co_await jack.async_load_messages(ops, older, tuple_token);
                REQUIRE_FALSE(lec);
                REQUIRE_FALSE(page.empty());
            }
            const auto* st = jack.channels().state("messaging:ops");
            REQUIRE(st->messages.size() == 40);
            std::set<std::string> ids;
            for (std::size_t i = 0; i < st->messages.size(); ++i) {
                CHECK(ids.insert(st->messages[i].id).second);
                CHECK(st->messages[i].text == "n" + std::to_string(i));
            }

            // Edits and deletes reach the store at once.
            const auto last = st->messages.back().id;
            update_message_request edit;
            edit.message.id = last;
            edit.message.text = "edited";
            auto [uec, updated] = co_await john.async_update_message(edit, tuple_token);
            REQUIRE_FALSE(uec);
            CHECK(john.channels().summary("messaging:ops")->last_message_preview == "edited");
            delete_message_request del{.id = last, .hard = true};
            auto [dec, deleted] = co_await john.async_delete_message(del, tuple_token);
            REQUIRE_FALSE(dec);
            const auto* mine = john.channels().state("messaging:ops");
            REQUIRE(mine);
            CHECK(std::none_of(mine->messages.begin(), mine->messages.end(),
                               [&](const message& m) { return m.id == last; }));
        },
        120s);
}
