#ifndef STREAMCHAT_SRC_UTIL_FIFO_HPP
#define STREAMCHAT_SRC_UTIL_FIFO_HPP

// The queue type of a client's small queues (waiting handlers, request lanes, outgoing frames,
// delivered batches). libstdc++'s std::deque allocates a map and a 512-byte node as soon as it is
// constructed, empty or not: a dozen of them cost a client about 7 KB, which a process holding
// thousands of clients (the load generator) pays thousands of times. These queues are short and
// slow (a handful of entries, a few operations a second), so a node per entry costs nothing that
// matters, and an empty one costs nothing at all.

#include <list>

namespace streamchat::detail {

template <class T>
using fifo = std::list<T>;

} // namespace streamchat::detail

#endif
