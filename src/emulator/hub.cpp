#include "emulator/hub.hpp"

#include "wire/uuid.hpp"

#include <streamchat/model/channel.hpp>
#include <streamchat/timestamp.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

namespace streamchat::emu {

namespace json = boost::json;

std::string hub::add_connection(std::string user_id, sender send)
{
    std::string id = detail::make_uuid_v4();
    user_connections_[user_id].insert(id);
    connections_.emplace(id, std::make_shared<connection>(connection{std::move(user_id), std::move(send), {}}));
    return id;
}

void hub::remove_connection(const std::string& connection_id)
{
    auto it = connections_.find(connection_id);
    if (it == connections_.end()) return;
    it->second->open = false;
    const std::string user = it->second->user_id;
    const auto cids = std::move(it->second->watching);
    connections_.erase(it);
    if (auto u = user_connections_.find(user); u != user_connections_.end()) {
        u->second.erase(connection_id);
        if (u->second.empty()) user_connections_.erase(u);
    }
    const auto now = format_timestamp(std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()));
    std::optional<json::object> shown_user; // rendered once, after the connection is gone (`online`)
    for (const auto& cid : cids) {
        if (auto c = cid_connections_.find(cid); c != cid_connections_.end()) {
            c->second.erase(connection_id);
            if (c->second.empty()) cid_connections_.erase(c);
        }
        if (user_watches(user, cid)) continue;
        // The user's last watching connection is gone: tell the remaining watchers.
        const auto parts = split_cid(cid);
        json::object ev;
        ev["type"] = "user.watching.stop";
        ev["cid"] = cid;
        ev["channel_id"] = parts ? parts->id : "";
        ev["channel_type"] = parts ? parts->type : "";
        if (!shown_user) shown_user = render_user_ ? render_user_(user) : json::object{{"id", user}};
        ev["user"] = *shown_user;
        ev["watcher_count"] = watcher_count(cid);
        ev["created_at"] = now;
        to_watchers(cid, std::make_shared<const std::string>(json::serialize(ev)));
    }
}

bool hub::has_connection(const std::string& connection_id) const { return connections_.contains(connection_id); }

std::string hub::user_of(const std::string& connection_id) const
{
    auto it = connections_.find(connection_id);
    return it == connections_.end() ? std::string{} : it->second->user_id;
}

bool hub::watch(const std::string& connection_id, const std::string& cid)
{
    auto it = connections_.find(connection_id);
    if (it == connections_.end()) return false;
    const bool was_watching = user_watches(it->second->user_id, cid);
    it->second->watching.insert(cid);
    cid_connections_[cid].insert(connection_id);
    return !was_watching;
}

bool hub::unwatch(const std::string& connection_id, const std::string& cid)
{
    auto it = connections_.find(connection_id);
    if (it == connections_.end() || !it->second->watching.erase(cid)) return false;
    if (auto c = cid_connections_.find(cid); c != cid_connections_.end()) {
        c->second.erase(connection_id);
        if (c->second.empty()) cid_connections_.erase(c);
    }
    return !user_watches(it->second->user_id, cid);
}

std::size_t hub::watcher_count(const std::string& cid) const { return watchers(cid).size(); }

std::vector<std::string> hub::watchers(const std::string& cid) const
{
    std::vector<std::string> out;
    auto c = cid_connections_.find(cid);
    if (c == cid_connections_.end()) return out;
    // Users are few per channel: a scan of what is already listed beats hashing each id.
    out.reserve(c->second.size());
    for (const auto& conn : c->second) {
        const auto& user = connections_.at(conn)->user_id;
        if (std::find(out.begin(), out.end(), user) == out.end()) out.push_back(user);
    }
    return out;
}

bool hub::user_watches(const std::string& user_id, const std::string& cid) const
{
    auto u = user_connections_.find(user_id);
    if (u == user_connections_.end()) return false;
    for (const auto& conn : u->second)
        if (connections_.at(conn)->watching.contains(cid)) return true;
    return false;
}

bool hub::has_connection_not_watching(const std::string& user_id, const std::string& cid) const
{
    auto u = user_connections_.find(user_id);
    if (u == user_connections_.end()) return false;
    for (const auto& conn : u->second)
        if (!connections_.at(conn)->watching.contains(cid)) return true;
    return false;
}

bool hub::is_online(const std::string& user_id) const { return user_connections_.contains(user_id); }

void hub::deliver(connection& c, const json::object& event)
{
    ++frames_sent_;
    c.send(std::make_shared<const std::string>(json::serialize(event)));
}

