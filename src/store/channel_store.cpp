#include <streamchat/channel_store.hpp>

#include "events/fast_decode.hpp"
#include "model/cid.hpp"

#include <algorithm>

namespace streamchat {

namespace {

std::string string_extra(const boost::json::object& o, std::string_view key)
{
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
    return {};
}

/// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string preview_of(const std::string& text, std::size_t max)
{
    if (text.size() <= max) return text;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut);
}

bool thread_only(const message& m) { return m.parent_id && !m.show_in_channel.value_or(false); }

bool before(const message& a, const message& b) { return a.created_at < b.created_at; }

void set_preview(channel_summary& s, const message& m)
{
    s.last_message_id = m.id;
    s.last_message_user_id = m.user.id;
    s.last_message_preview = preview_of(m.text, channel_store::preview_bytes);
}

/// Inserts or replaces `m` by id, keeping `created_at` order. Returns true when it was new.
bool merge_message(std::vector<message>& list, const message& m)
{
    auto same = std::find_if(list.rbegin(), list.rend(), [&](const message& x) { return x.id == m.id; });
    if (same != list.rend()) {
        auto it = std::prev(same.base());
        *it = m;
        if ((it != list.begin() && before(*it, *std::prev(it))) ||
            (std::next(it) != list.end() && before(*std::next(it), *it)))
            std::stable_sort(list.begin(), list.end(), before);
        return false;
    }
    // Live messages are nearly always the newest: search from the back.
    auto pos = std::upper_bound(list.begin(), list.end(), m, before);
    list.insert(pos, m);
    return true;
}

} // namespace

channel_store::channel_store(std::string own_user_id) : own_user_id_(std::move(own_user_id)) {}

const channel_summary* channel_store::summary(std::string_view cid) const
{
    auto it = summaries_.find(cid);
    return it == summaries_.end() ? nullptr : &it->second;
}

const channel_state* channel_store::state(std::string_view cid) const
{
    auto it = states_.find(cid);
    return it == states_.end() ? nullptr : &it->second;
}

channel_state* channel_store::state_for(std::string_view cid)
{
    auto it = states_.find(cid);
    return it == states_.end() ? nullptr : &it->second;
}

void channel_store::for_each(const std::function<void(const channel_summary&)>& f) const
{
    for (const auto& [cid, s] : summaries_) f(s);
}

channel_summary& channel_store::summary_for(const std::string& cid)
{
    auto [it, fresh] = summaries_.try_emplace(cid);
    if (fresh) it->second.cid = cid;
    return it->second;
}

void channel_store::upsert(const channel_state& in, bool materialise)
{
    const std::string& cid = in.channel.cid;
    if (cid.empty()) return;
    auto& s = summary_for(cid);
    s.name = string_extra(in.channel.extra, "name");
    s.image = string_extra(in.channel.extra, "image");
    s.member_count = in.channel.member_count.value_or(static_cast<int>(in.members.size()));
    s.hidden = in.hidden.value_or(in.channel.hidden.value_or(false));
    if (in.channel.last_message_at) s.last_message_at = in.channel.last_message_at;
    for (auto it = in.messages.rbegin(); it != in.messages.rend(); ++it)
        if (!thread_only(*it)) {
            set_preview(s, *it);
            break;
        }
    bool server_count = false;
    for (const auto& r : in.read)
        if (r.user.id == own_user_id_) {
            s.unread_count = r.unread_messages;
            server_count = true;
        }

    auto existing = states_.find(cid);
    if (existing == states_.end()) {
        if (materialise) states_.emplace(cid, in);
        return;
    }
    // Merge: the fresh answer wins for everything but messages, which are merged by id so that
    // live messages newer than the answer's page survive. Such a message arrived over the socket
    // while the query was in flight and is not in the answer's snapshot: the server's unread
    // count does not include it yet either, so it counts on top (the event already did once).
    std::optional<timestamp> newest;
    for (const auto& m : in.messages)
        if (!newest || *newest < m.created_at) newest = m.created_at;
    auto old_messages = std::move(existing->second.messages);
    existing->second = in;
    int newer_unread = 0;
    for (auto& m : old_messages) {
        const bool fresh = merge_message(existing->second.messages, m);
        if (!fresh || (newest && !(*newest < m.created_at)) || thread_only(m)) continue;
        if (m.user.id != own_user_id_ && !m.silent && !m.shadowed) ++newer_unread;
    }
    for (const auto& m : in.messages) merge_message(existing->second.messages, m);
    if (server_count) s.unread_count += newer_unread;
    // The preview follows the newest message held, live or queried.
    const auto& all = existing->second.messages;
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (!thread_only(*it)) {
            set_preview(s, *it);
            if (!s.last_message_at || *s.last_message_at < it->created_at) s.last_message_at = it->created_at;
            break;
        }
}

