// channel_store: summaries from query results, live events keeping them current, full state only
// where materialised, messages merged by id in time order, unread counting like the JS client.

#include <streamchat/channel_store.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <random>

using namespace streamchat;
using namespace std::chrono;

namespace {

timestamp at(int s) { return timestamp(sys_days(2024y / 1 / 1) + seconds(s)); }

message msg(std::string id, std::string user, int when, std::string text = "hi")
{
    message m;
    m.id = std::move(id);
    m.user.id = std::move(user);
    m.created_at = at(when);
    m.text = std::move(text);
    return m;
}

channel_state make_channel(std::string cid, int unread_for_john = 0)
{
    channel_state st;
    st.channel.cid = cid;
    st.channel.type = cid.substr(0, cid.find(':'));
    st.channel.id = cid.substr(cid.find(':') + 1);
    st.channel.extra["name"] = "General";
    st.channel.member_count = 3;
    st.messages = {msg("m1", "jack", 1), msg("m2", "jill", 2)};
    st.channel.last_message_at = at(2);
    read_state r;
    r.user.id = "john";
    r.unread_messages = unread_for_john;
    st.read.push_back(r);
    return st;
}

event new_message(std::string cid, message m, event_type t = event_type::message_new)
{
    event e;
    e.type = t;
    e.cid = std::move(cid);
    e.message = std::move(m);
    e.created_at = e.message->created_at;
    return e;
}

} // namespace

TEST_CASE("a query result makes a summary, full state only when materialised")
{
    channel_store s("john");
    s.upsert(make_channel("messaging:a", 4), false);
    const auto sum = s.summary("messaging:a");
    REQUIRE(sum);
    CHECK(sum->name == "General");
    CHECK(sum->member_count == 3);
    CHECK(sum->unread_count == 4);
    CHECK(sum->last_message_id == "m2");
    CHECK(s.state("messaging:a") == nullptr);
    s.upsert(make_channel("messaging:a", 4), true);
    REQUIRE(s.state("messaging:a"));
    CHECK(s.materialised() == 1);
    s.release("messaging:a");
    CHECK(s.state("messaging:a") == nullptr);
    CHECK(s.summary("messaging:a"));
}

TEST_CASE("message.new: preview, order, unread, and a repeat is never a duplicate")
{
    channel_store s("john");
    s.upsert(make_channel("messaging:a"), true);
    CHECK(s.apply(new_message("messaging:a", msg("m3", "jack", 3, std::string(300, 'x')))));
    // A summary is a view: read it again after each change.
    auto sum = [&] { return *s.summary("messaging:a"); };
    CHECK(sum().unread_count == 1);
    CHECK(sum().last_message_preview.size() == channel_store::preview_bytes);
    CHECK(*sum().last_message_at == at(3));

    s.apply(new_message("messaging:a", msg("m3", "jack", 3))); // the same id again
    CHECK(sum().unread_count == 1);
    CHECK(s.state("messaging:a")->messages.size() == 3);

    s.apply(new_message("messaging:a", msg("old", "jack", 0))); // late arrival sorts into place
    const auto& ms = s.state("messaging:a")->messages;
    REQUIRE(ms.size() == 4);
    CHECK(ms.front().id == "old");
    CHECK(sum().last_message_id == "m3"); // the preview stays on the newest

    s.apply(new_message("messaging:a", msg("mine", "john", 5)));
    CHECK(sum().unread_count == 0); // posting marks the channel read for its author
    s.apply(new_message("messaging:a", msg("m6", "jack", 5)));
    CHECK(sum().unread_count == 1);
    auto silent = msg("s", "jack", 6);
    silent.silent = true;
    s.apply(new_message("messaging:a", silent));
    CHECK(sum().unread_count == 1);
    auto reply = msg("r", "jack", 7);
    reply.parent_id = "m1";
    s.apply(new_message("messaging:a", reply));
    CHECK(sum().unread_count == 1);       // thread-only reply
    CHECK(sum().last_message_id == "s");  // and it does not move the preview
}

TEST_CASE("UTF-8 previews are cut on a character boundary")
{
    channel_store s("john");
    std::string text;
    for (int i = 0; i < 60; ++i) text += "é"; // 120 bytes
    s.apply(new_message("messaging:b", msg("u", "jack", 1, text)));
    const auto p = s.summary("messaging:b")->last_message_preview;
    CHECK(p.size() == 100);
    CHECK((static_cast<unsigned char>(p.back()) & 0xC0) == 0x80); // ends with a full sequence
}

