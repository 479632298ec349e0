// Channel states as JSON text (render.hpp): a page's rows come from a few batched queries and
// are written into text the SDK codec laid out once, instead of going row → model struct → JSON
// DOM → text value by value. The bytes are those of the model path
// (tests/unit/emulator/channel_states.cpp compares the two).

#include "emulator/handlers/render.hpp"

#include "model/codec.hpp"

#include <streamchat/model/channel_state.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace streamchat::emu {

void append_timestamp(std::string& out, nanos t)
{
    // format_timestamp's steps, written into a buffer instead of a new string each time.
    using namespace std::chrono;
    std::int64_t whole = t / 1'000'000'000;
    std::int64_t ns = t % 1'000'000'000;
    if (ns < 0) {
        ns += 1'000'000'000;
        whole -= 1;
    }
    const sys_seconds secs{seconds{whole}};
    const auto day_point = floor<days>(secs);
    const year_month_day ymd{day_point};
    const hh_mm_ss<seconds> hms{secs - day_point};
    char buf[40];
    char* p = buf;
    auto digits = [&p](std::int64_t v, int width) {
        for (int i = width - 1; i >= 0; --i) {
            p[i] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
        p += width;
    };
    digits(static_cast<int>(ymd.year()), 4);
    *p++ = '-';
    digits(static_cast<unsigned>(ymd.month()), 2);
    *p++ = '-';
    digits(static_cast<unsigned>(ymd.day()), 2);
    *p++ = 'T';
    digits(hms.hours().count(), 2);
    *p++ = ':';
    digits(hms.minutes().count(), 2);
    *p++ = ':';
    digits(hms.seconds().count(), 2);
    if (ns != 0) {
        *p++ = '.';
        if (ns % 1'000'000 == 0)
            digits(ns / 1'000'000, 3);
        else if (ns % 1'000 == 0)
            digits(ns / 1'000, 6);
        else
            digits(ns, 9);
    }
    *p++ = 'Z';
    out.append(buf, static_cast<std::size_t>(p - buf));
}

namespace {

/// `v` as a JSON string, escaped exactly as Boost.JSON's serializer does, so that text written
/// here is byte for byte what serialising a DOM of the same values gives.
void put_string(std::string& out, std::string_view v)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t plain = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const auto c = static_cast<unsigned char>(v[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(v.data() + plain, i - plain);
        plain = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out.append(v.data() + plain, v.size() - plain);
    out += '"';
}

void put_int(std::string& out, std::int64_t v)
{
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out.append(buf, end);
}

void put_bool(std::string& out, bool v) { out += v ? "true" : "false"; }

void put_time(std::string& out, nanos t)
{
    out += '"'; // RFC 3339 text needs no escapes
    append_timestamp(out, t);
    out += '"';
}

/// Appends `,"key":value` for each member of the stored JSON object `text` that `skip(key)` does
/// not refuse, copying the text as it is when it is already what parsing and serialising it
/// would give: flat (ASCII strings without escapes, integers, true, false, null), no spaces, no
/// repeated keys, which is how the emulator stores custom data. False, with nothing written, when
/// the text needs the parser.
template <class Skip>
bool append_stored_members(std::string& out, std::string_view text, Skip&& skip)
{
    if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
    struct member {
        std::string_view key, all;
    };
    std::array<member, 16> members;
    std::size_t count = 0, i = 1;
    auto plain_string = [&] { // at the opening quote; leaves i after the closing one
        for (++i; i < text.size() && text[i] != '"'; ++i)
            if (text[i] < 0x20 || text[i] > 0x7e || text[i] == '\\') return false;
        return i++ < text.size();
    };
    auto word = [&](std::string_view w) {
        if (text.substr(i, w.size()) != w) return false;
        i += w.size();
        return true;
    };
    while (text[i] != '}') {
        if (count == members.size() || text[i] != '"') return false;
        const std::size_t start = i;
        if (!plain_string()) return false;
        const std::string_view key = text.substr(start + 1, i - start - 2);
        if (i >= text.size() || text[i++] != ':') return false;
        const char c = i < text.size() ? text[i] : '\0';
        if (c == '"') {
            if (!plain_string()) return false;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            // Integers as the serializer writes them: no "-0", no leading zeros, within int64.
            const std::size_t first = i + (c == '-' ? 1 : 0);
            std::size_t end = first;
            while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
            const std::size_t n = end - first;
            if (n == 0 || n > 18 || (text[first] == '0' && (n > 1 || c == '-'))) return false;
            i = end;
        } else if (!word("true") && !word("false") && !word("null")) {
            return false;
        }
        if (i >= text.size() || (text[i] != ',' && text[i] != '}')) return false;
        for (std::size_t k = 0; k < count; ++k)
            if (members[k].key == key) return false;
        members[count++] = {key, text.substr(start, i - start)};
        if (text[i] == ',') ++i;
    }
    if (i != text.size() - 1) return false;
    for (std::size_t k = 0; k < count; ++k) {
        if (skip(members[k].key)) continue;
        out += ',';
        out += members[k].all;
    }
    return true;
}

/// An object as the SDK codec encodes it and Boost.JSON serialises it, cut where a row's values
/// go: literal text, value, literal text, … So the codec alone decides the keys, their order and
/// the defaulted fields; a row only writes its values.
class text_layout {
public:
    /// `slots` names the keys whose values rows write; slot i is the i-th name. Names the
    /// encoded object lacks (optional fields left out of this variant) get no slot.
    text_layout(json::object encoded, const std::vector<std::string_view>& slots)
    {
        for (const auto& kv : encoded) keys_.emplace_back(kv.key());
        std::vector<std::size_t> used;
        std::size_t i = 0;
        for (std::string_view key : slots) {
            if (const auto it = encoded.find(key); it != encoded.end()) {
                it->value() = marker(i);
                used.push_back(i);
            }
            ++i;
        }
        const std::string text = json::serialize(encoded);
        std::vector<std::pair<std::size_t, std::size_t>> at; // (offset in text, slot)
        for (std::size_t k : used) {
            const auto offset = text.find(quoted_marker(k));
            if (offset == std::string::npos) throw std::logic_error("render: a slot marker was not serialised");
            at.emplace_back(offset, k);
        }
        std::sort(at.begin(), at.end());
        std::size_t from = 0;
        for (const auto& [offset, k] : at) {
            pieces_.push_back(text.substr(from, offset - from));
            order_.push_back(k);
            from = offset + quoted_marker(k).size();
        }
        pieces_.push_back(text.substr(from));
    }

    /// Writes the object; `fill(slot)` writes the value of each slot, in text order.
    template <class Fill>
    void write(std::string& out, Fill&& fill) const
    {
        for (std::size_t i = 0; i < order_.size(); ++i) {
            out += pieces_[i];
            fill(order_[i]);
        }
        out += pieces_.back();
    }

    bool has_key(std::string_view key) const { return std::find(keys_.begin(), keys_.end(), key) != keys_.end(); }

private:
    static std::string marker(std::size_t i) { return "@@slot" + std::to_string(i) + "@@"; }
    static std::string quoted_marker(std::size_t i) { return '"' + marker(i) + '"'; }

    std::vector<std::string> pieces_;
    std::vector<std::size_t> order_;
    std::vector<std::string> keys_;
};

template <class T>
text_layout layout_of(const T& sample, const std::vector<std::string_view>& slots)
{
    json::object o;
    detail::encode(sample, o);
    return text_layout(std::move(o), slots);
}

// user_model() of a stored user without custom fields (session::user_from), one layout per
// combination of the optional name, image and last_active.
enum { usr_id, usr_role, usr_name, usr_image, usr_online, usr_banned, usr_created_at, usr_updated_at, usr_last_active };

const text_layout& user_layout(bool name, bool image, bool last_active)
{
    static const std::array<text_layout, 8> all = [] {
        auto make = [](int bits) {
            streamchat::user u;
            u.role = "";
            if (bits & 4) u.name = "";
            if (bits & 2) u.image = "";
            u.language = "";
            u.online = false;
            u.banned = false;
            u.shadow_banned = false;
            u.teams.emplace();
            u.blocked_user_ids.emplace();
            u.created_at = timestamp{};
            u.updated_at = timestamp{};
            if (bits & 1) u.last_active = timestamp{};
            return layout_of(u, {"id", "role", "name", "image", "online", "banned", "created_at", "updated_at",
                                 "last_active"});
        };
        return std::array<text_layout, 8>{make(0), make(1), make(2), make(3), make(4), make(5), make(6), make(7)};
    }();
    return all[(name ? 4 : 0) + (image ? 2 : 0) + (last_active ? 1 : 0)];
}

/// True when user_layout() holds all of `u`: no custom fields, teams, blocks or other settings.
bool plain_user(const streamchat::user& u)
{
    return u.extra.empty() && u.role && u.language && u.language->empty() && u.online && u.banned && u.shadow_banned &&
           !*u.shadow_banned && !u.invisible && u.teams && u.teams->empty() && u.blocked_user_ids &&
           u.blocked_user_ids->empty() && u.created_at && u.updated_at && !u.deactivated_at && !u.deleted_at;
}

// member_model(); the fields it sets to constants come from the sample.
enum { mem_user_id, mem_user, mem_channel_role, mem_created_at, mem_updated_at, mem_role, mem_is_moderator };

const text_layout& member_layout()
{
    static const text_layout l = [] {
        streamchat::member m;
        m.user_id = "";
        m.user = streamchat::user{};
        m.role = "";
        m.is_moderator = false;
        m.status = "member";
        return layout_of(m, {"user_id", "user", "channel_role", "created_at", "updated_at", "role", "is_moderator"});
    }();
    return l;
}

// message_model() of a message without stored extras, one layout per combination of the
// optional parent_id and deleted_at.
enum {
    msg_id, msg_text, msg_type, msg_cid, msg_user, msg_html, msg_created_at, msg_updated_at, msg_parent_id,
    msg_deleted_at
};

const text_layout& message_layout(bool parent, bool deleted)
{
    static const std::array<text_layout, 4> all = [] {
        auto make = [](bool p, bool d) {
            streamchat::message m;
            if (p) m.parent_id = "";
            if (d) m.deleted_at = timestamp{};
            return layout_of(m, {"id", "text", "type", "cid", "user", "html", "created_at", "updated_at", "parent_id",
                                 "deleted_at"});
        };
        return std::array<text_layout, 4>{make(false, false), make(false, true), make(true, false), make(true, true)};
    }();
    return all[(parent ? 2 : 0) + (deleted ? 1 : 0)];
}

enum { read_user, read_last_read, read_unread, read_message_id };

const text_layout& read_layout(bool message_id)
{
    static const std::array<text_layout, 2> all = [] {
        auto make = [](bool with_id) {
            read_state r;
            if (with_id) r.last_read_message_id = "";
            return layout_of(r, {"user", "last_read", "unread_messages", "last_read_message_id"});
        };
        return std::array<text_layout, 2>{make(false), make(true)};
    }();
    return all[message_id ? 1 : 0];
}

// channel_model(…, true), one layout per combination of created_by and last_message_at.
enum {
    ch_cid, ch_id, ch_type, ch_created_at, ch_updated_at, ch_frozen, ch_disabled, ch_config, ch_created_by,
    ch_last_message_at, ch_member_count, ch_message_count, ch_own_capabilities
};

const text_layout& channel_layout(bool creator, bool last_message)
{
    static const std::array<text_layout, 4> all = [] {
        auto make = [](bool by, bool last) {
            streamchat::channel c;
            c.config = channel_config{};
            if (by) c.created_by = streamchat::user{};
            if (last) c.last_message_at = timestamp{};
            c.member_count = 0;
            c.message_count = 0;
            c.hidden = false;
            c.own_capabilities.emplace();
            return layout_of(c, {"cid", "id", "type", "created_at", "updated_at", "frozen", "disabled", "config",
                                 "created_by", "last_message_at", "member_count", "message_count", "own_capabilities"});
        };
        return std::array<text_layout, 4>{make(false, false), make(false, true), make(true, false), make(true, true)};
    }();
    return all[(creator ? 2 : 0) + (last_message ? 1 : 0)];
}

// The ChannelState envelope as the model path builds it (tests/support/emulator_reference.cpp), with or
// without a membership.
enum { st_channel, st_messages, st_members, st_read, st_watchers, st_watcher_count, st_membership };

const text_layout& state_layout(bool member)
{
    static const std::array<text_layout, 2> all = [] {
        auto make = [](bool m) {
            channel_state st;
            st.watcher_count = 0;
            if (m) st.membership.emplace();
            json::object out;
            detail::encode(st, out);
            out["threads"] = json::array{};
            out["pending_messages"] = json::array{};
            if (!out.contains("membership")) out["membership"] = nullptr;
            // A non-member's `membership: null` is a constant, not a slot.
            std::vector<std::string_view> slots = {"channel", "messages", "members", "read", "watchers",
                                                   "watcher_count"};
            if (m) slots.emplace_back("membership");
            return text_layout(std::move(out), slots);
        };
        return std::array<text_layout, 2>{make(false), make(true)};
    }();
    return all[member ? 1 : 0];
}

bool latest_only(const message_window& w)
{
    return !w.seq_lt && !w.seq_lte && !w.seq_gt && !w.seq_gte && !w.seq_around && !w.created_after &&
           !w.created_after_or_equal && !w.created_before && !w.created_before_or_equal && !w.created_around;
}

/// Writes the channel states of one page, sharing what channels have in common: users, configs,
/// capability lists, each serialised once.
class page_writer {
public:
    page_writer(session& s, std::string& out) : s_(s), out_(out) {}

    void user(const std::string& id)
    {
        auto it = users_.find(id);
        if (it == users_.end()) it = users_.emplace(id, user_text(id, s_.user_model(id))).first;
        out_ += it->second;
    }

    void member(const member_row& m)
    {
        member_layout().write(out_, [&](std::size_t slot) {
            switch (slot) {
            case mem_user_id: put_string(out_, m.user_id); break;
            case mem_user: user(m.user_id); break;
            case mem_channel_role: put_string(out_, m.channel_role); break;
            case mem_created_at: put_time(out_, m.created_at); break;
            case mem_updated_at: put_time(out_, m.updated_at); break;
            case mem_role:
                put_string(out_, m.channel_role == "owner"               ? "owner"
                                 : m.channel_role == "channel_moderator" ? "moderator"
                                                                         : "member");
                break;
            case mem_is_moderator: put_bool(out_, m.channel_role == "channel_moderator"); break;
            }
        });
    }

    void read(const std::string& user_id, nanos last_read, std::int64_t unread,
              const std::optional<std::string>& message_id)
    {
        read_layout(message_id.has_value()).write(out_, [&](std::size_t slot) {
            switch (slot) {
            case read_user: user(user_id); break;
            case read_last_read: put_time(out_, last_read); break;
            case read_unread: put_int(out_, static_cast<int>(unread)); break;
            case read_message_id: put_string(out_, *message_id); break;
            }
        });
    }

    void message(const message_row& m)
    {
        // Stored extras (attachments, mentions, custom fields) take the model's way through the
        // codec, which checks and completes them.
        if (m.extra != "{}") {
            out_ += json::serialize(message_json(s_, m));
            return;
        }
        message_layout(m.parent_id.has_value(), m.deleted_at.has_value()).write(out_, [&](std::size_t slot) {
            switch (slot) {
            case msg_id: put_string(out_, m.id); break;
            case msg_text: put_string(out_, m.text); break;
            case msg_type: put_string(out_, m.type); break;
            case msg_cid: put_string(out_, m.cid); break;
            case msg_user: user(m.user_id); break;
            case msg_html: put_string(out_, render_html(m.text)); break;
            case msg_created_at: put_time(out_, m.created_at); break;
            case msg_updated_at: put_time(out_, m.updated_at); break;
            case msg_parent_id: put_string(out_, *m.parent_id); break;
            case msg_deleted_at: put_time(out_, *m.deleted_at); break;
            }
        });
    }

    void channel(const channel_row& c, channel_access a)
    {
        const text_layout& l = channel_layout(!c.created_by_id.empty(), c.last_message_at.has_value());
        l.write(out_, [&](std::size_t slot) {
            switch (slot) {
            case ch_cid: put_string(out_, c.cid); break;
            case ch_id: put_string(out_, c.id); break;
            case ch_type: put_string(out_, c.type); break;
            case ch_created_at: put_time(out_, c.created_at); break;
            case ch_updated_at: put_time(out_, c.updated_at); break;
            case ch_frozen: put_bool(out_, c.frozen); break;
            case ch_disabled: put_bool(out_, c.disabled); break;
            case ch_config: out_ += config(c.type); break;
            case ch_created_by: user(c.created_by_id); break;
            case ch_last_message_at: put_time(out_, *c.last_message_at); break;
            case ch_member_count: put_int(out_, static_cast<int>(c.member_count)); break;
            case ch_message_count: put_int(out_, c.message_count); break;
            case ch_own_capabilities: out_ += capability_list(a); break;
            }
        });
        if (c.extra == "{}") return;
        // Custom fields after the modelled ones; a key the model wrote stays as written.
        out_.pop_back(); // the object's closing brace
        const auto modelled = [&](std::string_view key) { return l.has_key(key); };
        if (!append_stored_members(out_, c.extra, modelled)) {
            error_code ec;
            const json::value extra = json::parse(c.extra, ec);
            if (!ec && extra.is_object())
                for (const auto& kv : extra.get_object()) {
                    if (modelled(kv.key())) continue;
                    out_ += ',';
                    put_string(out_, kv.key());
                    out_ += ':';
                    out_ += json::serialize(kv.value());
                }
        }
        out_ += '}';
    }

private:
    std::string user_text(const std::string& id, const streamchat::user& u)
    {
        if (!plain_user(u)) return json::serialize(s_.user_object(id));
        std::string text;
        const auto& l = user_layout(u.name.has_value(), u.image.has_value(), u.last_active.has_value());
        l.write(text, [&](std::size_t slot) {
            switch (slot) {
            case usr_id: put_string(text, u.id); break;
            case usr_role: put_string(text, *u.role); break;
            case usr_name: put_string(text, *u.name); break;
            case usr_image: put_string(text, *u.image); break;
            case usr_online: put_bool(text, *u.online); break;
            case usr_banned: put_bool(text, *u.banned); break;
            case usr_created_at: put_time(text, to_nanos(*u.created_at)); break;
            case usr_updated_at: put_time(text, to_nanos(*u.updated_at)); break;
            case usr_last_active: put_time(text, to_nanos(*u.last_active)); break;
            }
        });
        return text;
    }

    const std::string& config(const std::string& type)
    {
        for (const auto& [name, text] : configs_)
            if (name == type) return text;
        json::object cfg;
        detail::encode(config_for(type), cfg);
        configs_.emplace_back(type, json::serialize(cfg));
        return configs_.back().second;
    }

    const std::string& capability_list(channel_access a)
    {
        auto& slot = capabilities_[static_cast<std::size_t>(a)];
        if (!slot) {
            json::array list;
            for (const auto& cap : capabilities(a)) list.emplace_back(cap);
            slot = json::serialize(list);
        }
        return *slot;
    }

    session& s_;
    std::string& out_;
    std::unordered_map<std::string, std::string> users_;
    std::vector<std::pair<std::string, std::string>> configs_;
    std::array<std::optional<std::string>, 4> capabilities_;
};

/// Channel states, comma-separated, without the brackets of an array.
void write_states(session& s, const std::vector<channel_row>& channels, const state_options& o, std::string& out,
                  const std::vector<std::optional<member_row>>* memberships)
{
    if (channels.empty()) return;
    const std::size_t n = channels.size();
    std::vector<std::string> cids;
    cids.reserve(n);
    std::unordered_map<std::string_view, std::size_t> position;
    for (std::size_t i = 0; i < n; ++i) {
        cids.push_back(channels[i].cid);
        position.emplace(channels[i].cid, i);
    }
    auto place = [&](const std::string& cid) {
        const auto it = position.find(cid);
        return it == position.end() ? n : it->second;
    };

    std::vector<std::optional<member_row>> mine(n);
    if (memberships && memberships->size() == n)
        mine = *memberships;
    else if (!s.who.user_id.empty())
        for (auto& m : s.db().memberships(s.who.user_id, cids))
            if (const auto i = place(m.cid); i < n) mine[i] = std::move(m);

    auto members = page_members(s, channels, o.member_limit, o.member_offset);

    std::vector<std::vector<message_row>> messages(n);
    if (o.messages && latest_only(o.window)) {
        for (auto& m : s.db().latest_messages_of(cids, o.window.limit))
            if (const auto i = place(m.cid); i < n) messages[i].push_back(std::move(m));
        for (auto& list : messages)
            std::sort(list.begin(), list.end(),
                      [](const message_row& a, const message_row& b) { return a.seq < b.seq; });
    } else if (o.messages) {
        for (std::size_t i = 0; i < n; ++i) messages[i] = s.db().messages(channels[i].cid, o.window);
    }

    std::vector<std::vector<std::string>> watchers(n);
    for (std::size_t i = 0; i < n; ++i) watchers[i] = s.realtime().watchers(channels[i].cid);

    {
        std::vector<std::string> users;
        std::unordered_set<std::string_view> seen;
        auto want = [&](const std::string& id) {
            if (!id.empty() && seen.insert(id).second) users.push_back(id);
        };
        want(s.who.user_id);
        for (std::size_t i = 0; i < n; ++i) {
            want(channels[i].created_by_id);
            for (const auto& m : members[i]) want(m.user_id);
            for (const auto& m : messages[i]) want(m.user_id);
            for (const auto& w : watchers[i]) want(w);
        }
        s.preload_users(users);
    }

    page_writer w(s, out);
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) out += ',';
        const channel_row& c = channels[i];
        const std::optional<member_row>& me = mine[i];
        state_layout(me.has_value()).write(out, [&](std::size_t slot) {
            switch (slot) {
            case st_channel: w.channel(c, access_to(s, c, me.has_value())); break;
            case st_messages:
                out += '[';
                for (std::size_t k = 0; k < messages[i].size(); ++k) {
                    if (k > 0) out += ',';
                    w.message(messages[i][k]);
                }
                out += ']';
                break;
            case st_members:
                out += '[';
                for (std::size_t k = 0; k < members[i].size(); ++k) {
                    if (k > 0) out += ',';
                    w.member(members[i][k]);
                }
                out += ']';
                break;
            case st_read: {
                // The first 100 members, then the caller when not among them; a reader who is
                // not a member (livestream) has nothing unread.
                out += '[';
                bool caller_read = false, first = true;
                auto next = [&] {
                    if (!first) out += ',';
                    first = false;
                };
                for (std::size_t k = 0; k < members[i].size() && k < 100; ++k) {
                    const member_row& m = members[i][k];
                    next();
                    w.read(m.user_id, m.last_read, m.unread_messages, m.last_read_message_id);
                    caller_read = caller_read || m.user_id == s.who.user_id;
                }
                if (me && !caller_read) {
                    next();
                    w.read(me->user_id, me->last_read, me->unread_messages, me->last_read_message_id);
                }
                if (!me && !s.who.user_id.empty() && !s.who.server) {
                    next();
                    w.read(s.who.user_id, c.last_message_at.value_or(s.now), 0, std::nullopt);
                }
                out += ']';
                break;
            }
            case st_watchers: {
                out += '[';
                const auto limit = static_cast<std::size_t>(std::max(o.watcher_limit, 0));
                std::size_t written = 0;
                for (auto k = static_cast<std::size_t>(std::max(o.watcher_offset, 0));
                     k < watchers[i].size() && written < limit; ++k, ++written) {
                    if (written > 0) out += ',';
                    w.user(watchers[i][k]);
                }
                out += ']';
                break;
            }
            case st_watcher_count: put_int(out, static_cast<int>(watchers[i].size())); break;
            case st_membership: w.member(*me); break;
            }
        });
    }
}

} // namespace

std::vector<std::vector<member_row>> page_members(session& s, const std::vector<channel_row>& channels, int limit,
                                                  int offset)
{
    std::vector<std::vector<member_row>> out(channels.size());
    if (limit <= 0) return out;
    // Channels that fit in the limit (member_count, kept with every join and leave) come in one
    // query; the count only picks the query, the limit is applied here either way.
    std::vector<std::string> small;
    std::unordered_map<std::string_view, std::size_t> position;
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (offset == 0 && channels[i].member_count <= limit) {
            small.push_back(channels[i].cid);
            position.emplace(channels[i].cid, i);
        } else {
            out[i] = s.db().members(channels[i].cid, limit, offset);
        }
    }
    for (const auto& [cid, i] : position) out[i].reserve(static_cast<std::size_t>(channels[i].member_count));
    for (auto& m : s.db().all_members_of(small))
        if (const auto it = position.find(m.cid); it != position.end()) out[it->second].push_back(std::move(m));
    const auto by_join = [](const member_row& a, const member_row& b) {
        return a.created_at != b.created_at ? a.created_at < b.created_at : a.user_id < b.user_id;
    };
    for (const auto& [cid, i] : position) {
        auto& list = out[i];
        if (!std::is_sorted(list.begin(), list.end(), by_join)) std::sort(list.begin(), list.end(), by_join);
        if (list.size() > static_cast<std::size_t>(limit)) list.resize(static_cast<std::size_t>(limit));
    }
    return out;
}

void write_channel_states(session& s, const std::vector<channel_row>& channels, const state_options& o,
                          std::string& out, const std::vector<std::optional<member_row>>* memberships)
{
    out += '[';
    write_states(s, channels, o, out, memberships);
    out += ']';
}

void append_json_string(std::string& out, std::string_view v) { put_string(out, v); }

message_text message_texts(session& s, const message_row& m)
{
    message_text out;
    std::string text;
    page_writer w(s, text);
    w.user(m.user_id);
    out.user = text; // the writer keeps its copy for the message's `user`
    text.clear();
    w.message(m);
    out.message = std::move(text);
    return out;
}

std::string channel_state_text(session& s, const channel_row& c, const state_options& o)
{
    std::string out;
    write_states(s, {c}, o, out, nullptr);
    return out;
}

} // namespace streamchat::emu
