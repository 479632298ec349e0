#ifndef STREAMCHAT_TESTS_SUPPORT_WAIT_UNTIL_HPP
#define STREAMCHAT_TESTS_SUPPORT_WAIT_UNTIL_HPP

// Waiting for something asynchronous to happen, instead of sleeping a fixed time and hoping.
//
// The tests run in parallel under ASan/UBSan on small machines, where "50 ms is enough for the FIN
// to arrive" is sometimes false. wait_until polls a condition on the test's own executor (so the
// code under test keeps running) and returns as soon as it holds. Its limit is a hang guard, not a
// measurement: it is generous and only matters when the condition never becomes true.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace streamchat::test {

/// Generous default limit for wait_until: long enough for any loaded machine, short enough to stay
/// inside run_coro's own deadline.
inline constexpr std::chrono::seconds wait_limit{30};

/// Polls `condition()` every `step` until it returns true (then true) or `limit` has passed (then
/// false; check the result: `REQUIRE(co_await wait_until(...))`).
template <class Condition>
boost::asio::awaitable<bool> wait_until(Condition condition,
                                        std::chrono::steady_clock::duration limit = wait_limit,
                                        std::chrono::steady_clock::duration step = std::chrono::milliseconds(5))
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (;;) {
        if (condition()) co_return true;
        if (std::chrono::steady_clock::now() >= deadline) co_return false;
        timer.expires_after(step);
        (void)co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
}

} // namespace streamchat::test

#endif
