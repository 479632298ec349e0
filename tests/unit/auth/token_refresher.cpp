// token_refresher: single-flight refresh under concurrency, providers that complete inline, later
// or on another thread, and errors reaching every waiter.

#include "auth/token_refresher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace streamchat;
using namespace streamchat::detail;
namespace asio = boost::asio;
using handler_t = asio::any_completion_handler<void(error_code, std::string)>;

namespace {
/// Runs what is ready; an io_context that ran out of work must be restarted first.
void drain(asio::io_context& ioc)
{
    ioc.restart();
    ioc.poll();
}
} // namespace

TEST_CASE("concurrent refreshes call the provider once and all see its token")
{
    asio::io_context ioc;
    std::vector<handler_t> pending;
    auto r = std::make_shared<token_refresher>(ioc.get_executor(), "old",
                                               [&](handler_t h) { pending.push_back(std::move(h)); });
    std::vector<error_code> results;
    for (int i = 0; i < 100; ++i)
        r->async_refresh([&](error_code ec) { results.push_back(ec); });
    drain(ioc);
    REQUIRE(pending.size() == 1); // single flight
    CHECK(r->provider_calls() == 1);
    CHECK(r->token() == "old");
    const auto g0 = r->generation();
    std::move(pending[0])(error_code{}, "fresh");
    pending.clear();
    drain(ioc);
    REQUIRE(results.size() == 100);
    for (auto& ec : results) CHECK_FALSE(ec);
    CHECK(r->token() == "fresh");
    CHECK(r->generation() == g0 + 1);

    // A later refresh is a new flight.
    r->async_refresh([&](error_code ec) { results.push_back(ec); });
    drain(ioc);
    CHECK(pending.size() == 1);
    CHECK(r->provider_calls() == 2);
}

TEST_CASE("a provider completing inline or on another thread completes on the refresher's executor")
{
    asio::io_context ioc;
    const auto main_thread = std::this_thread::get_id();
    SECTION("inline")
    {
        auto r = std::make_shared<token_refresher>(ioc.get_executor(), "",
                                                   [](handler_t h) { std::move(h)(error_code{}, "t1"); });
        int done = 0;
        r->async_refresh([&](error_code ec) {
            CHECK_FALSE(ec);
            CHECK(std::this_thread::get_id() == main_thread);
            ++done;
        });
        CHECK(done == 0); // never inline, even when the provider is
        ioc.run();
        CHECK(done == 1);
        CHECK(r->token() == "t1");
    }
    SECTION("another thread")
    {
        std::thread worker;
        auto r = std::make_shared<token_refresher>(ioc.get_executor(), "", [&](handler_t h) {
            worker = std::thread([h = std::move(h)]() mutable { std::move(h)(error_code{}, "t2"); });
        });
        auto guard = asio::make_work_guard(ioc);
        int done = 0;
        for (int i = 0; i < 10; ++i)
            r->async_refresh([&](error_code ec) {
                CHECK_FALSE(ec);
                CHECK(std::this_thread::get_id() == main_thread);
                if (++done == 10) guard.reset();
            });
        ioc.run();
        worker.join();
        CHECK(done == 10);
        CHECK(r->token() == "t2");
        CHECK(r->provider_calls() == 1);
    }
}

TEST_CASE("provider errors and empty tokens reach every waiter, no provider fails at once")
{
    asio::io_context ioc;
    std::vector<handler_t> pending;
    auto r = std::make_shared<token_refresher>(ioc.get_executor(), "keep",
                                               [&](handler_t h) { pending.push_back(std::move(h)); });
    std::vector<error_code> results;
    for (int i = 0; i < 3; ++i) r->async_refresh([&](error_code ec) { results.push_back(ec); });
    drain(ioc);
    std::move(pending.at(0))(make_error_code(boost::system::errc::permission_denied), "ignored");
    pending.clear();
    drain(ioc);
    REQUIRE(results.size() == 3);
    for (auto& ec : results) CHECK(ec == boost::system::errc::permission_denied);
    CHECK(r->token() == "keep");

    results.clear();
    r->async_refresh([&](error_code ec) { results.push_back(ec); });
    drain(ioc);
    std::move(pending.at(0))(error_code{}, "");
    drain(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0] == error::invalid_token);
    CHECK(r->token() == "keep");

    auto none = std::make_shared<token_refresher>(ioc.get_executor(), "x", token_provider{});
    CHECK_FALSE(none->has_provider());
    results.clear();
    none->async_refresh([&](error_code ec) { results.push_back(ec); });
    drain(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0] == error::no_token_provider);
}
