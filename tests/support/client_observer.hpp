#ifndef STREAMCHAT_TESTS_SUPPORT_CLIENT_OBSERVER_HPP
#define STREAMCHAT_TESTS_SUPPORT_CLIENT_OBSERVER_HPP

// Lifetime of test coroutines that observe a client in a loop (statuses, batches). A completion
// already queued when the test ends still runs after the client is gone; the observer must not
// touch the client then. Declare the guard right after the client (so it dies first) and have
// the observer check `alive` after every resumption.

#include <memory>

namespace streamchat::test {

struct observer_guard {
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    observer_guard() = default;
    observer_guard(const observer_guard&) = delete;
    observer_guard& operator=(const observer_guard&) = delete;
    ~observer_guard() { *alive = false; }
};

} // namespace streamchat::test

#endif
