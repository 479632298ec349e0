// POST /sync (docs/protocol.md §8.4): the logged events of the given channels since `last_sync_at`.

#include "emulator/handlers/handlers.hpp"
#include "emulator/handlers/render.hpp"

#include <boost/json/parse.hpp>

#include <set>

namespace streamchat::emu {

namespace {

constexpr std::size_t max_cids = 255;
/// More events than this is "too many events" (400/code 4): the client then resets its offline
/// database and reloads, which is cheaper than replaying a long history. Stream publishes no
/// figure; 2000 covers a few days of a busy channel list.
constexpr int max_events = 2000;
constexpr auto window = std::chrono::hours(24 * 30);

bool flag(session& s, const json::object& body, std::string_view key)
{
    if (auto v = read_bool(body, key, key)) return *v;
    const auto p = s.req.param(key);
    return p && (*p == "true" || *p == "1");
}

} // namespace

api_response sync_events(session& s, const path_params&)
{
    const json::object body = parse_body(s.req);
    if (s.who.anonymous) not_allowed("anonymous users cannot sync");
    const std::string user = s.who.server ? s.acting_user(read_string(body, "user_id", "user_id").value_or(""))
                                          : s.who.user_id;
    const json::array* list = read_array(body, "channel_cids", "channel_cids");
    if (!list || list->empty()) bad_input("channel_cids must list 1 to 255 channels");
    if (list->size() > max_cids) bad_input("channel_cids accepts at most 255 channels, got " + std::to_string(list->size()));
    std::vector<std::string> cids;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
        if (!(*list)[i].is_string()) bad_input("channel_cids[" + std::to_string(i) + "] must be a string");
        std::string c((*list)[i].get_string());
        if (!split_cid(c)) bad_input("channel_cids[" + std::to_string(i) + "] is not a cid (type:id)");
        if (seen.insert(c).second) cids.push_back(std::move(c));
    }
    const auto since_text = read_string(body, "last_sync_at", "last_sync_at");
    if (!since_text) bad_input("last_sync_at is a required field");
    const auto since = parse_timestamp(*since_text);
    if (!since) bad_input("last_sync_at must be an RFC 3339 timestamp");
    const nanos after = to_nanos(*since);
    const nanos oldest = s.now - std::chrono::duration_cast<std::chrono::nanoseconds>(window).count();
    if (after < oldest) bad_input("last_sync_at is older than 30 days");
    const bool watch = flag(s, body, "watch");
    const bool list_inaccessible = flag(s, body, "with_inaccessible_cids");

    std::vector<std::string> readable;
    json::array inaccessible;
    json::array removed;
    for (const auto& c : cids) {
        auto row = s.db().find_channel(c);
        const bool ok_read = row && s.can_read(*row, s.db().find_member(c, user));
        if (ok_read) {
            readable.push_back(c);
            if (watch) watch_channel(s, *row);
            continue;
        }
        if (list_inaccessible) {
            inaccessible.emplace_back(c);
            continue;
        }
        // NotificationRemovedFromChannelEvent requires `channel` and `member`. The membership is
        // gone (or never was), so `member` is the one that ended, as of now; a channel that no
        // longer exists is shown with its type and id, timestamped now.
        const auto parts = split_cid(c);
        channel_row shown;
        if (row) {
            shown = *row;
        } else {
            shown.cid = c;
            shown.type = std::string(parts->type);
            shown.id = std::string(parts->id);
            shown.created_at = s.now;
            shown.updated_at = s.now;
        }
        member_row ended;
        ended.cid = c;
        ended.user_id = user;
        ended.created_at = s.now;
        ended.updated_at = s.now;
        json::object ev;
        ev["type"] = "notification.removed_from_channel";
        ev["cid"] = c;
        ev["channel_id"] = parts->id;
        ev["channel_type"] = parts->type;
        ev["user"] = s.user_json(user);
        ev["channel"] = channel_json(s, shown, false);
        ev["member"] = member_json(s, ended);
        ev["created_at"] = s.now_text;
        removed.push_back(std::move(ev));
    }

    json::array events;
    if (!readable.empty()) {
        const auto rows = s.db().events_since(readable, after, max_events + 1);
        if (rows.size() > static_cast<std::size_t>(max_events))
            bad_input("too many events since last_sync_at (more than " + std::to_string(max_events) + ")");
        for (const auto& e : rows) {
            error_code ec;
            json::value v = json::parse(e.payload, ec);
            if (!ec) events.push_back(std::move(v));
        }
    }
    for (auto& ev : removed) events.push_back(std::move(ev));
    json::object out;
    out["events"] = std::move(events);
    if (list_inaccessible) out["inaccessible_cids"] = std::move(inaccessible);
    return ok(s, std::move(out));
}

} // namespace streamchat::emu