TEST_CASE("notification.message_new creates the summary and takes the server's unread count")
{
    channel_store s("john");
    auto e = new_message("messaging:c", msg("n1", "jack", 1), event_type::notification_message_new);
    e.channel = make_channel("messaging:c").channel;
    e.unread_messages = 7;
    s.apply(e);
    const auto sum = s.summary("messaging:c");
    REQUIRE(sum);
    CHECK(sum->unread_count == 7);
    CHECK(sum->name == "General");
    CHECK(s.state("messaging:c") == nullptr);
}

TEST_CASE("reads, updates, deletes, members, hide and delete")
{
    channel_store s("john");
    s.upsert(make_channel("messaging:a", 5), true);
    event read;
    read.type = event_type::message_read;
    read.cid = "messaging:a";
    read.user = user{};
    read.user->id = "john";
    read.created_at = at(10);
    s.apply(read);
    CHECK(s.summary("messaging:a")->unread_count == 0);

    auto upd = new_message("messaging:a", msg("m2", "jill", 2, "edited"), event_type::message_updated);
    s.apply(upd);
    CHECK(s.state("messaging:a")->messages.back().text == "edited");
    CHECK(s.summary("messaging:a")->last_message_preview == "edited");

    auto del = new_message("messaging:a", msg("m1", "jack", 1), event_type::message_deleted);
    del.hard_delete = true;
    s.apply(del);
    CHECK(s.state("messaging:a")->messages.size() == 1);

    event added;
    added.type = event_type::member_added;
    added.cid = "messaging:a";
    added.member = member{};
    added.member->user = user{};
    added.member->user->id = "kim";
    added.channel_member_count = 4;
    s.apply(added);
    CHECK(s.state("messaging:a")->members.size() == 1);
    CHECK(s.summary("messaging:a")->member_count == 4);

    event hidden;
    hidden.type = event_type::channel_hidden;
    hidden.cid = "messaging:a";
    s.apply(hidden);
    CHECK(s.summary("messaging:a")->hidden);

    event gone;
    gone.type = event_type::channel_deleted;
    gone.cid = "messaging:a";
    s.apply(gone);
    CHECK_FALSE(s.summary("messaging:a"));
    CHECK(s.state("messaging:a") == nullptr);

    event unknown;
    unknown.type = event_type::unknown;
    CHECK_FALSE(s.apply(unknown));
}

TEST_CASE("a live message that overtook a query answer still counts once")
{
    // The socket delivered m3 while a re-query was in flight; the answer's snapshot predates m3,
    // so its unread count (0 here) does not include it.
    channel_store s("john");
    s.upsert(make_channel("messaging:a", 0), true);
    s.apply(new_message("messaging:a", msg("m3", "jack", 3)));
    CHECK(s.summary("messaging:a")->unread_count == 1);
    s.upsert(make_channel("messaging:a", 0), true); // snapshot with m1, m2 only
    CHECK(s.summary("messaging:a")->unread_count == 1);
    CHECK(s.summary("messaging:a")->last_message_id == "m3");
    CHECK(s.state("messaging:a")->messages.size() == 3);

    // An answer that already holds m3 counts it itself.
    auto with_m3 = make_channel("messaging:a", 1);
    with_m3.messages.push_back(msg("m3", "jack", 3));
    s.upsert(with_m3, true);
    CHECK(s.summary("messaging:a")->unread_count == 1);
}

TEST_CASE("a message that arrives before a watch answer whose snapshot predates it is kept")
{
    channel_store s("john");
    s.upsert(make_channel("messaging:a", 2), false); // known from the list: summary only
    const std::string name(s.summary("messaging:a")->name);
    s.prepare("messaging:a");                         // the watch starts
    CHECK(s.is_materialised("messaging:a"));
    CHECK(s.summary("messaging:a")->name == name);    // the summary is untouched
    s.apply(new_message("messaging:a", msg("m3", "jack", 3)));
    CHECK(s.summary("messaging:a")->unread_count == 3);
    s.upsert(make_channel("messaging:a", 2), true);   // the answer: m1, m2 and the server's 2
    REQUIRE(s.state("messaging:a"));
    CHECK(s.state("messaging:a")->messages.size() == 3);
    CHECK(s.state("messaging:a")->messages.back().id == "m3");
    CHECK(s.summary("messaging:a")->unread_count == 3);
    CHECK(s.summary("messaging:a")->last_message_id == "m3");
    CHECK(s.state("messaging:a")->channel.cid == "messaging:a");

    // prepare() never replaces a state that exists.
    s.prepare("messaging:a");
    CHECK(s.state("messaging:a")->messages.size() == 3);
}

// ---- the packed layout: every field survives inserts, updates, erases and moves in the table

namespace {

/// What a summary should hold, with owning strings.
struct model_summary {
    std::string name, image, last_message_id, last_message_user_id, preview;
    std::optional<timestamp> last_message_at;
    int unread_count = 0;
    int member_count = 0;
    bool hidden = false;
};

std::string cut_preview(const std::string& text)
{
    if (text.size() <= channel_store::preview_bytes) return text;
    std::size_t cut = channel_store::preview_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut);
}

