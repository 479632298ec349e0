#ifndef STREAMCHAT_SRC_LIST_KEYSET_PAGER_HPP
#define STREAMCHAT_SRC_LIST_KEYSET_PAGER_HPP

// Pages a channel list to its end, past the offset cap of queryChannels (docs/protocol.md §3.2,
// §9.4): it decides each request and de-duplicates the rows that come back. Sans-io: the owner
// sends next(), hands the page to on_page() and stops at done().

#include <streamchat/filter.hpp>
#include <streamchat/sort.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace streamchat::detail {

/// A primary sort field the pager may bound on.
struct keyset_field {
    /// The field as sorted and filtered on, e.g. "last_message_at". Default: empty (matches no sort).
    std::string name{};
    /// Rows may lack the field (last_message_at of a channel without messages). A bound never
    /// matches such rows, so the pager fetches them by themselves at the end. Default: false.
    bool nullable = false;
};

struct keyset_pager_config {
    /// Rows per request, clamped to 1..30 (the limit of queryChannels). Default: 30.
    int limit = 30;

    /// Rows fetched with `offset` before switching to keyset requests: offset pages are sent
    /// while offset + limit stays within it. Clamped to 0..1000 (the server's offset cap). 0 uses
    /// keyset requests from the second page on, which no channel leaving the part already paged
    /// can make skip a row (an offset page can, see keyset_pager). Default: 1000, so that the
    /// first thousand rows are the very pages every other client fetches.
    int offset_rows = 1000;

    /// Primary sort fields a bound can follow: totally ordered, filterable with $lt..$gte and $eq,
    /// and present in every row's data so that the caller can report their value. A sort led by
    /// any other field (has_unread, unread_count, custom fields) pages with offsets only and
    /// stops after 1000 + limit rows. Default: the channel fields Stream filters and sorts on.
    std::vector<keyset_field> keyset_fields{
        {"last_message_at", true}, {"last_updated", false}, {"created_at", false},
        {"updated_at", false},     {"member_count", false}, {"cid", false}};
};

/// What a request is for; the owner may log it or count it.
enum class page_kind : unsigned char {
    offset,    ///< From the top with an `offset`.
    keyset,    ///< The filter bounded on the primary key (inclusive, or strict after a tie walk).
    tie_walk,  ///< The rows sharing one key value, by cid: more of them than a page holds.
    null_walk, ///< The rows without the key, by cid.
};

/// One queryChannels request: send these with `offset` and `limit`; the rest of the body (state,
/// watch, message_limit, ...) is the owner's.
struct page_request {
    filter filter_conditions{};
    streamchat::sort sort{};
    int limit = 0;
    int offset = 0;
    page_kind kind = page_kind::offset;
};

/// One row of a page as the owner reports it. Views live for the call only.
struct page_row {
    std::string_view cid;
    /// The row's value of the primary sort field, null when the channel has none. It must have
    /// the type the field is filtered with (a timestamp for times, an integer for counts, a string
    /// for cid): the pager compares values for equality and sends them back in filters.
    /// last_updated is the later of last_message_at and created_at.
    filter_value key{};
};

/// Why paging stopped.
enum class pager_end : unsigned char {
    none,        ///< Not done.
    end_of_list, ///< A short or empty page: every row was returned.
    capped,      ///< Offset paging reached the server's cap with a full page; rows past it are out of reach.
    stalled,     ///< The server ignored a bound (the same position came back): stopped instead of looping.
};

struct page_result {
    /// Indices into the page of the rows returned for the first time, in page order. Every other
    /// row was returned before (or marked by mark_seen()) and is to be dropped.
    std::vector<std::size_t> fresh;
    std::size_t duplicates = 0;
};

struct keyset_pager_metrics {
    std::uint64_t pages = 0;           ///< Pages given to on_page().
    std::uint64_t offset_pages = 0;    ///< Of which offset pages,
    std::uint64_t keyset_pages = 0;    ///< keyset pages,
    std::uint64_t tie_walk_pages = 0;  ///< tie walk pages,
    std::uint64_t null_walk_pages = 0; ///< and null walk pages.
    std::uint64_t rows = 0;            ///< Rows received, duplicates included.
    std::uint64_t duplicates = 0;      ///< Rows dropped as already returned.
};

