// The request scheduler in front of the pool, against the emulator with Stream's rate limits:
// 429s come back to the scheduler (not a sleeping connection), which parks the endpoint until
// the window ends and sends the request again; every call succeeds once.

#include <streamchat/emulator.hpp>
#include <streamchat/rest_client.hpp>
#include <streamchat/token.hpp>

#include "support/run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "support/wait_until.hpp"

#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace streamchat;
using namespace std::chrono_literals;
using streamchat::test::run_coro;

TEST_CASE("a burst beyond the server's window is parked on 429 and resent, each call once")
{
    run_coro([](asio::any_io_executor ex) -> asio::awaitable<void> {
        emulator_config e;
        e.seed.users = 3;
        e.seed.channels = 0;
        e.rate_limits = emulator_rate_limits::stream;
        e.rate_limit_per_minute = 2; // per one-second window: the scheduler's seed (60) is wrong
        e.rate_limit_window = 1s;
        emulator emu(ex, e);
        REQUIRE_FALSE(emu.start());
        client_config cfg;
        cfg.base_url = emu.base_url();
        cfg.api_key = emu.config().api_key;
        cfg.user_id = "user-0";
        cfg.token = make_user_token(emu.config().api_secret, "user-0");
        rest_client rest(ex, cfg);
        constexpr int calls = 8;
        int done = 0;
        std::vector<diagnostics> diag(calls);
        std::vector<error_code> results(calls);
        std::vector<int> statuses(calls);
        for (int i = 0; i < calls; ++i) {
            asio::co_spawn(
                ex,
                [&, i]() -> asio::awaitable<void> {
                    query_users_request q;
                    q.filter_conditions = filter::eq("id", "user-1");
                    auto [ec, r] = co_await rest.async_query_users(q, diag[static_cast<std::size_t>(i)],
                                                                   asio::as_tuple(asio::use_awaitable));
                    results[static_cast<std::size_t>(i)] = ec;
                    statuses[static_cast<std::size_t>(i)] = diag[static_cast<std::size_t>(i)].http_status;
                    ++done;
                },
                asio::detached);
        }
        REQUIRE(co_await streamchat::test::wait_until([&] { return done == calls; }, 50s, 5ms));
        int retried = 0;
        for (int i = 0; i < calls; ++i) {
            const auto k = static_cast<std::size_t>(i);
            INFO("call " << i << ": " << results[k].message() << " status " << statuses[k]);
            CHECK_FALSE(results[k]);
            CHECK(statuses[k] == 200);
            if (diag[k].attempts > 1) ++retried;
        }
        // The first burst went out on the seeded budget and met 429s; after that the headers
        // steered the rest.
        CHECK(retried >= 1);
        CHECK(retried < calls);
    }, 58s);
}