void check_same(const channel_store& s, const std::map<std::string, model_summary>& model)
{
    REQUIRE(s.size() == model.size());
    for (const auto& [cid, want] : model) {
        INFO("cid " << cid);
        const auto got = s.summary(cid);
        REQUIRE(got);
        CHECK(got->cid == cid);
        CHECK(got->name == want.name);
        CHECK(got->image == want.image);
        CHECK(got->last_message_at == want.last_message_at);
        CHECK(got->last_message_id == want.last_message_id);
        CHECK(got->last_message_user_id == want.last_message_user_id);
        CHECK(got->last_message_preview == want.preview);
        CHECK(got->unread_count == want.unread_count);
        CHECK(got->member_count == want.member_count);
        CHECK(got->hidden == want.hidden);
    }
    std::size_t visited = 0;
    s.for_each([&](const channel_summary& x) {
        ++visited;
        const auto it = model.find(std::string(x.cid));
        REQUIRE(it != model.end());
        CHECK(x.name == it->second.name);
        CHECK(x.last_message_id == it->second.last_message_id);
        CHECK(x.unread_count == it->second.unread_count);
    });
    CHECK(visited == model.size());
}

} // namespace

TEST_CASE("packed summaries match a reference model through random upserts, events and erases")
{
    const auto seed = GENERATE(1u, 2u, 3u);
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    // Lengths around the one-byte/five-byte length boundary (255) and past 64 KiB.
    auto text = [&](const char* stem) {
        static const std::size_t sizes[] = {0, 1, 12, 100, 101, 254, 255, 256, 300, 70000};
        const std::size_t n = sizes[pick(10)];
        std::string out = stem;
        while (out.size() < n) out += pick(4) == 0 ? "\xC3\xA9" : "x";
        return n == 0 ? std::string() : out;
    };
    const std::vector<std::string> authors{"john", "jack", "jill", "kim", "lee", std::string(300, 'u')};

    channel_store s("john");
    std::map<std::string, model_summary> model;
    int next_id = 0;
    for (int step = 0; step < 3000; ++step) {
        const std::string cid = "messaging:c" + std::to_string(pick(150));
        const int op = pick(8);
        if (op == 0 || op == 1) { // a query result, summary only
            auto st = make_channel(cid, pick(9));
            st.channel.extra.clear();
            const std::string name = text("name"), image = text("img");
            if (!name.empty()) st.channel.extra["name"] = name;
            if (!image.empty()) st.channel.extra["image"] = image;
            st.channel.member_count = pick(50);
            const int when = pick(1000);
            st.channel.last_message_at = at(when);
            st.messages = {msg("q" + std::to_string(next_id++), authors[pick(6)], when, text("body"))};
            s.upsert(st, false);
            auto& m = model[cid];
            m.name = name;
            m.image = image;
            m.member_count = *st.channel.member_count;
            m.hidden = false;
            m.last_message_at = at(when);
            m.last_message_id = st.messages[0].id;
            m.last_message_user_id = st.messages[0].user.id;
            m.preview = cut_preview(st.messages[0].text);
            m.unread_count = st.read[0].unread_messages;
        } else if (op == 2 || op == 3) { // message.new, sometimes a repeat or an older one
            const bool repeat = model.contains(cid) && pick(5) == 0;
            auto m = msg(repeat ? model[cid].last_message_id : "n" + std::to_string(next_id++), authors[pick(6)],
                         pick(1000), text("hello"));
            m.silent = pick(6) == 0;
            s.apply(new_message(cid, m));
            auto& r = model[cid];
            const bool fresh = m.id != r.last_message_id;
            if (!r.last_message_at || !(m.created_at < *r.last_message_at)) {
                r.last_message_at = m.created_at;
                r.last_message_id = m.id;
                r.last_message_user_id = m.user.id;
                r.preview = cut_preview(m.text);
            }
            if (m.user.id == "john") r.unread_count = 0;
            else if (fresh && !m.silent) ++r.unread_count;
        } else if (op == 4) {
            s.erase(cid);
            model.erase(cid);
        } else if (op == 5) { // channel.updated
            event e;
            e.type = event_type::channel_updated;
            e.cid = cid;
            e.channel = make_channel(cid).channel;
            e.channel->extra.clear();
            const std::string name = text("renamed");
            if (!name.empty()) e.channel->extra["name"] = name;
            e.channel->member_count = pick(50);
            s.apply(e);
            auto& r = model[cid];
            r.name = name;
            r.image.clear();
            r.member_count = *e.channel->member_count;
        } else if (op == 6) { // truncated, or hidden
            event e;
            e.type = pick(2) ? event_type::channel_truncated : event_type::channel_hidden;
            e.cid = cid;
            s.apply(e);
            auto& r = model[cid];
            if (e.type == event_type::channel_hidden) r.hidden = true;
            else {
                r.unread_count = 0;
                r.last_message_id.clear();
                r.last_message_user_id.clear();
                r.preview.clear();
            }
        } else {
            const int n = pick(20);
            s.set_unread(cid, n);
            if (auto it = model.find(cid); it != model.end()) it->second.unread_count = n;
        }
        if (step % 100 == 99) check_same(s, model);
    }
    check_same(s, model);

    // A copy is deep: the original can change or go without touching it.
    auto copy = std::make_unique<channel_store>(s);
    check_same(*copy, model);
    for (const auto& [cid, m] : model) s.erase(cid);
    CHECK(s.size() == 0);
    CHECK_FALSE(s.summary(model.begin()->first));
    check_same(*copy, model);
}

