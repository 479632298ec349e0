// Deterministic seed data (emulator_seed): users, channels of one user with 2–4 other members,
// messages with spread-out times, and some unread counts. One transaction, reused statements.

#include "emulator/api.hpp"
#include "emulator/store/store.hpp"

#include <algorithm>
#include <random>

namespace streamchat::emu {

namespace {

constexpr nanos second = 1'000'000'000;
constexpr nanos base_time = 1'704'067'200 * second; // 2024-01-01T00:00:00Z: fixed, so seeds are reproducible

/// A PRNG whose output is fixed by the standard (unlike std distributions).
struct rng {
    std::mt19937_64 engine;
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : engine() % n; }
};

} // namespace

bool seed_store(store& db, const emulator_seed& seed, std::string& why)
{
    if (seed.users < 0 || seed.channels < 0 || seed.messages_per_channel < 0) {
        why = "seed counts must not be negative";
        return false;
    }
    if (seed.channels == 0 && seed.users == 0) return true;
    try {
        if (db.channel_count() > 0) return true; // already seeded (or real data): keep it
        const std::string owner = seed.for_user.empty() ? std::string("user-0") : seed.for_user;
        rng r{std::mt19937_64(seed.seed)};
        store::transaction tx(db);

        std::vector<std::string> others;
        {
            auto ins = db.use("INSERT INTO users (id, role, name, created_at, updated_at) VALUES (?1, 'user', ?2, ?3, ?3) "
                              "ON CONFLICT(id) DO NOTHING");
            auto add = [&](const std::string& id, const std::string& name) {
                ins->bind(1, id).bind(2, name).bind(3, base_time);
                ins->run();
                ins->reset();
            };
            add(owner, owner);
            for (int i = 0; i < seed.users; ++i) {
                std::string id = "user-" + std::to_string(i);
                add(id, "User " + std::to_string(i));
                if (id != owner) others.push_back(std::move(id));
            }
        }

        auto ins_channel = db.use(
            "INSERT INTO channels (cid, type, id, created_by_id, created_at, updated_at, last_message_at, member_count, "
            "message_count, extra) VALUES (?1, 'messaging', ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)");
        auto ins_member = db.use(
            "INSERT INTO members (cid, user_id, channel_role, created_at, updated_at, last_message_at, last_updated, "
            "unread_messages, last_read, last_read_message_id) VALUES (?1, ?2, ?3, ?4, ?4, ?5, COALESCE(?5, ?4), ?6, ?7, ?8)");
        auto ins_message = db.use("INSERT INTO messages (id, cid, user_id, type, text, created_at, updated_at) "
                                  "VALUES (?1, ?2, ?3, 'regular', ?4, ?5, ?5)");
        const int k = seed.messages_per_channel;
        for (int i = 0; i < seed.channels; ++i) {
            const std::string id = "seed-" + std::to_string(i);
            const std::string the_cid = "messaging:" + id;
            // Members: the owner and 2–4 others.
            std::vector<std::string> members{owner};
            const std::size_t want = std::min<std::size_t>(2 + r.below(3), others.size());
            while (members.size() < want + 1) {
                const std::string& pick = others[r.below(others.size())];
                if (std::find(members.begin(), members.end(), pick) == members.end()) members.push_back(pick);
            }
            // Times: the last message somewhere in 90 days, messages 37 s apart before it.
            const nanos last = base_time + 3600 * second + static_cast<nanos>(r.below(90ull * 24 * 3600)) * second;
            const nanos first = last - static_cast<nanos>(std::max(k - 1, 0)) * 37 * second;
            const nanos created = std::min(base_time + static_cast<nanos>(i) * second, first - second);
            std::vector<std::string> ids;
            ids.reserve(static_cast<std::size_t>(k));
            for (int j = 0; j < k; ++j) ids.push_back(id + "-" + std::to_string(j));

            ins_channel->bind(1, the_cid).bind(2, id).bind(3, owner).bind(4, created);
            if (k > 0) ins_channel->bind(5, last);
            else ins_channel->bind(5, nullptr);
            ins_channel->bind(6, static_cast<std::int64_t>(members.size())).bind(7, k);
            ins_channel->bind(8, std::string("{\"name\":\"Seed channel ") + std::to_string(i) + "\"}");
            ins_channel->run();
            ins_channel->reset();

            for (int j = 0; j < k; ++j) {
                const nanos at = first + static_cast<nanos>(j) * 37 * second;
                ins_message->bind(1, ids[static_cast<std::size_t>(j)]).bind(2, the_cid);
                ins_message->bind(3, members[r.below(members.size())]);
                ins_message->bind(4, "Message " + std::to_string(j) + " in " + id).bind(5, at);
                ins_message->run();
                ins_message->reset();
            }
            for (std::size_t m = 0; m < members.size(); ++m) {
                // The owner has unread messages in about a third of the channels; others now and then.
                std::int64_t unread = 0;
                if (k > 0) {
                    if (m == 0) unread = r.below(3) == 0 ? static_cast<std::int64_t>(1 + r.below(std::min(k, 5))) : 0;
                    else unread = static_cast<std::int64_t>(r.below(std::min(k, 3) + 1));
                }
                ins_member->bind(1, the_cid).bind(2, members[m]).bind(3, m == 0 ? "owner" : "channel_member");
                ins_member->bind(4, created);
                if (k > 0) ins_member->bind(5, last);
                else ins_member->bind(5, nullptr);
                ins_member->bind(6, unread);
                if (k > 0 && unread < k) {
                    const auto read_index = static_cast<std::size_t>(k - 1 - unread);
                    ins_member->bind(7, first + static_cast<nanos>(read_index) * 37 * second);
                    ins_member->bind(8, ids[read_index]);
                } else {
                    ins_member->bind(7, created).bind(8, nullptr);
                }
                ins_member->run();
                ins_member->reset();
            }
        }
        tx.commit();
        // Statistics for the query planner. Without them it may read `cid $in [...]` sorted by
        // last_updated (the channel list's preview calls) by walking the seeded user's whole
        // (user_id, last_updated) index instead of looking up the listed cids: at 100,000
        // channels 50–600 ms per call instead of ~1 ms. ANALYZE takes ~0.35 s there.
        if (seed.channels > 0) db.exec("ANALYZE");
        return true;
    } catch (const std::exception& e) {
        why = std::string("seeding failed: ") + e.what();
        return false;
    }
}

} // namespace streamchat::emu
