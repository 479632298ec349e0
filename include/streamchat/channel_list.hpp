#ifndef STREAMCHAT_CHANNEL_LIST_HPP
#define STREAMCHAT_CHANNEL_LIST_HPP

/// @file
/// A channel list of any length, loaded in stages and kept in order by live events: rows of
/// every channel (compact summaries in the client's store), full state and watches only for the
/// rows on screen. Headless: the application draws `row(i)` for the indices it shows.

#include <streamchat/client.hpp>
#include <streamchat/filter.hpp>
#include <streamchat/sort.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace streamchat {

namespace detail {
struct channel_list_impl;
}

/// Settings of a channel list. An aggregate; every member has a default.
struct channel_list_config {
    /// Which channels. Default: empty, every channel the user may read; an inbox adds
    /// `filter::in("members", {me})`.
    filter filter_conditions{};
    /// Order. Default: `last_message_at` descending (the inbox order). Live messages move rows
    /// to the top only for a `last_message_at` or `last_updated` descending sort; other orders
    /// keep rows in place and update them.
    streamchat::sort sort = streamchat::sort::by("last_message_at", sort_direction::descending);
    /// Rows per page, 1..30 (queryChannels' limit). Default 30.
    int page_size = 30;
    /// Rows above and below the viewport that are watched with it, so that switching to an
    /// adjacent channel needs no round trip. Shrunk when viewport + overscan would exceed the
    /// client's watch budget. Default 2.
    std::size_t overscan = 2;
};

struct channel_list_metrics {
    std::uint64_t pages = 0;          ///< Stage-1 pages loaded (queryChannels calls).
    std::uint64_t offset_pages = 0;   ///< Of which paged with `offset`,
    std::uint64_t keyset_pages = 0;   ///< with a keyset bound on the sort key,
    std::uint64_t tie_walk_pages = 0; ///< walking one value of the key by cid (more ties than a page),
    std::uint64_t null_walk_pages = 0;///< or fetching rows without the key (channels without messages).
    std::uint64_t preview_calls = 0;  ///< Stage-2 calls (one per page of rows at most).
    std::uint64_t duplicates = 0;     ///< Rows a page returned again, dropped.
    std::uint64_t moved = 0;          ///< Rows moved by live messages.
    std::uint64_t added_live = 0;     ///< Rows added by an event before paging reached them.
    std::uint64_t removed = 0;        ///< Rows that left the list (hidden, deleted, removed).
    std::uint64_t viewport_watches = 0; ///< Watches the viewport asked for.
    std::uint64_t viewport_stops = 0;   ///< Watches it ended for rows that scrolled away.
};

/** @brief A channel list for one client, paged past the server's offset cap.

    @code
    channel_list list(c, {.filter_conditions = filter::in("members", {"john"})});
    co_await list.async_load_next_page();   // stage 1: 30 rows, channel data and unread counts
    co_await list.async_load_previews(0, 30); // stage 2: their last messages, one call
    co_await list.async_set_viewport(0, 10);  // stage 3: full state + watch for rows 0..9 (+ overscan)
    for (;;) {
        auto batch = co_await c.async_receive();
        list.apply(batch);                    // new messages move rows up, hidden channels leave
    }
    @endcode

    Stages are independent operations: run them in order, alone, race one against a timer, or
    load the next page while the viewport of this one is being watched. Paging uses `offset` up
    to the server's cap and keyset cursors after it (docs/protocol.md §9.4); every channel comes
    exactly once, also when live messages reorder the list while it is being paged.

    The list borrows the client (which must outlive it) and uses it from its executor.
*/
class channel_list {
public:
    channel_list(client& c, channel_list_config cfg = {});
    ~channel_list();
    channel_list(const channel_list&) = delete;
    channel_list& operator=(const channel_list&) = delete;