TEST_CASE("erase and reinsert: every channel stays reachable, whatever moves in the table")
{
    channel_store s("john");
    std::map<std::string, model_summary> model;
    auto add = [&](int i, const std::string& name) {
        const std::string cid = "team:ch-" + std::to_string(i);
        auto st = make_channel(cid, i % 7);
        st.channel.extra["name"] = name;
        s.upsert(st, false);
        auto& m = model[cid];
        m.name = name;
        m.member_count = 3;
        m.last_message_at = at(2);
        m.last_message_id = "m2";
        m.last_message_user_id = "jill";
        m.preview = "hi";
        m.unread_count = i % 7;
    };
    for (int i = 0; i < 2000; ++i) add(i, "first " + std::to_string(i));
    check_same(s, model);
    for (int i = 0; i < 2000; i += 2) {
        s.erase("team:ch-" + std::to_string(i));
        model.erase("team:ch-" + std::to_string(i));
    }
    s.erase("team:never-there");
    check_same(s, model);
    for (int i = 0; i < 2000; i += 4) add(i, "again " + std::to_string(i));
    for (int i = 1; i < 2000; i += 8) add(i, "renamed " + std::to_string(i));
    check_same(s, model);
    for (int i = 0; i < 2000; ++i) {
        s.erase("team:ch-" + std::to_string(i));
        model.erase("team:ch-" + std::to_string(i));
    }
    check_same(s, model);
    add(7, "back");
    check_same(s, model);
}

TEST_CASE("a summary is a view: read again after an update it shows the update, a copy keeps the old value")
{
    channel_store s("john");
    s.upsert(make_channel("messaging:a", 1), false);
    s.upsert(make_channel("messaging:b", 2), false);
    const std::string before(s.summary("messaging:a")->last_message_preview);
    s.apply(new_message("messaging:a", msg("m9", "kim", 9, "newest")));
    s.apply(new_message("messaging:b", msg("m8", "kim", 8, "other")));
    CHECK(before == "hi");
    const auto a = s.summary("messaging:a");
    REQUIRE(a);
    CHECK(a->last_message_preview == "newest");
    CHECK(a->last_message_user_id == "kim");
    CHECK(a->unread_count == 2);
    CHECK(s.summary("messaging:b")->last_message_user_id == "kim");
    s.erase("messaging:a"); // the author stays interned for b
    CHECK(s.summary("messaging:b")->last_message_user_id == "kim");
    CHECK(s.summary("messaging:b")->name == "General");
}

TEST_CASE("huge names and images from the network are kept whole")
{
    channel_store s("john");
    auto st = make_channel("messaging:big", 1);
    const std::string name(1 << 20, 'n');
    const std::string image = "https://cdn.example.com/" + std::string(70000, 'i');
    st.channel.extra["name"] = name;
    st.channel.extra["image"] = image;
    st.messages = {msg(std::string(300, 'm'), std::string(1000, 'a'), 3, std::string(5000, 't'))};
    s.upsert(st, false);
    auto check = [&](const channel_store& store) {
        const auto sum = store.summary("messaging:big");
        REQUIRE(sum);
        CHECK(sum->name == name);
        CHECK(sum->image == image);
        CHECK(sum->last_message_id == std::string(300, 'm'));
        CHECK(sum->last_message_user_id == std::string(1000, 'a'));
        CHECK(sum->last_message_preview == std::string(channel_store::preview_bytes, 't'));
    };
    check(s);
    s.set_unread("messaging:big", 5);
    s.apply(new_message("messaging:small", msg("x", "jack", 1)));
    check(s);
    const channel_store copy = s;
    check(copy);
    s.apply(new_message("messaging:big", msg("y", "jack", 4, "short")));
    CHECK(s.summary("messaging:big")->name == name);
    CHECK(s.summary("messaging:big")->last_message_preview == "short");
    check(copy);
}
