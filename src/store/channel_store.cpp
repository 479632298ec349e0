#include <streamchat/channel_store.hpp>

#include "events/fast_decode.hpp"
#include "model/cid.hpp"

#include <algorithm>
#include <cstring>

namespace streamchat {

namespace {

std::string_view string_extra(const boost::json::object& o, std::string_view key)
{
    if (const auto* v = o.if_contains(key); v && v->is_string()) return v->get_string();
    return {};
}

/// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view preview_of(std::string_view text, std::size_t max)
{
    if (text.size() <= max) return text;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut);
}

bool thread_only(const message& m) { return m.parent_id && !m.show_in_channel.value_or(false); }

bool before(const message& a, const message& b) { return a.created_at < b.created_at; }

/// The newest message shown in the channel (not a thread-only reply), if any.
const message* newest_shown(const std::vector<message>& list)
{
    for (auto it = list.rbegin(); it != list.rend(); ++it)
        if (!thread_only(*it)) return &*it;
    return nullptr;
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

// ---- blob layout: five lengths, then the strings back to back

constexpr int text_count = 5;
constexpr unsigned char wide = 0xFF; // a length of 255 or more follows in four bytes

std::size_t length_bytes(std::size_t n) { return n < wide ? 1 : 5; }

/// Lengths and where the strings start.
struct layout {
    std::uint32_t size[text_count];
    const char* data;
};

layout read_layout(const char* p) noexcept
{
    layout l{};
    for (auto& n : l.size) {
        const auto b = static_cast<unsigned char>(*p++);
        if (b != wide) n = b;
        else {
            std::memcpy(&n, p, sizeof n);
            p += sizeof n;
        }
    }
    l.data = p;
    return l;
}

std::size_t hash_of(std::string_view cid) noexcept { return std::hash<std::string_view>{}(cid); }

std::uint16_t tag_of(std::size_t h) noexcept
{
    return static_cast<std::uint16_t>(h >> (sizeof(std::size_t) * 8 - 16));
}

timestamp time_of(std::int64_t ns) { return timestamp(timestamp::duration(ns)); }

} // namespace

channel_store::blob::blob(const blob& other)
{
    if (!other.p_) return;
    const layout l = read_layout(other.p_);
    std::size_t total = static_cast<std::size_t>(l.data - other.p_);
    for (auto n : l.size) total += n;
    p_ = new char[total];
    std::memcpy(p_, other.p_, total);
}

channel_store::texts channel_store::texts_of(const record& r) noexcept
{
    texts t;
    if (!r.text.get()) return t;
    const layout l = read_layout(r.text.get());
    const char* p = l.data;
    std::string_view* out[text_count] = {&t.cid, &t.name, &t.image, &t.last_message_id, &t.preview};
    for (int i = 0; i < text_count; ++i) {
        *out[i] = std::string_view(p, l.size[i]);
        p += l.size[i];
    }
    return t;
}

void channel_store::set_texts(record& r, const texts& t)
{
    const texts now = texts_of(r);
    if (r.text.get() && now.cid == t.cid && now.name == t.name && now.image == t.image &&
        now.last_message_id == t.last_message_id && now.preview == t.preview)
        return;
    // Only a 4 GiB string could overflow a length: cut it there rather than corrupt the record.
    std::string_view in[text_count] = {t.cid, t.name, t.image, t.last_message_id, t.preview};
    std::size_t total = 0;
    for (auto& v : in) {
        v = v.substr(0, 0xFFFFFFFFu);
        total += length_bytes(v.size()) + v.size();
    }
    // `t` may point into the old blob: fill the new one before the old one goes.
    char* p = new char[total];
    blob fresh(p);
    for (const auto& v : in) {
        const auto n = static_cast<std::uint32_t>(v.size());
        if (n < wide) *p++ = static_cast<char>(n);
        else {
            *p++ = static_cast<char>(wide);
            std::memcpy(p, &n, sizeof n);
            p += sizeof n;
        }
    }
    for (const auto& v : in) {
        if (!v.empty()) std::memcpy(p, v.data(), v.size());
        p += v.size();
    }
    r.text = std::move(fresh);
}

void channel_store::set_user(record& r, std::string_view id)
{
    if (users_[r.user] == id) return;
    if (r.user != 0 && --user_refs_[r.user] == 0) {
        user_index_.erase(user_index_.find(users_[r.user]));
        std::string().swap(users_[r.user]);
        free_users_.push_back(r.user);
    }
    r.user = 0;
    if (id.empty()) return;
    if (auto it = user_index_.find(id); it != user_index_.end()) {
        r.user = it->second;
        ++user_refs_[r.user];
        return;
    }
    std::uint32_t i;
    if (!free_users_.empty()) {
        i = free_users_.back();
        free_users_.pop_back();
        users_[i] = std::string(id);
    } else {
        i = static_cast<std::uint32_t>(users_.size());
        users_.emplace_back(id);
        user_refs_.push_back(0);
    }
    user_index_.emplace(std::string(id), i);
    user_refs_[i] = 1;
    r.user = i;
}

void channel_store::set_last_message(record& r, const message& m)
{
    auto t = texts_of(r);
    t.last_message_id = m.id;
    t.preview = preview_of(m.text, preview_bytes);
    set_texts(r, t);
    set_user(r, m.user.id);
}

channel_summary channel_store::view(const record& r) const
{
    const texts t = texts_of(r);
    channel_summary s;
    s.cid = t.cid;
    s.name = t.name;
    s.image = t.image;
    if (r.has_time) s.last_message_at = time_of(r.last_message_at);
    s.last_message_id = t.last_message_id;
    s.last_message_user_id = users_[r.user];
    s.last_message_preview = t.preview;
    s.unread_count = r.unread_count;
    s.member_count = r.member_count;
    s.hidden = r.hidden;
    return s;
}

// ---- the cid index: linear probing over `slots_`, at most half full

std::size_t channel_store::home_of(std::uint32_t index) const noexcept
{
    return hash_of(texts_of(records_[index]).cid) & (slots_.size() - 1);
}

std::uint32_t channel_store::find(std::string_view cid) const noexcept
{
    if (slots_.empty()) return npos;
    const std::size_t h = hash_of(cid), mask = slots_.size() - 1;
    const std::uint16_t tag = tag_of(h);
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const std::uint32_t s = slots_[i];
        if (s == 0) return npos;
        const record& r = records_[s - 1];
        if (r.tag == tag && texts_of(r).cid == cid) return s - 1;
    }
}