void hub::send_to(connection& c, const std::shared_ptr<const std::string>& frame)
{
    if (!c.open) return;
    ++frames_sent_;
    c.send(frame);
}

std::vector<hub::connection_ptr> hub::watching_snapshot(const std::string& cid) const
{
    std::vector<connection_ptr> out;
    auto c = cid_connections_.find(cid);
    if (c == cid_connections_.end()) return out;
    out.reserve(c->second.size());
    for (const auto& id : c->second)
        if (auto it = connections_.find(id); it != connections_.end()) out.push_back(it->second);
    // A user's connections side by side, so each user's copy is built once and shared.
    std::sort(out.begin(), out.end(), [](const connection_ptr& a, const connection_ptr& b) { return a->user_id < b->user_id; });
    return out;
}

std::shared_ptr<const std::string> hub::spliced(std::string_view head, const std::string& user, const tail_writer& tail)
{
    std::string text;
    text.reserve(head.size() + 96);
    text.append(head);
    tail(user, text);
    return std::make_shared<const std::string>(std::move(text));
}

void hub::to_watchers(const std::string& cid, const personalise& make)
{
    const auto conns = watching_snapshot(cid);
    std::shared_ptr<const std::string> frame;
    for (std::size_t i = 0; i < conns.size(); ++i) {
        if (i == 0 || conns[i]->user_id != conns[i - 1]->user_id) frame.reset();
        if (!conns[i]->open) continue;
        if (!frame) frame = std::make_shared<const std::string>(json::serialize(make(conns[i]->user_id)));
        send_to(*conns[i], frame);
    }
}

void hub::to_watchers(const std::string& cid, const std::shared_ptr<const std::string>& frame)
{
    for (const auto& c : watching_snapshot(cid)) send_to(*c, frame);
}

void hub::to_watchers(const std::string& cid, std::string_view head, const tail_writer& tail)
{
    const auto conns = watching_snapshot(cid);
    std::shared_ptr<const std::string> frame;
    for (std::size_t i = 0; i < conns.size(); ++i) {
        if (i == 0 || conns[i]->user_id != conns[i - 1]->user_id) frame.reset();
        if (!conns[i]->open) continue;
        if (!frame) frame = spliced(head, conns[i]->user_id, tail);
        send_to(*conns[i], frame);
    }
}

void hub::to_members_not_watching(const std::string& cid, const std::vector<std::string>& user_ids,
                                  const personalise& make)
{
    to_members_not_watching(cid, user_ids, {}, [&](const std::string& user, std::string& out) {
        out += json::serialize(make(user));
    });
}

void hub::to_members_not_watching(const std::string& cid, const std::vector<std::string>& user_ids,
                                  std::string_view head, const tail_writer& tail)
{
    std::vector<connection_ptr> conns;
    for (const auto& user : user_ids) {
        auto u = user_connections_.find(user);
        if (u == user_connections_.end()) continue;
        conns.clear();
        for (const auto& id : u->second)
            if (auto it = connections_.find(id); it != connections_.end()) conns.push_back(it->second);
        std::shared_ptr<const std::string> frame;
        for (const auto& c : conns) {
            if (!c->open || c->watching.contains(cid)) continue;
            if (!frame) frame = spliced(head, user, tail);
            send_to(*c, frame);
        }
    }
}

void hub::to_user(const std::string& user_id, const json::object& event)
{
    auto u = user_connections_.find(user_id);
    if (u == user_connections_.end()) return;
    auto frame = std::make_shared<const std::string>(json::serialize(event));
    std::vector<connection_ptr> conns;
    for (const auto& id : u->second)
        if (auto it = connections_.find(id); it != connections_.end()) conns.push_back(it->second);
    for (const auto& c : conns) send_to(*c, frame);
}

void hub::to_everyone(const personalise& make)
{
    std::vector<connection_ptr> conns;
    conns.reserve(connections_.size());
    for (const auto& [id, c] : connections_) conns.push_back(c);
    for (const auto& c : conns)
        if (c->open) deliver(*c, make(c->user_id));
}

std::vector<std::string> hub::watched_by(const std::string& user_id) const
{
    std::vector<std::string> out;
    auto it = user_connections_.find(user_id);
    if (it == user_connections_.end()) return out;
    for (const auto& id : it->second)
        if (auto c = connections_.find(id); c != connections_.end())
            out.insert(out.end(), c->second->watching.begin(), c->second->watching.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::size_t hub::connections_of(const std::string& user_id) const
{
    auto it = user_connections_.find(user_id);
    return it == user_connections_.end() ? 0 : it->second.size();
}

} // namespace streamchat::emu
