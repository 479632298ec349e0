#ifndef STREAMCHAT_CHANNEL_STORE_HPP
#define STREAMCHAT_CHANNEL_STORE_HPP

/// @file
/// What a client knows about its channels: a compact summary for every channel it has seen, and
/// full state (messages, members, read states) only for the channels it has materialised
/// (watched or open). Kept current by the client from query results and live events.

#include <streamchat/model/channel_state.hpp>
#include <streamchat/model/event.hpp>
#include <streamchat/timestamp.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace streamchat {

namespace detail {
struct fast_event; // src/events/fast_decode.hpp: an event decoded by the realtime fast path
} // namespace detail

/// One row of a channel list: enough to draw it, nothing more.
///
/// A view into the store, not a copy: the strings point into its packed storage and stay valid
/// until the store is next modified (any update: upsert, apply, set_unread, erase, ...). Copy
/// what must outlive that, e.g. `std::string(s.name)`.
struct channel_summary {
    std::string_view cid{};                    ///< `type:id`.
    std::string_view name{};                   ///< Custom `name`, empty when unset.
    std::string_view image{};                  ///< Custom `image` URL, empty when unset.
    std::optional<timestamp> last_message_at{};///< Time of the newest message.
    std::string_view last_message_id{};        ///< Id of the newest message.
    std::string_view last_message_user_id{};   ///< Its author.
    std::string_view last_message_preview{};   ///< Its text, cut at `channel_store::preview_bytes` (UTF-8 safe).
    int unread_count = 0;                      ///< The current user's unread messages here.
    int member_count = 0;                      ///< Members.
    bool hidden = false;                       ///< Hidden by the current user.
};

/// Summaries by cid, and full state for materialised channels.
///
/// The client updates the store; the application reads it (from the client's executor).
/// `apply` follows the JS client's bookkeeping (docs/protocol.md §6.3): a new message moves the
/// preview and `last_message_at`, counts as unread when it is not the user's own, not silent or
/// shadowed and not a thread-only reply; the user's own read resets the count; a message already
/// held (same id) is replaced, never duplicated; messages stay sorted by `created_at`.
///
/// Summaries are packed, since a client may know hundreds of thousands of channels: per channel
/// a 32-byte record (scalars, an interned author) and one heap block holding cid, name, image,
/// last message id and preview back to back, indexed by an open-addressing table on the cid.
/// Strings are kept whole whatever their size (lengths are 32-bit; the realtime connection caps a
/// frame at 16 MiB); only the preview is cut.
class channel_store {
public:
    /// Bytes of message text kept in a summary.
    static constexpr std::size_t preview_bytes = 100;

    /// `own_user_id` decides what counts as unread.
    explicit channel_store(std::string own_user_id = {});

    /// The summary of `cid`, empty when unknown. A view: see channel_summary.
    std::optional<channel_summary> summary(std::string_view cid) const;
    /// Full state of a materialised channel; null otherwise.
    const channel_state* state(std::string_view cid) const;
    /// True when `cid` has full state (the realtime fast path then leaves the event to `apply`).
    bool is_materialised(std::string_view cid) const { return states_.find(cid) != states_.end(); }
    /// Channels with a summary.
    std::size_t size() const noexcept { return records_.size(); }
    /// Channels with full state.
    std::size_t materialised() const noexcept { return states_.size(); }
    /// Calls `f(summary)` for every channel, in no particular order. `f` must not modify the store.
    void for_each(const std::function<void(const channel_summary&)>& f) const;

    // ---- updates (the client calls these)

    void set_own_user(std::string id) { own_user_id_ = std::move(id); }
    /// Takes a query result: refreshes the summary; keeps full state when `materialise` (or when
    /// the channel is already materialised), merging messages by id.
    void upsert(const channel_state& s, bool materialise);
    /// Gives `cid` an empty full state, leaving its summary as it is, when it has none: a watch
    /// is starting, and the messages that arrive before its answer must be held so that the
    /// answer's snapshot, which may predate them, cannot lose them (`upsert` merges by id). The
    /// channel data fills in with the answer; `release` undoes it when the watch fails.
    void prepare(std::string_view cid);
    /// Merges a page of messages (by id, in time order) into the full state of `cid`, when it is
    /// materialised. Returns false when it is not.
    bool merge_messages(std::string_view cid, const std::vector<message>& page);
    /// Drops the full state of `cid`; the summary stays.
    void release(std::string_view cid);
    /// Forgets `cid` entirely (deleted, or the user left).
    void erase(std::string_view cid);
    /// Applies one event. Returns true when it changed something.
    bool apply(const event& e);
    /// Applies an event decoded by the realtime fast path: the same change, and the same result,
    /// as `apply` on the fully decoded event. Only for a channel that is not materialised
    /// (`!is_materialised(e.cid)`): full state needs the full event.
    bool apply_fast(const detail::fast_event& e);
    /// Sets the unread count (e.g. from the server's read state after recovery).
    void set_unread(std::string_view cid, int count);

private:
    struct hash : std::hash<std::string_view> {
        using is_transparent = void;
    };

    /// Owns one summary's heap block: the five string lengths (one byte each below 255, else
    /// 0xFF and four bytes), then cid, name, image, last_message_id and preview. Copies deeply.
    class blob {
    public:
        blob() = default;
        explicit blob(char* p) noexcept : p_(p) {}
        blob(const blob& other);
        blob(blob&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
        blob& operator=(blob other) noexcept
        {
            std::swap(p_, other.p_);
            return *this;
        }
        ~blob() { delete[] p_; }
        const char* get() const noexcept { return p_; }

    private:
        char* p_ = nullptr;
    };

    /// One channel's summary in 32 bytes plus its blob.
    struct record {
        blob text;
        std::int64_t last_message_at = 0; ///< Nanoseconds since the epoch, when `has_time`.
        std::int32_t unread_count = 0;
        std::int32_t member_count = 0;
        std::uint32_t user = 0;           ///< last_message_user_id, an index in `users_`.
        std::uint16_t tag = 0;            ///< High bits of the cid's hash: most probes skip the blob.
        bool hidden = false;
        bool has_time = false;
    };

    /// The strings of a record, as views into its blob (or new values before `set_texts`).
    struct texts {
        std::string_view cid, name, image, last_message_id, preview;
    };

    static constexpr std::uint32_t npos = 0xFFFFFFFF;

    std::uint32_t find(std::string_view cid) const noexcept;
    std::uint32_t find_or_add(std::string_view cid);
    void remove(std::uint32_t index);
    void grow();
    std::size_t home_of(std::uint32_t index) const noexcept;
    channel_summary view(const record& r) const;
    static texts texts_of(const record& r) noexcept;
    static void set_texts(record& r, const texts& t);
    void set_user(record& r, std::string_view id);
    void set_last_message(record& r, const message& m);
    channel_state* state_for(std::string_view cid);
    void add_message(const std::string& cid, const message& m, bool count_unread);

    std::string own_user_id_;
    std::vector<record> records_;               ///< Dense: erase moves the last record into the gap.
    std::vector<std::uint32_t> slots_;          ///< Linear probing; record index + 1, 0 when free.
    std::vector<std::string> users_{std::string()}; ///< Interned authors; 0 is the empty id.
    std::vector<std::uint32_t> user_refs_{0u};      ///< Records per author; a free entry has none.
    std::vector<std::uint32_t> free_users_;
    std::unordered_map<std::string, std::uint32_t, hash, std::equal_to<>> user_index_;
    std::unordered_map<std::string, channel_state, hash, std::equal_to<>> states_;
};

} // namespace streamchat

#endif