void channel_store::prepare(std::string_view cid)
{
    if (cid.empty() || states_.find(cid) != states_.end()) return;
    channel_state st;
    st.channel.cid = std::string(cid);
    if (auto ref = detail::split_cid(cid)) {
        st.channel.type = std::move(ref->type);
        st.channel.id = std::move(ref->id);
    }
    states_.emplace(std::string(cid), std::move(st));
}

bool channel_store::merge_messages(std::string_view cid, const std::vector<message>& page)
{
    auto* st = state_for(cid);
    if (!st) return false;
    for (const auto& m : page) merge_message(st->messages, m);
    return true;
}

void channel_store::release(std::string_view cid)
{
    if (auto it = states_.find(cid); it != states_.end()) states_.erase(it);
}

void channel_store::erase(std::string_view cid)
{
    release(cid);
    if (auto it = summaries_.find(cid); it != summaries_.end()) summaries_.erase(it);
}

void channel_store::set_unread(std::string_view cid, int count)
{
    if (auto it = summaries_.find(cid); it != summaries_.end()) it->second.unread_count = count;
}

void channel_store::add_message(const std::string& cid, const message& m, bool count_unread)
{
    auto& s = summary_for(cid);
    bool fresh = true;
    if (auto* st = state_for(cid)) fresh = merge_message(st->messages, m);
    else if (m.id == s.last_message_id) fresh = false; // a repeat of what the summary shows
    if (thread_only(m)) return;
    if (!s.last_message_at || !(m.created_at < *s.last_message_at)) {
        s.last_message_at = m.created_at;
        set_preview(s, m);
    }
    const bool own = m.user.id == own_user_id_;
    // Posting marks the channel read for its author, on the server and in the official client.
    if (own) s.unread_count = 0;
    else if (count_unread && fresh && !m.silent && !m.shadowed) ++s.unread_count;
}

