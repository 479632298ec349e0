#ifndef STREAMCHAT_SRC_EMULATOR_HUB_HPP
#define STREAMCHAT_SRC_EMULATOR_HUB_HPP

// The emulator's realtime registry: WebSocket connections, which connection watches which channel,
// and delivery of events (docs/protocol.md §6.2). Sans-io: a connection is a `sender` callback,
// so REST handlers and tests need no sockets. Single-threaded (the emulator's executor).

#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace streamchat::emu {

class hub {
public:
    /// Writes one text frame to a connection (the WebSocket layer queues it).
    using sender = std::function<void(std::shared_ptr<const std::string> frame)>;
    /// Builds one recipient's copy of an event (unread counts are per user, docs/protocol.md §6.1).
    using personalise = std::function<boost::json::object(const std::string& user_id)>;
    /// Writes the end of one recipient's copy of an event after the head all recipients share:
    /// its per-user members (`,"unread_count":3`…) and the closing brace.
    using tail_writer = std::function<void(const std::string& user_id, std::string& out)>;

    /// Renders the `user` of the events the hub builds itself (`user.watching.stop` when a
    /// connection closes); the spec's UserWatchingStopEvent wants a full user.
    using user_renderer = std::function<boost::json::object(const std::string& user_id)>;

    /// Sets the renderer (the server passes one reading the store). Unset: `{"id": …}` only.
    void set_user_renderer(user_renderer render) { render_user_ = std::move(render); }

    /// Registers a connection of `user_id`; returns its new connection id.
    std::string add_connection(std::string user_id, sender send);

    /// Forgets a connection and its watches. Other watchers of each channel it watched get
    /// `user.watching.stop` when the user has no other watching connection there.
    void remove_connection(const std::string& connection_id);

    bool has_connection(const std::string& connection_id) const;
    /// The user of a connection; empty when unknown.
    std::string user_of(const std::string& connection_id) const;

    /// Starts watching. Returns true when the *user* was not watching `cid` before (so the caller
    /// announces `user.watching.start`).
    bool watch(const std::string& connection_id, const std::string& cid);
    /// Stops watching. Returns true when the user no longer watches `cid` on any connection.
    bool unwatch(const std::string& connection_id, const std::string& cid);

    /// Distinct users watching `cid`.
    std::size_t watcher_count(const std::string& cid) const;
    /// Distinct user ids watching `cid`.
    std::vector<std::string> watchers(const std::string& cid) const;
    /// True when any connection of `user_id` watches `cid`.
    bool user_watches(const std::string& user_id, const std::string& cid) const;
    /// True when `user_id` has at least one connection.
    bool is_online(const std::string& user_id) const;
    /// Distinct cids watched by any connection of `user_id`, sorted.
    std::vector<std::string> watched_by(const std::string& user_id) const;
    /// Connections of `user_id`.
    std::size_t connections_of(const std::string& user_id) const;
    /// Connections currently registered.
    std::size_t connection_count() const noexcept { return connections_.size(); }

    /// Channel event: every connection watching `cid` gets its user's copy.
    void to_watchers(const std::string& cid, const personalise& make);
    /// Channel event that is the same for everyone: every watching connection gets `frame`.
    void to_watchers(const std::string& cid, const std::shared_ptr<const std::string>& frame);
    /// Channel event with per-user members: each watching user's frame is `head` (the event's
    /// JSON text without its closing brace) followed by what `tail` writes for that user. The
    /// shared part is serialised once per event instead of once per recipient.
    void to_watchers(const std::string& cid, std::string_view head, const tail_writer& tail);
    /// Notification event: every connection of the listed users that does *not* watch `cid`.
    void to_members_not_watching(const std::string& cid, const std::vector<std::string>& user_ids,
                                 const personalise& make);
    /// The same as text: `head` + `tail(user)` (see to_watchers).
    void to_members_not_watching(const std::string& cid, const std::vector<std::string>& user_ids,
                                 std::string_view head, const tail_writer& tail);
    /// True when `user_id` has a connection that does not watch `cid` (one that
    /// to_members_not_watching would reach).
    bool has_connection_not_watching(const std::string& user_id, const std::string& cid) const;
    /// Every connection of `user_id` (notification.mark_read, health checks, …).
    void to_user(const std::string& user_id, const boost::json::object& event);
    /// Every connection (used for presence broadcasts in tests and tools).
    void to_everyone(const personalise& make);

    /// Frames handed to senders since construction (for benchmarks and tests).
    std::size_t frames_sent() const noexcept { return frames_sent_; }

private:
    struct connection {
        std::string user_id;
        sender send;
        std::unordered_set<std::string> watching;
        bool open = true; ///< False once removed: a snapshot taken before skips it.
    };
    using connection_ptr = std::shared_ptr<connection>;
    void deliver(connection& c, const boost::json::object& event);
    /// The open connections watching `cid`, grouped by user (a sender may close connections
    /// while a fan-out runs, so fan-outs walk a snapshot).
    std::vector<connection_ptr> watching_snapshot(const std::string& cid) const;
    /// Hands `frame` to `c` unless it closed meanwhile.
    void send_to(connection& c, const std::shared_ptr<const std::string>& frame);
    /// `head` + `tail(user)` as a frame.
    static std::shared_ptr<const std::string> spliced(std::string_view head, const std::string& user,
                                                      const tail_writer& tail);

    std::unordered_map<std::string, connection_ptr> connections_;
    std::unordered_map<std::string, std::unordered_set<std::string>> user_connections_;
    std::unordered_map<std::string, std::unordered_set<std::string>> cid_connections_;
    std::size_t frames_sent_ = 0;
    user_renderer render_user_{};
};

} // namespace streamchat::emu

#endif