/// Pages a list with `offset` while it stays within `offset_rows`, then with keyset requests:
///
/// - Keyset page: the filter AND a bound on the primary key, `$lte` the boundary (the key of the
///   last row received) for a descending sort, `$gte` for an ascending one. Inclusive, so that
///   rows tied with the boundary that did not fit the previous page are not lost; the rows it
///   returns again are dropped by cid. The sort gets `cid` appended (same direction as the
///   primary key) when it has none, which makes the order total.
/// - Tie walk: when at least a page of rows share the boundary value, the inclusive bound could
///   return the same page forever. The pager then walks that value alone, `{key: v, cid: {$gt: c}}`
///   sorted by cid (`$lt` for a descending cid), c being the last cid received; then continues
///   strictly past it (`$lt`/`$gt` v). When cid directly follows the key in the sort, the walk
///   starts after the tied rows already received (they are a prefix of the walk's order);
///   otherwise at the start of the value, de-duplicated. Rows of one walked value arrive in cid
///   order, whatever sort keys follow the primary one.
/// - Null walk: rows without the key (nullable fields) never match a bound. Nulls sort last
///   (they do in Stream for channels without messages, and in the emulator in both directions),
///   so once the bounded rows are exhausted the pager walks `{key: {$exists: false}}` by cid.
///
/// Paging ends on the first short or empty page of the last phase. A sort whose primary key is
/// not in `keyset_fields` pages with offsets only, up to offset 1000, and ends `capped` after
/// 1000 + limit rows. An empty sort is the server's default written out, last_updated descending.
///
/// Rows that move while paging. The pager returns each cid at most once. A channel whose key
/// moves to the side already paged (a new message makes it the newest) is not returned by a
/// later page; the owner learns of it from the event that moved it. Contract: on such an event,
/// a channel for which seen() is false is added from the event and passed to mark_seen(), so a
/// page that was computed before the move and still holds it drops it. A key moving the other way
/// (an ascending sort, a member count that drops) brings the row back as a duplicate, dropped.
/// Offset pages are safe from moves toward the top (new messages in a newest-first list), but a
/// channel leaving the part already paged (hidden, removed, or its key moving past the cursor)
/// shifts the rows after it up by one, and an offset page can then skip a row; keyset pages
/// cannot (see `offset_rows`).
///
/// Memory: the cids returned so far (the set behind seen()), until the pager is destroyed.
class keyset_pager {
public:
    /// Largest `offset` queryChannels accepts.
    static constexpr int max_offset = 1000;
    /// Largest `limit` queryChannels accepts.
    static constexpr int max_limit = 30;

    keyset_pager(filter base, streamchat::sort order, const keyset_pager_config& cfg = {});

    /// The request to send next. Meaningless once done().
    page_request next() const;

    /// Takes the page that answers next(), rows in the server's order.
    page_result on_page(std::span<const page_row> rows);

    bool done() const noexcept { return end_ != pager_end::none; }
    pager_end end() const noexcept { return end_; }

    /// True when `cid` was returned by a page or marked.
    bool seen(std::string_view cid) const noexcept { return seen_.find(cid) != seen_.end(); }
    /// Records that the owner has `cid` from elsewhere (an event), so that no page returns it.
    /// False when it was already seen.
    bool mark_seen(std::string_view cid);
    std::size_t seen_count() const noexcept { return seen_.size(); }

    /// The primary field the bound follows; empty when the sort has none usable.
    const std::string& key_field() const noexcept { return key_; }
    /// Rows the list can deliver at most: nullopt with keyset paging, 1000 + limit without.
    std::optional<std::size_t> row_cap() const noexcept;
    /// The sort every request but the walks carries (the given one, cid appended if absent).
    const streamchat::sort& effective_sort() const noexcept { return sort_; }
    int limit() const noexcept { return limit_; }

    const keyset_pager_metrics& metrics() const noexcept { return metrics_; }

private:
    enum class phase : unsigned char { offset, keyset, tie_walk, null_walk, done };

    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    using cid_set = std::unordered_set<std::string, string_hash, std::equal_to<>>;

    void track(std::span<const page_row> rows);
    void after_offset_page(std::span<const page_row> rows, bool full);
    void after_keyset_page(std::span<const page_row> rows, bool full, std::size_t fresh);
    void after_walk_page(std::span<const page_row> rows, bool full);
    void continue_after_boundary();
    void finish_bounded();
    void start_walk(phase p, bool resume);
    void finish(pager_end why) noexcept;
    filter cursor_filter() const;

    filter base_;
    streamchat::sort sort_;
    streamchat::sort walk_sort_;
    int limit_;
    int offset_rows_;
    std::string key_;                 // empty: offset paging only
    bool key_desc_ = false;
    bool nullable_ = false;
    bool unique_key_ = false;         // the key is cid itself: no ties, strict bounds always
    bool cid_desc_ = false;           // direction of the cid tie-breaker
    bool cid_follows_key_ = false;    // sort_ is [key, cid, ...] (or cid is the key): ties come in cid order

    phase phase_ = phase::offset;
    pager_end end_ = pager_end::none;
    int offset_ = 0;
    bool strict_ = false;             // next keyset bound excludes the boundary value
    bool nulls_seen_ = false;

    // The boundary: key of the last row received outside walks, how many rows in a row carried
    // it (duplicates included: an overcount only walks a tie a little early), and the last of them.
    std::optional<filter_value> boundary_;
    std::size_t tie_count_ = 0;
    std::string tie_last_;
    std::string last_keyset_cid_;     // last cid of the previous keyset page, to detect a stall

    std::optional<std::string> cursor_; // walks: the last cid received
    cid_set walk_cursors_;              // every cursor of the current walk: one coming back is a stall

    cid_set seen_;
    keyset_pager_metrics metrics_;
};

} // namespace streamchat::detail

#endif
