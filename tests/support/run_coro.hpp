#ifndef STREAMCHAT_TESTS_SUPPORT_RUN_CORO_HPP
#define STREAMCHAT_TESTS_SUPPORT_RUN_CORO_HPP

// Runs a test coroutine on a fresh io_context for at most `limit`, and fails the test when it did
// not finish (a hang is a failure, never a silent pass). Exceptions from the coroutine propagate.
// The limit is a hang guard, not a speed test: generous (the tests run two at a time under the
// sanitizers), above support/wait_until.hpp's 30 s, and below ctest's 120 s per test.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>

namespace streamchat::test {

template <class F>
void run_coro(F f, std::chrono::steady_clock::duration limit = std::chrono::seconds(60))
{
    boost::asio::io_context ioc;
    bool done = false;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, f(ioc.get_executor()), [&](std::exception_ptr ep) {
        done = true;
        failure = ep;
    });
    ioc.run_for(limit);
    REQUIRE(done);
    if (failure) std::rethrow_exception(failure);
}

} // namespace streamchat::test

#endif