void channel_store::grow()
{
    std::vector<std::uint32_t> next(slots_.empty() ? 16 : slots_.size() * 2, 0);
    const std::size_t mask = next.size() - 1;
    for (std::uint32_t k = 0; k < records_.size(); ++k) {
        std::size_t i = hash_of(texts_of(records_[k]).cid) & mask;
        while (next[i] != 0) i = (i + 1) & mask;
        next[i] = k + 1;
    }
    slots_ = std::move(next);
}

std::uint32_t channel_store::find_or_add(std::string_view cid)
{
    if (const auto k = find(cid); k != npos) return k;
    if ((records_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t h = hash_of(cid), mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    record r;
    r.tag = tag_of(h);
    set_texts(r, texts{cid, {}, {}, {}, {}});
    records_.push_back(std::move(r));
    slots_[i] = static_cast<std::uint32_t>(records_.size());
    return static_cast<std::uint32_t>(records_.size() - 1);
}

void channel_store::remove(std::uint32_t index)
{
    const std::size_t mask = slots_.size() - 1;
    auto slot_of = [&](std::uint32_t k) {
        std::size_t i = home_of(k);
        while (slots_[i] != k + 1) i = (i + 1) & mask;
        return i;
    };
    // Backward-shift deletion: no tombstones, so probes stay short however much churn.
    std::size_t hole = slot_of(index);
    slots_[hole] = 0;
    for (std::size_t j = (hole + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
        const std::size_t home = home_of(slots_[j] - 1);
        const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays) continue;
        slots_[hole] = slots_[j];
        slots_[j] = 0;
        hole = j;
    }
    set_user(records_[index], {});
    const auto last = static_cast<std::uint32_t>(records_.size() - 1);
    if (index != last) {
        slots_[slot_of(last)] = index + 1;
        records_[index] = std::move(records_[last]);
    }
    records_.pop_back();
}

channel_store::channel_store(std::string own_user_id) : own_user_id_(std::move(own_user_id)) {}

std::optional<channel_summary> channel_store::summary(std::string_view cid) const
{
    const auto k = find(cid);
    if (k == npos) return std::nullopt;
    return view(records_[k]);
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
    for (const auto& r : records_) f(view(r));
}

void channel_store::upsert(const channel_state& in, bool materialise)
{
    const std::string& cid = in.channel.cid;
    if (cid.empty()) return;
    const auto k = find_or_add(cid);
    bool server_count = false;
    {
        auto& s = records_[k];
        s.member_count = in.channel.member_count.value_or(static_cast<int>(in.members.size()));
        s.hidden = in.hidden.value_or(in.channel.hidden.value_or(false));
        if (in.channel.last_message_at) {
            s.last_message_at = in.channel.last_message_at->time_since_epoch().count();
            s.has_time = true;
        }
        for (const auto& r : in.read)
            if (r.user.id == own_user_id_) {
                s.unread_count = r.unread_messages;
                server_count = true;
            }
    }
    // Name, image and last message go into the blob together: one allocation per upsert.
    auto write = [&](const message* shown) {
        auto& s = records_[k];
        auto t = texts_of(s);
        t.name = string_extra(in.channel.extra, "name");
        t.image = string_extra(in.channel.extra, "image");
        if (shown) {
            t.last_message_id = shown->id;
            t.preview = preview_of(shown->text, preview_bytes);
            set_user(s, shown->user.id);
        }
        set_texts(s, t);
    };

    auto existing = states_.find(cid);
    if (existing == states_.end()) {
        write(newest_shown(in.messages));
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
    auto& s = records_[k];
    if (server_count) s.unread_count += newer_unread;
    // The preview follows the newest message held, live or queried.
    const message* shown = newest_shown(existing->second.messages);
    if (shown && (!s.has_time || time_of(s.last_message_at) < shown->created_at)) {
        s.last_message_at = shown->created_at.time_since_epoch().count();
        s.has_time = true;
    }
    write(shown);
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
    if (const auto k = find(cid); k != npos) remove(k);
}

void channel_store::set_unread(std::string_view cid, int count)
{
    if (const auto k = find(cid); k != npos) records_[k].unread_count = count;
}

void channel_store::add_message(const std::string& cid, const message& m, bool count_unread)
{
    auto& s = records_[find_or_add(cid)];
    bool fresh = true;
    if (auto* st = state_for(cid)) fresh = merge_message(st->messages, m);
    else if (m.id == texts_of(s).last_message_id) fresh = false; // a repeat of what the summary shows
    if (thread_only(m)) return;
    if (!s.has_time || !(m.created_at < time_of(s.last_message_at))) {
        s.last_message_at = m.created_at.time_since_epoch().count();
        s.has_time = true;
        set_last_message(s, m);
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
            if (e.type == event_type::notification_message_new && e.channel && find(cid) == npos) {
                channel_state st;
                st.channel = *e.channel;
                upsert(st, false);
            }
            add_message(cid, *e.message, true);
            if (e.channel_member_count) records_[find_or_add(cid)].member_count = *e.channel_member_count;
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
            if (const auto k = find(cid); k != npos && texts_of(records_[k]).last_message_id == e.message->id)
                set_last_message(records_[k], *e.message);
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
                for (auto& s : records_) s.unread_count = 0;
            return true;

        case event_type::notification_mark_unread:
            if (cid.empty() || !e.unread_messages) return false;
            set_unread(cid, *e.unread_messages);
            return true;

        case event_type::member_added:
        case event_type::member_updated:
        case event_type::member_removed: {
            if (cid.empty()) return false;
            if (e.channel_member_count) records_[find_or_add(cid)].member_count = *e.channel_member_count;
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
                auto& s = records_[find_or_add(cid)];
                auto t = texts_of(s);
                t.name = string_extra(e.channel->extra, "name");
                t.image = string_extra(e.channel->extra, "image");
                set_texts(s, t);
                if (e.channel->member_count) s.member_count = *e.channel->member_count;
                if (e.type == event_type::channel_visible) s.hidden = false;
                if (auto* st = state_for(cid)) st->channel = *e.channel;
            }
            return true;

        case event_type::channel_hidden:
            if (cid.empty()) return false;
            records_[find_or_add(cid)].hidden = true;
            if (e.clear_history.value_or(false))
                if (auto* st = state_for(cid)) st->messages.clear();
            return true;

        case event_type::channel_truncated:
        case event_type::notification_channel_truncated: {
            if (cid.empty()) return false;
            auto& s = records_[find_or_add(cid)];
            s.unread_count = 0;
            auto t = texts_of(s);
            t.last_message_id = {};
            t.preview = {};
            set_texts(s, t);
            set_user(s, {});
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
            if (e.type == event_type::notification_message_new && e.has_channel && find(cid) == npos) {
                // upsert() of a channel_state holding only this channel (its cid is `cid`).
                auto& s = records_[find_or_add(cid)];
                set_texts(s, texts{cid, e.channel_name, e.channel_image, {}, {}});
                s.member_count = e.channel_members.value_or(0);
                s.hidden = e.channel_hidden.value_or(false);
                if (e.channel_last_message_at) {
                    s.last_message_at = e.channel_last_message_at->time_since_epoch().count();
                    s.has_time = true;
                }
            }
            // add_message(cid, message, true)
            auto& s = records_[find_or_add(cid)];
            auto t = texts_of(s);
            const bool fresh = e.message_id != t.last_message_id;
            if (!e.thread_only) {
                if (!s.has_time || !(e.message_created_at < time_of(s.last_message_at))) {
                    s.last_message_at = e.message_created_at.time_since_epoch().count();
                    s.has_time = true;
                    t.last_message_id = e.message_id;
                    t.preview = e.preview;
                    set_texts(s, t);
                    set_user(s, e.message_user_id);
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
