// channel_store: summaries from query results, live events keeping them current, full state only
// where materialised, messages merged by id in time order, unread counting like the JS client.

#include <streamchat/channel_store.hpp>

#include <catch2/catch.hpp>

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
    const auto* sum = s.summary("messaging:a");
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
    const auto* sum = s.summary("messaging:a");
    CHECK(sum->unread_count == 1);
    CHECK(sum->last_message_preview.size() == channel_store::preview_bytes);
    CHECK(*sum->last_message_at == at(3));

    s.apply(new_message("messaging:a", msg("m3", "jack", 3))); // the same id again
    CHECK(sum->unread_count == 1);
    CHECK(s.state("messaging:a")->messages.size() == 3);

    s.apply(new_message("messaging:a", msg("old", "jack", 0))); // late arrival sorts into place
    const auto& ms = s.state("messaging:a")->messages;
    REQUIRE(ms.size() == 4);
    CHECK(ms.front().id == "old");
    CHECK(sum->last_message_id == "m3"); // the preview stays on the newest

    s.apply(new_message("messaging:a", msg("mine", "john", 5)));
    CHECK(sum->unread_count == 0); // posting marks the channel read for its author
    s.apply(new_message("messaging:a", msg("m6", "jack", 5)));
    CHECK(sum->unread_count == 1);
    auto silent = msg("s", "jack", 6);
    silent.silent = true;
    s.apply(new_message("messaging:a", silent));
    CHECK(sum->unread_count == 1);
    auto reply = msg("r", "jack", 7);
    reply.parent_id = "m1";
    s.apply(new_message("messaging:a", reply));
    CHECK(sum->unread_count == 1);       // thread-only reply
    CHECK(sum->last_message_id == "s");  // and it does not move the preview
}

TEST_CASE("UTF-8 previews are cut on a character boundary")
{
    channel_store s("john");
    std::string text;
    for (int i = 0; i < 60; ++i) text += "é"; // 120 bytes
    s.apply(new_message("messaging:b", msg("u", "jack", 1, text)));
    const auto& p = s.summary("messaging:b")->last_message_preview;
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
    const auto* sum = s.summary("messaging:c");
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
    CHECK(s.summary("messaging:a") == nullptr);
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
    const std::string name = s.summary("messaging:a")->name;
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