    /// Stage 1: the next page of rows (channel data, read state; no messages, no members).
    /// Handler: `void(error_code, std::size_t rows_added)`; 0 rows once done(). Cancellable (per-
    /// operation cancellation): the request is abandoned and the next call asks for the same page.
    /// One page at a time: a call while one is under way fails with `operation_in_progress`.
    ///
    /// The request's lane (request_priority): visible while the rows do not yet reach past the
    /// viewport (or the first page when none is set), idle after that; the overload takes it.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!std::same_as<std::remove_cvref_t<CompletionToken>, request_priority>)
    auto async_load_next_page(CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, std::size_t)>(
            [this](auto handler) { next_page_impl(std::nullopt, std::move(handler)); }, token);
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_load_next_page(request_priority lane, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, std::size_t)>(
            [this, lane](auto handler) { next_page_impl(lane, std::move(handler)); }, token);
    }

    /// Stage 2: the last message of rows [first, first + count), one queryChannels with
    /// `message_limit: 1` per 30 rows. Handler: `void(error_code)`. Cancellable: every request
    /// of the call is cancelled.
    ///
    /// Each request's lane: visible when its rows meet the viewport (+ overscan), else unread
    /// when one of them has unread messages, else idle; the overload takes one for all.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!std::same_as<std::remove_cvref_t<CompletionToken>, request_priority>)
    auto async_load_previews(std::size_t first, std::size_t count, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler, std::size_t f, std::size_t n) { previews_impl(f, n, std::nullopt, std::move(handler)); },
            token, first, count);
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_load_previews(std::size_t first, std::size_t count, request_priority lane, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this, lane](auto handler, std::size_t f, std::size_t n) { previews_impl(f, n, lane, std::move(handler)); },
            token, first, count);
    }

    /// Background sync: pages the rest of the list and loads the previews of every page, the
    /// previews of one page while the next is being paged. Its requests take the lanes above, so
    /// the client's scheduler sends visible work (the viewport, the application's calls) first,
    /// then channels with unread messages, then the rest, within the server's rate limits.
    /// Handler: `void(error_code)` when the list is complete. Cancellable. While it runs it does
    /// the paging: `async_load_next_page` meanwhile fails with `operation_in_progress`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_sync_background(CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler) { sync_impl(std::move(handler)); }, token);
    }

    /// Stage 3: rows [first, first + count) are on screen. They and the overscan get full state
    /// and are watched (within the client's budget); rows that scrolled away are stopped and
    /// keep their summary only. A later call supersedes this one; the watches it asked for are
    /// ended by the next call when no longer wanted. Handler: `void(error_code)` once its
    /// watches and stops are done (the first error, if any).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_set_viewport(std::size_t first, std::size_t count, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler, std::size_t f, std::size_t n) { viewport_impl(f, n, std::move(handler)); }, token,
            first, count);
    }

    /// Applies a batch the application received from the client (after the client applied it
    /// to its store): re-orders, adds and removes rows.
    void apply(const event_batch& batch);

    /// True when every page was loaded.
    bool done() const noexcept;
    /// Rows listed so far.
    std::size_t size() const noexcept;
    /// The cid of row `i` (< size()).
    const std::string& cid(std::size_t i) const;
    /// The summary of row `i`, from the client's store; empty if the store dropped it. A view,
    /// valid until the store next changes (see channel_summary).
    std::optional<channel_summary> row(std::size_t i) const;
    /// The row of `cid`, if listed.
    std::optional<std::size_t> index_of(std::string_view cid) const;
    /// Rows watched for the viewport now (viewport + overscan).
    std::size_t viewport_watched() const noexcept;
    channel_list_metrics metrics() const noexcept;

private:
    void next_page_impl(std::optional<request_priority> lane,
                        boost::asio::any_completion_handler<void(error_code, std::size_t)> h);
    void previews_impl(std::size_t first, std::size_t count, std::optional<request_priority> lane,
                       boost::asio::any_completion_handler<void(error_code)> h);
    void sync_impl(boost::asio::any_completion_handler<void(error_code)> h);
    void viewport_impl(std::size_t first, std::size_t count, boost::asio::any_completion_handler<void(error_code)> h);

    std::shared_ptr<detail::channel_list_impl> impl_;
};

} // namespace streamchat

#endif