bool channel_store::apply(const event& e)
{
    const std::string cid = e.cid.value_or(e.channel ? e.channel->cid : std::string{});
    switch (e.type) {
        case event_type::message_new:
        case event_type::notification_message_new:
            if (cid.empty() || !e.message) return false;
            if (e.type == event_type::notification_message_new && e.channel && !summaries_.contains(cid)) {
                channel_state st;
                st.channel = *e.channel;
                upsert(st, false);
            }
            add_message(cid, *e.message, true);
            if (e.channel_member_count) summary_for(cid).member_count = *e.channel_member_count;
            // A notification carries the member's own count: the server's figure wins.
            if (e.unread_messages) set_unread(cid, *e.unread_messages);
            return true;

        case event_type::message_updated:
        case event_type::message_undeleted:
        case event_type::message_deleted: {
            if (cid.empty() || !e.message) return false;
            if (auto* st = state_for(cid)) {
                if (e.type == event_type::message_deleted && e.hard_delete.value_or(false))
                    std::erase_if(st->messages, [&](const message& m) { return m.id == e.message->id; });
                else
                    merge_message(st->messages, *e.message);
            }
            if (auto it = summaries_.find(cid); it != summaries_.end() && it->second.last_message_id == e.message->id)
                set_preview(it->second, *e.message);
            return true;
        }

        case event_type::message_read:
            if (cid.empty() || !e.user) return false;
            if (auto* st = state_for(cid)) {
                auto r = std::find_if(st->read.begin(), st->read.end(), [&](const read_state& x) { return x.user.id == e.user->id; });
                if (r == st->read.end()) {
                    st->read.emplace_back();
                    r = std::prev(st->read.end());
                    r->user = *e.user;
                }
                r->last_read = e.created_at;
                r->unread_messages = 0;
                r->last_read_message_id = e.last_read_message_id;
            }
            if (e.user->id == own_user_id_ && !e.extra.contains("thread")) set_unread(cid, 0);
            return true;

        case event_type::notification_mark_read:
            if (!cid.empty()) set_unread(cid, 0);
            else if (e.unread_channels.value_or(-1) == 0)
                for (auto& [k, s] : summaries_) s.unread_count = 0;
            return true;

        case event_type::notification_mark_unread:
            if (cid.empty() || !e.unread_messages) return false;
            set_unread(cid, *e.unread_messages);
            return true;

        case event_type::member_added:
        case event_type::member_updated:
        case event_type::member_removed: {
            if (cid.empty()) return false;
            if (e.channel_member_count) summary_for(cid).member_count = *e.channel_member_count;
            auto* st = state_for(cid);
            if (!st) return true;
            const std::string uid = e.type == event_type::member_removed
                                        ? (e.user ? e.user->id : std::string{})
                                        : (e.member && e.member->user ? e.member->user->id : e.member && e.member->user_id ? *e.member->user_id : std::string{});
            auto same = [&](const member& m) {
                return (m.user && m.user->id == uid) || (m.user_id && *m.user_id == uid);
            };
            if (e.type == event_type::member_removed) std::erase_if(st->members, same);
            else if (e.member) {
                auto it = std::find_if(st->members.begin(), st->members.end(), same);
                if (it == st->members.end()) st->members.push_back(*e.member);
                else *it = *e.member;
            }
            return true;
        }

        case event_type::channel_updated:
        case event_type::channel_visible:
            if (cid.empty() || !e.channel) return false;
            {
                auto& s = summary_for(cid);
                s.name = string_extra(e.channel->extra, "name");
                s.image = string_extra(e.channel->extra, "image");
                if (e.channel->member_count) s.member_count = *e.channel->member_count;
                if (e.type == event_type::channel_visible) s.hidden = false;
                if (auto* st = state_for(cid)) st->channel = *e.channel;
            }
            return true;

        case event_type::channel_hidden:
            if (cid.empty()) return false;
            summary_for(cid).hidden = true;
            if (e.clear_history.value_or(false))
                if (auto* st = state_for(cid)) st->messages.clear();
            return true;

        case event_type::channel_truncated:
        case event_type::notification_channel_truncated: {
            if (cid.empty()) return false;
            auto& s = summary_for(cid);
            s.unread_count = 0;
            s.last_message_id.clear();
            s.last_message_preview.clear();
            s.last_message_user_id.clear();
            if (auto* st = state_for(cid)) {
                const auto cut = e.channel && e.channel->truncated_at ? e.channel->truncated_at : std::optional<timestamp>{};
                if (cut) std::erase_if(st->messages, [&](const message& m) { return !(*cut < m.created_at); });
                else st->messages.clear();
            }
            if (e.message) add_message(cid, *e.message, false);
            return true;
        }

        case event_type::channel_deleted:
        case event_type::notification_channel_deleted:
        case event_type::notification_removed_from_channel:
            if (cid.empty()) return false;
            erase(cid);
            return true;

        case event_type::user_watching_start:
        case event_type::user_watching_stop:
            if (auto* st = state_for(cid); st && e.watcher_count) {
                st->watcher_count = e.watcher_count;
                return true;
            }
            return false;

        default:
            return false;
    }
}

bool channel_store::apply_fast(const detail::fast_event& e)
{
    // Mirrors apply() above for the types the fast decoder returns, on a channel without full
    // state: only the summary changes. fast_decode.cpp has already cut the preview.
    const std::string& cid = e.cid;
    switch (e.type) {
        case event_type::message_new:
        case event_type::notification_message_new: {
            if (cid.empty() || !e.has_message) return false;
            if (e.type == event_type::notification_message_new && e.has_channel && !summaries_.contains(cid)) {
                // upsert() of a channel_state holding only this channel (its cid is `cid`).
                auto& s = summary_for(cid);
                s.name = e.channel_name;
                s.image = e.channel_image;
                s.member_count = e.channel_members.value_or(0);
                s.hidden = e.channel_hidden.value_or(false);
                if (e.channel_last_message_at) s.last_message_at = e.channel_last_message_at;
            }
            // add_message(cid, message, true)
            auto& s = summary_for(cid);
            const bool fresh = e.message_id != s.last_message_id;
            if (!e.thread_only) {
                if (!s.last_message_at || !(e.message_created_at < *s.last_message_at)) {
                    s.last_message_at = e.message_created_at;
                    s.last_message_id = e.message_id;
                    s.last_message_user_id = e.message_user_id;
                    s.last_message_preview = e.preview;
                }
                const bool own = e.message_user_id == own_user_id_;
                if (own) s.unread_count = 0;
                else if (fresh && !e.silent && !e.shadowed) ++s.unread_count;
            }
            if (e.channel_member_count) s.member_count = *e.channel_member_count;
            if (e.unread_messages) s.unread_count = *e.unread_messages;
            return true;
        }

        case event_type::message_read:
            if (cid.empty() || !e.has_user) return false;
            if (e.user_id == own_user_id_ && !e.thread) set_unread(cid, 0);
            return true;

        default: // typing.*, health.check; user.watching.* only touch full state
            return false;
    }
}

} // namespace streamchat
